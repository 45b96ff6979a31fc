# 59_fleet_daemon.sh - the service over a fleet (issue 17, part 2): tier 1
# on every member at start, `migratectl up` for all and `up --member` for
# one, `status` summarising the fleet (in sync / pending / failed, the
# slowest) and `status --member` one, `check` failing while a member
# failed, a failing member never blocking the others, a database the
# discovery query finds later brought up to date (periodically, and on
# reload), and the commands a fleet does not serve refused by name.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
N=8
P=${TESTDB}_d
SOCK=$T/fleet.sock
mkdir -p migrations
cp "$SRC"/migrations/* migrations/
qm() { psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
fj() { daemon_json "$SOCK" "$1"; }	# fj EXPR of the status data d['data']

for i in $(seq 1 $N); do
	echo "CREATE DATABASE \"$P$i\";"
done | psql -qX -v ON_ERROR_STOP=1 -d "$TESTDB" -f - >/dev/null
qm "${P}3" "CREATE VIEW users AS SELECT 1 AS id"	# tier 1 cannot create it

cat >fleet.yaml <<YAML
database: "dbname=$TESTDB"
models: "$SRC/models"
migrations: "$T/migrations"
socket: { path: $SOCK, mode: 0666 }
fleet:
  discover: SELECT datname FROM pg_database WHERE starts_with(datname, '$P')
  parallel: 3
  rediscover: 1s
YAML
"$MIGRATED" -c fleet.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "fleet daemon ready" ctl wait-ready --timeout 60
is "start: tier 1 on every member, tier 2 pending, one failed" \
    "$(fj "[d['data']['fleet'][k] for k in ('members', 'in_sync', 'pending', 'failed')]")" \
    "$(printf '%s\n' $N 0 $((N - 1)) 1)"
is "status names the failed member" "$(fj "d['data']['fleet']['failed_members']")" "${P}3"
like "status names the slowest" "$(ctl status)" "slowest:.*
.*name: +${P}[0-9]"
like "status --member: why it failed" "$(ctl status --member "${P}3")" \
    "state: +failed.*
.*error: +.*users"
is "the others have tier 1" "$(qm "${P}5" "SELECT to_regclass('users') IS NOT NULL")" t
is "tier 2 waits for up (apply: on-command)" \
    "$(ctl --json status --member "${P}5" | json_get "[d['data']['member'][k] for k in ('state', 'pending')]")" \
    "$(printf 'pending\n2')"

out=$(ctl check); rc=$?
is "check while a member failed: exit 3" "$rc" 3
like "check names it" "$out" "member '${P}3': failed"

out=$(ctl up 2>&1); rc=$?
is "up with a failing member: exit 1" "$rc" 1
like "up says how many failed" "$out" "1 member failed"
applied=0
for i in $(seq 1 $N); do
	[ "$(qm "$P$i" "SELECT count(*) FROM pg_tables WHERE tablename = 'migrated_versions'")" = 1 ] &&
	    [ "$(qm "$P$i" "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" = 2 ] &&
	    applied=$((applied + 1))
done
is "up: the other members applied both migrations" "$applied" $((N - 1))

# fixed, then that member alone
qm "${P}3" "DROP VIEW users"
out=$(ctl up --member "${P}3" 2>&1); rc=$?
is "up --member after the fix: exit 0" "$rc" 0
like "up --member: only that member ran" "$(ctl --json up --member "${P}3" |
    tail -n 1 | json_get "[m['name'] for m in d['data']['run']]")" "^${P}3$"
is "the fixed member: in sync" "$(fj "d['data']['fleet']['in_sync']")" $N
ok "check after the fix: exit 0" ctl check
fails_with "status --member of no such member" 2 ctl status --member nosuch
fails_with "up --member of no such member" 2 ctl up --member nosuch

# a new migration, failing on one member only: the rest go on
cat >migrations/20240301_000000_tenant_notes.sql <<'SQL'
CREATE TABLE tenant_notes (id bigint PRIMARY KEY, body text);
SQL
qm "${P}6" "CREATE TABLE tenant_notes (id int)"
out=$(ctl up 2>&1); rc=$?
is "up, one member in the way: exit 1" "$rc" 1
like "up: progress per member, the failed one with its error" "$out" \
    "member +${P}6: failed \([0-9]+ ms\): .*already exists"
like "up: progress per member, the others in sync" "$out" \
    "member +${P}7: in sync, version 20240301_000000 \([0-9]+ ms\)"
is "up: the others have it" \
    "$(for i in 1 2 3 4 5 7 8; do qm "$P$i" "SELECT count(*) FROM migrated_versions WHERE version = '20240301_000000'"; done | sort -u)" 1
is "up: status says which failed" "$(fj "d['data']['fleet']['failed_members']")" "${P}6"
like "the member's error is PostgreSQL's" \
    "$(fj "d['data']['member']['error']" 2>/dev/null; ctl --json status --member "${P}6" | json_get "d['data']['member']['error']")" \
    "already exists"
fails_with "check fails until it is fixed" 3 ctl check
qm "${P}6" "DROP TABLE tenant_notes"
ok "up after the fix" ctl up
ok "check: clean again" ctl check

# up runs tier 2 alone on a member whose tier 1 the service has read (as
# a single database's up does): a change made by hand is not read by up,
# check reads every member's catalogs and reports it, a reload (tier 1
# on every member) puts right what tier 1 can.
like "up: a member with nothing to apply says so" "$(ctl up 2>&1)" \
    "member +${P}2: nothing to apply, version 20240301_000000"
like "status --member: when tier 1 was read" "$(ctl status --member "${P}2")" \
    "tier1_read_at: +20[0-9-]+T"
qm "${P}2" "CREATE TABLE by_hand (id int)"
ok "up with a table made by hand" ctl up
out=$(ctl check); rc=$?
is "... check sees it: exit 3" "$rc" 3
like "... check names that member alone" "$out" "member '${P}2': not in sync"
unlike "... and no other" "$out" "member '${P}[13-9]"
is "... that member is not in sync" "$(fj "d['data']['fleet']['in_sync']")" $((N - 1))
like "... status --member says so" "$(ctl status --member "${P}2")" "state: +pending"
qm "${P}2" "DROP TABLE by_hand"
ok "check once it is gone" ctl check
is "... in sync again" "$(fj "d['data']['fleet']['in_sync']")" $N
# a column dropped by hand: up leaves tier 1 alone, check sees it, a
# reload puts it back
qm "${P}4" "ALTER TABLE users DROP COLUMN created_at"
ok "up with a column dropped by hand" ctl up
colback() { qm "${P}4" "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'created_at' AND NOT attisdropped"; }
is "... up did not read tier 1" "$(colback)" 0
fails_with "... check sees it" 3 ctl check
ok "reload: tier 1 on every member" ctl reload
is "... tier 1 put it back" "$(colback)" 1
is "... and every member is in sync" "$(fj "d['data']['fleet']['in_sync']")" $N
ok "check: clean" ctl check

# a new tenant: found by the periodic discovery, brought up to date
psql -qX -d "$TESTDB" -c "CREATE DATABASE \"${P}9\""
ok "a new database is found and brought up to date" poll 60 status_says "$SOCK" \
    "d['data']['fleet']['members'] == $((N + 1)) and d['data']['fleet']['in_sync'] == $((N + 1))"
is "the new member: every migration" \
    "$(qm "${P}9" "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" 3

# reload: the configuration read again, discover run again
psql -qX -d "$TESTDB" -c "CREATE DATABASE \"${P}10\""
hup_and_wait "$SOCK" $dpid
ok "reload: the new member in sync" status_says "$SOCK" \
    "d['data']['fleet']['members'] == $((N + 2)) and d['data']['fleet']['in_sync'] == $((N + 2))"

out=$(ctl plan 2>&1); rc=$?
is "a command a fleet does not serve: exit 2" "$rc" 2
like "... refused by name" "$out" "'plan' is not served for a fleet"

kill -TERM $dpid
wait $dpid
is "fleet daemon stops cleanly" "$?" 0
like "its log names each member's lines" "$(cat daemon.log)" "migrated\[${P}5\]: tier 1: applied"
for i in $(seq 1 $((N + 2))); do
	echo "DROP DATABASE \"$P$i\";"
done | psql -qX -d "$TESTDB" -f - >/dev/null
