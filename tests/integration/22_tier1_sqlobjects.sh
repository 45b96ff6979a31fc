# 22_tier1_sqlobjects.sh - issue 13: views, materialized views,
# functions, triggers, policies and row level security as model SQL
# files.  From an empty database everything is created (functions before
# the table whose check calls them, views after their tables and the
# views they read, triggers and policies after their tables); a second
# run issues no DDL; each kind of change is classed as documented (a view
# body or a function body: CREATE OR REPLACE; a view's columns, a
# function's result, a materialized view: refused with a hint; a new
# policy: safe; a changed policy: ALTER POLICY; a changed trigger:
# CREATE OR REPLACE TRIGGER); what only the database has is drift and is
# left alone; enabling row level security on a table without a policy is
# refused; a model view that the server rejects is refused with the
# server's error; a bad model SQL file stops tier 1 with its file:line:col
# and the database stays as it was.  A view written as pg_get_viewdef()
# prints it is in sync with the view it was printed from.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p migrations m
run() {	# run DIR MODE
	"$MIGRATED" --database "dbname=$TESTDB" --models "$1" \
	    --migrations migrations "--$2" 2>&1
}

cat >m/accounts.yaml <<'EOF'
table: accounts
row_level_security: true
columns:
  id: { type: bigint, primary_key: true }
  name: { type: text, not_null: true, check: "is_name(name)" }
  owner: { type: text, not_null: true, default: current_user }
  updated_at: timestamptz
EOF
cat >m/notes.yaml <<'EOF'
table: notes
columns:
  id: { type: bigint, primary_key: true }
  body: text
EOF
cat >m/objects.sql <<'EOF'
-- functions: the check of accounts calls is_name()
CREATE FUNCTION is_name(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) > 0 $$;

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- named_accounts reads active_accounts, written after it
CREATE VIEW named_accounts AS SELECT id, name FROM active_accounts;
CREATE VIEW active_accounts AS
    SELECT id, name, owner FROM accounts WHERE name <> '';
CREATE MATERIALIZED VIEW account_count AS
    SELECT count(*) AS n FROM accounts WITH NO DATA;

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch();

CREATE POLICY own_rows ON accounts USING (owner = current_user);
EOF

out=$(run m once); rc=$?
is "from empty: --once exits 0" "$rc" 0
like "from empty: every change applied" "$out" "applied 10 changes"
out=$(run m plan)
like "in sync right after" "$out" "^-- no changes: the database matches the models"
out=$(run m once)
like "a second --once issues no DDL" "$out" "tier 1: up to date"
is "the objects are there" "$(q "SELECT (SELECT count(*) FROM pg_views WHERE schemaname = 'public') || ' ' || (SELECT count(*) FROM pg_matviews) || ' ' || (SELECT count(*) FROM pg_proc WHERE proname IN ('is_name', 'touch')) || ' ' || (SELECT count(*) FROM pg_trigger WHERE tgname = 'accounts_touch') || ' ' || (SELECT count(*) FROM pg_policies) || ' ' || (SELECT relrowsecurity FROM pg_class WHERE relname = 'accounts')")" "2 1 2 1 1 true"
q "INSERT INTO accounts (id, name) VALUES (1, 'a')"
q "UPDATE accounts SET name = 'b'"
is "the trigger runs" "$(q "SELECT updated_at IS NOT NULL FROM accounts")" "t"

# change PATTERN REPLACEMENT: m2 is m with objects.sql edited
change() {
	rm -rf m2; cp -r m m2
	sed -i "s/$1/$2/" m2/objects.sql
}

change "name <> ''" "name <> 'x'"
out=$(run m2 plan)
like "a view's body: CREATE OR REPLACE VIEW" "$out" \
    "^-- safe: replace view public.active_accounts: its definition differs"
like "with the model's statement" "$out" \
    "^CREATE OR REPLACE VIEW \"public\".\"active_accounts\" AS"
out=$(run m2 once); rc=$?
is "the replaced view applies" "$rc" 0
is "the view says it now" "$(q "SELECT pg_get_viewdef('active_accounts') LIKE '%''x''%'")" "t"
like "then in sync" "$(run m2 plan)" "^-- no changes"
cp m2/objects.sql m/objects.sql

