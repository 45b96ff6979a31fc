#!/usr/bin/env bash
# bench/tier1.sh [T] - tier 1 performance (issue 3), against a throwaway
# cluster with fsync ON.
#
# Generates T tables (default 500) x 20 columns, each with a primary key,
# a unique constraint, a check, two indexes and a foreign key to the
# previous table, both as models and as the equivalent plain DDL, then
# measures in one run:
#   floor  psql -1 -f schema.sql on an empty database
#   (a)    cold tier 1 (migrated --once) on an empty database
#   (b)    tier 1 when everything is already in sync (migrated --once,
#          three times after each cold run and a CHECKPOINT), and the
#          number of statements it sent (server log_statement=all)
# RUNS rounds (default 3); the floor and the cold run each start on a
# fresh database after a CHECKPOINT and sync, so that none pays for the
# writes of the one before.  Prints the best figures, every run, and the ratio to the floor.
# Targets: (a) within 1.5x of the floor, (b) under 150 ms for 500 tables
# with a constant number of catalog queries.
set -eu
cd "$(dirname "$0")/.."
T=${1:-${T:-500}}
RUNS=${RUNS:-3}
BUILD=${BUILD:-build}
MIGRATED=$PWD/$BUILD/migrated
[ -x "$MIGRATED" ] || { echo "bench: build first (make)" >&2; exit 1; }
. tests/lib/cluster.sh

W=$(mktemp -d /tmp/migrated-bench.XXXXXX)
chmod 755 "$W"
trap 'cluster_stop; rm -rf "$W"' EXIT
cluster_start "$W/pg" on >/dev/null
mkdir -p "$W/models" "$W/mig"

# ---- generate models and the equivalent DDL ----
gen() {
	local i=$1 p=$(( $1 - 1 ))
	{
		printf 'table: t%04d\ncolumns:\n' "$i"
		printf '  id: { type: bigint, primary_key: true }\n'
		if [ "$i" -gt 1 ]; then
			printf '  parent_id: { type: bigint, references: t%04d }\n' "$p"
		else
			printf '  parent_id: bigint\n'
		fi
		printf '  code: { type: varchar(40), not_null: true, unique: true }\n'
		printf '  name: { type: varchar(200), not_null: true }\n'
		printf '  qty: { type: int, not_null: true, default: 0, check: "qty >= 0" }\n'
		printf '  price: { type: "numeric(12,2)" }\n'
		printf '  active: { type: boolean, not_null: true, default: true }\n'
		printf '  created_at: { type: timestamptz, not_null: true, default: now() }\n'
		printf '  updated_at: timestamptz\n'
		printf '  data: { type: jsonb, not_null: true, default: "'"'"'{}'"'"'" }\n'
		printf '  tags: "text[]"\n'
		for c in 1 2 3 4 5 6 7 8 9; do printf '  c%d: text\n' "$c"; done
		printf 'indexes:\n  - [parent_id]\n  - [name, created_at]\n'
	} >"$W/models/t$(printf %04d "$i").yaml"
	{
		printf 'CREATE TABLE t%04d (\n  id bigint PRIMARY KEY,\n' "$i"
		if [ "$i" -gt 1 ]; then
			printf '  parent_id bigint REFERENCES t%04d (id),\n' "$p"
		else
			printf '  parent_id bigint,\n'
		fi
		printf '  code varchar(40) NOT NULL UNIQUE,\n  name varchar(200) NOT NULL,\n'
		printf '  qty int NOT NULL DEFAULT 0 CHECK (qty >= 0),\n  price numeric(12,2),\n'
		printf '  active boolean NOT NULL DEFAULT true,\n'
		printf '  created_at timestamptz NOT NULL DEFAULT now(),\n  updated_at timestamptz,\n'
		printf "  data jsonb NOT NULL DEFAULT '{}',\n  tags text[],\n"
		for c in 1 2 3 4 5 6 7 8; do printf '  c%d text,\n' "$c"; done
		printf '  c9 text\n);\n'
		printf 'CREATE INDEX ON t%04d (parent_id);\n' "$i"
		printf 'CREATE INDEX ON t%04d (name, created_at);\n' "$i"
	} >>"$W/schema.sql"
}
for i in $(seq 1 "$T"); do gen "$i"; done

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# every timed run starts on a fresh database with nothing left to write
fresh() {
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS b" -c "CREATE DATABASE b" \
	    -c CHECKPOINT 2>/dev/null
	sync
}
M() { "$MIGRATED" --database "dbname=b" --models "$W/models" --migrations "$W/mig" "$@"; }
best() { sort -n | head -n 1; }

floor= cold= sync= synccpu=
for r in $(seq 1 "$RUNS"); do
	fresh
	t0=$(date +%s%N)
	psql -qAtX -v ON_ERROR_STOP=1 -1 -d b -f "$W/schema.sql" >/dev/null
	floor="$floor $(ms "$t0")"

	fresh
	t0=$(date +%s%N)
	M --once 2>"$W/cold.log"
	cold="$cold $(ms "$t0")"
	# a fleet restarts long after the last change: its writes are done
	psql -qAtX -d postgres -c CHECKPOINT
	sync
	for k in 1 2 3; do
		t0=$(date +%s%N)
		/usr/bin/time -f "cpu %U %S" -o "$W/sync.cpu" "$MIGRATED" --database "dbname=b" \
		    --models "$W/models" --migrations "$W/mig" --once 2>"$W/sync.log"
		sync="$sync $(ms "$t0")"
		synccpu="$synccpu $(awk '/^cpu/ { printf "%d", ($2 + $3) * 1000 }' "$W/sync.cpu")"
		grep -q "up to date" "$W/sync.log" || { echo "bench: not in sync:" >&2; cat "$W/sync.log" >&2; exit 1; }
	done
done
runs_floor=$floor runs_cold=$cold runs_sync=$sync
floor=$(printf '%s\n' $floor | best)
cold=$(printf '%s\n' $cold | best)
syncmed=$(printf '%s\n' $sync | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
sync=$(printf '%s\n' $sync | best)
synccpu=$(printf '%s\n' $synccpu | best)
load=$(cut -d' ' -f1 /proc/loadavg)

# statements the in-sync run sends, from the server's own log
psql -qAtX -d postgres -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
log=$W/pg/server.log
before=$(wc -l <"$log")
M --once 2>/dev/null
sleep 0.3
stmts=$(tail -n +"$((before + 1))" "$log" | grep -c 'LOG:  statement:\|LOG:  execute' || true)
psql -qAtX -d postgres -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
tables=$(psql -qAtX -d b -c "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
cols=$(psql -qAtX -d b -c "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "tier 1 benchmark: $tables tables, $cols columns, fsync on, best of $RUNS" \
    "($(nproc) cores, load average $load)"
printf '  floor  psql -1 -f schema.sql        %6d ms\n' "$floor"
printf '  (a)    cold migrated --once         %6d ms  %sx floor (target <= 1.50)\n' "$cold" "$(ratio "$cold" "$floor")"
printf '  (b)    in-sync migrated --once      %6d ms  median %d ms of %d runs (target < 150 ms)\n' "$sync" "$syncmed" "$((RUNS * 3))"
printf '         of which migrated CPU time   %6d ms  (user + system)\n' "$synccpu"
echo "         every run (ms): floor$runs_floor; cold$runs_cold; in sync$runs_sync"
printf '         statements sent when in sync %6d    (1 session SET + %d catalog queries, whatever T)\n' \
    "$stmts" "$((stmts - 1))"
