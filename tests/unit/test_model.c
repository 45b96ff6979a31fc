/* test_model.c - YAML models: canonical types, expressions, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "schema.h"

static void
test_type_canon(void **state)
{
	static const char *const cases[][2] = {
		{ "int", "integer" }, { "int4", "integer" },
		{ "integer", "integer" }, { "INT8", "bigint" },
		{ "smallint", "smallint" }, { "varchar(20)",
		"character varying(20)" }, { "character varying(7)",
		"character varying(7)" }, { "varchar", "character varying" },
		{ "text", "text" }, { "timestamptz", "timestamp with time zone" },
		{ "timestamp with time zone", "timestamp with time zone" },
		{ "timestamp(3) with time zone",
		"timestamp(3) with time zone" }, { "timestamptz(3)",
		"timestamp(3) with time zone" }, { "timestamp",
		"timestamp without time zone" }, { "numeric(12,2)",
		"numeric(12,2)" }, { "numeric(5)", "numeric(5,0)" },
		{ "decimal", "numeric" }, { "bool", "boolean" },
		{ "float8", "double precision" }, { "double precision",
		"double precision" }, { "real", "real" }, { "char(3)",
		"character(3)" }, { "char", "character(1)" }, { "uuid", "uuid" },
		{ "jsonb", "jsonb" }, { "text[]", "text[]" }, { "int4[]",
		"integer[]" }, { "varchar(5)[]", "character varying(5)[]" },
		{ "integer[][]", "integer[]" }, { "time", "time without time zone" },
		{ "timetz", "time with time zone" }, { "interval", "interval" },
		{ "pg_catalog.int4", "integer" },
	};
	struct merr e;
	char *out;
	int arr;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		merr_clear(&e);
		assert_int_equal(schema_type_canon(cases[i][0], &out, &arr, &e),
		    0);
		assert_string_equal(out, cases[i][1]);
		free(out);
	}
	assert_int_equal(schema_type_canon("strng", &out, &arr, &e), -1);
	assert_string_equal(e.msg, "unknown type 'strng'");
	assert_int_equal(schema_type_canon("int; drop table x", &out, &arr,
	    &e), -1);
	assert_int_equal(schema_type_canon("myschema.thing", &out, &arr, &e),
	    -1);
	assert_int_equal(schema_type_canon("numeric(1,2,3)", &out, &arr, &e),
	    -1);
}

static void
test_expr_equal(void **state)
{
	/* model spelling vs what PostgreSQL prints */
	static const char *const same[][2] = {
		{ "now()", "now()" }, { "'{}'", "'{}'::jsonb" },
		{ "0", "0" }, { "-1", "'-1'::integer" }, { "false", "false" },
		{ "'active'", "'active'::character varying" },
		{ "'x'::varchar", "'x'::character varying" },
		{ "char_length(username) >= 3",
		"(char_length((username)::text) >= 3)" },
		{ "email LIKE '%@%'", "((email)::text ~~ '%@%'::text)" },
		{ "code IN ('a', 'b')",
		"(code = ANY (ARRAY['a'::bpchar, 'b'::bpchar]))" },
		{ "lower(email)", "lower((email)::text)" },
		{ "balance > 1000 AND flag",
		"((balance > (1000)::numeric) AND flag)" },
		{ "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP" },
		{ "1.5", "1.5" }, { "'it''s'", "'it''s'::text" },
		{ "pg_catalog.now()", "now()" },
		{ "qty BETWEEN 1 AND 5", "((qty >= 1) AND (qty <= 5))" },
		{ "qty NOT BETWEEN 1 AND 5", "((qty < 1) OR (qty > 5))" },
		{ "code NOT IN ('a', 'b')",
		"((code)::text <> ALL ((ARRAY['a'::character varying, "
		"'b'::character varying])::text[]))" },
		{ "name ILIKE 'x%'", "((name)::text ~~* 'x%'::text)" },
		{ "seen > now() - interval '1 day'",
		"(seen > (now() - '1 day'::interval))" },
	};
	static const char *const differ[][2] = {
		{ "now()", "clock_timestamp()" }, { "0", "1" },
		{ "'a'", "'b'::text" }, { "qty >= 0", "(qty > 0)" },
		{ "a AND b", "a OR b" }, { "-1", "1" }, { "true", "false" },
		{ "x IN (1, 2)", "x = ANY (ARRAY[1, 3])" },
		{ "x BETWEEN 1 AND 5", "((x >= 1) AND (x <= 6))" },
		{ "x NOT IN (1, 2)", "x = ANY (ARRAY[1, 2])" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!schema_expr_equal(same[i][0], same[i][1]))
			fail_msg("expected equal: %s | %s", same[i][0],
			    same[i][1]);
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++)
		if (schema_expr_equal(differ[i][0], differ[i][1]))
			fail_msg("expected different: %s | %s", differ[i][0],
			    differ[i][1]);
	assert_true(schema_expr_equal(NULL, NULL));
	assert_false(schema_expr_equal("1", NULL));
}

