#!/usr/bin/env bash
# bigfile.sh [LINES] - issue 12 item 6: validating one huge migration file.
#
# Generates one migration of LINES (default 1750000, about 52 MB; a file
# may have up to 64 MB) one-line INSERTs (LAYOUT=goose: a goose file, one
# line in 1000 a StatementBegin/End block holding a DO block instead of an
# INSERT) and measures what `migrated -n` (config, models, and every
# migration split, parsed and linted: what the daemon checks at start-up
# and when the folder changes) takes, with /usr/bin/time -v: wall time and
# maximum RSS.  Printed against the targets (10 s, 4x the file) and, as a
# floor, against reading the file once (`wc -l`) in the same run.  psql
# cannot be the reference here: it cannot parse without executing.
# Needs no PostgreSQL.  Run on an idle machine for numbers to compare.
set -eu
cd "$(dirname "$0")/.."
LINES=${1:-1750000}
BUILD=${BUILD:-build}
LAYOUT=${LAYOUT:-native}
[ -x "$BUILD/migrated" ] || make build >/dev/null
[ -x /usr/bin/time ] || { echo "bigfile: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

W=$(mktemp -d /tmp/migrated-bigfile.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/models" "$W/migrations"
case $LAYOUT in
native)	f=$W/migrations/20240101_000000_big.sql ;;
goose)	f=$W/migrations/00001_big.sql ;;
*)	echo "bigfile: LAYOUT is native or goose" >&2; exit 2 ;;
esac
awk -v n="$LINES" -v goose=$([ "$LAYOUT" = goose ] && echo 1 || echo 0) '
BEGIN {
	print "-- " n " one-line INSERTs (bench/bigfile.sh)"
	if (goose)
		print "-- +goose Up"
	for (i = 1; i <= n; i++)
		if (goose && i % 1000 == 0)
			printf "-- +goose StatementBegin\nDO $$ BEGIN " \
			    "PERFORM %d; END $$;\n-- +goose StatementEnd\n", i
		else
			printf "INSERT INTO t VALUES (%d);\n", i
}' >"$f"
size=$(stat -c %s "$f")

measure() {	# measure LABEL CMD...: sets secs and kb
	/usr/bin/time -v -o "$W/time.$1" "${@:2}" >"$W/out.$1" 2>&1 || {
		echo "bigfile: $1 failed:" >&2
		cat "$W/out.$1" "$W/time.$1" >&2
		exit 1
	}
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, t, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + t[i]
		print s }' "$W/time.$1")
	kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/time.$1")
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' \
	    "$W/time.$1")
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
measure floor wc -l "$f"
floor_s=$secs floor_kb=$kb
measure validate "$BUILD/migrated" -n --database "dbname=none" \
    --models "$W/models" --migrations "$W/migrations" --socket "$W/s.sock"
grep -q "configuration OK" "$W/out.validate" || {
	cat "$W/out.validate" >&2; exit 1; }

awk -v size="$size" -v lines="$LINES" -v fs="$floor_s" -v fkb="$floor_kb" \
    -v vs="$secs" -v vkb="$kb" -v load="$load0" -v cpu="$cpu" \
    -v layout="$LAYOUT" 'BEGIN {
	mb = size / 1048576
	printf "file: %d statements (%s), %.1f MB; load average before: %s\n", lines, layout, mb, load
	printf "floor (wc -l):     %6.2f s  %7.1f MB max RSS\n", fs, fkb / 1024
	printf "migrated -n:       %6.2f s  %7.1f MB max RSS  (CPU %.2f s: on a busy machine wall time is more)\n", vs, vkb / 1024, cpu
	printf "time:   %.2f s = %.1fx the floor   (target: under 10 s)  %s\n", vs, (fs > 0 ? vs / fs : 0), vs < 10 ? "ok" : "MISSED"
	printf "memory: %.2fx the file            (target: under 4x)    %s\n", vkb * 1024 / size, vkb * 1024 / size < 4 ? "ok" : "MISSED"
	printf "rate:   %.0f statements/s\n", lines / (vs > 0 ? vs : 1)
}'
