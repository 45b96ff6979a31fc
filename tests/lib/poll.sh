# poll.sh - waiting for a condition with a deadline, for the harness and
# the tests (through testlib.sh).  Never a fixed wait.

_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# poll SECS COMMAND...: run COMMAND (output discarded, in this shell) until
# it exits 0: then 0; 1 once SECS have run out.  For use inside a check
# (ok NAME poll ..)
poll() {
	_wu_end=$(( $(_ms) + $1 * 1000 )); shift
	_wu_nap=0.02
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(_ms)" -ge "$_wu_end" ] && return 1
		sleep "$_wu_nap"
		_wu_nap=0.1
	done
}
