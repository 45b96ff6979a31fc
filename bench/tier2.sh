#!/usr/bin/env bash
# tier2.sh [N] - issue 4's tier-2 benchmark.
#
# Generates N (default 1000) small migrations (a table, an index, a comment
# each) and measures, in one run against one throwaway cluster with fsync
# ON (tests/lib/cluster.sh):
#   floor  psql -f of the same SQL, one BEGIN/COMMIT per migration
#   (a)    applying all N to an empty database with libmigrate
#   (b)    up when nothing is pending
#   (c)    status
# (b) and (c) are given twice: "cold" reads and hashes every file on each
# call; "cached" keeps the parsed set between calls and only stat()s the
# files (what the daemon does), which is what a request over the socket
# costs apart from the socket round trip.
# (b) and (c) are measured in-process (bench/tier2_bench.c) and through the
# daemon's socket: a real migrated on the same database and folder, and the
# wall time of a whole `migratectl up` / `migratectl status` process (so
# including its exec and connect).  dbmate and node-pg-migrate are run on the same
# workload when they are installed (on PATH or in bench/node_modules/.bin).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
BUILD=${BUILD:-build}
[ -f "$BUILD/libmigrate.a" ] || make build >/dev/null

. tests/lib/cluster.sh
W=$(mktemp -d /tmp/migrated-bench.XXXXXX)
chmod 755 "$W"
trap 'cluster_stop; rm -rf "$W"' EXIT
cluster_start "$W/pg" on >/dev/null

cc -std=c17 -D_GNU_SOURCE -O2 -Icore $(pkg-config --cflags libpq jansson) \
    -o "$W/tier2_bench" bench/tier2_bench.c "$BUILD/libmigrate.a" \
    -lpg_query $(pkg-config --libs libpq libuv yaml-0.1 jansson libcrypto) \
    -lpthread -lm

# the workload: native layout, and the same SQL as one psql script
mkdir -p "$W/mig" "$W/dbmate/db/migrations" "$W/npm"
: >"$W/floor.sql"
for i in $(seq 1 "$N"); do
	v=$(printf '2024%04d_%06d' $(( (i - 1) / 10000 + 101 )) "$i")
	body="CREATE TABLE t_$i (id bigint PRIMARY KEY, v text);
CREATE INDEX t_${i}_v ON t_$i (v);
COMMENT ON TABLE t_$i IS 'bench table $i';"
	printf '%s\n' "$body" >"$W/mig/${v}_t$i.sql"
	printf 'BEGIN;\n%s\nCOMMIT;\n' "$body" >>"$W/floor.sql"
	printf -- '-- migrate:up\n%s\n\n-- migrate:down\nDROP TABLE t_%s;\n' \
	    "$body" "$i" >"$W/dbmate/db/migrations/${v/_/}_t$i.sql"
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)
ms() { date +%s%N | awk '{printf "%.0f", $1 / 1000000}'; }
# a new database, and nothing left to write from the run before
fresh() {
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1" -c CHECKPOINT >/dev/null 2>&1
	sync
}

# floor and (a) alternate, twice each, best of two: the first run on a new
# cluster also pays for creating WAL segments, whichever tool it is
floor=; apply=
for round in 1 2; do
	fresh floor
	t0=$(ms)
	psql -qAtX -v ON_ERROR_STOP=1 -d floor -f "$W/floor.sql" >/dev/null
	t=$(( $(ms) - t0 ))
	[ -z "$floor" ] || [ "$t" -lt "$floor" ] && floor=$t
	fresh mig
	t0=$(ms)
	PGDATABASE=mig "$W/tier2_bench" up "$W/mig" >/dev/null
	t=$(( $(ms) - t0 ))
	[ -z "$apply" ] || [ "$t" -lt "$apply" ] && apply=$t
done
# (b) and (c): median of 21 in-process runs
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
noop=$(PGDATABASE=mig "$W/tier2_bench" up "$W/mig" 21 | median)
status=$(PGDATABASE=mig "$W/tier2_bench" status "$W/mig" 21 | median)
noop_c=$(PGDATABASE=mig "$W/tier2_bench" up "$W/mig" 21 cache | tail -n 20 |
    median)
status_c=$(PGDATABASE=mig "$W/tier2_bench" status "$W/mig" 21 cache |
    tail -n 20 | median)
applied=$(psql -qAtX -d mig -c "SELECT count(*) FROM migrated_versions")

