# 35_units.sh - packaging: `make install` into a DESTDIR, the systemd units
# (systemd-analyze verify, hardening, security score), the app drop-in, the
# sysusers file, the example configuration, the man pages and the bash
# completion.  No systemd runs here: systemd-analyze works offline.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)

for tool in systemd-analyze systemd-sysusers groff man; do
	ok "tool '$tool' is installed" command -v "$tool"
done

# --- make install ---------------------------------------------------------
out=$(make -s -C "$SRC" install BUILD="$BUILD" DESTDIR="$T/root" PREFIX=/usr 2>&1)
is "make install DESTDIR=... PREFIX=/usr" "$?" 0
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       /'
R=$T/root
for f in usr/sbin/migrated usr/bin/migratectl \
    etc/migrated/migrated.yaml.example \
    usr/lib/systemd/system/migrated.service \
    usr/lib/systemd/system/migrated.socket \
    usr/lib/systemd/system/migrated@.service \
    usr/lib/systemd/system/migrated@.socket \
    usr/lib/sysusers.d/migrated.conf \
    usr/share/doc/migrated/examples/app-drop-in.conf \
    usr/share/man/man5/migrated.yaml.5 \
    usr/share/man/man8/migrated.8 usr/share/man/man8/migratectl.8 \
    usr/share/bash-completion/completions/migratectl; do
	ok "installed /$f" test -s "$R/$f"
done
ok "installed migrated is executable" test -x "$R/usr/sbin/migrated"
is "installed unit is mode 644" \
    "$(stat -c %a "$R/usr/lib/systemd/system/migrated.service")" 644
is "installed migrated runs" "$("$R/usr/sbin/migrated" -V)" \
    "$("$BUILD/migrated" -V)"
is "PREFIX=/usr units run /usr/sbin/migrated" \
    "$(grep '^ExecStart=' "$R/usr/lib/systemd/system/migrated.service")" \
    "ExecStart=/usr/sbin/migrated -c /etc/migrated/migrated.yaml"

make -s -C "$SRC" install BUILD="$BUILD" DESTDIR="$T/root2" \
    PREFIX=/usr/local >/dev/null 2>&1
L=$T/root2/usr/local
is "PREFIX=/usr/local: units rewritten" \
    "$(grep '^ExecStart=' "$L/lib/systemd/system/migrated@.service")" \
    "ExecStart=/usr/local/sbin/migrated -c /etc/migrated/%i.yaml --socket /run/migrated/%i.sock"
like "PREFIX=/usr/local: drop-in rewritten" \
    "$(cat "$L/share/doc/migrated/examples/app-drop-in.conf")" \
    "^ExecStartPre=/usr/local/bin/migratectl wait-ready"
ok "PREFIX=/usr/local: binary in sbin" test -x "$L/sbin/migrated"

# --- systemd-analyze verify ----------------------------------------------
# verify needs the ExecStart binaries to exist: point the installed units at
# the built ones.  Documentation=man: pages are looked up with man(1), so
# MANPATH points at the installed pages.  Any output is a failure: verify
# only warns (exit 0) about unknown keys and bad values.
export MANPATH=$R/usr/share/man
U=$T/units
mkdir -p "$U/app.service.d"
for f in "$R"/usr/lib/systemd/system/*; do
	sed -e "s|/usr/sbin/migrated|$BUILD/migrated|g" \
	    -e "s|/usr/bin/migratectl|$BUILD/migratectl|g" "$f" >"$U/${f##*/}"
done
cp "$U/migrated@.service" "$U/migrated@auth.service"
cp "$U/migrated@.socket" "$U/migrated@auth.socket"

verify() {	# verify NAME UNIT...: exit 0 and not a word of output
	_n=$1; shift
	_out=$(cd "$U" && SYSTEMD_UNIT_PATH="$U:" systemd-analyze verify "$@" 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ] && [ -z "$_out" ]; then _pass "$_n"
	else _fail "$_n" "exit $_rc" "$_out"; fi
}
verify "verify migrated.service" ./migrated.service
verify "verify migrated.socket" ./migrated.socket
verify "verify migrated@.service (template)" ./migrated@.service
verify "verify migrated@.socket (template)" ./migrated@.socket
verify "verify migrated@auth.service" ./migrated@auth.service
verify "verify migrated@auth.socket" ./migrated@auth.socket

