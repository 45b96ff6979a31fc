# 47_chain.sh - a file's COMMIT goes out with the next file's first
# message (one round trip a file), yet each file still commits or rolls
# back alone: a file whose COMMIT fails (a deferred foreign key) is the
# run's failure, named with its file; the files before it stay applied
# with their tracking and audit rows; nothing of the file after it ran
# (not even a sequence's nextval, which no rollback undoes), and the
# daemon's log says it applied only the files that committed; a file whose
# statement fails in the middle of a run is not applied, and neither is
# the one after it; a file's SET does not reach the next file, nor what
# an event trigger set for the session on its DDL; the audit
# chain verifies after every run.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
mig() { echo "migrations/$(printf '20240101_%06d' "$1")_$2.sql"; }
small() {	# small FROM TO: a table, an index, a comment each
	for i in $(seq "$1" "$2"); do
		printf 'CREATE TABLE c_%s (id int PRIMARY KEY, v text);\nCREATE INDEX c_%s_v ON c_%s (v);\nCOMMENT ON TABLE c_%s IS %s;\n' \
		    "$i" "$i" "$i" "$i" "'chain $i'" >"$(mig "$i" "c$i")"
	done
}
applied() { q "SELECT count(*) FROM migrated_versions WHERE NOT dirty"; }
verify() {	# verify WHAT: the audit chain is intact
	local out rc
	out=$(ctl audit verify); rc=$?
	is "$1: audit verify intact" "$rc" 0
	like "$1: audit verify saw every row" "$out" \
	    "rows: +$(q "SELECT count(*) FROM migrated_audit")"
}

# 1..19 small, 20 fails at COMMIT, 21 would draw from a sequence
small 1 19
printf 'CREATE SEQUENCE chain_seq;\n' >"$(mig 0 seq)"
printf 'CREATE TABLE d_parent (id int PRIMARY KEY);\nCREATE TABLE d_child (pid int REFERENCES d_parent DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO d_child VALUES (1);\n' \
    >"$(mig 20 deferred)"
printf "SELECT nextval('chain_seq');\nCREATE TABLE c_21 (id int);\n" \
    >"$(mig 21 after)"
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

ctl up >up.out 2>up.err; rc=$?
is "COMMIT fails: exit 1" "$rc" 1
like "COMMIT fails: the error names the file" "$(cat up.err)" \
    "error: .*migrations/20240101_000020_deferred.sql: cannot apply '20240101_000020_deferred': .*violates foreign key constraint"
like "COMMIT fails: PostgreSQL's detail" "$(cat up.err)" \
    "detail: Key \\(pid\\)=\\(1\\) is not present"
is "COMMIT fails: every line before it in order, then its start and fail" \
    "$(grep -E '^(start|done|fail) up ' up.err | sed 's/: .*//')" \
    "$(printf 'start up seq\ndone up seq\n'
	for i in $(seq 1 19); do printf 'start up c%s\ndone up c%s\n' "$i" "$i"; done
	printf 'start up deferred\nfail up deferred')"
is "COMMIT fails: the files before it applied" "$(applied)" 20
is "COMMIT fails: their audit rows" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply'")" 20
is "COMMIT fails: nothing of it" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('d_parent', 'd_child')")$(q "SELECT count(*) FROM migrated_versions WHERE version = '20240101_000020'")" 00
is "COMMIT fails: its failure recorded, with its file" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.fail' AND target = '20240101_000020_deferred' AND sqlstate = '23503' AND error LIKE 'cannot apply%after its last statement%'")" 1
is "COMMIT fails: the next file never ran (its nextval not drawn)" \
    "$(q "SELECT is_called FROM chain_seq")" f
is "COMMIT fails: the next file not applied" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 'c_21'")$(q "SELECT count(*) FROM migrated_versions WHERE version = '20240101_000021'")" 00
is "COMMIT fails: the daemon log has its failure" \
    "$(grep -c "tier2.fail '20240101_000020_deferred'" daemon.log)" 1
