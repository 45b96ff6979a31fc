# 42_audit_split.sh - issue 12 item 12: the audit table's privilege split
# (contrib/audit-owner.sql) and the chain's head kept outside the
# database.  Before the split the daemon's role owns the table and can
# disable its trigger; after it, the daemon still starts and writes rows,
# but its role can neither disable the trigger nor UPDATE, DELETE or
# TRUNCATE.  The daemon records its newest row in STATE_DIR/audit-head and
# the journal; deleting the newest rows as superuser leaves an intact
# chain that only the recorded head shows: `audit verify` fails naming the
# missing rows, and a restart does not paper over it.  A role without
# INSERT is refused at start with the privilege it lacks.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

ROOT=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -f "$ROOT/contrib/audit-owner.sql" ] || ROOT=$OLDPWD
R=mig_$TESTDB
OWN=audit_owner_$TESTDB
SOCK=$T/split.sock
mkdir -p models migrations state
chmod 700 state
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
as_daemon_role() { psql -qAtX -v ON_ERROR_STOP=1 -U "$R" -d "$TESTDB" -c "$1" 2>&1; }
head_id() { sed -n 's/^id //p' state/audit-head 2>/dev/null; }
start() {
	"$MIGRATED" -c cfg.yaml >>daemon.log 2>&1 &
	dpid=$!; track $dpid
}
stop() { kill -TERM "$dpid"; wait "$dpid"; }

q "CREATE ROLE $R LOGIN; GRANT CREATE ON SCHEMA public TO $R;
   GRANT CREATE ON DATABASE $TESTDB TO $R" >/dev/null
cat >cfg.yaml <<EOF2
database: "dbname=$TESTDB user=$R"
models: $T/models
migrations: $T/migrations
state_dir: $T/state
socket: { path: $SOCK, mode: 0600 }
EOF2
echo "CREATE TABLE notes (id int PRIMARY KEY);" \
    >migrations/20240110_000000_notes.sql

# before the split: the daemon's role owns the table, and says so
start
ok "daemon ready (creates the audit table)" ctl wait-ready --timeout 20
like "the daemon warns that its role owns the table" "$(cat daemon.log)" \
    "audit table \"public\".\"migrated_audit\" is owned by \"$R\", which this daemon's role \"$R\" can act as"
out=$(as_daemon_role "ALTER TABLE migrated_audit DISABLE TRIGGER migrated_append_only; ALTER TABLE migrated_audit ENABLE TRIGGER migrated_append_only"); rc=$?
is "unsplit: the owning role can disable the trigger (the problem)" "$rc" 0
stop
is "daemon stopped" "$?" 0

# the split
out=$(psql -qAtX -d "$TESTDB" -v daemon_role="$R" -v owner="$OWN" \
    -f "$ROOT/contrib/audit-owner.sql" 2>&1); rc=$?
is "audit-owner.sql: exit 0" "$rc" 0
like "audit-owner.sql: says what it did" "$out" "is owned by $OWN"
is "the table belongs to the owner role" \
    "$(q "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'migrated_audit'::regclass")" "$OWN"
out=$(psql -qAtX -d "$TESTDB" -v daemon_role="$R" -v owner="$OWN" \
    -f "$ROOT/contrib/audit-owner.sql" 2>&1); rc=$?
is "audit-owner.sql: safe to run again" "$rc" 0

# after it: the daemon starts and works
start
ok "split: daemon ready" ctl wait-ready --timeout 20
like "split: the daemon says its role only adds rows" "$(cat daemon.log)" \
    "is owned by \"$OWN\"; this daemon's role \"$R\" may only add and read rows"
out=$(ctl up 2>&1); rc=$?
is "split: up applies (exit 0)" "$rc" 0
is "split: its row was written" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND target = '20240110_000000_notes' AND ok")" 1
for sql in "ALTER TABLE migrated_audit DISABLE TRIGGER migrated_append_only" \
    "UPDATE migrated_audit SET ok = true" "DELETE FROM migrated_audit" \
    "TRUNCATE migrated_audit"; do
	out=$(as_daemon_role "$sql"); rc=$?
	is "split: the daemon's role cannot: $sql" "$rc" 1
	like "split: refused for privilege: $sql" "$out" \
	    "must be owner of table migrated_audit|permission denied for table migrated_audit"
done
out=$(as_daemon_role "CREATE OR REPLACE FUNCTION migrated_append_only() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'"); rc=$?
is "split: nor replace the guard function" "$rc" 1

# the head, outside the database
newest=$(q "SELECT max(id) FROM migrated_audit")
is "the newest row is recorded in the state folder" "$(head_id)" "$newest"
like "and in the journal" "$(cat daemon.log)" \
    "audit head: row $newest $(q "SELECT hash FROM migrated_audit WHERE id = $newest")"
is "the head file is private" "$(stat -c %a state/audit-head)" 600
out=$(ctl audit verify 2>&1); rc=$?
is "verify: intact, exit 0" "$rc" 0

# a superuser deletes the newest two rows: the chain itself stays intact
q "ALTER TABLE migrated_audit DISABLE TRIGGER migrated_append_only;
   DELETE FROM migrated_audit WHERE id > $((newest - 2));
   ALTER TABLE migrated_audit ENABLE TRIGGER migrated_append_only" >/dev/null
out=$(ctl audit verify 2>&1); rc=$?
is "deleted tail: verify exits 1" "$rc" 1
like "deleted tail: names the missing rows" "$out" \
    "rows $((newest - 1)) to $newest are missing \(the table ends at row $((newest - 2))"

# a restart writes new rows, but does not replace the evidence
stop
start
ok "restarted" ctl wait-ready --timeout 20
is "the recorded head is kept" "$(head_id)" "$newest"
like "the daemon says the recorded row is missing" "$(cat daemon.log)" \
    "audit: row $newest, recorded in $T/state/audit-head, is missing"
out=$(ctl audit verify 2>&1); rc=$?
is "after a restart: verify still exits 1" "$rc" 1
like "after a restart: still names row $newest" "$out" "row $newest"
stop

# a role that may not add rows: refused at start, naming the privilege
q "REVOKE INSERT ON migrated_audit FROM $R" >/dev/null
"$MIGRATED" -c cfg.yaml >start.log 2>&1 &
p=$!; track $p
wait $p; rc=$?
unlike "no INSERT: the daemon does not start" "$rc" '^0$'
like "no INSERT: says which privilege lacks" "$(cat start.log)" \
    "role \"$R\" cannot write audit table \"public\".\"migrated_audit\" \(owned by \"$OWN\"\): it lacks INSERT"
