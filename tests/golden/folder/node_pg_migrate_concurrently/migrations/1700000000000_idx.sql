-- Up Migration
CREATE INDEX CONCURRENTLY teams_id_idx ON teams (id);

-- Down Migration
DROP INDEX teams_id_idx;
