# 58_switchover.sh - a replicated cluster (a primary and a hot standby,
# streaming, synchronous) reached through a libpq multi-host conninfo with
# target_session_attrs=read-write, and a switchover (the primary stopped,
# the standby promoted) while the daemon is idle and at random points of an
# `up`.  A daemon pointed at the standby alone never writes: it takes no
# lock there, says why it waits, and refuses `up` clearly.  After each
# switchover in an `up`, the next `up` on the new primary leaves every file
# applied exactly once (tracking rows against the objects and the rows
# they made), no index invalid, the backfill complete, no failure recorded
# for a file whose transaction committed, and the audit chain intact.
# SEED=N replays a run (the seed is printed); TRIALS=N (default 10).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
. "$OLDPWD/tests/lib/cluster.sh"
. "$OLDPWD/tests/lib/replica.sh"

SEED=${SEED:-$(( $(date +%s) % 100000 ))}
TRIALS=${TRIALS:-10}
_rv=$SEED
rnd() {	# rnd N: RND = 0..N-1, from the seed alone
	_rv=$(( (_rv * 1103515245 + 12345) % 2147483648 ))
	RND=$(( _rv / 65536 % $1 ))
}
echo "  seed $SEED ($TRIALS trials; SEED=$SEED replays them)"

R=$T/rep
trap 'rep_cleanup "$R"' EXIT
mkdir -p models models1 migrations
SOCK=$T/ctl.sock
ctl() { "$MIGRATECTL" -s "$SOCK" "$@"; }
sock() { echo "$R/$1/sock"; }
# the cluster's two servers, the writable one found by libpq
multi() {	# multi DBNAME
	echo "host=$(sock a),$(sock b) port=$(rep_port "$R" a),$(rep_port "$R" b) dbname=$1 target_session_attrs=read-write"
}
start() {	# start CONNINFO MODELS: the daemon, DPID
	"$MIGRATED" --database "$1" --models "$2" --migrations migrations \
	    --socket "$SOCK" >>daemon.log 2>&1 &
	DPID=$!; track $DPID
	wait_until 30 test -S "$SOCK"
}
stop() {
	kill -TERM $DPID; wait $DPID
}
on() {	# on NODE SQL: psql on the node's database sw
	rep_psql "$R" "$1" -d "${DB:-sw}" -c "$2"
}

rep_primary "$R" a || { _fail "the primary starts"; exit 0; }
rep_psql "$R" a -d postgres -c "CREATE DATABASE sw" >/dev/null
rep_standby "$R" a b || { _fail "the standby streams"; exit 0; }
ok "the standby is in recovery" test "$(on b "SELECT pg_is_in_recovery()")" = t

# --- a daemon on the standby alone never writes ------------------------
cat >models1/things.yaml <<'YAML'
table: things
columns:
  id:    { type: bigint, primary_key: true }
  label: { type: text }
YAML
cat >migrations/20260101000001_items.sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, w int);
INSERT INTO items (id, v) SELECT g, g % 1000 FROM generate_series(1, 20000) g;
CREATE TABLE applied (version text NOT NULL);
INSERT INTO applied VALUES ('1');
SQL
start "host=$(sock b) port=$(rep_port "$R" b) dbname=sw" models1
waiting() { status_says "$SOCK" "'connected to a standby' in (d['data']['database'].get('error') or '')"; }
wait_until 30 waiting
out=$(ctl --json status)
like "standby only: status says it waits for a primary" "$out" \
    '"available":false.*"error":"connected to a standby \(read-only\): cannot run .startup.'
like "standby only: status names the server and its role" "$out" \
    "\"host\":\"$(sock b)\",\"port\":\"$(rep_port "$R" b)\",\"role\":\"standby\""
like "standby only: not ready" "$out" '"ready":false'
out=$(ctl up 2>&1); rc=$?
is "standby only: up refused (exit 1)" "$rc" 1
like "standby only: a clear message" "$out" \
    "connected to a standby \(read-only\): cannot run 'up' until a primary is reachable"
retried() { [ "$(grep -c 'connected to a standby.*retrying in' daemon.log)" -ge 2 ]; }
wait_until 30 retried
is "standby only: no advisory lock taken there" \
    "$(on b "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0
unlike "standby only: no write was even tried" "$(cat daemon.log)" \
    "read-only transaction|cannot execute"
is "standby only: nothing created on the primary" \
    "$(on a "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
ok "standby only: the daemon still runs" kill -0 $DPID
stop
out=$("$MIGRATED" --database "host=$(sock b) port=$(rep_port "$R" b) dbname=sw" \
    --models models1 --migrations migrations --once --up 2>&1); rc=$?
like "standby only: --once refuses (exit $rc)" "$rc" '^[1-9]'
like "standby only: --once says why" "$out" \
    "connected to a standby \(read-only\): cannot run --once on socket dir $(sock b)"
unlike "standby only: --once tried no write" "$out" "read-only transaction|cannot execute"

