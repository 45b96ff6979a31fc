# 18_once_up.sh - the one-shot mode for CI jobs and init containers:
# `migrated --once --up` does a whole deploy's schema work in one command
# (tier 1, then every pending migration, audited like the service); a
# second run is a no-op; a failing file exits 1, is audited, and leaves
# nothing half-applied; `apply: on-start` is honoured by --once too.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
mkdir -p migrations
cp "$SRC"/migrations/* migrations/
M() { "$MIGRATED" --database "dbname=$TESTDB" --models "$SRC/models" \
    --migrations migrations "$@"; }

fails_with "--up without --once is a usage error" 2 M --up
out=$(M --once --up 2>&1); rc=$?
is "once --up: exit 0" "$rc" 0
like "tier 1 applied" "$out" "tier 1: applied 4 changes"
like "each migration reported" "$out" \
    "tier2.apply '20240110_150000_add_user_preferences' in [0-9]+ ms"
like "the version reached" "$out" "tier 2: 2 applied, current version 20240110_150000"
is "both migrations recorded" \
    "$(q "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" 2
is "audited like the service" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND ok")" 2

audit_before=$(q "SELECT count(*) FROM migrated_audit")
out=$(M --once --up 2>&1); rc=$?
is "second run: exit 0" "$rc" 0
like "second run: tier 1 up to date" "$out" "tier 1: up to date"
like "second run: nothing to apply" "$out" "tier 2: 0 applied"
is "second run: no audit row" "$(q "SELECT count(*) FROM migrated_audit")" \
    "$audit_before"

# settled (every file applied as it is, no run holding the lock: one
# read) and nothing for tier 1: no lock tried, so no lock connection (it
# took the lock before tier 1 whatever tier 2 had to do until 2026-12-01)
LOG=${CLUSTER_DIR:-}/server.log
[ -r "$LOG" ] || _fail "the server's log is readable"
off=$(stat -c %s "$LOG")
out=$("$MIGRATED" --database "dbname=$TESTDB options='-c log_statement=all'" \
    --models "$SRC/models" --migrations migrations --once --up 2>&1); rc=$?
is "settled: exit 0" "$rc" 0
like "settled: nothing to apply" "$out" \
    "tier 2: 0 applied, current version 20240110_150000"
is "settled: no lock tried" \
    "$(tail -c +$((off + 1)) "$LOG" | grep -c pg_try_advisory_lock)" 0
like "settled: told by the one read (the log has the run)" \
    "$(tail -c +$((off + 1)) "$LOG")" "s\.locked.* FROM .*migrated_versions"

# an applied file edited since: not settled, refused as up refuses it
cp migrations/20240110_150000_add_user_preferences.sql edited.bak
echo "-- edited" >>migrations/20240110_150000_add_user_preferences.sql
out=$(M --once --up 2>&1); rc=$?
is "an applied file edited: exit 1" "$rc" 1
like "an applied file edited: refused" "$out" \
    "'20240110_150000_add_user_preferences' was changed after it was applied"
mv edited.bak migrations/20240110_150000_add_user_preferences.sql

# while another session holds the lock (a run under way may be changing
# what is applied, a down not yet committed), it is not settled: the run
# takes the lock's path and is busy, with or without a file pending
PGAPPNAME=once_holder psql -qAtX -d "$TESTDB" \
    -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
HOLDER=$!; track $HOLDER
lock_granted() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ]; }
wait_until 30 lock_granted
out=$(timeout 15 "$MIGRATED" --database "dbname=$TESTDB" --models \
    "$SRC/models" --migrations migrations --once --up 2>&1); rc=$?
is "lock held elsewhere, nothing pending: exit 1" "$rc" 1
like "lock held elsewhere, nothing pending: busy, not 'nothing to do'" \
    "$out" "error: another migration is running"
echo "CREATE TABLE waits (id int);" >migrations/20240130_000000_waits.sql
out=$(timeout 15 "$MIGRATED" --database "dbname=$TESTDB" --models \
    "$SRC/models" --migrations migrations --once --up 2>&1); rc=$?
is "lock held elsewhere, a file pending: exit 1" "$rc" 1
like "a file pending: busy" "$out" "error: another migration is running"
is "a file pending: not applied" \
    "$(q "SELECT to_regclass('waits') IS NULL")" t
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'once_holder'" >/dev/null
wait $HOLDER 2>/dev/null
rm migrations/20240130_000000_waits.sql

# a failing file: rolled back, audited, exit 1
cat >migrations/20240201_000000_broken.sql <<'SQL'
CREATE TABLE half_done (id int);
SELECT 1 / 0;
SQL
before=$(schema_snapshot --exclude-table-data=migrated_audit)
out=$(M --once --up 2>&1); rc=$?
is "failing file: exit 1" "$rc" 1
like "failing file: named with its statement" "$out" \
    "cannot apply '20240201_000000_broken': statement 2 of 2: division by zero"
is "failing file: nothing half-applied" \
    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
is "failing file: audited" \
    "$(q "SELECT sqlstate FROM migrated_audit WHERE action = 'tier2.fail' AND target = '20240201_000000_broken'")" 22012

# the same with statements after the failing one: they were sent with it
# (pipeline mode) but never ran; the error still names the one that failed
rm migrations/20240201_000000_broken.sql
cat >migrations/20240201_000000_middle.sql <<'SQL'
CREATE TABLE half_done (id int);

  INSERT INTO no_such_table VALUES (1);
CREATE TABLE after_it (id int);
SQL
out=$(M --once --up 2>&1); rc=$?
is "middle statement fails: exit 1" "$rc" 1
like "middle statement fails: file:line:col of that statement" "$out" \
    "20240201_000000_middle.sql:3:3: cannot apply '20240201_000000_middle': statement 2 of 3: relation \"no_such_table\" does not exist"
is "middle statement fails: nothing half-applied" \
    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
is "middle statement fails: audited with the one statement run before it" \
    "$(q "SELECT statements || ' ' || sqlstate FROM migrated_audit WHERE action = 'tier2.fail' AND target = '20240201_000000_middle'")" "1 42P01"
rm migrations/20240201_000000_middle.sql

# a file that committed before the one that failed is said, as the
# service logs it (the audit has it either way)
echo "CREATE TABLE good_one (id int);" >migrations/20240201_000001_good.sql
echo "SELECT 1/0;" >migrations/20240201_000002_bad.sql
out=$(M --once --up 2>&1); rc=$?
is "a later file fails: exit 1" "$rc" 1
like "the file before it: its tier2.apply line" "$out" \
    "tier2.apply '20240201_000001_good' in [0-9]+ ms, 1 statement"
unlike "no tier2.apply line for the failed one" "$out" \
    "tier2.apply '20240201_000002_bad'"
rm migrations/20240201_000002_bad.sql

# apply: on-start is honoured by --once as by the service
cat >migrations/20240202_000000_more.sql <<'SQL'
CREATE TABLE more_things (id int PRIMARY KEY);
SQL
printf 'database: "dbname=%s"\nmodels: "%s"\nmigrations: migrations\napply: on-start\n' \
    "$TESTDB" "$SRC/models" >c.yaml
ok "apply: on-start with --once" "$MIGRATED" -c c.yaml --once
is "on-start: the new file applied" \
    "$(q "SELECT to_regclass('more_things') IS NOT NULL")" t

# migrated's own tables in a schema the models declare too, which does not
# exist yet: the audit table's setup makes it before tier 1 applies (a
# fleet's every new member): tier 1 must not fail on "already exists"
mkdir -p own_models own_migrations
cat >own_models/things.yaml <<'YAML'
schema: own
table: things
columns:
  id: { type: bigint, primary_key: true }
YAML
printf 'database: "dbname=%s"\nmodels: own_models\nmigrations: own_migrations\nschema: own\n' \
    "$TESTDB" >own.yaml
out=$("$MIGRATED" -c own.yaml --once --up 2>&1); rc=$?
is "own schema declared by a model too: exit 0" "$rc" 0
unlike "own schema: no 'already exists'" "$out" "already exists"
is "own schema: the model's table and migrated's audit there" \
    "$(q "SELECT to_regclass('own.things') IS NOT NULL, to_regclass('own.migrated_audit') IS NOT NULL")" "t|t"