change "SELECT id, name, owner FROM accounts" "SELECT name, id, owner FROM accounts"
out=$(run m2 plan)
like "a view's columns in another order: refused" "$out" \
    "^-- refused: change view public.active_accounts: its columns change"
like "with the tier-2 hint" "$out" "hint: write a tier-2 migration that drops the view"
change "SELECT id, name, owner FROM accounts" "SELECT id, name, owner, 1 AS one FROM accounts"
like "a column added at the end: CREATE OR REPLACE VIEW" "$(run m2 plan)" \
    "^-- safe: replace view public.active_accounts: new columns at the end"

change "length(t) > 0" "length(t) > 1"
out=$(run m2 plan)
like "a function's body: CREATE OR REPLACE FUNCTION" "$out" \
    "^-- safe: replace function public.is_name: its definition differs"
change "RETURNS boolean" "RETURNS integer"
sed -i 's/length(t) > 0/length(t)/' m2/objects.sql
out=$(run m2 plan)
like "a function's result: refused" "$out" \
    "^-- refused: change function public.is_name: its result changes \\(boolean -> integer\\)"
change "is_name(t text)" "is_name(t varchar)"
like "a function's arguments: refused" "$(run m2 plan)" \
    "^-- refused: change function public.is_name: the database has is_name\\(t text\\), the model \\(t character varying\\)"
change "count(\\*) AS n" "count(*) AS total"
out=$(run m2 plan)
like "a materialized view's query: refused" "$out" \
    "^-- refused: change materialized view public.account_count: .*cannot be replaced"

change "BEFORE UPDATE ON accounts" "BEFORE INSERT OR UPDATE ON accounts"
out=$(run m2 plan)
like "a trigger: CREATE OR REPLACE TRIGGER" "$out" \
    "^-- safe: replace trigger public.accounts.accounts_touch: its definition differs"
out=$(run m2 once); rc=$?
is "the replaced trigger applies" "$rc" 0
is "it fires on INSERT now" "$(q "SELECT pg_get_triggerdef(oid) LIKE '%INSERT OR UPDATE%' FROM pg_trigger WHERE tgname = 'accounts_touch'")" "t"
cp m2/objects.sql m/objects.sql

change "USING (owner = current_user)" "USING (owner = current_user OR owner = 'admin')"
printf '\nCREATE POLICY readers ON accounts FOR SELECT TO PUBLIC USING (true);\n' >>m2/objects.sql
out=$(run m2 plan)
like "a new policy: safe" "$out" "^-- safe: create policy public.accounts.readers: new policy"
like "a changed policy: ALTER POLICY" "$out" \
    "^ALTER POLICY \"own_rows\" ON \"public\".\"accounts\" USING \\(owner = current_user OR owner = 'admin'\\)"
out=$(run m2 once); rc=$?
is "the policies apply" "$rc" 0
is "two policies" "$(q "SELECT count(*) FROM pg_policies WHERE tablename = 'accounts'")" "2"
like "then in sync" "$(run m2 plan)" "^-- no changes"
cp m2/objects.sql m/objects.sql

# a policy PostgreSQL prints another way (count(*) AS count in a
# subquery): the parse trees differ, the server's deparse of both does not
change "USING (true)" "USING ((SELECT count(*) FROM notes) >= 0)"
out=$(run m2 once); rc=$?
is "a policy with a subquery applies" "$rc" 0
like "and is in sync (the server compared the expressions)" \
    "$(run m2 plan)" "^-- no changes"
cp m2/objects.sql m/objects.sql