# the application's drop-in, on a stand-in application unit
printf '[Unit]\nDescription=app\n[Service]\nExecStart=/bin/sleep 1\n' \
    >"$U/app.service"
sed -e "s|/usr/bin/migratectl|$BUILD/migratectl|g" \
    "$R/usr/share/doc/migrated/examples/app-drop-in.conf" \
    >"$U/app.service.d/migrated.conf"
verify "verify app.service with the drop-in" ./app.service
like "drop-in: Requires= and After= migrated.service" \
    "$(grep -E '^(Requires|After)=' "$U/app.service.d/migrated.conf")" \
    "Requires=migrated.service"

# the checks above can fail: a bad key and a missing binary are reported
sed 's/^Restart=on-failure/Restart=on-failure\nRestrat=always/' \
    "$U/migrated.service" >"$U/bad1.service"
out=$(cd "$U" && systemd-analyze verify ./bad1.service 2>&1)
like "verify reports an unknown key" "$out" "Unknown key 'Restrat'"
sed "s|$BUILD/migrated|$T/nowhere/migrated|" "$U/migrated.service" \
    >"$U/bad2.service"
out=$(cd "$U" && systemd-analyze verify ./bad2.service 2>&1)
like "verify reports a missing binary" "$out" "is not executable"

# --- what the units must say ---------------------------------------------
S=$SRC/systemd/migrated.service
for want in 'Type=notify' \
    'ExecReload=/usr/bin/migratectl -c /etc/migrated/migrated.yaml reload$' \
    'StateDirectory=migrated$' \
    'Restart=on-failure' 'WatchdogSec=' 'User=migrated' 'Group=migrated' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
    'PrivateDevices=yes' 'NoNewPrivileges=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'RuntimeDirectory=migrated' 'RuntimeDirectoryPreserve=yes' \
    'ReadOnlyPaths=-/etc/migrated' 'CapabilityBoundingSet=$'; do
	ok "migrated.service has $want" grep -q "^$want" "$S"
done
unlike "no DynamicUser= (the socket group matters)" "$(cat "$S")" '^DynamicUser='
unlike "no PrivateUsers= (SO_PEERCRED needs real uids)" "$(cat "$S")" '^PrivateUsers='
hardening() { sed -n '/^# Hardening/,/^\[Install\]/p' "$1"; }
is "template has the same hardening as migrated.service" \
    "$(hardening "$SRC/systemd/migrated@.service")" "$(hardening "$S")"
is "template: reload waits for its instance's answer" \
    "$(grep '^ExecReload=' "$SRC/systemd/migrated@.service")" \
    "ExecReload=/usr/bin/migratectl -s /run/migrated/%i.sock reload"
is "template: a state folder per instance" \
    "$(grep '^StateDirectory=' "$SRC/systemd/migrated@.service")" \
    "StateDirectory=migrated/%i"
like "template: config, socket and env per instance" \
    "$(grep -E '^(ExecStart|EnvironmentFile)=' "$SRC/systemd/migrated@.service")" \
    "-c /etc/migrated/%i.yaml --socket /run/migrated/%i.sock"
is "template: an instance without its configuration is not started" \
    "$(grep '^AssertPathExists=' "$SRC/systemd/migrated@.service")" \
    "AssertPathExists=/etc/migrated/%i.yaml"
is "template: each instance logs under its own name" \
    "$(grep '^SyslogIdentifier=' "$SRC/systemd/migrated@.service")" \
    "SyslogIdentifier=migrated@%i"
for k in AssertPathExists SyslogIdentifier; do
	like "template: $k= says why in a comment" \
	    "$(grep -B4 "^$k=" "$SRC/systemd/migrated@.service" | grep -c '^#')" '^[1-9]'
