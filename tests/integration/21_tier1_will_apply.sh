# 21_tier1_will_apply.sh - issue 13: "safe" means it will apply.  Each
# class of change that would fail at apply is refused at plan time with
# its reason and a hint, while the rest of the plan applies (--once exits
# 0, nothing refused is left half made); with what it needs (an
# extension, an operator class) the same model applies and is then in
# sync.  Also: extensions are created before the tables that use their
# types, operator classes and functions; a database made with serial
# columns is in sync with a model that says serial.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p migrations
n=0

run() {	# run DB DIR MODE
	"$MIGRATED" --database "dbname=$1" --models "$2" --migrations migrations \
	    "--$3" 2>&1
}

fresh() {	# fresh NAME: an empty database, its name in $db
	db="${TESTDB}_$1"
	psql -qAtX -d "$TESTDB" -c "DROP DATABASE IF EXISTS \"$db\"" \
	    -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1
}

# refused NAME MODEL-TEXT REASON HINT: t.yaml says MODEL-TEXT; a second
# table u (which references nothing) must still be created
refused() {
	n=$((n + 1)); fresh "r$n"; dir="m$n"
	mkdir -p "$dir"
	printf '%s' "$2" >"$dir/t.yaml"
	printf 'table: u\ncolumns:\n  id: { type: bigint, primary_key: true }\n' >"$dir/u.yaml"
	out=$(run "$db" "$dir" plan)
	like "$1: refused at plan time" "$out" "^-- refused: [a-z ]+ public\\.t.*: $3"
	like "$1: with a hint" "$out" "^--   hint: .*$4"
	out=$(run "$db" "$dir" once); rc=$?
	is "$1: --once applies the rest and exits 0" "$rc" 0
	unlike "$1: nothing failed at apply" "$out" "cannot apply"
	is "$1: the refused table is not there, the other one is" \
	    "$(psql -qAtX -d "$db" -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('t', 'u')")" "u"
}

refused "missing extension type" \
    'extensions: [pg_trgm]
table: t
columns:
  id: { type: bigint, primary_key: true }
  email: citext
' 'would fail: type "citext" does not exist \(column .email.\)' \
    "add 'extensions: \\[citext\\]'"
refused "no default operator class" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  title: text
indexes:
  - { columns: [title], method: gin }
' 'would fail: type text has no default operator class for access method "gin"' \
    "name an operator class .*gin_trgm_ops"
refused "no default operator class for an expression key" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  title: { type: varchar(80) }
indexes:
  - { columns: ["lower(title)"], method: gin }
' 'would fail: type text has no default operator class for access method "gin" \(index key .lower\(title\)., an expression of that type\)' \
    "name an operator class .*gin_trgm_ops"
refused "operator class that does not exist" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  title: text
indexes:
  - { columns: [{ column: title, opclass: gin_trgm_ops }], method: gin }
' 'would fail: operator class "gin_trgm_ops" does not exist for access method "gin"' \
    "add 'extensions: \\[pg_trgm\\]'"
refused "missing function in a default" \
    'table: t
columns:
  id: { type: uuid, primary_key: true, default: uuid_generate_v4() }
' 'would fail: function uuid_generate_v4\(\) does not exist \(column .id.\)' \
    "add 'extensions: \\[uuid-ossp\\]'"
refused "missing function in a check" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  a: { type: text, check: "no_such_fn(a)" }
' 'would fail: function no_such_fn\(\) does not exist' \
    "create it first"
refused "missing collation" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  name: { type: text, collation: xx_NOPE }
' 'would fail: collation "xx_NOPE" does not exist' "pg_collation"

# ---- an extension the server does not have ----
n=$((n + 1)); fresh "x$n"; mkdir -p "x$n"
printf 'extensions: [citext, no_such_extension]\ntable: u\ncolumns:\n  id: bigint\n  e: citext\n' >"x$n/u.yaml"
out=$(run "$db" "x$n" plan)
like "unavailable extension: refused" "$out" \
    '^-- refused: create extension no_such_extension: would fail: extension "no_such_extension" is not available'
like "unavailable extension: the one that exists is safe" "$out" \
    '^-- safe: create extension citext'
like "unavailable extension: a table that needs only the other is safe" "$out" \
    '^-- safe: create table public\.u'
out=$(run "$db" "x$n" once); rc=$?
is "unavailable extension: --once exits 0" "$rc" 0
is "unavailable extension: citext and u were made" \
    "$(psql -qAtX -d "$db" -c "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'citext'), to_regclass('u') IS NOT NULL")" "1|t"

# ---- a dependent change is refused with what it depends on ----
n=$((n + 1)); fresh "d$n"; mkdir -p "d$n"
printf 'table: t\ncolumns:\n  id: { type: bigint, primary_key: true }\n  n: { type: text, collation: xx_NOPE }\n' >"d$n/t.yaml"
printf 'table: v\ncolumns:\n  id: { type: bigint, primary_key: true }\n  t_id: { type: bigint, references: t }\n' >"d$n/v.yaml"
out=$(run "$db" "d$n" plan)
like "dependent: the table that references a refused one is refused" "$out" \
    '^-- refused: create table public\.v: needs create table public\.t, which is refused'
out=$(run "$db" "d$n" once); rc=$?
is "dependent: --once exits 0" "$rc" 0

# ---- with what they need, the same models apply and are in sync ----
fresh ok; mkdir -p good
cat >good/t.yaml <<'EOF'
extensions: [citext, pg_trgm, pgcrypto]
table: t
columns:
  id: { type: uuid, primary_key: true, default: gen_random_uuid() }
  email: { type: citext, not_null: true, unique: true }
  title: text
  h: { type: text, default: "encode(digest('x', 'sha256'), 'hex')" }
  n: { type: bigserial }
  code: { type: text, collation: C }
  title_lc: { type: text, generated: "lower(title)" }
  score: posint
