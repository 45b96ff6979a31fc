# 36_commands.sh - every command through the socket, with the sample
# service's models: status, plan, check, list, validate, up, down, goto,
# force, redo, log (text, JSON, markdown), audit verify, reload, and bad
# files refused at start and on reload.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
cp "$OLDPWD"/models/*.yaml models/ 2>/dev/null
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
mig() {	# mig VERSION_NAME FORWARD ROLLBACK
	printf '%s\n' "$2" >"migrations/$1.sql"
	printf '%s\n' "$3" >"migrations/$1_rollback.sql"
}
mig 20240201_000000_one "CREATE TABLE IF NOT EXISTS t_one (id int);" \
    "DROP TABLE IF EXISTS t_one;"
mig 20240202_000000_two "CREATE TABLE IF NOT EXISTS t_two (id int);" \
    "DROP TABLE IF EXISTS t_two;"

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

ok "status" ctl status
ok "reload" ctl reload

out=$(ctl plan); rc=$?
is "plan: exit 0" "$rc" 0
like "plan of the sample service after start-up: nothing to do" \
    "$out" "no changes|0 safe"
like "plan --json: the plan object" "$(ctl --json plan)" \
    '"data":\{.*"hash":"[0-9a-f]{64}"'

out=$(ctl list)
like "list: both pending" "$out" "20240201_000000 +one +pending"
ok "validate" ctl validate
out=$(ctl up 1 2>&1); rc=$?
is "up 1: exit 0" "$rc" 0
like "up 1: applied one" "$out" "20240201_000000 +one +apply"
is "up 1: t_one exists" "$(q "SELECT to_regclass('t_one') IS NOT NULL")" t
is "up 1: t_two not yet" "$(q "SELECT to_regclass('t_two') IS NULL")" t
like "status after up: the enhancement's table is not drift" \
    "$(ctl status)" "status: +schema in sync; 1 enhancement pending"
out=$(ctl --json up)
like "up --json: the result object" "$out" \
    '"type":"result".*"cmd":"up","ok":true'
like "up --json: progress objects first" "$(echo "$out" | head -n 1)" \
    '"type":"progress"'
out=$(ctl redo --yes 2>&1); rc=$?
is "redo: exit 0" "$rc" 0
like "redo: rolled back and applied" "$out" "rollback"
out=$(ctl goto 20240201_000000 --yes 2>&1); rc=$?
is "goto back: exit 0" "$rc" 0
is "goto back: t_two gone" "$(q "SELECT to_regclass('t_two') IS NULL")" t
out=$(ctl goto 20240202_000000 2>&1); rc=$?
is "goto forward needs no --yes: exit 0" "$rc" 0
out=$(ctl down 2 --yes 2>&1); rc=$?
is "down 2: exit 0" "$rc" 0
is "down 2: t_one gone" "$(q "SELECT to_regclass('t_one') IS NULL")" t
out=$(ctl force 20240202_000000 --yes 2>&1); rc=$?
is "force: exit 0" "$rc" 0
like "force: recorded without running SQL" \
    "$(q "SELECT to_regclass('t_two') IS NULL")" t
like "status after force: nothing pending" "$(ctl status)" \
    "no enhancement pending"

out=$(ctl log --limit 50); rc=$?
is "log: exit 0" "$rc" 0
like "log: daemon.start recorded" "$out" "daemon.start"
like "log: the reload recorded" "$out" "daemon.reload"
ok "log --json: valid JSON" sh -c "\"$MIGRATECTL\" -s \"$SOCK\" --json log |
    python3 -c 'import json,sys; json.load(sys.stdin)'"
like "log --markdown" "$(ctl log --markdown)" "^#"
out=$(ctl --json log --since 'not a time' 2>&1); rc=$?
is "log with a bad --since: exit 2" "$rc" 2
like "log with a bad --since: bad-argument" "$out" '"code":"bad-argument"'
out=$(ctl audit verify); rc=$?
is "audit verify: exit 0" "$rc" 0
like "audit verify: intact" "$out" "intact: +yes"

# a migration that stops parsing: reload refuses, the old state stays
printf 'SELECT 1;\nCREAT x;\n' >migrations/20240203_000000_broken.sql
out=$(ctl reload 2>&1); rc=$?
is "reload with a broken migration: exit 1" "$rc" 1
like "reload names file:line:col" "$out" \
    "error: migrations/20240203_000000_broken.sql:2:1: syntax error"
ok "still serving" ctl status
rm -f migrations/20240203_000000_broken.sql

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# bad input files stop the start before anything is written (a bad model
# before anything connects)
mkdir -p bad/models bad/migrations
printf 'SELECT 1;\nCREAT x;\n' >bad/migrations/20240101_000000_x.sql
printf 'tables:\n  users: {}\n' >bad/models/users.yaml
before=$(schema_snapshot)
out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations bad/migrations --socket "$SOCK" 2>&1); rc=$?
is "start with a broken migration: exit 78 (no restart)" "$rc" 78
like "start: the migration error is positioned" "$out" \
    "error: bad/migrations/20240101_000000_x.sql:2:1: syntax error"
out=$("$MIGRATED" --database "dbname=$TESTDB" --models bad/models \
    --migrations migrations --socket "$SOCK" 2>&1); rc=$?
is "start with a bad model: exit 78 (no restart)" "$rc" 78
like "start: the model error is positioned" "$out" \
    "error: bad/models/users.yaml:1:1: unknown key 'tables'"
is "bad input at start changed nothing" "$(schema_snapshot)" "$before"
ok "no socket left behind" test ! -e "$SOCK"

# start-up failures that waiting cannot heal exit 78 at once (the units'
# RestartPreventExitStatus=); a server that is down is waited for instead
q "CREATE ROLE mig_nologin NOLOGIN" >/dev/null
out=$("$MIGRATED" --database "dbname=$TESTDB user=mig_nologin" \
    --models models --migrations migrations --socket "$T/pw.sock" 2>&1); rc=$?
is "a role that may not log in: exit 78 at once" "$rc" 78
like "a role that may not log in: the hint says retrying will not help" \
    "$out" "retrying will not help"
out=$("$MIGRATED" --database "dbname=no_such_db_x" --models models \
    --migrations migrations --socket "$T/nodb.sock" 2>&1); rc=$?
is "an unknown database: exit 78 at once" "$rc" 78
like "an unknown database: named" "$out" 'database "no_such_db_x" does not exist'
q "DROP ROLE mig_nologin" >/dev/null
