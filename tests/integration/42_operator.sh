# 42_operator.sh - the commands operators type (issue 15, items 5 and 6):
# migratectl help and COMMAND --help, MIGRATED_SOCKET and --service, an
# over-long socket path, a user outside the socket's group, version with
# the client's side, conninfo, prompts that name what they roll back,
# up --dry-run without a duration, and the Makefile's migrate-* targets
# (SOCKET=, SERVICE=, YES=1, an untouched MIGRATIONS_LOG.md on failure,
# migrate-backup of the daemon's own database, nothing left on failure).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p models migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
mig() {	# mig VERSION_NAME FORWARD ROLLBACK
	printf '%s\n' "$2" >"migrations/$1.sql"
	printf '%s\n' "$3" >"migrations/$1_rollback.sql"
}
# the seed's targets, run from the checkout against this test's daemon
mk() { make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" \
    CTL="$MIGRATECTL" "$@"; }

# ---- help: one line per command, a paragraph per command ----
out=$("$MIGRATECTL" help); rc=$?
is "help: exit 0" "$rc" 0
like "help: a line per command with what it does" "$out" \
    "^  up +apply pending enhancements$"
like "help: down's line" "$out" "^  down +roll back applied enhancements$"
like "help: the environment variable" "$out" "MIGRATED_SOCKET"
is "--help is help" "$("$MIGRATECTL" --help)" "$out"
cmds=$(printf '%s\n' "$out" | sed -n '/^commands:/,/^$/p' |
    awk 'NF > 1 { print $1 }')
is "help lists every command" "$(echo $cmds)" \
    "status check plan list up down goto force redo adopt baseline validate create pull log audit reload version conninfo metrics wait-ready help"
bad=
for c in $cmds; do
	h=$("$MIGRATECTL" help "$c") || bad="$bad $c(help)"
	printf '%s\n' "$h" | grep -q "^usage: migratectl $c" || bad="$bad $c(usage)"
	[ "$(printf '%s\n' "$h" | wc -l)" -ge 3 ] || bad="$bad $c(paragraph)"
	[ "$("$MIGRATECTL" "$c" --help 2>&1)" = "$h" ] || bad="$bad $c(--help)"
done
is "help COMMAND and COMMAND --help: usage and a paragraph for each" "$bad" ""
like "up --help: what up does" "$("$MIGRATECTL" up --help)" \
    "^Apply the pending enhancements in version order"
fails_with "help of no such command: exit 2" 2 "$MIGRATECTL" help frob
like "help of no such command: says so" \
    "$("$MIGRATECTL" help frob 2>&1)" "no command 'frob'"

# ---- the demo shows commands a shell reads back as they ran ----
eval "$(sed -n '/^shquote()/,/^}/p' "$ROOT/scripts/demo.sh")"
DB="host=/tmp/x y port=5432 dbname=auth_service user=postgres"
line=$(shquote psql -X -d "$DB" -c '\dt public.*' "it's")
is "demo: the psql line is quoted" "$line" \
    "psql -X -d 'host=/tmp/x y port=5432 dbname=auth_service user=postgres' -c '\\dt public.*' 'it'\\''s'"
is "demo: pasted back, the same words" \
    "$(eval "set -- $line"; printf '%s|' "$@")" \
    "psql|-X|-d|$DB|-c|\\dt public.*|it's|"
like "demo: run shows commands through shquote" \
    "$(sed -n '/^run()/,/^}/p' "$ROOT/scripts/demo.sh")" 'shquote "\$@"'

# ---- which socket: -s, --service, MIGRATED_SOCKET ----
out=$(MIGRATED_SOCKET=$T/env.sock "$MIGRATECTL" status 2>&1); rc=$?
is "MIGRATED_SOCKET: used (exit 4, nobody there)" "$rc" 4
like "MIGRATED_SOCKET: the socket named" "$out" "'$T/env.sock'"
out=$(MIGRATED_SOCKET=$T/env.sock "$MIGRATECTL" -s "$T/flag.sock" status 2>&1)
like "-s wins over MIGRATED_SOCKET" "$out" "'$T/flag.sock'"
out=$(MIGRATED_SOCKET=$T/env.sock "$MIGRATECTL" --service billing status 2>&1)
like "--service wins over MIGRATED_SOCKET" "$out" "'/run/migrated/billing.sock'"
out=$("$MIGRATECTL" -n billing status 2>&1)
like "-n stays an alias of --service" "$out" "'/run/migrated/billing.sock'"
long=$T/$(printf 'x%.0s' $(seq 120)).sock
out=$("$MIGRATECTL" -s "$long" status 2>&1); rc=$?
is "over-long -s: exit 2" "$rc" 2
like "over-long -s: refused clearly, not truncated" "$out" \
    "socket path '.*x\.sock' is too long \([0-9]+ bytes, at most 107\)"
out=$("$MIGRATECTL" --service "$(printf 'y%.0s' $(seq 120))" status 2>&1)
like "over-long --service: refused clearly" "$out" "is too long"
fails_with "over-long MIGRATED_SOCKET: exit 2" 2 \
    env MIGRATED_SOCKET="$long" "$MIGRATECTL" status

# ---- the daemon ----
mig 20240301_000000_one "CREATE TABLE t_one (id int);" "DROP TABLE t_one;"
mig 20240302_000000_two "CREATE TABLE t_two (id int);" "DROP TABLE t_two;"
"$MIGRATED" --database "dbname=$TESTDB" --models models \
    --migrations migrations --socket "$SOCK" >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
ok "MIGRATED_SOCKET reaches the daemon" env MIGRATED_SOCKET="$SOCK" \
    "$MIGRATECTL" status

# ---- version: daemon, client, protocol, server, connection ----
out=$(ctl version); rc=$?
is "version: exit 0" "$rc" 0
ours=$("$MIGRATECTL" -V | awk '{print $2}')
like "version: migratectl's own version" "$out" "^migratectl: +$ours$"
like "version: the client's protocol" "$out" "^client protocol: +1$"
like "version: the database the daemon uses" "$out" "dbname: +$TESTDB$"
unlike "version: no password field" "$out" "password"
like "version --json: client_version" "$(ctl --json version)" \
    "\"client_version\":\"$ours\""

# ---- conninfo: where the daemon is, as a libpq string ----
ci=$(ctl conninfo); rc=$?
is "conninfo: exit 0" "$rc" 0
like "conninfo: names the database" "$ci" "dbname=$TESTDB( |$)"
is "conninfo: psql reaches the daemon's database with it" \
    "$(psql -qAtX -d "$ci" -c 'SELECT current_database()')" "$TESTDB"
fails_with "conninfo without a daemon: exit 4" 4 \
    "$MIGRATECTL" -s "$T/none.sock" conninfo

# ---- up --dry-run: what would run, no duration ----
out=$(ctl up --dry-run); rc=$?
is "up --dry-run: exit 0" "$rc" 0
like "up --dry-run: the plan" "$out" "20240301_000000 +one +would apply"
unlike "up --dry-run: no duration column" "$out" "duration"
out=$(ctl up)
like "up: a real run shows its duration" "$out" "duration_ms"

# ---- confirmation: off a terminal, a hint about --yes and YES=1 ----
out=$(ctl down 2>&1); rc=$?
is "down off a terminal: exit 2" "$rc" 2
like "down off a terminal: the hint names --yes" "$out" \
    "hint: .*migratectl down --yes.*YES=1"
unlike "down off a terminal: not the protocol's words" "$out" '"yes": true'
# on a terminal: the prompt names what will be rolled back
out=$(printf 'n\n' | script -qec "$MIGRATECTL -s $SOCK down" /dev/null)
like "down on a terminal: names the enhancement" "$out" \
    "this rolls back 1 enhancement:"
like "down on a terminal: the newest" "$out" "20240302_000000 two"
unlike "down on a terminal: only the newest" "$out" "20240301_000000 one"
like "down on a terminal, answered no: nothing done" "$out" \
    "not confirmed: nothing done"
unlike "down on a terminal: no hint about terminals" "$out" "off a terminal"
out=$(printf 'n\n' | script -qec "$MIGRATECTL -s $SOCK goto 0" /dev/null)
like "goto back: names both" "$out" \
    "this rolls back 2 enhancements:.*"
like "goto back: the older one too" "$out" "20240301_000000 one"
out=$(printf 'n\n' | script -qec "$MIGRATECTL -s $SOCK redo" /dev/null)
like "redo: names the one it redoes" "$out" \
    "this rolls back 1 enhancement:"
out=$(printf 'n\n' | script -qec "$MIGRATECTL -s $SOCK force 20240301_000000" /dev/null)
like "force: names the version" "$out" \
    "records '20240301_000000' as the newest applied version"
is "answering no changed nothing" \
    "$(q "SELECT count(*) FROM pg_tables WHERE tablename IN ('t_one','t_two')")" 2

# ---- the Makefile's targets ----
out=$(mk migrate-status SOCKET="$SOCK" 2>&1); rc=$?
is "make migrate-status SOCKET=: exit 0" "$rc" 0
like "make migrate-status SOCKET=: the daemon's status" "$out" "^migrated "
out=$(MIGRATED_SOCKET=$SOCK mk migrate-list 2>&1); rc=$?
is "make migrate-list with MIGRATED_SOCKET: exit 0" "$rc" 0
out=$(mk migrate-status SERVICE=billing 2>&1)
like "make SERVICE=: passed as --service" "$out" "'/run/migrated/billing.sock'"
out=$(mk migrate-down SOCKET="$SOCK" </dev/null 2>&1); rc=$?
is "make migrate-down without YES: refused" "$rc" 2
like "make migrate-down without YES: hint" "$out" "YES=1"
out=$(mk migrate-down SOCKET="$SOCK" YES=1 </dev/null 2>&1); rc=$?
is "make migrate-down YES=1: exit 0" "$rc" 0
is "make migrate-down YES=1: rolled back one" \
    "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't_two'")" 0
