# 58_patroni.sh - the same daemon behind Patroni (Debian's patroni with
# etcd-server; skipped when they are not installed): two members in
# synchronous mode, reached through a multi-host conninfo with
# target_session_attrs=read-write.  `patronictl switchover` while the
# daemon is idle (reconnected to the new leader, tier 1 re-checked, the
# switchover recorded there), then in the middle of an `up` at a seeded
# random point: the next `up` on the new leader applies every file once,
# leaves no index invalid, completes the backfill, and the audit chain
# verifies.  SEED=N replays the point.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"

if ! command -v patroni >/dev/null || ! command -v patronictl >/dev/null ||
    ! command -v etcd >/dev/null; then
	skip "patroni, patronictl or etcd not installed (apt-get install patroni etcd-server)"
	exit 0
fi
SEED=${SEED:-$(( $(date +%s) % 100000 ))}
echo "  seed $SEED (SEED=$SEED replays it)"
K=$(( SEED % 30 + 1 ))

D=$T/pat
mkdir -p "$D" models migrations
chmod 755 "$D"
[ "$(id -u)" -ne 0 ] || chown postgres: "$D"
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
EC=$(freeport) EP=$(freeport) R1=$(freeport) R2=$(freeport)
P1=$(freeport) P2=$(freeport)
PIDS=""
cleanup() {
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID"
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for d in "$D"/data1 "$D"/data2; do
		[ -f "$d/postmaster.pid" ] && cluster_as_owner "$PGBIN/pg_ctl" \
		    -D "$d" -m immediate -w stop >/dev/null 2>&1
	done
	[ -n "${EPID:-}" ] && kill -TERM "$EPID" 2>/dev/null && wait "$EPID"
}
trap cleanup EXIT

etcd --name e1 --data-dir "$D/etcd" --log-level warn \
    --listen-client-urls "http://127.0.0.1:$EC" \
    --advertise-client-urls "http://127.0.0.1:$EC" \
    --listen-peer-urls "http://127.0.0.1:$EP" \
    --initial-advertise-peer-urls "http://127.0.0.1:$EP" \
    --initial-cluster "e1=http://127.0.0.1:$EP" >etcd.log 2>&1 &
EPID=$!; track $EPID
member() {	# member N RESTPORT PGPORT: its configuration file
	cat >"$D/n$1.yml" <<EOF
scope: mig
name: n$1
restapi: { listen: "127.0.0.1:$2", connect_address: "127.0.0.1:$2" }
etcd3: { hosts: "127.0.0.1:$EC" }
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 5
    synchronous_mode: true
    postgresql: { use_pg_rewind: false, parameters: { fsync: "off" } }
  initdb: [ { encoding: UTF8 }, { locale: C.UTF-8 } ]
  pg_hba:
    - local all all trust
    - local replication all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: "127.0.0.1:$3"
  connect_address: "127.0.0.1:$3"
  data_dir: $D/data$1
  bin_dir: $PGBIN
  pgpass: $D/pgpass$1
  authentication: { replication: { username: postgres }, superuser: { username: postgres } }
  parameters: { unix_socket_directories: "$D", max_connections: 60 }
EOF
	[ "$(id -u)" -ne 0 ] || chown postgres: "$D/n$1.yml"
}
member 1 "$R1" "$P1"
member 2 "$R2" "$P2"
pctl() { patronictl -c "$D/n1.yml" "$@"; }
leader_is() {	# leader_is N: member nN leads, the other is a streaming sync standby
	pctl list -f json 2>/dev/null | python3 -c '
import json, sys
m = {x["Member"]: x for x in json.load(sys.stdin)}
lead = "n" + sys.argv[1]
other = "n2" if lead == "n1" else "n1"
ok = m.get(lead, {}).get("Role") == "Leader" and m.get(lead, {}).get("State") == "running" \
    and m.get(other, {}).get("Role") == "Sync Standby" and m.get(other, {}).get("State") in ("running", "streaming")
sys.exit(0 if ok else 1)' "$1"
}
listening() {	# listening PORT: something accepts connections there
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1"
}
wait_until 30 listening "$EC"
# as the owner of the data, in this very process (its PID is patroni's:
# runuser would not pass SIGTERM on)
patroni_run() {
	if [ "$(id -u)" -eq 0 ]; then
		exec setpriv --reuid=postgres --regid=postgres --init-groups \
		    env HOME="$D" patroni "$@"
	fi
	exec patroni "$@"
}
(patroni_run "$D/n1.yml") >n1.log 2>&1 &
PIDS="$PIDS $!"; track $!
wait_until 60 pg_isready -q -h 127.0.0.1 -p "$P1"
(patroni_run "$D/n2.yml") >n2.log 2>&1 &
PIDS="$PIDS $!"; track $!
wait_until 90 leader_is 1 || { tail -n 20 n1.log n2.log; exit 0; }
ok "patroni: n1 leads, n2 is a synchronous standby" leader_is 1
psql -h 127.0.0.1 -p "$P1" -U postgres -d postgres -qAtX -c "CREATE DATABASE pt"
on() { psql -h 127.0.0.1 -p "$1" -U postgres -d pt -qAtX -v ON_ERROR_STOP=1 -c "$2"; }
wait_until 30 on "$P2" "SELECT 1"

