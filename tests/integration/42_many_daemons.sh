# 42_many_daemons.sh - several daemons on one database: every daemon learns
# at once of every change any of them (or `migrated --once`) makes, through
# PostgreSQL's LISTEN/NOTIFY on a channel named after the schema and the
# tracking table; its status and STATUS= then say what check says.  A
# deployment with other tables on the same database is not disturbed.
# Each wait is on a condition, never a fixed time.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p models migrations
cat >models/people.yaml <<'YAML'
table: people
columns:
  id: { type: int, primary_key: true }
YAML
for i in 1 2 3; do
	printf 'CREATE TABLE t%s (id int);\n' $i \
	    >migrations/2024010${i}_000000_t$i.sql
	printf 'DROP TABLE t%s;\n' $i \
	    >migrations/2024010${i}_000000_t${i}_rollback.sql
done

start() {	# start NAME [ARGS...]: a daemon on socket $T/NAME.sock
	_n=$1; shift
	"$MIGRATED" --database "dbname=$TESTDB" --models models \
	    --migrations migrations --socket "$T/$_n.sock" "$@" \
	    >"$T/$_n.log" 2>&1 &
	track $!
	eval "PID_$_n=$!"
}
pending_is() {	# pending_is SOCK N: status counts N pending
	status_says "$1" "len(d['data']['enhancements']['pending'] or []) == $2"
}

# --- two daemons: up on the first, the second's status follows ----------
notify_listen "$T/notify.sock" "$T/notify.log"
start a
NOTIFY_SOCKET=$T/notify.sock start b
ok "a ready" "$MIGRATECTL" -s "$T/a.sock" wait-ready --timeout 30
ok "b ready" "$MIGRATECTL" -s "$T/b.sock" wait-ready --timeout 30
ok "b: 3 pending at first" pending_is "$T/b.sock" 3
wait_until 30 grep -q "STATUS=.*3 enhancements pending" "$T/notify.log"

ok "up on a" "$MIGRATECTL" -s "$T/a.sock" up
ok "b's status: 0 pending" poll 30 pending_is "$T/b.sock" 0
wait_until 30 grep -q "STATUS=schema in sync; no enhancement pending" \
    "$T/notify.log"
like "b's STATUS= follows" "$(tail -n 1 "$T/notify.log")" \
    "no enhancement pending"
ok "b's check agrees (exit 0)" "$MIGRATECTL" -s "$T/b.sock" check
like "b's status names a's current version" \
    "$("$MIGRATECTL" -s "$T/b.sock" --json status)" \
    '"current":"20240103_000000"'

# down on b: a learns of it
ok "down 1 on b" "$MIGRATECTL" -s "$T/b.sock" down 1 --yes
ok "a's status: 1 pending again" poll 30 pending_is "$T/a.sock" 1
fails_with "a's check agrees (exit 3)" 3 "$MIGRATECTL" -s "$T/a.sock" check

# migrated --once --up (no daemon) is heard too
ok "migrated --once --up" "$MIGRATED" --database "dbname=$TESTDB" \
    --models models --migrations migrations --once --up
both_zero() { pending_is "$T/a.sock" 0 && pending_is "$T/b.sock" 0; }
ok "a and b: 0 pending after --once" poll 30 both_zero

# tier 1 applied by a (reload) reaches b's status as well
printf '  name: { type: text }\n' >>models/people.yaml
ok "reload of a applies the new column" "$MIGRATECTL" -s "$T/a.sock" reload
ok "b's check: in sync" poll 30 "$MIGRATECTL" -s "$T/b.sock" check
ok "b's status: in sync" status_says "$T/b.sock" \
    "d['data']['schema'].get('pending_safe', 0) == 0 and d['data']['status'].startswith('schema in sync')"

# another deployment (its own tracking table) on the same database: its
# own channel, so a's changes do not make it read again
cat >other.yaml <<EOC
database: "dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $T/o.sock
tracking_table: other_versions
audit_table: other_audit
EOC
"$MIGRATED" -c other.yaml >"$T/o.log" 2>&1 &
OPID=$!; track $OPID
ok "other deployment ready" "$MIGRATECTL" -s "$T/o.sock" wait-ready --timeout 30
ok "it has its own 3 pending" pending_is "$T/o.sock" 3
# each listens from shortly after ready (daemon/latelisten.h)
listeners_are() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migrated listen'")" = "$1" ]
}
ok "three daemons: three listening connections" poll 30 listeners_are 3
ok "down 1 on a" "$MIGRATECTL" -s "$T/a.sock" down 1 --yes
ok "b hears it" poll 30 pending_is "$T/b.sock" 1
ok "the other deployment still has its own 3 pending" \
    pending_is "$T/o.sock" 3
for d in a b; do
	eval "kill -TERM \$PID_$d; wait \$PID_$d"
	is "daemon $d exits 0" "$?" 0
done
kill -TERM $OPID; wait $OPID
kill $LPID 2>/dev/null; wait $LPID 2>/dev/null || true

# --- sixteen daemons: up on one, every one reports 0 pending ------------
# (the other deployment's tables would be drift to this one's models)
q "DROP TABLE IF EXISTS t1, t2, t3, other_versions, other_audit;
    DELETE FROM migrated_versions" >/dev/null 2>&1
