#!/bin/sh
# post-deploy.sh - the gate after a deploy: the schema matches the models
# and no enhancement is pending.
#
#   post-deploy.sh [-s SOCKET | -n SERVICE] [--timeout S]
#
# 1. migratectl wait-ready --timeout S   the daemon answers and has run
#                                        tier 1 (default 60 s)
# 2. migratectl check                    exit 0 in sync, 3 pending or drift
#
# Exits with migratectl's status: 0 in sync, 1 not ready in time or failed,
# 2 usage, 3 pending enhancements or drift (named on stderr), 4 daemon
# unreachable, 5 permission denied.
# Environment: MIGRATECTL (default: migratectl).
set -u

MIGRATECTL=${MIGRATECTL:-migratectl}
prog=post-deploy
timeout=60

usage() {
	echo "usage: $prog [-s SOCKET | -n SERVICE] [--timeout S]" >&2
	exit 2
}
say() { echo "$prog: $*" >&2; }

set -- "$@" --end--
while [ "$1" != --end-- ]; do
	case $1 in
	-s|--socket|-n)	[ "$2" != --end-- ] || usage
			set -- "$@" "$1" "$2"; shift 2 ;;
	--timeout)	[ "$2" != --end-- ] || usage
			timeout=$2; shift 2 ;;
	-h|--help)	usage ;;
	*)		say "unknown argument '$1'"; usage ;;
	esac
done
shift

say "wait-ready"
"$MIGRATECTL" "$@" wait-ready --timeout "$timeout" >/dev/null
rc=$?
if [ $rc -ne 0 ]; then
	say "migrated is not ready (exit $rc)"
	exit $rc
fi
say "check"
"$MIGRATECTL" "$@" check
rc=$?
case $rc in
0)	say "schema in sync, nothing pending" ;;
3)	say "schema not in sync or enhancements pending (exit 3)" ;;
*)	say "check failed (exit $rc)" ;;
esac
exit $rc
