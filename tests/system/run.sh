#!/usr/bin/env bash
# run.sh BUILD - the package under a real systemd (make test-system).
#
# Boots systemd 252 as PID 1 in a Debian 12 container (systemd-nspawn,
# recipe in ../shared/systemd-nspawn.md), installs the .deb that `make
# deb` built with apt, and checks what only a real systemd can tell:
# readiness only after tier 1, socket activation, the application drop-in,
# `systemctl reload` failing when the reload fails, a stop during a long
# `up`, the watchdog, template instances, bad configurations not restarted
# in a loop, the metrics timer, and the sandbox: every unit runs with
# SystemCallErrorNumber= empty, so a forbidden system call kills the
# daemon (SIGSYS) instead of failing quietly.
#
# The Debian root is made once under BUILD/system/base (tests/system/root.sh)
# and copied for each run; the run's root is removed at the end (KEEP=1
# keeps it).  Ends with "N passed, M failed"; exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
SRC=$PWD
BUILD=$(cd "${1:-build}" && pwd)
S=$BUILD/system
KEEP=${KEEP:-0}
RESULTS=$S/results
MACHINE=migrated-st-$$

if [ "$(id -u)" -ne 0 ]; then
	echo "test-system: needs root (debootstrap, systemd-nspawn)" >&2
	exit 1
fi
for t in systemd-nspawn debootstrap nsenter; do
	command -v "$t" >/dev/null || {
		echo "test-system: '$t' is missing (make deps installs it)" >&2
		exit 1
	}
done
DEB=$(ls "$SRC"/migrated_*.deb 2>/dev/null | sort -V | tail -n 1)
[ -n "$DEB" ] || { echo "test-system: no migrated_*.deb (make deb)" >&2; exit 1; }

mkdir -p "$S"
# one run at a time: a second would remove the root the first has booted
exec 9>"$S/lock"
flock -n 9 || { echo "test-system: another run holds $S/lock" >&2; exit 1; }
: >"$RESULTS"
pass() { echo "PASS system: $1" >>"$RESULTS"; echo "  ok   $1"; }
fail() {
	echo "FAIL system: $1" >>"$RESULTS"; echo "  FAIL $1"
	shift; [ $# -gt 0 ] && printf "       %s\n" "$@"; return 1
}
ok() { _n=$1; shift
	if _o=$("$@" 2>&1); then pass "$_n"; else fail "$_n" "command: $*" "$_o"; fi; }
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:  $2" "want: $3"; fi; }
like() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1"
	else fail "$1" "got:  $2" "want match: $3"; fi; }
unlike() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then
	fail "$1" "got:  $2" "unwanted match: $3"; else pass "$1"; fi; }
# poll SECS CMD...: until CMD succeeds, at most SECS seconds
. tests/lib/poll.sh
gone() { ! kill -0 "$1" 2>/dev/null; }	# gone PID: the process has ended

# ---- the container ----
echo "== system: a Debian 12 root (made once, kept in $S/base)"
start=$(date +%s)
tests/system/root.sh "$S/base" || { echo "test-system: debootstrap failed: see $S/base.log" >&2; exit 1; }
R=$S/root
rm -rf "$R"
cp -a "$S/base" "$R"
cp "$DEB" "$R/root/"
NSPAWN=
cleanup() {
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		ct systemctl poweroff >/dev/null 2>&1
		poll 10 gone "$NSPAWN" || kill "$NSPAWN"
		wait "$NSPAWN" 2>/dev/null
	fi
	[ "$KEEP" = 1 ] || rm -rf "$R"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
setsid systemd-nspawn -D "$R" --boot --private-network -M "$MACHINE" \
    --register=no --keep-unit --console=read-only >"$S/nspawn.log" 2>&1 &
NSPAWN=$!
init_pid() { _p=$(pgrep -P "$NSPAWN" | head -n 1); [ -n "$_p" ] && echo "$_p"; }
poll 30 init_pid || { cat "$S/nspawn.log"; exit 1; }
IPID=$(init_pid)
ct() { nsenter -t "$IPID" -m -u -i -n -p -C -r -w \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
booted() { case $(ct systemctl is-system-running) in running|degraded) ;; *) return 1;; esac; }
ok "systemd boots in the container" poll 60 booted
like "it is systemd 252" "$(ct systemctl --version | head -n 1)" "^systemd 252"
sh_in() { ct sh -c "$1"; }	# a shell line inside
svc() { ct systemctl show -p "$2" --value "$1"; }
active() { [ "$(ct systemctl is-active "$1")" = active ]; }

