# 46_up_settled.sh - `migratectl up` with nothing pending, through a running
# daemon, is answered from one read without the migration lock: one
# statement in the server's log, no audit row, and the very reply the
# locked path gives (a daemon just started behind a pooler in session
# mode, whose first up takes the lock: only a direct connection is known
# to need no question).  A daemon just started on a direct connection
# with nothing to run has opened no lock connection and answers its
# first up without one (with a file to run, its start opens one).
# Whatever may be pending still takes the locked path and gets its
# answer, the same from both daemons: a run holding the lock is waited
# for (busy), an applied file edited is refused (audited), a missing file
# is reported, a new file is applied, a dirty file is resumed.  And
# migratectl, started for every command, loads no libpq.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/f.sock
LSOCK=$T/l.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }
lctl() { timeout 60 "$MIGRATECTL" -s "$LSOCK" "$@"; }
conf() {	# conf FILE SOCK [DATABASE]
	cat >"$1" <<EOF
database: "${3:-dbname=$TESTDB options='-c log_statement=all'}"
models: $T/models
migrations: $T/migrations
socket: $2
apply: on-command
timeouts: { lock: 300ms, lock_retries: 1, retry_backoff: 50ms }
EOF
}
if ! pgb_start pgb; then
	_fail "pgbouncer runs (make deps installs it)"
	exit 0
fi
conf f.yaml "$SOCK"
conf l.yaml "$LSOCK" "$(pgb_db sess)"
conf d.yaml "$LSOCK"
for i in 1 2 3; do
	echo "CREATE TABLE t$i (id int PRIMARY KEY);" \
	    >migrations/2024010${i}_000000_t$i.sql
done

"$MIGRATED" -d -c f.yaml >f.log 2>&1 &
FPID=$!; track $FPID
ok "daemon ready" ctl wait-ready --timeout 30
ctl up >/dev/null 2>&1
is "three applied" "$(q "SELECT count(*) FROM migrated_versions")" 3

FAST="up: nothing pending (one read, no lock)"
fast_count() { grep -c -F "$FAST" f.log; }
# ARGS through the running daemon: the output, then "exit N"
fast() { ctl "$@" 2>&1; echo "exit $?"; }
# ARGS through a daemon started for them behind the pooler (its first up
# takes the lock)
locked() {
	"$MIGRATED" -d -c l.yaml >l.log 2>&1 &
	lpid=$!; track $lpid
	lctl wait-ready --timeout 30 >/dev/null
	lctl "$@" 2>&1; echo "exit $?"
	kill "$lpid"; wait "$lpid" 2>/dev/null
	grep -q -F "$FAST" l.log && echo "(the locked path was not taken)"
}

# audit rows but the daemons' own start and stop
acts() { q "SELECT count(*) FROM migrated_audit WHERE action NOT LIKE 'daemon.%'"; }

# nothing pending: the same reply, in text and JSON, from one read
n0=$(fast_count); a0=$(acts)
want=$(locked up); got=$(fast up)
want_up=$want
is "nothing pending: the locked path's reply" "$got" "$want"
like "nothing pending: said so" "$got" "nothing to do"
is "nothing pending: answered without the lock" "$(fast_count)" $((n0 + 1))
want=$(locked --json up); got=$(fast --json up)
is "nothing pending: the same JSON" "$got" "$want"
like "nothing pending: JSON as before" "$got" '"op":"up".*"pending":0,"applied":3'
is "nothing pending: no audit row (nothing was done)" "$(acts)" "$a0"

# a daemon just started on a direct connection: no lock connection, and
# its first up told without one
lockconns() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrated lock'"; }
direct() {	# direct LOG NAME: a daemon on a direct connection (dpid)
	"$MIGRATED" -d -c d.yaml >"$1" 2>&1 &
	dpid=$!; track $dpid
	ok "$2" lctl wait-ready --timeout 30
}
l0=$(lockconns)		# the first daemon's
direct d.log "direct daemon ready"
is "started: no lock connection opened" "$(lockconns)" "$l0"
got=$(lctl up 2>&1; echo "exit $?")
is "started: its first up, the locked path's reply" "$got" "$want_up"
is "started: its first up told without the lock" \
    "$(grep -c -F "$FAST" d.log)" 1
is "started: still no lock connection" "$(lockconns)" "$l0"
kill "$dpid"; wait "$dpid" 2>/dev/null

# one statement: the server's log, the daemon's worker and lock sessions
# (its periodic ping, SELECT 1 after the role query, aside)
LOG=${CLUSTER_DIR:-}/server.log
if [ -r "$LOG" ]; then
	pids=$(q "SELECT string_agg(pid::text, '|') FROM pg_stat_activity WHERE datname = current_database() AND application_name IN ('migrated', 'migrated lock')")
	off=$(stat -c %s "$LOG")
	ctl up >/dev/null 2>&1
	stmts=$(tail -c +$((off + 1)) "$LOG" |
	    grep -E "\[($pids)\] .*LOG:  (statement|execute [^:]*): " |
	    grep -v -E ": SELECT 1$|: SELECT pg_is_in_recovery\(\), current_setting\('transaction_read_only'\)$" || true)
	is "nothing pending: one statement to the server" \
	    "$(printf '%s\n' "$stmts" | grep -c .)" 1
	like "nothing pending: the read without the lock" "$stmts" \
	    "s\.locked.* FROM .*migrated_versions"
else
	skip "the server's log is not readable here: statements not counted"
fi

