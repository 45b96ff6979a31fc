# 10_tier1_sample.sh - tier 1 on the sample service: --plan changes nothing,
# --once creates everything, a second run is a no-op (no DDL at all, proven
# with an event trigger), and the plan of an in-sync database is empty.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
mkdir -p migrations
M() { "$MIGRATED" --database "dbname=$TESTDB" --models "$SRC/models" \
    --migrations migrations "$@"; }

# every DDL command the server runs is logged by an event trigger
q "CREATE SCHEMA testaux;
   CREATE TABLE testaux.ddl_log (tag text, at timestamptz DEFAULT now());
   CREATE FUNCTION testaux.log_ddl() RETURNS event_trigger LANGUAGE plpgsql
     AS \$\$BEGIN INSERT INTO testaux.ddl_log(tag) VALUES (tg_tag); END\$\$;
   CREATE EVENT TRIGGER t1_ddl ON ddl_command_start
     EXECUTE FUNCTION testaux.log_ddl();" >/dev/null

before=$(schema_snapshot --exclude-schema=testaux)
out=$(M --plan 2>&1); rc=$?
is "--plan exits 0" "$rc" 0
like "--plan shows CREATE TABLE users" "$out" 'CREATE TABLE "public"."users"'
like "--plan explains each change" "$out" '^-- safe: create table public.activity_logs: new table'
like "--plan summary" "$out" '^-- plan: 4 safe, 0 refused, 0 drift$'
is "--plan changed nothing" "$(schema_snapshot --exclude-schema=testaux)" "$before"
is "--plan ran no DDL" "$(q 'SELECT count(*) FROM testaux.ddl_log')" 0

out=$(M --once 2>&1); rc=$?
is "--once exits 0" "$rc" 0
like "--once reports what it did" "$out" 'tier 1: applied 4 changes, 10 statements'
is "tables created" "$(q "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> 'migrated_audit'")" \
    "activity_logs,social_accounts,users"
is "users.id default" "$(q "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'users'::regclass AND adnum = 1")" "gen_random_uuid()"
is "unique (provider, provider_user_id)" \
    "$(q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'social_accounts_provider_provider_user_id_key'")" \
    "UNIQUE (provider, provider_user_id)"
is "fk with on delete cascade" \
    "$(q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'activity_logs_user_id_fkey'")" \
    "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"
is "enum created" "$(q "SELECT enum_range(NULL::severity_level)")" "{info,warning,critical}"
is "column comment" "$(q "SELECT col_description('users'::regclass, 4)")" "argon2id hash, never logged"

ddl=$(q 'SELECT count(*) FROM testaux.ddl_log')
snap=$(schema_snapshot --exclude-schema=testaux)
out=$(M --once 2>&1); rc=$?
is "second --once exits 0" "$rc" 0
like "second --once is up to date" "$out" 'tier 1: up to date \(0 refused, 0 drift\)'
is "second --once ran no DDL" "$(q 'SELECT count(*) FROM testaux.ddl_log')" "$ddl"
is "second --once changed nothing" "$(schema_snapshot --exclude-schema=testaux)" "$snap"
out=$(M --plan 2>&1)
is "plan of an in-sync database is empty" "$out" "-- no changes: the database matches the models"

# the project's own tables are never drift
q "CREATE TABLE public.migrated_versions (v text); CREATE TABLE public.migrated_audit (v text)" >/dev/null
printf 'database: "dbname=%s"\nmodels: %s\nmigrations: migrations\nschema: public\ntracking_table: migrated_versions\n' \
    "$TESTDB" "$SRC/models" >own.yaml
out=$("$MIGRATED" -c own.yaml --plan 2>&1)
is "own tables are not drift" "$out" "-- no changes: the database matches the models"
q "CREATE TABLE public.stray (v text)" >/dev/null
out=$("$MIGRATED" -c own.yaml --plan 2>&1)
like "an unknown table is drift" "$out" '^-- drift: table public.stray: table is not in the models'
