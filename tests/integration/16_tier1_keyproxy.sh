# 16_tier1_keyproxy.sh - a proxy in transaction mode that passes a real
# backend's key on (tests/lib/keyproxy.py: the client sees backend A's
# pid in BackendKeyData and A answers pg_backend_pid(), but the statement
# that takes the lock runs on backend B).  The session check finds the
# connection "direct"; the lock's own statement takes the lock only on
# the backend the key names and says which backend it ran on: B, which
# takes nothing, and migrated refuses and applies nothing (asking
# pg_locks instead could land on the backend that took it, and pass).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

LIB=$(cd "$(dirname "$0")/../lib" 2>/dev/null && pwd)
[ -f "$LIB/keyproxy.py" ] || LIB=$OLDPWD/tests/lib
mkdir -p m migrations px
printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n  n: int\n' >m/t.yaml
python3 "$LIB/keyproxy.py" "$T/px/.s.PGSQL.$PGPORT" \
    "$PGHOST/.s.PGSQL.$PGPORT" pg_try_advisory_lock >proxy.log 2>&1 &
proxy=$!; track $proxy
wait_until 30 test -S "$T/px/.s.PGSQL.$PGPORT"
PX="host=$T/px port=$PGPORT dbname=$TESTDB"
is "the proxy passes statements on" "$(psql -qAtX -d "$PX" -c "SELECT 1")" 1

out=$(timeout 60 "$MIGRATED" --database "$PX" --models m \
    --migrations migrations --once 2>&1); rc=$?
is "lock taken on another backend: exit 1" "$rc" 1
like "refused: the lock is not held by this session" "$out" \
    "session advisory lock 7883960004428899684 is not held by this session after taking it"
is "nothing applied" "$(q "SELECT count(*) FROM pg_class WHERE relname = 't'")" 0
advisory() { q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"; }
none_left() { [ "$(advisory)" = 0 ]; }
ok "no advisory lock left once the run ended" poll 30 none_left
kill "$proxy"; wait "$proxy" 2>/dev/null

# the same proxy sending pg_locks to B as well: asked there, the lock
# would look held; it is never taken on B
rm -f "$T/px/.s.PGSQL.$PGPORT"
python3 "$LIB/keyproxy.py" "$T/px/.s.PGSQL.$PGPORT" \
    "$PGHOST/.s.PGSQL.$PGPORT" advisory >proxy2.log 2>&1 &
proxy=$!; track $proxy
wait_until 30 test -S "$T/px/.s.PGSQL.$PGPORT"
out=$(timeout 60 "$MIGRATED" --database "$PX" --models m \
    --migrations migrations --once 2>&1); rc=$?
is "pg_locks on B too: exit 1" "$rc" 1
like "pg_locks on B too: refused" "$out" \
    "session advisory lock 7883960004428899684 is not held by this session after taking it"
is "pg_locks on B too: nothing applied" \
    "$(q "SELECT count(*) FROM pg_class WHERE relname = 't'")" 0
ok "pg_locks on B too: no advisory lock left" poll 30 none_left
kill "$proxy"; wait "$proxy" 2>/dev/null

# direct, the same run applies
out=$("$MIGRATED" --database "dbname=$TESTDB" --models m \
    --migrations migrations --once 2>&1); rc=$?
is "direct: exit 0" "$rc" 0
is "direct: applied" "$(q "SELECT count(*) FROM pg_class WHERE relname = 't'")" 1
