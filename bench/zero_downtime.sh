#!/usr/bin/env bash
# zero_downtime.sh - schema changes on a hot table under steady load, done
# naively with psql and with migrated; prints a markdown table of what the
# load saw while each change ran.
#
#   bench/zero_downtime.sh [BUILD]          (BUILD defaults to build/)
#
# A throwaway PostgreSQL cluster (fsync=on) gets a table "accounts" of ROWS
# rows (default 1,000,000) and a parent table "owners".  One pgbench run
# drives it for the whole benchmark: CLIENTS clients (default 8) at RATE
# transactions per second in all (default 800; -R, so that a blocked
# client shows the wait it causes instead of hiding it), each transaction
# one single-row read and one single-row update by primary key.  After
# WARMUP seconds (default 20) come, one after the other:
#   baseline  BASELINE seconds (default 10) of the load alone
#   (1) the sample enhancement: an index and a backfill over every row
#       naive     psql -1: CREATE INDEX + UPDATE of every row
#       safe      what a careful human writes by hand: psql with
#                 CREATE INDEX CONCURRENTLY, then a DO block that updates
#                 BATCH rows by primary-key range and COMMITs after each
#                 (SAFE_PAUSE between batches, default none), under
#                 lock_timeout
#       fixed     the daemon + `migratectl up` of an enhancement file with
#                 CREATE INDEX CONCURRENTLY and a `-- migrated:batch
#                 size=BATCH pause=0ms` UPDATE (a fixed pace)
#       migrated  the same with `-- migrated:batch size=BATCH` (paced; or
#                 with PAUSE and PACE, below)
#   (2) a tier-1 change: a new indexed column and a foreign key
#       naive     psql -1: ALTER TABLE ADD COLUMN, CREATE INDEX,
#                 ADD FOREIGN KEY
#       migrated  the same in the models, `migrated --once`
# Between two changes the previous one is undone (DROP ..., VACUUM,
# CHECKPOINT) and the load settles for SETTLE seconds (default 5), then
# until it is back on its schedule (its last 500 transactions a thread
# under 50 ms, up to 60 s more): a change that left it behind does not
# hand its backlog to the next one.  Each
# change is checked afterwards (every row backfilled, index valid, foreign
# key validated).
#
# The CHECKPOINTs (after the load and after each undo) stand for the
# regular checkpoints of a server in service: they recycle the WAL segments
# written so far as the next ones.  Without them (checkpoints are kept out
# of the windows by max_wal_size and checkpoint_timeout), every 16 MB of
# WAL needs a new segment, which the server zero-fills while every commit
# waits: a backfill of every row (about 300 MB of WAL) then stalls all the
# clients for 50-100 ms about once a second, whoever writes it, and the
# load alone shows the same stalls after the initial load.  See the
# README's performance notes for the figures both ways.
#
# The window of a change runs from its start to its end.  Every transaction
# that overlaps it counts; its latency is pgbench's per-transaction time,
# which under -R runs from the scheduled start: it includes the schedule
# lag, how late a blocked client could start it.
# Failed transactions are those pgbench logs as failed plus one for each
# client that aborted during the window.
#
# Knobs (environment): ROWS CLIENTS RATE WARMUP BASELINE SETTLE, BATCH
# (rows per backfill batch, default 2000: the safe script's fixed size and
# migrated's starting size), PAUSE (set: a fixed pause=PAUSE, which turns
# migrated's pacing off; unset: adaptive), PACE (more batch options for
# migrated, e.g. "target=10ms max_pause=200ms"), NICE (migrated's
# timeouts.batch_nice, 0-19; unset: its default), SAFE_PAUSE (ms between
# the safe script's batches, default 0), STEPS (which of baseline
# enh_naive enh_safe enh_fixed enh_migrated t1_naive t1_migrated to run,
# default all), KEEP=1 keeps the work folder (pgbench logs, daemon and server log;
# bench/zdt_timeline.sh DIR then shows the load's worst latency per 100 ms
# beside migrated's statements and batches), WAITS=1 (with KEEP=1) samples
# pg_stat_activity every 50 ms into DIR/waits, and the timeline then adds
# what the load's sessions were waiting for in each 100 ms (e.g. the WAL
# flush: LWLock:WALWrite, IO:WALSync; running or ready to run: -:-).
# WORKDIR (default /tmp) holds the work folder and so the data directory:
# /dev/shm puts it on tmpfs, where a commit's fsync costs CPU, not the
# disk (bench/tier2.sh's floor is measured so; a host whose disk cannot
# sync 5,000 commits a second measures its disk otherwise).
#
# After the table it prints the pacer's decisions (from the batch events
# of `migratectl --json up`) and how long migrated's change took against
# the safe script's.
# Do not run the test suite at the same time: tests/run.sh ends every
# migrated process built in the same folder after each test.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
ROWS=${ROWS:-1000000}
CLIENTS=${CLIENTS:-8}
RATE=${RATE:-800}
WARMUP=${WARMUP:-20}
BASELINE=${BASELINE:-10}
SETTLE=${SETTLE:-5}
BATCH=${BATCH:-2000}
PAUSE=${PAUSE:-}
PACE=${PACE:-}
SAFE_PAUSE=${SAFE_PAUSE:-0}
SAFE_PAUSE_S=$(awk -v ms="$SAFE_PAUSE" 'BEGIN { printf "%.3f", ms / 1000 }')
DIRECTIVE="size=$BATCH${PAUSE:+ pause=$PAUSE}${PACE:+ $PACE}"
MIGRATED=$BUILD/migrated
MIGRATECTL=$BUILD/migratectl
for b in "$MIGRATED" "$MIGRATECTL"; do
	[ -x "$b" ] || { echo "zero_downtime: no $b (run make)" >&2; exit 1; }
