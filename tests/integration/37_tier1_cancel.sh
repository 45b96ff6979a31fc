# 37_tier1_cancel.sh - tier 1 runs on the daemon's own worker connection,
# so signals reach it as they reach tier 2: one SIGTERM lets the running
# statement finish (here a CREATE INDEX CONCURRENTLY waiting for an open
# transaction), a second one cancels it and the daemon exits 1 at once,
# the failure audited; the invalid index left behind is rebuilt by the
# next run.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p m migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
printf 'database: "dbname=%s"\nmodels: m\nmigrations: migrations\nsocket: { path: "%s" }\ntimeouts: { lock: 60s, lock_retries: 0 }\n' \
    "$TESTDB" "$SOCK" >c.yaml
cat >m/notes.yaml <<'YAML'
table: notes
columns:
  id:   { type: bigint, primary_key: true }
  body: { type: text }
YAML
"$MIGRATED" -c c.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

# an application transaction that has written to the table stays open:
# CREATE INDEX CONCURRENTLY waits for it
hold_writer notes "1, 'x'"
cat >>m/notes.yaml <<'YAML'
indexes:
  - { name: notes_body_idx, columns: [body] }
YAML
ctl reload >reload.out 2>&1 &
RPID=$!; track $RPID
cic_waits() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type IS NOT NULL")" = 1 ]
}
ok "tier 1 builds the index, waiting for the open transaction" poll 30 cic_waits

kill -TERM $DPID
ok "first SIGTERM seen" poll 30 grep -q "SIGTERM: stopping" daemon.log
ok "first SIGTERM: the daemon waits for the running statement" kill -0 $DPID
ok "first SIGTERM: the statement still runs" cic_waits

t0=$(date +%s)
kill -TERM $DPID
wait $DPID; rc=$?
t1=$(date +%s)
is "second SIGTERM cancels tier 1's statement: exit 1" "$rc" 1
like "the daemon did not wait for the open transaction ($((t1 - t0)) s)" \
    "$((t1 - t0))" '^([0-9]|1[0-9])$'
like "the cancel was logged" "$(cat daemon.log)" "cancelling the running statement"
like "tier 1 says what it could not do" "$(cat daemon.log)" \
    "cannot add index 'public.notes_body_idx'"
unlike "no grace-period exit" "$(cat daemon.log)" "exiting anyway"
wait $RPID
is "the failure is audited" \
    "$(q "SELECT ok FROM migrated_audit WHERE action = 'tier1.fail' AND target = 'public.notes_body_idx'")" f
is "an invalid index is left for the next run" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")" f
release_writers
ok "the next run rebuilds it" "$MIGRATED" -c c.yaml --once
is "the index is valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'notes_body_idx'::regclass")" t
