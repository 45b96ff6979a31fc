-- +migrate Up
ALTER TABLE accounts ADD COLUMN email text;

-- +migrate Down
ALTER TABLE accounts DROP COLUMN email;
