CREATE TABLE teams (id int);

-- Down Migration
DROP TABLE teams;
