# 34_bigfile.sh - issue 12 item 6: a huge migration file (here a million
# one-line INSERTs, about 30 MB) dropped into the folder is parsed and
# linted on a pool thread: status and log are answered while it is
# parsed, an error at its last line is reported at that line, and SIGTERM
# during the parse stops the daemon at once (exit 0).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
N=1000000
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
# big NAME LAST: N one-line INSERTs then LAST, written aside, moved in whole
big() {
	awk -v n="$N" -v last="$2" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "INSERT INTO big VALUES (%d);\n", i
		print last }' >"$T/big.tmp"
	mv "$T/big.tmp" "migrations/$1"
}
seen() { grep -q "migrations folder changed ('$1'): revalidating" daemon.log; }
checked() { grep -c "^.*\(migrations folder validated\|refresh: \)" daemon.log; }

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >>daemon.log 2>&1 &
DPID=$!; track $DPID
ctl wait-ready --timeout 30 >/dev/null

# a syntax error on the last line, a million statements down
big 20240101_000000_big.sql "INSERT INTO big VALUES (1) (2);"
wait_until 60 seen 20240101_000000_big.sql
t0=$(ms_now); ctl status >st.out 2>&1; rc1=$?; t1=$(ms_now)
ctl log >log.out 2>&1; rc2=$?; t2=$(ms_now)
during=$(checked)
is "status during the parse: exit 0 ($((t1 - t0)) ms)" "$rc1" 0
is "log during the parse: exit 0 ($((t2 - t1)) ms)" "$rc2" 0
is "both answered before the parse ended" "$during" 0
wait_until 300 status_says "$SOCK" \
    "'20240101_000000_big.sql' in (d['data']['last_error'] or '')"
like "the error names the last line and column" "$(ctl status)" \
    "error: migrations/20240101_000000_big.sql:$((N + 1)):28: syntax error at or near \"\(\""
is "logged once" "$(checked)" 1
ok "the daemon still serves" ctl log
like "the file is pending" "$(ctl status)" "1 pending: 20240101_000000_big"

# a reload parses the folder too, off the loop: status answers while it
# runs (busy with the reload), which then fails at the same line
reloading() { grep -c "reload: checking the configuration" daemon.log; }
refused() { grep -c "reload failed, keeping the old configuration" daemon.log; }
reloads_started() { [ "$(reloading)" -ge "$1" ]; }
reloads_refused() { [ "$(refused)" -ge "$1" ]; }
ctl reload >reload.out 2>&1 &
RL=$!; track $RL
wait_until 60 reloads_started 1
t0=$(ms_now); ctl --json status >st.out 2>&1; rc1=$?; t1=$(ms_now)
during=$(refused)
is "status during migratectl reload: exit 0 ($((t1 - t0)) ms)" "$rc1" 0
like "it says a reload runs" "$(cat st.out)" '"busy":\{"op":"reload"'
is "answered before the reload's parse ended" "$during" 0
ok "the reload's client still waits" kill -0 $RL
wait $RL; rc=$?
is "the reload fails: exit 1" "$rc" 1
like "at the file's last line" "$(cat reload.out)" \
    "migrations/20240101_000000_big.sql:$((N + 1)):28: syntax error"
like "still serving, on the old configuration" "$(ctl status)" \
    "1 pending: 20240101_000000_big"

# SIGHUP alike
kill -HUP $DPID
wait_until 60 reloads_started 2
t0=$(ms_now); ctl --json status >st.out 2>&1; rc1=$?; t1=$(ms_now)
during=$(refused)
is "status during a SIGHUP reload: exit 0 ($((t1 - t0)) ms)" "$rc1" 0
like "it says a reload runs" "$(cat st.out)" '"busy":\{"op":"reload"'
is "answered before the reload's parse ended" "$during" 1
wait_until 300 reloads_refused 2
ok "the daemon still serves" ctl status

# SIGTERM during a reload's parse: given up, exit 0 at once
kill -HUP $DPID
wait_until 60 reloads_started 3
t0=$(ms_now)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
is "SIGTERM during the reload's parse: exit 0" "$rc" 0
is "the reload was given up, not finished" "$(refused)" 2
like "stopped at once ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
like "the stop is logged" "$(cat daemon.log)" "reload given up: stopped while parsing"

# a new daemon, without the huge file at its start
mv migrations/20240101_000000_big.sql "$T/big.keep"
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >>daemon.log 2>&1 &
DPID=$!; track $DPID
ctl wait-ready --timeout 30 >/dev/null

# the huge file back, another file: the whole folder is parsed again,
# and by `up` on the worker; SIGTERM meanwhile stops both parses
mv "$T/big.keep" migrations/20240101_000000_big.sql
echo "SELECT 1;" >"$T/small.tmp"
mv "$T/small.tmp" migrations/20240102_000000_small.sql
wait_until 60 seen 20240102_000000_small.sql
# the worker idle (the folder read), so that up starts parsing at once
wait_until 60 status_says "$SOCK" "'20240102_000000_small' in \
    d['data']['enhancements']['pending'] and d['data']['jobs'] == 0"
ctl up >up.out 2>&1 &
UP=$!; track $UP
wait_until 60 grep -q "up requested by uid" daemon.log
t0=$(ms_now)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
wait $UP
is "SIGTERM during the parse: exit 0" "$rc" 0
is "the parse was given up, not finished" "$(checked)" 1
like "up's parse was given up too, before its end" "$(cat up.out)" \
    "stopped while parsing '.*20240101_000000_big.sql' at line [0-9]+"
like "stopped at once ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
is "both stops logged" "$(grep -c "stopped (exit 0)" daemon.log)" 2
