#!/usr/bin/env bash
# zero_downtime.sh - schema changes on a hot table under steady load, done
# naively with psql and with migrated; prints a markdown table of what the
# load saw while each change ran.
#
#   bench/zero_downtime.sh [BUILD]          (BUILD defaults to build/)
#
# A throwaway PostgreSQL cluster (fsync=on) gets a table "accounts" of
# ROWS rows (default 1,000,000) and a parent table "owners".  For each
# scenario a fresh copy of that database is made, pgbench drives it with
# CLIENTS clients (default 8) at RATE transactions per second in all
# (default 800; -R, so a blocked client shows the wait it causes instead of
# hiding it), each transaction one single-row read and one single-row
# update by primary key, and after WARMUP seconds (default 5) the change
# runs:
#   (1) the enhancement: an index and a backfill over every row
#       naive:    psql -1: CREATE INDEX + UPDATE of every row
#       migrated: the daemon + `migratectl up` of an enhancement file with
#                 CREATE INDEX CONCURRENTLY and a `-- migrated:batch` UPDATE
#   (2) a tier-1 change: a new indexed column and a foreign key
#       naive:    psql -1: ALTER TABLE ADD COLUMN, CREATE INDEX,
#                 ADD FOREIGN KEY
#       migrated: the same in the models, `migrated --once`
# The change window is from the start of the change to its end.  Every
# transaction that overlapped the window counts: its latency is pgbench's
# per-transaction time plus its schedule lag (how late a blocked client
# started it).  Failed transactions are pgbench's failures plus the
# transactions lost with aborted clients (their error lines are counted).
#
# Knobs (environment): ROWS CLIENTS RATE WARMUP COOLDOWN BATCH (rows per
# backfill batch, default 2000), SCENARIOS (a subset of "baseline enh_naive
# enh_migrated t1_naive t1_migrated"), KEEP=1 keeps the cluster folder.
# Do not run the test suite at the same time: tests/run.sh ends every
# migrated process built in the same folder after each test.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
ROWS=${ROWS:-1000000}
CLIENTS=${CLIENTS:-8}
RATE=${RATE:-800}
WARMUP=${WARMUP:-5}
COOLDOWN=${COOLDOWN:-3}
BATCH=${BATCH:-2000}
MIGRATED=$BUILD/migrated
MIGRATECTL=$BUILD/migratectl
for b in "$MIGRATED" "$MIGRATECTL"; do
	[ -x "$b" ] || { echo "zero_downtime: no $b (run make)" >&2; exit 1; }
done

. tests/lib/cluster.sh
PGBENCH=$PGBIN/pgbench
W=$(mktemp -d /tmp/migrated-zdt.XXXXXX)
chmod 755 "$W"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${PBPID:-}" ] && kill "$PBPID" 2>/dev/null
	cluster_stop
	[ "${KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "zero_downtime: $*" >&2; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
sql() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }

cluster_start "$W/pg" on || exit 1
# Room for the whole table in shared_buffers, and no checkpoint forced by
# WAL volume in the middle of a scenario (each scenario starts with one).
# (cluster_start's own -c shared_buffers=64MB would win over ALTER SYSTEM:
# restart with the same options and a larger value.)
sql -d postgres -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" || exit 1
cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -w restart \
    -o "-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=512MB" \
    >/dev/null || exit 1
[ "$(sql -d postgres -c "SHOW shared_buffers")" = 512MB ] &&
    [ "$(sql -d postgres -c "SHOW fsync")" = on ] || {
	log "server settings not applied"; exit 1; }
log "PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}'), fsync=on," \
    "$(nproc) cores, $ROWS rows, $CLIENTS clients at $RATE tps"

