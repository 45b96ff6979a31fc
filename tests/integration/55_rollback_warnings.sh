# 55_rollback_warnings.sh - a rollback that does not parse is a warning in
# `status` (naming file, line and column), found by the daemon's own check
# of the folder (at start, and when the watcher sees the folder change),
# never by status itself; it blocks nothing forward, and is an error only
# when `down` is about to run it.  Fixed, the warning goes.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
M=migrations
for i in 1 2 3; do
	echo "CREATE TABLE rw_t$i (id int PRIMARY KEY);" \
	    >$M/2024010${i}_000000_t$i.sql
	echo "DROP TABLE rw_t$i;" >$M/2024010${i}_000000_t${i}_rollback.sql
done
# a rollback psql rejects too: line 2, column 6
printf -- '-- undo t2\nDROP TABLEE rw_t2;\n' >$M/20240102_000000_t2_rollback.sql
SOCK=$T/rw.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
"$MIGRATED" --database "dbname=$TESTDB" --models models --migrations $M \
    --socket "$SOCK" >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready (a broken rollback does not stop the start)" \
    ctl wait-ready --timeout 30
warns() { daemon_json "$SOCK" "d['data']['enhancements']['warnings']"; }
is "status: the warning from the start's check, file:line:col" "$(warns)" \
    "migrations/20240102_000000_t2_rollback.sql:2:6: syntax error at or near \"TABLEE\""
out=$(ctl status 2>&1); rc=$?
is "status (text): exit 0" "$rc" 0
like "status (text): a warning line" "$out" \
    "warning migrations/20240102_000000_t2_rollback.sql:2:6: syntax error at or near \"TABLEE\" \(rollback-syntax\)"
out=$(ctl up 2>&1)
is "up is not blocked by it" "$?" 0
is "up: all three applied" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'rw_t_'")" 3
ok "after up, status still warns" status_says "$SOCK" \
    "len(d['data']['enhancements']['warnings']) == 1"
out=$(ctl down 2 --yes 2>&1); rc=$?
is "down 2: refused at the broken rollback" "$rc" 1
like "down 2: names file, line and column" "$out" \
    "20240102_000000_t2_rollback.sql:2:6: syntax error at or near \"TABLEE\""
is "down 2: nothing rolled back (it checks both first)" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname LIKE 'rw_t_'")" 3

# fixed: the watcher's check clears the warning
printf -- '-- undo t2\nDROP TABLE rw_t2;\n' >$M/20240102_000000_t2_rollback.sql
ok "fixed: the warning goes" poll 30 status_says "$SOCK" \
    "d['data']['enhancements']['warnings'] == []"
unlike "fixed: status (text) has no warning line" "$(ctl status 2>&1)" \
    "warning migrations/"
# another one broken while the daemon runs: the watcher finds it
printf 'DROP TABLE rw_t3\n  CASCADEE;\n' >$M/20240103_000000_t3_rollback.sql
ok "broken while running: status warns" poll 30 status_says "$SOCK" \
    "d['data']['enhancements']['warnings'] == ['migrations/20240103_000000_t3_rollback.sql:2:3: syntax error at or near \"CASCADEE\"']"
out=$(ctl check 2>&1)
is "check: a broken rollback is not a failed check" "$?" 0
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0
