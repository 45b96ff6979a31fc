#!/usr/bin/env bash
# tier2.sh [N] - the tier-2 benchmark of issues 4 and 16.
#
# Generates N (default 1000) small migrations (a table, an index, a comment
# each) and measures, against one throwaway cluster with fsync ON
# (tests/lib/cluster.sh) whose data directory is on tmpfs (BENCH_TMP,
# default /dev/shm: commits then cost CPU, not disk, and what is left is
# round trips and work), ROUNDS times (default 3) in alternation, the
# median of each figure printed:
#
#   psql -1      psql -1 -f of the same SQL: one transaction, the floor
#   floor        psql -f, one BEGIN/COMMIT per migration: the transactions
#                migrated makes (every ratio is against this)
#   daemon up    a running migrated, `migratectl up` of all N (the whole
#                migratectl process, progress streamed to it)
#   in-process   migrate_up() of libmigrate, no daemon, no audit
#                (bench/tier2_bench.c)
#   peers        dbmate, sql-migrate, node-pg-migrate, postgrator on the same
#                SQL when installed (PATH or bench/node_modules/.bin:
#                `cd bench && npm install`; sql-migrate is a Debian package)
#
# and, with all N applied ("no-op"):
#   psql         connect + SELECT 1
#   migratectl up  through the running daemon: the whole process, fork and
#                exec to exit, timed by bench/ctl_rtt.c -x (no shell or
#                date(1) in the interval), median of NOOP_RUNS (201)
#   round trip   the same request alone, no client process: connect, send,
#                read to the end marker (bench/ctl_rtt.c, median of 21):
#                what the daemon takes to answer, plus the socket
#   ctl CPU      migratectl's own CPU time for it (perf stat -r 11, when
#                perf is installed)
#   cold         daemon start + `migratectl wait-ready` + `migratectl up` +
#                SIGTERM and wait: what a CI job or an init container pays
#   once         `migrated --once --up`
#   1 drift      the same two with an extension in the database that no
#                model names and no file made (pgcrypto): drift, which
#                tier 1 explains from the applied files (core/tier1.c,
#                t1_owned)
#   peers        each tool's `up` with nothing to do
#
# Beside each apply's wall clock it prints the CPU time (user + system)
# of the client side (the tool's whole process tree; for `daemon up`,
# migratectl and the daemon) and of the server (the postmaster and every
# backend, the exited ones included): figures a loaded machine blurs less.
#
# PHASES=1 also prints where a cold no-op start spends its time (the
# daemon's debug log, which stamps each line with the time since start).
# COUNT=1 runs one more daemon apply under `strace -c -f` and prints the
# daemon's system calls: sendto is one round trip to the server,
# epoll_wait a wake-up of its loop thread, write a log line, a progress
# write or a wake-up.
set -eu
[ -n "${EPOCHREALTIME:-}" ] || { echo "tier2.sh: needs bash 5" >&2; exit 1; }
cd "$(dirname "$0")/.."
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
[ -f "$BUILD/libmigrate.a" ] || make build >/dev/null

. tests/lib/cluster.sh
bench_workdir bench || exit 1
dpid=
trap '[ -z "$dpid" ] || kill "$dpid" 2>/dev/null; cluster_stop; rm -rf "$W"' \
    EXIT
cluster_start "$W/pg" on >/dev/null
PM=$(head -n 1 "$W/pg/data/postmaster.pid")
HZ=$(getconf CLK_TCK)

# the headers of the build measured (BUILD may be another checkout's)
cc -std=c17 -D_GNU_SOURCE -O2 -I"$BUILD/../core" \
    $(pkg-config --cflags libpq jansson) -o "$W/tier2_bench" \
    bench/tier2_bench.c "$BUILD/libmigrate.a" -lpg_query \
    $(pkg-config --libs libpq libuv yaml-0.1 jansson libcrypto) \
    -lz -lpthread -lm
cc -std=c17 -O2 -o "$W/ctl_rtt" bench/ctl_rtt.c

# the workload, in each tool's layout
mkdir -p "$W/mig" "$W/models" "$W/dbmate/db/migrations" "$W/npm/migrations" \
    "$W/sqlm/migrations" "$W/pgr/migrations"
