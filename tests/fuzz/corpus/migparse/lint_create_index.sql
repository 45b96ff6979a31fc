-- An index on an existing table blocks writes while it builds; one on a
-- table created earlier in the same file does not matter.
CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
CREATE INDEX tags_name_idx ON tags (name);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_idx ON users (created_at DESC);