# ---- the base database, copied for every scenario ------------------------
log "loading $ROWS rows"
sql -d postgres -c "CREATE DATABASE base"
sql -d base <<EOF || exit 1
CREATE TABLE owners (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO owners SELECT g, 'owner ' || g FROM generate_series(1, 10000) g;
CREATE TABLE accounts (
	id bigint PRIMARY KEY,
	owner_id bigint NOT NULL,
	balance integer NOT NULL DEFAULT 0,
	kind text NOT NULL,
	note text
);
INSERT INTO accounts
SELECT g, 1 + g % 10000, 0, (ARRAY['basic', 'pro', 'team'])[1 + g % 3], NULL
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE;
CHECKPOINT;
EOF

# The same schema as models (tier 1 finds it in sync) ...
mkdir -p "$W/models" "$W/models2" "$W/migrations" "$W/empty"
cat >"$W/models/owners.yaml" <<'EOF'
table: owners
columns:
  id:   { type: bigint, primary_key: true }
  name: { type: text, not_null: true }
EOF
cat >"$W/models/accounts.yaml" <<'EOF'
table: accounts
columns:
  id:       { type: bigint, primary_key: true }
  owner_id: { type: bigint, not_null: true }
  balance:  { type: integer, not_null: true, default: 0 }
  kind:     { type: text, not_null: true }
  note:     text
EOF
# ... and change (2): a new indexed column and a foreign key.
cp "$W/models/owners.yaml" "$W/models2/"
cat >"$W/models2/accounts.yaml" <<'EOF'
table: accounts
columns:
  id:       { type: bigint, primary_key: true }
  owner_id: { type: bigint, not_null: true,
              references: { table: owners } }
  balance:  { type: integer, not_null: true, default: 0 }
  kind:     { type: text, not_null: true }
  note:     text
  region:   text
indexes:
  - columns: [region]
EOF
cat >"$W/naive2.sql" <<'EOF'
ALTER TABLE accounts ADD COLUMN region text;
CREATE INDEX accounts_region_idx ON accounts (region);
ALTER TABLE accounts ADD CONSTRAINT accounts_owner_id_fkey
    FOREIGN KEY (owner_id) REFERENCES owners (id);
EOF
# Change (1): the enhancement, naive and as a migrated enhancement file.
cat >"$W/naive1.sql" <<'EOF'
CREATE INDEX accounts_kind_idx ON accounts (kind);
UPDATE accounts SET note = kind || ' account of owner ' || owner_id;
EOF
cat >"$W/migrations/20240103_000000_accounts_note.sql" <<EOF
-- The sample enhancement: an index and a backfill over every row.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_kind_idx ON accounts (kind);
-- migrated:batch size=$BATCH
UPDATE accounts SET note = kind || ' account of owner ' || owner_id;
EOF
cat >"$W/migrations/20240103_000000_accounts_note_rollback.sql" <<'EOF'
DROP INDEX CONCURRENTLY IF EXISTS accounts_kind_idx;
EOF
cat >"$W/load.sql" <<EOF
\set id random(1, $ROWS)
SELECT balance FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
EOF

# ---- one scenario ------------------------------------------------------
# scenario NAME CHANGE-FUNCTION: copy the base, load it, run the change,
# print one result line "name|seconds|ok|txs|max_ms|p99_ms|failed".
scenario() {
	_name=$1 _fn=$2
	DB=s_$_name
	sql -d postgres -c "DROP DATABASE IF EXISTS $DB" \
	    -c "CREATE DATABASE $DB TEMPLATE base STRATEGY FILE_COPY" || return 1
	sql -d "$DB" -c "VACUUM ANALYZE" -c "CREATE EXTENSION pg_prewarm" \
	    -c "SELECT pg_prewarm(c) FROM unnest(ARRAY['accounts',
	        'accounts_pkey', 'owners', 'owners_pkey']::regclass[]) c" \
	    -c "CHECKPOINT" >/dev/null || return 1
	_pre=$W/$_name
	mkdir -p "$_pre"
	log "$_name: setup"
	"${_fn}_setup" >"$_pre/setup.out" 2>&1 || { log "$_name: setup failed"; return 1; }
	(cd "$_pre" && exec "$PGBENCH" -n -M prepared -c "$CLIENTS" -j 2 \
	    -R "$RATE" -T 3600 -f "$W/load.sql" -l --log-prefix=pgb \
	    "$DB") >"$_pre/pgbench.out" 2>&1 &
	PBPID=$!
	sleep "$WARMUP"
	log "$_name: change"
	_t0=$(now_us)
	"$_fn" >"$_pre/change.out" 2>&1
	_rc=$?
	_t1=$(now_us)
	sleep "$COOLDOWN"
	kill -INT "$PBPID" 2>/dev/null
	wait "$PBPID" 2>/dev/null
	PBPID=
	"${_fn}_teardown"
	[ $_rc -eq 0 ] && { "${_fn}_verify" >"$_pre/verify.out" 2>&1 || {
	    log "$_name: the change did not do what it should:";
	    sed 's/^/    /' "$_pre/verify.out" >&2; _rc=1; }; }
	[ $_rc -eq 0 ] || { log "$_name: change failed (exit $_rc):";
	    sed 's/^/    /' "$_pre/change.out" >&2; }
	_aborted=$(grep -c 'aborted in command' "$_pre/pgbench.out")
	# log line: client tx time script epoch us [lag]; time "failed" or
	# "skipped" for those that did not run
	cat "$_pre"/pgb.* | awk -v t0="$_t0" -v t1="$_t1" '
	{
		end = $5 * 1000000 + $6
		lat = ($3 ~ /^[0-9]+$/) ? $3 : 0
		lag = (NF >= 7) ? $7 : 0
		start = end - lat - lag
		if (end < t0 || start > t1)
			next
		if ($3 !~ /^[0-9]+$/) { print "F"; next }
		print lat + lag
	}' >"$_pre/window"
	_failed=$(grep -c '^F' "$_pre/window")
	grep -v '^F' "$_pre/window" | sort -n >"$_pre/lat"
	_n=$(wc -l <"$_pre/lat")
	_max=$(tail -n 1 "$_pre/lat")
	_p99=$(awk -v n="$_n" 'NR == int(n * 0.99 + 0.999999) { print; exit }' \
	    "$_pre/lat")
	printf '%s|%.1f|%s|%d|%.1f|%.1f|%d\n' "$_name" \
	    "$(echo "($_t1 - $_t0) / 1000000" | bc -l)" \
	    "$([ $_rc -eq 0 ] && echo yes || echo NO)" "$_n" \
	    "$(echo "${_max:-0} / 1000" | bc -l)" \
	    "$(echo "${_p99:-0} / 1000" | bc -l)" \
	    $((_failed + _aborted))
	sql -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
}

