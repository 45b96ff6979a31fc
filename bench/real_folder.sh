#!/usr/bin/env bash
# bench/real_folder.sh DIR - a real project's migrations folder (golang-
# migrate, goose, dbmate, Flyway or native) applied two ways on a throwaway
# cluster, psql file by file in the tool's own order (for goose and dbmate
# the up section of each file, cut out the way the tool cuts it; Flyway's
# V files by version, then its R files by description) and `migratectl up`
# through the daemon, and the two `pg_dump -s` compared (migrated's own
# tables left out).  With DOWN=1 it then runs `down --all` and prints where
# it stopped.  SETUP=FILE.sql is run on both databases first (what the
# project's own set-up script makes: a schema, roles).
# The folders are not in this repository; fetch them (see README).
set -u
cd "$(dirname "$0")/.."
MIG=$(cd "${1:?usage: bench/real_folder.sh DIR}" && pwd)
BUILD=${BUILD:-build}
. tests/lib/cluster.sh
W=$(mktemp -d /tmp/migrated-real.XXXXXX); chmod 755 "$W"
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; cluster_stop; rm -rf "$W"' EXIT
cluster_start "$W/pg" >/dev/null || exit 1
cluster_createdb viapsql; cluster_createdb viamig
if [ -n "${SETUP:-}" ]; then
	for db in viapsql viamig; do
		psql -qX -v ON_ERROR_STOP=1 -d $db -f "$SETUP" >/dev/null || exit 1
	done
fi

# The up scripts in the tool's order, written to $W/up/NNNNN_file: an
# independent reading of each tool's rules (not migrated's code).
mkdir -p "$W/up"
python3 bench/tool_up.py "$MIG" "$W/up" >"$W/manifest" || exit 1
n=0; failed=0
shopt -s nullglob
for p in "$W"/up/*; do	# names may hold spaces (crates.io's)
	f=$(basename "$p")
	n=$((n + 1))
	psql -qX -v ON_ERROR_STOP=1 -d viapsql -f "$W/up/$f" >/dev/null \
	    2>"$W/psql.err" || { failed=$((failed + 1)); echo "psql: $f: $(head -1 "$W/psql.err")"; }
done
echo "psql: $n files, $failed failed"

mkdir -p "$W/models"
"$BUILD/migrated" --database "dbname=viamig" --models "$W/models" \
    --migrations "$MIG" --socket "$W/s.sock" >"$W/d.log" 2>&1 &
DPID=$!
"$BUILD/migratectl" -s "$W/s.sock" wait-ready --timeout 60 >/dev/null ||
    { cat "$W/d.log"; exit 1; }
t0=$(date +%s%N)
"$BUILD/migratectl" -s "$W/s.sock" up >"$W/up.out" 2>&1; rc=$?
t1=$(date +%s%N)
echo "migrated up: exit $rc in $(( (t1 - t0) / 1000000 )) ms; $(grep -c . "$W/up.out") lines of output"
[ $rc -eq 0 ] || tail -5 "$W/up.out"

strip() {
	python3 -c '
import re, sys
t = sys.stdin.read()
t = re.sub(r"CREATE FUNCTION public\.migrated_append_only.*?\$\$;\n", "", t, flags=re.S)
print("\n".join(l for l in t.splitlines()
    if l and not l.startswith("--") and "restrict" not in l))'
}
for db in viapsql viamig; do
	pg_dump -s --no-owner -d "$db" -T migrated_versions -T migrated_audit |
	    strip >"$W/$db.sql"
done
if diff -u "$W/viapsql.sql" "$W/viamig.sql" >"$W/diff"; then
	echo "pg_dump -s: identical ($(wc -l <"$W/viapsql.sql") lines)"
else
	echo "pg_dump -s: DIFFERENT"; head -40 "$W/diff"
fi
if [ "${DOWN:-0}" = 1 ]; then
	"$BUILD/migratectl" -s "$W/s.sock" down --all --yes >"$W/down.out" 2>&1
	echo "down --all: exit $?; $(tail -2 "$W/down.out" | head -1)"
	echo "tables left: $(psql -qAtX -d viamig -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename NOT IN ('migrated_versions', 'migrated_audit')")"
fi
