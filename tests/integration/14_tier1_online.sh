# 14_tier1_online.sh - lock-safe DDL on existing tables with rows: a
# constraint that existing rows violate fails cleanly (named, with a sample
# key, nothing left behind), an invalid index is rebuilt, and a busy table
# makes tier 1 retry with backoff and then fail without hurting the
# application's transaction.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
audit_table_ready	# refusals and failures add audit rows, by design

mkdir -p m migrations
printf 'database: "dbname=%s"\nmodels: m\nmigrations: migrations\ntimeouts: { lock: 200ms, lock_retries: 2, retry_backoff: 100ms }\n' \
    "$TESTDB" >c.yaml
M() { "$MIGRATED" -c c.yaml "$@"; }
base='table: items
columns:
  id:    { type: int, primary_key: true }
  title: text
  owner: int
  qty:   int
'
printf '%s' "$base" >m/items.yaml
printf 'table: owners\ncolumns:\n  id: { type: int, primary_key: true }\n' >m/owners.yaml
ok "create" M --once
q "INSERT INTO owners VALUES (1);
   INSERT INTO items SELECT g, 't' || g, 1, g FROM generate_series(1, 100) g;
   UPDATE items SET title = 't1' WHERE id = 7;
   UPDATE items SET owner = 9 WHERE id = 8;
   UPDATE items SET qty = -5 WHERE id = 9" >/dev/null
before=$(schema_snapshot --exclude-table-data=migrated_audit)

# unique over duplicates
printf '%s\nunique:\n  - [title]\n' "$base" >m/items.yaml
out=$(M --once 2>&1); rc=$?
is "duplicate key: exit 1" "$rc" 1
like "duplicate key: names the constraint" "$out" "error: cannot add unique 'public.items.items_title_key'"
like "duplicate key: a sample key" "$out" 'detail: Key \(title\)=\(t1\) is duplicated'
is "duplicate key: no invalid index left" "$(q "SELECT count(*) FROM pg_class WHERE relname = 'items_title_key'")" 0
is "duplicate key: database unchanged" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"

# foreign key over a missing parent
printf '%s\nforeign_keys:\n  - { columns: [owner], references: owners }\n' "$base" >m/items.yaml
out=$(M --once 2>&1); rc=$?
is "fk violation: exit 1" "$rc" 1
like "fk violation: names the constraint" "$out" "error: cannot add foreign key 'public.items.items_owner_fkey'"
like "fk violation: a sample key" "$out" 'detail: Key \(owner\)=\(9\) is not present in table "owners"'
is "fk violation: no NOT VALID constraint left" "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'items_owner_fkey'")" 0
is "fk violation: database unchanged" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"

# check over a bad row
printf '%s\nchecks:\n  - { name: qty_positive, expr: "qty >= 0" }\n' "$base" >m/items.yaml
out=$(M --once 2>&1); rc=$?
is "check violation: exit 1" "$rc" 1
like "check violation: names the constraint" "$out" 'error: cannot add check .public.items.qty_positive.: check constraint "qty_positive" of relation "items" is violated by some row'
like "check violation: a sample key" "$out" 'detail: a violating row: \(id=9\)'
is "check violation: database unchanged" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"

# an invalid index left by an interrupted build is rebuilt
printf '%s\nindexes:\n  - { name: items_title_uq, columns: [title], unique: true }\n' "$base" >m/items.yaml
q "CREATE UNIQUE INDEX CONCURRENTLY items_title_uq ON items (title)" >/dev/null 2>&1
is "interrupted build left an invalid index" "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_title_uq'::regclass")" f
q "UPDATE items SET title = 't7' WHERE id = 7" >/dev/null
out=$(M --plan 2>&1)
like "invalid index: planned as a rebuild" "$out" '^-- safe: rebuild index public.items_title_uq: invalid index'
like "invalid index: dropped concurrently" "$out" 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_title_uq"'
ok "invalid index: rebuilt" M --once
is "invalid index: now valid" "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_title_uq'::regclass")" t
is "invalid index: in sync" "$(M --plan 2>&1)" "-- no changes: the database matches the models"

# a busy table: lock_timeout, bounded retries, then a clean failure
q "UPDATE items SET owner = 1, qty = 1" >/dev/null
printf '%s  note: text\n' "$base" >m/items.yaml
before=$(schema_snapshot --exclude-table-data=migrated_audit)
# the application: a transaction that has read items and stays open until
# we say so (fed through a FIFO)
items_locked() {	# items_locked GRANTED: a lock on items held or awaited
	[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'items'::regclass
	    AND granted = $1 AND pid <> pg_backend_pid()")" -ge 1 ]
}
mkfifo holder.in
psql -qAtX -v ON_ERROR_STOP=1 -d "$TESTDB" <holder.in >holder.out 2>&1 &
holder=$!; track $holder
exec 3>holder.in
echo "BEGIN; SELECT count(*) FROM items;" >&3
wait_until 30 items_locked true
start=$(date +%s%N)
out=$(M --once 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "busy table: exit 1" "$rc" 1
like "busy table: lock timeout named" "$out" 'error: cannot apply tier-1 changes: canceling statement due to lock timeout'
like "busy table: tries counted" "$out" 'detail: lock not acquired within 200 ms, 3 attempts'
like "busy table: gave up within a second or two" "$ms" '^[0-9]{3,4}$'
is "busy table: database unchanged" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
echo "UPDATE items SET qty = 2 WHERE id = 1; COMMIT;" >&3
exec 3>&-
wait "$holder"; rc=$?
is "busy table: the application's transaction committed" "$rc" 0
is "busy table: its update is there" "$(q "SELECT qty FROM items WHERE id = 1")" 2

# the same with enough retries: waits out the holder, then applies (the
# holder commits once tier 1 has had its first lock timeout)
rm -f holder.in; mkfifo holder.in
psql -qAtX -v ON_ERROR_STOP=1 -d "$TESTDB" <holder.in >/dev/null 2>&1 &
holder=$!; track $holder
exec 3>holder.in
echo "BEGIN; SELECT count(*) FROM items;" >&3
wait_until 30 items_locked true
printf 'database: "dbname=%s"\nmodels: m\nmigrations: migrations\ntimeouts: { lock: 200ms, lock_retries: 6, retry_backoff: 200ms }\n' \
    "$TESTDB" >c2.yaml
retries0=$(q "SELECT count(*) FROM migrated_audit WHERE action = 'lock.retry'")
"$MIGRATED" -c c2.yaml --once >c2.out 2>&1 &
waiter=$!; track $waiter
retried() { [ "$(q "SELECT count(*) FROM migrated_audit WHERE action = 'lock.retry'")" -gt "$retries0" ]; }
wait_until 30 retried
echo "COMMIT;" >&3
exec 3>&-
wait "$waiter"; rc=$?
is "busy table, more retries: applied" "$rc" 0
[ "$rc" -eq 0 ] || cat c2.out
wait "$holder"
is "busy table, more retries: column added" "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'note'")" 1
