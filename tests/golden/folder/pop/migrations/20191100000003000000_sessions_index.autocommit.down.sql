DROP INDEX sessions_identity_id_idx;
