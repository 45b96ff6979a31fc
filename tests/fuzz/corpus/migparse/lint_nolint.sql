-- A deliberate hazard, silenced for its statement only.
-- migrated:nolint index-concurrently create-index-idempotent
CREATE INDEX audit_small_idx ON audit_small (at);
CREATE INDEX audit_small_who_idx ON audit_small (who);
