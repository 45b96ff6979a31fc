#!/bin/sh
# check.sh BUILD NAME... - run the tests that need no PostgreSQL
# (build/tests/NAME for each NAME: cmocka unit tests and test_golden) with
# no database in the environment, and end with "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
BUILD=$(cd "$1" && pwd); shift
unset TESTDB PGHOST PGPORT PGDATABASE PGUSER PGSERVICE
# tests write scratch files in their current folder: a private one, with
# OLDPWD (as tests/run.sh leaves it) naming the checkout
TMP=$(mktemp -d /tmp/migrated-check.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0
for name in "$@"; do
	out=$(cd "$TMP" && CMOCKA_MESSAGE_OUTPUT=TAP "$BUILD/tests/$name" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		printf '%s\n' "$out" | tail -n 20
		echo "FAIL $name: exited $rc"
	elif [ "$f" -gt 0 ]; then
		printf '%s\n' "$out" | grep -v -E '^(ok |1\.\.)' | head -n 60
	fi
	echo "$name: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
