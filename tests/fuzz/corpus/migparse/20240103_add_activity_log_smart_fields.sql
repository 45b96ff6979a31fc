-- 20240103_add_activity_log_smart_fields: severity and retention for
-- activity logs, and a partial index for the anomaly dashboard.
-- See 20240103_add_activity_log_smart_fields.md.
--
-- Tier 1 (models/activity_logs.yaml) may already have created the enum and
-- the columns: every statement is idempotent.  The index is built
-- CONCURRENTLY and the backfill runs in batches, so the file runs
-- statement by statement, outside one transaction, resumable.
-- migrated:lock_timeout=2s
-- migrated:lock_retries=10

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type t
                   JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE t.typname = 'severity_level'
                     AND n.nspname = current_schema()) THEN
        CREATE TYPE severity_level AS ENUM ('info', 'warning', 'critical');
    END IF;
END
$$;

-- A constant default: no table rewrite, the lock is held for milliseconds.
ALTER TABLE activity_logs
    ADD COLUMN IF NOT EXISTS severity severity_level NOT NULL DEFAULT 'info',
    ADD COLUMN IF NOT EXISTS expires_at timestamptz,
    ADD COLUMN IF NOT EXISTS is_anomaly boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN activity_logs.severity IS
    'info, warning or critical; set from event_type when the row is written';
COMMENT ON COLUMN activity_logs.expires_at IS
    'when the row may be purged: 90 days (info), 1 year (warning), 2 years (critical)';
COMMENT ON COLUMN activity_logs.is_anomaly IS
    'flagged by the anomaly detector; indexed partially';

-- Only the few anomalous rows are indexed: small, cheap to maintain.
CREATE INDEX CONCURRENTLY IF NOT EXISTS activity_logs_anomalies_idx
    ON activity_logs (user_id, "timestamp" DESC)
    WHERE is_anomaly;

-- Existing rows: severity by event type, then retention by severity.
-- Batched by primary key, one short transaction per 5000 rows.
-- migrated:batch size=5000 pause=10ms
UPDATE activity_logs
SET severity = CASE
        WHEN event_type IN ('account_locked', 'mfa_disabled',
                            'password_changed_by_admin') THEN 'critical'
        WHEN event_type IN ('login_failed', 'password_reset_requested',
                            'suspicious_login') THEN 'warning'
        ELSE severity
    END,
    expires_at = "timestamp" + CASE
        WHEN event_type IN ('account_locked', 'mfa_disabled',
                            'password_changed_by_admin') THEN interval '2 years'
        WHEN event_type IN ('login_failed', 'password_reset_requested',
                            'suspicious_login') THEN interval '1 year'
        ELSE interval '90 days'
    END
WHERE expires_at IS NULL;
