-- +migrate Up
-- +migrate StatementBegin
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;

-- +migrate Down
DROP FUNCTION f();