static void
test_default_name(void **state)
{
	char *cols[] = { "provider", "provider_user_id", NULL }, *n;
	char *longc[] = { "a_very_long_column_name_that_goes_on_and_on",
	    "and_another_one_just_as_long", NULL };

	(void)state;
	n = schema_default_name("social_accounts", cols, "key");
	assert_string_equal(n, "social_accounts_provider_provider_user_id_key");
	free(n);
	n = schema_default_name("users", NULL, "pkey");
	assert_string_equal(n, "users_pkey");
	free(n);
	n = schema_default_name("t", longc, "fkey");
	assert_int_equal(strlen(n), 63);
	assert_string_equal(n + 58, "_fkey");
	free(n);
}

static const char full[] =
    "schema: app\n"
    "table: orders\n"
    "comment: all orders\n"
    "enums:\n"
    "  state: [new, paid]\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true }\n"
    "  region: { type: int, primary_key: true }\n"
    "  state: { type: state, not_null: true, default: \"'new'\" }\n"
    "  total: { type: \"numeric(10,2)\", check: \"total >= 0\" }\n"
    "  parent: { type: bigint, references: { table: orders, column: id,"
    " on_delete: set null } }\n"
    "  tags: \"text[]\"\n"
    "unique:\n"
    "  - [region, total]\n"
    "foreign_keys:\n"
    "  - { columns: [parent, region], references: orders,"
    " on_update: cascade }\n"
    "checks:\n"
    "  - \"total < 1000000\"\n"
    "indexes:\n"
    "  - { columns: [state, \"lower(tags::text)\"], where: \"total > 0\" }\n"
    "  - { name: orders_tags, columns: [tags], method: gin }\n";

