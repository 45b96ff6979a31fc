-- storage parameters (WITH (...)) of tables and indexes (issue 13, seen
-- on Lago: events WITH (autovacuum_vacuum_scale_factor = 0.005), and Ente)
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text)
    WITH (autovacuum_vacuum_scale_factor = 0.005, fillfactor = 80);
CREATE INDEX events_at_idx ON events (at) WITH (fillfactor = 70);
CREATE INDEX events_kind_idx ON events (kind);
CREATE TABLE same (id bigint) WITH (autovacuum_enabled = off);
