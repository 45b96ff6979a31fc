# 47_folder_during_start.sh - a file added while the start job runs (after
# its one look at the folder, daemon/optier.c tier2_folder) is read once
# the start is done: the watcher's change, seen while the database was
# not up yet, is owed and asked for then (daemon/daemon.c daemon_refresh),
# and with `apply: when-pending` the file is applied.  The start waits in
# tier 1 for the migration lock, held by another session, while the file
# comes.  The same for a file that comes while an up runs, and while the
# database is away (the recheck of a database back applies nothing), and
# for the watcher's up cut off by the database going away.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"

mkdir -p models migrations
SOCK=$T/s.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >models/t.yaml <<'YAML'
table: fds_model
columns:
  id: { type: integer, primary_key: true }
YAML
echo "CREATE TABLE fds_t1 (id int PRIMARY KEY);" \
    >migrations/20240101_000000_t1.sql
cat >m.yaml <<EOF2
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
apply: when-pending
EOF2

# the migration lock, held by another session until it is terminated
PGAPPNAME=fds_holder psql -qAtX -d "$TESTDB" \
    -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!; track $holder
lock_held() {
	[ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
	    USING (pid) WHERE a.application_name = 'fds_holder'
	    AND l.locktype = 'advisory' AND l.granted")" = 1 ]
}
wait_until 30 lock_held

"$MIGRATED" -d -c m.yaml >m.log 2>&1 &
MPID=$!; track $MPID
# tier 1 has work (a new table): the start tries the lock, finds it taken
waiting() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname =
	    current_database() AND application_name LIKE 'migrated%' AND
	    query LIKE '%pg_try_advisory_lock(7883960004428899684)%'")" -ge 1 ]
}
ok "the start tries the migration lock, held elsewhere" poll 30 waiting
looked() { grep -q "migrations folder looked at" m.log; }
ok "the start looked at the folder before the file comes" poll 30 looked
ok "the daemon still runs" kill -0 "$MPID"
ok "not ready while it waits" status_says "$SOCK" "not d['data']['ready']"

echo "CREATE TABLE fds_t2 (id int PRIMARY KEY);" \
    >migrations/20240102_000000_t2.sql
seen() { grep -q "migrations folder changed ('20240102_000000_t2.sql')" \
    m.log; }
ok "the watcher saw the file during the start" poll 30 seen
is "the start looked once" \
    "$(grep -c "migrations folder looked at" m.log)" 1

q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'fds_holder'" >/dev/null
ok "ready once the lock is free" ctl wait-ready --timeout 30
is "tier 1 applied" "$(q "SELECT to_regclass('fds_model') IS NOT NULL")" t
applied() { [ "$(q "SELECT to_regclass('fds_t2') IS NOT NULL")" = t ]; }
ok "the file added during the start: applied after it" poll 30 applied
jobs_done "$SOCK"
ok "status: nothing pending, t2 the current version" status_says "$SOCK" \
    "d['data']['enhancements']['pending'] == [] and
    d['data']['enhancements']['current'] == '20240102_000000'"

# the same while the watcher's own up runs: a file that waits for another
# lock the test holds is being applied when the next file comes; that
# one's apply is owed until the first's up is done (a refresh that could
# not apply, queued behind it, left it pending)
PGAPPNAME=fds_holder psql -qAtX -d "$TESTDB" \
    -c "SELECT pg_advisory_lock(4747)" -c "SELECT pg_sleep(120)" \
    >/dev/null 2>&1 &
holder2=$!; track $holder2
wait_until 30 lock_held
echo "SELECT pg_advisory_xact_lock(4747); CREATE TABLE fds_t3 (id int);" \
    >migrations/20240103_000000_t3.sql
blocked() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname =
	    current_database() AND wait_event_type = 'Lock' AND
	    query LIKE '%pg_advisory_xact_lock(4747)%'")" = 1 ]
}
ok "t3 applied by the watcher, waiting for the lock" poll 30 blocked
echo "CREATE TABLE fds_t4 (id int PRIMARY KEY);" \
    >migrations/20240104_000000_t4.sql
seen4() { grep -q "migrations folder changed ('20240104_000000_t4.sql')" \
    m.log; }
ok "the watcher saw t4 while t3's up runs" poll 30 seen4
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'fds_holder'" >/dev/null
t4() { [ "$(q "SELECT to_regclass('fds_t4') IS NOT NULL")" = t ]; }
ok "t4: applied once t3's up is done" poll 30 t4
is "t3 applied" "$(q "SELECT to_regclass('fds_t3') IS NOT NULL")" t
jobs_done "$SOCK"
ok "status: nothing pending, t4 the current version" status_says "$SOCK" \
    "d['data']['enhancements']['pending'] == [] and
    d['data']['enhancements']['current'] == '20240104_000000'"

# the same while the database is away: the recheck once it is back reads
# the folder but applies nothing; the owed refresh does
PGOPTS="-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB"
pg_up() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
	    -l "$CLUSTER_DIR/server.log" -w -t 30 -o "$PGOPTS" start >/dev/null
}
trap 'pg_isready -q || pg_up' EXIT
cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop \
    >/dev/null
ok "the database away: said so" poll 30 status_says "$SOCK" \
    "not d['data']['database']['available']"
echo "CREATE TABLE fds_t5 (id int PRIMARY KEY);" \
    >migrations/20240105_000000_t5.sql
seen5() { grep -q "migrations folder changed ('20240105_000000_t5.sql')" \
    m.log; }
ok "the watcher saw t5 while the database was away" poll 30 seen5
pg_up
t5() { [ "$(q "SELECT to_regclass('fds_t5') IS NOT NULL")" = t ]; }
ok "t5: applied once the database is back" poll 60 t5
jobs_done "$SOCK"
ok "status: nothing pending, t5 the current version" status_says "$SOCK" \
    "d['data']['enhancements']['pending'] == [] and
    d['data']['enhancements']['current'] == '20240105_000000'"

# the watcher's up cut off by the database going away: owed again, and
# applied once it is back (the file waits for a lock the test holds)
PGAPPNAME=fds_holder psql -qAtX -d "$TESTDB" \
    -c "SELECT pg_advisory_lock(4848)" -c "SELECT pg_sleep(120)" \
    >/dev/null 2>&1 &
holder3=$!; track $holder3
wait_until 30 lock_held
echo "SELECT pg_advisory_xact_lock(4848); CREATE TABLE fds_t6 (id int);" \
    >migrations/20240106_000000_t6.sql
blocked6() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname =
	    current_database() AND wait_event_type = 'Lock' AND
	    query LIKE '%pg_advisory_xact_lock(4848)%'")" = 1 ]
}
ok "t6 applied by the watcher, waiting for the lock" poll 30 blocked6
cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop \
    >/dev/null
ok "the database away while t6's up ran: said so" poll 30 status_says \
    "$SOCK" "not d['data']['database']['available']"
pg_up
t6() { [ "$(q "SELECT to_regclass('fds_t6') IS NOT NULL")" = t ]; }
ok "t6: applied once the database is back" poll 60 t6
jobs_done "$SOCK"
ok "status: nothing pending, t6 the current version" status_says "$SOCK" \
    "d['data']['enhancements']['pending'] == [] and
    d['data']['enhancements']['current'] == '20240106_000000'"

kill "$MPID"; wait "$MPID"
is "daemon exits 0" "$?" 0
wait "$holder2" "$holder3" 2>/dev/null
wait "$holder" 2>/dev/null
true