: >"$W/floor.sql"; : >"$W/one.sql"
for i in $(seq 1 "$N"); do
	v=$(printf '2024%04d_%06d' $(( (i - 1) / 10000 + 101 )) "$i")
	body="CREATE TABLE t_$i (id bigint PRIMARY KEY, v text);
CREATE INDEX t_${i}_v ON t_$i (v);
COMMENT ON TABLE t_$i IS 'bench table $i';"
	printf '%s\n' "$body" >"$W/mig/${v}_t$i.sql"
	printf 'BEGIN;\n%s\nCOMMIT;\n' "$body" >>"$W/floor.sql"
	printf "%s\n" "$body" >>"$W/one.sql"
	printf -- '-- migrate:up\n%s\n\n-- migrate:down\nDROP TABLE t_%s;\n' \
	    "$body" "$i" >"$W/dbmate/db/migrations/${v/_/}_t$i.sql"
	printf -- '-- Up Migration\n%s\n-- Down Migration\n' "$body" \
	    >"$W/npm/migrations/${v/_/}_t$i.sql"
	printf -- '-- +migrate Up\n%s\n\n-- +migrate Down\nDROP TABLE t_%s;\n' \
	    "$body" "$i" >"$W/sqlm/migrations/${v/_/}_t$i.sql"
	printf '%s\n' "$body" >"$W/pgr/migrations/$(printf '%06d' "$i").do.t$i.sql"
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)
# now: the clock in microseconds into T, read by the shell itself, so
# that no date(1) process (a fork and an exec: 2-5 ms on a slow host)
# falls inside the interval timed; ms_to FROM TO: milliseconds between
now() { T=${EPOCHREALTIME/[.,]/}; }
ms_to() { awk -v d=$(($2 - $1)) 'BEGIN {printf "%.1f", d / 1000}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# a new database, and nothing left to write from the run before
fresh() {
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1" -c CHECKPOINT >/dev/null 2>&1
	sync
}
tool() {	# the first of: PATH, bench/node_modules/.bin
	command -v "$1" 2>/dev/null || { [ -x "bench/node_modules/.bin/$1" ] &&
	    echo "$PWD/bench/node_modules/.bin/$1"; } || true
}
url() { echo "postgres://$PGUSER@127.0.0.1:$PGPORT/$1?sslmode=disable"; }
R="$W/results"
: >"$R"
put() { echo "$1 $2" >>"$R"; }	# put NAME MS
# CPU clock ticks: the server (the postmaster, its live children and the
# exited ones it waited for), this shell's waited-for children, a process
srv_ticks() {
	local p s=0
	for p in "$PM" $(ps -o pid= --ppid "$PM"); do
		[ -r "/proc/$p/stat" ] || continue
		s=$((s + $(sed 's/^.*) //' "/proc/$p/stat" |
		    awk '{print $12 + $13 + $14 + $15}')))
	done
	echo "$s"
}
kid_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{print $14 + $15}'; }
pid_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
kids() { ps -o pid= --ppid "$PM" | wc -l; }
# settle: every client backend gone (an exited tool's or daemon's may still
# be ending) and no autovacuum worker at work (an apply of N files wakes
# them on the catalogs), so that a no-op run does not start on a server
# busy with the last one's leftovers; at most 10 s.  Each cold and no-op
# figure starts so.
settle() {
	local i
	for i in $(seq 1 1000); do
		ps -o args= --ppid "$PM" | grep -q -e '\[local\]' \
		    -e '127\.0\.0\.1' -e 'autovacuum worker' || return 0
		sleep 0.01
	done
	echo "tier2.sh: the server still busy after 10 s, timed anyway" >&2
}
# timed NAME CMD...: wall clock, client and server CPU of one apply
timed() {
	local name=$1 t s0 k0 n0 d0=0 d1=0 i
	shift
	n0=$(kids); s0=$(srv_ticks); k0=$(kid_ticks)
	[ -z "$dpid" ] || d0=$(pid_ticks "$dpid")
	now; t=$T
	"$@" >/dev/null 2>&1
	now; put "apply:$name" "$(ms_to "$t" "$T")"
	[ -z "$dpid" ] || d1=$(pid_ticks "$dpid")
	# the tool's backend counts once the postmaster has reaped it (a
	# running daemon's stay: its lock connection may be new; counted live)
	for i in $(seq 1 100); do
		[ -z "$dpid" ] && [ "$(kids)" -gt "$n0" ] || break
		sleep 0.02
	done
	put "cpu:$name" $(( ($(kid_ticks) - k0 + d1 - d0) * 1000 / HZ ))
	put "srv:$name" $(( ($(srv_ticks) - s0) * 1000 / HZ ))
}

daemon_start() {	# daemon_start DB [-d]: start migrated on DB
	"$BUILD/migrated" ${2:-} --database "dbname=$1" --models "$W/models" \
	    --migrations "$W/mig" --socket "$W/s.sock" 2>"$W/daemon.log" &
	dpid=$!
}
daemon_stop() {
	kill "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
}
ctl() { "$BUILD/migratectl" -s "$W/s.sock" "$@"; }

DBMATE=$(tool dbmate); SQLM=$(tool sql-migrate)
NPM=$(tool node-pg-migrate); PGR=$(tool postgrator)
cat >"$W/sqlm/dbconfig.yml" <<EOF
bench:
  dialect: postgres
  datasource: host=$PGHOST port=$PGPORT user=$PGUSER dbname=sqlm sslmode=disable
  dir: migrations
EOF
peer() {	# peer NAME: apply all, then up with nothing to do
	local t
	case $1 in
	dbmate) set -- "$1" sh -c "cd '$W/dbmate' && DATABASE_URL='$(url dbm)' \
	    '$DBMATE' --no-dump-schema up" dbm ;;
	sql-migrate) set -- "$1" sh -c "cd '$W/sqlm' && '$SQLM' up \
	    -config=dbconfig.yml -env=bench" sqlm ;;
	node-pg-migrate) set -- "$1" sh -c "cd '$W/npm' && \
	    DATABASE_URL='$(url npm)' '$NPM' up -m migrations" npm ;;
	postgrator) set -- "$1" sh -c "cd '$W/pgr' && '$PGR' --no-config \
	    --host 127.0.0.1 --port $PGPORT --database pgr --username $PGUSER \
	    --migration-pattern 'migrations/*'" pgr ;;
	esac
	fresh "$5"
	timed "$1" "$2" "$3" "$4"
	settle
	now; t=$T; "$2" "$3" "$4" >/dev/null 2>&1
	now; put "noop:$1" "$(ms_to "$t" "$T")"
}

