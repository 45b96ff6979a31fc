# 59_fleet.sh - one service, many databases (issue 17, part 2): a `fleet`
# in the configuration names the members (a list, or a discovery query on
# the control database); `migrated --once --up` brings every member up to
# date, a bounded number at a time, each with its own lock, tracking and
# audit rows; a failing member is reported while the rest proceed, the exit
# status and --check say so until it is fixed; a rerun resumes (members up
# to date are a no-op); a new database the query finds is brought up to
# date; --member targets one.  Bad fleet keys are errors with line and
# column.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
N=50
mkdir -p migrations
cp "$SRC"/migrations/* migrations/
P=${TESTDB}_m			# member databases: ${P}01 .. ${P}50
qm() { psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# ---- bad configuration: errors name the field, line and column ----
bad() {	# bad NAME YAML PATTERN
	printf '%s\n' "$2" >bad.yaml
	out=$("$MIGRATED" -n -c bad.yaml --models "$SRC/models" \
	    --migrations "$SRC/migrations" 2>&1); rc=$?
	is "$1: exit 1" "$rc" 1
	like "$1: says where and what" "$out" "$3"
}
bad "fleet without members or discover" 'fleet:
  parallel: 2' "bad.yaml:2:3: .*'fleet' needs 'members', 'discover' or both"
bad "parallel out of range" "fleet:
  members: [a]
  parallel: 0" "bad.yaml:3:13: .*fleet.parallel"
bad "discover that does not parse" "fleet:
  discover: SELEKT datname FROM pg_database" \
    "bad.yaml:2:13: .*'fleet.discover' does not parse: syntax error"
bad "discover that is not a SELECT" "fleet:
  discover: DROP DATABASE x" \
    "bad.yaml:2:13: .*'fleet.discover' must be one SELECT"
bad "member conninfo without dbname" "fleet:
  members: [a, 'host=/tmp port=5432']" \
    "bad.yaml:2:16: .*must name its dbname"
bad "unknown fleet key" "fleet:
  member: [a]" "bad.yaml:2:3: .*member"
bad "members not a list" "fleet:
  members: {a: 1}" "bad.yaml:2:12: .*'fleet.members' must be a list"

# ---- 50 databases, one of them with a conflicting object ----
for i in $(seq -w 1 $N); do
	echo "CREATE DATABASE \"$P$i\";"
done | psql -qX -v ON_ERROR_STOP=1 -d "$TESTDB" -f - >/dev/null
is "$N member databases created" \
    "$(q "SELECT count(*) FROM pg_database WHERE starts_with(datname, '$P')")" $N
qm "${P}17" "CREATE VIEW users AS SELECT 1 AS id"

cat >fleet.yaml <<YAML
database: "dbname=$TESTDB"
models: "$SRC/models"
migrations: "$T/migrations"
fleet:
  discover: SELECT datname FROM pg_database WHERE starts_with(datname, '$P')
  parallel: 4
YAML
ok "fleet config: -n says OK" "$MIGRATED" -n -c fleet.yaml
fails_with "--plan names one database: refused for a fleet" 1 \
    "$MIGRATED" -c fleet.yaml --plan

out=$("$MIGRATED" -c fleet.yaml --once --up 2>&1); rc=$?
is "cold run with a failing member: exit 1" "$rc" 1
like "the failing member is named with its error" "$out" \
    "migrated\[${P}17\]: error: .*users"
like "summary: 49 done, 1 failed" "$out" \
    "fleet: $N members, 49 done, 1 failed \(${P}17\); slowest '$P[0-9]+' [0-9]+ ms"
applied=0
for i in $(seq -w 1 $N); do
	[ "$i" = 17 ] && continue
	n=$(qm "$P$i" "SELECT count(*) FROM migrated_versions WHERE NOT dirty")
	[ "$n" = 2 ] && applied=$((applied + 1))
done
is "the other 49 members: both migrations applied" "$applied" 49
is "each member its own audit rows" \
    "$(qm "${P}05" "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND ok")" 2
is "the failing member: no migration recorded" \
    "$(qm "${P}17" "SELECT count(*) FROM pg_tables WHERE tablename = 'migrated_versions'")" 0

out=$("$MIGRATED" -c fleet.yaml --check 2>&1); rc=$?
is "check while a member failed: exit 3" "$rc" 3
like "check names the member not in sync" "$out" \
    "fleet: $N members, 49 in sync, 1 pending \(${P}17\)"

# fixed, then resumed: only the failed member has work
audit05=$(qm "${P}05" "SELECT count(*) FROM migrated_audit")
qm "${P}17" "DROP VIEW users"
out=$("$MIGRATED" -c fleet.yaml --once --up 2>&1); rc=$?
is "rerun after the fix: exit 0" "$rc" 0
like "rerun: every member done" "$out" "fleet: $N members, $N done;"
like "rerun: the fixed member applied its migrations" "$out" \
    "migrated\[${P}17\]: tier 2: 2 applied"
like "rerun: a member up to date is a no-op" "$out" \
    "migrated\[${P}05\]: tier 2: 0 applied"
is "rerun: no audit row where nothing was to do" \
    "$(qm "${P}05" "SELECT count(*) FROM migrated_audit")" "$audit05"
out=$("$MIGRATED" -c fleet.yaml --check 2>&1); rc=$?
is "check after the fix: exit 0" "$rc" 0
like "check: all in sync" "$out" "fleet: $N members, $N in sync;"

# an out-of-band change on one member: --check reads every member's
# catalogs and names that one; --once --up (tier 1) puts it back
qm "${P}33" "ALTER TABLE users DROP COLUMN created_at"
out=$("$MIGRATED" -c fleet.yaml --check 2>&1); rc=$?
is "a column dropped by hand on one member: check exit 3" "$rc" 3
like "check names that member alone" "$out" \
    "fleet: $N members, 49 in sync, 1 pending \(${P}33\)"
like "check says what it found there" "$out" \
    "migrated\[${P}33\]: check: 1 schema change\(s\) not applied yet"
ok "--once --up with the column dropped" "$MIGRATED" -c fleet.yaml --once --up
is "... tier 1 put it back" "$(qm "${P}33" "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'created_at' AND NOT attisdropped")" 1
ok "check: clean again" "$MIGRATED" -c fleet.yaml --check

# a new tenant: the query finds it, check says it is behind, up brings it
psql -qX -d "$TESTDB" -c "CREATE DATABASE \"${P}51\""
out=$("$MIGRATED" -c fleet.yaml --check 2>&1); rc=$?
is "new member found by discovery: check exit 3" "$rc" 3
like "check: the new member pending" "$out" "51 members, 50 in sync, 1 pending \(${P}51\)"
ok "new member brought up to date" "$MIGRATED" -c fleet.yaml --once --up
is "new member: both migrations applied" \
    "$(qm "${P}51" "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" 2

# --member: that one only
psql -qX -d "$TESTDB" -c "CREATE DATABASE \"${P}52\""
out=$("$MIGRATED" -c fleet.yaml --once --up --member "${P}52" 2>&1); rc=$?
is "--member: exit 0" "$rc" 0
like "--member: one member run" "$out" "fleet: 1 member, 1 done;"
unlike "--member: no other member touched" "$out" "migrated\[${P}0"
out=$("$MIGRATED" -c fleet.yaml --once --member nosuch 2>&1); rc=$?
is "--member of no such member: exit 1" "$rc" 1
like "--member of no such member: said" "$out" "no member 'nosuch' in the fleet \(52 members\)"
fails_with "--member without a fleet" 1 "$MIGRATED" --database "dbname=$TESTDB" \
    --models "$SRC/models" --migrations "$SRC/migrations" --check --member x

# an explicit list: a database name and a connection string of its own
cat >list.yaml <<YAML
database: "dbname=$TESTDB"
models: "$SRC/models"
migrations: "$T/migrations"
fleet:
  members: ["${P}01", "dbname=${P}02 application_name=tenant"]
  parallel: 2
YAML
out=$("$MIGRATED" -c list.yaml --check 2>&1); rc=$?
is "explicit members: check exit 0" "$rc" 0
like "explicit members: both in sync" "$out" "fleet: 2 members, 2 in sync;"

# --check on one database (no fleet) as a gate, too
fails_with "--check on a database behind: exit 3" 3 "$MIGRATED" \
    --database "dbname=$TESTDB" --models "$SRC/models" \
    --migrations migrations --check

# A daemon serving one member (the ordinary single-database service)
# reads what the fleet wrote, and hears of the fleet's changes: each
# member's are announced once, after its run.
SOCK=$T/m05.sock
"$MIGRATED" --database "dbname=${P}05" --models "$SRC/models" \
    --migrations migrations --socket "$SOCK" >m05.log 2>&1 &
dpid=$!; track $dpid
ok "a member served alone: ready" timeout 30 "$MIGRATECTL" -s "$SOCK" \
    wait-ready --timeout 20
ok "a member's audit chain verifies" timeout 30 "$MIGRATECTL" -s "$SOCK" \
    audit verify
ok "a member served alone: check passes" timeout 30 "$MIGRATECTL" \
    -s "$SOCK" check
cat >migrations/20240301_000000_tenant_notes.sql <<'SQL'
CREATE TABLE tenant_notes (id bigint PRIMARY KEY, body text);
SQL
wait_until 20 pending_has "$SOCK" 20240301_000000_tenant_notes
ok "a new migration over the fleet" "$MIGRATED" -c fleet.yaml --once --up
ok "the member's daemon heard of it" poll 20 eval \
    "! pending_has '$SOCK' 20240301_000000_tenant_notes"
is "the new migration on every member" \
    "$(for i in $(seq -w 1 52); do qm "$P$i" "SELECT to_regclass('tenant_notes') IS NOT NULL"; done | sort | uniq -c | tr -s ' ')" " 52 t"
kill -TERM $dpid
wait $dpid
is "a member served alone: stops cleanly" "$?" 0

for i in $(seq -w 1 52); do
	echo "DROP DATABASE \"$P$i\";"
done | psql -qX -d "$TESTDB" -f - >/dev/null
