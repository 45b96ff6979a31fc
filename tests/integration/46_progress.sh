# 46_progress.sh - `up` of many small files through a running daemon: the
# daemon sends progress in batches and migratectl writes each batch at
# once, yet every file's start and done line reaches the client, in order,
# as text (stderr) and as JSON (stdout); a failing file's line and its
# error at file:line:col follow the lines of the files before it, the
# database keeps what committed before it; every file's audit row (hashed
# by the server, from the encoding of the columns migrated sends, a
# multibyte name among them) verifies.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
N=120
files() {	# files FROM TO: small files, a table, an index, a comment
	for i in $(seq "$1" "$2"); do
		printf 'CREATE TABLE p_%s (id int PRIMARY KEY, v text);\nCREATE INDEX p_%s_v ON p_%s (v);\nCOMMENT ON TABLE p_%s IS %s;\n' \
		    "$i" "$i" "$i" "$i" "'caf\xc3\xa9 $i'" \
		    >"migrations/$(printf '20240101_%06d' "$i")_p$i.sql"
	done
}
# the lines a run of files FROM..TO must print, in order
expect() {
	for i in $(seq "$1" "$2"); do
		printf 'start up p%s\ndone up p%s\n' "$i" "$i"
	done
}
files 1 "$N"
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

ctl up >up.out 2>up.err; rc=$?
is "up: exit 0" "$rc" 0
is "up: every start and done line, in order" \
    "$(grep -E '^(start|done) up ' up.err)" "$(expect 1 "$N")"
is "up: nothing else on stderr" "$(grep -vcE '^(start|done) up ' up.err)" 0
like "up: the result after the progress" "$(tail -n 1 up.out)" \
    "current version: 20240101_000120"
is "up: all applied" "$(q "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" "$N"

# --json: the progress objects in order, then the result, on stdout
files $((N + 1)) $((2 * N))
ctl --json up >upj.out 2>upj.err; rc=$?
is "up --json: exit 0" "$rc" 0
is "up --json: one object a line, the result last" \
    "$(python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
prog = [o for o in objs if o["type"] == "progress"]
print(len(prog), objs[-1]["type"], all(o["type"] == "progress" for o in objs[:-1]))
for o in prog:
    print(o["data"]["phase"], o["data"]["direction"], o["data"]["name"])
' upj.out)" "$((2 * N)) result True
$(expect $((N + 1)) $((2 * N)))"
is "up --json: stderr empty" "$(cat upj.err)" ""

# a failing file after good ones: its line after theirs, the error at
# file:line:col, what committed before it stays
files $((2 * N + 1)) $((2 * N + 3))
printf 'CREATE TABLE p_ok (id int);\nCREATE TABLE p_1 (id int);\n' \
    >migrations/20240101_000400_bad.sql
ctl up >upf.out 2>upf.err; rc=$?
is "failing up: exit 1" "$rc" 1
is "failing up: the good files' lines, then the failing one's" \
    "$(grep -E '^(start|done|fail) up ' upf.err | sed 's/: .*//')" \
    "$(expect $((2 * N + 1)) $((2 * N + 3)))
start up bad
fail up bad"
like "failing up: the error names file, line and column" "$(cat upf.err)" \
    "error: .*migrations/20240101_000400_bad.sql:2:1: .*relation \"p_1\" already exists"
is "failing up: the files before it committed" \
    "$(q "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" $((2 * N + 3))
is "failing up: nothing of the failing file" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 'p_ok'")" 0

# one audit row a file, hashed by the server; the chain verifies, with a
# multibyte name in the rows it hashed
rm migrations/20240101_000400_bad.sql
printf 'CREATE TABLE p_mb (id int);\n' \
    >"migrations/20240101_000401_caf$(printf '\303\251').sql"
out=$(ctl up 2>&1); rc=$?
is "multibyte name: exit 0" "$rc" 0
like "multibyte name: applied" "$out" "done up caf"
is "audit: a row per applied file" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply'")" $((2 * N + 4))
is "audit: the multibyte name as sent" \
    "$(q "SELECT octet_length(target) FROM migrated_audit WHERE target LIKE '%_000401_%'")" 21
out=$(ctl audit verify); rc=$?
is "audit verify: intact" "$rc" 0
like "audit verify: every row" "$out" "rows: +$(q "SELECT count(*) FROM migrated_audit")"

kill "$DPID"; wait "$DPID" 2>/dev/null
is "daemon: stopped cleanly" "$?" 0