# --- an idle switchover --------------------------------------------------
: >daemon.log
start "$(multi sw)" models1
ok "multi-host: ready" ctl wait-ready --timeout 60
out=$(ctl --json status)
like "status: on the primary a" "$out" \
    "\"host\":\"$(sock a)\",\"port\":\"$(rep_port "$R" a)\",\"role\":\"primary\""
like "text status: the server and its role" "$(ctl status)" \
    "server: +$(sock a) port $(rep_port "$R" a), primary"
is "tier 1 applied on a" "$(on a "SELECT count(*) FROM pg_tables WHERE tablename = 'things'")" 1
t0=$(_ms)
rep_stop "$R" a fast
rep_promote "$R" b || _fail "b is promoted"
# (not jobs == 0: the idle ping counts there, see 58_patroni.sh's on_port)
on_b() { status_says "$SOCK" "d['data']['database']['available'] and d['data']['database']['host'] == '$(sock b)' and d['data']['database']['role'] == 'primary' and d['data']['busy'] is None and d['data']['ready']"; }
# on_b, or the status and the daemon's last lines when it is not (a
# failure says where the daemon stood)
on_b_or_why() {
	on_b && return 0
	ctl --json status
	tail -n 40 daemon.log
	return 1
}
wait_until 60 on_b
ms=$(( $(_ms) - t0 ))
like "idle: on the new primary b within seconds (${ms} ms)" "$ms" '^[0-9]{1,5}$'
like "idle: the switchover logged" "$(cat daemon.log)" \
    "primary changed: now $(sock b):$(rep_port "$R" b) \(the primary was $(sock a):"
like "idle: tier 1 re-checked there" "$(cat daemon.log)" \
    "database is back: re-checking the schema"
is "idle: the switchover recorded on b" "$(on b "SELECT count(*) FROM migrated_audit WHERE action = 'daemon.switchover' AND target = '$(sock b):$(rep_port "$R" b)'")" 1
like "idle: ready on b" "$(ctl --json status)" '"state":"ready"'
# the primary goes read-only without going away (a fence): the daemon
# lets go and waits for a writable primary
on b "ALTER SYSTEM SET default_transaction_read_only = on" >/dev/null
on b "SELECT pg_reload_conf()" >/dev/null
wait_until 30 status_says "$SOCK" "not d['data']['database']['available']"
like "fenced: said why" "$(cat daemon.log)" \
    'database unavailable: (the server became read-only \(default_transaction_read_only\)|connected to a standby \(read-only\): cannot run .(ping|recheck|sync).)'
like "fenced: status no longer calls it primary" \
    "$(daemon_json "$SOCK" "d['data']['database']['role']")" '^(unknown|read-only)$'
on b "ALTER SYSTEM RESET default_transaction_read_only" >/dev/null
on b "SELECT pg_reload_conf()" >/dev/null
wait_until 60 on_b
ok "fenced: back on b once it takes writes" on_b_or_why
# a COMMIT whose answer is lost: b has committed it (locally) and waits
# for a synchronous standby that does not exist when its backend is
# terminated.  The failure the daemon kept must not be written: the
# database has the transaction's audit row
cat >migrations/20260101000000_base.sql <<'SQL'
CREATE TABLE base (id int);
SQL
ok "in doubt: a first file, and the tracking table, applied" \
    ctl up --to 20260101000000