ok "make migrate-goto V= YES=1" mk migrate-goto SOCKET="$SOCK" \
    V=20240302_000000 YES=1
is "make migrate-goto: applied again" \
    "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't_two'")" 1

# migrations-log: written whole, or not at all (a copy of the checkout)
cp -r "$ROOT/Makefile" "$ROOT/scripts" "$ROOT/MIGRATIONS_LOG.md" "$T/"
mkt() { make -s --no-print-directory -C "$T" BUILD="$BUILD" \
    CTL="$MIGRATECTL" "$@"; }
before=$(cksum <"$T/MIGRATIONS_LOG.md")
out=$(mkt migrations-log SOCKET="$T/none.sock" 2>&1); rc=$?
is "migrations-log without a daemon: fails" "$rc" 2
is "migrations-log without a daemon: the log is untouched" \
    "$(cksum <"$T/MIGRATIONS_LOG.md")" "$before"
is "migrations-log without a daemon: no temporary file left" \
    "$(ls "$T" | grep -c 'MIGRATIONS_LOG.md.tmp')" 0
out=$(mkt migrations-log SOCKET="$SOCK" 2>&1); rc=$?
is "migrations-log: exit 0" "$rc" 0
like "migrations-log: the daemon's history" "$(cat "$T/MIGRATIONS_LOG.md")" \
    "20240302_000000"