cold() {	# cold KEY KEY: start + up + stop, then --once --up, on mig
	local t
	settle
	now; t=$T
	daemon_start mig
	ctl wait-ready --timeout 60 >/dev/null
	ctl up >/dev/null
	daemon_stop
	now; put "noop:$1" "$(ms_to "$t" "$T")"
	settle
	now; t=$T
	"$BUILD/migrated" --once --up --database "dbname=mig" \
	    --models "$W/models" --migrations "$W/mig" 2>/dev/null
	now; put "noop:$2" "$(ms_to "$t" "$T")"
}

for round in $(seq 1 "$ROUNDS"); do
	fresh one
	timed "psql -1" psql -qAtX -1 -v ON_ERROR_STOP=1 -d one -f "$W/one.sql"

	fresh floor
	timed floor psql -qAtX -v ON_ERROR_STOP=1 -d floor -f "$W/floor.sql"

	# the daemon: all N, then nothing pending, then a cold start
	fresh mig
	daemon_start mig
	ctl wait-ready --timeout 60 >/dev/null
	timed "daemon up" ctl up
	"$W/ctl_rtt" -x "${NOOP_RUNS:-201}" "$BUILD/migratectl" -s "$W/s.sock" \
	    up | { read -r m _; put "noop:migratectl up" "$m"; }
	"$W/ctl_rtt" "$W/s.sock" 21 | { read -r m _; put "noop:round trip" "$m"; }
	if command -v perf >/dev/null 2>&1; then
		perf stat -x, -e task-clock -r 11 "$BUILD/migratectl" \
		    -s "$W/s.sock" up 2>&1 >/dev/null | awk -F, \
		    '$3 == "task-clock" {print $1}' | tail -n 1 |
		    { read -r m && put "noop:ctl CPU" "$m" || true; }
	fi
	daemon_stop
	cold "cold start+up+stop" "migrated --once --up"
	settle
	now; t=$T; psql -qAtX -d mig -c "SELECT 1" >/dev/null
	now; put "noop:psql connect+SELECT 1" "$(ms_to "$t" "$T")"
	# the same with drift: an extension no model names and no file made
	psql -qAtX -d mig -c "CREATE EXTENSION pgcrypto" >/dev/null
	cold "cold, 1 drift" "--once --up, 1 drift"
	psql -qAtX -d mig -c "DROP EXTENSION pgcrypto" >/dev/null
	[ "$(psql -qAtX -d mig -c "SELECT count(*) FROM migrated_versions")" \
	    = "$N" ] || { echo "tier2.sh: daemon applied too few" >&2; exit 1; }

	fresh inproc
	timed in-process env PGDATABASE=inproc "$W/tier2_bench" up "$W/mig"

	[ -z "$DBMATE" ] || peer dbmate
	[ -z "$SQLM" ] || peer sql-migrate
	[ -z "$NPM" ] || peer node-pg-migrate
	[ -z "$PGR" ] || peer postgrator
