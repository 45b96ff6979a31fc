# 57_restart_first_command.sh - issue 12 item 2: PostgreSQL restarted
# (pg_ctl restart -m fast) under a running daemon, and the first command
# typed right after it (down --yes, then up) works: the daemon, which saw
# the server go at once, connects again for the command instead of
# answering "unavailable" until its next retry.  Three times over.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"

mkdir -p models migrations
printf 'CREATE TABLE t1 (id int);\n' >migrations/20240101_000000_one.sql
printf 'DROP TABLE t1;\n' >migrations/20240101_000000_one_rollback.sql
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
PGOPTS="-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB"
pg_restart() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
	    -l "$CLUSTER_DIR/server.log" -m fast -w -t 30 -o "$PGOPTS" \
	    restart >/dev/null
}
# whatever happens, the shared cluster is running again when we leave
trap 'pg_isready -q || cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 30 -o "$PGOPTS" start >/dev/null' EXIT

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
ok "up" ctl up
for i in 1 2 3; do
	ok "restart #$i" pg_restart
	ok "restart #$i: the first command (down --yes) works" ctl down --yes
	is "restart #$i: rolled back" \
	    "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't1'")" 0
	ok "restart #$i: up works" ctl up
	is "restart #$i: applied" \
	    "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't1'")" 1
done
ok "the daemon reads its state again: available" poll 30 \
    status_says "$SOCK" "d['data']['database']['available']"
ok "audit chain intact" ctl audit verify
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
