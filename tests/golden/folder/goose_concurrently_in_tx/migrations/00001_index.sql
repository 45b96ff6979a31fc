-- +goose Up
CREATE TABLE t (id int);
  CREATE INDEX CONCURRENTLY t_id ON t (id);

-- +goose Down
DROP TABLE t;
