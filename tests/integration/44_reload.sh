# 44_reload.sh - `migratectl reload` answers when the reload is over: exit
# 0 when the configuration, the models and tier 1 all went through, non-zero
# with the reason (a model's file:line:col) when not.  The units'
# ExecReload= is that command, so `systemctl reload` fails when the reload
# does; run here exactly as the units write it (paths moved into $T).  A
# reload asked for during a running `up` waits for it, and its client
# waits for the reload, instead of failing with "busy".
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p models migrations etc/migrated
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
cat >models/people.yaml <<'YAML'
table: people
columns:
  id:    { type: int, primary_key: true }
  email: { type: text }
YAML
cat >etc/migrated/migrated.yaml <<EOC
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $SOCK
EOC
cp etc/migrated/migrated.yaml etc/migrated/auth.yaml

# the units' command lines, with their paths moved here
unit_line() {	# unit_line UNIT KEY
	sed -n "s/^$2=//p" "$SRC/systemd/$1" | sed -e 's/%i/auth/g' \
	    -e "s|/usr/sbin/migrated|$MIGRATED|" \
	    -e "s|/usr/bin/migratectl|$MIGRATECTL|" \
	    -e "s|/etc/migrated/|$T/etc/migrated/|g" \
	    -e "s|/run/migrated/auth.sock|$SOCK|g"
}
START=$(unit_line migrated.service ExecStart)
RELOAD=$(unit_line migrated.service ExecReload)
RELOAD_AT=$(unit_line migrated@.service ExecReload)
like "ExecReload= runs migratectl reload" "$RELOAD" "migratectl .*reload$"

$START >daemon.log 2>&1 &
DPID=$!; track $DPID
ok "ready" ctl wait-ready --timeout 30
out=$($RELOAD 2>&1); rc=$?
is "migrated.service's ExecReload: a good reload exits 0" "$rc" 0
like "it says what tier 1 found" "$out" "schema|in sync|reload"
out=$($RELOAD_AT 2>&1)
is "migrated@.service's ExecReload: exit 0" "$?" 0

# a model with a YAML error: the reload fails and says where
n=$(daemon_json "$SOCK" "d['data']['reloads']")
printf '  bad: [\n' >>models/people.yaml
out=$($RELOAD 2>&1); rc=$?
is "a bad model: ExecReload exits 1" "$rc" 1
like "with the model's file:line:col" "$out" "models/people.yaml:[0-9]+:[0-9]+: "
like "the daemon kept the old configuration" "$(cat daemon.log)" \
    "reload failed, keeping the old configuration"
ok "the reload was answered after it ended (reloads counted)" \
    status_says "$SOCK" "d['data']['reloads'] > $n"
out=$($RELOAD_AT 2>&1); rc=$?
is "migrated@.service's ExecReload fails too" "$rc" 1
ok "still running, still ready on the old models" \
    status_says "$SOCK" "d['data']['ready']"
like "status says the reload was refused, and where" \
    "$(daemon_json "$SOCK" "d['data']['reload_error']")" \
    "models/people.yaml:[0-9]+:[0-9]+: "
like "so does the status line (STATUS= for systemd)" \
    "$(daemon_json "$SOCK" "d['data']['status']")" \
    "reload failed, old configuration kept: .*people.yaml"
like "migratectl status prints it" "$(ctl status 2>&1)" \
    "reload: +failed, old configuration kept"

# fixed: a column more, applied by the reload's tier 1
sed -i '/^  bad:/d' models/people.yaml
printf '  name:  { type: text }\n' >>models/people.yaml
ok "the model fixed: ExecReload exits 0" $RELOAD
is "and tier 1 applied it before the answer" \
    "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'name'")" 1
is "a reload taken clears reload_error" \
    "$(daemon_json "$SOCK" "d['data']['reload_error']")" null

# during a running `up`: the reload waits for it, the client for the reload
cat >migrations/20240101_000000_gated.sql <<'SQL'
-- migrated:lock_timeout=10m
SELECT pg_advisory_xact_lock(4242);
CREATE TABLE gated (id int);
SQL
psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(4242), pg_sleep(120) /* gate */" \
    >/dev/null 2>&1 &
GATE=$!; track $GATE
gate_held() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted")" -ge 1 ]; }
wait_until 30 gate_held
ctl up >up.out 2>&1 &
UP=$!; track $UP
up_waits() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted")" -ge 1 ]; }
wait_until 30 up_waits
$RELOAD >reload.out 2>&1 &
RL=$!; track $RL
wait_until 30 grep -q "reload requested by uid .*: waiting until up finishes" daemon.log
ok "the reload waits while up runs (its client too)" kill -0 $RL
like "status: busy with up" "$(ctl --json status)" '"busy":\{"op":"up"'
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* gate */%' AND pid <> pg_backend_pid()" >/dev/null
wait $UP
is "up finished" "$?" 0
wait $RL
is "then the reload ran and exited 0" "$?" 0
like "in that order (up, then the reload)" "$(grep -e 'up by uid .*: done' -e 'configuration reloaded' daemon.log | tail -n 2 | tr '\n' '|')" \
    "up by uid .*: done.*\|.*configuration reloaded"

kill -TERM $DPID; wait $DPID
is "daemon exits 0" "$?" 0
