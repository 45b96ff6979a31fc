# 31_permissions.sh - who may do what, decided by SO_PEERCRED, tested with a
# real second user (migtest): the read and admin lists by user and by
# group, "permission denied" naming the command and the uid (exit 5),
# the denial logged and recorded, and the socket's own mode.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

if [ "$(id -u)" -ne 0 ]; then
	# a second uid needs root to create and to switch to: no PASS line
	skip "permission matrix needs root (running as uid $(id -u))"
	exit 0
fi
id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
UID2=$(id -u migtest)
GRP2=$(id -gn migtest)

mkdir -p models migrations
SOCK=$T/ctl.sock
# migtest runs the copy in $SHARED_BIN: the checkout may be private
as2() { runuser -u migtest -- "$SHARED_BIN/migratectl" -s "$SOCK" "$@"; }

config() {	# config MODE READ-ACL ADMIN-ACL
	cat >cfg.yaml <<EOF
database: "dbname=$TESTDB"
models: models
migrations: migrations
socket: { path: $SOCK, mode: $1 }
access:
  read: $2
  admin: $3
EOF
}

# 1. migtest may read, not administer
config 0666 "{ users: [migtest] }" "{ users: [nobody] }"
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30

out=$(as2 status 2>&1); rc=$?
is "reader: status allowed (exit 0)" "$rc" 0
like "reader: status output" "$out" "^migrated "
out=$(as2 reload 2>&1); rc=$?
is "reader: reload denied (exit 5)" "$rc" 5
like "reader: denial names command and uid" "$out" \
    "error: permission denied: 'reload' is not allowed for uid $UID2 \(migtest\)"
like "reader: denial hints at the admin list" "$out" "hint: .*access.admin"
out=$(as2 --json up 2>&1); rc=$?
is "reader: up denied (exit 5)" "$rc" 5
like "reader: JSON denial code" "$out" '"code":"permission-denied"'
out=$(as2 down --yes 2>&1); rc=$?
is "reader: down denied (exit 5)" "$rc" 5
like "denial logged by the daemon" "$(cat daemon.log)" \
    "permission denied: 'reload' is not allowed for uid $UID2 \(migtest\), pid [0-9]+"
ok "root is always admin" "$MIGRATECTL" -s "$SOCK" reload
jobs_done "$SOCK"	# the denials' audit rows are written by the worker
n=$(q "SELECT count(*) FROM migrated_audit WHERE action = 'request.denied' AND uid = $UID2")
is "denials recorded in the audit (3)" "$n" 3
like "the event hook's log line too" "$(cat daemon.log)" \
    "request.denied 'reload': permission denied for uid $UID2"

