-- Up Migration
CREATE TABLE audit_notes (note text);
-- Down Migration
DROP TABLE audit_notes;
