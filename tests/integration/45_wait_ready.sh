# 45_wait_ready.sh - migratectl wait-ready sends one status request that
# the daemon holds until it is ready (no polling): the answer comes when
# tier 1 is done, "stopped before it was ready" when the daemon stops
# first, "exited before it was ready" when it exits before it took the
# connection, and the timeout still holds.  Tier 1 is kept from finishing by
# holding migrated's advisory lock while the models ask for a change.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p m migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
printf 'database: "dbname=%s"\nmodels: m\nmigrations: migrations\nsocket: { path: "%s" }\n' \
    "$TESTDB" "$SOCK" >c.yaml
cat >m/notes.yaml <<'YAML'
table: notes
columns:
  id: { type: bigint, primary_key: true }
YAML

hold_lock() {
	psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(7883960004428899684)" \
	    -c "SELECT pg_sleep(120) /* held lock */" >/dev/null 2>&1 &
	HOLDER=$!; track $HOLDER
	wait_until 30 lock_granted
}
lock_granted() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ]; }
# db_lock_take() tries the lock again and again on the "migrated lock"
# connection
lock_waited() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migrated lock' AND query LIKE '%pg_try_advisory_lock%'")" = 1 ]; }
release_lock() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%held lock%' AND pid <> pg_backend_pid()" >/dev/null
	wait $HOLDER 2>/dev/null || true
}

# tier 1 waits for the lock: the daemon answers status, but is not ready
hold_lock
"$MIGRATED" -d -c c.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
"$MIGRATECTL" -s "$SOCK" wait-ready --timeout 60 >wr.out 2>&1 &
WPID=$!; track $WPID
ok "tier 1 waits for the held lock" wait_until 30 lock_waited
ok "wait-ready's request reached the daemon" \
    wait_until 30 grep -q "pid $WPID connected" daemon.log
like "status meanwhile: not ready" "$(ctl --json status)" '"ready":false'
unlike "wait-ready's one request is held, not answered" "$(cat daemon.log)" \
    "pid $WPID disconnected"
ok "wait-ready still waits" kill -0 $WPID

release_lock
wait $WPID; rc=$?
is "wait-ready returns once ready: exit 0" "$rc" 0
is "wait-ready prints ready" "$(cat wr.out)" "ready"
is "one request, no polling" "$(grep -c "pid $WPID connected" daemon.log)" 1
like "status now: ready" "$(ctl --json status)" '"ready":true'
ok "a ready daemon answers wait-ready at once" ctl wait-ready --timeout 5
like "wait-ready --json: the status object" \
    "$(ctl --json wait-ready --timeout 5)" '"cmd":"wait-ready".*"ready":true'
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# the daemon stops before it is ready: wait-ready says so and fails
cat >m/tags.yaml <<'YAML'
table: tags
columns:
  id: { type: bigint, primary_key: true }
YAML
hold_lock
"$MIGRATED" -d -c c.yaml >daemon2.log 2>&1 &
DPID=$!; track $DPID
"$MIGRATECTL" -s "$SOCK" wait-ready --timeout 60 >wr2.out 2>&1 &
WPID=$!; track $WPID
ok "tier 1 waits again" wait_until 30 lock_waited
ok "wait-ready's request held" \
    wait_until 30 grep -q "pid $WPID connected" daemon2.log
kill -TERM $DPID
wait $WPID; rc=$?
is "stopped before ready: exit 1" "$rc" 1
like "stopped before ready: said so" "$(cat wr2.out)" \
    "migrated stopped before it was ready"
wait $DPID

# a timeout shorter than the wait: exit 1, not ready
"$MIGRATED" -d -c c.yaml >daemon3.log 2>&1 &
DPID=$!; track $DPID
ok "tier 1 waits a third time" wait_until 30 lock_waited
out=$(ctl wait-ready --timeout 0.5 2>&1); rc=$?
is "timeout: exit 1" "$rc" 1
like "timeout: not ready after 0.5 s" "$out" "not ready after 0.5 s"
release_lock
ok "ready once the lock is free" ctl wait-ready --timeout 60
ok "... and with --pid, the daemon running" \
    ctl wait-ready --timeout 60 --pid $DPID
is "tier 1 applied the waiting change" \
    "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 'tags'")" 1
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# the daemon exits before it took the connection (its start failed before
# its loop ran: here a Prisma folder whose name is no version, read after
# the socket was made):
# wait-ready says so at once, not once its timeout passed.  The folder's
# read is held (tests/lib/opendir_gate.c, LD_PRELOAD) until wait-ready's
# connection waits in the socket's queue (/proc/net/unix: a second entry
# of the path).
LIB=$(cd "$(dirname "$0")/../lib" 2>/dev/null && pwd)
[ -f "$LIB/opendir_gate.c" ] || LIB=$OLDPWD/tests/lib
cc -shared -fPIC -o gate.so "$LIB/opendir_gate.c" -ldl
mkdir -p dz/init
echo 'SELECT 1;' >dz/init/migration.sql
printf 'database: "dbname=%s"\nmodels: m\nmigrations: %s\nsocket: { path: "%s" }\n' \
    "$TESTDB" "$T/dz" "$SOCK" >dz.yaml
GATE_DIR=$T/dz GATE_FILE=$T/gate.open LD_PRELOAD=$T/gate.so \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$MIGRATED" -d -c dz.yaml >daemon4.log 2>&1 &
DPID=$!; track $DPID
ok "the start's read of the folder held" wait_until 30 test -e gate.open.held
ok "... after the socket was made" test -S "$SOCK"
timeout 120 "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 300 >wr4.out 2>&1 &
WPID=$!; track $WPID
queued() { [ "$(grep -c " $SOCK\$" /proc/net/unix)" -ge 2 ]; }
ok "wait-ready's connection queued" wait_until 30 queued
touch gate.open
wait $WPID; rc=$?
is "exited before ready: exit 1 (124: it waited for its timeout)" "$rc" 1
like "exited before ready: said so, with the pid" "$(cat wr4.out)" \
    "migrated \(pid $DPID\) exited before it was ready"
wait $DPID
is "the daemon exited 78 (the folder refused)" "$?" 78
like "... and said why" "$(cat daemon4.log)" \
    "'init' holds Prisma Migrate's migration.sql but its name does not start with a version"

# --pid: the daemon named from its start (migrated & wait-ready --pid $!)
# fails the wait at once when it exits, also before it made its socket
# (here it may or may not have: either way); a bad --pid is a usage error
rm -f "$SOCK"
"$MIGRATED" -c dz.yaml >daemon5.log 2>&1 &
DPID=$!; track $DPID
out=$(timeout 120 "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 300 \
    --pid $DPID 2>&1); rc=$?
is "--pid: the daemon exits first: exit 1 (124: it waited)" "$rc" 1
like "--pid: said so" "$out" "migrated \(pid $DPID\) exited before it was ready"
wait $DPID
is "--pid: the daemon exited 78" "$?" 78
out=$("$MIGRATECTL" -s "$SOCK" wait-ready --pid 1x 2>&1); rc=$?
is "--pid 1x: usage error (exit 2)" "$rc" 2
like "--pid 1x: named" "$out" "bad --pid '1x'"

# nothing listens: unreachable (exit 4) once the timeout passed
out=$("$MIGRATECTL" -s "$T/none.sock" wait-ready --timeout 0.2 2>&1); rc=$?
is "no daemon: exit 4" "$rc" 4
like "no daemon: says so" "$out" "cannot connect to migrated"
