-- +goose Up
CREATE TABLE t (id int);

-- +goose Down
-- +goose StatementBegin
DROP TABLE t;