# drift: what only the database has is reported and left alone
q "CREATE VIEW extra_view AS SELECT 1 AS one"
q "CREATE FUNCTION extra_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'"
q "CREATE TRIGGER extra_tr BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch()"
q "CREATE POLICY extra_pol ON notes USING (true)"
q "CREATE RULE extra_rule AS ON UPDATE TO notes WHERE false DO INSTEAD NOTHING"
q "CREATE AGGREGATE extra_agg(int) (sfunc = int4pl, stype = int)"
q "ALTER TABLE notes ADD CONSTRAINT notes_excl EXCLUDE USING btree (body WITH =)"
out=$(run m plan)
like "a view not in the models is drift" "$out" "^-- drift: view public.extra_view: view is not in the models"
like "a function not in the models is drift" "$out" "^-- drift: function public.extra_fn\\(\\): function is not in the models"
like "a trigger not in the models is drift" "$out" "^-- drift: trigger public.notes.extra_tr:"
like "a policy not in the models is drift" "$out" "^-- drift: policy public.notes.extra_pol:"
like "a rule is drift: the models cannot say one" "$out" \
    "^-- drift: rule public.notes.extra_rule: the models cannot say rules: it stays as it is"
like "an aggregate is drift: the models cannot say one" "$out" \
    "^-- drift: aggregate public.extra_agg\\(integer\\): the models cannot say aggregates"
like "with the tier-2 hint" "$out" "^--   hint: make or change it with a tier-2 migration"
like "an exclusion constraint is drift, with its definition" "$out" \
    "^-- drift: exclusion constraint public.notes.notes_excl: the models cannot say exclusion constraints: EXCLUDE USING btree \\(body WITH =\\) stays as it is"
unlike "nothing is dropped" "$out" "DROP "
run m once >/dev/null
is "the drift is still there" "$(q "SELECT count(*) FROM pg_views WHERE viewname = 'extra_view'")" "1"

# row level security on a table the models give no policy: refused
sed -i 's/^columns:/row_level_security: true\ncolumns:/' m/notes.yaml
out=$(run m plan)
like "RLS without a policy is refused" "$out" \
    "^-- refused: enable row level security public.notes: the models give the table no policy"
sed -i 's/^row_level_security: true/row_level_security: forced/' m/accounts.yaml
like "FORCE on a table with policies is safe" "$(run m plan)" \
    "^-- safe: enable row level security public.accounts: enabled -> enabled and forced"
q "ALTER TABLE accounts DISABLE ROW LEVEL SECURITY"
sed -i 's/^row_level_security: forced/row_level_security: false/' m/accounts.yaml
q "ALTER TABLE accounts ENABLE ROW LEVEL SECURITY"
like "RLS the models do not say is drift" "$(run m plan)" \
    "^-- drift: row level security public.accounts: enabled in the database, off in the models"

# a view the server rejects: refused with its error, the rest applies
rm -rf m3; cp -r m m3
sed -i 's/^row_level_security: true//' m3/notes.yaml
sed -i 's/SELECT id, name FROM active_accounts/SELECT id, nme FROM active_accounts/' m3/objects.sql
out=$(run m3 plan)
like "a broken view is refused with the server's error" "$out" \
    "^-- refused: change view public.named_accounts: would fail: column \"nme\" does not exist"

# safe means it will apply: a new view calling a function nobody made is
# refused at plan time, the rest of the plan applies
rm -rf m4; cp -r m m4
sed -i 's/^row_level_security: true//' m4/notes.yaml
printf '\nCREATE VIEW missing_fn AS SELECT no_such_fn(id) FROM notes;\nCREATE VIEW fine AS SELECT id FROM notes;\n' >>m4/objects.sql
out=$(run m4 plan)
like "a new view calling a missing function: refused" "$out" \
    "^-- refused: create view public.missing_fn: would fail: function no_such_fn\\(bigint\\) does not exist at m4/objects.sql:26:34\$"
# a new view naming a missing column, a new SQL function whose body names
# a missing table, a changed SQL function body naming a missing column:
# each tried before anything runs (a view as a temporary copy, a LANGUAGE
# sql body with check_function_bodies on) and refused with the server's
# error at its place in the model file
rm -rf m6; cp -r m4 m6
printf 'CREATE VIEW bad_col AS\n    SELECT id, nothing FROM notes;\nCREATE FUNCTION bad_body() RETURNS bigint LANGUAGE sql\n    AS $$ SELECT count(*) FROM no_such_table $$;\n' >>m6/objects.sql
sed -i 's/length(t) > 0/length(nosuch) > 0/' m6/objects.sql
out=$(run m6 plan)
like "a new view naming a missing column: refused at plan time" "$out" \
    "^-- refused: create view public.bad_col: would fail: column \"nothing\" does not exist at m6/objects.sql:29:16\$"
