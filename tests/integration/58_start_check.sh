# 58_start_check.sh - the daemon's start checks the files that may run
# (not applied, dirty, or changed since applied) before anything is
# written, the tracking table read first; an applied file whose checksum
# is the tracked one is only read and hashed, and parsed on a pool thread
# after ready (issue 16: a cold start no longer parses a thousand applied
# files).  What stopped a start still stops it, positioned, with nothing
# written: an applied file edited into a broken one, a broken pending
# file, the same with the server away; an applied file that does not
# parse with its tracked checksum (an older build's, or an adopted
# history) is reported by status and in the log after ready.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
for i in 1 2 3; do
	printf 'CREATE TABLE sc_t%s (id int PRIMARY KEY);\n' $i \
	    >migrations/2024010${i}_000000_t$i.sql
done
M() { "$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations "$@"; }
out=$(M --once --up 2>&1); rc=$?
is "three applied: exit 0" "$rc" 0
TRK=$(tracking_table)
audit_max() { q "SELECT coalesce(max(id), 0) FROM migrated_audit"; }

SOCK=$T/sc.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
start_refused() {	# start_refused NAME PATTERN [ARGS...]: exit 78, positioned
	_name=$1 _pat=$2
	shift 2
	before=$(schema_snapshot)
	out=$(timeout 60 "$MIGRATED" --models models --migrations migrations \
	    --socket "$SOCK" "$@" 2>&1); rc=$?
	is "$_name: exit 78" "$rc" 78
	like "$_name: file, line and column" "$out" "error: $_pat"
	is "$_name: nothing written (no audit row either)" \
	    "$(schema_snapshot)" "$before"
	ok "$_name: no socket left behind" test ! -e "$SOCK"
}

# an applied file edited into a broken one: its checksum is not the
# tracked one, so it is parsed before anything is written
cp migrations/20240102_000000_t2.sql t2.orig
printf 'CREATE TABLE sc_t2 (id int PRIMARY KEY);\nCREAT INDEX x;\n' \
    >migrations/20240102_000000_t2.sql
start_refused "an applied file edited into a broken one" \
    "migrations/20240102_000000_t2.sql:2:1: syntax error" \
    --database "dbname=$TESTDB"
cp t2.orig migrations/20240102_000000_t2.sql

# a broken pending file; then the same with the server away: every file
# is parsed when the tracking table cannot be read
printf 'SELECT 1;\nSELEC 2;\n' >migrations/20240104_000000_bad.sql
start_refused "a broken pending file" \
    "migrations/20240104_000000_bad.sql:2:1: syntax error" \
    --database "dbname=$TESTDB"
start_refused "a broken pending file, the server away" \
    "migrations/20240104_000000_bad.sql:2:1: syntax error" \
    --database "host=$T port=1 dbname=$TESTDB connect_timeout=5"
rm -f migrations/20240104_000000_bad.sql

# a first start on a database migrated never wrote to: the audit table
# is not created when a file stops it
q "CREATE DATABASE ${TESTDB}_fresh" >/dev/null
printf 'SELECT 1;\n-- migrated:nolint no-such-rule\nSELECT 2;\n' \
    >migrations/20240104_000000_nolint.sql
out=$(timeout 60 "$MIGRATED" --database "dbname=${TESTDB}_fresh" \
    --models models --migrations migrations --socket "$SOCK" 2>&1); rc=$?
is "an unknown nolint rule, a fresh database: exit 78" "$rc" 78
like "an unknown nolint rule: positioned" "$out" \
    "error: migrations/20240104_000000_nolint.sql:3:1: unknown lint rule 'no-such-rule'"
is "a fresh database: no table created, not even the audit table" \
    "$(psql -qAtX -d "${TESTDB}_fresh" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" 0
rm -f migrations/20240104_000000_nolint.sql
q "DROP DATABASE ${TESTDB}_fresh" >/dev/null

# an applied file that does not parse, with its tracked checksum: the
# start trusts it, ready means what it meant (tier 1 done: the model's
# table is there), and the file is reported after ready
printf 'CREATE TABLE sc_t3 (id int PRIMARY KEY);\nCREAT INDEX y;\n' \
    >migrations/20240103_000000_t3.sql
q "UPDATE $TRK SET checksum = '$(sha256sum migrations/20240103_000000_t3.sql | cut -d' ' -f1)' WHERE version = '20240103_000000'" >/dev/null
cat >models/m.yaml <<'YAML'
table: sc_model
columns:
  id: { type: integer, primary_key: true }
YAML
a0=$(audit_max)
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "an applied file that does not parse: the daemon gets ready" \
    ctl wait-ready --timeout 30
is "ready: tier 1 is done (the model's table is there)" \
    "$(q "SELECT to_regclass('sc_model') IS NOT NULL")" t
wait_until 30 status_says "$SOCK" \
    "'20240103_000000_t3.sql:2:1: syntax error' in (d['data']['last_error'] or '')"
ok "status names it, positioned" status_says "$SOCK" \
    "'20240103_000000_t3.sql:2:1: syntax error' in (d['data']['last_error'] or '')"
like "the log names it" "$(cat daemon.log)" \
    "20240103_000000_t3.sql:2:1: syntax error"
out=$(ctl up 2>&1)
is "up with nothing pending: exit 0" "$?" 0
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0
is "the audit trail: daemon.start, tier 1, daemon.stop as ever" \
    "$(q "SELECT string_agg(action, ',' ORDER BY id) FROM migrated_audit WHERE id > $a0")" \
    "daemon.start,tier1.plan,tier1.apply,daemon.stop"

# the folder mended: a start that parses nothing and reports nothing
cp t2.orig migrations/20240102_000000_t2.sql
printf 'CREATE TABLE sc_t3 (id int PRIMARY KEY);\n' \
    >migrations/20240103_000000_t3.sql
q "UPDATE $TRK SET checksum = '$(sha256sum migrations/20240103_000000_t3.sql | cut -d' ' -f1)' WHERE version = '20240103_000000'" >/dev/null
"$MIGRATED" -d --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon2.log 2>&1 &
dpid=$!; track $dpid
ok "mended: ready" ctl wait-ready --timeout 30
wait_until 30 grep -q "migrations folder validated" daemon2.log
ok "mended: status has no error" status_says "$SOCK" \
    "d['data']['last_error'] is None"
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0

# the check after ready waits for a command that runs when it falls due
# (issue 16: an up of a thousand files right after ready shared its two
# cores with it), and runs once that command has ended
printf 'SELECT pg_sleep(2.5);\n' >migrations/20240105_000000_slow.sql
"$MIGRATED" -d --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon3.log 2>&1 &
dpid=$!; track $dpid
ok "an up right after ready: ready" ctl wait-ready --timeout 30
out=$(ctl up 2>&1)
is "the up of a file that takes 2.5 s: exit 0" "$?" 0
wait_until 30 grep -q "migrations folder validated (the files" daemon3.log
is "the check after ready ran after the up, not during it" \
    "$(awk '/up requested/ { r = NR } /up by uid/ { d = NR }
    /folder validated \(the files/ { v = NR }
    END { print (v > d || v < r) ? "outside" : "during" }' daemon3.log)" \
    outside
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0
