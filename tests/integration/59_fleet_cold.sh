# 59_fleet_cold.sh - what a cold member's run leaves out, read from the
# server's own statement log: `migrated --once --up` on an empty database
# makes the audit table on the backend that applies tier 1 (not on the
# lock connection: one backend loads the catalog caches, not two), and a
# batched UPDATE of an empty table makes no temporary view.  And what it
# must still do: a table whose statistics say empty but that has rows
# gets the view when its first keys are found, and every row is updated.
# The lock, free at the start, is taken once before the catalogs are read
# and they are read once; held by another session at the start, the run
# reads, waits, and reads again under it (what the holder did is seen).
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
LOG=${CLUSTER_DIR:-}/server.log
[ -r "$LOG" ] || { skip "the server's log is not readable here"; exit 0; }
# every statement of migrated's sessions, with the backend's pid
M() { "$MIGRATED" --database "dbname=$TESTDB options='-c log_statement=all'" \
    --models "$SRC/models" --migrations "$SRC/migrations" "$@"; }
since() { tail -c +$(($1 + 1)) "$LOG"; }
pid_of() {	# pid_of TEXT: the [pid] of the statement that starts with TEXT
	printf '%s\n' "$log" | grep -F "statement: $1" | head -n 1 |
	    sed -n 's/.*\[\([0-9]*\)\].*/\1/p'
}

off=$(stat -c %s "$LOG")
out=$(M --once --up 2>&1); rc=$?
is "cold: exit 0" "$rc" 0
like "cold: tier 1 applied" "$out" "tier 1: applied 4 changes"
like "cold: tier 2 applied" "$out" "tier 2: 2 applied"
log=$(since "$off")
audit_pid=$(pid_of 'CREATE TABLE "public"."migrated_audit"')
users_pid=$(pid_of 'CREATE TABLE "public"."users"')
ok "cold: the audit table was made" [ -n "$audit_pid" ]
is "cold: on the backend that applied tier 1" "$audit_pid" "$users_pid"
# the lock is free: taken once, before the catalogs are read, and held
# through both tiers; the catalogs are read and the plan checked once
lockkey=7883960004428899684
n_of() { printf '%s\n' "$log" | grep -c -F "$1"; }
line_of() { printf '%s\n' "$log" | grep -n -F "$1" | head -n 1 | cut -d: -f1; }
schemas_q="FROM pg_namespace n WHERE COALESCE(n.nspname = ANY("
is "cold: the lock tried once" "$(n_of "pg_try_advisory_lock($lockkey)")" 1
is "cold: and let go once" "$(n_of "pg_advisory_unlock($lockkey)")" 1
is "cold: the catalogs read once" "$(n_of "$schemas_q")" 1
ok "cold: the lock taken before they are read" \
    [ "$(line_of "pg_try_advisory_lock($lockkey)")" -lt "$(line_of "$schemas_q")" ]
SOCK=$T/cold.sock
printf 'database: "dbname=%s"\nmodels: "%s"\nmigrations: "%s"\nsocket: { path: %s, mode: 0600 }\n' \
    "$TESTDB" "$SRC/models" "$SRC/migrations" "$SOCK" >cfg.yaml
"$MIGRATED" -c cfg.yaml >daemon.log 2>&1 &
dpid=$!; track $dpid
ok "daemon ready" timeout 30 "$MIGRATECTL" -s "$SOCK" wait-ready --timeout 20
out=$(timeout 30 "$MIGRATECTL" -s "$SOCK" audit verify); rc=$?
is "cold: the audit chain verifies" "$rc" 0
like "cold: every row in it" "$out" \
    "rows: +$(q "SELECT count(*) FROM migrated_audit")"
kill -TERM $dpid; wait $dpid 2>/dev/null
is "cold: every change audited" \
    "$(q "SELECT count(*) FROM migrated_audit WHERE action IN ('tier1.apply', 'tier2.apply') AND ok")" 6
unlike "cold: no temporary view for the empty tables' backfills" "$log" \
    "TEMP VIEW migrated_batch"
is "cold: both backfills ran (tracked done)" \
    "$(q "SELECT count(*) FROM migrated_versions WHERE NOT dirty")" 2