done
is "socket unit listens where the daemon and migratectl look" \
    "$(sed -n 's/^ListenStream=//p' "$SRC/systemd/migrated.socket")" \
    "$(sed -n 's/^#define CONFIG_DEFAULT_SOCKET[^"]*"\(.*\)"/\1/p' "$SRC/core/config.h")"
is "template socket is /run/migrated/%i.sock" \
    "$(sed -n 's/^ListenStream=//p' "$SRC/systemd/migrated@.socket")" \
    "/run/migrated/%i.sock"

# systemd's own exposure score (0 best, 10 worst); 1.4 when written
out=$(cd "$U" && systemd-analyze security --offline=yes ./migrated.service 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for migrated.service: \([0-9.]*\).*/\1/p')
echo "  systemd-analyze security: exposure $score"
ok "exposure score of migrated.service is 2.0 or better" \
    awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

# the ExecStart lines are accepted by the real binary: run them with -n on a
# copy of the example configuration
mkdir -p "$T/etc/migrated" models migrations
# (the example's state_dir is the one systemd's StateDirectory= creates)
sed -e "s|^models:.*|models: $T/models|" -e "s|^migrations:.*|migrations: $T/migrations|" \
    -e "s|^state_dir:.*|state_dir: $T|" \
    "$SRC/contrib/migrated.yaml" >"$T/etc/migrated/migrated.yaml"
cp "$T/etc/migrated/migrated.yaml" "$T/etc/migrated/auth.yaml"
# -n checks the socket's group too: the example names 'migrated', which
# only the package (sysusers) creates
if getent group migrated >/dev/null; then
	n_ok="configuration OK"
else
	n_ok="unknown group 'migrated' for the control socket"
fi
for unit in migrated.service migrated@auth.service; do
	cmd=$(sed -n 's/^ExecStart=//p' "$U/$unit" |
	    sed -e 's/%i/auth/g' -e "s|/etc/migrated/|$T/etc/migrated/|g")
	out=$($cmd -n 2>&1)
	like "ExecStart of $unit passes migrated -n" "$out" "$n_ok"
done

# --- sysusers -------------------------------------------------------------
out=$(systemd-sysusers --root="$T/sysroot" --dry-run \
    "$R/usr/lib/sysusers.d/migrated.conf" 2>&1); rc=$?
is "sysusers file is valid" "$rc" 0
like "sysusers creates user migrated" "$out" "Creating user 'migrated'"

# --- the example configuration -------------------------------------------
out=$("$MIGRATED" -c "$SRC/contrib/migrated.yaml" --models models \
    --migrations migrations --state-dir "$T" -n 2>&1)
like "contrib/migrated.yaml loads" "$out" "$n_ok"
out=$(cd / && "$MIGRATED" -c "$R/etc/migrated/migrated.yaml.example" \
    --models "$T/models" --migrations "$T/migrations" --state-dir "$T" \
    -n 2>&1)
like "installed example loads" "$out" "$n_ok"

# Every key config.c accepts (its *_keys[] tables) is set in the example
# (fleet: commented out, the example serving one database) and has an entry
# in migrated.yaml(5).
keys=$(awk '/_keys\[\] = \{/ { on = 1 } on { print } on && /\};/ { on = 0 }' \
    "$SRC/core/config.c" | grep -o '"[a-z_]*"' | tr -d '"' | sort -u)
nkeys=$(printf '%s\n' "$keys" | grep -c .)
ok "config.c has its key tables ($nkeys keys)" test "$nkeys" -ge 15
missing=""
for k in $keys; do
	# 'fleet' makes one database many: shown, commented out
	pat="^ *$k:"
	[ "$k" = fleet ] && pat="^#$k:"
	grep -Eq "$pat" "$SRC/contrib/migrated.yaml" || missing="$missing $k"
done
is "every config key is in contrib/migrated.yaml" "$missing" ""
missing=""
for k in $keys; do
	grep -Eq "^\.It Ic $k( |$)" "$SRC/docs/migrated.yaml.5" || missing="$missing $k"
done
is "every config key is in migrated.yaml(5)" "$missing" ""

# --- man pages ------------------------------------------------------------
for page in migrated.8 migratectl.8 migrated.yaml.5; do
	f=$SRC/docs/$page
	out=$(groff -mandoc -Tutf8 -ww -z "$f" 2>&1)
	is "$page: groff -ww reports nothing" "$out" ""
	out=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	is "$page: man -l renders without warnings" "$out" ""
	like "$page: has NAME and SYNOPSIS" \
	    "$(MANWIDTH=80 man -l "$f" 2>/dev/null | col -b)" "^SYNOPSIS"
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -W warning "$f" 2>&1)
		is "$page: mandoc -Tlint is clean" "$out" ""
	fi
