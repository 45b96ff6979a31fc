-- Up Migration
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  handle text NOT NULL
);
CREATE UNIQUE INDEX users_handle_idx ON users (handle);

-- Down Migration
DROP TABLE users;
