# 59_fleet_fork.sh - the fleet service forks each member from its worker
# thread while the loop thread answers requests (daemon/forkgate.h): with
# `status` asked over and over during `check` and `up` passes, every
# member's process must still run to its end (a child that inherited a
# lock held by the loop thread at the fork would wait forever: seen under
# AddressSanitizer before the gate: FORK_N=40 FORK_PASSES=10 under
# build-asan hung in its first run without it), and the daemon answer
# throughout.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
N=${FORK_N:-24}
PASSES=${FORK_PASSES:-6}
P=${TESTDB}_k
SOCK=$T/fleet.sock
ctl() { timeout 60 "$MIGRATECTL" -s "$SOCK" "$@"; }

for i in $(seq 1 $N); do
	echo "CREATE DATABASE \"$P$i\";"
done | psql -qX -v ON_ERROR_STOP=1 -d "$TESTDB" -f - >/dev/null

cat >fleet.yaml <<YAML
database: "dbname=$TESTDB"
models: "$SRC/models"
migrations: "$SRC/migrations"
socket: { path: $SOCK, mode: 0666 }
fleet:
  discover: SELECT datname FROM pg_database WHERE starts_with(datname, '$P')
  parallel: 4
YAML
"$MIGRATED" -c fleet.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "fleet daemon ready" ctl wait-ready --timeout 60

# status as fast as it is answered, until told to stop
touch asking
( while [ -e asking ]; do "$MIGRATECTL" -s "$SOCK" status >/dev/null 2>&1; done ) &
asker=$!; track $asker
ok "up for all, status asked meanwhile" ctl up
for k in $(seq 1 $PASSES); do
	ok "check pass $k ends, status asked meanwhile" ctl check
done
rm -f asking
wait $asker
is "no member process left behind" "$(pgrep -P "$dpid" | wc -l)" 0
ok "the daemon still answers" ctl status
kill -TERM $dpid
wait $dpid
is "fleet daemon stops cleanly" "$?" 0
