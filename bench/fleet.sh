#!/usr/bin/env bash
# bench/fleet.sh [N] - one service over a fleet of databases (issue 17,
# part 2), against a throwaway cluster with fsync ON.
#
# N databases (default 200) get the sample service (models/ and
# migrations/ of this repository).  In one run it measures:
#   floor  a shell loop running `psql -f` per database with the same
#          parallelism (xargs -P P): the SQL of the tier-1 plan, then both
#          migration files, nothing tracked, nothing audited
#   cold   migrated --once --up over the fleet (discovery query), every
#          member from empty: tier 1, tier 2, tracking, audit, locks
#   no-op  the same again when every member is up to date (RUNS times;
#          best and median)
#   service the same no-op pass through the service: `migratectl up` to
#          a running `migrated` over the fleet (RUNS times, after its
#          start-up pass): tier 2 on every member, as a single
#          database's up (tier 1 was read at start; its catalogs are not
#          read again)
#   check  `migratectl check` through the service (RUNS times): every
#          member's catalogs planned again and its tracking table read
#   connect a floor of its own for a pass: a new connection and
#          `SELECT 1` per database, P psql processes each going through
#          its share with `\c` (a new backend each, no process start)
# Each timed run starts on fresh databases after a CHECKPOINT and sync;
# floor and cold alternate ROUNDS times (default 2), the best of each
# is compared.
# P is fleet.parallel (default 4).  Targets: cold within 1.2x of the floor;
# a no-op pass over 200 databases under 2 s.  The machine may be shared:
# the load average is printed, and only ratios within the run compare.
set -eu
cd "$(dirname "$0")/.."
N=${1:-${N:-200}}
P=${P:-4}
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-2}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
MIGRATED=$BUILD/migrated
MIGRATECTL=$BUILD/migratectl
[ -x "$MIGRATED" ] || { echo "bench: build first (make)" >&2; exit 1; }
. tests/lib/cluster.sh

W=$(mktemp -d /tmp/migrated-bench.XXXXXX)
chmod 755 "$W"
spid=
trap '[ -z "$spid" ] || { kill -TERM "$spid"; wait "$spid"; }; cluster_stop; rm -rf "$W"' EXIT
cluster_start "$W/pg" on >/dev/null
psql -qAtX -d postgres -c "ALTER SYSTEM SET max_connections = 400" >/dev/null
cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -w restart \
    -o "-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=400 -c shared_buffers=64MB" \
    -l "$CLUSTER_DIR/server.log" >/dev/null

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
names() { seq -f "f%03g" 1 "$N"; }
# every timed run starts on fresh databases with nothing left to write
fresh() {
	names | sed 's/.*/DROP DATABASE IF EXISTS "&";/' |
	    psql -qX -d postgres -f - >/dev/null 2>&1
	names | sed 's/.*/CREATE DATABASE "&";/' |
	    psql -qX -v ON_ERROR_STOP=1 -d postgres -f - >/dev/null
	psql -qAtX -d postgres -c CHECKPOINT
	sync
}

cat >"$W/fleet.yaml" <<YAML
database: "dbname=postgres"
models: "$PWD/models"
migrations: "$PWD/migrations"
fleet:
  discover: SELECT datname FROM pg_database WHERE datname ~ '^f[0-9]+\$'
  parallel: $P
YAML

# the floor's SQL: what tier 1 plans on an empty database, then the files
psql -qAtX -d postgres -c "CREATE DATABASE plan_only" >/dev/null
"$MIGRATED" --database "dbname=plan_only" --models models \
    --migrations migrations --plan >"$W/floor.sql"