# ---- install the package ----
# the README's command, as a newcomer types it
out=$(ct sh -c 'cd /root && apt install -y -q ./migrated_*.deb' 2>&1); rc=$?
is "apt install ./migrated_*.deb" "$rc" 0
[ $rc -ne 0 ] && printf '%s\n' "$out" | tail -n 20
ok "the package created the user" ct id migrated
is "the configuration: a conffile only the service's group reads" \
    "$(ct stat -c '%a %U %G' /etc/migrated/migrated.yaml)" "640 root migrated"
is "the service is installed, not enabled" \
    "$(ct systemctl is-enabled migrated.service)" "disabled"
ok "man page installed" ct test -f /usr/share/man/man8/migratectl.8.gz

# every migrated unit: a forbidden system call kills (SIGSYS), not EPERM
for u in migrated.service migrated@.service migrated-metrics@.service; do
	sh_in "mkdir -p /etc/systemd/system/$u.d && printf '[Service]\nSystemCallErrorNumber=\n' >/etc/systemd/system/$u.d/sigsys.conf"
done

# ---- PostgreSQL, a service's models and migrations ----
ok "PostgreSQL starts" poll 60 ct runuser -u postgres -- pg_isready -q
psql_in() { ct runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
ok "the service's role and databases" psql_in -c "CREATE ROLE migrated LOGIN" \
    -c "CREATE DATABASE app OWNER migrated" -c "CREATE DATABASE a OWNER migrated" \
    -c "CREATE DATABASE b OWNER migrated"
ct runuser -u migrated -- psql -qAtX -d app -c \
    "CREATE TABLE people (id int PRIMARY KEY)" >/dev/null
# files are written into the container's root from here (its /etc, /srv)
mkdir -p "$R"/srv/{app,a,b}/{models,migrations}
cat >"$R/srv/app/models/people.yaml" <<'EOF'
table: people
columns:
  id:    { type: int, primary_key: true }
  email: { type: text }
EOF
cp "$R/srv/app/models/people.yaml" "$R/srv/a/models/"
cp "$R/srv/app/models/people.yaml" "$R/srv/b/models/"
printf 'SELECT pg_sleep(4);\nCREATE TABLE after_sleep (id int);\n' \
    >"$R/srv/app/migrations/20240101_000000_slow.sql"
printf 'DROP TABLE after_sleep;\n' \
    >"$R/srv/app/migrations/20240101_000000_slow_rollback.sql"
conf() {	# conf NAME DB: /etc/migrated/NAME.yaml, as the package's
	cat >"$R/etc/migrated/$1.yaml" <<EOF
database: "host=/run/postgresql dbname=$2 user=migrated"
models: /srv/$2/models
migrations: /srv/$2/migrations
socket: { path: /run/migrated/$1.sock, group: migrated, mode: 0660 }
access: { read: { groups: [migrated] } }
timeouts: { lock: 1s, lock_retries: 60, retry_backoff: 100ms }
EOF
	ct chgrp migrated "/etc/migrated/$1.yaml"
	ct chmod 640 "/etc/migrated/$1.yaml"
}
conf migrated app; conf a a; conf b b
ok "migrated -n as root: configuration OK (the service user can read it)" \
    ct migrated -n

# ---- enable --now: active only once tier 1 reached the models ----
echo "== system: readiness"
ct runuser -u postgres -- psql -qAtX -d app -c "BEGIN" \
    -c "LOCK TABLE people IN ACCESS SHARE MODE" \
    -c "SELECT pg_sleep(120) /* held lock */" >/dev/null 2>&1 &
HOLDER=$!
held() { [ "$(psql_in -d app -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'people' AND l.granted AND l.mode = 'AccessShareLock' AND l.pid <> pg_backend_pid()")" -ge 1 ]; }
ok "a session holds people (tier 1 must wait to add a column)" poll 30 held
ok "systemctl enable migrated.service" ct systemctl enable migrated.service
ct systemctl start --no-block migrated.service
tier1_waits() { [ "$(psql_in -d app -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'ALTER TABLE%people%'")" -ge 1 ]; }
ok "tier 1 waits for the lock" poll 60 tier1_waits
is "while tier 1 waits the service is activating, not active" \
    "$(ct systemctl is-active migrated.service)" "activating"
psql_in -d app -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%held lock%' AND pid <> pg_backend_pid()" >/dev/null
wait $HOLDER 2>/dev/null
ok "then it becomes active" poll 60 active migrated.service
is "active means tier 1 is done: the column exists" \
    "$(psql_in -d app -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attname = 'email'")" 1
is "enable put the socket in place too" "$(ct systemctl is-active migrated.socket)" active
ok "migratectl status" ct migratectl status

# ---- socket activation ----
echo "== system: socket activation"
ok "stop the service, keep the socket" ct systemctl stop migrated.service
is "service inactive" "$(ct systemctl is-active migrated.service)" inactive
is "socket still listening" "$(ct systemctl is-active migrated.socket)" active
out=$(ct migratectl wait-ready --timeout 60 2>&1); rc=$?
is "a client on the socket starts the daemon (wait-ready exit 0)" "$rc" 0
ok "the service is active again" poll 30 active migrated.service

# ---- a user outside the socket's group ----
ct useradd -M outsider 2>/dev/null
out=$(ct runuser -u outsider -- migratectl status 2>&1); rc=$?
is "outside the group: exit 5" "$rc" 5
like "outside the group: about the socket" "$out" "control socket '/run/migrated/migrated.sock'"
unlike "outside the group: not about migrated.yaml" "$out" "migrated\.yaml"

# ---- the application drop-in ----
echo "== system: the application's drop-in"
ct useradd -M -G migrated appuser
cat >"$R/usr/local/bin/app-start" <<'EOF'
#!/bin/sh
# the application: notes whether the column tier 1 adds is there
exec psql -qAtX -d "host=/run/postgresql dbname=app user=migrated" -c \
    "SELECT count(*) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attname = 'phone'" \
    -o /run/app/saw
EOF
chmod 755 "$R/usr/local/bin/app-start"
cat >"$R/etc/systemd/system/app.service" <<'EOF'
[Unit]
Description=an application that needs its schema
[Service]
Type=oneshot
RemainAfterExit=yes
User=appuser
RuntimeDirectory=app
RuntimeDirectoryPreserve=yes
ExecStart=/usr/local/bin/app-start
EOF
mkdir -p "$R/etc/systemd/system/app.service.d"
cp "$R/usr/share/doc/migrated/examples/app-drop-in.conf" \
    "$R/etc/systemd/system/app.service.d/migrated.conf"
ct systemctl daemon-reload
# appuser reads the database as the role migrated (a peer map)
hba=$(cd "$R" && ls etc/postgresql/*/main/pg_hba.conf)
sed -i '0,/^local/s//local app migrated peer map=app\nlocal/' "$R/$hba"
printf 'app appuser migrated\napp migrated migrated\n' >>"$R/${hba%/*}/pg_ident.conf"
ct systemctl reload postgresql
ct systemctl stop migrated.service
sh_in 'sed -i "s/^  email: { type: text }/  email: { type: text }\n  phone: { type: text }/" /srv/app/models/people.yaml'
ok "starting the application" ct systemctl start app.service
is "the application saw the column tier 1 added (it started after READY)" \
    "$(ct cat /run/app/saw)" 1
is "and pulled migrated in" "$(ct systemctl is-active migrated.service)" active
ct systemctl stop app.service migrated.service
ct rm -f /run/app/saw
sh_in 'sed -i "s/  phone: { type: text }/  phone: { type: textt }/" /srv/app/models/people.yaml'
out=$(ct systemctl start app.service 2>&1); rc=$?
is "a bad model: the application does not start" "$((rc != 0))" 1
is "the application is not active" "$(ct systemctl is-active app.service)" inactive
is "it never ran" "$(ct test -e /run/app/saw && echo ran || echo no)" no
is "migrated exited 78 (cannot heal)" "$(svc migrated.service ExecMainStatus)" 78
is "and is not restarted in a loop" "$(svc migrated.service SubState)" failed
is "no restart at all" "$(svc migrated.service NRestarts)" 0
sh_in 'sed -i "s/  phone: { type: textt }/  phone: { type: text }/" /srv/app/models/people.yaml'
ct systemctl reset-failed migrated.service
ok "fixed: the application starts" ct systemctl start app.service
ct systemctl stop app.service
# the README's way to keep the boot from waiting: the application pulls
# migrated in, multi-user.target does not
ok "systemctl add-wants app.service migrated.service" \
    ct systemctl add-wants app.service migrated.service
like "app.service now wants migrated.service" \
    "$(svc app.service Wants)" "migrated.service"

# ---- systemctl reload: waits, and fails when the reload fails ----
echo "== system: reload"
ok "migrated active" sh_in 'systemctl start migrated.service'
ct runuser -u migrated -- psql -qAtX -d app -c \
    "INSERT INTO people (id, email) VALUES (1, 'a@x'), (2, 'a@x')" >/dev/null
sh_in 'sed -i "s/^  email: { type: text }/  email: { type: text, unique: true }/" /srv/app/models/people.yaml'
out=$(ct systemctl reload migrated.service 2>&1); rc=$?
is "systemctl reload fails when tier 1 fails (ExecReload= must wait for the result)" \
    "$((rc != 0))" 1
degraded() { ct migratectl status 2>&1 | grep -q degraded; }
ok "after a failed reload the daemon says degraded" poll 30 degraded
ct runuser -u migrated -- psql -qAtX -d app -c "DELETE FROM people WHERE id = 2" >/dev/null
ok "systemctl reload after the fix: exit 0" ct systemctl reload migrated.service
ok "ready again" ct migratectl wait-ready --timeout 30

# ---- stop during a long up ----
echo "== system: stop during a long up"
ct migratectl up >/dev/null 2>&1 &
UP=$!
# its transaction has begun (busy alone may still be queued)
sleeping() { [ "$(psql_in -d app -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(4)%'")" -ge 1 ]; }
ok "up is running its transaction" poll 30 sleeping
ok "systemctl stop waits for the transaction" ct systemctl stop migrated.service
wait $UP 2>/dev/null
is "the daemon exited 0" "$(svc migrated.service ExecMainStatus)" 0
is "the stop is a success" "$(svc migrated.service Result)" success
is "the enhancement finished and is recorded" \
    "$(psql_in -d app -c "SELECT count(*) FROM pg_tables WHERE tablename = 'after_sleep'")/$(psql_in -d app -c "SELECT count(*) FROM migrated_versions WHERE version = '20240101_000000'")" "1/1" ||
    ct journalctl -u migrated.service --no-pager -o cat | tail -n 25

# ---- the watchdog restarts a frozen daemon ----
echo "== system: watchdog"
sh_in 'mkdir -p /etc/systemd/system/migrated.service.d
printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\nRestartSec=1s\n" >/etc/systemd/system/migrated.service.d/watchdog.conf
systemctl daemon-reload'
ok "start with a 2 s watchdog" ct systemctl start migrated.service
pid=$(svc migrated.service MainPID)
is "it has a main process" "$((${pid:-0} > 1))" 1
[ "${pid:-0}" -gt 1 ] && ct kill -STOP "$pid"
restarted() { [ "$(svc migrated.service NRestarts)" -ge 1 ] && active migrated.service &&
    [ "$(svc migrated.service MainPID)" != "$pid" ]; }
ok "a frozen daemon is killed and restarted" poll 60 restarted
like "the journal says why" "$(ct journalctl -u migrated.service --no-pager)" "[Ww]atchdog timeout"
ct rm /etc/systemd/system/migrated.service.d/watchdog.conf
ct systemctl daemon-reload
ct systemctl stop migrated.service

# ---- template instances ----
echo "== system: instances"
ok "enable --now migrated@a migrated@b" ct systemctl enable --now migrated@a.service migrated@b.service
is "both active" "$(ct systemctl is-active migrated@a.service migrated@b.service | tr '\n' ' ')" "active active "
ok "migratectl --service a" ct migratectl --service a status
ok "migratectl -n b (the alias)" ct migratectl -n b status
like "each instance logs under its name" \
    "$(ct journalctl -t migrated@a --no-pager -o cat | tail -n 20)" "ready"
out=$(ct systemctl start migrated@nope.service 2>&1); rc=$?
is "an instance without its configuration fails at once" "$((rc != 0))" 1
like "by its assertion" "$(ct systemctl status migrated@nope.service --no-pager 2>&1)" \
    "AssertPathExists=/etc/migrated/nope.yaml"
is "not restarted" "$(svc migrated@nope.service NRestarts)" 0
sh_in 'printf "database: \"dbname=a\"\nmodles: /srv/a/models\n" >/etc/migrated/c.yaml; chgrp migrated /etc/migrated/c.yaml; chmod 640 /etc/migrated/c.yaml'
out=$(ct systemctl start migrated@c.service 2>&1); rc=$?
is "a bad configuration: the start fails" "$((rc != 0))" 1
is "exit 78" "$(svc migrated@c.service ExecMainStatus)" 78
is "failed, not waiting to restart" "$(svc migrated@c.service SubState)" failed
is "no restart" "$(svc migrated@c.service NRestarts)" 0
like "the journal names the key" "$(ct journalctl -t migrated@c --no-pager -o cat)" "unknown key 'modles'"

# ---- the metrics timer ----
echo "== system: metrics"
ct mkdir -p /var/lib/prometheus/node-exporter
ok "migrated-metrics@a.service" ct systemctl start migrated-metrics@a.service ||
    ct journalctl -u migrated-metrics@a.service --no-pager -o cat | tail -n 10
like "it wrote the textfile" "$(ct cat /var/lib/prometheus/node-exporter/migrated-a.prom)" \
    '^migrated_up\{service="a"\} 1$'
ok "the timer can be enabled" ct systemctl enable --now migrated-metrics@a.timer

# ---- the sandbox: nothing was killed by a forbidden call ----
echo "== system: sandbox"
is "no unit died of SIGSYS" \
    "$(ct journalctl --no-pager -o cat | grep -c 'status=31/SYS')" 0
for u in migrated@a.service migrated@b.service; do
	is "$u still active under SystemCallErrorNumber=" "$(ct systemctl is-active $u)" active
done
score=$(ct systemd-analyze security migrated.service --no-pager 2>/dev/null |
    sed -n 's/.*Overall exposure level for migrated.service: \([0-9.]*\).*/\1/p')
like "systemd-analyze security in the container" "$score" '^[0-9]'

ct systemctl poweroff >/dev/null 2>&1
poll 30 gone "$NSPAWN"
wait "$NSPAWN" 2>/dev/null
NSPAWN=

passed=$(grep -c '^PASS' "$RESULTS"); failed=$(grep -c '^FAIL' "$RESULTS")
echo
[ "$failed" -gt 0 ] && { echo "failures:"; sed -n 's/^FAIL /  /p' "$RESULTS"; }
echo "system: ${SECONDS} s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
