# 12_tier1_concurrent.sh - 8 `migrated --once` started at the same moment
# against one database: exactly one applies, the others wait and find
# nothing to do, all exit 0; an up-to-date host never queues for the lock.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

SRC=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -d "$SRC/models" ] || SRC=$OLDPWD
mkdir -p migrations
M() { "$MIGRATED" --database "dbname=$TESTDB" --models "$SRC/models" \
    --migrations migrations "$@"; }

pids=
for i in 1 2 3 4 5 6 7 8; do
	M --once >"out.$i" 2>&1 &
	pids="$pids $!"; track $!
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "all 8 exit 0" "$fails" 0
is "exactly one applied" "$(cat out.* | grep -c 'tier 1: applied 4 changes')" 1
is "the other 7 found nothing to do" "$(cat out.* | grep -c 'tier 1: up to date')" 7
is "no errors" "$(cat out.* | grep -c 'error')" 0
is "schema right: in sync" "$(M --plan 2>&1)" "-- no changes: the database matches the models"
is "tables created once" "$(q "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> 'migrated_audit'")" 3
is "the audit shows one application" "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier1.plan'")" 1
is "each change audited once" "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'tier1.apply'")" 4
is "the 8 writers made one chain: each row links to the one before" \
    "$(q "SELECT bool_and(a.prev_hash = (SELECT b.hash FROM migrated_audit b WHERE b.id < a.id ORDER BY b.id DESC LIMIT 1)) FROM migrated_audit a WHERE a.id > (SELECT min(id) FROM migrated_audit)")" t

# an up-to-date host does not queue behind a held lock
psql -qAtX -d "$TESTDB" -c "SELECT pg_advisory_lock(7883960004428899684)" \
    -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
holder=$!; track $holder
lock_held() { [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ]; }
wait_until 30 lock_held
start=$(date +%s%N)
out=$(timeout 10 "$MIGRATED" --database "dbname=$TESTDB" --models "$SRC/models" \
    --migrations migrations --once 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "up to date with the lock held elsewhere: exit 0" "$rc" 0
like "up to date with the lock held elsewhere: no wait" "$ms" '^[0-9]{1,3}$|^1[0-9]{3}$'

# a host with work to do waits for the holder, then applies
cat >extra.yaml <<'Y'
table: extra
columns:
  id: { type: int, primary_key: true }
Y
mkdir -p m2 && cp "$SRC"/models/*.yaml extra.yaml m2/
"$MIGRATED" --database "dbname=$TESTDB" --models m2 --migrations migrations \
    --once >waiter.out 2>&1 &
waiter=$!; track $waiter
# the waiter has tried the lock (and found it taken) at least once
polling() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'migrated%'
	    AND query LIKE '%advisory_lock%'")" -ge 1 ]
}
wait_until 30 polling
ok "waiter still running, polling for the lock" kill -0 "$waiter"
# A snapshot held while waiting: blocked on a lock, or between statements
# (idle in a transaction).  The waiter's own pg_try_advisory_lock holds one
# for the microseconds it runs, which the check may meet: not waiting.
is "waiter holds no snapshot while it waits" \
    "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'migrated%' AND backend_xmin IS NOT NULL AND (wait_event_type = 'Lock' OR state <> 'active')")" 0
is "waiter has not applied yet" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'extra'")" 0
kill "$holder" 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()" >/dev/null
wait "$waiter"; rc=$?
is "waiter exits 0 once the lock is free" "$rc" 0
is "waiter applied" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'extra'")" 1
wait "$holder" 2>/dev/null
true

# waiting hosts must not hold a snapshot while they wait: CREATE INDEX
# CONCURRENTLY waits for every older snapshot, so a host blocked inside
# SELECT pg_advisory_lock() would hang the one that builds the index
mkdir -p m3
printf 'table: big\ncolumns:\n  id: { type: int, primary_key: true }\n  v: text\n' >m3/big.yaml
"$MIGRATED" --database "dbname=$TESTDB" --models m3 --migrations migrations --once >/dev/null 2>&1
q "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 400000) g" >/dev/null
printf 'table: big\ncolumns:\n  id: { type: int, primary_key: true }\n  v: text\nindexes:\n  - [v]\n' >m3/big.yaml
printf 'database: "dbname=%s"\nmodels: m3\nmigrations: migrations\ntimeouts: { lock: 1s, lock_retries: 1, retry_backoff: 100ms }\n' \
    "$TESTDB" >c3.yaml
# the first one takes the lock (or is already done), then three more
# arrive while it builds the index
"$MIGRATED" -c c3.yaml --once >big.1 2>&1 &
pids=$!; track $pids
first_locked_or_done() {
	lock_held || ! kill -0 "$pids" 2>/dev/null
}
wait_until 30 first_locked_or_done
for i in 2 3 4; do
	"$MIGRATED" -c c3.yaml --once >"big.$i" 2>&1 &
	pids="$pids $!"; track $!
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "concurrent index build with waiters: all exit 0" "$fails" 0
is "concurrent index build with waiters: one built it" "$(cat big.* | grep -c 'tier 1: applied 1 change,')" 1
is "concurrent index build with waiters: index valid" \
    "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass")" t
