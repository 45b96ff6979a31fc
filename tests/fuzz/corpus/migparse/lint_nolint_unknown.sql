-- migrated:nolint index-concurently
CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);
