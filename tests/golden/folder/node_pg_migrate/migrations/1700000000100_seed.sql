-- Up Migration
INSERT INTO users (handle) VALUES ('admin');

-- Down Migration
DELETE FROM users WHERE handle = 'admin';
