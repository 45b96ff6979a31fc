/*
 * test_plan.c - the planner on hand-made schemas (two model documents:
 * desired and "actual").  No database: plan_compute() is pure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "plan.h"

static struct schema *
load(const char *text)
{
	struct schema *s;
	struct merr e;

	merr_clear(&e);
	if (model_load_string("m.yaml", text, &s, &e) == -1)
		fail_msg("model: %d:%d %s", e.line, e.col, e.msg);
	return s;
}

/* Plan want against have (have's tables have rows unless rows == 0). */
static struct plan *
diff(const char *want, const char *have, int rows)
{
	struct schema *w = load(want), *h = load(have);
	struct plan *p;
	struct merr e;

	for (size_t i = 0; i < h->ntables; i++)
		h->tables[i].rows = rows;
	assert_int_equal(schema_add_schema(h, "public"), 0);	/* always there */
	merr_clear(&e);
	assert_int_equal(plan_compute(w, h, NULL, &p, &e), 0);
	schema_free(w);
	schema_free(h);
	return p;
}

/* diff() with objects owned by applied enhancements. */
static struct plan *
diff_owned(const char *want, const char *have,
    const struct plan_owner *owned, size_t n)
{
	struct schema *w = load(want), *h = load(have);
	struct plan_opts o;
	struct plan *p;
	struct merr e;

	memset(&o, 0, sizeof(o));
	o.owned = owned;
	o.nowned = n;
	assert_int_equal(schema_add_schema(h, "public"), 0);
	merr_clear(&e);
	assert_int_equal(plan_compute(w, h, &o, &p, &e), 0);
	schema_free(w);
	schema_free(h);
	return p;
}

static const struct plan_change *
find(const struct plan *p, const char *kind, const char *target)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].kind, kind) &&
		    !strcmp(p->v[i].target, target))
			return &p->v[i];
	fail_msg("no '%s %s' in the plan", kind, target);
	return NULL;
}

static const char base[] =
    "table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
    "  name: varchar(10)\n  n: { type: int, not_null: true }\n";

/* Another tool's history table, named in plan_opts.histories: not drift
 * (without the option it is). */
static void
test_history_not_drift(void **state)
{
	struct schema *w = load(base), *h = load("table: schema_migrations\n"
	    "columns:\n  version: { type: bigint, primary_key: true }\n"
	    "  dirty: { type: boolean, not_null: true }\n");
	const struct sch_table *hist[1];
	struct plan_opts o;
	struct plan *p;
	struct merr e;

	(void)state;
	memset(&o, 0, sizeof(o));
	hist[0] = schema_find_table(h, "public", "schema_migrations");
	assert_non_null(hist[0]);
	o.histories = hist;
	o.nhistories = 1;
	merr_clear(&e);
	assert_int_equal(plan_compute(w, h, &o, &p, &e), 0);
	assert_int_equal(p->ndrift, 0);
	assert_int_equal(p->n, 1);
	assert_string_equal(p->v[0].kind, "create table");
	plan_free(p);
	assert_int_equal(plan_compute(w, h, NULL, &p, &e), 0);
	assert_int_equal(p->ndrift, 1);
	find(p, "table", "public.schema_migrations");
	plan_free(p);
	schema_free(w);
	schema_free(h);
}

static void
test_same_is_empty(void **state)
{
	struct plan *p = diff(base, base, 1);
	char *text;
	struct merr e;

	(void)state;
	assert_int_equal(p->n, 0);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	assert_string_equal(text,
	    "-- no changes: the database matches the models\n");
	free(text);
	plan_free(p);
}

static void
test_create_order(void **state)
{
	struct plan *p = diff("schema: s\nenums:\n  e: [a]\ntable: t\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n"
	    "  p: { type: int, references: t }\n  x: e\n", "enums: {}\n", 1);

	(void)state;
	assert_int_equal(p->n, 4);
	assert_string_equal(p->v[0].kind, "create schema");
	assert_string_equal(p->v[1].kind, "create enum");
	assert_string_equal(p->v[2].kind, "create table");
	assert_string_equal(p->v[3].kind, "add foreign key");
	assert_string_equal(p->v[2].steps[0].sql,
	    "CREATE TABLE \"s\".\"t\" (\n    \"id\" integer NOT NULL,\n"
	    "    \"p\" integer,\n    \"x\" \"s\".\"e\",\n"
	    "    CONSTRAINT \"t_pkey\" PRIMARY KEY (\"id\")\n)");
	assert_int_equal(p->v[2].phase, PLAN_TX);
	assert_int_equal(p->nsafe, 4);
	plan_free(p);
}

