-- audit-owner.sql - the privilege split for migrated's audit table
-- (docs/audit.md, "Privileges").
--
-- Gives the audit table, its sequence and its append-only guard function
-- to a role of their own (NOLOGIN), and leaves the daemon's role INSERT
-- and SELECT on the table and USAGE on its sequence: the daemon goes on
-- adding rows, but can no longer disable the trigger, UPDATE, DELETE or
-- TRUNCATE, nor replace the guard function.
--
-- Run it as a superuser (or the table's owner with CREATEROLE), once the
-- daemon has created the table (start it once), with the daemon's role:
--
--   psql -d DB -v daemon_role=migrator -f contrib/audit-owner.sql
--
-- Optional: -v schema=public -v audit_table=migrated_audit (the
-- configuration's schema and audit_table), -v owner=migrated_audit_owner.
-- Safe to run again.  The daemon does not need to be stopped: it checks
-- its privileges when it connects, and says which one lacks if any.
--
-- Keep the daemon's role from owning the schema (or the database, which
-- owns schema public in PostgreSQL 15): a schema's owner can drop the
-- table.  A dropped or truncated tail is still found by `migratectl audit
-- verify` from the head the daemon keeps outside the database.
\set ON_ERROR_STOP on
\if :{?daemon_role}
\else
\echo 'usage: psql -v daemon_role=ROLE [-v schema=S] [-v audit_table=T] [-v owner=O] -f audit-owner.sql'
\quit
\endif
\if :{?schema}
\else
\set schema public
\endif
\if :{?audit_table}
\else
\set audit_table migrated_audit
\endif
\if :{?owner}
\else
\set owner migrated_audit_owner
\endif

BEGIN;
SELECT format('%I.%I', :'schema', :'audit_table') AS audit_tbl,
       format('%I.%I', :'schema', 'migrated_append_only') AS audit_guard,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner')
           AS audit_new_owner \gset
SELECT to_regclass(:'audit_tbl') IS NULL AS audit_missing \gset
\if :audit_missing
\echo 'audit-owner.sql: no table' :audit_tbl '- start migrated once, it creates it'
ROLLBACK;
\quit
\endif
\if :audit_new_owner
CREATE ROLE :"owner" NOLOGIN;
\endif
-- the owner of a table also owns its identity sequence
ALTER TABLE :audit_tbl OWNER TO :"owner";
ALTER FUNCTION :audit_guard() OWNER TO :"owner";
REVOKE ALL ON TABLE :audit_tbl FROM PUBLIC, :"daemon_role";
GRANT SELECT, INSERT ON TABLE :audit_tbl TO :"daemon_role";
SELECT pg_get_serial_sequence(:'audit_tbl', 'id') AS audit_seq \gset
REVOKE ALL ON SEQUENCE :audit_seq FROM PUBLIC, :"daemon_role";
GRANT USAGE ON SEQUENCE :audit_seq TO :"daemon_role";
COMMIT;
\echo 'audit-owner.sql:' :audit_tbl 'is owned by' :owner '- role' :daemon_role 'may INSERT and SELECT it, nothing else'
