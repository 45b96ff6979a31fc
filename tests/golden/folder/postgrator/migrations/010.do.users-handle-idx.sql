CREATE INDEX CONCURRENTLY users_handle_idx ON users (handle)
