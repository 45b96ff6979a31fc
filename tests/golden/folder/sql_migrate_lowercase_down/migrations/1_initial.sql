-- +migrate Up
CREATE TABLE people (id int);

-- +migrate down
DROP TABLE people;