done
# every long option that migrated --help lists is documented
missing=""
for o in $("$MIGRATED" --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "Fl -${o#--}" "$SRC/docs/migrated.8" || missing="$missing $o"
done
is "every option of migrated --help is in migrated(8)" "$missing" ""

# --- migrated -n for the service: ProtectHome, the service user ---
mkdir -p "$T/svc/models" "$T/svc/migrations"
printf 'table: t\ncolumns:\n  id: { type: int, primary_key: true }\n' \
    >"$T/svc/models/t.yaml"
printf 'database: "dbname=x"\nmodels: models\nmigrations: migrations\nsocket: { path: %s }\n' \
    "$T/svc/s.sock" >"$T/svc/cfg.yaml"
out=$("$MIGRATED" -n -c "$T/svc/cfg.yaml" --models /home/nobody-here/models 2>&1)
like "a models folder missing under /home: the hint names ProtectHome" \
    "$out" "hint: under systemd, ProtectHome=yes hides /home"
if [ "$(id -u)" -ne 0 ]; then
	skip "-n as root: the service user's view (needs root)"
else
	id migtest >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin migtest
	chmod 755 "$T" "$T/svc"
	ok "-n -u USER: all readable: configuration OK" \
	    "$MIGRATED" -n -u migtest -c "$T/svc/cfg.yaml"
	chmod 600 "$T/svc/models/t.yaml"
	out=$("$MIGRATED" -n -u migtest -c "$T/svc/cfg.yaml" 2>&1); rc=$?
	is "-n as root: a model the service user cannot read: exit 1" "$rc" 1
	like "-n as root: names the file and the user" "$out" \
	    "user 'migtest' cannot read '$T/svc/models/t.yaml': Permission denied"
	like "-n as root: says how to fix it" "$out" "hint: the service runs as 'migtest'"
	unlike "-n as root: not OK" "$out" "configuration OK"
	chmod 644 "$T/svc/models/t.yaml"
	chmod 700 "$T/svc/migrations"
	out=$("$MIGRATED" -n -u migtest -c "$T/svc/cfg.yaml" 2>&1)
	like "-n as root: a folder the service user cannot list" "$out" \
	    "user 'migtest' cannot read the folder '$T/svc/migrations'"
	chmod 755 "$T/svc/migrations"
	fails_with "-n -u with no such user: exit 1" 1 \
	    "$MIGRATED" -n -u no-such-user-here -c "$T/svc/cfg.yaml"
	fails_with "-u without -n: usage" 2 \
	    "$MIGRATED" -u migtest -c "$T/svc/cfg.yaml"
	# a folder under /home that exists (a private /home for the test)
	out=$(unshare -m --propagation private sh -c '
	    mount -t tmpfs none /home && mkdir -p /home/app &&
	    cp -r "$1/models" "$1/migrations" /home/app/ &&
	    "$2" -n -c "$1/cfg.yaml" --models /home/app/models' _ \
	    "$T/svc" "$MIGRATED" 2>&1); rc=$?
	if printf '%s\n' "$out" | grep -q "^unshare:\|^mount:"; then
		skip "-n and a folder under /home: no private /home here"
	else
		is "-n, models under /home: still OK (a warning)" "$rc" 0
		like "-n, models under /home: warns about ProtectHome" "$out" \
		    "warning: models folder '/home/app/models' is under /home, which the units' ProtectHome=yes hide"
	fi
fi

# --- the Debian package's version is the program's ---
if command -v dpkg-parsechangelog >/dev/null; then
	is "debian/changelog: the version migrated -V says" \
	    "$(cd "$SRC" && dpkg-parsechangelog -S Version)" \
	    "$("$MIGRATED" -V | awk '{print $2}')"
else
	skip "debian/changelog version: no dpkg-parsechangelog (dpkg-dev)"
fi

# --- bash completion ------------------------------------------------------
C=$SRC/contrib/migratectl.bash
ok "completion is valid bash" bash -n "$C"
mkdir -p "$T/cconf" "$T/crun"
touch "$T/cconf/auth.yaml" "$T/cconf/billing.yaml" "$T/crun/auth.sock" \
    "$T/crun/search.sock"
complete_words() {	# the words bash would offer for the command line "$@"
	bash --norc -c '
	. "$1"; shift
	_migratectl_confdir=$CONF; _migratectl_rundir=$RUN
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_migratectl
	printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	complete -p migratectl >/dev/null || echo "NOT REGISTERED"' \
	    _ "$C" "$@"
}
export CONF=$T/cconf RUN=$T/crun
is "completes all commands" "$(complete_words migratectl '')" \
    "adopt audit baseline check conninfo create down force goto help list log metrics plan pull redo reload status up validate version wait-ready "
is "completes a prefix" "$(complete_words migratectl w)" "wait-ready "
is "completes global options" "$(complete_words migratectl --j)" "--json "
is "completes after -n SERVICE" "$(complete_words migratectl -n auth re)" \
    "redo reload "
is "completes service names for -n" "$(complete_words migratectl -n '')" \
    "auth billing search "
is "completes service names for --service" \
    "$(complete_words migratectl --service '')" "auth billing search "
is "completes metrics -o" "$(complete_words migratectl metrics -)" \
    "--output -o "
is "completes help's command" "$(complete_words migratectl help ve)" \
    "version "
is "completes up options" "$(complete_words migratectl up --)" \
    "--dry-run --out-of-order --to "
is "completes down options" "$(complete_words migratectl --json down --)" \
    "--all --dry-run --to --yes "
is "completes adopt options" "$(complete_words migratectl adopt --)" \
    "--dry-run --from "
is "completes the tools for adopt --from" \
    "$(complete_words migratectl adopt --from '')" \
    "dbmate flyway golang-migrate goose "
is "completes baseline options" "$(complete_words migratectl baseline --)" \
    "--dry-run --yes "
is "completes log options" "$(complete_words migratectl log --)" \
    "--json --limit --markdown --since --version "
is "completes after -c FILE" "$(complete_words migratectl -c x.yaml ch)" \
    "check "
is "completes folders for --migrations" \
    "$(cd "$T" && complete_words migratectl --migrations cc)" "cconf "
is "completes audit verify" "$(complete_words migratectl audit '')" "verify "
is "completes pull --force" "$(complete_words migratectl pull --)" "--force "
is "completes folders for pull" \
    "$(cd "$T" && complete_words migratectl pull cc)" "cconf "
is "completes wait-ready --timeout" \
    "$(complete_words migratectl wait-ready --)" "--timeout "
is "completes socket paths for -s" \
    "$(cd "$T" && complete_words migratectl -s cco)" "cconf "
# the commands of the completion are the commands of migratectl(8)
is "completion commands = migratectl(8) commands" \
    "$(sed -n 's/^\.It Ic \([a-z-]*\).*/\1/p' "$SRC/docs/migratectl.8" | sort | tr '\n' ' ')" \
    "$(complete_words migratectl '')"

# the completion and migratectl(8) offer exactly migratectl's commands and
# global options
help=$("$MIGRATECTL" --help 2>&1)
is "migratectl --help exits 0" "$?" 0
for c in $(complete_words migratectl ''); do
	like "migratectl --help lists '$c'" "$help" "(^|[^a-z-])$c([^a-z-]|$)"
done
for o in -s --service -n -c --json --yes --migrations; do
	like "migratectl --help lists '$o'" "$help" "(^|[^a-z-])$o([^a-z-]|$)"
done

# versions come from the real daemon (`migratectl --json list`), once this
# build has tier 2: two enhancements made by `migratectl create`
mkdir -p "$T/vmodels" "$T/vmig"
ok "migratectl create (for version completion)" \
    "$MIGRATECTL" --migrations "$T/vmig" create first_thing
# versions are timestamps to the second (UTC): the next one differs
v1=$(ls "$T/vmig" | sed -n 's/^\([0-9_]*\)_first_thing\.sql$/\1/p')
next_second() { [[ "$(date -u +%Y%m%d_%H%M%S)" > "$v1" ]]; }
wait_until 5 next_second
"$MIGRATECTL" --migrations "$T/vmig" create second_thing >/dev/null 2>&1
want=$(ls "$T/vmig" | sed -n 's/^\([0-9_]*\)_[a-z_]*_thing\.sql$/\1/p' |
    sort | tr '\n' ' ')
"$MIGRATED" --database "host=$PGHOST port=$PGPORT dbname=$TESTDB" \
    --models "$T/vmodels" --migrations "$T/vmig" \
    --socket "$T/v.sock" >"$T/v.log" 2>&1 &
vpid=$!; track $vpid
"$MIGRATECTL" -s "$T/v.sock" wait-ready --timeout 20 >/dev/null 2>&1
export PATH="$BUILD:$PATH"
is "completes versions for goto (from the daemon)" \
    "$(complete_words migratectl -s "$T/v.sock" goto '')" "$want"
is "completes versions for up --to" \
    "$(complete_words migratectl -s "$T/v.sock" up --to 2)" "$want"
is "two versions to complete" "$(echo $want | wc -w)" 2
kill -TERM $vpid
wait $vpid

# --- [Install]: systemctl enable works offline on the DESTDIR ------------
out=$(systemctl --root="$R" enable migrated.service migrated@auth.service 2>&1)
is "systemctl --root enable migrated.service migrated@auth.service" "$?" 0
is "enable: service and socket (Also=), plain and per instance" \
    "$(cd "$R/etc/systemd/system" && find . -type l | sort | tr '\n' ' ')" \
    "./multi-user.target.wants/migrated.service ./multi-user.target.wants/migrated@auth.service ./sockets.target.wants/migrated.socket ./sockets.target.wants/migrated@auth.socket "
systemctl --root="$R" disable migrated.service migrated@auth.service \
    >/dev/null 2>&1
is "disable removes them again" \
    "$(find "$R/etc/systemd/system" -type l | wc -l)" 0

# --- make uninstall -------------------------------------------------------
make -s -C "$SRC" uninstall DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
is "make uninstall removes every installed file" \
    "$(cd "$T/root" && find . -type f | sort)" ""

# --- the daemon under the unit's seccomp and address-family rules ---------
# No systemd runs here, so trace the real daemon with strace while it does
# its job (check the configuration, connect over a Unix socket and over
# TCP, serve a command, shut down) and hold every system call, socket family
# and memory mapping it made against what migrated.service allows.
syscall_group() {	# expand @group recursively into system call names
	systemd-analyze syscall-filter --no-pager "$1" 2>/dev/null |
	    awk 'NR > 1 && !/^ *#/ && NF { print $1 }' |
	    while read -r _s; do
		case $_s in @*) syscall_group "$_s" ;; *) echo "$_s" ;; esac
	    done
}
# The unit's SystemCallFilter= lines in order: the first one decides allow
# or deny list, later ones add to it (no ~) or take away from it (~).
allowed=$T/allowed
: >"$allowed"
mode=""
while read -r line; do
	case $line in "~"*) neg=1; line=${line#"~"} ;; *) neg=0 ;; esac
	[ -z "$mode" ] && mode=$neg
	for item in $line; do
		case $item in @*) syscall_group "$item" ;; *) echo "$item" ;; esac
	done | sort -u >"$T/items"
	if [ "$neg" -eq "$mode" ]; then
		sort -u "$allowed" "$T/items" >"$T/a2"
	else
		sort -u "$allowed" | comm -23 - "$T/items" >"$T/a2"
	fi
	mv "$T/a2" "$allowed"