on b "ALTER SYSTEM SET synchronous_standby_names = 'nosuch'" >/dev/null
on b "SELECT pg_reload_conf()" >/dev/null
ctl up >doubt.out 2>&1 &
UP=$!; track $UP
syncrep() { [ "$(on b "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" = 1 ]; }
wait_until 30 syncrep
on b "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" >/dev/null
on b "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
on b "SELECT pg_reload_conf()" >/dev/null
wait $UP; rc=$?
is "in doubt: the up fails (exit 1)" "$rc" 1
like "in doubt: the answer says the COMMIT is in doubt" "$(cat doubt.out)" \
    "the connection was lost after a COMMIT was sent: whether it committed is known only to the database"
wait_until 60 on_b
wait_until 30 grep -q "not recorded: the connection was lost after its COMMIT" daemon.log
like "in doubt: the kept failure found committed, not written" "$(cat daemon.log)" \
    "tier2.fail 20260101000001_items: not recorded: the connection was lost after its COMMIT, and the database holds that transaction's audit row [0-9]+: it committed"
is "in doubt: applied once, no failure recorded" "$(on b "SELECT string_agg(action, ',' ORDER BY id) FROM migrated_audit WHERE target = '20260101000001_items'")" tier2.apply
is "in doubt: the tracking row says applied" "$(on b "SELECT dirty FROM migrated_versions WHERE version = '20260101000001'")" f
ok "in doubt: status shows it applied" status_says "$SOCK" "d['data']['enhancements']['pending'] == []"
ok "in doubt: the audit chain verifies" ctl audit verify
stop
rep_psql "$R" b -d postgres -c "DROP DATABASE sw" >/dev/null
rep_standby "$R" b a || { _fail "a streams from b"; exit 0; }

# --- switchovers at random points of an up -------------------------------
cat >migrations/20260101000002_idx.sql <<'SQL'
CREATE INDEX CONCURRENTLY items_v ON items (v);
CREATE INDEX CONCURRENTLY items_vid ON items (v, id);
CREATE INDEX CONCURRENTLY items_idv ON items (id, v);
SQL
cat >migrations/20260101000003_backfill.sql <<'SQL'
-- migrated:batch size=1000
UPDATE items SET w = v * 2 WHERE w IS NULL;
SQL
cat >migrations/20260101000004_more.sql <<'SQL'
ALTER TABLE items ADD COLUMN note text;
CREATE TABLE more (id int PRIMARY KEY);
INSERT INTO more SELECT g FROM generate_series(1, 5000) g;
INSERT INTO applied VALUES ('4');
SQL
cat >migrations/20260101000005_last.sql <<'SQL'
CREATE INDEX CONCURRENTLY more_id_desc ON more (id DESC);
CREATE TABLE last (id int);
SQL
NFILES=6
P=b S=a
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
up_went() { [ "$(lines up.out)" -ge "$1" ] || ! kill -0 $UP 2>/dev/null; }
bad=0
for i in $(seq 1 "$TRIALS"); do
	DB=sw$i
	rep_psql "$R" $P -d postgres -c "CREATE DATABASE $DB" >/dev/null
	# libpq tries no other host after a server refused the database:
	# the standby must have replayed it
	wait_until 30 on $S "SELECT 1"
	: >daemon.log
	start "$(multi $DB)" models
	ctl wait-ready --timeout 60 >/dev/null || _fail "trial $i: ready"
	rnd 36; k=$((RND + 1))
	ctl --json up >up.out 2>&1 &
	UP=$!; track $UP
	poll 60 up_went $k
	rep_stop "$R" $P immediate
	rep_promote "$R" $S || _fail "trial $i: $S promoted"
	wait $UP; uprc=$?
	ctl wait-ready --timeout 60 >/dev/null
	poll 60 status_says "$SOCK" "d['data']['database']['available'] and d['data']['database']['host'] == '$(sock $S)' and d['data']['jobs'] == 0"
	# what the switchover left on the new primary, for the record
	left=$(on $S "SELECT coalesce((SELECT string_agg(version || ' at ' ||
	    stmt_done || coalesce(', batch ' || batch_key, ''), '; ')
	    FROM migrated_versions WHERE dirty), 'no dirty file') || ', ' ||
	    (SELECT count(*) FROM pg_index WHERE NOT indisvalid) ||
	    ' invalid index(es)'" 2>/dev/null)
	out=$(ctl up 2>&1); rc=$?
	trk=migrated_versions
	got=$(on $S "SELECT
	    (SELECT count(*) FROM $trk WHERE NOT dirty) || ' ' ||
	    (SELECT count(*) FROM $trk WHERE dirty) || ' ' ||
	    (SELECT string_agg(version, ',' ORDER BY version) FROM applied) || ' ' ||
	    (SELECT count(*) FROM items) || ' ' ||
	    (SELECT count(*) FROM items WHERE w IS DISTINCT FROM v * 2) || ' ' ||
	    (SELECT count(*) FROM more) || ' ' ||
	    (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	      WHERE c.relname IN ('items_v', 'items_vid', 'items_idv', 'more_id_desc')
	      AND i.indisvalid) || ' ' ||
	    (SELECT count(*) FROM pg_index WHERE NOT indisvalid) || ' ' ||
	    (SELECT count(*) FROM pg_tables WHERE tablename = 'last') || ' ' ||
	    (SELECT count(*) FROM migrated_audit f JOIN migrated_audit a
	      ON a.target = f.target AND a.action = 'tier2.apply'
	      AND f.action = 'tier2.fail' AND f.id > a.id) || ' ' ||
	    (SELECT count(*) - count(DISTINCT target) FROM migrated_audit
	      WHERE action = 'tier2.apply')" 2>&1)
	want="$NFILES 0 1,4 20000 0 5000 4 0 1 0 0"
	verify=$(ctl audit verify 2>&1); vrc=$?
	doubt=$(grep -c "after a COMMIT was sent" up.out)
	echo "  trial $i: switchover after $k of $(lines up.out) progress lines (first up exit $uprc, commit in doubt: $doubt; left: ${left:-none}): $got"
	if [ "$rc" -ne 0 ] || [ "$got" != "$want" ] || [ "$vrc" -ne 0 ]; then
		bad=$((bad + 1))
		_fail "trial $i (seed $SEED, k $k)" "up: exit $rc: $out" \
		    "state: $got" "want:  $want" "audit verify: $vrc: $verify" \
		    "$(tail -n 30 daemon.log)"
	fi
	stop
	rep_psql "$R" $S -d postgres -c "DROP DATABASE $DB" >/dev/null
	rep_standby "$R" $S $P || { _fail "trial $i: $P streams from $S"; break; }
	t=$P; P=$S; S=$t
done
is "every trial: each file applied once, nothing half done, the audit chain intact" "$bad" 0
