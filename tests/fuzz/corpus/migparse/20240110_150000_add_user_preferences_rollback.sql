-- 20240110_150000_add_user_preferences: rollback.
--
-- Drops the GIN index.  The column belongs to the model (models/users.yaml)
-- and the defaults cannot be told apart from choices users made since, so
-- both stay.
-- migrated:lock_timeout=2s

DROP INDEX CONCURRENTLY IF EXISTS users_preferences_gin_idx;

COMMENT ON COLUMN users.preferences IS NULL;