done <<EOT
$(sed -n 's/^SystemCallFilter=//p' "$S")
EOT
is "SystemCallFilter= is an allow list" "$mode" 0
ok "the allow list holds chown (socket group)" grep -qx fchownat "$allowed"
ok "the allow list lacks setuid" sh -c "! grep -qx setuid '$allowed'"

if command -v strace >/dev/null; then
	tr=$T/strace
	rm -f "$tr".*
	cat >"$T/trace.yaml" <<EOC
database: "host=$PGHOST port=$PGPORT dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket:
  path: $T/trace.sock
  group: $(id -gn)
  mode: 0660
EOC
	strace -f -qq -o "$tr.1" "$MIGRATED" -c "$T/trace.yaml" -n >/dev/null 2>&1
	strace -f -qq -o "$tr.2" "$MIGRATED" -c "$T/trace.yaml" \
	    --database "host=127.0.0.1 port=$PGPORT dbname=$TESTDB" --once \
	    >/dev/null 2>&1
	# the daemon proper: serve until the socket answers, then SIGTERM
	strace -f -qq -o "$tr.3" "$MIGRATED" -c "$T/trace.yaml" \
	    >"$T/daemon.log" 2>&1 &
	spid=$!; track $spid
	trace_up() { [ -S "$T/trace.sock" ] || ! kill -0 $spid 2>/dev/null; }
	wait_until 60 trace_up
	if [ -S "$T/trace.sock" ]; then
		"$MIGRATECTL" -s "$T/trace.sock" status >/dev/null 2>&1
		echo "  traced the daemon serving 'status' and its SIGTERM"
	fi
	# strace's pid is $spid; the daemon is its child
	pkill -TERM -P $spid 2>/dev/null
	wait $spid
	cat "$tr".* >"$tr.all"
	used=$(sed -E 's/^[0-9]+ +//' "$tr.all" |
	    grep -oE '^[a-z_][a-z0-9_]*\(' | tr -d '(' | sort -u)
	ok "strace saw the daemon's system calls" \
	    test "$(printf '%s\n' "$used" | grep -c .)" -gt 20
	bad=$(printf '%s\n' "$used" | comm -23 - "$allowed" | tr '\n' ' ')
	is "every system call the daemon made is allowed by the unit" "$bad" ""
	fams=$(grep -oE '^[0-9]+ +socket\(AF_[A-Z0-9]+' "$tr.all" |
	    sed 's/.*(//' | sort -u | tr '\n' ' ')
	echo "  socket families used: $fams"
	like "the daemon used AF_INET (TCP to PostgreSQL)" "$fams" "AF_INET "
	is "only AF_UNIX, AF_INET and AF_INET6 sockets (RestrictAddressFamilies=)" \
	    "$(printf '%s\n' $fams | grep -vxE 'AF_UNIX|AF_INET|AF_INET6' | tr '\n' ' ')" ""
	is "no writable and executable memory (MemoryDenyWriteExecute=)" \
	    "$(grep -E '(mmap|mprotect|pkey_mprotect)\(' "$tr.all" |
	    grep -E 'PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE' | head -n 3)" ""
	is "no mprotect adding PROT_EXEC (MemoryDenyWriteExecute=)" \
	    "$(grep -E '^[0-9]+ +mprotect\([^)]*PROT_EXEC' "$tr.all" | head -n 3)" ""
else
	_fail "strace is needed to check the daemon against the unit's filters"
fi
