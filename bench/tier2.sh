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
#   migratectl up  through the running daemon (median of 11 processes)
#   cold         daemon start + `migratectl wait-ready` + `migratectl up` +
#                SIGTERM and wait: what a CI job or an init container pays
#   once         `migrated --once --up`
#   peers        each tool's `up` with nothing to do
#
# PHASES=1 also prints where a cold no-op start spends its time (the
# daemon's debug log, which stamps each line with the time since start).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
[ -f "$BUILD/libmigrate.a" ] || make build >/dev/null

. tests/lib/cluster.sh
TMPDIR=${BENCH_TMP:-/dev/shm}
[ -d "$TMPDIR" ] && [ -w "$TMPDIR" ] || TMPDIR=/tmp
export TMPDIR
W=$(mktemp -d "$TMPDIR/migrated-bench.XXXXXX")
chmod 755 "$W"
dpid=
trap '[ -z "$dpid" ] || kill "$dpid" 2>/dev/null; cluster_stop; rm -rf "$W"' \
    EXIT
cluster_start "$W/pg" on >/dev/null

cc -std=c17 -D_GNU_SOURCE -O2 -Icore $(pkg-config --cflags libpq jansson) \
    -o "$W/tier2_bench" bench/tier2_bench.c "$BUILD/libmigrate.a" \
    -lpg_query $(pkg-config --libs libpq libuv yaml-0.1 jansson libcrypto zlib) \
    -lpthread -lm

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
now() { date +%s%N; }
ms() { echo $(( ($(now) - $1) / 1000 )) | awk '{printf "%.1f", $1 / 1000}'; }
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
	t=$(now); "$2" "$3" "$4" >/dev/null 2>&1; put "apply:$1" "$(ms "$t")"
	t=$(now); "$2" "$3" "$4" >/dev/null 2>&1; put "noop:$1" "$(ms "$t")"
}

for round in $(seq 1 "$ROUNDS"); do
	fresh one
	t=$(now)
	psql -qAtX -1 -v ON_ERROR_STOP=1 -d one -f "$W/one.sql" >/dev/null
	put "apply:psql -1" "$(ms "$t")"

	fresh floor
	t=$(now)
	psql -qAtX -v ON_ERROR_STOP=1 -d floor -f "$W/floor.sql" >/dev/null
	put "apply:floor" "$(ms "$t")"

	# the daemon: all N, then nothing pending, then a cold start
	fresh mig
	daemon_start mig
	ctl wait-ready --timeout 60 >/dev/null
	t=$(now); ctl up >/dev/null 2>&1; put "apply:daemon up" "$(ms "$t")"
	for _ in $(seq 1 11); do
		t=$(now); ctl up >/dev/null; ms "$t"; echo
	done | median | { read -r m; put "noop:migratectl up" "$m"; }
	daemon_stop
	t=$(now)
	daemon_start mig
	ctl wait-ready --timeout 60 >/dev/null
	ctl up >/dev/null
	daemon_stop
	put "noop:cold start+up+stop" "$(ms "$t")"
	t=$(now)
	"$BUILD/migrated" --once --up --database "dbname=mig" \
	    --models "$W/models" --migrations "$W/mig" 2>/dev/null
	put "noop:migrated --once --up" "$(ms "$t")"
	t=$(now); psql -qAtX -d mig -c "SELECT 1" >/dev/null
	put "noop:psql connect+SELECT 1" "$(ms "$t")"
	[ "$(psql -qAtX -d mig -c "SELECT count(*) FROM migrated_versions")" \
	    = "$N" ] || { echo "tier2.sh: daemon applied too few" >&2; exit 1; }

	fresh inproc
	t=$(now)
	PGDATABASE=inproc "$W/tier2_bench" up "$W/mig" >/dev/null
	put "apply:in-process" "$(ms "$t")"

	[ -z "$DBMATE" ] || peer dbmate
	[ -z "$SQLM" ] || peer sql-migrate
	[ -z "$NPM" ] || peer node-pg-migrate
	[ -z "$PGR" ] || peer postgrator
done

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
echo "  apply all $N                          ms     x floor"
for k in "psql -1" floor "daemon up" in-process dbmate sql-migrate \
    node-pg-migrate postgrator; do
	v=$(med "apply:$k")
	[ -n "$v" ] || { printf '    %-28s not installed\n' "$k"; continue; }
	printf '    %-28s %8s  %6s\n' "$k" "$v" \
	    "$(awk "BEGIN {printf \"%.2f\", $v / $floor}")"
done
echo "  nothing pending                       ms"
for k in "psql connect+SELECT 1" "migratectl up" "cold start+up+stop" \
    "migrated --once --up" dbmate sql-migrate node-pg-migrate postgrator; do
	v=$(med "noop:$k")
	[ -n "$v" ] || continue
	printf '    %-28s %8s\n' "$k" "$v"
done
