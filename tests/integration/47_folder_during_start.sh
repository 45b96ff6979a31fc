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

# hold KEY: a session of the test's holds advisory lock KEY until
# release ends it
lock_held() {
	[ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
	    USING (pid) WHERE a.application_name = 'fds_holder'
	    AND l.locktype = 'advisory' AND l.granted")" = 1 ]
}
hold() {
	PGAPPNAME=fds_holder psql -qAtX -d "$TESTDB" \
	    -c "SELECT pg_advisory_lock($1)" -c "SELECT pg_sleep(120)" \
	    >/dev/null 2>&1 &
	track $!
	wait_until 30 lock_held
}
release() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'fds_holder'" >/dev/null
}
# blocked KEY: the daemon's statement waits for advisory lock KEY
blocked() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname =
	    current_database() AND wait_event_type = 'Lock' AND
	    query LIKE '%pg_advisory_xact_lock($1)%'")" = 1 ]
}
seen() { grep -q "migrations folder changed ('$1')" m.log; }
made() { [ "$(q "SELECT to_regclass('$1') IS NOT NULL")" = t ]; }
# settled VERSION: every job done, nothing pending, VERSION the current
# (polled: a job the change owes, a LISTEN's read, may still come)
settled() {
	jobs_done "$SOCK"
	status_says "$SOCK" "d['data']['enhancements']['pending'] == [] and
	    d['data']['enhancements']['current'] == '$1'"
}

# the migration lock, held by another session until it is terminated
hold 7883960004428899684
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
ok "the watcher saw the file during the start" \
    poll 30 seen 20240102_000000_t2.sql
is "the start looked once" \
    "$(grep -c "migrations folder looked at" m.log)" 1
release
ok "ready once the lock is free" ctl wait-ready --timeout 30
ok "tier 1 applied" made fds_model
ok "the file added during the start: applied after it" poll 30 made fds_t2
ok "status: nothing pending, t2 the current version" \
    poll 60 settled 20240102_000000

# the same while the watcher's own up runs: a file that waits for another
# lock the test holds is being applied when the next file comes; that
# one's apply is owed until the first's up is done (a refresh that could
# not apply, queued behind it, left it pending)
hold 4747
echo "SELECT pg_advisory_xact_lock(4747); CREATE TABLE fds_t3 (id int);" \
    >migrations/20240103_000000_t3.sql
ok "t3 applied by the watcher, waiting for the lock" poll 30 blocked 4747
echo "CREATE TABLE fds_t4 (id int PRIMARY KEY);" \
    >migrations/20240104_000000_t4.sql
ok "the watcher saw t4 while t3's up runs" \
    poll 30 seen 20240104_000000_t4.sql
release
ok "t4: applied once t3's up is done" poll 30 made fds_t4
ok "t3 applied" made fds_t3
ok "status: nothing pending, t4 the current version" \
    poll 60 settled 20240104_000000

# the same while the database is away: the recheck once it is back reads
# the folder but applies nothing; the owed refresh does
PGOPTS="-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB"
pg_up() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
	    -l "$CLUSTER_DIR/server.log" -w -t 30 -o "$PGOPTS" start >/dev/null
}
pg_down() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w \
	    stop >/dev/null
}
trap 'pg_isready -q || pg_up' EXIT
pg_down
ok "the database away: said so" poll 30 status_says "$SOCK" \
    "not d['data']['database']['available']"
echo "CREATE TABLE fds_t5 (id int PRIMARY KEY);" \
    >migrations/20240105_000000_t5.sql
ok "the watcher saw t5 while the database was away" \
    poll 30 seen 20240105_000000_t5.sql
pg_up
ok "t5: applied once the database is back" poll 60 made fds_t5
ok "status: nothing pending, t5 the current version" \
    poll 60 settled 20240105_000000

# the watcher's up cut off by the database going away: owed again, and
# applied once it is back (the file waits for a lock the test holds)
hold 4848
echo "SELECT pg_advisory_xact_lock(4848); CREATE TABLE fds_t6 (id int);" \
    >migrations/20240106_000000_t6.sql
ok "t6 applied by the watcher, waiting for the lock" poll 30 blocked 4848
pg_down
ok "the database away while t6's up ran: said so" poll 30 status_says \
    "$SOCK" "not d['data']['database']['available']"
pg_up
ok "t6: applied once the database is back" poll 60 made fds_t6
ok "status: nothing pending, t6 the current version" \
    poll 60 settled 20240106_000000

kill "$MPID"; wait "$MPID"
is "daemon exits 0" "$?" 0
