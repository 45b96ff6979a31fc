# 41_audit_actions.sh - every kind of action lands in the audit table through
# the real daemon, and a change and its row commit in one transaction (the
# row's xmin is the xmin of what the change wrote): daemon.start, tier1.plan,
# tier1.apply, tier1.refuse, daemon.reload, tier2.apply, tier2.rollback,
# tier2.force, tier2.fail, daemon.stop; the chain verifies at the end.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/a.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
rows() { q "SELECT count(*) FROM migrated_audit WHERE action = '$1' ${2:-}"; }

cat >models/box.yaml <<'EOF'
table: box
columns:
  id:   { type: int, primary_key: true }
  name: text
EOF
cat >migrations/20240201_add_label.sql <<'EOF'
CREATE TABLE label (id int PRIMARY KEY, box_id int);
EOF
echo 'DROP TABLE label;' >migrations/20240201_add_label_rollback.sql
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
EOF

"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" ctl wait-ready --timeout 20
is "daemon.start recorded" "$(rows daemon.start)" 1
is "tier1.plan recorded once" "$(rows tier1.plan)" 1
is "tier1.apply for the new table, by the daemon" \
    "$(rows tier1.apply "AND target = 'public.box' AND ok AND actor = 'daemon'")" 1
is "tier1.apply commits in the transaction that created the table" \
    "$(q "SELECT a.xmin = c.xmin FROM migrated_audit a, pg_class c WHERE a.action = 'tier1.apply' AND a.target = 'public.box' AND c.oid = 'public.box'::regclass")" t

# a hazardous model change is refused on reload: recorded, nothing changed
q "INSERT INTO box VALUES (1, NULL)" >/dev/null
sed -i 's/  name: text/  name: { type: text, not_null: true }/' models/box.yaml
ok "reload" ctl reload
is "daemon.reload recorded" "$(rows daemon.reload)" 1
is "tier1.refuse recorded with the reason" \
    "$(rows tier1.refuse "AND NOT ok AND target = 'public.box.name' AND detail LIKE '%NOT NULL%'")" 1
is "the refused change was not made" \
    "$(q "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'box'::regclass AND attname = 'name'")" f

# tier 2: apply, roll back, force, fail
ok "up" ctl up
is "tier2.apply recorded, by the peer" \
    "$(rows tier2.apply "AND ok AND actor = 'peer' AND uid = $(id -u) AND checksum IS NOT NULL")" 1
is "tier2.apply commits with the tracking row" \
    "$(q "SELECT a.xmin = s.xmin FROM migrated_audit a, migrated_versions s WHERE a.action = 'tier2.apply' AND s.version = '20240201'")" t
ok "down" ctl down --yes
is "tier2.rollback recorded" "$(rows tier2.rollback "AND ok")" 1
is "the rollback ran" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'label'")" 0
ok "force" ctl force 20240201 --yes
is "tier2.force recorded" "$(rows tier2.force "AND ok AND target LIKE '20240201%'")" 1
printf 'CREATE TABLE half (id int);\nSELECT 1/0;\n' >migrations/20240302_fails.sql
echo 'SELECT 1;' >migrations/20240302_fails_rollback.sql
wait_until 30 pending_has "$SOCK" 20240302_fails	# the watcher saw it
ctl up >/dev/null 2>&1
is "tier2.fail recorded after the rollback, with the SQLSTATE" \
    "$(rows tier2.fail "AND NOT ok AND sqlstate = '22012'")" 1
is "the failed file left nothing" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'half'")" 0

kill -TERM "$dpid"
wait "$dpid"
is "daemon exits 0" "$?" 0
is "daemon.stop recorded" "$(rows daemon.stop)" 1
"$MIGRATED" -c cfg.yaml >daemon2.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready again" ctl wait-ready --timeout 20
like "audit verify: the chain is intact" "$(ctl audit verify 2>&1)" "intact: +yes"
kill -TERM "$dpid"; wait "$dpid"
