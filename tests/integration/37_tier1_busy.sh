# 37_tier1_busy.sh - a reload whose tier 1 waits for the advisory lock that
# another session holds: status still answers, a second mutating command
# is busy, SIGTERM waits, and a second SIGTERM (whose cancel cannot reach
# tier 1's own connections) still ends the daemon, non-zero, within the
# grace period.
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
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

# another session holds the migration lock (DB_LOCK_KEY) for a while
psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!; track $HOLDER
lock_held() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ]; }
wait_until 30 lock_held
cat >>models/notes.yaml <<'EOF'
  added: { type: text }
EOF
ctl reload >reload.out 2>&1 &
RPID=$!; track $RPID
wait_until 30 status_says "$SOCK" "(d['data']['busy'] or {}).get('op') == 'reload'"
like "reload waits for the lock: busy" "$(ctl --json status)" '"busy":\{"op":"reload"'
t0=$(ms_now); ctl status >/dev/null; t1=$(ms_now)
like "status meanwhile in ms ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,3}$'
out=$(ctl --json up 2>&1)
like "up meanwhile: busy" "$out" '"code":"busy".*"busy: reload in progress since'

t0=$(ms_now)
kill -TERM $DPID
wait_until 30 grep -q "SIGTERM: stopping" daemon.log
ok "after one SIGTERM the daemon waits" kill -0 $DPID
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(ms_now)
is "second SIGTERM: exit 1" "$rc" 1
like "ended within the grace period ($((t1 - t0)) ms)" "$((t1 - t0))" '^[0-9]{1,4}$'
like "grace logged" "$(cat daemon.log)" \
    "did not stop within 5000 ms after the second signal: exiting anyway"
wait $RPID
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
is "the waiting change was not applied" \
    "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'added'")" 0
