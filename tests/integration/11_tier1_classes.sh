# 11_tier1_classes.sh - every row of the classification: what tier 1
# applies, what it refuses (database left exactly as it was), what it
# reports as drift and never drops.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"
audit_table_ready	# refusals and failures add audit rows, by design

mkdir -p m migrations
M() { "$MIGRATED" --database "dbname=$TESTDB" --models m --migrations migrations "$@"; }
model() { cat >"m/$1.yaml"; }

# ---- the starting point: created by tier 1 ----
model enums <<'Y'
schema: app
enums:
  status: [active, closed]
Y
model items <<'Y'
table: app.items
columns:
  id:    { type: bigint, primary_key: true }
  name:  { type: varchar(20), not_null: true }
  price: { type: "numeric(8,2)" }
  state: { type: status, not_null: true, default: "'active'" }
  code:  { type: int, not_null: true }
  owner: bigint
Y
model owners <<'Y'
table: app.owners
columns:
  id: { type: bigint, primary_key: true }
Y
out=$(M --once 2>&1); rc=$?
is "create schema, enum, tables: exit 0" "$rc" 0
like "create schema applied" "$(q "SELECT nspname FROM pg_namespace WHERE nspname = 'app'")" '^app$'
q "INSERT INTO app.owners VALUES (1), (2);
   INSERT INTO app.items (id, name, price, code, owner)
   SELECT g, 'item' || g, g, g, 1 + g % 2 FROM generate_series(1, 50) g" >/dev/null

# ---- applied: every safe change on an existing table with rows ----
model enums <<'Y'
schema: app
enums:
  status: [active, paused, closed]
Y
model items <<'Y'
table: app.items
comment: things we sell
columns:
  id:     { type: bigint, primary_key: true }
  name:   { type: varchar(40), not_null: true, comment: the display name }
  price:  { type: "numeric(10,2)", default: 0 }
  state:  { type: status, not_null: true, default: "'paused'" }
  code:   { type: int }
  owner:  { type: bigint, references: owners }
  note:   text
  flag:   { type: boolean, not_null: true, default: false }
  title:  { type: varchar(10), unique: true }
  qty:    { type: int, check: "qty >= 0" }
indexes:
  - { columns: [name] }
  - { name: items_cheap, columns: [price], where: "price < 10" }
Y
plan=$(M --plan 2>&1)
for k in "add enum value app.status: new value 'paused'" \
    "widen type app.items.name: character varying\(20\) -> character varying\(40\)" \
    "widen type app.items.price: numeric\(8,2\) -> numeric\(10,2\)" \
    "set default app.items.price" "set default app.items.state" \
    "drop not null app.items.code" "comment app.items.name" "comment app.items:" \
    "add column app.items.note: new nullable column" \
    "add column app.items.flag: new NOT NULL column with a default" \
    "add unique app.items.items_title_key" "add index app.items_name_idx: built CONCURRENTLY" \
    "add index app.items_cheap" "add check app.items.items_qty_check" \
    "add foreign key app.items.items_owner_fkey"; do
	like "plan: safe: $k" "$plan" "^-- safe: $k"
