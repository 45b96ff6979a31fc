#!/bin/sh
# test-loaded.sh BUILD [NAME...] - the test suite with two CPU hogs beside
# it (stress-ng --cpu 2), so that a test which bets on the machine's speed
# fails here rather than on a busy CI runner.  The hogs are ended by PID
# when the suite ends, however it ends.  Exits with the suite's status.
set -u
BUILD=${1:-build}; shift 2>/dev/null || true
cd "$(dirname "$0")/.."

command -v stress-ng >/dev/null || {
	echo "test-loaded: stress-ng is missing (make deps installs it)" >&2
	exit 1
}
# --timeout: the hogs never outlive a suite that was itself killed
stress-ng --cpu 2 --timeout 3h --quiet &
HOGS=$!
stop_hogs() {
	kill -TERM "$HOGS" 2>/dev/null
	wait "$HOGS" 2>/dev/null
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM
echo "test-loaded: stress-ng --cpu 2 running (pid $HOGS)"
tests/run.sh "$BUILD" "$@"
