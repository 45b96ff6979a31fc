-- Down migration: see the _rollback.sql file
CREATE TABLE notes (id int);
