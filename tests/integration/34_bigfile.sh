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

# another file: the whole folder is parsed again; SIGTERM meanwhile
echo "SELECT 1;" >"$T/small.tmp"
mv "$T/small.tmp" migrations/20240102_000000_small.sql
wait_until 60 seen 20240102_000000_small.sql
t0=$(ms_now)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
is "SIGTERM during the parse: exit 0" "$rc" 0
is "the parse was given up, not finished" "$(checked)" 1
like "stopped at once ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
like "stop logged" "$(cat daemon.log)" "stopped \(exit 0\)"
