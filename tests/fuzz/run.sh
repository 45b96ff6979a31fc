#!/bin/sh
# run.sh BUILD SECONDS [NAME...] - make fuzz: run each libFuzzer harness
# (BUILD/fuzz/fuzz_NAME) for SECONDS, one after the other, from a copy of
# its seed corpus (tests/fuzz/corpus/NAME; what the run adds stays in
# BUILD/fuzz/corpus/NAME, never in the checkout).  Prints each target's
# executions and findings and ends with "N targets, M findings"; exits 1
# when anything was found.  A finding is left as
# BUILD/fuzz/findings/NAME-crash-...: minimise it (fuzz_NAME -minimize_crash=1
# FILE), fix the bug, and commit the input under tests/fuzz/regress/NAME/
# so that test_fuzz_regress replays it from then on.
set -u
cd "$(dirname "$0")/../.."
BUILD=$1 SECONDS_EACH=$2
shift 2
names=${*:-config model modelsql migparse migset proto}
found=0 n=0
mkdir -p "$BUILD/fuzz/findings"
for name in $names; do
	bin=$BUILD/fuzz/fuzz_$name
	work=$BUILD/fuzz/corpus/$name
	log=$BUILD/fuzz/$name.log
	mkdir -p "$work"
	before=$(ls "$BUILD/fuzz/findings" | grep -c "^$name-")
	# -rss_limit_mb: a parser that balloons is a finding too
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$BUILD/fuzz/findings/$name-" \
	    "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	after=$(ls "$BUILD/fuzz/findings" | grep -c "^$name-")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	n=$((n + 1))
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		found=$((found + 1))
		echo "fuzz_$name: FINDING after ${execs:-?} executions (exit $rc), see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" |
		    head -n 5 | sed 's/^/  /'
	else
		echo "fuzz_$name: ${execs:-?} executions in ${SECONDS_EACH} s, coverage ${cov:-?}, no finding"
	fi
done
echo "$n targets, $found findings"
[ "$found" -eq 0 ]
