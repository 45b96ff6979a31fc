# 31_idle_conns.sh - idle connections cannot lock a uid out: a second user
# (migtest) that leaves 16 connections open still gets served, because the
# least recently used idle one is closed to make room; root and the
# daemon's own uid keep a reserve beyond the global limit.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "a second uid needs root (running as uid $(id -u))"
	exit 0
fi
id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
UID2=$(id -u migtest)

mkdir -p models migrations
SOCK=$T/ctl.sock
cat >cfg.yaml <<YAML
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: { path: $SOCK, mode: 0666 }
access:
  read: { users: [migtest] }
YAML
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30

# migtest opens 16 connections and leaves them idle (says so in a file
# it may write)
: >"$T/held"; chmod 666 "$T/held"
/usr/bin/python3 - "$SOCK" "$UID2" "$T/held" <<'PY' &
import os, signal, socket, sys, time
os.setgid(int(os.popen("id -g migtest").read())); os.setuid(int(sys.argv[2]))
conns = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
open(sys.argv[3], "w").write("16\n")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
PY
HOLDER=$!; track $HOLDER
ok "migtest holds 16 idle connections" poll 30 test -s "$T/held"

# migtest runs the copy in $SHARED_BIN: the checkout may be private
out=$(runuser -u migtest -- "$SHARED_BIN/migratectl" -s "$SOCK" status 2>&1); rc=$?
is "a 17th connection of the same uid is served" "$rc" 0
like "it is a real status" "$out" "status:"
like "the oldest idle one made room, logged" "$(cat daemon.log)" \
    "uid $UID2 has 16 connections: closing its idle one"
ok "root is never locked out" "$MIGRATECTL" -s "$SOCK" status
kill $HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
