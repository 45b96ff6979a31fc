# 16_tier1_pooler.sh - behind a transaction-pooling pgbouncer the session
# advisory lock protects nothing: migrated finds that out before it locks
# or changes anything, whatever the pool's size, load and order, refuses
# clearly, and leaves no lock on any pooled server connection, so that a
# correctly configured daemon gets the lock at once.  A session-mode pool
# keeps the session: it works.  pgbouncer is a test dependency
# (scripts/deps.sh installs it).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
audit_table_ready	# refusals and failures add audit rows, by design

mkdir -p m migrations
model() {	# model COLUMNS...: table t with id and the int COLUMNS
	printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/t.yaml
	for c in "$@"; do printf '  %s: int\n' "$c" >>m/t.yaml; done
}
model
ok "direct connection: applied" "$MIGRATED" --database "dbname=$TESTDB" \
    --models m --migrations migrations --once
model n

if ! pgb_start lifo; then
	_fail "pgbouncer runs (make deps installs it)"
	exit 0
fi
advisory() {	# advisory locks held on the server, by anyone
	q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
}
before=$(schema_snapshot --exclude-table-data=migrated_audit)
refused() {	# refused NAME POOL: tier 1 through POOL is refused, cleanly
	out=$(timeout 60 "$MIGRATED" --database "$(pgb_db "$2")" \
	    --models m --migrations migrations --once 2>&1); rc=$?
	is "$1: exit 1" "$rc" 1
	like "$1: refused clearly" "$out" "error: cannot hold the session \
advisory lock 7883960004428899684 through 'database': a pooler in \
transaction mode is in between"
	like "$1: hint" "$out" "hint: point 'database' at PostgreSQL \
directly or at a pool in session mode"
	is "$1: no advisory lock left on any server connection" \
	    "$(advisory)" 0
	is "$1: nothing applied" \
	    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
}
# pgbouncer's default order hands a client the server connection used
# last, so on an idle pool every statement of one client lands on one
# backend and a check made after locking passes by chance
refused "pool_size 1, idle" tx1
refused "pool_size 20, idle" tx20
pgb_load tx20 4
refused "pool_size 20, loaded" tx20
pgb_unload
pgb_load tx1 3
refused "pool_size 1, loaded" tx1
pgb_unload
pgb_stop

# round robin: the second connection is handed another backend, and the
# first one's notification never comes
pgb_start rr 1 || _fail "second pgbouncer runs"
pids=""
for i in 1 2 3 4; do
	psql -qAtX -d "$(pgb_db tx20)" -c "SELECT pg_sleep(0.3)" >/dev/null &
	track $!; pids="$pids $!"
done
for p in $pids; do wait "$p"; done
refused "round robin, pool_size 20, idle" tx20
pgb_load tx20 4
refused "round robin, pool_size 20, loaded" tx20
pgb_unload

# the daemon: a refused start cannot heal by waiting (exit 78)
out=$(timeout 60 "$MIGRATED" --database "$(pgb_db tx20)" --models m \
    --migrations migrations --socket "$T/d1.sock" 2>&1); rc=$?
is "daemon through a transaction pool: exit 78" "$rc" 78
like "daemon: says why" "$out" "a pooler in transaction mode is in between"
is "daemon: no advisory lock left" "$(advisory)" 0

# a correctly configured daemon gets the lock at once
out=$(timeout 60 "$MIGRATED" --database "dbname=$TESTDB" --models m \
    --migrations migrations --once 2>&1); rc=$?
is "direct afterwards: exit 0" "$rc" 0
like "direct afterwards: applied" "$out" "applied 1 changes?"
unlike "direct afterwards: did not wait for a lock" "$out" "after waiting"

# tier 2 through a transaction pool: the start had nothing to do (no
# lock needed), but `up` needs the lock and is refused before it
cat >migrations/20260101000000_t2.sql <<'SQL'
CREATE TABLE t2 (id int);
SQL
SOCK=$T/d2.sock
"$MIGRATED" --database "$(pgb_db tx20)" --models m --migrations migrations \
    --socket "$SOCK" >d2.log 2>&1 &
DPID=$!; track $DPID
ok "daemon with nothing to do starts through the pool" \
    "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 60
out=$("$MIGRATECTL" -s "$SOCK" up --yes 2>&1); rc=$?
like "up through a transaction pool: refused" "$out" \
    "a pooler in transaction mode is in between"
is "up: nothing applied" "$(q "SELECT to_regclass('t2') IS NULL")" t
is "up: no advisory lock left" "$(advisory)" 0
ok "daemon still running" kill -0 $DPID
kill -TERM $DPID; wait $DPID

# a session-mode pool keeps the session: tier 1 and tier 2 work
model n s
out=$(timeout 60 "$MIGRATED" --database "$(pgb_db sess)" --models m \
    --migrations migrations --once --up 2>&1); rc=$?
is "session pool: exit 0" "$rc" 0
like "session pool: tier 1 applied" "$out" "applied 1 changes?"
is "session pool: tier 2 applied" "$(q "SELECT to_regclass('t2') IS NOT NULL")" t
is "session pool: lock let go" "$(advisory)" 0

# with nothing to do, --once --up needs no lock, as the daemon's start
# does: through the transaction pool it succeeds and changes nothing
before=$(schema_snapshot --exclude-table-data=migrated_audit)
out=$(timeout 60 "$MIGRATED" --database "$(pgb_db tx20)" --models m \
    --migrations migrations --once --up 2>&1); rc=$?
is "nothing to do through a transaction pool: exit 0" "$rc" 0
like "nothing to do: said so" "$out" "tier 2: 0 applied, current version 20260101000000"
is "nothing to do: nothing changed" \
    "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
is "nothing to do: no advisory lock left" "$(advisory)" 0
pgb_stop
