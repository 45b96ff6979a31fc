# 53_baseline_upgrade.sh - the tracking table of builds before 2026-11-30
# (public.schema_migrations, the name golang-migrate and dbmate use) is
# renamed to migrated_versions on the first start, in one audited
# transaction, and its history keeps counting; afterwards golang-migrate's
# own table fits beside it.  A tracking_table set by hand to another
# tool's table is refused, never read.  `migratectl baseline VERSION`
# (Flyway's meaning) records everything up to VERSION for a database
# whose history is gone, audited, and only there.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/u.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
for v in 1 2 3; do
	echo "CREATE TABLE up_t$v (id int PRIMARY KEY);" \
	    >migrations/2024010${v}_000000_step_$v.sql
done

# ---- the table exactly as the previous build made it (core/tracking.c
# tracking_init at af27d3a), with what that build recorded for 1 and 2 ----
q "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" ( version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms bigint NOT NULL DEFAULT 0, applied_by text NOT NULL, dirty boolean NOT NULL DEFAULT false, direction text NOT NULL DEFAULT 'up'   CHECK (direction IN ('up', 'down')), stmt_done integer NOT NULL DEFAULT 0, batch_key text, rows_done bigint NOT NULL DEFAULT 0, error text, sqlstate text); COMMENT ON TABLE \"public\".\"schema_migrations\" IS 'migrated tracking 1'" >/dev/null
for v in 1 2; do
	sum=$(sha256sum migrations/2024010${v}_000000_step_$v.sql | cut -c1-64)
	q "CREATE TABLE up_t$v (id int PRIMARY KEY)"
	q "INSERT INTO schema_migrations (version, name, checksum, applied_by) VALUES ('2024010${v}_000000', 'step_$v', '$sum', 'alice')"
done
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
EOF
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "upgrade: daemon ready" ctl wait-ready --timeout 30
is "upgrade: renamed to migrated_versions" \
    "$(q "SELECT to_regclass('schema_migrations') IS NULL, obj_description('migrated_versions'::regclass, 'pg_class')")" \
    "t|migrated tracking 1"
is "upgrade: its constraints renamed too" \
    "$(q "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'migrated_versions'::regclass")" \
    "migrated_versions_direction_check migrated_versions_pkey"
is "upgrade: audited, by the daemon" \
    "$(q "SELECT actor || ' ' || detail FROM migrated_audit WHERE action = 'tier2.upgrade'")" \
    "daemon renamed public.schema_migrations (the tracking table of builds before 2026-11-30) to public.migrated_versions"
is "upgrade: who applied what is kept" \
    "$(q "SELECT string_agg(version || ' ' || applied_by, ', ' ORDER BY version) FROM migrated_versions")" \
    "20240101_000000 alice, 20240102_000000 alice"
out=$(ctl up 2>&1); rc=$?
is "upgrade: up exits 0" "$rc" 0
like "upgrade: up runs only the new one" "$(echo "$out" | grep -c 'apply')" "^1$"
is "upgrade: no failure" "$(q "SELECT count(*) FROM migrated_audit WHERE NOT ok")" 0
# golang-migrate's own table (database/postgres/postgres.go) now fits
ok "upgrade: golang-migrate's table can be created beside it" \
    q 'CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)'
q 'INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (1, false)' >/dev/null
kill -TERM $dpid; wait $dpid 2>/dev/null
out=$("$MIGRATED" -c cfg.yaml --once --up 2>&1); rc=$?
is "upgrade: a later start with both: exit 0" "$rc" 0
is "upgrade: migrated's own history wins, nothing adopted" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.adopt'")" 0

# ---- a tracking_table named by hand after another tool's table ----
cat >clash.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
tracking_table: schema_migrations
EOF
out=$("$MIGRATED" -c clash.yaml --once --up 2>&1); rc=$?
is "clash: refused, exit 1" "$rc" 1
like "clash: says whose table it is not" "$out" \
    "table \"public\".\"schema_migrations\" is not migrated's tracking table"
like "clash: the way out" "$out" \
    "hint: set tracking_table to a name of migrated's own \(the default is migrated_versions\)"
is "clash: the other tool's table is untouched" \
    "$(q "SELECT version || ' ' || dirty FROM schema_migrations")" "1 false"

# ---- baseline: a database whose history is gone ----
B=${TESTDB}_baseline
q "DROP DATABASE IF EXISTS \"$B\"" >/dev/null 2>&1
q "CREATE DATABASE \"$B\"" >/dev/null
mkdir -p bl
for v in 1 2 3 4 5; do
	echo "CREATE TABLE bl_t$v (id int PRIMARY KEY);" >bl/000${v}_t$v.up.sql
done
for v in 1 2 3; do
	psql -qAtX -d "$B" -c "CREATE TABLE bl_t$v (id int PRIMARY KEY)"
done
SOCK=$T/b.sock
cat >b.yaml <<EOF
database: "dbname=$B"
models: $T/models
migrations: $T/bl
socket: $SOCK
EOF
"$MIGRATED" -c b.yaml >b.log 2>&1 &
dpid=$!; track $dpid
ok "baseline: daemon ready" ctl wait-ready --timeout 30
out=$(ctl baseline 3 2>&1); rc=$?
is "baseline: needs --yes off a terminal" "$rc" 2
like "baseline: says so" "$out" "'baseline' is destructive and needs confirmation"
out=$(ctl baseline 3 --dry-run 2>&1)
like "baseline: dry run lists what it would record" "$out" "0003 +t3 +would baseline"
out=$(ctl baseline 3 --yes 2>&1); rc=$?
is "baseline 3: exit 0" "$rc" 0
like "baseline 3: 1 to 3 recorded" "$(echo "$out" | grep -c ' baseline')" "^3$"
is "baseline: audited with who and what" \
    "$(psql -qAtX -d "$B" -c "SELECT actor || ' ' || username || ' ' || target || ': ' || detail FROM migrated_audit WHERE action = 'tier2.baseline'")" \
    "peer $(id -un) 3: everything up to 3 counts as applied: 3 versions recorded without running SQL"
out=$(ctl up 2>&1); rc=$?
is "baseline: up exits 0" "$rc" 0
like "baseline: up runs 4 and 5 only" "$(echo "$out" | grep -c 'apply')" "^2$"
out=$(ctl baseline 4 --yes 2>&1); rc=$?
is "baseline again: refused" "$rc" 1
like "baseline again: why" "$out" "cannot baseline: 5 versions are already recorded"
like "baseline again: what to use" "$out" \
    "hint: a baseline starts a history; to move an existing one use 'migratectl force 4'"
out=$(ctl baseline not-a-version --yes 2>&1); rc=$?
is "baseline: a bad version is a usage error" "$rc" 2
like "baseline: names it" "$out" "'not-a-version' is not a version"
out=$(ctl baseline 1_a --yes 2>&1); rc=$?
is "baseline: a number and more is no golang-migrate version (exit 2)" "$rc" 2
like "baseline: ... named" "$out" "'1_a' is not a version"
kill -TERM $dpid; wait $dpid 2>/dev/null
q "DROP DATABASE IF EXISTS \"$B\"" >/dev/null 2>&1