N=16
for i in $(seq $N); do start "m$i"; done
for i in $(seq $N); do
	"$MIGRATECTL" -s "$T/m$i.sock" wait-ready --timeout 60 >/dev/null 2>&1 ||
	    _fail "daemon m$i not ready"
done
all_pending() {	# all_pending N: every daemon counts N pending
	for _i in $(seq $N); do
		pending_is "$T/m$_i.sock" "$1" || return 1
	done
}
ok "$N daemons: 3 pending each" all_pending 3
ok "up on m1" "$MIGRATECTL" -s "$T/m1.sock" up
ok "all $N daemons report 0 pending" poll 60 all_pending 0
agree=0
for i in $(seq $N); do
	"$MIGRATECTL" -s "$T/m$i.sock" check >/dev/null 2>&1 && agree=$((agree + 1))
done
is "check agrees on all $N" "$agree" "$N"
for i in $(seq $N); do eval "kill -TERM \$PID_m$i"; done
for i in $(seq $N); do
	eval "wait \$PID_m$i" || _fail "daemon m$i did not exit 0"
done

# --- a long run: told as it goes, exactly at its end, and after a crash --
# A run announces a file at most every 100 ms in its transaction and the
# rest once it is over; a daemon's start is announced, so what a killed
# run left unsaid reaches the others when it comes back (core/announce.h).
LOG=${CLUSTER_DIR:-}/server.log
q "DROP TABLE IF EXISTS t1, t2, t3; DELETE FROM migrated_versions" \
    >/dev/null 2>&1
rm -f migrations/*.sql
for i in $(seq 1 300); do
	printf 'CREATE TABLE c%s (id int);\n' $i \
	    >migrations/$(printf '20240301_%06d' $i)_c$i.sql
done
"$MIGRATED" --database "dbname=$TESTDB options='-c log_statement=all'" \
    --models models --migrations migrations --socket "$T/a.sock" \
    >"$T/a.log" 2>&1 &
PID_a=$!; track $PID_a
start b
ok "long run: a ready" "$MIGRATECTL" -s "$T/a.sock" wait-ready --timeout 60
ok "long run: b ready" "$MIGRATECTL" -s "$T/b.sock" wait-ready --timeout 60
ok "long run: b counts 300 pending" poll 30 pending_is "$T/b.sock" 300
off=$(stat -c %s "$LOG")
ok "long run: up on a" "$MIGRATECTL" -s "$T/a.sock" up
ok "long run: b counts 0 pending at its end" poll 30 pending_is "$T/b.sock" 0
notifies=$(tail -c +$((off + 1)) "$LOG" | grep -c "pg_notify")
few() { [ "$notifies" -ge 1 ] && [ "$notifies" -lt 100 ]; }
ok "long run: not one announcement a file ($notifies for 300)" few

# a long file after quick ones: the others hear of the quick ones while
# it runs (the loop says them within 100 ms, daemon/dblisten.h)
printf 'CREATE TABLE e1 (id int);\n' >migrations/20240350_000001_e1.sql
printf 'CREATE TABLE e2 (id int);\n' >migrations/20240350_000002_e2.sql
printf 'SELECT pg_sleep(120);\n' >migrations/20240350_000003_e3.sql
ok "long file: b counts 3 pending" poll 30 pending_is "$T/b.sock" 3
"$MIGRATECTL" -s "$T/a.sock" up >/dev/null 2>&1 &
upid=$!
ok "long file: b hears of the quick ones while it runs" \
    poll 30 pending_is "$T/b.sock" 1
is "long file: still running" "$(q "SELECT count(*) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(120)'")" 1
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
    WHERE query = 'SELECT pg_sleep(120)'" >/dev/null
wait $upid
is "long file: cancelled, up fails" "$?" 1
rm -f migrations/20240350_000003_e3.sql
ok "long file: b counts 0 pending" poll 30 pending_is "$T/b.sock" 0
for i in $(seq 1 300); do
	printf 'CREATE TABLE d%s (id int);\nSELECT pg_sleep(0.005);\n' $i \
	    >migrations/$(printf '20240401_%06d' $i)_d$i.sql
done
ok "crash: b counts 300 new pending" poll 30 pending_is "$T/b.sock" 300
"$MIGRATECTL" -s "$T/a.sock" up >/dev/null 2>&1 &
upid=$!
applied() { q "SELECT count(*) FROM migrated_versions WHERE version LIKE '20240401%'"; }
applied_30() { [ "$(applied)" -ge 30 ]; }
wait_until 60 applied_30
kill -KILL $PID_a
wait $upid 2>/dev/null
# gone, every descriptor closed: until then its socket still takes
# connections, and the new daemon finds it in use
wait $PID_a 2>/dev/null
start a
ok "crash: a back" "$MIGRATECTL" -s "$T/a.sock" wait-ready --timeout 60
b_agrees() { pending_is "$T/b.sock" $((300 - $(applied))); }
ok "crash: b counts what the killed run applied" poll 30 b_agrees
cur=$(q "SELECT max(version) FROM migrated_versions")
ok "crash: b names the version the database is at ($cur)" status_says \
    "$T/b.sock" "d['data']['enhancements']['current'] == '$cur'"
for d in a b; do
	eval "kill -TERM \$PID_$d; wait \$PID_$d"
	is "long run: daemon $d exits 0" "$?" 0
done
