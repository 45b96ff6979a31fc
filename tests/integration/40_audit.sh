# 40_audit.sh - the audit trail through the real daemon: rows for start and
# stop, an applied and a failed enhancement (the failure recorded after
# its rollback), `migratectl log` in text, JSON and markdown with its
# filters, the append-only trigger, `audit verify` finding a tampered row,
# and the daemon stopping cleanly.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/audit.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }

cat >migrations/20240110_150000_add_notes.sql <<'EOF'
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
COMMENT ON TABLE notes IS 'free-form notes';
EOF
echo 'DROP TABLE notes;' >migrations/20240110_150000_add_notes_rollback.sql
cat >migrations/20240111_090000_clash.sql <<'EOF'
CREATE TABLE clash_half (id int);
CREATE TABLE notes (id int);
EOF
echo 'DROP TABLE clash_half;' >migrations/20240111_090000_clash_rollback.sql
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: { path: $SOCK, mode: 0666 }
access:
  read: { users: [$(id -un)] }
  admin: { users: [$(id -un)] }
EOF

"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" ctl wait-ready --timeout 20
is "start row, by the daemon itself" \
    "$(q "SELECT actor || ' ' || daemon_pid || ' ' || daemon_version FROM migrated_audit WHERE action = 'daemon.start'")" \
    "daemon $dpid $("$MIGRATED" -V 2>/dev/null | awk '{print $NF}' || true)"

# one applied, one failing enhancement
out=$(ctl up 2>&1); rc=$?
is "up with a failing file exits 1" "$rc" 1
is "applied file: its row commits with it" \
    "$(q "SELECT count(*) FROM migrated_audit a WHERE a.action = 'tier2.apply' AND a.ok AND a.target = '20240110_150000_add_notes' AND a.actor = 'peer' AND a.uid = $(id -u) AND a.statements = 2 AND a.checksum IS NOT NULL") $(q "SELECT count(*) FROM pg_class WHERE relname = 'notes'")" \
    "1 1"
is "failed file: rolled back, nothing left of it" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 'clash_half'")" 0
is "failed file: recorded after the rollback" \
    "$(q "SELECT concat_ws('|', ok, sqlstate) FROM migrated_audit WHERE action = 'tier2.fail' AND target = '20240111_090000_clash'")" \
    "f|42P07"

# log: text, newest first
out=$(ctl log); rc=$?
is "log exits 0" "$rc" 0
like "log: newest first" "$(printf '%s\n' "$out" | head -n 1)" \
    "tier2\.fail +20240111_090000_clash +FAIL .*42P07"
like "log: the peer who asked" "$out" \
    "tier2\.apply +20240110_150000_add_notes +ok .*$(id -un)\($(id -u)\)@"
like "log: start at the bottom" "$(printf '%s\n' "$out" | tail -n 1)" \
    "daemon\.start .*daemon@"
out=$(ctl log --version 20240110_150000)
is "log --version: that version only" \
    "$(printf '%s\n' "$out" | grep -c .) $(printf '%s\n' "$out" | grep -c add_notes)" "1 1"
is "log --since 1h: everything" "$(ctl log --since 1h | grep -c .)" \
    "$(q "SELECT count(*) FROM migrated_audit")"
is "log --since in the future: nothing" "$(ctl log --since 2999-01-01 | grep -c .)" 0
out=$(ctl log --since yesterdayish 2>&1); rc=$?
is "log --since garbage: usage error" "$rc" 2
like "log --since garbage: the message" "$out" "invalid time 'yesterdayish'"

# JSON
out=$(ctl --json log --limit 2)
is "log --json: rows with the columns" \
    "$(printf '%s\n' "$out" | json_get "[len(r), r[0]['action'], r[0]['sqlstate'], r[1]['user'], len(r[1]['hash'])] if (r := d['data']['rows']) else []" | tr '\n' ' ')" \
    "2 tier2.fail 42P07 $(id -un) 64 "

# markdown: the folder's versions with their state
out=$(ctl log --markdown)
like "markdown: heading" "$out" "^# Migrations log"
like "markdown: applied version, when and by whom" "$out" \
    "\| 20240110_150000 \| add_notes \| applied \| [0-9-]+ [0-9:]+ \| $(id -un) \(uid $(id -u)\) on "
like "markdown: failed version" "$out" "\| 20240111_090000 \| clash \| failed \|"
like "markdown: history with the error" "$out" \
    "\| fail \| 20240111_090000_clash \| failed: 42P07 "

# append-only, even for the superuser
for sql in "UPDATE migrated_audit SET ok = true" \
    "DELETE FROM migrated_audit" "TRUNCATE migrated_audit"; do
	out=$(q "$sql" 2>&1)
	like "refused: $sql" "$out" \
	    'audit table "public.migrated_audit" is append-only'
done

# verify, tamper, verify
out=$(ctl audit verify); rc=$?
is "verify: intact" "$rc" 0
like "verify: row count" "$out" "rows: +$(q "SELECT count(*) FROM migrated_audit")"
id=$(q "SELECT id FROM migrated_audit WHERE action = 'tier2.fail'")
q "ALTER TABLE migrated_audit DISABLE TRIGGER migrated_append_only;
   UPDATE migrated_audit SET ok = true, sqlstate = NULL WHERE id = $id;
   ALTER TABLE migrated_audit ENABLE TRIGGER migrated_append_only" >/dev/null
out=$(ctl audit verify 2>&1); rc=$?
is "verify after tampering fails" "$rc" 1
like "verify names the tampered row" "$out" \
    "audit chain broken at row $id: row $id does not match its hash"

kill -TERM "$dpid"
wait "$dpid"
is "daemon stopped cleanly" "$?" 0
is "stop row" "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'daemon.stop' AND actor = 'daemon'")" 1