for f in $(ls migrations/*.sql | grep -v _rollback.sql); do
	cat "$f" >>"$W/floor.sql"
done
psql -qAtX -d postgres -c "DROP DATABASE plan_only" >/dev/null

# floor and cold alternate, ROUNDS times (default 2): the machine's load
# changes under a long run, and each gets the same chances
floor= cold=
for r in $(seq 1 "$ROUNDS"); do
	fresh
	t0=$(date +%s%N)
	names | xargs -P "$P" -I{} psql -qAtX -v ON_ERROR_STOP=1 -d {} \
	    -f "$W/floor.sql" >/dev/null 2>&1
	floor="$floor $(ms "$t0")"

	fresh
	t0=$(date +%s%N)
	"$MIGRATED" -c "$W/fleet.yaml" --once --up 2>"$W/cold.log" || {
		echo "bench: the cold run failed:" >&2; tail -n 20 "$W/cold.log" >&2; exit 1; }
	cold="$cold $(ms "$t0")"
	applied=$(psql -qAtX -d f001 -c "SELECT count(*) FROM migrated_versions")
	[ "$applied" = 2 ] || { echo "bench: f001 has $applied versions" >&2; exit 1; }
done
runs_floor=$floor runs_cold=$cold
floor=$(printf '%s\n' $floor | sort -n | head -n 1)
cold=$(printf '%s\n' $cold | sort -n | head -n 1)
psql -qAtX -d postgres -c CHECKPOINT
sync

noop=
for r in $(seq 1 "$RUNS"); do
	t0=$(date +%s%N)
	"$MIGRATED" -c "$W/fleet.yaml" --once --up 2>"$W/noop.log"
	noop="$noop $(ms "$t0")"
	grep -q "fleet: $N members, $N done" "$W/noop.log" || {
		echo "bench: no-op pass did not finish:" >&2; tail "$W/noop.log" >&2; exit 1; }
	[ "$(grep -c 'tier 2: 0 applied' "$W/noop.log")" = "$N" ] || {
		echo "bench: the no-op pass applied something" >&2; exit 1; }
done
best=$(printf '%s\n' $noop | sort -n | head -n 1)
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
med=$(med $noop)

# the same through the service: its start-up pass, then `up` RUNS times
{ cat "$W/fleet.yaml"; echo "socket: { path: $W/ctl.sock, mode: 0600 }"; } \
    >"$W/service.yaml"
"$MIGRATED" -c "$W/service.yaml" 2>"$W/service.log" &
spid=$!
"$MIGRATECTL" -s "$W/ctl.sock" wait-ready --timeout 600 >/dev/null || {
	echo "bench: the service did not start:" >&2; tail "$W/service.log" >&2; exit 1; }
# ctl_times CMD: `migratectl CMD` RUNS times, its times in ms printed, the
# last output left in $W/CMD.out
ctl_times() {
	ts=
	for r in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		"$MIGRATECTL" -s "$W/ctl.sock" "$1" >"$W/$1.out" 2>&1 || {
			echo "bench: $1 through the service failed:" >&2
			tail "$W/$1.out" >&2; exit 1; }
		ts="$ts $(ms "$t0")"
	done
	echo "$ts"
}
svc=$(ctl_times up)
[ "$(grep -c ': nothing to apply' "$W/up.out")" = "$N" ] || {
	echo "bench: up through the service: not every member up to date" >&2; exit 1; }
chk=$(ctl_times check)
kill -TERM "$spid"
wait "$spid" || true
spid=
conn=
for r in $(seq 1 "$RUNS"); do
	t0=$(date +%s%N)
	for k in $(seq 0 $((P - 1))); do
		names | awk -v p="$P" -v k="$k" \
		    '(NR - 1) % p == k { print "\\c " $1; print "SELECT 1;" }' |
		    psql -qAtX -v ON_ERROR_STOP=1 -d postgres -f - >/dev/null &
	done
	wait
	conn="$conn $(ms "$t0")"
done
conn_best=$(printf '%s\n' $conn | sort -n | head -n 1)
svc_best=$(printf '%s\n' $svc | sort -n | head -n 1)
chk_best=$(printf '%s\n' $chk | sort -n | head -n 1)
load=$(cut -d' ' -f1 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rate() { awk -v n="$N" -v t="$1" 'BEGIN { printf "%.1f", n * 1000 / t }'; }
echo "fleet benchmark: $N databases, the sample service, parallel $P," \
    "fsync on ($(nproc) cores, load average $load)"
printf '  floor  psql -f per database (xargs -P %d) %6d ms  %6s db/s\n' \
    "$P" "$floor" "$(rate "$floor")"
printf '  cold   migrated --once --up             %6d ms  %6s db/s  %sx floor (target <= 1.20)\n' \
    "$cold" "$(rate "$cold")" "$(ratio "$cold" "$floor")"
printf '  no-op  migrated --once --up, up to date %6d ms  %6s db/s  median %d ms of %d (target < 2000 ms)\n' \
    "$best" "$(rate "$best")" "$med" "$RUNS"
printf '  service migratectl up, up to date     %6d ms  %6s db/s  median %d ms of %d (tier 2; target < 2000 ms)\n' \
    "$svc_best" "$(rate "$svc_best")" "$(med $svc)" "$RUNS"
printf '  check  migratectl check, up to date    %6d ms  %6s db/s  median %d ms of %d (both tiers read)\n' \
    "$chk_best" "$(rate "$chk_best")" "$(med $chk)" "$RUNS"
printf '  connect + SELECT 1 per database        %6d ms  %6s db/s  median %d ms of %d\n' \
    "$conn_best" "$(rate "$conn_best")" "$(med $conn)" "$RUNS"
echo "  every run (ms): floor$runs_floor; cold$runs_cold; no-op$noop; service$svc; check$chk; connect$conn"
