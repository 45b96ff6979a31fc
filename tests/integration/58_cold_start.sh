# 58_cold_start.sh - what the fast cold start (issue 16) must not lose.
# With no model file, tier 1 reads only the extensions (core/tier1.c,
# t1_scope): the plan says the same as the full read, an extension no
# model names is still drift and no table is; the start-up check, which
# no longer gathers lint findings, still stops the start at the first bad
# file with its file, line and column (a syntax error, an unknown nolint
# rule, a statement that is not UTF-8) before anything is written
# (58_start_check.sh: which files the start parses).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
for i in 1 2 3; do
	printf 'CREATE TABLE cs_t%s (id int PRIMARY KEY, v text);\n' $i \
	    >migrations/2024010${i}_000000_t$i.sql
	printf 'CREATE INDEX cs_t%s_v ON cs_t%s (v);\n' $i $i \
	    >>migrations/2024010${i}_000000_t$i.sql
done
q "CREATE EXTENSION citext" >/dev/null
q "CREATE SCHEMA cs_other; CREATE TABLE cs_other.x (id int)" >/dev/null
M() { "$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations "$@"; }

out=$(M --once --up 2>&1); rc=$?
is "once --up with no model file: exit 0" "$rc" 0
like "the migrations applied" "$out" "tier 2: 3 applied"
like "tier 1: one drift, the extension" "$out" \
    "tier 1: up to date \(0 refused, 1 drift\)"
out=$(M --plan 2>&1)
like "plan: the extension no model names is drift" "$out" \
    "^-- drift: extension citext: extension citext \(version [0-9.]+\) is not in the models"
unlike "plan: no table is drift (no model names its schema)" "$out" \
    "drift: table"
unlike "plan: nothing to do" "$out" "^CREATE|^ALTER|^DROP"

# the service: the same verdict, and a no-op up
SOCK=$T/cs.sock
ctl() { timeout 30 "$MIGRATECTL" -s "$SOCK" "$@"; }
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" ctl wait-ready --timeout 30
ok "status: one drift" status_says "$SOCK" \
    "d['data']['schema']['drift'] == 1"
out=$(ctl up 2>&1)
is "up with nothing pending: exit 0" "$?" 0
like "up: nothing to do" "$out" "nothing to do"
kill -TERM $dpid; wait $dpid
is "daemon exits 0" "$?" 0

# a table of a schema the models name is drift again: the full read
cat >models/t.yaml <<'YAML'
table: cs_model
columns:
  id: { type: integer, primary_key: true }
YAML
out=$(M --plan 2>&1)
like "a model file: the tables of its schema are compared again" "$out" \
    "table public.cs_t1: table is not in the models; created by enhancement"
like "a model file: the extension is still drift" "$out" \
    "drift: extension citext"
rm -f models/t.yaml

# bad files stop the start, positioned, before anything is written
before=$(schema_snapshot)
start_fails() {	# start_fails NAME FILE PATTERN
	out=$("$MIGRATED" --database "dbname=$TESTDB" --models models \
	    --migrations bad --socket "$T/bad.sock" 2>&1); rc=$?
	is "$1: exit 78" "$rc" 78
	like "$1: named with line and column" "$out" "error: bad/$2:$3"
	rm -rf bad
}
mkdir -p bad && cp migrations/* bad/
printf 'SELECT 1;\n-- migrated:nolint no-such-rule\nSELECT 2;\n' \
    >bad/20240104_000000_nolint.sql
start_fails "an unknown nolint rule" 20240104_000000_nolint.sql \
    "3:1: unknown lint rule 'no-such-rule'"
mkdir -p bad && cp migrations/* bad/
printf "SELECT 1;\nCREATE TABLE cs_u (v text DEFAULT 'a\377');\n" \
    >bad/20240104_000000_utf8.sql
start_fails "a statement that is not UTF-8" 20240104_000000_utf8.sql \
    "2:1: statement is not valid UTF-8"
mkdir -p bad && cp migrations/* bad/
printf 'CREATE TABLE cs_s (id int);\nCREATE INDX cs_s_i ON cs_s (id);\n' \
    >bad/20240102_500000_syntax.sql
printf 'SELECT 1;\nSELEC 2;\n' >bad/20240104_000000_later.sql
start_fails "two bad files: the first in order" \
    20240102_500000_syntax.sql "2:8: syntax error"
is "bad files at start changed nothing" "$(schema_snapshot)" "$before"
ok "no socket left behind" test ! -e "$T/bad.sock"
