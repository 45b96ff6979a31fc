# 33_ctl.sh - migratectl's command line: exit codes (2 usage, 4
# unreachable, 5 permission denied), -s / -n / --socket / the config's
# socket, --json, colour on a terminal and NO_COLOR, confirmation of
# destructive operations, wait-ready, check, create.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }

# usage errors: exit 2, before any daemon is needed
fails_with "no command: exit 2" 2 "$MIGRATECTL"
fails_with "unknown command: exit 2" 2 "$MIGRATECTL" frobnicate
fails_with "bad step count: exit 2" 2 ctl up abc
fails_with "unknown option: exit 2" 2 ctl status --bogus
fails_with "option of another command: exit 2" 2 ctl status --all
fails_with "extra argument: exit 2" 2 ctl status now
fails_with "goto without VERSION: exit 2" 2 ctl goto
fails_with "N and --to together: exit 2" 2 ctl up 2 --to 20240101
fails_with "-s and -n together: exit 2" 2 "$MIGRATECTL" -s x -n y status
fails_with "bad service name: exit 2" 2 "$MIGRATECTL" -n ../etc status
out=$("$MIGRATECTL" --help); rc=$?
is "--help exits 0" "$rc" 0
like "--help documents the exit codes" "$out" \
    "0 ok, 1 operation failed, 2 usage error, 3 pending changes or drift"
like "--help: 4 and 5" "$out" "4 daemon unreachable, 5 permission denied"
out=$(ctl up abc 2>&1)
like "usage error names the argument" "$out" "'abc' is not a number of steps"
like "usage error shows the command's usage" "$out" "usage: migratectl up \[N\]"

# no daemon: exit 4 with the socket named
out=$(ctl status 2>&1); rc=$?
is "unreachable: exit 4" "$rc" 4
like "unreachable: socket named" "$out" \
    "error: cannot connect to migrated at '$SOCK': No such file or directory"
like "unreachable: hint" "$out" "hint: is migrated running"
out=$("$MIGRATECTL" -n billing status 2>&1); rc=$?
is "-n SERVICE unreachable: exit 4" "$rc" 4
like "-n SERVICE: /run/migrated/SERVICE.sock" "$out" "'/run/migrated/billing.sock'"
out=$(ctl --json status 2>&1)
like "unreachable in JSON: a result object" "$out" \
    '"type":"result".*"ok":false.*"code":"unreachable"'
start=$(date +%s)
fails_with "wait-ready without a daemon: exit 4" 4 ctl wait-ready --timeout 1
is "wait-ready honours --timeout" "$(( $(date +%s) - start <= 3 ))" 1

# a socket we may not open: exit 5
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/closed.sock"
chmod 000 "$T/closed.sock"
if [ "$(id -u)" -eq 0 ]; then
	id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
	fails_with "socket permission: exit 5" 5 \
	    runuser -u migtest -- "$SHARED_BIN/migratectl" -s "$T/closed.sock" status
else
	fails_with "socket permission: exit 5" 5 "$MIGRATECTL" -s "$T/closed.sock" status
fi

# the daemon, its socket named only in a config file
cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: $SOCK
EOF
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "wait-ready" ctl wait-ready --timeout 30
out=$("$MIGRATECTL" -c cfg.yaml status); rc=$?
is "socket from -c FILE: exit 0" "$rc" 0
ok "--socket works like -s" "$MIGRATECTL" --socket "$SOCK" status

# --json prints the daemon's objects, parseable
out=$(ctl --json status)
ok "--json: valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out"
like "--json after the command too" "$(ctl status --json)" '^\{"type":"result"'

# colour only on a terminal, and never with NO_COLOR
out=$(script -qec "$MIGRATECTL -s $SOCK status" /dev/null </dev/null)
like "colour on a terminal" "$out" $'\033\\['
out=$(NO_COLOR=1 script -qec "$MIGRATECTL -s $SOCK status" /dev/null </dev/null)
unlike "NO_COLOR respected" "$out" $'\033\\['
unlike "no colour into a pipe" "$(ctl status)" $'\033\\['

# destructive operations: --yes needed off a terminal
out=$(ctl down 2>&1); rc=$?
is "down without --yes off a terminal: exit 2" "$rc" 2
like "down without --yes: why" "$out" "'down' is destructive and needs confirmation"
like "down without --yes: hint" "$out" "--yes"
out=$(printf 'n\n' | script -qec "$MIGRATECTL -s $SOCK down" /dev/null)
like "down on a terminal asks" "$out" "really run 'down'\? \[y/N\]"
fails_with "force without --yes: exit 2" 2 ctl force 20240101

# check: the CI gate
out=$(ctl check 2>&1); rc=$?
is "check on an empty service: clean (exit 0)" "$rc" 0
echo "SELECT 1;" >migrations/20240101_000000_pending_one.sql
echo "SELECT 1;" >migrations/20240101_000000_pending_one_rollback.sql
out=$(ctl check 2>&1); rc=$?
is "check with a pending enhancement: exit 3" "$rc" 3
like "check says what is pending" "$out" "1 enhancement\(s\) pending"
rm -f migrations/20240101_000000_pending_one*.sql

# create is local: no daemon involved, the config names the folder
out=$("$MIGRATECTL" -s "$T/nowhere.sock" -c cfg.yaml create add_thing 2>&1); rc=$?
is "create works without a daemon" "$rc" 0
ok "create wrote the forward file" sh -c 'ls migrations/*_add_thing.sql'
ok "create wrote the rollback" sh -c 'ls migrations/*_add_thing_rollback.sql'
fails_with "create refuses a bad name: exit 2" 2 \
    "$MIGRATECTL" -c cfg.yaml create ../evil

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
