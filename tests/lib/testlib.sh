# testlib.sh - assertions for integration tests (sourced by each test file).
#
# Each test file runs with: BUILD (binaries), PGHOST/PGPORT/PGUSER from the
# harness, TESTDB (a fresh database of its own), T (a private temp folder),
# RESULTS (where PASS/FAIL lines go).  Use:
#
#   ok "name" COMMAND...           passes when COMMAND exits 0
#   is "name" GOT WANT             string equality
#   like "name" GOT PATTERN        grep -E match
#   unlike "name" GOT PATTERN
#   fails_with "name" CODE COMMAND...  exit status CODE
#   skip "why"                     not run here: SKIP, not PASS
#   q "SQL"                        psql on TESTDB, unaligned tuples only

set -u
MIGRATED=${MIGRATED:-$BUILD/migrated}
MIGRATECTL=${MIGRATECTL:-$BUILD/migratectl}
export PGDATABASE=$TESTDB
_tname=$(basename "$0" .sh)

_pass() { echo "PASS $_tname: $1" >>"$RESULTS"; echo "  ok   $1"; }
_fail() {
	echo "FAIL $_tname: $1" >>"$RESULTS"
	echo "  FAIL $1"
	shift
	[ $# -gt 0 ] && printf '       %s\n' "$@"
	return 0
}

# skip "why": the check cannot run here; counted as skipped, never passed
skip() { echo "SKIP $_tname: $1" >>"$RESULTS"; echo "  SKIP $1"; }
ok() {
	_n=$1; shift
	if _out=$("$@" 2>&1); then _pass "$_n"; else _fail "$_n" "command: $*" "$_out"; fi
}
is() {
	if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got:  $2" "want: $3"; fi
}
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then _pass "$1"
	else _fail "$1" "got:  $2" "want match: $3"; fi
}
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then _fail "$1" "got:  $2" "unwanted match: $3"
	else _pass "$1"; fi
}
fails_with() {
	_n=$1; _want=$2; shift 2
	"$@" >/dev/null 2>&1; _rc=$?
	if [ "$_rc" -eq "$_want" ]; then _pass "$_n"; else _fail "$_n" "exit $_rc, want $_want: $*"; fi
}
# Create the audit table the way migrated does (a --once on empty folders),
# so that a later snapshot taken with --exclude-table-data=migrated_audit
# compares like with like: refusals and failures are audited by design.
audit_table_ready() {
	mkdir -p "$T/.empty-models" "$T/.empty-migrations"
	"$MIGRATED" --database "dbname=$TESTDB" --models "$T/.empty-models" \
	    --migrations "$T/.empty-migrations" --once >/dev/null 2>&1
}
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$TESTDB" -c "$1"; }

# A snapshot of the whole database, schema and data, to prove that a failed
# run changed nothing.  Extra arguments go to pg_dump, e.g.
# --exclude-table-data=migrated_audit to ignore the audit rows.
schema_snapshot() {
	pg_dump --no-owner -d "$TESTDB" "$@" 2>/dev/null |
	    grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict' \
		-e "setval('public.migrated_audit_id_seq'"
}
