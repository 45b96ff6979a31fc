-- Up migration: tags
CREATE TABLE tags (id int);
-- down migration is in the rollback file
