-- +migrate Up
-- SQL in section 'Up' is executed when this migration is applied
CREATE TABLE accounts (
    id int PRIMARY KEY,
    person int NOT NULL
);

-- +migrate StatementBegin
CREATE FUNCTION do_something()
returns void AS $$
DECLARE
  create_query text;
BEGIN
  -- Do something here
  PERFORM 1;
END;
$$
language plpgsql;
-- +migrate StatementEnd

-- +migrate Down
-- SQL section 'Down' is executed when this migration is rolled back
DROP FUNCTION do_something();
DROP TABLE accounts;
