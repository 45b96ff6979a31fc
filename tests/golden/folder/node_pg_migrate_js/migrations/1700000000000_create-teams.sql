-- Up Migration
CREATE TABLE teams (id int, name text);
-- Down Migration
DROP TABLE teams;