# (b) and (c) through the daemon's socket: median of 21 migratectl runs
mkdir -p "$W/models"
"$BUILD/migrated" --database "dbname=mig" --models "$W/models" \
    --migrations "$W/mig" --socket "$W/s.sock" 2>"$W/daemon.log" &
dpid=$!
"$BUILD/migratectl" -s "$W/s.sock" wait-ready --timeout 60 >/dev/null
sock() {	# sock CMD: 21 timings of a whole migratectl CMD, in ms
	for _ in $(seq 1 21); do
		t0=$(date +%s%N)
		"$BUILD/migratectl" -s "$W/s.sock" "$1" >/dev/null
		echo $(( ($(date +%s%N) - t0) / 1000 ))
	done | median | awk '{printf "%.2f", $1 / 1000}'
}
noop_s=$(sock up)
status_s=$(sock status)
rtt() {	# rtt CMD: median round trip of CMD on one open connection, in ms
	python3 - "$W/s.sock" "$1" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
t = []
for _ in range(21):
    t0 = time.perf_counter()
    s.sendall(json.dumps({"cmd": sys.argv[2]}).encode() + b"\n")
    while not json.loads(f.readline()).get("end"):
        pass
    t.append((time.perf_counter() - t0) * 1000)
print("%.2f" % sorted(t)[10])
PY
}
noop_r=$(rtt up)
status_r=$(rtt status)
kill "$dpid"; wait "$dpid" 2>/dev/null || true

echo "tier-2 benchmark: N=$N migrations, PostgreSQL $(psql -qAtX -d postgres \
    -c 'SHOW server_version'), fsync=$(psql -qAtX -d postgres -c 'SHOW fsync')"
echo "  (load average before: $load0; $(nproc) cores; times are wall clock)"
printf '  floor  psql -f, BEGIN/COMMIT per migration  %6d ms\n' "$floor"
printf '  (a)    migrated: apply all %d (%d recorded)   %6d ms  ratio %s\n' \
    "$N" "$applied" "$apply" "$(awk "BEGIN {printf \"%.2f\", $apply / $floor}")"
printf '  (b)    up, nothing pending, cold (in-process)    %9.2f ms\n' "$noop"
printf '  (b)    up, nothing pending, cached (in-process)  %9.2f ms\n' \
    "$noop_c"
printf '  (c)    status, cold (in-process)                 %9.2f ms\n' "$status"
printf '  (c)    status, cached (in-process)               %9.2f ms\n' \
    "$status_c"
printf '  (b)    up over the socket (round trip)           %9.2f ms\n' "$noop_r"
printf '  (c)    status over the socket (round trip)       %9.2f ms\n' "$status_r"
printf '  (b)    a whole migratectl up process             %9.2f ms\n' "$noop_s"
printf '  (c)    a whole migratectl status process         %9.2f ms\n' "$status_s"

tool() {	# the first of: PATH, bench/node_modules/.bin
	command -v "$1" 2>/dev/null || { [ -x "bench/node_modules/.bin/$1" ] &&
	    echo "$PWD/bench/node_modules/.bin/$1"; } || true
}
url() { echo "postgres://$PGUSER@127.0.0.1:$PGPORT/$1?sslmode=disable"; }

if d=$(tool dbmate) && [ -n "$d" ]; then
	fresh dbm
	t0=$(ms)
	(cd "$W/dbmate" && DATABASE_URL=$(url dbm) "$d" --no-dump-schema up \
	    >/dev/null)
	t=$(( $(ms) - t0 ))
	printf '  dbmate up                                   %6d ms  ratio %s\n' \
	    "$t" "$(awk "BEGIN {printf \"%.2f\", $t / $floor}")"
else
	echo "  dbmate: not installed, skipped"
fi
if d=$(tool node-pg-migrate) && [ -n "$d" ]; then
	fresh npm
	mkdir -p "$W/npm/migrations"
	for f in "$W"/mig/*.sql; do
		b=$(basename "$f" .sql)
		{ echo "-- Up Migration"; cat "$f"; echo "-- Down Migration"; } \
		    >"$W/npm/migrations/${b/_/}.sql"
	done
	t0=$(ms)
	(cd "$W/npm" && DATABASE_URL=$(url npm) "$d" up -m migrations \
	    >/dev/null)
	t=$(( $(ms) - t0 ))
	printf '  node-pg-migrate up                          %6d ms  ratio %s\n' \
	    "$t" "$(awk "BEGIN {printf \"%.2f\", $t / $floor}")"
else
	echo "  node-pg-migrate: not installed, skipped"
fi
