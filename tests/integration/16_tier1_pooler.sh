# 16_tier1_pooler.sh - behind a transaction-pooling pgbouncer the session
# advisory lock protects nothing: tier 1 must refuse clearly, not race.
# pgbouncer is a test dependency (scripts/deps.sh installs it).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
audit_table_ready	# refusals and failures add audit rows, by design

mkdir -p m migrations
printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/t.yaml

# directly: the lock is held by our own backend, tier 1 applies
ok "direct connection: applied" "$MIGRATED" --database "dbname=$TESTDB" \
    --models m --migrations migrations --once
printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n  n: int\n' >m/t.yaml

PGB=$(command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null || true)
if [ -z "$PGB" ]; then
	_fail "pgbouncer is installed (make deps installs it)"
	exit 0
fi
mkdir -p pgb && chmod 777 pgb
port=$(( (RANDOM % 20000) + 30000 ))
cat >pgb/pgbouncer.ini <<INI
[databases]
* = host=$PGHOST port=$PGPORT user=$PGUSER
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $T/pgb
auth_type = any
pool_mode = transaction
server_round_robin = 1
default_pool_size = 4
logfile = $T/pgb/pgbouncer.log
pidfile = $T/pgb/pgbouncer.pid
INI
chmod 644 pgb/pgbouncer.ini
if [ "$(id -u)" -eq 0 ]; then
	runuser -u postgres -- "$PGB" -d "$T/pgb/pgbouncer.ini"
else
	"$PGB" -d "$T/pgb/pgbouncer.ini"
fi
trap 'kill "$(cat "$T/pgb/pgbouncer.pid" 2>/dev/null)" 2>/dev/null' EXIT
wait_until 30 test -s "$T/pgb/pgbouncer.pid"
track "$(cat "$T/pgb/pgbouncer.pid")"
wait_until 30 psql -qAtX -h "$T/pgb" -p "$port" -d "$TESTDB" -c "SELECT 1"
# open several server connections so that statements spread over them
for i in 1 2 3 4; do
	psql -qAtX -h "$T/pgb" -p "$port" -d "$TESTDB" -c "SELECT pg_sleep(0.5)" >/dev/null 2>&1 &
done
wait
before=$(schema_snapshot --exclude-table-data=migrated_audit)
out=$(timeout 60 "$MIGRATED" --database "host=$T/pgb port=$port dbname=$TESTDB" \
    --models m --migrations migrations --once 2>&1); rc=$?
is "transaction pooler: exit 1" "$rc" 1
like "transaction pooler: refused clearly" "$out" \
    "error: session advisory lock 7883960004428899684 is not held by this session"
like "transaction pooler: hint" "$out" "hint: point migrated at PostgreSQL directly or at a pool in session mode"
is "transaction pooler: nothing applied" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
