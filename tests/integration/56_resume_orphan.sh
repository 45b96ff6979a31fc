# 56_resume_orphan.sh - the daemon is killed (kill -9) while a CREATE INDEX
# CONCURRENTLY waits for an application's transaction: PostgreSQL goes on
# with the statement after its client died.  The next daemon's `up`, run
# at once, must wait for that earlier run to end and then count its valid
# index as done; dropping the index meanwhile deadlocked with it (found by
# tests/faults/10_kill_tier2.sh).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
cat >migrations/20260101000001_t.sql <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;
SQL
cat >migrations/20260101000002_idx.sql <<'SQL'
CREATE INDEX CONCURRENTLY t_v ON t (v);
CREATE INDEX CONCURRENTLY t_v2 ON t (v, id);
SQL
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
# The orphan waits for the held writer with the killed daemon's
# lock_timeout: with the default 2 s, a restart slower than that (ASan
# beside a CI run) came after it had given up, and the new up, rightly,
# timed out on the writer instead of waiting for it.
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
timeouts: { lock: 60s }
EOF
start() {
	"$MIGRATED" -c cfg.yaml >>daemon.log 2>&1 &
	DPID=$!; track $DPID
	wait_until 30 ctl wait-ready --timeout 30
}
start
ok "setup applied" ctl up 1
hold_writer t "0, 0"
ctl up >up1.out 2>&1 &
UP=$!; track $UP
building() {	# the index exists, not valid yet: the build waits
	[ "$(q "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 't_v' AND NOT i.indisvalid")" = 1 ]
}
wait_until 30 building
kill -KILL $DPID; wait $DPID 2>/dev/null; wait $UP 2>/dev/null
orphan=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY t_v %' AND state = 'active'")
like "the killed daemon's statement goes on" "$orphan" '^[0-9]+$'
start
ctl up >up2.out 2>&1 &
UP=$!; track $UP
wait_until 30 grep -q "waiting up idx: an earlier run of this statement is still running" up2.out
ok "the new up waits while it runs" kill -0 $UP
release_writers
wait $UP; rc=$?
is "then up completes" "$rc" 0
# say why if not
[ "$rc" = 0 ] || { echo "    up2.out:"; sed 's/^/      /' up2.out
	echo "    daemon.log (tail):"; tail -n 40 daemon.log | sed 's/^/      /'; }
unlike "no deadlock" "$(cat up2.out daemon.log)" "deadlock"
is "both indexes valid" "$(q "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_v', 't_v2') AND i.indisvalid")" 2
is "no invalid index" "$(q "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" 0
is "applied, not dirty" \
    "$(q "SELECT dirty FROM $(tracking_table) WHERE version = '20260101000002'")" f
ok "check is clean" ctl check
kill -TERM $DPID; wait $DPID
