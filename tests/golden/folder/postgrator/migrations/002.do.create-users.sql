CREATE TABLE users (id serial PRIMARY KEY, handle text);
INSERT INTO users (handle) VALUES ('admin');
