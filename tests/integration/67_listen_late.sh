# 67_listen_late.sh - the first start opens its LISTEN connection after
# ready (daemon/latelisten.h): the start and the first command do not wait
# for a second backend.  What another daemon announces before it listens
# is not lost: the daemon reads the state again once it listens.  A LISTEN
# that cannot be opened counts as the database lost.  A proxy
# (tests/lib/holdproxy.py) holds the daemon's "migrated listen" connection
# back until released, so that each window is made, not hoped for.  Each
# wait is on a condition.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

LIB=$(cd "$(dirname "$0")/../lib" 2>/dev/null && pwd)
[ -f "$LIB/holdproxy.py" ] || LIB=$OLDPWD/tests/lib

mkdir -p models migrations px
for i in 1 2; do
	printf 'CREATE TABLE ll_t%s (id int);\n' $i \
	    >migrations/2024010${i}_000000_t$i.sql
done
python3 "$LIB/holdproxy.py" "$T/px/.s.PGSQL.$PGPORT" \
    "$PGHOST/.s.PGSQL.$PGPORT" "migrated listen" "$T/release" \
    >"$T/proxy.log" 2>&1 &
PXPID=$!
track $PXPID
wait_until 30 grep -q listening "$T/proxy.log"

# through the proxy; connect_timeout well above the hold
PGCONNECT_TIMEOUT=120 "$MIGRATED" -d \
    --database "host=$T/px port=$PGPORT dbname=$TESTDB" --models models \
    --migrations migrations --socket "$T/b.sock" >"$T/b.log" 2>&1 &
PID_b=$!
track $PID_b
ok "ready while its LISTEN connection is held" \
    "$MIGRATECTL" -s "$T/b.sock" wait-ready --timeout 60
pending_is() {	# pending_is SOCK N: status counts N pending
	status_says "$1" "len(d['data']['enhancements']['pending'] or []) == $2"
}
ok "2 pending" pending_is "$T/b.sock" 2
held() {	# held PID [N]: the proxy held PID's LISTEN connection N times
	[ "$(grep -c "^held $1\$" "$T/proxy.log")" -ge "${2:-1}" ]
}
ok "its LISTEN connection is asked for after ready" \
    wait_until 30 held $PID_b
listeners() {
	q "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'migrated listen'
	    AND datname = current_database()"
}
listening() { [ "$(listeners)" = "$1" ]; }
is "no LISTEN on the server yet" "$(listeners)" 0
ok "a command is answered meanwhile" "$MIGRATECTL" -s "$T/b.sock" status

# another daemon's change, announced while b does not listen yet
ok "migrated --once --up applies both" "$MIGRATED" \
    --database "dbname=$TESTDB" --models models --migrations migrations \
    --once --up
ok "b has not heard it: still 2 pending" pending_is "$T/b.sock" 2
touch "$T/release"
ok "released" wait_until 30 grep -q "^released $PID_b\$" "$T/proxy.log"
ok "b listens" poll 30 listening 1
ok "b reads the state again: 0 pending" poll 30 pending_is "$T/b.sock" 0

# from now on it hears the others at once
printf 'CREATE TABLE ll_t3 (id int);\n' >migrations/20240103_000000_t3.sql
ok "b: the new file pending" poll 30 pending_is "$T/b.sock" 1
ok "applied by another" "$MIGRATED" --database "dbname=$TESTDB" \
    --models models --migrations migrations --once --up
ok "b heard it: 0 pending" poll 30 pending_is "$T/b.sock" 0

# a stop while the LISTEN connection is being opened waits for that
# connect (without holding up the loop), and takes nothing
rm -f "$T/release"
PGCONNECT_TIMEOUT=120 "$MIGRATED" -d \
    --database "host=$T/px port=$PGPORT dbname=$TESTDB" --models models \
    --migrations migrations --socket "$T/c.sock" >"$T/c.log" 2>&1 &
PID_c=$!
track $PID_c
ok "c ready" "$MIGRATECTL" -s "$T/c.sock" wait-ready --timeout 60
ok "c's LISTEN held" wait_until 30 held $PID_c
kill -TERM "$PID_c"
ok "c: stopping" wait_until 30 grep -q "SIGTERM: stopping" "$T/c.log"
ok "c: its goodbye written" wait_until 30 grep -q "daemon.stop" "$T/c.log"
ok "c waits for the connect" kill -0 "$PID_c"
# its loop is not held up meanwhile: a second SIGTERM is heard (and makes
# the exit 1, as it does during any stop)
kill -TERM "$PID_c"
ok "c: the second SIGTERM heard" \
    wait_until 30 grep -q "SIGTERM again" "$T/c.log"
ok "c still waits" kill -0 "$PID_c"
touch "$T/release"
ok "c stops once that connect ends" \
    wait_until 60 sh -c "! kill -0 $PID_c 2>/dev/null"
wait "$PID_c"; rc=$?
is "c: exit 1 (a second SIGTERM)" "$rc" 1
like "c: stopped" "$(tail -n 1 "$T/c.log")" "stopped \(exit 1\)"
ok "c: the connection not taken" grep -q \
    "LISTEN connection opened after ready is not needed (stopping)" \
    "$T/c.log"
ok "c leaves no LISTEN connection (b's only)" poll 30 listening 1

kill -TERM "$PID_b"
wait "$PID_b"; rc=$?
is "b: exit 0" "$rc" 0

# the LISTEN connection cannot be opened after ready (here its connect
# times out): that is the database lost, as when the loop's LISTEN
# connection goes; the recheck opens one of its own, and the daemon is
# back with one LISTEN connection
rm -f "$T/release"
PGCONNECT_TIMEOUT=2 "$MIGRATED" \
    --database "host=$T/px port=$PGPORT dbname=$TESTDB" \
    --models models --migrations migrations --socket "$T/d.sock" \
    >"$T/d.log" 2>&1 &
PID_d=$!
track $PID_d
ok "d ready" "$MIGRATECTL" -s "$T/d.sock" wait-ready --timeout 60
ok "d's LISTEN held" wait_until 30 held $PID_d
ok "d: its connect timed out: the database unavailable" \
    wait_until 60 grep -q "database unavailable: .*timeout" "$T/d.log"
ok "d's recheck asks for a LISTEN connection of its own" \
    wait_until 60 held $PID_d 2
touch "$T/release"
ok "d: the database available again" \
    wait_until 60 grep -q "database available again" "$T/d.log"
ok "d: one LISTEN connection" poll 30 listening 1
ok "d: nothing pending" pending_is "$T/d.sock" 0
kill -TERM "$PID_d"
wait "$PID_d"; rc=$?
is "d: exit 0" "$rc" 0
kill "$PXPID"
unlike "no sanitizer report in the daemons' logs" \
    "$(cat "$T/b.log" "$T/c.log" "$T/d.log")" "Sanitizer|runtime error"
