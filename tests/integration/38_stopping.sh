# 38_stopping.sh - SIGTERM while a command waits in the worker's queue:
# the queued command does not run after the signal (it is answered "the
# daemon is stopping"), and no dirty tracking row is left behind.
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
DPID=$!
ok "daemon ready" ctl wait-ready --timeout 30

# hold the audit table: `log` blocks the worker, `up` waits behind it
psql -qAtX -d "$TESTDB" -c "BEGIN; LOCK TABLE migrated_audit IN ACCESS
    EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT" >/dev/null 2>&1 &
LOCKPID=$!
sleep 0.5
ctl log >log.out 2>&1 &
LOGPID=$!
sleep 0.3
ctl up >up.out 2>&1 &
UPID=$!
for i in $(seq 50); do
	ctl --json status | grep -q '"busy":{"op":"up"' && break
	sleep 0.05
done
kill -TERM $DPID
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
is "no tracking row left" "$(q "SELECT count(*) FROM schema_migrations" \
    2>/dev/null || echo 0)" 0