static void
test_safe_on_existing(void **state)
{
	struct plan *p = diff(
	    "table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  name: text\n  n: int\n  extra: text\n"
	    "  flag: { type: bool, not_null: true, default: false }\n"
	    "indexes:\n  - [name]\nunique:\n  - [n]\n"
	    "checks:\n  - { name: c1, expr: \"n > 0\" }\n", base, 1);
	const struct plan_change *c;

	(void)state;
	assert_int_equal(p->nrefused, 0);
	c = find(p, "widen type", "public.t.name");
	assert_string_equal(c->steps[0].sql, "ALTER TABLE \"public\".\"t\" "
	    "ALTER COLUMN \"name\" TYPE text");
	find(p, "drop not null", "public.t.n");
	find(p, "add column", "public.t.extra");
	find(p, "add column", "public.t.flag");
	c = find(p, "add index", "public.t_name_idx");
	assert_int_equal(c->phase, PLAN_ONLINE);
	assert_false(c->steps[0].tx);
	assert_non_null(strstr(c->steps[0].sql, "CONCURRENTLY"));
	assert_non_null(c->cleanup);
	c = find(p, "add unique", "public.t.t_n_key");
	assert_int_equal(c->nsteps, 2);
	assert_true(c->steps[1].tx);
	assert_non_null(strstr(c->steps[1].sql, "USING INDEX"));
	c = find(p, "add check", "public.t.c1");
	assert_non_null(strstr(c->steps[0].sql, "NOT VALID"));
	assert_non_null(strstr(c->steps[1].sql, "VALIDATE CONSTRAINT"));
	assert_non_null(c->check);
	/* transactional changes come before the online ones */
	for (size_t i = 1; i < p->n; i++)
		assert_true(p->v[i - 1].rank <= p->v[i].rank);
	plan_free(p);
}

static void
test_refused(void **state)
{
	struct plan *p;

	(void)state;
	p = diff("table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  name: varchar(5)\n  n: { type: bigint, not_null: true }\n"
	    "  must: { type: text, not_null: true }\n", base, 1);
	assert_int_equal(find(p, "change type", "public.t.name")->cls,
	    PLAN_REFUSED);
	assert_int_equal(find(p, "change type", "public.t.n")->cls,
	    PLAN_REFUSED);
	assert_int_equal(find(p, "add column", "public.t.must")->cls,
	    PLAN_REFUSED);
	assert_non_null(find(p, "add column", "public.t.must")->hint);
	assert_int_equal(find(p, "add column", "public.t.must")->nsteps, 0);
	assert_int_equal(p->nsafe, 0);
	plan_free(p);
	/* the same column on an empty table is fine */
	p = diff("table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  name: varchar(10)\n  n: { type: int, not_null: true }\n"
	    "  must: { type: text, not_null: true }\n", base, 0);
	assert_int_equal(find(p, "add column", "public.t.must")->cls,
	    PLAN_SAFE);
	plan_free(p);
	/* set not null, rename */
	p = diff("table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  title: { type: varchar(10), was: name, not_null: true }\n"
	    "  n: { type: int, not_null: true }\n", base, 1);
	assert_string_equal(find(p, "rename column", "public.t.title")->reason,
	    "looks like a rename of 'name' to 'title'");
	assert_int_equal(p->ndrift, 0);		/* "name" is not drift */
	plan_free(p);
	/* an array is not its element type: varchar(10)[] -> text rewrites */
	p = diff("table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  a: text\n  b: varchar(20)\n  c: \"varchar(20)[]\"\n"
	    "  d: \"numeric(12,2)\"\n",
	    "table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  a: \"varchar(10)[]\"\n  b: \"varchar(10)[]\"\n"
	    "  c: \"varchar(10)[]\"\n  d: \"numeric(10,2)[]\"\n", 1);
	assert_int_equal(find(p, "change type", "public.t.a")->cls,
	    PLAN_REFUSED);
	assert_int_equal(find(p, "change type", "public.t.b")->cls,
	    PLAN_REFUSED);
	assert_int_equal(find(p, "change type", "public.t.c")->cls,
	    PLAN_REFUSED);
	assert_int_equal(find(p, "change type", "public.t.d")->cls,
	    PLAN_REFUSED);
	assert_int_equal(p->nsafe, 0);
	plan_free(p);
}