cat >models/things.yaml <<'YAML'
table: things
columns:
  id: { type: bigint, primary_key: true }
YAML
cat >migrations/20260101000001_items.sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, w int);
INSERT INTO items (id, v) SELECT g, g % 1000 FROM generate_series(1, 20000) g;
SQL
cat >migrations/20260101000002_idx.sql <<'SQL'
CREATE INDEX CONCURRENTLY items_v ON items (v);
CREATE INDEX CONCURRENTLY items_vid ON items (v, id);
CREATE INDEX CONCURRENTLY items_idv ON items (id, v);
SQL
cat >migrations/20260101000003_backfill.sql <<'SQL'
-- migrated:batch size=1000 pause=200ms
UPDATE items SET w = v * 2 WHERE w IS NULL;
SQL
cat >migrations/20260101000004_more.sql <<'SQL'
CREATE TABLE more (id int PRIMARY KEY);
INSERT INTO more SELECT g FROM generate_series(1, 5000) g;
SQL
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
"$MIGRATED" --database "host=127.0.0.1,127.0.0.1 port=$P1,$P2 dbname=pt user=postgres target_session_attrs=read-write" \
    --models models --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready through Patroni's members" ctl wait-ready --timeout 60
# on_port PORT: the daemon is on it, as primary, idle: the recheck that
# found it has ended (available), nothing of a command's runs (busy)
# and tier 1 went well there (ready).  Not jobs == 0: the daemon's own
# idle ping, every 2 s, counts there for its round trips, so that a
# second look right after a first could find it (docs/protocol.md).
on_port() {
	status_says "$SOCK" "d['data']['database']['available'] and d['data']['database']['port'] == '$1' and d['data']['database']['role'] == 'primary' and d['data']['busy'] is None and d['data']['ready']"
}
ok "on n1" on_port "$P1"

# --- idle ---------------------------------------------------------------
pctl switchover --leader n1 --candidate n2 --force >switch1.log 2>&1
wait_until 60 on_port "$P2"
ok "idle switchover: on the new leader n2" on_port "$P2"
like "idle switchover: logged" "$(cat daemon.log)" \
    "primary changed: now 127.0.0.1:$P2 \(the primary was 127.0.0.1:$P1\)"
is "idle switchover: recorded on n2" "$(on "$P2" "SELECT count(*) FROM migrated_audit WHERE action = 'daemon.switchover'")" 1
is "idle switchover: tier 1 there" "$(on "$P2" "SELECT count(*) FROM pg_tables WHERE tablename = 'things'")" 1
wait_until 90 leader_is 2

# --- in the middle of an up ----------------------------------------------
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
up_went() { [ "$(lines up.out)" -ge "$1" ] || ! kill -0 $UP 2>/dev/null; }
ctl --json up >up.out 2>&1 &
UP=$!; track $UP
poll 60 up_went $K
pctl switchover --leader n2 --candidate n1 --force >switch2.log 2>&1
wait $UP; uprc=$?
echo "  switchover after $K of $(lines up.out) progress lines (up exit $uprc)"
wait_until 60 on_port "$P1"
out=$(ctl up 2>&1); rc=$?
is "up on the new leader n1: exit 0" "$rc" 0
got=$(on "$P1" "SELECT
    (SELECT count(*) FROM migrated_versions WHERE NOT dirty) || ' ' ||
    (SELECT count(*) FROM items) || ' ' ||
    (SELECT count(*) FROM items WHERE w IS DISTINCT FROM v * 2) || ' ' ||
    (SELECT count(*) FROM more) || ' ' ||
    (SELECT count(*) FROM pg_index WHERE NOT indisvalid) || ' ' ||
    (SELECT count(*) FROM pg_indexes WHERE indexname IN ('items_v', 'items_vid', 'items_idv')) || ' ' ||
    (SELECT count(*) FROM migrated_audit f JOIN migrated_audit a
      ON a.target = f.target AND a.action = 'tier2.apply'
      AND f.action = 'tier2.fail' AND f.id > a.id)")
is "every file applied once, nothing invalid, the backfill complete" "$got" "4 20000 0 5000 0 3 0"
ok "the audit chain verifies on n1" ctl audit verify
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
DPID=