static void
test_full(void **state)
{
	struct schema *s;
	struct sch_table *t;
	struct sch_constraint *c;
	struct merr e;

	(void)state;
	merr_clear(&e);
	if (model_load_string("orders.yaml", full, &s, &e) == -1)
		fail_msg("%s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	assert_non_null(t = schema_find_table(s, "app", "orders"));
	assert_string_equal(t->comment, "all orders");
	assert_non_null(schema_find_enum(s, "app", "state"));
	assert_string_equal(schema_find_column(t, "state")->type, "app.state");
	assert_true(schema_find_column(t, "state")->is_enum);
	assert_string_equal(schema_find_column(t, "total")->type,
	    "numeric(10,2)");
	assert_true(schema_find_column(t, "region")->notnull);
	assert_non_null(c = schema_find_pk(t));
	assert_string_equal(c->name, "orders_pkey");
	assert_string_equal(c->cols[1], "region");
	assert_non_null(c = schema_find_constraint(t, "orders_parent_fkey"));
	assert_int_equal(c->on_delete, 'n');
	assert_string_equal(c->ref_cols[0], "id");
	assert_non_null(c = schema_find_constraint(t,
	    "orders_parent_region_fkey"));
	assert_int_equal(c->on_update, 'c');
	assert_string_equal(c->ref_cols[1], "region");	/* the PK */
	assert_non_null(schema_find_constraint(t, "orders_total_check"));
	assert_non_null(c = schema_find_constraint(t, "orders_check"));
	assert_string_equal(c->expr, "total < 1000000");
	assert_non_null(schema_find_constraint(t, "orders_region_total_key"));
	assert_non_null(schema_find_index(t, "orders_state_expr_idx"));
	assert_string_equal(schema_find_index(t, "orders_tags")->method, "gin");
	assert_int_equal(c->pos.line, 18);
	assert_string_equal(c->pos.file, "orders.yaml");
	schema_free(s);
}

static void
expect_error(const char *text, const char *msg, int line, int col,
    const char *field)
{
	struct schema *s;
	struct merr e;

	merr_clear(&e);
	assert_int_equal(model_load_string("m.yaml", text, &s, &e), -1);
	assert_null(s);
	assert_int_equal(e.code, MERR_INPUT);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("got '%s', want '%s'", e.msg, msg);
	assert_string_equal(e.file, "m.yaml");
	if (e.line != line || e.col != col)
		fail_msg("'%s' at %d:%d, want %d:%d", e.msg, e.line, e.col,
		    line, col);
	if (field)
		assert_string_equal(e.field, field);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("table: t\ncolumns:\n  id: { type: int, nul: true }\n",
	    "unknown key 'nul' in column", 3, 20, "nul");
	expect_error("table: t\ncolumns:\n  id: { type: integr }\n",
	    "unknown type 'integr' for column 'id'", 3, 15, "type");
	expect_error("table: t\ncolumns:\n  id: { type: citext }\n",
	    "unknown type 'citext' for column 'id'", 3, 15, "type");
	expect_error("table: t\ncolumns:\n"
	    "  id: { type: bigserial, default: 1 }\n",
	    "column 'id' is serial (its sequence gives the values): it cannot "
	    "have 'default'", 3, 15, "default");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "  b: { type: int, generated: \"a * 2\", identity: always }\n",
	    "column 'b' is generated: it cannot have 'identity'", 4, 14,
	    "identity");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "  b: { type: int, generated: \"a *\" }\n",
	    "'generated': invalid SQL expression", 4, 30, "generated");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "  b: { type: int, generated: \"a * 2\", default: 1 }\n",
	    "column 'b' is generated: it cannot have 'default'", 4, 14,
	    "default");
	expect_error("table: t\ncolumns:\n  a: { type: text, collation: \"\" }\n",
	    "'collation' must be a name of 1 to 63 bytes", 3, 31, "collation");
	expect_error("extensions: [citext, citext]\n",
	    "duplicate extension 'citext'", 1, 22, "extensions");
	expect_error("extensions: { schema: x }\n",
	    "'extensions' must be a list", 1, 13, "extensions");
	expect_error("extensions: [{ nme: x }]\n",
	    "unknown key 'nme' in extension", 1, 16, "nme");
	expect_error("sequences:\n  s: { type: text }\n",
	    "'type' must be smallint, integer or bigint", 2, 14, "type");
	expect_error("sequences:\n  s: { increment: 0 }\n",
	    "'increment' must not be 0", 2, 19, "increment");
	expect_error("sequences:\n  s: { start: 0 }\n",
	    "sequence 's': start 0 is not between min 1 and max", 2, 6,
	    "start");
	expect_error("sequences:\n  s: { type: smallint, max: 99999 }\n",
	    "sequence 's': min 1 and max 99999 must be in smallint's range", 2,
	    6, "min");
	expect_error("sequences:\n  s: { cache: 0 }\n",
	    "'cache' must be an integer between 1 and", 2, 15, "cache");
	expect_error("domains:\n  d: { not_null: true }\n",
	    "domain 'd' has no 'type'", 2, 3, "d");
	expect_error("domains:\n  d: { type: text, chek: x }\n",
	    "unknown key 'chek' in domain", 2, 20, "chek");
	expect_error("domains:\n  d: { type: strng }\n",
	    "unknown type 'strng' for domain 'd'", 2, 14, "type");
	expect_error("domains:\n  d: { type: int, check: \"VALUE >\" }\n",
	    "'check': invalid SQL expression", 2, 26, "check");
	expect_error("domains:\n  d: int\nenums:\n  d: [a]\n",
	    "duplicate type 'public.d'", 2, 3, "d");
	expect_error("table: t\ncolumns:\n  id: { type: int, identity: yes }\n",
	    "'identity' must be always or by_default", 3, 30, "identity");
	expect_error("table: t\ncolumns:\n  id: { type: text, identity: always }\n",
	    "identity column 'id' must be smallint, integer or bigint, not text",
	    3, 15, "identity");
	expect_error("table: t\ncolumns:\n"
	    "  id: { type: int8, identity: always, default: 1 }\n",
	    "identity column 'id' cannot have a default", 3, 15, "identity");
	expect_error("table: t\ncolumns:\n  a: { type: int, references: x }\n",
	    "references table 'public.x' that no model defines", 3, 31,
	    "references");
	expect_error("table: t\ncolumns:\n  id: int\n  id: text\n",
	    "duplicate key 'id' in columns", 4, 3, "id");
	expect_error("table: t\ncolumns:\n  id: int\nindexes:\n  - [id]\n"
	    "  - [id]\n", "duplicate relation (table, index or key) name "
	    "'t_id_idx'", 6, 5, "name");
	expect_error("table: t\ncolumns:\n  id: { type: int, unique: true }\n"
	    "unique:\n  - [id]\n", "duplicate constraint name 't_id_key'",
	    5, 5, "name");
	expect_error("table: t\ncolumns:\n  id: { type: int, check: \"id >\" }\n",
	    "'check': invalid SQL expression", 3, 27, "check");
	expect_error("table: t\ncolumns:\n  id: int\nprimary_key: [nope]\n",
	    "table 't' has no column 'nope'", 4, 14, "columns");
	/* PostgreSQL would cut a 64-byte name: every identifier is checked */
	expect_error("table: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\ncolumns:\n  a: int\n",
	    "table name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 64 bytes: PostgreSQL names are 1 to 63 bytes",
	    1, 8, "name");
	expect_error("schema: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\ntable: t\ncolumns:\n  a: int\n",
	    "'schema' must be a name of 1 to 63 bytes", 1, 9, "schema");
	expect_error("table: t\ncolumns:\n  a: int\nindexes:\n"
	    "  - { name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, columns: [a] }\n",
	    "'name' must be a name of 1 to 63 bytes", 5, 13, "name");
	expect_error("table: t\ncolumns:\n  a: int\nunique:\n"
	    "  - { name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, columns: [a] }\n",
	    "'name' must be a name of 1 to 63 bytes", 5, 13, "name");
	expect_error("enums:\n  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: [a, b]\n",
	    "enum name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 64 bytes", 2, 3, "name");
	expect_error("enums:\n  mood: [a, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\n",
	    "enum value name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 64 bytes", 2, 3, "name");
	/* found by fuzzing: the default name's parts leaked (make asan) */
	expect_error("table: t\ncolumns:\n  a: int\nindexes:\n  - [a, b]\n",
	    "index key 'b': table 't' has no column 'b'", 5, 5, "columns");
	expect_error("table: t\ncolumns:\n  a: int\nindexes:\n  - [a, "
	    "\"lower(\"]\n", "index key 'lower(':", 5, 5, "columns");
	expect_error("table: t\n", "table 't' has no 'columns'", 1, 1,
	    "columns");
	expect_error("columns:\n  id: int\n", "a model needs 'table'", 1, 1,
	    "table");
	expect_error("table: t\ncolumns:\n  a: int\nforeign_keys:\n"
	    "  - { columns: [a], references: t }\n",
	    "table 't' has no primary key", 5, 5, "references");
	expect_error("table: t\ncolumns:\n  a: { type: int, references: "
	    "{ table: t, on_delete: explode } }\n", "'on_delete' must be one "
	    "of", 3, 54, "on_delete");
	expect_error("table: t\ncolumns:\n  a: int\nindexes:\n"
	    "  - { columns: [a], method: btre }\n", "'method' must be one of",
	    5, 29, "method");
}

