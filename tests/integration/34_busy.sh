# 34_busy.sh - long operations: status answers in milliseconds during a
# long `up`, a second mutating command gets "busy" at once, progress is
# streamed, a client that disconnects does not cancel the operation, the
# watcher reports a new file as pending (status and STATUS=), SIGTERM lets
# the running migration finish and exits 0, a second signal cancels it and
# exits non-zero.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
slow() {	# slow VERSION_NAME SECONDS
	echo "SELECT pg_sleep($2);" >"migrations/$1.sql"
	echo "SELECT 1;" >"migrations/$1_rollback.sql"
}
start_daemon() {
	NOTIFY_SOCKET=$T/notify.sock "$MIGRATED" --database "dbname=$TESTDB" \
	    --models models --migrations migrations --socket "$SOCK" \
	    >>daemon.log 2>&1 &
	DPID=$!; track $DPID
	ctl wait-ready --timeout 30 >/dev/null
}
busy_now() { status_says "$SOCK" "d['data']['busy'] is not None"; }
wait_busy() { poll 30 busy_now; }
# the watcher has seen NAME: status lists it as pending
seen() { wait_until 30 pending_has "$SOCK" "$1"; }
# the runner reads the stop flag between statements: a signal is about a
# statement only once that statement runs
sleep_runs() {	# sleep_runs SECONDS: the file's pg_sleep runs
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep($1)%'")" = 1 ]
}
sleeping() { poll 30 sleep_runs "$1"; }
# a file that runs until the test opens its gate: the checks made while
# it runs do not race a fixed sleep on a loaded machine
gated() {	# gated VERSION_NAME
	q "CREATE SCHEMA IF NOT EXISTS t34;
	    CREATE TABLE IF NOT EXISTS t34.gate (name text)" >/dev/null
	cat >"migrations/$1.sql" <<-EOF
	DO \$\$ BEGIN
	    WHILE NOT EXISTS (SELECT FROM t34.gate WHERE name = '$1') LOOP
	        PERFORM pg_sleep(0.05);
	    END LOOP;
	END \$\$;
	EOF
	echo "SELECT 1;" >"migrations/$1_rollback.sql"
}
gate_runs() {	# gate_runs VERSION_NAME: its file runs
	[ "$(q "SELECT count(*) FROM pg_stat_activity
	    WHERE query LIKE 'DO \$\$ BEGIN%t34.gate WHERE name = ''$1''%'")" = 1 ]
}
gate_open() { q "INSERT INTO t34.gate VALUES ('$1')" >/dev/null; }
applied() {
	q "SELECT count(*) FROM migrated_versions WHERE version = '$1' AND NOT dirty" 2>/dev/null
}

notify_listen "$T/notify.sock" "$T/notify.log"

slow 20240101_000000_slow_one 3
start_daemon
out=$(ctl up 2>&1); rc=$?
is "first up: exit 0" "$rc" 0
# that first up ran the slow file; start over with a fresh one
is "first up applied" "$(applied 20240101_000000)" 1

gated 20240102_000000_slow_two
seen 20240102_000000_slow_two
like "watcher: status reports the new file" "$(ctl --json status)" \
    '"status":"[^"]*1 enhancement pending: 20240102_000000_slow_two'
wait_until 30 grep -q "STATUS=.*1 enhancement pending: 20240102_000000_slow_two" notify.log
like "watcher: STATUS= line reports it" "$(cat notify.log)" \
    "STATUS=.*1 enhancement pending: 20240102_000000_slow_two"

# a file that does not parse: status names it at file:line:col
printf 'SELECT 1;\nCREAT TABLE x (;\n' >migrations/20240102_000001_broken.sql
wait_until 30 status_says "$SOCK" "'20240102_000001_broken.sql' in (d['data']['last_error'] or '')"
like "watcher: a syntax error in the status, positioned" "$(ctl status)" \
    "error: migrations/20240102_000001_broken.sql:2:1: syntax error at or near \"CREAT\""
like "watcher: the error logged" "$(cat daemon.log)" \
    "refresh: migrations/20240102_000001_broken.sql:2:1: "
rm migrations/20240102_000001_broken.sql
wait_until 30 status_says "$SOCK" "d['data']['last_error'] is None"
unlike "watcher: error gone once the file is gone" "$(ctl status)" "error:"

ctl up >up.out 2>&1 &
UPID=$!; track $UPID
ok "up is running" wait_busy
# progress is batched when files are small, never held back: the start
# of a long file reaches the client while the file runs
start_shown() {
	grep -q "start up slow_two" up.out &&
	    gate_runs 20240102_000000_slow_two
}
ok "the long file's start is shown while it runs" poll 30 start_shown
t0=$(ms_now); ctl status >st.out; t1=$(ms_now)
like "status during a long up answers in ms ($((t1 - t0)) ms)" \
    "$((t1 - t0))" '^[0-9]{1,2}$|^1[0-9]{2}$'
