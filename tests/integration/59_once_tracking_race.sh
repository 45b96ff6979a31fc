# 59_once_tracking_race.sh - `migrated --once --up` makes the tracking
# table with CREATE TABLE where it found none.  Another session (not
# migrated: it takes no migration lock) makes a table of that name
# meanwhile: the run fails with the server's error and a hint saying what
# happened, applies no migration, and leaves the other table as it was.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
cat >migrations/20240101_000000_make_t2.sql <<'SQL'
CREATE TABLE t2 (id int);
SQL
# a gate the other session waits on before it commits
PGAPPNAME=gate psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(42)" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
gate=$!; track $gate
app_of() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '$1'"; }
gate_held() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 42")" = 1 ]; }
wait_until 30 gate_held
# the other session: its table made, not committed until the gate opens
PGAPPNAME=other psql -qAtX -d "$TESTDB" -c "BEGIN" \
    -c "CREATE TABLE migrated_versions (x int)" \
    -c "SELECT pg_advisory_lock(42)" -c "COMMIT" >/dev/null 2>&1 &
other=$!; track $other
other_waits() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = 42")" = 1 ]; }
wait_until 30 other_waits
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --once --up >run.out 2>&1 &
run=$!; track $run
# migrated's CREATE TABLE waits for the other session's transaction
create_waits() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'transactionid' AND NOT l.granted AND a.application_name = 'migrated'")" -ge 1 ]; }
wait_until 30 create_waits
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gate'" >/dev/null
wait "$other"
wait "$run"; rc=$?
out=$(cat run.out)
is "race: exit 1" "$rc" 1
like "race: the server's error" "$out" "error: .*(already exists|duplicate key)"
like "race: the hint says what happened" "$out" \
    "hint: .*made by another session meanwhile; run again"
is "race: no migration applied" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 't2'")" 0
is "race: the other session's table as it made it" \
    "$(q "SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = 'migrated_versions'::regclass AND attnum > 0")" x