# statistics that say empty (reltuples 0), rows that are there: the
# first batch finds keys, the view is made then and the batch run again;
# autovacuum kept off the table, or its analyze may put the truth back
q "CREATE TABLE s (id int PRIMARY KEY, v int NOT NULL, w int)
   WITH (autovacuum_enabled = false)"
q "ANALYZE s"
q "INSERT INTO s SELECT i, i FROM generate_series(1, 250) i"
is "stale statistics: reltuples says empty" \
    "$(q "SELECT reltuples::bigint FROM pg_class WHERE oid = 's'::regclass")" 0
mkdir -p m2
cp "$SRC"/migrations/*.sql m2/
cat >m2/20250101_000000_fill_s.sql <<'EOF'
-- migrated:batch size=100 pause=0ms
UPDATE s SET w = v * 2 WHERE w IS NULL;
EOF
off=$(stat -c %s "$LOG")
out=$("$MIGRATED" --database "dbname=$TESTDB options='-c log_statement=all'" \
    --models "$SRC/models" --migrations m2 --once --up 2>&1); rc=$?
is "stale statistics: exit 0" "$rc" 0
like "stale statistics: applied" "$out" "tier2.apply '20250101_000000_fill_s'"
is "stale statistics: every row updated" \
    "$(q "SELECT count(*) FROM s WHERE w = v * 2")" 250
like "stale statistics: the view was made when keys were found" \
    "$(since "$off")" "TEMP VIEW migrated_batch"
is "stale statistics: tracked as done" \
    "$(q "SELECT dirty FROM migrated_versions WHERE version = '20250101_000000'")" f

# the lock held by another session when a cold run starts: it reads
# first, waits, and reads again under the lock, where it finds what the
# holder did meanwhile (here the whole of tier 1) and applies the rest
H=${TESTDB}_held
psql -qAtX -d postgres -c "CREATE DATABASE \"$H\"" >/dev/null
"$MIGRATED" --database "dbname=$H" --models "$SRC/models" \
    --migrations "$SRC/migrations" --plan >plan.sql 2>/dev/null
psql -qAtX -d "$H" -c "SELECT pg_advisory_lock($lockkey)" \
    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!; track $holder
# this database's advisory locks (another test's cluster-wide are not)
here="database = (SELECT oid FROM pg_database WHERE datname = current_database())"
held() { [ "$(psql -qAtX -d "$H" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND $here")" = 1 ]; }
wait_until 30 held
off=$(stat -c %s "$LOG")
"$MIGRATED" --database "dbname=$H options='-c log_statement=all'" \
    --models "$SRC/models" --migrations "$SRC/migrations" --once --up \
    >held.out 2>&1 &
waiter=$!; track $waiter
polling() {	# tried once first, then read, planned, and waiting for it
	[ "$(since "$off" | grep -c -F "pg_try_advisory_lock($lockkey)")" -ge 2 ]
}
wait_until 30 polling
ok "held: the run waits for the lock" kill -0 "$waiter"
is "held: nothing applied while it waits" \
    "$(psql -qAtX -d "$H" -c "SELECT count(*) FROM pg_class WHERE relname = 'users'")" 0
psql -qX -v ON_ERROR_STOP=1 -d "$H" -f plan.sql >/dev/null
is "held: the holder made the tables" \
    "$(psql -qAtX -d "$H" -c "SELECT count(*) FROM pg_class WHERE relname = 'users'")" 1
psql -qAtX -d "$H" -c "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND $here AND pid <> pg_backend_pid()" >/dev/null
wait "$waiter"; rc=$?
wait "$holder" 2>/dev/null
out=$(cat held.out)
is "held: exit 0" "$rc" 0
like "held: tier 1 read again under the lock: nothing left to do" "$out" \
    "tier 1: up to date .*after waiting for another migrated"
like "held: tier 2 applied" "$out" "tier 2: 2 applied"
log=$(since "$off")
is "held: the catalogs read twice (before the lock, under it)" \
    "$(n_of "$schemas_q")" 2
is "held: no tier-1 change audited (the holder made them)" \
    "$(psql -qAtX -d "$H" -c "SELECT count(*) FROM migrated_audit WHERE action = 'tier1.apply'")" 0
psql -qAtX -d postgres -c "DROP DATABASE \"$H\"" >/dev/null

# a fleet: a member new to migrated tries the lock before tier 1 reads
# anything; a member already tracked (here up to date) does not, and
# takes it only when it has work.  The server's log does not say which
# database a statement came from: one member's statements are logged per
# run (log_statement set on its database alone).
NEW=${TESTDB}_fnew OLD=${TESTDB}_fold NEW2=${TESTDB}_fnew2
for d in "$NEW" "$OLD" "$NEW2"; do
	psql -qAtX -d postgres -c "CREATE DATABASE \"$d\"" >/dev/null
done
logged() { psql -qAtX -d postgres -c "ALTER DATABASE \"$1\" SET log_statement = '$2'" >/dev/null; }
"$MIGRATED" --database "dbname=$OLD" --models "$SRC/models" \
    --migrations "$SRC/migrations" --once --up >/dev/null 2>&1
fleet_cfg() {	# fleet_cfg MIGRATIONS MEMBER...
	_m=$1; shift
	printf 'database: "dbname=%s"\nmodels: "%s"\nmigrations: "%s"\nfleet:\n  members: [%s]\n' \
	    "$TESTDB" "$SRC/models" "$_m" "$(printf '%s, ' "$@" | sed 's/, $//')"
}
fleet_cfg "$SRC/migrations" "$NEW" "$OLD" >fleet.yaml
logged "$NEW" all
off=$(stat -c %s "$LOG")
out=$("$MIGRATED" -c fleet.yaml --once --up 2>&1); rc=$?
is "fleet: exit 0" "$rc" 0
like "fleet: the new member brought up to date" "$out" \
    "migrated\[$NEW\]: tier 2: 2 applied"
log=$(since "$off")
is "fleet: the new member tried the lock once" \
    "$(n_of "pg_try_advisory_lock($lockkey)")" 1
ok "fleet: ... before it read the catalogs" \
    [ "$(line_of "pg_try_advisory_lock($lockkey)")" -lt "$(line_of "$schemas_q")" ]
is "fleet: ... and read them once" "$(n_of "$schemas_q")" 1
logged "$NEW" none
logged "$OLD" all
fleet_cfg "$SRC/migrations" "$NEW2" "$OLD" >fleet.yaml
off=$(stat -c %s "$LOG")
out=$("$MIGRATED" -c fleet.yaml --once --up 2>&1); rc=$?
is "fleet again: exit 0" "$rc" 0
like "fleet again: the other new member brought up to date" "$out" \
    "migrated\[$NEW2\]: tier 2: 2 applied"
log=$(since "$off")
ok "fleet again: the tracked member's statements logged" \
    [ "$(n_of "$schemas_q")" -ge 1 ]
is "fleet again: the tracked member up to date did not try the lock" \
    "$(n_of "pg_try_advisory_lock($lockkey)")" 0

# a new member with no migration file: no lock tried first, and no
# tracking table made (nothing was to be tracked)
EMPTY=${TESTDB}_fempty
mkdir -p empty
psql -qAtX -d postgres -c "CREATE DATABASE \"$EMPTY\"" >/dev/null
logged "$EMPTY" all
fleet_cfg "$T/empty" "$EMPTY" >fleet_empty.yaml
off=$(stat -c %s "$LOG")
out=$("$MIGRATED" -c fleet_empty.yaml --once --up 2>&1); rc=$?
is "no files: exit 0" "$rc" 0
like "no files: tier 1 applied" "$out" "migrated\[$EMPTY\]: tier 1: applied 4 changes"
log=$(since "$off")
ok "no files: the lock not tried first (tier 1 took it, after reading)" \
    [ "$(line_of "pg_try_advisory_lock($lockkey)")" -gt "$(line_of "$schemas_q")" ]
is "no files: no tracking table made" \
    "$(psql -qAtX -d "$EMPTY" -c "SELECT count(*) FROM pg_class WHERE relname = 'migrated_versions'")" 0
for d in "$NEW" "$OLD" "$NEW2" "$EMPTY"; do
	psql -qAtX -d postgres -c "DROP DATABASE \"$d\"" >/dev/null
done
