# 15_tier1_golden.sh - the plan golden files (tests/golden/plan/*/) on a
# real database: each case's setup.sql on a fresh database; its catalog
# snapshot (test_golden --catalog) must be the case's catalog.json, the
# file that test_golden plans against with no database; `migrated --plan`
# must print expected.out, the same file test_golden checks, so the plan
# made without a database is the one tier 1 makes; a case that plans
# without error is then applied with --once and must leave nothing safe
# to do.  UPDATE_GOLDEN=1 rewrites catalog.json and expected.out.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

G=$(cd "$(dirname "$0")/../golden/plan" 2>/dev/null && pwd)
[ -d "$G" ] || G=$OLDPWD/tests/golden/plan
n=0
for dir in "$G"/*/; do
	name=$(basename "$dir")
	n=$((n + 1))
	db="${TESTDB}_g$n"
	psql -qAtX -d "$TESTDB" -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1
	if [ -f "$dir/setup.sql" ]; then
		psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -f "$dir/setup.sql" >/dev/null ||
		    _fail "$name: setup.sql failed"
	fi
	snap=$("$BUILD/tests/test_golden" --catalog "dbname=$db" 2>&1)
	got=$(cd "$dir" && "$MIGRATED" --database "dbname=$db" --models models \
	    --migrations . --plan 2>&1; echo "exit $?")
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		printf '%s\n' "$snap" >"$dir/catalog.json"
		printf '%s\n' "$got" >"$dir/expected.out"
	fi
	if d=$(printf '%s\n' "$snap" | diff -u "$dir/catalog.json" - 2>&1); then
		_pass "golden $name: catalog.json is the database's snapshot"
	else
		_fail "golden $name: catalog.json is the database's snapshot" "$d"
	fi
	if d=$(printf '%s\n' "$got" | diff -u "$dir/expected.out" - 2>&1); then
		_pass "golden $name"
	else
		_fail "golden $name" "$d"
	fi
	# a plan without error must apply as printed and leave nothing to do
	case $got in *"-- no changes"*|*"exit "[!0]*) ;; *)
		out=$(cd "$dir" && "$MIGRATED" --database "dbname=$db" \
		    --models models --migrations . --once 2>&1) ||
		    _fail "golden $name: --once failed" "$out"
		again=$(cd "$dir" && "$MIGRATED" --database "dbname=$db" \
		    --models models --migrations . --plan 2>&1 | grep -c '^-- safe' || true)
		is "golden $name: applied, then nothing safe is left" "$again" 0
	esac
	psql -qAtX -d "$TESTDB" -c "DROP DATABASE \"$db\"" >/dev/null
done
is "golden cases found" "$([ $n -ge 5 ] && echo yes)" yes
