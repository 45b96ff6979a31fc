#!/usr/bin/env bash
# zdt_timeline.sh - what the load saw, 100 ms at a time, beside what
# migrated did, for one change of a kept bench/zero_downtime.sh run:
#
#   KEEP=1 RATE=5000 bench/zero_downtime.sh     (prints "kept DIR")
#   bench/zdt_timeline.sh DIR [STEP [BUCKET_MS]]  (STEP: enh_migrated)
#
# One line per bucket, from 1 s before the change to 2 s after, by
# completion time relative to the change's start: the transactions that
# completed, the worst latency and the worst schedule lag (pgbench -R:
# how late a transaction started), marked "<<<" over 50 ms.  For
# enh_migrated, between them, migratectl's progress events at their
# elapsed_ms: the statements, the "pace" note, and every batch with its
# rows, time, probe, write rate, busy sessions and the pacer's decision.
# With DIR/waits
# (WAITS=1): under each bucket, what pgbench's sessions were waiting for,
# on average per sample (about two a bucket), e.g. "LWLock:WALWrite 4.5"
# (in line for the WAL flush), "IO:WALSync" (doing it), "-:-" (on a CPU
# or ready to run).
set -u
D=${1:?usage: zdt_timeline.sh DIR [STEP [BUCKET_MS]]}
STEP=${2:-enh_migrated}
B=${3:-100}
read -r _ T0 T1 _ <<<"$(grep "^$STEP " "$D/windows")" || {
	echo "zdt_timeline: no step $STEP in $D/windows" >&2; exit 1; }
{
	cat "$D"/pgb.* | awk -v t0="$T0" -v t1="$T1" -v b="$B" '
	NF >= 7 && $3 ~ /^[0-9]+$/ {
		end = $5 * 1000000 + $6
		if (end < t0 - 1000000 || end > t1 + 2000000) next
		d = end - t0
		k = (d >= 0 ? int(d / (b * 1000)) : -1 - int(-d / (b * 1000)))
		n[k]++
		if ($3 > mx[k]) mx[k] = $3
		if ($7 > lg[k]) lg[k] = $7
	}
	END {
		for (k in n)
			printf "%d 0 L %d %.1f %.1f\n", k * b, n[k],
			    mx[k] / 1000, lg[k] / 1000
	}'
	[ -s "$D/waits" ] && awk -v t0="$T0" -v t1="$T1" -v b="$B" '
	NF >= 5 {
		if ($1 < t0 - 1000000 || $1 > t1 + 2000000) next
		d = $1 - t0
		k = (d >= 0 ? int(d / (b * 1000)) : -1 - int(-d / (b * 1000)))
		s[k, int($1 / 10000)] = 1	# one sample: within 10 ms
		if ($5 == "pgbench") { c[k, $4]++; ev[$4] = 1 }
		ks[k] = 1
	}
	END {
		for (x in s) { split(x, a, SUBSEP); n[a[1]]++ }
		for (k in ks) {
			line = ""
			for (e in ev)
				if (c[k, e] > 0)
					line = line sprintf(" %s %.1f", e,
					    c[k, e] / n[k])
			printf "%d 0.5 W pgbench waits per sample:%s\n",
			    k * b, line == "" ? " none" : line
		}
	}' "$D/waits"
	[ "$STEP" = enh_migrated ] && [ -s "$D/up.json" ] &&
	    jq -r 'select(.type == "progress") | .data |
		"\(.elapsed_ms) 1 E " + (if .phase == "batch" then
		"batch \(.pace.batch): \(.pace.rows) rows in \(.pace.ms) ms, probe \(.pace.probe_ms) ms, writes \(.pace.rate)/s (before \(.pace.base_rate)/s), busy \(.pace.busy) (before \(.pace.base_busy)) -> \(.pace.decision) size \(.pace.size), pause \(.pace.pause_ms) ms (\(.pace.reason))"
		else "\(.phase) statement \(.stmt)\(if .message then ": " + .message else "" end)" end)' \
		"$D/up.json"
} | sort -k1,1n -k2,2n | awk '
$3 == "W" { $1 = $2 = $3 = ""; sub(/^ +/, ""); printf "                  %s\n", $0; next }
$3 == "L" {
	printf "%7d ms  %5d tx  worst %7.1f ms  lag %7.1f ms%s\n", $1, $4,
	    $5, $6, ($5 > 50 ? "  <<<" : "")
	next
}
{ t = $1; $1 = $2 = $3 = ""; sub(/^ +/, ""); printf "          %6d  %s\n", t, $0 }'
