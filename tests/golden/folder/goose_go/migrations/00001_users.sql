-- +goose Up
CREATE TABLE users (id int PRIMARY KEY, name text);
-- +goose Down
DROP TABLE users;
