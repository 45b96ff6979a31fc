#!/usr/bin/env bash
# bench/real_apply.sh DIR - how fast a real project's migrations folder
# applies, against the psql floor of bench/tier2.sh, measured in one run.
#
#   floor   one psql -f of the folder's up scripts in the tool's own order
#           (bench/tool_up.py: for goose and dbmate the up section), each in
#           a BEGIN/COMMIT of its own: the transactions migrated makes.  A
#           script that cannot run in one (a statement PostgreSQL refuses in
#           a transaction block: CONCURRENTLY, VACUUM, ...; the tool's
#           no-transaction mark; its own BEGIN/COMMIT) runs as it is, as
#           migrated runs it.  Found by a regular expression, not by
#           migrated's parser: an independent reading.
#   daemon  `migratectl up` of the whole folder through a running migrated
#           (started and ready before the clock starts), its whole process
#
# Each on a fresh database of one throwaway cluster whose data directory is
# on tmpfs (BENCH_TMP, default /dev/shm, as bench/tier2.sh: commits cost
# CPU, not disk), ROUNDS times (default 3) in alternation; prints every
# round, then the medians (the lower middle one of an even count) and
# their ratio.  Both must apply every script:
# a failure stops the benchmark with the error.  SETUP=FILE.sql runs on
# each database first (what the project's own set-up script makes), BUILD
# picks another build (default build/).  The folders are not in this
# repository: fetch them (README, "Real folders").
set -u
cd "$(dirname "$0")/.."
MIG=$(cd "${1:?usage: bench/real_apply.sh DIR}" && pwd) || exit 1
ROUNDS=${ROUNDS:-3}
[ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "ROUNDS: a count, 1 or more"; exit 1; }
BUILD=$(cd "${BUILD:-build}" && pwd) || exit 1
. tests/lib/cluster.sh
bench_workdir apply || exit 1
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; cluster_stop; rm -rf "$W"' \
    EXIT
cluster_start "$W/pg" on >/dev/null || exit 1

mkdir -p "$W/up" "$W/models"
python3 bench/tool_up.py "$MIG" "$W/up" >"$W/manifest" || exit 1
tool=$(head -n 1 "$W/manifest")
python3 - "$MIG" "$W/up" >"$W/floor.sql" <<'PYEOF' || exit 1
import os, re, sys
src, up = sys.argv[1], sys.argv[2]
notx = re.compile(r"\b(create\s+(unique\s+)?index|drop\s+index|reindex"
                  r"\s+\w+)\s+concurrently\b|^\s*vacuum\b|\b(create|drop)"
                  r"\s+(database|tablespace)\b|\balter\s+system\b|"
                  r"\bdiscard\s+all\b", re.I | re.M)
# its own transaction: not END, which closes every PL/pgSQL block
own = re.compile(r"^\s*(begin|start\s+transaction|commit|rollback)"
                 r"(\s+(work|transaction))?\s*;", re.I | re.M)
mark = re.compile(r"\+goose\s+no\s+transaction|migrate:up\s+.*"
                  r"transaction:false", re.I)
comments = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
for f in sorted(os.listdir(up)):
    sql = open(os.path.join(up, f), encoding="utf-8").read()
    orig = open(os.path.join(src, f[6:]), encoding="utf-8").read()
    code = comments.sub(" ", sql)
    if notx.search(code) or own.search(code) or mark.search(orig):
        print(sql + "\n;")
    else:
        print("BEGIN;\n" + sql + "\n;\nCOMMIT;")
PYEOF
n=$(ls "$W/up" | wc -l)
echo "real_apply: $MIG: $tool, $n up scripts, $(wc -c <"$W/floor.sql") bytes;" \
    "PostgreSQL $(psql -qAtX -d postgres -c 'SHOW server_version'), fsync=on," \
    "data on $TMPDIR"

now() { date +%s%N; }
fresh() {	# fresh DB: a new database, its SETUP, nothing left to write
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1" >/dev/null ||
	    { echo "cannot make database $1"; exit 1; }
	if [ -n "${SETUP:-}" ]; then
		psql -qX -v ON_ERROR_STOP=1 -d "$1" -f "$SETUP" >/dev/null ||
		    exit 1
	fi
	psql -qAtX -d postgres -c CHECKPOINT >/dev/null
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$W/floor.ms"; : >"$W/daemon.ms"
for r in $(seq 1 "$ROUNDS"); do
	fresh floor
	t=$(now)
	psql -qAtX -v ON_ERROR_STOP=1 -d floor -f "$W/floor.sql" \
	    >/dev/null 2>"$W/floor.err" ||
	    { echo "psql failed: $(grep -m 1 ERROR "$W/floor.err")"; exit 1; }
	f=$(( ($(now) - t) / 1000 ))

	fresh mig
	"$BUILD/migrated" --database "dbname=mig" --models "$W/models" \
	    --migrations "$MIG" --socket "$W/s.sock" 2>"$W/d.log" &
	DPID=$!
	"$BUILD/migratectl" -s "$W/s.sock" wait-ready --timeout 60 >/dev/null ||
	    { tail -n 5 "$W/d.log"; exit 1; }
	t=$(now)
	"$BUILD/migratectl" -s "$W/s.sock" up >"$W/up.out" 2>&1 ||
	    { echo "migratectl up failed:"; tail -n 5 "$W/up.out"; exit 1; }
	d=$(( ($(now) - t) / 1000 ))
	kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
	a=$(psql -qAtX -d mig -c "SELECT count(*) FROM migrated_versions")
	[ "$a" -eq "$n" ] ||
	    { echo "migrated applied $a of $n"; exit 1; }
	echo "$f" >>"$W/floor.ms"; echo "$d" >>"$W/daemon.ms"
	awk -v f="$f" -v d="$d" -v r="$r" 'BEGIN {printf "  round %d: floor" \
	    " %.1f ms, daemon up %.1f ms, %.2fx\n", r, f / 1000, d / 1000,
	    d / f}'
done
f=$(median <"$W/floor.ms"); d=$(median <"$W/daemon.ms")
awk -v f="$f" -v d="$d" -v n="$ROUNDS" 'BEGIN {printf "median of %d:" \
    " floor %.1f ms, daemon up %.1f ms: %.2fx the floor\n", n, f / 1000,
    d / 1000, d / f}'
