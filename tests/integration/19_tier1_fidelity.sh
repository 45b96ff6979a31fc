# 19_tier1_fidelity.sh - issue 13: the diff never calls a different
# database in sync.  Each index and key option is built alone in SQL on a
# fresh database, then planned twice: against the plain model (no
# option), which must give a change naming the object, and against the
# model that says the option, which must give "no changes".  A property
# the catalog stops reading or the planner stops comparing fails the
# first half; one read or written differently fails the second.
. "$(dirname "$0")/../lib/testlib.sh" 2>/dev/null || . "$OLDPWD/tests/lib/testlib.sh"

mkdir -p migrations
n=0

# model DIR BCOL EXTRA [ACOL]: the models of tables r and t
model() {
	mkdir -p "$1"
	printf 'table: r\ncolumns:\n  id: { type: bigint, primary_key: true }\n' \
	    >"$1/r.yaml"
	printf 'table: t\ncolumns:\n  id: { type: bigint, primary_key: true }\n  a: %s\n  b: %s\n  c: timestamptz\n  j: jsonb\n%s\n' \
	    "${4:-text}" "$2" "$3" >"$1/t.yaml"
}

plan() {	# plan DB DIR
	"$MIGRATED" --database "dbname=$1" --models "$2" --migrations migrations \
	    --plan 2>&1
}

# variant NAME SQL PLAIN_EXTRA MATCH_EXTRA [PLAIN_B MATCH_B [A]]
variant() {
	name=$1; n=$((n + 1)); db="${TESTDB}_v$n"
	psql -qAtX -d "$TESTDB" -c "DROP DATABASE IF EXISTS \"$db\"" \
	    -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1
	psql -qAtX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || _fail "$name: setup"
CREATE TABLE r (id bigint PRIMARY KEY);
CREATE TABLE t (id bigint PRIMARY KEY, a text, b bigint, c timestamptz, j jsonb);
INSERT INTO r VALUES (1);
INSERT INTO t VALUES (1, 'x', 1, now(), '{}');
$2;
SQL
	model "$n.plain" "${5:-bigint}" "$3" "${7:-text}"
	model "$n.match" "${6:-bigint}" "$4" "${7:-text}"
	out=$(plan "$db" "$n.plain")
	like "$name: the plain model is a change" "$out" \
	    '^-- (safe|refused): (change index|alter constraint|change constraint) '
	unlike "$name: the plain model is not in sync" "$out" '^-- no changes'
	out=$(plan "$db" "$n.match")
	like "$name: the model that says it is in sync" "$out" '^-- no changes'
	psql -qAtX -d "$TESTDB" -c "DROP DATABASE \"$db\"" >/dev/null
}

variant "DESC" "CREATE INDEX t_c_idx ON t (c DESC)" \
    "indexes: [[c]]" "indexes: [[{ column: c, order: desc }]]"
variant "NULLS FIRST" "CREATE INDEX t_a_idx ON t (a NULLS FIRST)" \
    "indexes: [[a]]" "indexes: [[{ column: a, nulls: first }]]"
variant "DESC NULLS LAST" "CREATE INDEX t_c_idx ON t (c DESC NULLS LAST)" \
    "indexes: [[c]]" "indexes: [[{ column: c, order: desc, nulls: last }]]"
variant "opclass text_pattern_ops" \
    "CREATE INDEX t_a_idx ON t (a text_pattern_ops)" "indexes: [[a]]" \
    "indexes: [[{ column: a, opclass: text_pattern_ops }]]"
variant "opclass of an expression" \
    "CREATE INDEX t_l ON t (lower(a) text_pattern_ops)" \
    "indexes: [{ name: t_l, columns: [\"lower(a)\"] }]" \
    "indexes: [{ name: t_l, columns: [{ expression: \"lower(a)\", opclass: text_pattern_ops }] }]"
variant "gin opclass jsonb_path_ops" \
    "CREATE INDEX t_j_idx ON t USING gin (j jsonb_path_ops)" \
    "indexes: [{ columns: [j], method: gin }]" \
    "indexes: [{ columns: [{ column: j, opclass: jsonb_path_ops }], method: gin }]"
variant "COLLATE \"C\"" "CREATE INDEX t_a_idx ON t (a COLLATE \"C\")" \
    "indexes: [[a]]" "indexes: [[{ column: a, collation: C }]]"