# another run holds the lock (as a daemon or --once would): waited for
psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(120) /* lock holder */" >/dev/null 2>&1 &
HOLDER=$!; track $HOLDER
wait_until 30 sh -c "[ \"\$(psql -qAtX -d $TESTDB -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = 7883960004428899684\")\" = 1 ]"
n0=$(fast_count)
# where it waited: the pooler's address, or the server's
at() { sed 's/ on [^)]*)$/ on the database)/'; }
want=$(locked up | at); got=$(fast up | at)
is "lock held: the locked path's reply" "$got" "$want"
like "lock held: busy" "$got" "another migration is running"
like "lock held: exit 1" "$got" "^exit 1$"
is "lock held: not told without the lock" "$(fast_count)" "$n0"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%lock holder%' AND pid <> pg_backend_pid()" >/dev/null
wait $HOLDER 2>/dev/null

# an applied file edited: refused, and the refusal audited, by both
cp migrations/20240102_000000_t2.sql t2.sql
echo "CREATE TABLE t2 (id int PRIMARY KEY, x int);" \
    >migrations/20240102_000000_t2.sql
a0=$(acts)
want=$(locked up); got=$(fast up)
is "applied file edited: the locked path's reply" "$got" "$want"
like "applied file edited: refused" "$got" \
    "'20240102_000000_t2' was changed after it was applied"
like "applied file edited: exit 1" "$got" "^exit 1$"
is "applied file edited: each refusal audited" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.refuse'")" 2
is "applied file edited: nothing else audited" "$(acts)" $((a0 + 2))
cp t2.sql migrations/20240102_000000_t2.sql

# an applied file gone: reported as missing, nothing run
mv migrations/20240103_000000_t3.sql t3.sql
want=$(locked --json up); got=$(fast --json up)
is "missing file: the locked path's reply" "$got" "$want"
like "missing file: reported" "$got" '"missing":1'
mv t3.sql migrations/20240103_000000_t3.sql

# a new file: applied (a build that always says "nothing pending" fails)
n0=$(fast_count)
echo "CREATE TABLE t4 (id int PRIMARY KEY);" \
    >migrations/20240104_000000_t4.sql
# a daemon started with a file that may run opens its lock connection
# with the others (an up is likely to follow, and would wait for it)
l1=$(lockconns)
direct d2.log "pending: direct daemon ready"
is "pending: its lock connection opened by the start" "$(lockconns)" $((l1 + 1))
got=$(fast up)
like "new file: applied" "$got" "^20240104_000000 +t4 +apply "
like "new file: exit 0" "$got" "^exit 0$"
is "new file: its table" "$(q "SELECT to_regclass('t4') IS NOT NULL")" t
is "new file: audited" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier2.apply' AND target = '20240104_000000_t4'")" 1
is "new file: taken under the lock" "$(fast_count)" "$n0"
# the daemon started with it pending, applied by the other meanwhile: its
# first up is told without the lock (its lock connection was checked)
got=$(lctl up 2>&1; echo "exit $?")
like "pending, applied by another: nothing to do" "$got" "nothing to do"
is "pending, applied by another: told without the lock" \
    "$(grep -c -F "$FAST" d2.log)" 1
kill "$dpid"; wait "$dpid" 2>/dev/null
like "then nothing pending again" "$(fast up)" "nothing to do"
is "then told without the lock" "$(fast_count)" $((n0 + 1))

# a dirty file (statement by statement, stopped): resumed, refused again
# by both until the data allow it
q "INSERT INTO t4 VALUES (1), (2)" >/dev/null
q "ALTER TABLE t4 ADD COLUMN a int" >/dev/null
q "UPDATE t4 SET a = 1" >/dev/null
echo "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t4_a ON t4 (a);" \
    >migrations/20240105_000000_u.sql
like "dirty: the first run stops" "$(fast up)" "^exit 1$"
is "dirty: its row" \
    "$(q "SELECT dirty FROM migrated_versions WHERE version = '20240105_000000'")" t
n0=$(fast_count)
want=$(locked up | grep -E "^(error|exit)"); got=$(fast up | grep -E "^(error|exit)")
is "dirty: the locked path's reply" "$got" "$want"
like "dirty: stopped again" "$got" "^exit 1$"
q "UPDATE t4 SET a = id" >/dev/null
like "dirty: resumed once it can finish" "$(fast up)" \
    "^20240105_000000 +u +resume "
is "dirty: taken under the lock" "$(fast_count)" "$n0"
like "then nothing pending" "$(fast up)" "nothing to do"

# reloaded behind a pool in session mode: the pool is asked once, not at
# every lock
conf f.yaml "$SOCK" "$(pgb_db sess)"
hup_and_wait "$SOCK" "$FPID"
p0=$(grep -c "pooler on" f.log)
for v in 6 7; do
	echo "CREATE TABLE t$v (id int PRIMARY KEY);" \
	    >migrations/2024010${v}_000000_t$v.sql
	like "session pool: t$v applied" "$(fast up)" "^exit 0$"
done
is "session pool: asked once for two runs" "$(grep -c "pooler on" f.log)" \
    $((p0 + 1))
# then onto a pool in transaction mode: the lock's connection of the
# session pool is closed, and the next one is asked again
conf f.yaml "$SOCK" "$(pgb_db tx20)"
hup_and_wait "$SOCK" "$FPID"
got=$(fast up)
like "transaction pool: nothing pending, refused as the locked path does" \
    "$got" "a pooler in transaction mode is in between"
like "transaction pool: exit 1" "$got" "^exit 1$"

kill "$FPID"; wait "$FPID" 2>/dev/null
pgb_stop

# the client stays small: every command starts it, and libpq would bring
# its Kerberos, LDAP and TLS libraries (half of a no-op up's CPU)
libs=$(ldd "$MIGRATECTL" 2>&1)
unlike "migratectl loads no libpq" "$libs" "libpq"
