# 69_watch_lint.sh - when the migrations folder changes, the daemon lints
# it and logs the findings of the files still to run, and of a file
# changed since it was applied; a file applied as it is gets none logged
# (daemon/check.c, migrate_validate_known()), so that the findings of a
# real project's long-applied files do not bury the new file's at every
# change.  `migratectl validate` still lists every file's.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/s.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >m.yaml <<EOF
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
apply: on-command
EOF
# golang-migrate's layout; each file but the first has findings
printf 'CREATE TABLE wl_t (id int PRIMARY KEY, v text);\n' \
    >migrations/1_t.up.sql
printf 'CREATE INDEX wl_i ON wl_t (v);\n' >migrations/2_i.up.sql
printf 'DROP INDEX (;\n' >migrations/2_i.down.sql
printf 'ALTER TABLE wl_t ADD COLUMN w int;\n' >migrations/3_c.up.sql

"$MIGRATED" -d -c m.yaml >m.log 2>&1 &
MPID=$!; track $MPID
ok "daemon ready" ctl wait-ready --timeout 30
like "three applied" "$(ctl up 2>&1)" "3 +c +apply "

v=$(ctl --json validate 2>&1)
like "validate: an applied file's finding" "$v" \
    '"rule":"index-concurrently","file":"[^"]*/2_i.up.sql"'
like "validate: an applied file's rollback" "$v" \
    '"rule":"rollback-syntax","file":"[^"]*/2_i.down.sql"'
like "validate: another applied file's" "$v" \
    '"rule":"add-column-idempotent","file":"[^"]*/3_c.up.sql"'

# checked NAME LINE: after line LINE of m.log, the watcher saw NAME change
# and a check that lints ended after it
checked() {
	tail -n +$(($2 + 1)) m.log | awk -v f="migrations folder changed ('$1')" '
	    index($0, f) { seen = 1 }
	    seen && /migrations folder validated/ { ok = 1 }
	    END { exit !ok }'
}
# change NAME CMD...: run CMD, which changes the file NAME, wait for the
# watcher's check that follows, and leave what was logged since in $log
change() {
	_f=$1; shift
	_l=$(wc -l <m.log)
	"$@"
	wait_until 60 checked "$_f" "$_l"
	log=$(tail -n +$((_l + 1)) m.log)
}

# a new file: its findings, none of the applied files'
change 4_j.up.sql sh -c "printf 'DROP INDEX wl_j;\n' >migrations/4_j.down.sql &&
    printf 'CREATE INDEX wl_j ON wl_t (w);\n' >migrations/4_j.up.sql"
like "new file: its finding logged" "$log" \
    "lint: .*4_j.up.sql:1:1: .*(index-concurrently)"
unlike "new file: no applied file's finding" "$log" "lint: .*2_i.up.sql"
unlike "new file: no applied file's rollback" "$log" "lint: .*2_i.down.sql"
unlike "new file: nor the other applied file's" "$log" "lint: .*3_c.up.sql"
unlike "new file: none of the first file" "$log" "lint: .*1_t"

# once applied, its findings go too; the next new file's are logged
like "the new file applied" "$(ctl up 2>&1)" "4 +j +apply "
change 5_x.up.sql sh -c "printf 'ALTER TABLE wl_t ADD COLUMN x int;\n' >migrations/5_x.up.sql"
like "another new file: its finding logged" "$log" \
    "lint: .*5_x.up.sql:1:1: .*(add-column-idempotent)"
unlike "another new file: not the one applied since" "$log" \
    "lint: .*4_j.up.sql"

# rolled back, its findings come back
like "rolled back" "$(ctl down --yes 2>&1)" "4 +j +rollback "
change 6_y.up.sql sh -c "printf 'CREATE TABLE wl_y (id int);\n' >migrations/6_y.up.sql"
like "rolled back: its finding logged again" "$log" \
    "lint: .*4_j.up.sql:1:1: .*(index-concurrently)"
unlike "rolled back: still none of the applied files'" "$log" "lint: .*[23]_"

# an applied version's rollback changed: its findings are logged again
change 2_i.down.sql sh -c "printf -- '-- edited\n' >>migrations/2_i.down.sql"
like "rollback changed since applied: its finding logged" "$log" \
    "lint: .*2_i.down.sql:1:.*(rollback-syntax)"
unlike "rollback changed since applied: not the other applied file's" \
    "$log" "lint: .*3_c"

# an applied file changed: its findings are logged again
change 3_c.up.sql sh -c "printf -- '-- edited\n' >>migrations/3_c.up.sql"
like "changed since applied: its finding logged" "$log" \
    "lint: .*3_c.up.sql:1:1: .*(add-column-idempotent)"
like "changed since applied: the pending file's still" "$log" \
    "lint: .*5_x.up.sql"
unlike "changed since applied: not the others" "$log" "lint: .*1_t"

kill -TERM $MPID
wait $MPID
is "stopped cleanly" "$?" 0