done
like "index on a table with rows is built CONCURRENTLY" "$plan" 'CREATE INDEX CONCURRENTLY "items_name_idx"'
like "unique through a concurrent unique index" "$plan" 'CREATE UNIQUE INDEX CONCURRENTLY "items_title_key"'
like "then attached with USING INDEX" "$plan" 'ADD CONSTRAINT "items_title_key" UNIQUE USING INDEX "items_title_key"'
like "fk NOT VALID" "$plan" 'FOREIGN KEY \("owner"\) REFERENCES "app"."owners" \("id"\) NOT VALID'
like "then VALIDATE" "$plan" 'VALIDATE CONSTRAINT "items_owner_fkey"'
like "nothing refused" "$plan" '^-- plan: 17 safe, 0 refused, 0 drift$'
out=$(M --once 2>&1); rc=$?
is "safe changes: exit 0" "$rc" 0
is "enum value added in order" "$(q "SELECT enum_range(NULL::app.status)")" "{active,paused,closed}"
is "varchar widened" "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'app.items'::regclass AND attname = 'name'")" "character varying(40)"
is "not null dropped" "$(q "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'app.items'::regclass AND attname = 'code'")" "f"
is "constraints valid" "$(q "SELECT string_agg(conname || '=' || convalidated, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'app.items'::regclass")" \
    "items_owner_fkey=true,items_pkey=true,items_qty_check=true,items_title_key=true"
is "indexes valid" "$(q "SELECT count(*) FROM pg_index WHERE indrelid = 'app.items'::regclass AND NOT indisvalid")" 0
is "rows kept" "$(q "SELECT count(*), sum(price) FROM app.items")" "50|1275.00"
is "after apply: in sync" "$(M --plan 2>&1)" "-- no changes: the database matches the models"

# ---- NOT NULL without default: safe on an empty table ----
model empty <<'Y'
table: app.empty
columns:
  id: { type: int, primary_key: true }
Y
M --once >/dev/null 2>&1
model empty <<'Y'
table: app.empty
columns:
  id: { type: int, primary_key: true }
  must: { type: text, not_null: true }
Y
like "NOT NULL without default on an empty table is safe" "$(M --plan 2>&1)" \
    '^-- safe: add column app.empty.must: new NOT NULL column'
ok "applied" M --once
rm m/empty.yaml
q "DROP TABLE app.empty" >/dev/null

# ---- refused: each alone, the database stays exactly as it was ----
cp m/items.yaml items.good
refused() {	# refused NAME PATTERN  (models already edited)
	before=$(schema_snapshot --exclude-table-data=migrated_audit)
	out=$(M --once 2>&1); rc=$?
	is "refused $1: --once still exits 0" "$rc" 0
	like "refused $1: reported" "$out" "refused: $2"
	like "refused $1: with a hint" "$out" "hint: write a tier-2 migration"
	is "refused $1: database unchanged" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
	cp items.good m/items.yaml
}
sed 's/  code:   { type: int }/  code:   { type: int, not_null: true }/' items.good >m/items.yaml
refused "set not null" "set not null app.items.code: adding NOT NULL"
sed '/^  qty:/a\  must:   { type: text, not_null: true }' items.good >m/items.yaml
refused "not null without default on rows" \
    "add column app.items.must: NOT NULL column without a default on a table that has rows"
sed '/^  qty:/a\  uid:    { type: uuid, default: gen_random_uuid() }' items.good >m/items.yaml
refused "volatile default" "add column app.items.uid: a volatile default rewrites"
sed 's/  name:   { type: varchar(40)/  name:   { type: varchar(10)/' items.good >m/items.yaml
refused "narrowing" "change type app.items.name: character varying\(40\) -> character varying\(10\)"
sed 's/  code:   { type: int }/  code:   { type: text }/' items.good >m/items.yaml
refused "type change" "change type app.items.code: integer -> text may rewrite"
sed 's/  note:   text/  remark: { type: text, was: note }/' items.good >m/items.yaml
refused "rename" "rename column app.items.remark: looks like a rename of 'note' to 'remark'"
sed 's/qty >= 0/qty > 0/' items.good >m/items.yaml
refused "changed check" "change constraint app.items.items_qty_check: check 'items_qty_check' differs"
sed 's/items_cheap, columns: \[price\], where: "price < 10"/items_cheap, columns: [price], where: "price < 5"/' items.good >m/items.yaml
refused "changed index" "change index app.items_cheap: the index differs from the model"

# ---- drift: reported, never dropped ----
q "ALTER TABLE app.items ADD COLUMN legacy int;
   CREATE INDEX items_legacy_idx ON app.items (legacy);
   ALTER TABLE app.items ADD CONSTRAINT items_legacy_check CHECK (legacy > 0);
   CREATE TABLE app.old_stuff (id int);
   ALTER TYPE app.status ADD VALUE 'archived';
   ALTER TABLE app.items ALTER COLUMN note SET DEFAULT 'x'" >/dev/null
before=$(schema_snapshot --exclude-table-data=migrated_audit)
out=$(M --plan 2>&1)
like "drift: column" "$out" '^-- drift: column app.items.legacy: integer column is not in the models'
like "drift: index" "$out" '^-- drift: index app.items_legacy_idx'
like "drift: constraint" "$out" '^-- drift: check app.items.items_legacy_check'
like "drift: table" "$out" '^-- drift: table app.old_stuff'
like "drift: enum value" "$out" "^-- drift: enum value app.status: value 'archived'"
like "drift: default" "$out" "^-- drift: default app.items.note"
like "drift only" "$out" '^-- plan: 0 safe, 0 refused, 6 drift$'
out=$(M --once 2>&1); rc=$?
is "drift: --once exits 0" "$rc" 0
like "drift: --once reports it" "$out" 'drift: table app.old_stuff'
is "drift: nothing dropped" "$(schema_snapshot --exclude-table-data=migrated_audit)" "$before"
