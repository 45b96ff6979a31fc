# 37_tier1_stop_whole.sh - tier 1 on the one runner keeps its promises
# under a stop: a change's audit record commits with its last step (a
# refused record undoes the change), a SIGTERM does not split a change
# between CREATE UNIQUE INDEX CONCURRENTLY and ADD CONSTRAINT ... USING
# INDEX (the next run then had "already exists"), and one SIGTERM during
# start-up's tier 1 is a clean stop (exit 0), not a failed start.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
audit_table_ready

mkdir -p m migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
printf 'database: "dbname=%s"\nmodels: m\nmigrations: migrations\nsocket: { path: "%s" }\ntimeouts: { lock: 60s, lock_retries: 0 }\n' \
    "$TESTDB" "$SOCK" >c.yaml
model() {
	cat >m/notes.yaml <<'YAML'
table: notes
columns:
  id:   { type: bigint, primary_key: true }
  body: { type: text }
YAML
}
model
ok "create" "$MIGRATED" -c c.yaml --once

# 1. the record of an ONLINE change commits with its last step
q "CREATE FUNCTION no_apply() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
     IF NEW.action = 'tier1.apply' AND NEW.target LIKE 'public.notes.notes_%' THEN
       RAISE EXCEPTION 'audit insert refused'; END IF; RETURN NEW; END \$\$;
   CREATE TRIGGER no_apply BEFORE INSERT ON migrated_audit FOR EACH ROW
     EXECUTE FUNCTION no_apply()" >/dev/null
printf 'unique:\n  - [body]\n' >>m/notes.yaml
fails_with "a refused record fails the change" 1 "$MIGRATED" -c c.yaml --once
is "the key is not there without its record" \
    "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'notes_body_key'")" 0
q "DROP TRIGGER no_apply ON migrated_audit" >/dev/null
ok "the next run adds it" "$MIGRATED" -c c.yaml --once
is "and records it" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier1.apply' AND target = 'public.notes.notes_body_key' AND ok")" 1
q "ALTER TABLE notes DROP CONSTRAINT notes_body_key" >/dev/null

# an application transaction that wrote to the table holds up the build
# (hold_writer, release_writers: testlib)
cic_waits() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE UNIQUE INDEX CONCURRENTLY%' AND wait_event_type IS NOT NULL")" = 1 ]
}

# 2. a SIGTERM while a reload builds the key's index: the change finishes
model
"$MIGRATED" -c c.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
hold_writer notes "1, 'x1'"
printf 'unique:\n  - [body]\n' >>m/notes.yaml
ctl reload >reload.out 2>&1 &
RPID=$!; track $RPID
ok "reload: the unique index is being built" poll 30 cic_waits
kill -TERM $DPID
ok "reload: first SIGTERM seen" poll 30 grep -q "SIGTERM: stopping" daemon.log
release_writers
wait $DPID; rc=$?
is "reload: one SIGTERM, a clean stop" "$rc" 0
wait $RPID 2>/dev/null
is "reload: the change was finished, not split" \
    "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'notes_body_key'")" 1
out=$("$MIGRATED" -c c.yaml --once 2>&1); rc=$?
is "reload: the next run has nothing to do" "$rc" 0
like "reload: up to date" "$out" "tier 1: up to date"

# 3. one SIGTERM during start-up's tier 1 is a clean stop
q "ALTER TABLE notes DROP CONSTRAINT notes_body_key" >/dev/null
hold_writer notes "2, 'x2'"
"$MIGRATED" -c c.yaml >daemon2.log 2>&1 &
DPID=$!; track $DPID
ok "start-up: the unique index is being built" poll 30 cic_waits
kill -TERM $DPID
ok "start-up: first SIGTERM seen" poll 30 grep -q "SIGTERM: stopping" daemon2.log
release_writers
wait $DPID; rc=$?
is "start-up: one SIGTERM during tier 1 exits 0" "$rc" 0
unlike "start-up: not logged as degraded" "$(cat daemon2.log)" "degraded"