# 1b. one peer flooding denied requests on one connection: the daemon
# answers a few, then closes it; the audit gets a bounded number of rows
flood() {	# flood N: N {"cmd":"up"} lines as migtest; prints replies read
	/usr/bin/python3 - "$SOCK" "$UID2" "$1" <<'PY'
import os, socket, sys
os.setgid(int(os.popen("id -g migtest").read())); os.setuid(int(sys.argv[2]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
try:
    s.sendall(b'{"cmd":"up"}\n' * int(sys.argv[3]))
except OSError:
    pass
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
print(data.count(b"\n"))
PY
}
got=$(flood 20000)
is "flood: connection closed after 3 denials" "$got" 3
got=$(flood 20000)
is "flood again: closed after 3 denials" "$got" 3
for i in 1 2 3 4 5 6; do as2 up >/dev/null 2>&1; done
jobs_done "$SOCK"
n=$(q "SELECT count(*) FROM migrated_audit WHERE action = 'request.denied'")
ok "flood: at most 5 denials a minute recorded per uid ($n)" test "$n" -le 6
ok "flood: the daemon still answers" "$MIGRATECTL" -s "$SOCK" status
like "flood: suppression logged" "$(cat daemon.log)" \
    "further denials for uid $UID2 not recorded"
n=$(grep -c "permission denied: 'up'" daemon.log)
ok "flood: denial log lines bounded ($n)" test "$n" -le 10

# 2. a read list that does not name migtest: even status is denied
config 0666 "{ users: [root] }" "{ users: [nobody] }"
hup_and_wait "$SOCK" $DPID
out=$(as2 status 2>&1); rc=$?
is "not a reader: status denied (exit 5)" "$rc" 5
like "not a reader: message" "$out" "permission denied: 'status' is not allowed for uid $UID2"
like "not a reader: hint at the read list" "$out" "access.read"

# 3. admin through a group
config 0666 "{ users: [root] }" "{ groups: [$GRP2] }"
hup_and_wait "$SOCK" $DPID
out=$(as2 reload 2>&1); rc=$?
is "admin by group: reload allowed" "$rc" 0
out=$(as2 status 2>&1); rc=$?
is "admin by group may read too" "$rc" 0

# 3b. big passwd and group entries (more than 4 KB) still match
getent group migbig >/dev/null || groupadd migbig
members=migtest$(for i in $(seq 800); do printf ',migfake%04d' "$i"; done)
/usr/bin/python3 - "$members" <<'PY'
import sys
lines = open("/etc/group").read().splitlines(True)
with open("/etc/group", "w") as f:
    for l in lines:
        if l.startswith("migbig:"):
            p = l.rstrip("\n").split(":")
            l = ":".join(p[:3] + [sys.argv[1]]) + "\n"
        f.write(l)
PY
ok "group migbig is over 4 KB" test "$(getent group migbig | wc -c)" -gt 8192
usermod -c "$(printf 'g%.0s' $(seq 6000))" migtest
config 0666 "{ users: [migtest] }" "{ groups: [migbig] }"
hup_and_wait "$SOCK" $DPID
out=$(as2 reload 2>&1); rc=$?
is "admin by a big group: reload allowed" "$rc" 0
out=$(as2 status 2>&1); rc=$?
is "reader by name with a big passwd entry: status allowed" "$rc" 0
usermod -c "" migtest
groupdel migbig

# 4. an empty read list lets every peer that can open the socket read
config 0666 "{ users: [] }" "{ users: [] }"
hup_and_wait "$SOCK" $DPID
ok "empty read list: status allowed" as2 status
fails_with "empty admin list: reload denied" 5 as2 reload

# 5. the socket's mode is the first gate
config 0600 "{ users: [migtest] }" "{ users: [migtest] }"
kill -TERM $DPID; wait $DPID
"$MIGRATED" -c cfg.yaml >daemon2.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready (mode 0600)" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30
is "socket mode 0600" "$(stat -c %a "$SOCK")" 600
out=$(as2 status 2>&1); rc=$?
is "socket mode keeps migtest out (exit 5)" "$rc" 5
like "socket permission message" "$out" "permission denied on control socket '$SOCK'"
ok "root still gets in" "$MIGRATECTL" -s "$SOCK" status

kill -TERM $DPID; wait $DPID

# 6. the socket's group from the config: mode 0660, group of migtest
config 0660 "{ users: [migtest] }" "{ users: [nobody] }"
printf 'socket: { path: %s, mode: 0660, group: %s }\n' "$SOCK" "$GRP2" >>cfg.yaml
sed -i '/^socket: { path: [^,]*, mode: 0660 }$/d' cfg.yaml
"$MIGRATED" -c cfg.yaml >daemon3.log 2>&1 &
DPID=$!; track $DPID
ok "daemon ready (group $GRP2)" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30
is "socket group from the config" "$(stat -c %G "$SOCK")" "$GRP2"
is "socket mode 0660" "$(stat -c %a "$SOCK")" 660
ok "the group lets migtest in" as2 status
kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0

# an unknown group is a configuration error at start
config 0660 "{ users: [] }" "{ users: [] }"
sed -i "s|^socket: .*|socket: { path: $SOCK, group: no_such_group_x }|" cfg.yaml
out=$("$MIGRATED" -c cfg.yaml 2>&1); rc=$?
is "unknown socket group: exit 78 (restarting cannot heal it)" "$rc" 78
like "unknown socket group: named" "$out" "unknown group 'no_such_group_x' for the control socket"
ok "no socket left behind" test ! -e "$SOCK"
