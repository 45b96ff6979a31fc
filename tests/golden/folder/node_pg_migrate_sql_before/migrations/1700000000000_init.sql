-- the extension first
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Up Migration
CREATE TABLE teams (id uuid DEFAULT gen_random_uuid());

-- Down Migration
DROP TABLE teams;
