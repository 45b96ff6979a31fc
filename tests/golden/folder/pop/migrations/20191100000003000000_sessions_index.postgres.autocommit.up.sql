CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_identity_id_idx ON sessions (identity_id);