done

. tests/lib/cluster.sh
PGBENCH=$PGBIN/pgbench
W=$(mktemp -d "${WORKDIR:-/tmp}/migrated-zdt.XXXXXX") || exit 1
chmod 755 "$W"
DPID='' PBPID='' SPID=''
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$PBPID" ] && kill "$PBPID" 2>/dev/null && wait "$PBPID" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && cp "$W/pg/server.log" "$W/" 2>/dev/null
	cluster_stop
	[ "${KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "zero_downtime: $*" >&2; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
sql() { psql -qAtX -v ON_ERROR_STOP=1 -d bench "$@"; }
aborted() { grep -c 'aborted in command' "$W/pgbench.out"; }

cluster_start "$W/pg" on || exit 1
# The whole table fits in shared_buffers and no checkpoint is forced by WAL
# volume during the run.  cluster_start's own -c shared_buffers=64MB wins
# over ALTER SYSTEM: restart with the same options and a larger value.
psql -qAtX -d postgres -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" \
    -c "ALTER SYSTEM SET log_autovacuum_min_duration = 0" || exit 1
cluster_as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" \
    -l "$CLUSTER_DIR/server.log" -w restart \
    -o "-k $CLUSTER_DIR/sock -p $PGPORT -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=512MB" \
    >/dev/null || exit 1
[ "$(psql -qAtX -d postgres -c "SHOW shared_buffers")" = 512MB ] &&
    [ "$(psql -qAtX -d postgres -c "SHOW fsync")" = on ] || {
	log "server settings not applied"; exit 1; }
PGVER=$("$PGBIN/postgres" -V | awk '{print $3}')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "PostgreSQL $PGVER, fsync=on, $(nproc) cores, $ROWS rows," \
    "$CLIENTS clients at $RATE tps"

# ---- the database --------------------------------------------------------
log "loading $ROWS rows"
psql -qAtX -d postgres -c "CREATE DATABASE bench" || exit 1
sql <<EOF || exit 1
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
CREATE EXTENSION pg_prewarm;
\\o /dev/null
SELECT count(pg_prewarm(c)) > 0 FROM unnest(ARRAY['accounts', 'accounts_pkey',
    'owners', 'owners_pkey']::regclass[]) c;
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
cat >"$W/safe1.sql" <<EOF
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_kind_idx ON accounts (kind);
DO \$\$
DECLARE
	lo bigint := (SELECT min(id) FROM accounts);
	hi bigint := (SELECT max(id) FROM accounts);
BEGIN
	WHILE lo <= hi LOOP
		UPDATE accounts SET note = kind || ' account of owner ' || owner_id
		WHERE id >= lo AND id < lo + $BATCH;
		COMMIT;
		lo := lo + $BATCH;
		PERFORM pg_sleep($SAFE_PAUSE_S);
	END LOOP;
END
\$\$;
EOF
enhancement() {	# enhancement BATCH-OPTIONS: the file migrated applies
	cat >"$W/migrations/20240103_000000_accounts_note.sql" <<EOF
-- The sample enhancement: an index and a backfill over every row.
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_kind_idx ON accounts (kind);
-- migrated:batch $1
UPDATE accounts SET note = kind || ' account of owner ' || owner_id;
EOF
}
cat >"$W/migrations/20240103_000000_accounts_note_rollback.sql" <<'EOF'
DROP INDEX CONCURRENTLY IF EXISTS accounts_kind_idx;
EOF
cat >"$W/load.sql" <<EOF
\set id random(1, $ROWS)
SELECT balance FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
EOF
cat >"$W/migrated.yaml" <<EOF
database: "dbname=bench"
models: $W/models
migrations: $W/migrations
socket: $W/ctl.sock
${NICE:+timeouts:
  batch_nice: $NICE}
EOF
sed "s|$W/models\$|$W/models2|; s|$W/migrations\$|$W/empty|" \
    "$W/migrated.yaml" >"$W/migrated2.yaml"

# ---- the changes, what each must leave behind, how each is undone -----
want() {	# want SQL EXPECTED
	_got=$(sql -c "$1")
	[ "$_got" = "$2" ] || { echo "$1: got '$_got', want '$2'"; return 1; }
}
XID0=
backfilled() {	# every row written after the change started
	want "SELECT count(*) FROM accounts
	    WHERE xmin::text::bigint < $XID0" 0 &&
	want "SELECT count(*) FROM accounts WHERE note IS NULL" 0 &&
	want "SELECT indisvalid FROM pg_index
	    WHERE indexrelid = 'accounts_kind_idx'::regclass" t
}
tier1_done() {
	want "SELECT pg_get_indexdef('accounts_region_idx'::regclass)" \
	    "CREATE INDEX accounts_region_idx ON public.accounts USING btree (region)" &&
	want "SELECT bool_and(indisvalid) FROM pg_index
	    WHERE indrelid = 'accounts'::regclass" t &&
	want "SELECT convalidated FROM pg_constraint WHERE contype = 'f'
	    AND conrelid = 'accounts'::regclass" t
}
undo1() { sql -c "DROP INDEX accounts_kind_idx" -c "VACUUM accounts" -c CHECKPOINT; }
undo2() {
	sql -c "ALTER TABLE accounts DROP CONSTRAINT accounts_owner_id_fkey,
	    DROP COLUMN region" -c "VACUUM accounts" -c CHECKPOINT
}

baseline() { sleep "$BASELINE"; }
baseline_check() { :; }
baseline_undo() { :; }

enh_naive() { psql -X -v ON_ERROR_STOP=1 -1 -d bench -f "$W/naive1.sql"; }
enh_naive_check() { backfilled; }
enh_naive_undo() { undo1; }

enh_safe() { psql -X -v ON_ERROR_STOP=1 -d bench -f "$W/safe1.sql"; }
enh_safe_check() { backfilled; }
enh_safe_undo() { undo1; }

enh_migrated_setup() {
	enhancement "$DIRECTIVE"
	"$MIGRATED" -c "$W/migrated.yaml" >>"$W/daemon.log" 2>&1 &
	DPID=$!
	"$MIGRATECTL" -s "$W/ctl.sock" wait-ready --timeout 60
}
enh_migrated() {
	"$MIGRATECTL" -s "$W/ctl.sock" --json --yes up >"$W/up.json"
	_rc=$?
	cat "$W/up.json"
	return $_rc
}
enh_migrated_check() { backfilled; }
enh_migrated_undo() {
	kill -TERM "$DPID" && wait "$DPID"
	DPID=
	undo1
}

# the same with the fixed pace of earlier releases: size=BATCH, no pause
enh_fixed_setup() {
	enhancement "size=$BATCH pause=0ms"
	"$MIGRATED" -c "$W/migrated.yaml" >>"$W/daemon.log" 2>&1 &
	DPID=$!
	"$MIGRATECTL" -s "$W/ctl.sock" wait-ready --timeout 60
}
enh_fixed() { "$MIGRATECTL" -s "$W/ctl.sock" --yes up; }
enh_fixed_check() { backfilled; }
enh_fixed_undo() {	# and forget it was applied, for enh_migrated
	enh_migrated_undo && sql -c "DELETE FROM migrated_versions"
}

t1_naive() { psql -X -v ON_ERROR_STOP=1 -1 -d bench -f "$W/naive2.sql"; }
t1_naive_check() { tier1_done; }
t1_naive_undo() { undo2; }

t1_migrated_setup() {
	"$MIGRATED" -c "$W/migrated2.yaml" --plan	# what it will do
}
t1_migrated() { "$MIGRATED" -c "$W/migrated2.yaml" --once; }
t1_migrated_check() { tier1_done; }
t1_migrated_undo() { :; }

# ---- one change under the load -------------------------------------------
# run NAME: setup, change (timed), check, undo; appends "name t0 t1 ok
# aborted behind_ms" to $W/windows (behind_ms: as the change started)
run() {
	_n=$1 _ok=yes
	if type "${_n}_setup" >/dev/null 2>&1; then
		"${_n}_setup" >"$W/$_n.setup" 2>&1 || {
			log "$_n: setup failed:"; sed 's/^/    /' "$W/$_n.setup" >&2
			return 1; }
	fi
	XID0=$(sql -c "SELECT txid_current()")
	_ab=$(aborted)
	_lag=$(behind_ms)
	log "$_n"
	_t0=$(now_us)
	"$_n" >"$W/$_n.out" 2>&1
	_rc=$?
	_t1=$(now_us)
	# transactions blocked until the end finish before the check's
	# scans of the table (the check is not the change: run at once, it
	# delayed the transactions scheduled just before the end by up to
	# 70 ms at 5,000 a second)
	sleep 1
	if [ $_rc -ne 0 ]; then
		log "$_n: failed (exit $_rc):"; sed 's/^/    /' "$W/$_n.out" >&2
		_ok=NO
	elif ! "${_n}_check" >"$W/$_n.check" 2>&1; then
		log "$_n: did not do what it should:"
		sed 's/^/    /' "$W/$_n.check" >&2
		_ok=NO
	fi
	echo "$_n $_t0 $_t1 $_ok $(( $(aborted) - _ab )) $_lag" >>"$W/windows"
	"${_n}_undo" >"$W/$_n.undo" 2>&1 || {
		log "$_n: undo failed:"; sed 's/^/    /' "$W/$_n.undo" >&2
		return 1; }
	sleep "$SETTLE"
	on_schedule || log "$_n: the load still behind its schedule after 60 s"
}

# The load is back on its schedule: the last 500 transactions of each
# pgbench thread took under 50 ms, the schedule lag included.  A change
# that left the load seconds behind (the naive one, the safe script at
# 5,000 a second) must not hand its backlog to the next one.
on_schedule() {
	_until=$(( $(date +%s) + 60 ))
	while [ "$(date +%s)" -lt "$_until" ]; do
		[ "$(behind_ms)" -lt 50 ] && return 0
		sleep 1
	done
	return 1
}
# behind_ms: the worst of the last 500 transactions of each pgbench
# thread, in ms, the schedule lag included
behind_ms() {
	for _f in "$W"/pgb.*; do tail -n 500 "$_f"; done | awk '
	NF >= 7 && $3 ~ /^[0-9]+$/ && $3 > max { max = $3 }
	END { printf "%d\n", max / 1000 }'
}

(cd "$W" && exec "$PGBENCH" -n -M prepared -c "$CLIENTS" -j 2 -R "$RATE" \
    -T 3600 -f "$W/load.sql" -l --log-prefix=pgb bench) \
    >"$W/pgbench.out" 2>&1 &
PBPID=$!
# WAITS=1: the sessions' states, one line each every 50 ms:
# "epoch_us pid state wait_event_type:wait_event application_name"
if [ "${WAITS:-0}" = 1 ]; then
	psql -qAtX -F' ' -d bench >"$W/waits" 2>/dev/null <<'EOF' &
SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint, pid,
    replace(coalesce(state, '-'), ' ', '_'),
    coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-'),
    coalesce(nullif(application_name, ''), '-')
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND state <> 'idle'
    AND pid <> pg_backend_pid() \watch 0.05
EOF
	SPID=$!
fi
log "load running, warming up for $WARMUP s"
sleep "$WARMUP"
: >"$W/windows"
STEPS=${STEPS:-baseline enh_naive enh_safe enh_fixed enh_migrated t1_naive t1_migrated}
for s in $STEPS; do
	run "$s" || break
done
kill -TERM "$PBPID" 2>/dev/null	# INT is ignored when started in the background
wait "$PBPID" 2>/dev/null
PBPID=

# ---- the figures -----------------------------------------------------------
# pgbench log line: client tx time script epoch us lag.  Under -R, time
# runs from the transaction's scheduled start, so it already holds the
# schedule lag; it is "failed" (or "skipped") for a transaction that did
# not complete.  The last line may be cut short by the SIGTERM.
figures() {	# figures T0 T1: "count max_ms p99_ms failed over100 stall_s"
	cat "$W"/pgb.* | awk -v t0="$1" -v t1="$2" '
	NF < 7 { next }
	{
		end = $5 * 1000000 + $6
		num = ($3 ~ /^[0-9]+$/)
		lat = num ? $3 : 0
		if (end < t0 || end - lat > t1)
			next
		printf "%s %.0f\n", (num ? lat : "F"), end
	}' >"$W/window"
	_f=$(grep -c '^F' "$W/window")
	# a stall second: a whole second of the window in which fewer than
	# half of RATE transactions completed
	_st=$(awk -v t0="$1" -v t1="$2" -v rate="$RATE" '
	{ s = int(($2 - t0) / 1000000); if ($2 >= t0) done[s]++ }
	END {
		n = 0
		for (s = 0; s < int((t1 - t0) / 1000000); s++)
			if (done[s] < rate / 2) n++
		print n
	}' "$W/window")
	grep -v '^F' "$W/window" | awk '{ print $1 }' | sort -n >"$W/lat"
	_c=$(wc -l <"$W/lat")
	awk -v n="$_c" -v f="$_f" -v st="$_st" '
	NR == int(n * 0.99 + 0.999999) { p99 = $1 }
	$1 > 100000 { over++ }
	{ max = $1 }
	END {
		printf "%d %.1f %.1f %d %d %d\n", n, max / 1000, p99 / 1000, f,
		    over, st
	}' "$W/lat"
}
label() {
	case $1 in
	baseline)	echo "none: the load alone | -" ;;
	enh_naive)	echo "(1) index + backfill of every row | naive: psql -1" ;;
	enh_safe)	echo "(1) index + backfill of every row | safe by hand: psql, CONCURRENTLY + DO loop of $BATCH-row transactions (pause ${SAFE_PAUSE}ms)" ;;
	enh_fixed)	echo "(1) index + backfill of every row | migrated, fixed pace: migratectl up (CONCURRENTLY; batch size=$BATCH pause=0ms)" ;;
	enh_migrated)	echo "(1) index + backfill of every row | migrated: migratectl up (CONCURRENTLY; batch $DIRECTIVE)" ;;
	t1_naive)	echo "(2) new indexed column + foreign key | naive: psql -1" ;;
	t1_migrated)	echo "(2) new indexed column + foreign key | migrated --once (tier 1)" ;;
	esac
}
echo
echo "$ROWS rows; pgbench: $CLIENTS clients, $RATE tps (-R), one read and" \
    "one update by primary key per transaction; PostgreSQL $PGVER," \
    "fsync=on, data directory on $(df --output=fstype "$W" | tail -1);" \
    "$(nproc) cores"
