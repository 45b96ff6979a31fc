DROP INDEX CONCURRENTLY IF EXISTS sessions_identity_id_idx;
