# 38_stopping.sh - the worker between jobs.  SIGTERM while a command
# waits in the worker's queue: the queued command does not run after the
# signal (it is answered "the daemon is stopping"), and no dirty tracking
# row is left behind.  A file's session-level SET (search_path) does not
# outlive the file.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >migrations/20240101_000000_t.sql <<'SQL'
CREATE TABLE t1 (id int);
CREATE TABLE t2 (id int);
SQL
echo "DROP TABLE t2; DROP TABLE t1;" >migrations/20240101_000000_t_rollback.sql

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" ctl wait-ready --timeout 30

# hold the audit table (until we say so): `log` blocks the worker, `up`
# waits behind it
audit_locks() {	# audit_locks GRANTED: locks on migrated_audit held or awaited
	[ "$(q "SELECT count(*) FROM pg_locks WHERE relation =
	    'migrated_audit'::regclass AND granted = $1 AND pid <> pg_backend_pid()")" -ge 1 ]
}
mkfifo lock.in
psql -qAtX -d "$TESTDB" <lock.in >/dev/null 2>&1 &
LOCKPID=$!; track $LOCKPID
exec 3>lock.in
echo "BEGIN; LOCK TABLE migrated_audit IN ACCESS EXCLUSIVE MODE;" >&3
wait_until 30 audit_locks true
ctl log >log.out 2>&1 &
LOGPID=$!; track $LOGPID
wait_until 30 audit_locks false	# the worker waits for the table
ctl up >up.out 2>&1 &
UPID=$!; track $UPID
wait_until 30 status_says "$SOCK" "(d['data']['busy'] or {}).get('op') == 'up'"
kill -TERM $DPID
wait_until 30 grep -q "SIGTERM: stopping" daemon.log
echo "COMMIT;" >&3	# the lock goes: log finishes, the daemon stops
exec 3>&-
wait $UPID; rc=$?
is "queued up: exit non-zero" "$([ $rc -ne 0 ] && echo yes)" yes
like "queued up: the daemon is stopping" "$(cat up.out)" \
    "cannot run 'up': the daemon is stopping"
wait $LOGPID
wait $LOCKPID
wait $DPID
is "daemon exits 0" "$?" 0
is "up did not run after SIGTERM" \
    "$(q "SELECT count(*) FROM pg_tables WHERE tablename IN ('t1', 't2')")" 0
is "no tracking row left" "$(q "SELECT count(*) FROM migrated_versions" \
    2>/dev/null || echo 0)" 0

# a file's session-level SET does not outlive it on the worker's connection
echo "SET search_path = nowhere;" >migrations/20240102_000000_path.sql
echo "SELECT 1;" >migrations/20240102_000000_path_rollback.sql
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon2.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready again" ctl wait-ready --timeout 30
ok "up with SET search_path = nowhere" ctl up
echo "CREATE TABLE t3 (id int);" >migrations/20240103_000000_t3.sql
echo "DROP TABLE t3;" >migrations/20240103_000000_t3_rollback.sql
wait_until 30 pending_has "$SOCK" 20240103_000000_t3	# the watcher saw it
ok "the next up still works" ctl up
is "t3 created in public" "$(q "SELECT count(*) FROM pg_tables WHERE \
    schemaname = 'public' AND tablename = 't3'")" 1
ok "log still works" ctl log
ok "reload (tier 1) still works" ctl reload
kill -TERM $DPID; wait $DPID
is "daemon exits 0 again" "$?" 0