echo
echo "| change | how | took (s) | done | transactions | max latency (ms) | p99 latency (ms) | over 100 ms | failed | stall s |"
echo "|---|---|---:|:-:|---:|---:|---:|---:|---:|---:|"
status=0
: >"$W/behind"
while read -r name t0 t1 okay ab lag; do
	read -r n max p99 failed over st <<<"$(figures "$t0" "$t1")"
	[ "$okay" = yes ] || status=1
	printf '| %s | %.1f | %s | %d | %s | %s | %d | %d | %d |\n' \
	    "$(label "$name")" "$(echo "($t1 - $t0) / 1000000" | bc -l)" \
	    "$okay" "$n" "$max" "$p99" "$over" $((failed + ab)) "$st"
	echo "$name $(( t1 - t0 ))" >>"$W/took"
	[ "$name" = baseline ] && base_p99=$p99
	[ "${lag:-0}" -ge 50 ] && echo "$name $lag" >>"$W/behind"
done <"$W/windows"
# Figures that measure the host, not the change: a load that this host
# does not hold on its own (a calm 2-core host gives it a p99 of a few
# ms at 5,000 a second), or a change that started behind (the step
# before left a backlog the settling did not clear)
if [ -n "${base_p99:-}" ] && awk -v p="$base_p99" 'BEGIN { exit !(p > 10) }'; then
	echo
	echo "the load alone: p99 $base_p99 ms, over 10 ms: this host does not" \
	    "hold $RATE tps on its own just now; the changes' figures measure" \
	    "the host as much as the change"