like "status shows what runs" "$(cat st.out)" "busy: +up since .* \(uid 0\)"
t0=$(ms_now); out=$(ctl up 2>&1); rc=$?; t1=$(ms_now)
is "second up: exit 1" "$rc" 1
like "second up: busy since" "$out" "error: busy: up in progress since [0-9T:-]+Z"
like "busy comes at once ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,3}$'
out=$(ctl --json down --yes 2>&1)
like "down while busy: code busy" "$out" '"code":"busy"'
gate_open 20240102_000000_slow_two
wait $UPID; rc=$?
is "the first up succeeded" "$rc" 0
like "progress streamed to the client" "$(cat up.out)" "20240102_000000|slow_two"
is "slow_two applied" "$(applied 20240102_000000)" 1

# a client that disconnects mid-operation does not cancel it
gated 20240103_000000_slow_three
seen 20240103_000000_slow_three
# the client sends up, waits until the daemon runs it, and hangs up
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"cmd\":\"up\"}\n")
end = time.monotonic() + 30
while time.monotonic() < end:
    t = socket.socket(socket.AF_UNIX); t.connect(sys.argv[1])
    t.sendall(b"{\"cmd\":\"status\"}\n"); t.settimeout(30)
    r = b""
    while not r.endswith(b"\n"):
        r += t.recv(65536)
    t.close()
    if b"\"busy\":{\"op\":\"up\"" in r:
        break
    time.sleep(0.02)
s.close()' "$SOCK"
ok "up still running after the client left" wait_busy
ok "its file still runs" gate_runs 20240103_000000_slow_three
gate_open 20240103_000000_slow_three
wait_until 60 status_says "$SOCK" "d['data']['busy'] is None"
is "the abandoned up finished" "$(applied 20240103_000000)" 1
ok "daemon still serving" ctl status

# SIGTERM during a long migration: it finishes, exit 0
slow 20240104_000000_slow_four 3
seen 20240104_000000_slow_four
ctl up >up4.out 2>&1 &
CPID=$!; track $CPID
ok "up running before SIGTERM" wait_busy
ok "its statement runs" sleeping 3
t0=$(ms_now)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
is "SIGTERM during up: exit 0" "$rc" 0
wait $CPID
is "the client of that up still got its result (exit 0)" "$?" 0
is "the running migration finished and was recorded" \
    "$(applied 20240104_000000)" 1
like "waited for it ($((t1 - t0)) ms)" "$((t1 - t0))" '^[1-9][0-9]{3}$'
like "stop logged with what it waits for" "$(cat daemon.log)" \
    "SIGTERM: stopping once the current transaction of up"

# a second signal cancels the running statement and exits non-zero
start_daemon
slow 20240105_000000_slow_five 60
seen 20240105_000000_slow_five
ctl up >/dev/null 2>&1 & track $!
ok "up running before two signals" wait_busy
ok "its statement runs" sleeping 60
t0=$(ms_now)
kill -TERM $DPID
# the second signal once the first has been taken: by this daemon (the
# log also holds the line of the daemon stopped above)
first_taken() { [ "$(grep -c 'SIGTERM: stopping once' daemon.log)" -ge 2 ]; }
wait_until 30 first_taken
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
unlike "second signal: non-zero exit ($rc)" "$rc" '^0$'
like "second signal: quick ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
like "second signal: cancel logged" "$(cat daemon.log)" \
    "SIGTERM again: cancelling the running statement"
is "the cancelled migration is not recorded as applied" \
    "$(applied 20240105_000000)" 0

# apply: when-pending: the watcher applies a new file on its own
rm -f migrations/20240105_000000_slow_five*
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
apply: when-pending
EOF
"$MIGRATED" -c cfg.yaml >>daemon.log 2>&1 &
DPID=$!; track $DPID
ok "when-pending daemon ready" ctl wait-ready --timeout 30
slow 20240106_000000_auto 0
auto_applied() { [ "$(applied 20240106_000000)" = 1 ]; }
wait_until 60 auto_applied
is "when-pending: the watcher applied the new file" "$(applied 20240106_000000)" 1
like "when-pending: recorded as the daemon's work" \
    "$(q "SELECT applied_by FROM migrated_versions WHERE version = '20240106_000000'")" \
    'migrated|daemon'
kill -TERM $DPID; wait $DPID
is "when-pending daemon exits 0" "$?" 0

kill $LPID 2>/dev/null; wait $LPID 2>/dev/null
true
