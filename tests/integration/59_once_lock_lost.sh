# 59_once_lock_lost.sh - `migrated --once --up` with a file pending takes
# the migration lock before tier 1 and holds it through both tiers on its
# own connection.
# When that connection ends while tier 1 runs (pg_terminate_backend here;
# an idle timeout or a proxy in real life), the lock ended with it and a
# peer may hold it now: tier 2 must not run.  Tier 1 is held waiting by a
# table lock meanwhile; the lock backend is ended; a peer takes the lock;
# then the table is let go.  The run exits 1 naming the lost lock, and no
# migration is applied or recorded.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

key=7883960004428899684
mkdir -p models migrations
cat >models/notes.yaml <<'YAML'
table: notes
columns:
  id:    { type: bigint, primary_key: true }
  body:  { type: text }
  added: { type: text }
YAML
cat >migrations/20240101_000000_make_t2.sql <<'SQL'
CREATE TABLE t2 (id int);
SQL
cat >cfg.yaml <<YAML
database: "dbname=$TESTDB"
models: models
migrations: migrations
timeouts: { lock: 60s, lock_retries: 0 }
YAML
q "CREATE TABLE notes (id bigint PRIMARY KEY, body text)" >/dev/null

# an application's transaction holds the table: tier 1's ALTER waits
PGAPPNAME=holder psql -qAtX -d "$TESTDB" -c "BEGIN" \
    -c "LOCK TABLE notes IN ACCESS SHARE MODE" -c "SELECT pg_sleep(120)" \
    >/dev/null 2>&1 &
holder=$!; track $holder
app_of() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '$1'"; }
has_app() { [ "$(app_of "$1")" -ge 1 ]; }
no_app() { [ "$(app_of "$1")" = 0 ]; }
wait_until 30 has_app holder
"$MIGRATED" -c cfg.yaml --once --up >run.out 2>&1 &
run=$!; track $run
waiting() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c.relname = 'notes' AND NOT l.granted")" -ge 1 ]; }
wait_until 30 waiting
adv() { q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $key AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"; }
is "the run holds the lock while tier 1 waits" "$(adv)" 1

# its lock connection ends, and a peer takes the lock
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrated lock'" >/dev/null
wait_until 30 no_app "migrated lock"
PGAPPNAME=peer psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock($key)" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
peer=$!; track $peer
peer_holds() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'peer' AND a.datname = current_database()")" = 1 ]; }
wait_until 30 peer_holds

# the table let go: tier 1 goes on; tier 2 must not
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'holder'" >/dev/null
wait "$run"; rc=$?
out=$(cat run.out)
is "lock lost: exit 1" "$rc" 1
like "lock lost: said" "$out" "lost the migration lock"
like "lock lost: tier 2 not run" "$out" "tier 2 not run"
is "lock lost: no migration applied" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 't2'")" 0
is "lock lost: nothing recorded (no tracking table made)" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 'migrated_versions'")" 0
ok "the peer still holds the lock" peer_holds

# the peer done, a run again applies it
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'peer'" >/dev/null
wait "$holder" "$peer" 2>/dev/null
out=$("$MIGRATED" -c cfg.yaml --once --up 2>&1); rc=$?
is "again: exit 0" "$rc" 0
like "again: tier 2 applied" "$out" "tier 2: 1 applied"
