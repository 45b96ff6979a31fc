# 32_dbrestart.sh - the database goes away under a running daemon: the
# daemon stays up, reports "database unavailable" at once to commands that
# need it (exit 1, code "unavailable": while starting, and when its own
# attempt for the command fails too), keeps answering status, reconnects
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

# start-up with the server down: the socket answers, READY waits
pg_down
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
wait_until 30 test -S "$SOCK"
# the first connection attempt has failed
wait_until 30 status_says "$SOCK" "'database unavailable since' in d['data']['status']"
out=$(ctl --json status)
like "starting: status answers before the database" "$out" \
    '"ready":false.*"status":"starting: database unavailable since'
out=$(ctl --json list 2>&1)
like "starting: database commands get unavailable" "$out" \
    '"code":"unavailable".*"message":"database unavailable.*"detail":"cannot connect to the database'
fails_with "wait-ready: reachable, not ready: exit 1" 1 ctl wait-ready --timeout 1
retried() { [ "$(grep -c 'retrying in' daemon.log)" -ge "$1" ]; }
wait_until 30 retried 2
like "each connection attempt logged" "$(grep -c 'retrying in' daemon.log)" \
    '^([2-9]|[1-9][0-9]+)$'
pg_up
ok "ready once the server is up" ctl wait-ready --timeout 40

pg_down
ok "server stopped" sh -c '! pg_isready -q'
# the daemon notices within its liveness interval
wait_until 60 status_says "$SOCK" "not d['data']['database']['available']"
out=$(ctl --json status); rc=$?
is "status still answers (exit 0)" "$rc" 0
like "status: database unavailable" "$out" \
    '"database":\{"available":false.*"error":"cannot connect|"database":\{"available":false'
like "STATUS line says so" "$out" '"status":"database unavailable since '
start=$(date +%s%N)
out=$(ctl --json list 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "a database command fails (exit 1)" "$rc" 1
like "code unavailable, with the cause" "$out" \
    '"code":"unavailable".*"message":"database unavailable".*"detail":"'
like "the answer comes at once (${ms} ms)" "$ms" '^[0-9]{1,3}$'
out=$(printf '{"cmd":"reload"}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.settimeout(10)
print(s.recv(65536).decode())' "$SOCK")
like "reload while down: a clear error" "$out" \
    '"ok":false.*"message":"database unavailable".*"detail":"cannot connect to the database'
ok "daemon still running" kill -0 $DPID
like "loss logged, with a retry" "$(cat daemon.log)" \
    "database unavailable: .*; retrying in [0-9]+ ms"
unlike "no password or conninfo secret in the log" "$(cat daemon.log)" "password="

# several attempts while the server is down
wait_until 60 retried $(( $(grep -c 'retrying in' daemon.log) + 2 ))
pg_up
ok "server started again" pg_isready -q
wait_until 60 status_says "$SOCK" "d['data']['database']['available']"
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
