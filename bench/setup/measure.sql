-- bench/setup/measure.sql - what measure's self-host/postgres/init-postgres.sh
-- makes before dbmate runs (schema, roles, grants, the database's
-- search_path), for SETUP= of bench/real_folder.sh and bench/adopt_real.sh;
-- the database and user are whatever the bench connects to.
CREATE SCHEMA IF NOT EXISTS measure;
SET client_min_messages = warning;
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'operator') THEN
    CREATE ROLE operator NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'reader') THEN
    CREATE ROLE reader NOLOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA measure TO operator;
GRANT USAGE ON SCHEMA measure TO reader;
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET search_path TO measure, "$user", public',
      current_database());
  EXECUTE format('GRANT operator TO %I', current_user);
  EXECUTE format('GRANT reader TO %I', current_user);
END
$$;
GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA measure TO operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA measure GRANT ALL ON TABLES TO operator;
GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA measure TO operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA measure GRANT ALL ON SEQUENCES TO operator;
GRANT SELECT ON ALL TABLES IN SCHEMA measure TO reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA measure GRANT SELECT ON TABLES TO reader;
