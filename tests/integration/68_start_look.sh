# 68_start_look.sh - the start's read of the migrations folder stands for
# its job's look only when the job comes to the folder soon after that
# read (daemon/optier.c PRELOAD_LOOK_MS, 50 ms: the connection was
# quick).  A file added while the start's connection is held back longer
# (tests/lib/holdproxy.py) is applied by the start itself under `apply:
# on-start`, as when the start looked after connecting.  Without the
# proxy the start looks at the folder once, by its read or by a look
# (which one depends on how quick the connection was), and a file added
# after it (the watch started before the read) is read by a refresh of
# its own.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

LIB=$(cd "$(dirname "$0")/../lib" 2>/dev/null && pwd)
[ -f "$LIB/holdproxy.py" ] || LIB=$OLDPWD/tests/lib

mkdir -p models migrations px
printf 'CREATE TABLE sl_t1 (id int);\n' >migrations/20240101_000000_t1.sql
python3 "$LIB/holdproxy.py" "$T/px/.s.PGSQL.$PGPORT" \
    "$PGHOST/.s.PGSQL.$PGPORT" "migrated" "$T/release" \
    >"$T/proxy.log" 2>&1 &
PXPID=$!
track $PXPID
wait_until 30 grep -q listening "$T/proxy.log"
conf() {	# conf FILE HOST: apply on start, through HOST
	cat >"$1" <<EOF
database: "host=$2 port=$PGPORT dbname=$TESTDB"
models: $T/models
migrations: $T/migrations
socket: $T/s.sock
apply: on-start
EOF
}
applied() {	# applied N: the tracking table holds N clean rows
	[ "$(q "SELECT count(*) FROM $(tracking_table) WHERE NOT dirty")" = "$1" ]
}

# 1. the start's connection held back: a file comes meanwhile
conf a.yaml "$T/px"
PGCONNECT_TIMEOUT=120 "$MIGRATED" -d -c a.yaml >a.log 2>&1 &
PID_a=$!
track $PID_a
ok "the start's connection is held" \
    wait_until 30 grep -q "^held $PID_a\$" "$T/proxy.log"
ok "the folder was read before" \
    wait_until 30 grep -q "migrations folder read" a.log
printf 'CREATE TABLE sl_t2 (id int);\n' >migrations/20240102_000000_t2.sql
# held at least four times PRELOAD_LOOK_MS after the read: a lower
# bound, which a slow machine only makes longer
read_at=${EPOCHREALTIME/[.,]/}
past() { [ $(( ${EPOCHREALTIME/[.,]/} - read_at )) -gt 200000 ]; }
wait_until 30 past
touch "$T/release"
ok "ready once released" "$MIGRATECTL" -s "$T/s.sock" wait-ready --timeout 60
ok "the start applied both files" applied 2
is "sl_t2 made" "$(q "SELECT to_regclass('sl_t2') IS NOT NULL")" t
ok "its job looked at the folder once connected" \
    grep -q "migrations folder looked at: read again" a.log
unlike "not the start's read" "$(cat a.log)" "as the start read it"
kill -TERM $PID_a
wait $PID_a; rc=$?
is "a: stopped" "$rc" 0

# 2. a quick start: its read stands for its job's look
conf b.yaml "$PGHOST"
"$MIGRATED" -d -c b.yaml >b.log 2>&1 &
PID_b=$!
track $PID_b
ok "b ready" "$MIGRATECTL" -s "$T/s.sock" wait-ready --timeout 60
is "b's start looked at the folder once" \
    "$(grep -c "migrations folder looked at" b.log)" 1
# a file now: the watch, started before the read, sees it
printf 'CREATE TABLE sl_t3 (id int);\n' >migrations/20240103_000000_t3.sql
pending3() {
	status_says "$T/s.sock" \
	    "d['data']['enhancements']['pending'] == ['20240103_000000_t3']"
}
ok "b: the new file pending" poll 30 pending3
like "b: up applies it" "$("$MIGRATECTL" -s "$T/s.sock" up 2>&1)" \
    "20240103_000000"
ok "b: three applied" applied 3
kill -TERM $PID_b
wait $PID_b; rc=$?
is "b: stopped" "$rc" 0
kill "$PXPID"
unlike "no sanitizer report in the daemons' logs" "$(cat a.log b.log)" \
    "Sanitizer|runtime error"
