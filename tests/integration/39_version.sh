# 39_version.sh - `migratectl version`: the daemon's version and the
# database server's, in text and as JSON; a read-only command that takes
# no arguments, like any other row of the command table.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }

"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30

ours=$("$MIGRATED" -V | awk '{print $2}')
server=$(q "SHOW server_version")
num=$(q "SHOW server_version_num")

out=$(ctl version); rc=$?
is "version: exit 0" "$rc" 0
like "version: the daemon's version" "$out" "^migrated: +$ours$"
like "version: the protocol" "$out" "^protocol: +1$"
is "version: the server's version" \
    "$(printf '%s\n' "$out" | sed -n 's/^server: *//p')" "$server"
like "version: the server's version number" "$out" "^server number: +$num$"

out=$(ctl --json version); rc=$?
is "version --json: exit 0" "$rc" 0
like "version --json: one result line" "$out" \
    '^\{"type":"result".*"cmd":"version","ok":true'
like "version --json: the daemon's version" "$out" "\"version\":\"$ours\""
field() {	# field KEY: the reply's data[KEY], read with python3
	printf '%s\n' "$out" | python3 -c \
	    'import json, sys; print(json.loads(sys.stdin.read())["data"][sys.argv[1]])' "$1"
}
is "version --json: the server's version" "$(field server_version)" \
    "$server"
like "version --json: the server's version number" "$out" \
    "\"server_version_num\":$num[,}]"

# a read-only command: no confirmation, no exclusivity, no arguments
out=$(printf '{"cmd":"version","yes":true}\n' |
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
print(s.makefile().readline(), end="")' "$SOCK")
like "version takes no arguments" "$out" \
    '"code":"bad-argument".*"field":"yes"'
out=$(ctl --json version --yes); rc=$?
is "version --yes: --yes is not sent to it" "$rc" 0

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
fails_with "version without a daemon: exit 4" 4 ctl version
