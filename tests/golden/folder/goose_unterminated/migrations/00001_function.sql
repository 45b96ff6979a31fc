-- +goose Up
CREATE TABLE t (id int);

-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1;
END;
$$;

-- +goose Down
DROP FUNCTION f();