done

if [ "${COUNT:-0}" = 1 ]; then
	fresh mig
	daemon_start mig
	ctl wait-ready --timeout 60 >/dev/null
	strace -c -f -o "$W/strace" -p "$dpid" 2>/dev/null & spid=$!
	sleep 1	# attached
	ctl up >/dev/null 2>&1
	kill -INT "$spid"; wait "$spid" 2>/dev/null || true
	daemon_stop
	echo "the daemon's system calls during one apply of $N (strace -c -f):"
	awk '$NF ~ /^(sendto|recvfrom|epoll_wait|poll|write|read|futex)$/ {
	    printf "    %-12s %8d\n", $NF, $4}' "$W/strace"
fi

if [ "${PHASES:-0}" = 1 ]; then
	daemon_start mig -d
	ctl wait-ready --timeout 60 >/dev/null
	ctl up >/dev/null
	daemon_stop
	echo "cold no-op start, the daemon's debug log (seconds since start):"
	sed 's/^/    /' "$W/daemon.log"
fi

med() { awk -v k="$1" '{n = $1; v = $NF; sub(/ [^ ]*$/, ""); if ($0 == k)
	print v}' "$R" | median; }
floor=$(med "apply:floor")
echo "tier-2 benchmark: N=$N migrations, $ROUNDS rounds (medians), PostgreSQL" \
    "$(psql -qAtX -d postgres -c 'SHOW server_version'), fsync=$(psql -qAtX \
    -d postgres -c 'SHOW fsync'), data on $(df --output=fstype "$W" | tail -1)"
echo "  load average before: $load0; $(nproc) cores; wall clock of whole" \
    "processes"
echo "  apply all $N                          ms     x floor  CPU ms: client  server"
for k in "psql -1" floor "daemon up" in-process dbmate sql-migrate \
    node-pg-migrate postgrator; do
	v=$(med "apply:$k")
	[ -n "$v" ] || { printf '    %-28s not installed\n' "$k"; continue; }
	printf '    %-28s %8s  %6s  %14s  %6s\n' "$k" "$v" \
	    "$(awk "BEGIN {printf \"%.2f\", $v / $floor}")" \
	    "$(med "cpu:$k")" "$(med "srv:$k")"
done
echo "  nothing pending                       ms"
for k in "psql connect+SELECT 1" "migratectl up" "round trip" "ctl CPU" \
    "cold start+up+stop" "cold, 1 drift" \
    "migrated --once --up" "--once --up, 1 drift" dbmate sql-migrate \
    node-pg-migrate postgrator; do
	v=$(med "noop:$k")
	[ -n "$v" ] || continue
	printf '    %-28s %8s\n' "$k" "$v"
done