static void
test_drift_and_json(void **state)
{
	struct plan *p = diff("table: t\ncolumns:\n"
	    "  id: { type: int, primary_key: true }\n",
	    "table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  old: text\nindexes:\n  - [old]\n", 1);
	json_t *j, *c;
	char *text;
	struct merr e;

	(void)state;
	assert_int_equal(p->ndrift, 2);
	assert_int_equal(p->nsafe, 0);
	find(p, "column", "public.t.old");
	find(p, "index", "public.t_old_idx");
	j = plan_to_json(p);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "drift")), 2);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "hash"))),
	    64);
	c = json_array_get(json_object_get(j, "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "class")),
	    "drift");
	assert_int_equal(json_array_size(json_object_get(c, "sql")), 0);
	json_decref(j);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	assert_non_null(strstr(text, "-- drift: column public.t.old: text "
	    "column is not in the models\n--   hint: "));
	assert_non_null(strstr(text, "-- plan: 0 safe, 0 refused, 2 drift\n"));
	free(text);
	plan_free(p);
}

static const char owned_want[] = "enums:\n  e: [a]\ntable: t\ncolumns:\n"
    "  id: { type: int, primary_key: true }\n";
static const char owned_have[] = "enums:\n  e: [a, y, z]\ntable: t\n"
    "columns:\n  id: { type: int, primary_key: true }\n  old: text\n"
    "indexes:\n  - [old]\n";

static void
test_tier2_owned(void **state)
{
	static const struct plan_owner own[] = {
		{ "column", "public.t.old", NULL, "20240101_one" },
		{ "index", "public.t_old_idx", NULL, "20240102_two" },
		{ "enum value", "public.e", "z", "20240103_three" },
		{ "comment", "public.t", NULL, "20240103_three" },
	};
	struct plan *p = diff_owned(owned_want, owned_have, own, 4);
	const struct plan_change *c;
	json_t *j;
	char *text;
	struct merr e;

	(void)state;
	assert_int_equal(p->ndrift, 1);		/* y: nobody's */
	assert_int_equal(p->ntier2, 3);
	assert_int_equal(p->nsafe + p->nrefused, 0);
	c = find(p, "column", "public.t.old");
	assert_int_equal(c->cls, PLAN_TIER2);
	assert_null(c->hint);
	assert_string_equal(c->reason, "text column is not in the models; "
	    "created by enhancement '20240101_one'");
	assert_int_equal(find(p, "index", "public.t_old_idx")->cls,
	    PLAN_TIER2);
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].kind, "enum value"))
			assert_int_equal(p->v[i].cls, strstr(p->v[i].reason,
			    "'z'") ? PLAN_TIER2 : PLAN_DRIFT);
	j = plan_to_json(p);
	assert_int_equal(json_integer_value(json_object_get(j, "drift")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "tier2")), 3);
	json_decref(j);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	assert_non_null(strstr(text, "-- tier 2: index public.t_old_idx: "
	    "index is not in the models; created by enhancement "
	    "'20240102_two'\n"));
	assert_non_null(strstr(text, "-- plan: 0 safe, 0 refused, 1 drift "
	    "(and objects of applied enhancements)\n"));
	free(text);
	plan_free(p);
}

/* An owner must match kind and name; a new enum type owns its values. */
static void
test_tier2_match(void **state)
{
	static const struct plan_owner own[] = {
		{ "column", "public.t_old_idx", NULL, "x" },	/* not an index */
		{ "index", "public.t.old", NULL, "x" },		/* not a column */
		{ "enum value", "public.e", "q", "x" },		/* other label */
		{ "type", "public.e", NULL, "20240104_enum" },
	};
	struct plan *p = diff_owned(owned_want, owned_have, own, 4);
	char *text;
	struct merr e;

	(void)state;
	assert_int_equal(p->ndrift, 2);		/* the column and the index */
	assert_int_equal(p->ntier2, 2);		/* y and z */
	assert_int_equal(find(p, "index", "public.t_old_idx")->cls,
	    PLAN_DRIFT);
	assert_int_equal(find(p, "column", "public.t.old")->cls, PLAN_DRIFT);
	plan_free(p);

	/* everything owned: the plan says so and is otherwise empty */
	p = diff_owned("table: t\ncolumns:\n  id: int\n", "table: t\n"
	    "columns:\n  id: int\n  old: text\n", (const struct plan_owner[])
	    {{ "column", "public.t.old", NULL, "v" }}, 1);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	assert_string_equal(text, "-- tier 2: column public.t.old: text column "
	    "is not in the models; created by enhancement 'v'\n"
	    "-- no changes: the database matches the models and the applied "
	    "enhancements\n");
	free(text);
	plan_free(p);
}

