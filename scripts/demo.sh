#!/usr/bin/env bash
# demo.sh BUILD - the whole story of migrated against the sample service.
#
# Starts a throwaway PostgreSQL cluster under BUILD/demo, starts migrated
# (tier 1 runs at start-up), then drives it with migratectl: status, up
# (tier 2), status, the audit trail.  Stops everything at the end; KEEP=1
# leaves the cluster and the daemon running and prints how to reach them.
set -u
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
DEMO=$BUILD/demo
KEEP=${KEEP:-0}

. tests/lib/cluster.sh

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$'\e[1m'; D=$'\e[2m'; G=$'\e[32m'; R=$'\e[0m'
else
	B=; D=; G=; R=
fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$R"; }
# words quoted the way a shell reads them back, so a line can be pasted
shquote() {
	local a q="'" sep=
	for a; do
		case $a in
		''|*[!A-Za-z0-9_./:=@%+,-]*)
			printf "%s'%s'" "$sep" "${a//$q/$q\\$q$q}" ;;
		*)	printf '%s%s' "$sep" "$a" ;;
		esac
		sep=' '
	done
}
run() {	# show the command, then its output
	printf '%s$ %s%s\n' "$D" "$(shquote "$@")" "$R"
	"$@"
}

DPID=
cleanup() {
	[ "$KEEP" = 1 ] && return
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	cluster_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -f "$DEMO/pg/data/postmaster.pid" ]; then
	CLUSTER_DIR=$DEMO/pg cluster_stop
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"

step "starting a throwaway PostgreSQL cluster"
cluster_start "$DEMO/pg" || exit 1
psql -qAtX -d postgres -c 'CREATE DATABASE auth_service' || exit 1
DB="host=$PGHOST port=$PGPORT dbname=auth_service user=postgres"
SOCK=$DEMO/migrated.sock
echo "PostgreSQL on $PGHOST, port $PGPORT, database auth_service"

export PATH=$BUILD:$PATH
CTL=(migratectl -s "$SOCK")

step "tier 1 preview: what the models would change (migrated --plan)"
run migrated -c contrib/demo.yaml --database "$DB" --plan

step "starting migrated: tier 1 applies the models at start-up"
migrated -c contrib/demo.yaml --database "$DB" --socket "$SOCK" \
    >"$DEMO/migrated.log" 2>&1 &
DPID=$!
if ! "${CTL[@]}" wait-ready --timeout 30 >/dev/null; then
	echo "migrated did not become ready:" >&2
	cat "$DEMO/migrated.log" >&2
	exit 1
fi
sed 's/^/  log: /' "$DEMO/migrated.log"

step "the tables tier 1 created"
run psql -X -d "$DB" -c '\dt public.*'

step "status: the schema is in sync, enhancements wait for a command"
run "${CTL[@]}" status

step "tier 2: apply the pending enhancements (migratectl up)"
run "${CTL[@]}" up

step "status again"
run "${CTL[@]}" status
run psql -X -d "$DB" -c '\d activity_logs'

step "the audit trail (newest first) and its hash chain"
run "${CTL[@]}" log
run "${CTL[@]}" audit verify

step "a second start finds nothing to do"
run migrated -c contrib/demo.yaml --database "$DB" --plan

if [ "$KEEP" = 1 ]; then
	step "left running (KEEP=1)"
	cat <<EOT
  daemon pid $DPID, log $DEMO/migrated.log
  $(shquote migratectl -s "$SOCK" status)
  $(shquote psql "$DB")
  stop:  kill $DPID; . tests/lib/cluster.sh; CLUSTER_DIR=$DEMO/pg cluster_stop
EOT
else
	step "stopping migrated (SIGTERM) and the cluster"
	kill "$DPID"; wait "$DPID"; echo "migrated exited $?"
	DPID=
	printf '%sdemo complete%s\n' "$G" "$R"
fi
