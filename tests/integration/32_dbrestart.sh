# 32_dbrestart.sh - the database goes away under a running daemon: the
# daemon stays up, reports "database unavailable" at once to commands that
# need it (exit 1, code "unavailable"), keeps answering status, reconnects
# with backoff once the server is back and re-checks the schema.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
PGOPTS="-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB"
pg_up() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
	    -l "$CLUSTER_DIR/server.log" -w -t 30 -o "$PGOPTS" start >/dev/null
}
pg_down() {
	cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w \
	    stop >/dev/null
}
# whatever happens, the shared cluster is running again when we leave
trap 'pg_isready -q || pg_up' EXIT

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!
ok "ready" ctl wait-ready --timeout 30

pg_down
ok "server stopped" sh -c '! pg_isready -q'
# the daemon notices within its liveness interval
for i in $(seq 50); do
	ctl --json status | grep -q '"database":{"available":false' && break
	sleep 0.2
done
out=$(ctl --json status); rc=$?
is "status still answers (exit 0)" "$rc" 0
like "status: database unavailable" "$out" \
    '"database":\{"available":false.*"error":"cannot connect|"database":\{"available":false'
like "STATUS line says so" "$out" '"status":"database unavailable since '
start=$(date +%s%N)
out=$(ctl --json list 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "a database command fails (exit 1)" "$rc" 1
like "code unavailable (or list not built)" "$out" \
    '"code":"(unavailable|not-available)"'
like "the answer comes at once (${ms} ms)" "$ms" '^[0-9]{1,3}$'
out=$(printf '{"cmd":"reload"}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.settimeout(10)
print(s.recv(65536).decode())' "$SOCK")
like "reload while down: a clear error" "$out" \
    '"ok":false.*"message":"cannot connect to the database'
ok "daemon still running" kill -0 $DPID
like "loss logged, with a retry" "$(cat daemon.log)" \
    "database unavailable: .*; retrying in [0-9]+ ms"
unlike "no password or conninfo secret in the log" "$(cat daemon.log)" "password="

sleep 2
pg_up
ok "server started again" pg_isready -q
for i in $(seq 100); do
	ctl --json status | grep -q '"database":{"available":true' && break
	sleep 0.2
done
out=$(ctl --json status)
like "reconnected" "$out" '"database":\{"available":true'
like "back logged" "$(cat daemon.log)" "database available again at "
like "schema re-checked once back" "$(cat daemon.log)" \
    "database is back: re-checking the schema"
n=$(grep -c "retrying in" daemon.log)
like "several attempts while down ($n)" "$n" '^([2-9]|[1-9][0-9]+)$'
ok "status works after the restart" ctl status

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