static void
test_enum_values(void **state)
{
	struct plan *p = diff("enums:\n  e: [a, b, c, d]\n",
	    "enums:\n  e: [a, c, z]\n", 1);
	const struct plan_change *c;

	(void)state;
	assert_int_equal(p->nsafe, 2);
	c = &p->v[0];
	assert_string_equal(c->kind, "add enum value");
	assert_int_equal(c->phase, PLAN_PRE);
	assert_string_equal(c->steps[0].sql, "ALTER TYPE \"public\".\"e\" "
	    "ADD VALUE IF NOT EXISTS 'b' AFTER 'a'");
	assert_string_equal(p->v[1].steps[0].sql, "ALTER TYPE \"public\".\"e\" "
	    "ADD VALUE IF NOT EXISTS 'd' AFTER 'c'");
	assert_int_equal(p->ndrift, 1);		/* z */
	plan_free(p);
}

static void
test_hash_stable(void **state)
{
	struct plan *a = diff(base, "enums: {}\n", 1);
	struct plan *b = diff(base, "enums: {}\n", 1);
	struct plan *c = diff("table: t\ncolumns:\n  id: int\n", "enums: {}\n", 1);

	(void)state;
	assert_string_equal(a->hash, b->hash);
	assert_string_not_equal(a->hash, c->hash);
	assert_int_equal(plan_statements(a), 1);
	plan_free(a);
	plan_free(b);
	plan_free(c);
}

/* Identity columns: created with the table; every change is refused. */
static void
test_identity(void **state)
{
	static const char have[] = "table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always }\n"
	    "  n: { type: int, identity: by_default }\n  m: int\n";
	const struct plan_change *c;
	struct plan *p;

	(void)state;
	p = diff(have, "enums: {}\n", 1);
	assert_string_equal(find(p, "create table", "public.t")->steps[0].sql,
	    "CREATE TABLE \"public\".\"t\" (\n"
	    "    \"id\" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,\n"
	    "    \"n\" integer NOT NULL GENERATED BY DEFAULT AS IDENTITY,\n"
	    "    \"m\" integer,\n"
	    "    CONSTRAINT \"t_pkey\" PRIMARY KEY (\"id\")\n)");
	plan_free(p);
	p = diff(have, have, 1);
	assert_int_equal(p->n, 0);
	plan_free(p);
	/* another kind, identity dropped, identity added, new identity column */
	p = diff("table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: by_default }\n"
	    "  n: { type: int, not_null: true }\n"
	    "  m: { type: int, identity: always }\n"
	    "  k: { type: int, identity: always }\n", have, 1);
	c = find(p, "set identity", "public.t.id");
	assert_int_equal(c->cls, PLAN_REFUSED);
	assert_string_equal(c->reason, "GENERATED ALWAYS AS IDENTITY -> "
	    "GENERATED BY DEFAULT AS IDENTITY changes which INSERTs succeed");
	assert_int_equal(find(p, "identity", "public.t.n")->cls, PLAN_DRIFT);
	assert_int_equal(find(p, "set identity", "public.t.m")->cls,
	    PLAN_REFUSED);
	c = find(p, "add column", "public.t.k");
	assert_int_equal(c->cls, PLAN_REFUSED);
	assert_non_null(strstr(c->reason, "numbers every existing row"));
	assert_int_equal(p->nsafe, 0);
	plan_free(p);
	/* identity in the database only: drift, and no NOT NULL or default
	   change, which PostgreSQL refuses on an identity column */
	p = diff("table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always }\n"
	    "  n: { type: int, default: 0 }\n  m: int\n", have, 1);
	assert_int_equal(find(p, "identity", "public.t.n")->cls, PLAN_DRIFT);
	assert_int_equal(p->n, 1);
	plan_free(p);
	/* identity makes the column NOT NULL, whatever not_null says */
	p = diff("table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always,"
	    " not_null: false }\n"
	    "  n: { identity: by_default, type: int, not_null: false }\n"
	    "  m: int\n", have, 1);
	assert_int_equal(p->n, 0);
	plan_free(p);
	p = diff("table: u\ncolumns:\n"
	    "  k: { identity: always, type: int, not_null: false }\n",
	    "enums: {}\n", 1);
	assert_non_null(strstr(find(p, "create table", "public.u")->steps[0].sql,
	    "\"k\" integer NOT NULL GENERATED ALWAYS AS IDENTITY"));
	plan_free(p);
	/* a serial column made an identity: the hint says how */
	p = diff("table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always }\n"
	    "  n: { type: int, identity: by_default }\n"
	    "  m: { type: int, identity: always }\n", "table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always }\n"
	    "  n: { type: int, identity: by_default }\n"
	    "  m: { type: int, not_null: true, default: \"nextval('t_m_seq')\" }\n",
	    1);
	c = find(p, "set identity", "public.t.m");
	assert_int_equal(c->cls, PLAN_REFUSED);
	assert_non_null(strstr(c->hint, "DROP DEFAULT, (DROP SEQUENCE the "
	    "old one), ADD GENERATED"));
	assert_int_equal(p->nsafe, 0);
	plan_free(p);
	/* a new identity column on an empty table is safe */
	p = diff("table: t\ncolumns:\n"
	    "  id: { type: bigint, primary_key: true, identity: always }\n"
	    "  n: { type: int, identity: by_default }\n  m: int\n"
	    "  k: { type: smallint, identity: always }\n", have, 0);
	c = find(p, "add column", "public.t.k");
	assert_int_equal(c->cls, PLAN_SAFE);
	assert_string_equal(c->steps[0].sql, "ALTER TABLE \"public\".\"t\" "
	    "ADD COLUMN \"k\" smallint NOT NULL GENERATED ALWAYS AS IDENTITY");
	plan_free(p);
}

