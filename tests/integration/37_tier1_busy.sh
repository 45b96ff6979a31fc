# 37_tier1_busy.sh - a reload whose tier 1 waits for the advisory lock that
# another session holds: status still answers, a second mutating command
# is busy, and SIGTERM reaches tier 1 like tier 2: the wait for the lock
# ends at once, nothing applied.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
cat >models/notes.yaml <<'EOF'
table: notes
columns:
  id:   { type: bigint, primary_key: true }
  body: { type: text }
EOF

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!
ok "ready" ctl wait-ready --timeout 30

# another session holds the migration lock (DB_LOCK_KEY) for a while
psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!
for i in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
	sleep 0.1
done
cat >>models/notes.yaml <<'EOF'
  added: { type: text }
EOF
ctl reload >reload.out 2>&1 &
RPID=$!
for i in $(seq 50); do
	ctl --json status | grep -q '"busy":{"op":"reload"' && break
	sleep 0.1
done
like "reload waits for the lock: busy" "$(ctl --json status)" '"busy":\{"op":"reload"'
t0=$(ms_now); ctl status >/dev/null; t1=$(ms_now)
like "status meanwhile in ms ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,3}$'
out=$(ctl --json up 2>&1)
like "up meanwhile: busy" "$out" '"code":"busy".*"busy: reload in progress since'

# the stop flag reaches tier 1: waiting for the lock, it gives up at once
t0=$(ms_now)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
is "one SIGTERM stops the wait for the lock: exit 0" "$rc" 0
like "stopped within a poll of the lock ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
like "the wait was interrupted, not abandoned" "$(cat daemon.log)" \
    "interrupted while waiting for the advisory lock"
unlike "no grace-period exit" "$(cat daemon.log)" "exiting anyway"
wait $RPID
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
is "the waiting change was not applied" \
    "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'added'")" 0