like "a new SQL function whose body names a missing table: refused" "$out" \
    "^-- refused: create function public.bad_body: would fail: relation \"no_such_table\" does not exist at m6/objects.sql:31:32\$"
like "a changed SQL function body naming a missing column: refused" "$out" \
    "^-- refused: change function public.is_name: would fail: column \"nosuch\" does not exist at m6/objects.sql:3:48\$"
like "the rest of the plan is still safe" "$out" \
    "^-- safe: create view public.fine: new view"
# what names something the same plan makes is not tried (it could not
# be yet): a plpgsql variable of a new enum, a view on a new table
printf 'enums:\n  mood: [calm, busy]\ntable: later\ncolumns:\n  id: bigint\n' >m6/later.yaml
printf 'CREATE FUNCTION first_mood() RETURNS text LANGUAGE plpgsql AS $$\nDECLARE m mood;\nBEGIN m := %s; RETURN m::text; END $$;\nCREATE VIEW later_ids AS SELECT id FROM later;\n' "'calm'" >>m6/objects.sql
out=$(run m6 plan)
like "a new function on a type the plan makes is not tried: safe" "$out" \
    "^-- safe: create function public.first_mood: new function"
like "a new view on a table the plan makes is not tried: safe" "$out" \
    "^-- safe: create view public.later_ids: new view"

# a function the database has whose body does not check (made with
# check_function_bodies off, as pg_dump restores): in sync while the
# model does not change it
q "SET check_function_bodies = off; CREATE FUNCTION lazy() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM not_yet'"
rm -rf m7; cp -r m4 m7
printf "CREATE FUNCTION lazy() RETURNS bigint LANGUAGE sql\n    AS 'SELECT count(*) FROM not_yet';\n" >>m7/objects.sql
unlike "an unchanged function whose body does not check is in sync" \
    "$(run m7 plan)" "lazy"
q "DROP FUNCTION lazy()"

out=$(run m4 once); rc=$?
is "--once applies the rest and exits 0" "$rc" 0
is "the other new view is there, the refused one not" \
    "$(q "SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE viewname IN ('missing_fn', 'fine')")" "fine"

# comments: COMMENT ON a view or function after it in a model file
rm -rf m8; cp -r m4 m8
printf "COMMENT ON VIEW fine IS 'fine ids';\nCREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS 'SELECT upper(t)';\nCOMMENT ON FUNCTION shout(text) IS 'louder';\n" >>m8/objects.sql
out=$(run m8 plan)
like "a view's comment the database lacks: COMMENT ON (safe)" "$out" \
    "^-- safe: comment public.fine: view comment"
like "a new function is made with its comment" "$out" \
    "^COMMENT ON FUNCTION \"public\".\"shout\" IS 'louder';"
run m8 once >/dev/null
is "both comments are there" "$(q "SELECT obj_description('fine'::regclass, 'pg_class') || '/' || obj_description('shout(text)'::regprocedure, 'pg_proc')")" "fine ids/louder"
unlike "then no comment is planned" "$(run m8 plan)" "comment"
sed -i "s/'louder'/'loudest'/" m8/objects.sql
like "a changed function comment: COMMENT ON with its arguments" "$(run m8 plan)" \
    "^COMMENT ON FUNCTION \"public\".\"shout\"\\(t text\\) IS 'loudest';"
sed -i "/^COMMENT ON VIEW fine/d" m8/objects.sql
like "a view comment the models do not say is drift" "$(run m8 plan)" \
    "^-- drift: comment public.fine: view comment is not in the models"

# a view as pg_get_viewdef() prints it (what --pull writes): a NULL in a
# later arm of a UNION is printed "NULL::bigint" without a name and is
# named "int8" when that text is parsed again; such names name nothing
q "CREATE VIEW union_ids AS SELECT * FROM (SELECT id, id AS ref FROM notes UNION ALL SELECT id, NULL FROM accounts) q"
rm -rf m5; cp -r m m5
sed -i 's/^row_level_security: true//' m5/notes.yaml
{ printf '\nCREATE VIEW union_ids AS\n'; q "SELECT pg_get_viewdef('union_ids')"; } >>m5/objects.sql
out=$(run m5 plan)
unlike "a view written as pg_get_viewdef prints it is in sync" "$out" \
    "union_ids"
