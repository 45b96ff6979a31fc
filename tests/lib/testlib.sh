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
#
# Waiting: a test never sleeps for a fixed time and then asserts; it polls
# a condition with a deadline (machines differ, and `make test-loaded` runs
# the suite beside two CPU hogs):
#
#   wait_until SECS COMMAND...     poll COMMAND until it exits 0; on timeout
#                                  a FAIL naming COMMAND, and status 1
#   poll SECS COMMAND...           the same without the FAIL, for use as the
#                                  command of a check: ok "name" poll 30 ...
#   json_get EXPR                  read one JSON object on stdin, print the
#                                  Python expression EXPR of it (d = the
#                                  object); lists one item a line
#   daemon_json SOCK EXPR          json_get EXPR of `migratectl --json status`
#                                  (the status is d['data'])
#   status_says SOCK EXPR          the same EXPR is true, e.g.
#                                  status_says "$SOCK" "d['data']['ready']"
#   hup_and_wait SOCK PID          SIGHUP the daemon, wait until its reload
#                                  has ended (status "reloads" grew, not busy)
#   jobs_done SOCK                 wait until the daemon's database worker has
#                                  finished every job submitted so far
#   pending_has SOCK NAME          status lists NAME among pending enhancements
#
# Processes: every background process a test starts is passed to track
# (track PID), so that the harness can end exactly those, by PID, if the
# test leaves them behind.  The second user (31, 33) runs the binaries from
# $SHARED_BIN, a folder the harness made that any user can reach.

set -u
MIGRATED=${MIGRATED:-$BUILD/migrated}
MIGRATECTL=${MIGRATECTL:-$BUILD/migratectl}
# copies of the binaries that a second user can run (the checkout may be in
# a private folder such as /root/src)
SHARED_BIN=${SHARED_BIN:-$BUILD}
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

# tracking_table [DB]: the name of migrated's tracking table (found by its
# comment, "migrated tracking N", whatever its configured name); empty
# when there is none yet
tracking_table() {
	psql -qAtX -d "${1:-$TESTDB}" -c "SELECT c.oid::regclass FROM pg_class c JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 WHERE d.description LIKE 'migrated tracking %' LIMIT 1"
}

# track PID...: the harness ends these at the end of the file if they still
# run (the start time tells a recycled PID from ours)
track() {
	for _p in "$@"; do
		# field 22 of stat, counted after the ")" that ends the name
		_st=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null |
		    awk '{ print $20 }')
		[ -n "$_st" ] || continue
		echo "$_p $_st" >>"$T/.pids"
	done
}

. "$(dirname "${BASH_SOURCE[0]}")/poll.sh"

# wait_until SECS COMMAND...: poll, and a FAIL naming COMMAND on timeout
wait_until() {
	_wu_secs=$1
	poll "$@" && return 0
	shift
	_fail "timed out after ${_wu_secs} s waiting for: $*"
	return 1
}

json_get() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
v = eval(sys.argv[1], {"d": d})
if isinstance(v, list):
    for x in v:
        print(x if isinstance(x, str) else json.dumps(x))
elif isinstance(v, bool) or v is None:
    print(json.dumps(v))
else:
    print(v)' "$1"
}

daemon_json() {	# daemon_json SOCK EXPR
	"$MIGRATECTL" -s "$1" --json status 2>/dev/null | json_get "$2"
}

# EXPR, a Python expression of d (the reply; the status is d['data']), holds
status_says() {	# status_says SOCK EXPR
	[ "$(daemon_json "$1" "bool($2)" 2>/dev/null)" = true ]
}

pending_has() {	# pending_has SOCK NAME
	status_says "$1" "'$2' in ((d['data'].get('enhancements') or {}).get('pending') or [])"
}

jobs_done() {	# jobs_done SOCK: every database job submitted so far finished
	wait_until 60 status_says "$1" "d['data']['jobs'] == 0"
}

hup_and_wait() {	# hup_and_wait SOCK PID
	_hw=$(daemon_json "$1" "d['data']['reloads']")
	kill -HUP "$2"
	wait_until 60 status_says "$1" \
	    "d['data']['reloads'] > ${_hw:-0} and d['data']['busy'] is None"
}

# notify_listen SOCK LOG: stands in for systemd's notify socket; each
# datagram becomes a line of LOG (its newlines as spaces).  Sets LPID
# (tracked) and returns once the socket exists.
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n"); f.flush()
' "$1" "$2" &
	LPID=$!
	track $LPID
	wait_until 30 test -S "$1"
}

