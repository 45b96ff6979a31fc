#!/usr/bin/env bash
# bench/cold_ab.sh BUILD_A BUILD_B - the daemon's cold no-op run of two
# builds, alternated in one run: start, `migratectl wait-ready`,
# `migratectl up` with nothing pending, stop (SIGTERM), on a database
# where N files (default 1,000, as bench/tier2.sh) are applied.
#
# For each build it prints the medians (and every run, sorted) of:
#   ready     the daemon's own clock at "ready" (-d: seconds since start)
#   stopped   the daemon's own clock at "stopped"
#   total     the whole run's wall clock, processes included
#   once      then `migrated --once --up`'s wall clock, nothing pending
# each started once the last one's backends are gone (settle),
# so that a change of the start can be told from the noise of a busy
# host: the two builds take turns, RUNS times each (default 10), on one
# throwaway cluster whose data directory is on tmpfs (BENCH_TMP, default
# /dev/shm).  PENDING=1: the newest file is forgotten before each run
# (its tracking row deleted, its table dropped), so that the start finds
# it to run and the `up` applies it.  A_ENV and B_ENV ("NAME=VALUE",
# default none) are set for the daemon of each.  What the start does, and
# where its time goes: README, "Performance".
set -u
export LC_ALL=C		# EPOCHREALTIME's decimal point
cd "$(dirname "$0")/.."
A=$(cd "${1:?usage: bench/cold_ab.sh BUILD_A BUILD_B}" && pwd) || exit 1
B=$(cd "${2:?usage: bench/cold_ab.sh BUILD_A BUILD_B}" && pwd) || exit 1
RUNS=${RUNS:-10}
N=${N:-1000}
. tests/lib/cluster.sh
bench_workdir cold || exit 1
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; cluster_stop; rm -rf "$W"' \
    EXIT
cluster_start "$W/pg" on >/dev/null || exit 1
cluster_createdb mig
mkdir -p "$W/mig" "$W/models"
for i in $(seq 1 "$N"); do
	printf 'CREATE TABLE t_%s (id bigint PRIMARY KEY, v text);\n' "$i" \
	    >"$W/mig/$(printf '2024%04d_%06d' 101 "$i")_t$i.sql"
done
"$A/migrated" --once --up --database dbname=mig --models "$W/models" \
    --migrations "$W/mig" >/dev/null 2>&1 || { echo "cannot apply"; exit 1; }

at() {	# at WORD: the daemon's clock at that line of its log, in ms
	sed -n "s/^migrated: \[\([0-9.]*\)\] $1.*/\1/p" "$W/d.log" |
	    awk '{printf "%.0f", $1 * 1000}'
}
forget() {	# the newest file is to run again
	psql -qAtX -d mig -c "DELETE FROM migrated_versions WHERE version =
	    (SELECT max(version) FROM migrated_versions)" \
	    -c "DROP TABLE t_$N" >/dev/null || exit 1
}
PM=$(head -n 1 "$W/pg/data/postmaster.pid")
settle() {	# every client backend gone, at most 2 s (no autovacuum to
	# wait for here: nothing is applied between the runs)
	local i
	for i in $(seq 1 200); do
		ps -o args= --ppid "$PM" | grep -q -e '\[local\]' \
		    -e '127\.0\.0\.1' || return 0
		sleep 0.01
	done
	echo "cold_ab.sh: backends still running, timed anyway" >&2
}
one() {	# one BUILD ENV: a cold run, then --once --up; prints ready,
	# stopped, total, once
	local t0 t1 t2 t3 rc
	[ "${PENDING:-0}" = 1 ] && forget
	settle
	t0=$EPOCHREALTIME
	# the log's clock: not written under systemd (main.c)
	env -u JOURNAL_STREAM ${2:+"$2"} "$1/migrated" -d --database dbname=mig \
	    --models "$W/models" --migrations "$W/mig" \
	    --socket "$W/s.sock" 2>"$W/d.log" &
	DPID=$!
	"$1/migratectl" -s "$W/s.sock" wait-ready --timeout 60 >/dev/null &&
	    "$1/migratectl" -s "$W/s.sock" up >/dev/null ||
	    { echo "a cold run failed: $(tail -n 3 "$W/d.log")" >&2; exit 1; }
	kill "$DPID"; wait "$DPID"; rc=$?; DPID=
	t1=$EPOCHREALTIME
	[ "$rc" = 0 ] && [ -n "$(at ready)" ] && [ -n "$(at stopped)" ] ||
	    { echo "a cold run ended badly (exit $rc): $(tail -n 3 \
	    "$W/d.log")" >&2; exit 1; }
	settle
	t2=$EPOCHREALTIME
	env ${2:+"$2"} "$1/migrated" --once --up --database dbname=mig \
	    --models "$W/models" --migrations "$W/mig" >/dev/null 2>&1 ||
	    { echo "--once --up failed" >&2; exit 1; }
	t3=$EPOCHREALTIME
	echo "$(at ready) $(at stopped) $t0 $t1 $t2 $t3" |
	    awk '{printf "%s %s %.1f %.1f\n", $1, $2, ($4 - $3) * 1000,
	    ($6 - $5) * 1000}'
}
for r in $(seq 1 "$RUNS"); do
	one "$A" "${A_ENV:-}" >>"$W/a"
	one "$B" "${B_ENV:-}" >>"$W/b"
done
col() { cut -d' ' -f"$2" "$W/$1" | sort -n; }
med() { awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "cold run, $N files applied$([ "${PENDING:-0}" = 1 ] &&
    echo ", the newest again each run"), $RUNS runs each, alternated (ms):"
for k in a b; do
	[ "$k" = a ] && b=$A || b=$B
	echo "  $k: $b"
	for f in "1 ready" "2 stopped" "3 total" "4 once"; do
		set -- $f
		printf '    %-8s median %6s   [%s]\n' "$2" "$(col $k "$1" | med)" \
		    "$(col $k "$1" | tr '\n' ' ' | sed 's/ $//')"
	done
done
