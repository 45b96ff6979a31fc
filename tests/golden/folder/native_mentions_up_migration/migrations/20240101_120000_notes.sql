-- Up migration: the notes table (its rollback is the _rollback.sql file)
CREATE TABLE notes (id int);
