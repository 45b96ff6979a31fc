-- ×××× matter.
CREATE TABLE t (id bigint PRIMARY KEY);
CREATE IRDEX c_idx ON t (id DESC);
