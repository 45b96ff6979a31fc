-- +goose NO TRANSACTION
-- +goose Up
CREATE TABLE a (id int);
SELECT 1
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN RETURN 1; END;
$$;
-- +goose StatementEnd
INSERT INTO a VALUES (1);
-- +goose StatementBegin
CREATE TABLE b (id int); CREATE INDEX b_id ON b (id)
-- +goose StatementEnd
-- +goose StatementBegin
-- +goose StatementEnd
DISCARD ALL;
SELEC 4;
-- +goose Down
-- +goose StatementBegin
BEGIN; DROP TABLE b; COMMIT;
-- +goose StatementEnd
