# 38_degraded.sh - the daemon's state is one of starting, ready, degraded,
# stopping, and status, STATUS=, wait-ready and reload agree on it: a
# reload whose tier 1 fails makes a ready daemon "degraded" (not ready:
# wait-ready fails, so an application cannot start on a schema tier 1
# did not reach), `migratectl reload` exits non-zero, systemd hears
# RELOADING=1 then READY=1; a later successful run makes it ready again.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >models/people.yaml <<'YAML'
table: people
columns:
  id:    { type: int, primary_key: true }
  email: { type: text }
YAML
notify_listen "$T/notify.sock" "$T/notify.log"
NOTIFY_SOCKET=$T/notify.sock "$MIGRATED" --database "dbname=$TESTDB" \
    --models models --migrations migrations --socket "$SOCK" \
    >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
like "state: ready" "$(ctl --json status)" '"state":"ready"'

# duplicates make the new unique key fail at apply (not at plan)
q "INSERT INTO people VALUES (1, 'a@x'), (2, 'a@x')" >/dev/null
sed -i 's/  email: { type: text }/  email: { type: text, unique: true }/' models/people.yaml
out=$(ctl reload 2>&1); rc=$?
unlike "reload whose tier 1 fails: non-zero exit" "$rc" '^0$'
like "reload says why" "$out" "people_email_key"
st=$(ctl --json status)
like "state: degraded" "$st" '"state":"degraded"'
like "not ready while degraded" "$st" '"ready":false'
like "the status line says why" "$st" '"status":"degraded: '
fails_with "wait-ready fails while degraded" 1 ctl wait-ready --timeout 1
wait_until 30 grep -q "STATUS=degraded" "$T/notify.log"
# the datagrams that end the reload may reach the listener in either order
reload_ended() { sed -n '/RELOADING=1/,$p' "$T/notify.log" | grep -q READY=1; }
wait_until 30 reload_ended
like "STATUS= says degraded" "$(cat "$T/notify.log")" "STATUS=degraded: "
like "systemd heard the reload start" "$(cat "$T/notify.log")" \
    "RELOADING=1 MONOTONIC_USEC=[0-9]+"
like "and its end" "$(sed -n '/RELOADING=1/,$p' "$T/notify.log")" "READY=1"

# the data fixed, the next reload reaches the models: ready again
q "DELETE FROM people WHERE id = 2" >/dev/null
ok "reload after the fix: exit 0" ctl reload
like "state: ready again" "$(ctl --json status)" '"state":"ready".*'
ok "wait-ready succeeds again" ctl wait-ready --timeout 5
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
kill $LPID 2>/dev/null; wait $LPID 2>/dev/null || true