/* Index key options, INCLUDE, NULLS NOT DISTINCT; key timing and MATCH. */
static const char opts_model[] =
    "table: u\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true }\n"
    "  email: text\n"
    "  name: { type: text, references: { table: u, column: [id], "
    "deferrable: true } }\n"
    "  boss: bigint\n"
    "unique:\n"
    "  - { columns: [email], deferrable: true, initially_deferred: true }\n"
    "  - { columns: [boss], include: [name], nulls_not_distinct: true }\n"
    "foreign_keys:\n"
    "  - { columns: [boss], references: u, match: full }\n"
    "indexes:\n"
    "  - name: u_sort\n"
    "    columns: [{ column: id, order: desc, nulls: last }, name,\n"
    "      { expression: \"lower(email)\", opclass: text_pattern_ops,\n"
    "        collation: C }]\n"
    "    include: [boss]\n"
    "  - { columns: [email], unique: true, nulls_not_distinct: true }\n"
    "  - [{ column: name, nulls: first }]\n";

static void
test_key_options(void **state)
{
	struct schema *s;
	struct sch_table *t;
	struct sch_index *x;
	struct sch_constraint *c;
	struct merr e;

	(void)state;
	merr_clear(&e);
	if (model_load_string("u.yaml", opts_model, &s, &e) == -1)
		fail_msg("%s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	assert_non_null(t = schema_find_table(s, "public", "u"));
	assert_non_null(x = schema_find_index(t, "u_sort"));
	assert_string_equal(x->keys[0], "id");
	assert_string_equal(x->opts[0], "DESC NULLS LAST");
	assert_string_equal(x->opts[1], "");
	assert_string_equal(x->keys[2], "lower(email)");
	assert_string_equal(x->opts[2], "COLLATE \"C\" text_pattern_ops");
	assert_string_equal(x->include[0], "boss");
	assert_null(x->include[1]);
	assert_false(x->nulls_not_distinct);
	assert_non_null(x = schema_find_index(t, "u_email_idx"));
	assert_true(x->nulls_not_distinct);
	assert_null(x->opts);		/* every key plain */
	assert_non_null(x = schema_find_index(t, "u_name_idx"));
	assert_string_equal(x->opts[0], "NULLS FIRST");
	assert_non_null(c = schema_find_constraint(t, "u_email_key"));
	assert_true(c->deferrable);
	assert_true(c->deferred);
	assert_non_null(c = schema_find_constraint(t, "u_name_fkey"));
	assert_true(c->deferrable);
	assert_false(c->deferred);
	assert_int_equal(c->match, 0);
	assert_non_null(c = schema_find_constraint(t, "u_boss_fkey"));
	assert_int_equal(c->match, 'f');
	assert_false(c->deferrable);
	assert_non_null(c = schema_find_constraint(t, "u_boss_name_key"));
	assert_string_equal(c->include[0], "name");
	assert_true(c->nulls_not_distinct);
	schema_free(s);
}

static void
test_key_option_errors(void **state)
{
	static const char head[] = "table: t\ncolumns:\n  a: int\n  b: text\n"
	    "indexes:\n";
	char text[512];

	(void)state;
#define IDX(line) (snprintf(text, sizeof(text), "%s%s\n", head, line), text)
	expect_error(IDX("  - [{ column: a, order: down }]"),
	    "'order' must be asc or desc", 6, 26, "order");
	expect_error(IDX("  - [{ column: a, nulls: middle }]"),
	    "'nulls' must be first or last", 6, 26, "nulls");
	expect_error(IDX("  - [{ column: a, expression: \"a + 1\" }]"),
	    "an index key needs 'column' or 'expression', not both", 6, 6,
	    "columns");
	expect_error(IDX("  - [{ order: desc }]"),
	    "an index key needs 'column' or 'expression'", 6, 6, "columns");
	expect_error(IDX("  - [{ column: c, order: desc }]"),
	    "index key: table 't' has no column 'c'", 6, 16, "column");
	expect_error(IDX("  - [{ expression: \"lower(\" }]"),
	    "'expression': invalid SQL expression", 6, 20, "expression");
	expect_error(IDX("  - [{ column: a, colation: C }]"),
	    "unknown key 'colation' in index key", 6, 19, "colation");
	expect_error(IDX("  - [{ column: b, opclass: \"a.b.c\" }]"),
	    "'opclass' must be an operator class name", 6, 28, "opclass");
	expect_error(IDX("  - [{ column: b, opclass: \"\" }]"),
	    "'opclass' must be an operator class name", 6, 28, "opclass");
	expect_error(IDX("  - { columns: [{ column: b, order: desc }], "
	    "method: gin }"), "'order' and 'nulls' need method btree (this "
	    "index uses gin)", 6, 30, "order");
	expect_error(IDX("  - [{ column: b, collation: \"\" }]"),
	    "'collation' must be a name of 1 to 63 bytes", 6, 30,
	    "collation");
	expect_error(IDX("  - [{ column: b, collation: [C] }]"),
	    "collation", 6, 30, "collation");
	expect_error(IDX("  - [[a]]"), "an index key must be a column name, "
	    "an expression or a mapping", 6, 6, "indexes");
	expect_error(IDX("  - { columns: [a], include: [z] }"),
	    "'include': table 't' has no column 'z'", 6, 30, "include");
	expect_error(IDX("  - { columns: [a], nulls_not_distinct: true }"),
	    "'nulls_not_distinct' needs 'unique: true'", 6, 41,
	    "nulls_not_distinct");
	expect_error(IDX("  - { columns: [a], nulls_not_distinct: maybe }"),
	    "must be true or false", 6, 41, "nulls_not_distinct");
#undef IDX
	expect_error("table: t\ncolumns:\n  a: { type: int, references: "
	    "{ table: t, column: a, match: partial } }\n", "'match' must be "
	    "simple or full", 3, 61, "match");
	expect_error("table: t\ncolumns:\n  a: int\nforeign_keys:\n"
	    "  - { columns: [a], references: t, deferrable: yes please }\n",
	    "must be true or false", 5, 48, "deferrable");
	expect_error("table: t\ncolumns:\n  a: { type: int, references: "
	    "{ table: t, column: a, initially_deferred: true } }\n",
	    "'initially_deferred: true' needs 'deferrable: true'", 3, 31,
	    "initially_deferred");
	expect_error("table: t\ncolumns:\n  a: int\nunique:\n"
	    "  - { columns: [a], deferrable: sometimes }\n",
	    "must be true or false", 5, 33, "deferrable");
	expect_error("table: t\ncolumns:\n  a: int\nunique:\n"
	    "  - { columns: [a], include: [a, z] }\n",
	    "'include': table 't' has no column 'z'", 5, 30, "include");
	expect_error("table: t\ncolumns:\n  a: int\nunique:\n"
	    "  - { columns: [a], nulls_not_distinct: 1 }\n",
	    "must be true or false", 5, 41, "nulls_not_distinct");
	expect_error("table: t\ncolumns:\n  a: int\nunique:\n"
	    "  - { columns: [a], initially_deferred: true }\n",
	    "'initially_deferred: true' needs 'deferrable: true'", 5, 5,
	    "initially_deferred");
}

/* primary_key as a mapping: a name, INCLUDE columns, timing */
static void
test_pk_mapping(void **state)
{
	struct schema *s;
	struct sch_constraint *c;
	struct merr e;

	(void)state;
	merr_clear(&e);
	assert_int_equal(model_load_string("m.yaml", "table: t\ncolumns:\n"
	    "  a: int\n  b: int\n  c: text\nprimary_key: { name: t_main, "
	    "columns: [a, b], include: [c], deferrable: true }\n", &s, &e), 0);
	assert_non_null(c = schema_find_pk(&s->tables[0]));
	assert_string_equal(c->name, "t_main");
	assert_string_equal(c->cols[1], "b");
	assert_string_equal(c->include[0], "c");
	assert_true(c->deferrable);
	assert_false(c->deferred);
	assert_true(schema_find_column(&s->tables[0], "b")->notnull);
	schema_free(s);
	assert_int_equal(model_load_string("m.yaml", "table: t\ncolumns:\n"
	    "  a: int\nprimary_key: { columns: [a] }\n", &s, &e), 0);
	assert_string_equal(schema_find_pk(&s->tables[0])->name, "t_pkey");
	schema_free(s);
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "primary_key: { columns: [a], nulls_not_distinct: true }\n",
	    "unknown key 'nulls_not_distinct' in primary_key", 4, 30,
	    "nulls_not_distinct");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "primary_key: { name: t_main }\n",
	    "a primary key needs 'columns'", 4, 14, "primary_key");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "primary_key: { columns: [a], initially_deferred: true }\n",
	    "'initially_deferred: true' needs 'deferrable: true'", 4, 14,
	    "initially_deferred");
	expect_error("table: t\ncolumns:\n  a: { type: int, primary_key: "
	    "true }\nprimary_key: { columns: [a] }\n", "has a primary key on "
	    "a column already", 4, 14, "primary_key");
	expect_error("table: t\ncolumns:\n  a: int\n"
	    "primary_key: { columns: [a], name: \"\" }\n",
	    "'name' must be a name of 1 to 63 bytes", 4, 36, "name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_canon),
		cmocka_unit_test(test_expr_equal),
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_key_options),
		cmocka_unit_test(test_key_option_errors),
		cmocka_unit_test(test_pk_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