sed -i 's/NULL::bigint/0::bigint/' m5/objects.sql
like "a change in a later arm of the UNION is still a change" \
    "$(run m5 plan)" "^-- safe: replace view public.union_ids: its definition differs"
q "DROP VIEW union_ids"

# Lemmy's schema r: under the file's search_path a function takes a
# table of public that the same plan makes, and SQL-standard bodies name
# an argument as function.argument (as PostgreSQL prints them)
q "CREATE SCHEMA r"
rm -rf m9; cp -r m4 m9
printf 'table: tallies\ncolumns:\n  id: bigint\n  n: integer\n' >m9/tallies.yaml
cat >m9/r.sql <<'SQL'
SET search_path TO r, public;
CREATE FUNCTION r.n_of(agg tallies) RETURNS integer LANGUAGE sql IMMUTABLE
    RETURN agg.n;
CREATE FUNCTION r.plus_one(n integer) RETURNS integer LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT plus_one.n + 1;
END;
SQL
out=$(run m9 plan)
like "a function taking a table the plan makes, found through the file's search_path: safe" \
    "$out" "^-- safe: create function r.n_of: new function"
like "a body naming its argument as function.argument is tried: safe" \
    "$out" "^-- safe: create function r.plus_one: new function"
out=$(run m9 once); rc=$?
is "both apply" "$rc" 0
is "and run" "$(q "SELECT r.plus_one(1) || ' ' || (SELECT count(*) FROM pg_proc WHERE proname = 'n_of')")" "2 1"
unlike "then in sync: compared under their own names" "$(run m9 plan)" \
    "n_of|plus_one"

# a view over a table this plan refuses (its index calls a function no
# model makes: MusicBrainz's musicbrainz_unaccent) is refused with it,
# named unqualified under the file's search_path: not "safe" and then
# "relation does not exist" at apply (bench/sqlobj_real.sh)
mkdir -p m10
cat >m10/things.yaml <<'EOF'
schema: vt
table: things
columns:
  id: { type: bigint, primary_key: true }
  name: text
indexes:
  - { columns: ["lower(vt.no_such_fn(name))"], name: things_name_fn }
EOF
cat >m10/views.sql <<'EOF'
SET search_path TO vt, public;
CREATE VIEW thing_ids AS SELECT id FROM things;
EOF
out=$(run m10 plan)
like "a model's schema is made plainly (not IF NOT EXISTS)" "$out" \
    '^CREATE SCHEMA "vt";'
like "the table is refused (its index's function)" "$out" \
    "^-- refused: create table vt.things: would fail: function"
like "the view over it is refused with it" "$out" \
    "^-- refused: create view vt.thing_ids: needs create table vt.things, which is refused"
out=$(run m10 once); rc=$?
is "once: exit 0, nothing failed" "$rc" 0
unlike "once: no 'does not exist' at apply" "$out" "cannot apply|relation .* does not exist"
is "neither made" "$(q "SELECT to_regclass('vt.things') IS NULL AND to_regclass('vt.thing_ids') IS NULL")" t
# the same view already there, reading something else: its replacement
# over the refused table is refused too
q "CREATE VIEW vt.thing_ids AS SELECT 1::bigint AS id" >/dev/null
out=$(run m10 plan)
like "a replaced view over a refused table is refused" "$out" \
    "^-- refused: (replace|change) view vt.thing_ids: "
unlike "and not planned safe" "$out" "^-- safe: (replace|change) view vt.thing_ids"
q "DROP VIEW vt.thing_ids; DROP SCHEMA vt" >/dev/null

# a bad model SQL file: file:line:col, nothing touched
before=$(schema_snapshot)
printf 'CREATE VIEW ok AS SELECT 1;\nDROP TABLE notes;\n' >m3/bad.sql
out=$(run m3 once); rc=$?
is "a bad model SQL file fails" "$rc" 1
like "with its file:line:col" "$out" "m3/bad.sql:2:1: DROP TABLE is not a model object"
is "the database stays as it was" "$(schema_snapshot)" "$before"