# the catalog prints a definition only where an option may be: this one
# is seen through the column's own collation
variant "COLLATE \"default\" on a \"C\" column" \
    "ALTER TABLE t ALTER COLUMN a TYPE text COLLATE \"C\"; CREATE INDEX t_a_idx ON t (a COLLATE \"default\")" \
    "indexes: [[a]]" "indexes: [[{ column: a, collation: default }]]" \
    bigint bigint "{ type: text, collation: C }"
# unnamed: PostgreSQL's default name counts the INCLUDE columns, and so
# does the model's
variant "INCLUDE" "CREATE INDEX ON t (b) INCLUDE (a)" \
    "indexes: [{ name: t_b_a_idx, columns: [b] }]" \
    "indexes: [{ columns: [b], include: [a] }]"
variant "NULLS NOT DISTINCT" \
    "CREATE UNIQUE INDEX t_a_idx ON t (a) NULLS NOT DISTINCT" \
    "indexes: [{ columns: [a], unique: true }]" \
    "indexes: [{ columns: [a], unique: true, nulls_not_distinct: true }]"
variant "DEFERRABLE foreign key" \
    "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES r (id) DEFERRABLE" "" "" \
    "{ type: bigint, references: r }" \
    "{ type: bigint, references: { table: r, deferrable: true } }"
variant "INITIALLY DEFERRED foreign key" \
    "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES r (id) DEFERRABLE INITIALLY DEFERRED" \
    "" "" "{ type: bigint, references: r }" \
    "{ type: bigint, references: { table: r, deferrable: true, initially_deferred: true } }"
variant "MATCH FULL foreign key" \
    "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES r (id) MATCH FULL" "" "" \
    "{ type: bigint, references: r }" \
    "{ type: bigint, references: { table: r, match: full } }"
variant "DEFERRABLE unique key" \
    "ALTER TABLE t ADD UNIQUE (a) DEFERRABLE" \
    "unique: [[a]]" "unique: [{ columns: [a], deferrable: true }]"
variant "INITIALLY DEFERRED unique key" \
    "ALTER TABLE t ADD UNIQUE (a) DEFERRABLE INITIALLY DEFERRED" \
    "unique: [[a]]" \
    "unique: [{ columns: [a], deferrable: true, initially_deferred: true }]"
variant "NULLS NOT DISTINCT unique key" \
    "ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a)" \
    "unique: [[a]]" "unique: [{ columns: [a], nulls_not_distinct: true }]"
variant "INCLUDE in a unique key" \
    "ALTER TABLE t ADD UNIQUE (a) INCLUDE (b)" \
    "unique: [{ name: t_a_b_key, columns: [a] }]" \
    "unique: [{ columns: [a], include: [b] }]"

# ---- evolution: making a foreign key deferrable is applied (safe) ----
db="${TESTDB}_evo"
psql -qAtX -d "$TESTDB" -c "DROP DATABASE IF EXISTS \"$db\"" \
    -c "CREATE DATABASE \"$db\"" >/dev/null 2>&1
psql -qAtX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE TABLE r (id bigint PRIMARY KEY);
CREATE TABLE t (id bigint PRIMARY KEY, a text, b bigint REFERENCES r, c timestamptz, j jsonb);
INSERT INTO r VALUES (1);
INSERT INTO t VALUES (1, 'x', 1, now(), '{}');
SQL
model evo "{ type: bigint, references: { table: r, deferrable: true, initially_deferred: true } }" ""
out=$(plan "$db" evo)
like "evolution: making a key deferrable is safe" "$out" \
    '^-- safe: alter constraint public\.t\.t_b_fkey: NOT DEFERRABLE -> DEFERRABLE INITIALLY DEFERRED'
out=$("$MIGRATED" --database "dbname=$db" --models evo --migrations migrations --once 2>&1)
is "evolution: applied" "$?" 0
is "evolution: the key is deferred in the database" \
    "$(psql -qAtX -d "$db" -c "SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = 't_b_fkey'")" "t|t"
like "evolution: then in sync" "$(plan "$db" evo)" '^-- no changes'
psql -qAtX -d "$TESTDB" -c "DROP DATABASE \"$db\"" >/dev/null