# migrate-backup: the daemon's database, whatever DATABASE_URL says
q "CREATE TABLE only_here (id int)"
out=$(cd "$T" && DATABASE_URL="dbname=postgres" \
    mkt migrate-backup SOCKET="$SOCK" BACKUP_DIR="$T/backups" 2>&1); rc=$?
is "migrate-backup: exit 0" "$rc" 0
f=$(printf '%s\n' "$out" | tail -n 1)
like "migrate-backup: a timestamped file" "$f" \
    "^$T/backups/[0-9]{8}T[0-9]{6}Z\.dump$"
ok "migrate-backup: the dump is of the daemon's database" \
    sh -c "pg_restore -l '$f' | grep -q 'TABLE public only_here'"
# a failing pg_dump (a table locked past its wait) leaves nothing
psql -qAtX -d "$TESTDB" -c "BEGIN" -c "LOCK TABLE only_here" \
    -c "SELECT pg_sleep(120) /* held lock */" >/dev/null 2>&1 &
HOLDER=$!; track $HOLDER
wait_until 30 sh -c "[ \"\$(psql -qAtX -d $TESTDB -c \"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'only_here' AND l.mode = 'AccessExclusiveLock' AND l.granted\")\" -ge 1 ]"
out=$(PG_DUMP_FLAGS=--lock-wait-timeout=200ms mkt migrate-backup \
    SOCKET="$SOCK" BACKUP_DIR="$T/failed" 2>&1); rc=$?
is "migrate-backup, pg_dump failing: exit non-zero" "$((rc != 0))" 1
like "migrate-backup, pg_dump failing: says so" "$out" "no backup written"
is "migrate-backup, pg_dump failing: no file left, empty or not" \
    "$(ls -A "$T/failed" 2>/dev/null | wc -l)" 0
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%held lock%' AND pid <> pg_backend_pid()" >/dev/null
wait $HOLDER 2>/dev/null
out=$(mkt migrate-backup SOCKET="$T/none.sock" BACKUP_DIR="$T/nodaemon" 2>&1); rc=$?
is "migrate-backup without a daemon: fails" "$((rc != 0))" 1
is "migrate-backup without a daemon: no folder, no file" \
    "$(ls -A "$T/nodaemon" 2>/dev/null | wc -l)" 0

# ---- a user outside the socket's group, the default configuration
# unreadable to them (as the package installs it): about the socket ----
if [ "$(id -u)" -ne 0 ]; then
	skip "outside the socket's group: needs root (a second user, a private /etc)"
else
	id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
	mkdir -p "$T/ov/up" "$T/ov/work"
	cat >"$T/outside.sh" <<EOF
set -e
mount -t overlay overlay -o lowerdir=/etc,upperdir=$T/ov/up,workdir=$T/ov/work /etc
mkdir -p /etc/migrated
printf 'database: "dbname=x"\nsocket: { path: $SOCK }\n' >/etc/migrated/migrated.yaml
chmod 640 /etc/migrated/migrated.yaml
set +e
runuser -u migtest -- "$SHARED_BIN/migratectl" status
echo "rc=\$?"
EOF
	out=$(unshare -m --propagation private sh "$T/outside.sh" 2>&1)
	if printf '%s\n' "$out" | grep -q "overlay\|unshare:"; then
		skip "outside the socket's group: no private /etc here ($out)"
	else
		unlike "outside the group: not about the configuration file" \
		    "$out" "migrated.yaml"
		like "outside the group: about the socket" "$out" \
		    "control socket '/run/migrated/migrated.sock'|cannot connect to migrated at '/run/migrated/migrated.sock'"
	fi
fi

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
