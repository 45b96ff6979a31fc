-- 20240110_150000_add_user_preferences: a GIN index for preference
-- queries and defaults for existing users.
-- See 20240110_150000_add_user_preferences.md.
--
-- Tier 1 (models/users.yaml) may already have created the column.
-- migrated:lock_timeout=2s
-- migrated:lock_retries=10

ALTER TABLE users
    ADD COLUMN IF NOT EXISTS preferences jsonb NOT NULL DEFAULT '{}';

COMMENT ON COLUMN users.preferences IS
    'user settings: theme, locale, notifications; queried with @>';

-- jsonb_path_ops: smaller and faster for the @> queries the app makes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_preferences_gin_idx
    ON users USING gin (preferences jsonb_path_ops);

-- Defaults for users who never saved a preference; the user's own keys
-- win (right-hand side of ||).  Re-running changes nothing.
-- migrated:batch size=5000 pause=10ms
UPDATE users
SET preferences = '{"theme": "system", "locale": "en",
                    "notifications": {"email": true, "security": true}}'::jsonb
                  || preferences
WHERE NOT (preferences ? 'theme' AND preferences ? 'locale'
           AND preferences ? 'notifications');