# ---- the four changes --------------------------------------------------
noop() { :; }
start_daemon() {	# start_daemon MODELS
	"$MIGRATED" --database "dbname=$DB" --models "$1" \
	    --migrations "$W/migrations" --socket "$W/ctl.sock" \
	    >>"$_pre/daemon.log" 2>&1 &
	DPID=$!
	"$MIGRATECTL" -s "$W/ctl.sock" wait-ready --timeout 60 >/dev/null
}
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=
}
write_cfg() {	# write_cfg MODELS
	cat >"$_pre/migrated.yaml" <<EOF
database: "dbname=$DB"
models: $1
migrations: $W/empty
EOF
}

# what each change must leave behind, checked after the run
want() {	# want SQL EXPECTED
	_got=$(sql -d "$DB" -c "$1")
	[ "$_got" = "$2" ] || { echo "$1: got '$_got', want '$2'"; return 1; }
}
enh_verify() {
	want "SELECT count(*) FROM accounts WHERE note IS NULL" 0 &&
	want "SELECT indisvalid FROM pg_index
	    WHERE indexrelid = 'accounts_kind_idx'::regclass" t
}
t1_verify() {
	want "SELECT count(*) FROM pg_attribute WHERE attname = 'region'
	    AND attrelid = 'accounts'::regclass" 1 &&
	want "SELECT bool_and(indisvalid) FROM pg_index
	    WHERE indrelid = 'accounts'::regclass" t &&
	want "SELECT string_agg(pg_get_indexdef(indexrelid), ', ')
	    FROM pg_index WHERE indrelid = 'accounts'::regclass
	    AND pg_get_indexdef(indexrelid) LIKE '%(region)%'" \
	    "CREATE INDEX accounts_region_idx ON public.accounts USING btree (region)" &&
	want "SELECT convalidated FROM pg_constraint WHERE contype = 'f'
	    AND conrelid = 'accounts'::regclass" t
}
baseline_setup() { :; }
baseline() { sleep 5; }
baseline_teardown() { :; }
baseline_verify() { :; }

enh_naive_setup() { :; }
enh_naive_verify() { enh_verify; }
enh_migrated_verify() { enh_verify; }
t1_naive_verify() { t1_verify; }
t1_migrated_verify() { t1_verify; }
enh_naive() { psql -X -v ON_ERROR_STOP=1 -1 -d "$DB" -f "$W/naive1.sql"; }
enh_naive_teardown() { :; }

enh_migrated_setup() { start_daemon "$W/models"; }
enh_migrated() { "$MIGRATECTL" -s "$W/ctl.sock" --yes up; }
enh_migrated_teardown() { stop_daemon; }

t1_naive_setup() { :; }
t1_naive() { psql -X -v ON_ERROR_STOP=1 -1 -d "$DB" -f "$W/naive2.sql"; }
t1_naive_teardown() { :; }

# migrated creates its own tables on the first run: do that before the
# window, with the unchanged models (nothing to do for tier 1)
t1_migrated_setup() {
	write_cfg "$W/models" && "$MIGRATED" -c "$_pre/migrated.yaml" --once &&
	    write_cfg "$W/models2" && "$MIGRATED" -c "$_pre/migrated.yaml" --plan
}
t1_migrated() { "$MIGRATED" -c "$_pre/migrated.yaml" --once; }
t1_migrated_teardown() { :; }

results=()
for s in ${SCENARIOS:-baseline enh_naive enh_migrated t1_naive t1_migrated}; do
	r=$(scenario "$s" "$s") || { log "$s: failed"; continue; }
	results+=("$r")
	log "$r"
done

label() {
	case $1 in
	baseline)	echo "none (the load alone, 5 s) | -" ;;
	enh_naive)	echo "(1) index + backfill | naive: psql -1" ;;
	enh_migrated)	echo "(1) index + backfill | migrated: migratectl up (CONCURRENTLY, batch $BATCH)" ;;
	t1_naive)	echo "(2) indexed column + foreign key | naive: psql -1" ;;
	t1_migrated)	echo "(2) indexed column + foreign key | migrated --once (tier 1)" ;;
	esac
}
echo
echo "$ROWS rows, $CLIENTS clients, $RATE tps (pgbench -R), fsync=on," \
    "PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}'), $(nproc) cores"
echo
echo "| change | how | change took (s) | ok | transactions in window | max latency (ms) | p99 latency (ms) | failed |"
echo "|---|---|---:|:-:|---:|---:|---:|---:|"
for r in "${results[@]}"; do
	IFS='|' read -r name secs okay n max p99 failed <<<"$r"
	echo "| $(label "$name") | $secs | $okay | $n | $max | $p99 | $failed |"
done
