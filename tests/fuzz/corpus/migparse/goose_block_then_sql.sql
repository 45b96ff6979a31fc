-- +goose Up
-- +goose StatementBegin
SELECT 'up SQL query';
-- +goose StatementEnd
ALTER TABLE post ADD COLUMN author text;

-- +goose Down
ALTER TABLE post DROP COLUMN author;