# hold_writer TABLE VALUES: an application transaction that has inserted
# (VALUES) into TABLE stays open, as CREATE INDEX CONCURRENTLY must wait
# for; returns once its lock is granted.  release_writers ends them all.
hold_writer() {
	psql -qAtX -d "$TESTDB" -c "BEGIN" -c "INSERT INTO $1 VALUES ($2)" \
	    -c "SELECT pg_sleep(120) /* held writer */" >/dev/null 2>&1 &
	HOLDER=$!
	track $HOLDER
	wait_until 30 sh -c "[ \"\$(psql -qAtX -d $TESTDB -c \"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '$1' AND l.mode = 'RowExclusiveLock' AND l.granted\")\" -ge 1 ]"
}
release_writers() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%held writer%' AND pid <> pg_backend_pid()" >/dev/null
	wait $HOLDER 2>/dev/null || true
}

# pgb_start NAME [RR]: a pgbouncer (a test dependency: make deps installs
# it) in $T/NAME in front of the test cluster, listening on a Unix socket
# there, with three pools on TESTDB: tx1 (pool_mode transaction,
# pool_size 1), tx20 (transaction, 20) and sess (session, 20); RR=1 sets
# server_round_robin (the default hands out the server connection used
# last).  Sets PGB_DIR and PGB_PORT (tracked; pgb_stop ends it).  pgb_db
# POOL prints a conninfo for the pool POOL.  1 when pgbouncer is missing.
pgb_start() {
	_pgb=$(command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null) ||
	    return 1
	PGB_DIR=$T/$1
	mkdir -p "$PGB_DIR" && chmod 777 "$PGB_DIR"
	for _try in 1 2 3 4 5; do
		# SRANDOM: a seeded RANDOM (tests/faults) stays as it was
		PGB_PORT=$(( (${SRANDOM:-$RANDOM} % 20000) + 30000 ))
		cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
tx1 = host=$PGHOST port=$PGPORT user=$PGUSER dbname=$TESTDB pool_size=1 pool_mode=transaction
tx20 = host=$PGHOST port=$PGPORT user=$PGUSER dbname=$TESTDB pool_size=20 pool_mode=transaction
sess = host=$PGHOST port=$PGPORT user=$PGUSER dbname=$TESTDB pool_size=20 pool_mode=session
[pgbouncer]
listen_addr =
listen_port = $PGB_PORT
unix_socket_dir = $PGB_DIR
auth_type = any
server_round_robin = ${2:-0}
max_client_conn = 400
logfile = $PGB_DIR/pgbouncer.log
pidfile = $PGB_DIR/pgbouncer.pid
INI
		chmod 644 "$PGB_DIR/pgbouncer.ini"
		rm -f "$PGB_DIR/pgbouncer.pid"
		if [ "$(id -u)" -eq 0 ]; then
			runuser -u postgres -- "$_pgb" -d "$PGB_DIR/pgbouncer.ini"
		else
			"$_pgb" -d "$PGB_DIR/pgbouncer.ini"
		fi || continue
		poll 30 test -s "$PGB_DIR/pgbouncer.pid" || continue
		track "$(cat "$PGB_DIR/pgbouncer.pid")"
		poll 30 psql -qAtX -d "$(pgb_db tx20)" -c "SELECT 1" && return 0
	done
	return 1
}
pgb_db() { echo "host=$PGB_DIR port=$PGB_PORT dbname=$1"; }
pgb_stop() {	# pgb_stop: the pgbouncer pgb_start started last
	_pgbpid=$(cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null) || return 0
	kill "$_pgbpid" 2>/dev/null
	poll 30 sh -c "! kill -0 $_pgbpid 2>/dev/null"
}
# pgb_load POOL N: N clients run short transactions through POOL, one
# after another, until pgb_unload (tracked)
pgb_load() {
	PGB_LOAD_PIDS=""
	for _i in $(seq "$2"); do
		printf 'SELECT pg_sleep(0.005) \\watch 0.01\n' |
		    psql -qAtX -d "$(pgb_db "$1")" >/dev/null 2>&1 &
		track $!
		PGB_LOAD_PIDS="$PGB_LOAD_PIDS $!"
	done
}
pgb_unload() {
	for _p in ${PGB_LOAD_PIDS:-}; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	PGB_LOAD_PIDS=""
}
