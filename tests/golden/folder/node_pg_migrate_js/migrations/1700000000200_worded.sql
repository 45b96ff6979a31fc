-- Up migration: add tags
CREATE TABLE tags (id int);
-- Down migration: drop tags
DROP TABLE tags;