static void
test_quoting(void **state)
{
	struct plan *p = diff("table: \"Odd\"\ncolumns:\n"
	    "  \"we\\\"ird col\": { type: text, comment: \"it's\" }\n",
	    "enums: {}\n", 1);

	(void)state;
	assert_string_equal(p->v[0].steps[0].sql, "CREATE TABLE \"public\"."
	    "\"Odd\" (\n    \"we\"\"ird col\" text\n)");
	assert_string_equal(p->v[0].steps[1].sql, "COMMENT ON COLUMN "
	    "\"public\".\"Odd\".\"we\"\"ird col\" IS 'it''s'");
	plan_free(p);
}

/* A backslash makes libpq's E'' literal; a name that is not UTF-8 fails. */
static void
test_quoting_edges(void **state)
{
	struct plan *p = diff("table: t\ncomment: 'C:\\dir'\ncolumns:\n"
	    "  a: int\n", "enums: {}\n", 1);
	struct schema *w, *h;
	struct merr e;

	(void)state;
	assert_string_equal(p->v[0].steps[1].sql, "COMMENT ON TABLE "
	    "\"public\".\"t\" IS  E'C:\\\\dir'");
	plan_free(p);
	assert_non_null(w = schema_new());
	assert_non_null(h = schema_new());
	assert_non_null(schema_add_column(schema_add_table(w, "public",
	    "caf\xe9"), "a"));
	w->tables[0].cols[0].type = strdup("integer");
	assert_int_equal(schema_add_schema(h, "public"), 0);
	merr_clear(&e);
	p = (struct plan *)1;
	assert_int_equal(plan_compute(w, h, NULL, &p, &e), -1);
	assert_null(p);
	assert_int_equal(e.code, MERR_INPUT);
	assert_non_null(strstr(e.msg, "not valid UTF-8"));
	schema_free(w);
	schema_free(h);
}

static void
test_primary_key(void **state)
{
	const char *nopk = "table: t\ncolumns:\n  id: { type: int, not_null: true }\n"
	    "  v: int\n";
	struct plan *p;
	const struct plan_change *c;

	(void)state;
	p = diff("table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  v: int\n", nopk, 1);
	c = find(p, "add primary key", "public.t.t_pkey");
	assert_int_equal(c->cls, PLAN_SAFE);
	assert_int_equal(c->phase, PLAN_ONLINE);
	assert_string_equal(c->steps[1].sql, "ALTER TABLE \"public\".\"t\" "
	    "ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\"");
	plan_free(p);
	/* over a nullable column: SET NOT NULL would scan under lock */
	p = diff("table: t\ncolumns:\n  id: int\n  v: { type: int, "
	    "primary_key: true }\n", nopk, 1);
	assert_int_equal(find(p, "add primary key", "public.t")->cls,
	    PLAN_REFUSED);
	plan_free(p);
	/* the key moved to another column */
	p = diff("table: t\ncolumns:\n  id: { type: int, not_null: true }\n"
	    "  v: { type: int, primary_key: true }\n",
	    "table: t\ncolumns:\n  id: { type: int, primary_key: true }\n"
	    "  v: { type: int, not_null: true }\n", 1);
	assert_int_equal(find(p, "change constraint", "public.t.t_pkey")->cls,
	    PLAN_REFUSED);
	assert_int_equal(p->nsafe, 0);
	plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_is_empty),
		cmocka_unit_test(test_history_not_drift),
		cmocka_unit_test(test_create_order),
		cmocka_unit_test(test_safe_on_existing),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_drift_and_json),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_tier2_owned),
		cmocka_unit_test(test_tier2_match),
		cmocka_unit_test(test_hash_stable),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_quoting_edges),
		cmocka_unit_test(test_primary_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