indexes:
  - { columns: [{ column: title, opclass: gin_trgm_ops }], method: gin }
  - { columns: ["lower(title)", "(n + 1)"] }   # expression keys, btree
domains:
  posint: { type: integer, default: 1, check: "VALUE > 0" }
sequences:
  ticket_no: { start: 1000, increment: 10 }
EOF
out=$(run "$db" good plan)
like "extensions come first" "$(printf '%s\n' "$out" | grep '^-- safe' | head -1)" \
    '^-- safe: create extension citext'
out=$(run "$db" good once); rc=$?
is "with the extensions: applied" "$rc" 0
like "with the extensions: everything safe" "$out" "applied 6 changes, .* \\(0 refused, 0 drift\\)"
like "then in sync" "$(run "$db" good plan)" '^-- no changes'
is "serial made a sequence the column owns" \
    "$(psql -qAtX -d "$db" -c "SELECT pg_get_serial_sequence('t', 'n')")" "public.t_n_seq"
is "the generated column computes" \
    "$(psql -qAtX -d "$db" -c "INSERT INTO t (email, title) VALUES ('A@x', 'Hello') RETURNING title_lc, n, score")" "hello|1|1"
is "citext compares without case" \
    "$(psql -qAtX -d "$db" -c "SELECT count(*) FROM t WHERE email = 'a@X'")" "1"
out=$(run "$db" good once)
like "a second --once is up to date" "$out" "up to date"

# ---- a default that draws from a sequence (a relation named as text) ----
refused "a sequence that does not exist" \
    'table: t
columns:
  id: { type: bigint, primary_key: true }
  n: { type: bigint, default: "nextval('"'"'nope_seq'"'"'::regclass)" }
' 'would fail: relation "nope_seq" does not exist when this runs \(column .n.\)' \
    "under 'sequences:'"
# a serial column's sequence is made with its table: a default of a table
# made before that one would fail; made after it, it applies
n=$((n + 1)); fresh "q$n"; mkdir -p "q$n"
printf 'table: a\ncolumns:\n  id: { type: bigint, primary_key: true }\n  n: { type: bigint, default: "nextval('"'"'zz_id_seq'"'"'::regclass)" }\n' >"q$n/a.yaml"
printf 'table: zz\ncolumns:\n  id: { type: bigserial, primary_key: true }\n' >"q$n/zz.yaml"
plan=$(run "$db" "q$n" plan)
out=$(run "$db" "q$n" once); rc=$?
is "serial sequence of another new table: --once exits 0" "$rc" 0
unlike "serial sequence of another new table: nothing failed at apply" "$out" "cannot apply"
made=$(psql -qAtX -d "$db" -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('a', 'zz')")
if [ "$made" = "a,zz" ]; then
	unlike "serial sequence of another new table: made first, so not refused" \
	    "$plan" "refused"
else
	is "serial sequence of another new table: only zz made" "$made" "zz"
	like "serial sequence of another new table: refused with the reason" \
	    "$plan" 'would fail: relation "zz_id_seq" does not exist when this runs'
fi
# a sequence the models declare is made before every table
n=$((n + 1)); fresh "q$n"; mkdir -p "q$n"
printf 'sequences:\n  ticket_seq: {}\n' >"q$n/_seq.yaml"
printf 'table: a\ncolumns:\n  id: { type: bigint, primary_key: true }\n  n: { type: bigint, default: "nextval('"'"'ticket_seq'"'"'::regclass)" }\n' >"q$n/a.yaml"
out=$(run "$db" "q$n" once); rc=$?
is "a declared sequence: --once exits 0" "$rc" 0
is "a declared sequence: the table is made" \
    "$(psql -qAtX -d "$db" -c "SELECT count(*) FROM pg_class WHERE relname = 'a'")" 1

# ---- a database made with serial columns, modelled as serial ----
fresh serial
psql -qAtX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE TABLE s (id bigserial PRIMARY KEY, n serial, m smallserial, note text);
INSERT INTO s (note) VALUES ('x');
SQL
mkdir -p ser
printf 'table: s\ncolumns:\n  id: { type: bigserial, primary_key: true }\n  n: serial\n  m: smallserial\n  note: text\n' >ser/s.yaml
like "serial database, serial model: in sync" "$(run "$db" ser plan)" '^-- no changes'
printf 'table: s\ncolumns:\n  id: { type: bigint, primary_key: true, default: "nextval('"'"'s_id_seq'"'"'::regclass)" }\n  n: { type: integer, not_null: true, default: "nextval('"'"'s_n_seq'"'"'::regclass)" }\n  m: { type: smallint, not_null: true, default: "nextval('"'"'s_m_seq'"'"'::regclass)" }\n  note: text\n' >ser/s.yaml
like "serial database, nextval model (the old spelling): in sync" \
    "$(run "$db" ser plan)" '^-- no changes'
printf 'table: s\ncolumns:\n  id: { type: bigserial, primary_key: true }\n  n: serial\n  m: smallserial\n  note: text\n  k: serial\n' >ser/s.yaml
out=$(run "$db" ser plan)
like "a serial column added to a table with rows is refused (rewrite)" "$out" \
    '^-- refused: add column public\.s\.k: a volatile default rewrites'

# ---- clean up the databases this file made by name ----
psql -qAtX -d "$TESTDB" -c "DROP DATABASE IF EXISTS \"${TESTDB}_ok\"" \
    -c "DROP DATABASE IF EXISTS \"${TESTDB}_serial\"" >/dev/null
