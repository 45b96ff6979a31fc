#!/usr/bin/env bash
# run.sh BUILD [unit|integration|faults|NAME...] - the test suite.
#
# Starts one throwaway PostgreSQL cluster in a temporary folder, runs the
# cmocka unit tests, the integration tests and the fault suite (each file
# of tests/integration/ and tests/faults/ gets a database of its own),
# stops and removes the cluster on every exit path, and ends with the line
# "N passed, M failed" (after "faults: N injected, M inconsistencies").
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}; shift || true
export BUILD=$(cd "$BUILD" && pwd)
only=("$@")

. tests/lib/cluster.sh
. tests/lib/poll.sh

TMP=$(mktemp -d /tmp/migrated-test.XXXXXX)
chmod 755 "$TMP"
export RESULTS=$TMP/results
: >"$RESULTS"
# The checkout may sit in a private folder (/root/src, a 0700 home): copies
# of the binaries in a folder every user can reach, for the tests that run
# migratectl as a second user.
export SHARED_BIN=$TMP/bin
mkdir -p "$SHARED_BIN"
cp "$BUILD/migrated" "$BUILD/migratectl" "$SHARED_BIN/"
chmod 755 "$SHARED_BIN" "$SHARED_BIN/migrated" "$SHARED_BIN/migratectl"
cleanup() {
	for _f in "$TMP"/t_*/.pids; do reap "$_f"; done
	cluster_stop
	rm -rf "$TMP"
}

# End the processes a test file recorded (tests/lib/testlib.sh: track) and
# left running: by PID, only while /proc says it is still the same process
# (same start time), SIGTERM, up to 10 s to go, then SIGKILL.
reap() {	# reap PIDFILE
	[ -f "$1" ] || return 0
	_left=""
	while read -r _pid _start; do
		# state and start time: fields 3 and 22, after the ")" of the name
		_now=$(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null |
		    awk '{ print $1, $20 }')
		[ "${_now#* }" = "$_start" ] && [ "${_now%% *}" != Z ] || continue
		echo "  left running: $(tr '\0' ' ' </proc/$_pid/cmdline | cut -c1-100) (pid $_pid): terminating"
		kill -TERM "$_pid" 2>/dev/null && _left="$_left $_pid"
	done <"$1"
	poll 10 reap_gone && return 0
	for _pid in $_left; do kill -KILL "$_pid" 2>/dev/null; done
}

# reap_gone: drop from _left the processes that have ended (a zombie has);
# true once none is left
reap_gone() {
	_alive=""
	for _pid in $_left; do
		_s=$(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null |
		    awk '{ print $1 }')
		[ -n "$_s" ] && [ "$_s" != Z ] && _alive="$_alive $_pid"
	done
	_left=$_alive
	[ -z "$_left" ]
}

trap cleanup EXIT
trap 'exit 130' INT TERM

wanted() {	# wanted KIND NAME
	[ ${#only[@]} -eq 0 ] && return 0
	for o in "${only[@]}"; do
		[ "$o" = "$1" ] || [ "$o" = "$2" ] && return 0
	done
	return 1
}

cluster_start "$TMP/pg" || { echo "0 passed, 1 failed"; exit 1; }
echo "cluster: PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}') on $PGHOST port $PGPORT"

n=0
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	wanted unit "$name" || continue
	n=$((n + 1))
	db="u_${name#test_}_$n"
	cluster_createdb "$db"
	echo "== unit: $name"
	out=$(cd "$TMP" && TESTDB=$db PGDATABASE=$db CMOCKA_MESSAGE_OUTPUT=TAP \
	    timeout 300 "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^(not )?ok ' | sed 's/^/  /'
	printf '%s\n' "$out" | grep -E '^ok ' |
	    sed "s/^ok [0-9]* - /PASS $name: /" >>"$RESULTS"
	printf '%s\n' "$out" | grep -E '^not ok ' |
	    sed "s/^not ok [0-9]* - /FAIL $name: /" >>"$RESULTS"
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok '; then
		echo "FAIL $name: exited $rc" >>"$RESULTS"
		printf '%s\n' "$out" | tail -n 30
	elif printf '%s\n' "$out" | grep -q '^not ok '; then
		printf '%s\n' "$out" | grep -v -E '^(ok|1\.\.)' | head -n 40
	fi
done

# The fault suite (tests/faults/) runs like the integration tests, after
# them, with one seed for its random choices: FAULT_SEED=N replays a run.
export FAULT_SEED=${FAULT_SEED:-$(( $(date +%s%N) / 1000 % 100000 ))}
for t in tests/integration/*.sh tests/faults/[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	kind=$(basename "$(dirname "$t")")
	wanted "$kind" "$name" || continue
	n=$((n + 1))
	db="i_${name//[^a-z0-9_]/_}_$n"
	cluster_createdb "$db"
	tdir=$TMP/t_$name
	mkdir -p "$tdir"
	chmod 755 "$tdir"
	[ "$kind" = faults ] && kind="faults (seed $FAULT_SEED)"
	echo "== $kind: $name"
	before=$(grep -c . "$RESULTS")
	(cd "$tdir" && TESTDB=$db T=$tdir timeout 600 bash "$OLDPWD/$t") 2>&1 |
	    sed 's/^/  /'
	rc=${PIPESTATUS[0]}
	after=$(grep -c . "$RESULTS")
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name: script exited $rc" >>"$RESULTS"
		echo "  FAIL script exited $rc"
	elif [ "$after" -eq "$before" ]; then
		echo "FAIL $name: no checks ran" >>"$RESULTS"
	fi
	# a test must not leave processes behind: end those it started
	reap "$tdir/.pids"
done

# one line for the fault suite: faults injected, invariants broken
if grep -q '^FAULTS ' "$RESULTS"; then
	awk -v seed="$FAULT_SEED" '/^FAULTS / { f += $3; b += $4 }
	    END { printf "faults: %d injected, %d inconsistencies (seed %s)\n",
		f, b, seed }' "$RESULTS"
fi
passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
skipped=$(grep -c '^SKIP' "$RESULTS")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failures:"
	grep '^FAIL' "$RESULTS" | sed 's/^FAIL /  /'
fi
echo
if [ "$skipped" -gt 0 ]; then
	echo "skipped:"
	grep '^SKIP' "$RESULTS" | sed 's/^SKIP /  /'
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