fi
while read -r name lag; do
	echo "$name started with the load $lag ms behind its schedule"
done <"$W/behind"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(at the start: $LOAD0)"
took() { awk -v n="$1" '$1 == n { print $2 }' "$W/took"; }
if [ -n "$(took enh_safe)" ] && [ -n "$(took enh_migrated)" ] &&
    grep -q '^enh_migrated .* yes ' "$W/windows"; then
	awk -v s="$(took enh_safe)" -v m="$(took enh_migrated)" 'BEGIN {
		printf "migrated took %.2fx the safe script'"'"'s time " \
		    "(%.1f s against %.1f s; target: at most 2x)\n",
		    m / s, m / 1e6, s / 1e6 }'
fi
if [ -s "$W/up.json" ]; then
	echo
	echo "migrated's pacer (batch events of migratectl --json up):"
	jq -r 'select(.data.phase == "batch" and .data.pace != null) |
	    .data.pace | [.decision, .rows, .ms, .size, .pause_ms] | @tsv' \
	    "$W/up.json" | awk -F'\t' '
	{ n++; d[$1]++; ms += $3; if ($3 > mx) mx = $3
	  if (n == 1 || $4 < smin) smin = $4; if ($4 > smax) smax = $4
	  if ($5 > pmax) pmax = $5; pause += $5; last = $4 " rows, pause " $5 " ms" }
	END {
		if (n == 0) { print "  no paced batches (fixed size and pause)"; exit }
		printf "  %d batches: %d shrink, %d grow, %d hold; batch time " \
		    "mean %.1f ms, max %d ms\n", n, d["shrink"], d["grow"],
		    d["hold"], ms / n, mx
		printf "  size %d to %d rows, pause up to %d ms (mean %.1f ms); " \
		    "last: %s\n", smin, smax, pmax, pause / n, last
	}'
	jq -r 'select(.data.phase == "batch" and .data.pace != null) |
	    .data.pace | "batch \(.batch): \(.rows) rows in \(.ms) ms, target \(.target_ms) ms, probe \(.probe_ms) ms, writes \(.rate)/s (before: \(.base_rate)/s), busy \(.busy) (before: \(.base_busy)) → \(.decision) size \(.size), pause \(.pause_ms) ms (\(.reason))"' "$W/up.json" | awk '
	NR <= 3 || NR % 100 == 0 { print "  " $0 }'
fi
# shellcheck disable=SC2086 # STEPS is a list of words
set -- $STEPS
[ "$(wc -l <"$W/windows")" -eq $# ] || status=1
exit $status