is "COMMIT fails: the daemon log says applied only of the files that committed" \
    "$(grep -o "tier2.apply '[^']*'" daemon.log | sort)" \
    "$({ printf "tier2.apply '20240101_000000_seq'\n"
	for i in $(seq 1 19); do printf "tier2.apply '20240101_%06d_c%s'\n" "$i" "$i"; done; } | sort)"
is "COMMIT fails: no tier2.apply line for the file after it" \
    "$(grep -c "tier2.apply '20240101_000021_after'" daemon.log)" 0
verify "COMMIT fails"

# fixed: the rest goes; a file's SET stays with it
printf 'CREATE TABLE d_parent (id int PRIMARY KEY);\nCREATE TABLE d_child (pid int REFERENCES d_parent DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO d_parent VALUES (1);\nINSERT INTO d_child VALUES (1);\n' \
    >"$(mig 20 deferred)"
printf "SET application_name = 'leaked';\nSET search_path = nowhere;\n" \
    >"$(mig 22 set)"
printf "CREATE TABLE public.c_23 AS SELECT current_setting('application_name') AS app, current_setting('search_path') AS path;\n" \
    >"$(mig 23 sees)"
ctl up >up2.out 2>up2.err; rc=$?
is "fixed: exit 0" "$rc" 0
is "fixed: all applied" "$(applied)" 24
is "fixed: the next file ran once" "$(q "SELECT last_value FROM chain_seq")" 1
is "a file's SET does not reach the next file" \
    "$(q "SELECT app <> 'leaked' AND path <> 'nowhere' FROM c_23")" t
verify "fixed"

# a statement fails in the middle of a run: the file before it applied,
# it and the file after it not
small 24 30
printf 'CREATE TABLE c_ok (id int);\nCREATE TABLE c_1 (id int);\n' \
    >"$(mig 27 dup)"
rm "$(mig 27 c27)"
ctl up >up3.out 2>up3.err; rc=$?
is "statement fails: exit 1" "$rc" 1
like "statement fails: file, line and column" "$(cat up3.err)" \
    "error: .*migrations/20240101_000027_dup.sql:2:1: .*relation \"c_1\" already exists"
is "statement fails: the files before it applied" "$(applied)" 27
is "statement fails: nothing of it, nothing after it" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname IN ('c_ok', 'c_28', 'c_29', 'c_30')")$(q "SELECT count(*) FROM migrated_versions WHERE version >= '20240101_000027'")" 00
is "statement fails: the last lines" \
    "$(grep -E '^(start|done|fail) up ' up3.err | tail -n 3 | sed 's/: .*//')" \
    "done up c26
start up dup
fail up dup"
verify "statement fails"

# DDL that runs no code needs no session reset after it, but an event
# trigger runs code on any DDL: what one sets for the session does not
# reach the next file either (the trigger made by a run before)
rm "$(mig 27 dup)"
printf 'CREATE TABLE c_27 (id int);\n' >"$(mig 27 c27)"
cat >"$(mig 40 evt)" <<'EOF'
CREATE FUNCTION leak_setting() RETURNS event_trigger LANGUAGE plpgsql AS
$$BEGIN PERFORM set_config('application_name', 'evt-leaked', false); END$$;
CREATE EVENT TRIGGER leak_setting ON ddl_command_end
    EXECUTE FUNCTION leak_setting();
EOF
ctl up >up4.out 2>up4.err; rc=$?
is "event trigger: made" "$rc" 0
small 41 41
printf "CREATE TABLE public.c_42 AS SELECT current_setting('application_name') AS app;\n" \
    >"$(mig 42 sees)"
ctl up >up5.out 2>up5.err; rc=$?
is "event trigger: exit 0" "$rc" 0
is "event trigger: its SET does not reach the next file" \
    "$(q "SELECT app FROM c_42")" migrated
verify "event trigger"

kill "$DPID"; wait "$DPID" 2>/dev/null
is "daemon: stopped cleanly" "$?" 0
