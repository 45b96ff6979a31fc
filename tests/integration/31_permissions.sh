# 31_permissions.sh - who may do what, decided by SO_PEERCRED, tested with a
# real second user (migtest): the read and admin lists by user and by
# group, "permission denied" naming the command and the uid (exit 5),
# the denial logged and recorded, and the socket's own mode.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

if [ "$(id -u)" -ne 0 ]; then
	# a second uid needs root to create and to switch to
	_pass "permission matrix needs root (skipped as uid $(id -u))"
	exit 0
fi
id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
UID2=$(id -u migtest)
GRP2=$(id -gn migtest)

mkdir -p models migrations
SOCK=$T/ctl.sock
as2() { runuser -u migtest -- "$MIGRATECTL" -s "$SOCK" "$@"; }

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
DPID=$!
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
sleep 0.5
if [ -n "$(q "SELECT to_regclass('migrated_audit')")" ]; then
	n=$(q "SELECT count(*) FROM migrated_audit WHERE action = 'request.denied' AND uid = $UID2")
	is "denials recorded in the audit (3)" "$n" 3
else
	# no audit table in this build: the event hook's own log line
	like "denial recorded through the event hook" "$(cat daemon.log)" \
	    "request.denied 'reload': permission denied for uid $UID2"
fi

# 2. a read list that does not name migtest: even status is denied
config 0666 "{ users: [root] }" "{ users: [nobody] }"
kill -HUP $DPID; sleep 0.5
out=$(as2 status 2>&1); rc=$?
is "not a reader: status denied (exit 5)" "$rc" 5
like "not a reader: message" "$out" "permission denied: 'status' is not allowed for uid $UID2"
like "not a reader: hint at the read list" "$out" "access.read"

# 3. admin through a group
config 0666 "{ users: [root] }" "{ groups: [$GRP2] }"
kill -HUP $DPID; sleep 0.5
out=$(as2 reload 2>&1); rc=$?
is "admin by group: reload allowed" "$rc" 0
out=$(as2 status 2>&1); rc=$?
is "admin by group may read too" "$rc" 0

# 4. an empty read list lets every peer that can open the socket read
config 0666 "{ users: [] }" "{ users: [] }"
kill -HUP $DPID; sleep 0.5
ok "empty read list: status allowed" as2 status
fails_with "empty admin list: reload denied" 5 as2 reload

# 5. the socket's mode is the first gate
config 0600 "{ users: [migtest] }" "{ users: [migtest] }"
kill -TERM $DPID; wait $DPID
"$MIGRATED" -c cfg.yaml >daemon2.log 2>&1 &
DPID=$!
ok "daemon ready (mode 0600)" "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 30
is "socket mode 0600" "$(stat -c %a "$SOCK")" 600
out=$(as2 status 2>&1); rc=$?
is "socket mode keeps migtest out (exit 5)" "$rc" 5
like "socket permission message" "$out" "permission denied on control socket '$SOCK'"
ok "root still gets in" "$MIGRATECTL" -s "$SOCK" status

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
