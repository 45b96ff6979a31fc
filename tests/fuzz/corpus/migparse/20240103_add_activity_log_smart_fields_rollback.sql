-- 20240103_add_activity_log_smart_fields: rollback.
--
-- Removes what only this enhancement owns: the partial index and the
-- column comments.  The columns and the enum belong to the model
-- (models/activity_logs.yaml): dropping them here would fight tier 1 and
-- lose data, so they stay, and so do the backfilled values.
-- migrated:lock_timeout=2s

DROP INDEX CONCURRENTLY IF EXISTS activity_logs_anomalies_idx;

COMMENT ON COLUMN activity_logs.severity IS NULL;
COMMENT ON COLUMN activity_logs.expires_at IS NULL;
COMMENT ON COLUMN activity_logs.is_anomaly IS NULL;
