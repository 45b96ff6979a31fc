/* written rollback first; node-pg-migrate takes either order */
--- down migration
ALTER TABLE users DROP COLUMN email;

--- up migration: add the e-mail column
ALTER TABLE users ADD COLUMN email text;
