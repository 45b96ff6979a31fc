/*
 * test_snapshot.c - a schema as JSON and back (core/snapshot.c): every
 * field survives format -> parse -> format, a parsed snapshot plans like
 * the schema it was made from, and bad input is refused with the field.
 * No database (the snapshot of a live one: test_catalog.c).
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
#include "snapshot.h"

/* Every field with a value other than its default, in canonical form. */
static const char every_field[] =
    "{\n"
    "  \"snapshot\": 1,\n"
    "  \"schemas\": [\"public\", \"shop\"],\n"
    "  \"enums\": [\n"
    "    {\"schema\": \"shop\", \"name\": \"state\", \"labels\": [\"new\", "
    "\"it's\", \"caf\xc3\xa9\"]},\n"
    "    {\"schema\": \"shop\", \"name\": \"empty\", \"labels\": []}\n"
    "  ],\n"
    "  \"tables\": [\n"
    "    {\n"
    "      \"schema\": \"shop\",\n"
    "      \"name\": \"orders\",\n"
    "      \"comment\": \"all \\\"orders\\\"\\nsecond line\",\n"
    "      \"rows\": 1,\n"
    "      \"columns\": [\n"
    "        {\"name\": \"id\", \"type\": \"bigint\", \"not_null\": true, "
    "\"identity\": \"always\", \"num\": 1},\n"
    "        {\"name\": \"n\", \"type\": \"integer\", \"identity\": "
    "\"by default\", \"num\": 2},\n"
    "        {\"name\": \"st\", \"type\": \"shop.state[]\", \"enum\": true, "
    "\"default\": \"'{}'::shop.state[]\", \"comment\": \"c\", \"was\": "
    "\"status\", \"num\": 4}\n"
    "      ],\n"
    "      \"constraints\": [\n"
    "        {\"kind\": \"primary key\", \"name\": \"orders_pkey\", "
    "\"columns\": [\"id\"]},\n"
    "        {\"kind\": \"foreign key\", \"name\": \"orders_n_fkey\", "
    "\"columns\": [\"n\", \"id\"], \"ref_schema\": \"public\", "
    "\"ref_table\": \"t\", \"ref_columns\": [\"a\", \"b\"], \"on_delete\": "
    "\"cascade\", \"on_update\": \"set null\", \"valid\": false, "
    "\"deferrable\": true, \"initially_deferred\": true, \"match\": "
    "\"full\"},\n"
    "        {\"kind\": \"check\", \"name\": \"orders_n_check\", \"expr\": "
    "\"(n > 0)\"},\n"
    "        {\"kind\": \"unique\", \"name\": \"u\", \"columns\": [\"n\", "
    "\"st\"], \"on_delete\": \"restrict\", \"on_update\": \"set default\", "
    "\"include\": [\"id\"], \"nulls_not_distinct\": true}\n"
    "      ],\n"
    "      \"indexes\": [\n"
    "        {\"name\": \"orders_lower_idx\", \"unique\": true, \"method\": "
    "\"btree\", \"keys\": [\"lower((st)::text)\", \"n\"], \"options\": "
    "[\"COLLATE \\\"C\\\" text_pattern_ops\", \"DESC NULLS LAST\"], "
    "\"include\": [\"id\"], \"nulls_not_distinct\": true, \"where\": "
    "\"(n > 1)\", \"valid\": false}\n"
    "      ]\n"
    "    },\n"
    "    {\"schema\": \"public\", \"name\": \"t\", \"rows\": 0}\n"
    "  ]\n"
    "}\n";

static struct schema *
parse_ok(const char *text)
{
	struct schema *s;
	struct merr e;

	merr_clear(&e);
	if (snapshot_parse("s.json", text, &s, &e) == -1)
		fail_msg("parse: %s", e.msg);
	return s;
}

static char *
format_ok(const struct schema *s)
{
	struct merr e;
	char *text;

	merr_clear(&e);
	assert_int_equal(snapshot_format(s, &text, &e), 0);
	return text;
}

static void
test_every_field_round_trip(void **state)
{
	struct schema *s = parse_ok(every_field);
	char *text = format_ok(s);

	(void)state;
	assert_string_equal(text, every_field);
	assert_int_equal(s->tables[0].cols[0].identity, 'a');
	assert_int_equal(s->tables[0].cols[1].identity, 'd');
	assert_int_equal(s->tables[0].cons[1].on_delete, 'c');
	assert_int_equal(s->tables[0].cons[1].on_update, 'n');
	assert_int_equal(s->tables[0].cons[0].on_delete, 'a');
	assert_false(s->tables[0].cons[1].valid);
	assert_true(s->tables[0].cons[0].valid);
	assert_true(s->tables[0].cons[1].deferrable);
	assert_true(s->tables[0].cons[1].deferred);
	assert_int_equal(s->tables[0].cons[1].match, 'f');
	assert_int_equal(s->tables[0].cons[0].match, 0);
	assert_string_equal(s->tables[0].idx[0].opts[1], "DESC NULLS LAST");
	assert_string_equal(s->tables[0].idx[0].include[0], "id");
	assert_true(s->tables[0].idx[0].nulls_not_distinct);
	assert_string_equal(s->tables[0].cons[3].include[0], "id");
	assert_true(s->tables[0].cons[3].nulls_not_distinct);
	assert_int_equal(s->tables[0].rows, 1);
	assert_int_equal(s->tables[1].rows, 0);
	assert_string_equal(s->enums[0].labels[1], "it's");
	assert_null(s->enums[1].labels[0]);
	free(text);
	schema_free(s);
}

static void
test_empty(void **state)
{
	struct schema *s = parse_ok("{\"snapshot\": 1}");
	char *text = format_ok(s);

	(void)state;
	assert_null(s->schemas);
	assert_int_equal(s->ntables, 0);
	assert_string_equal(text, "{\"snapshot\": 1}\n");
	free(text);
	schema_free(s);
}

static const char model[] =
    "table: shop.orders\n"
    "comment: orders\n"
    "columns:\n"
    "  id: { type: bigint, primary_key: true, identity: by_default }\n"
    "  customer: { type: int, not_null: true }\n"
    "  parent: { type: bigint, references: { table: shop.orders, "
    "on_delete: cascade } }\n"
    "  state: { type: state, default: \"'new'\" }\n"
    "  total: { type: \"numeric(10,2)\", check: \"total >= 0\", was: sum }\n"
    "  created: { type: timestamptz, not_null: true, default: now() }\n"
    "unique:\n"
    "  - [customer, created]\n"
    "indexes:\n"
    "  - { columns: [\"lower(state::text)\"], where: \"total > 0\" }\n"
    "  - { columns: [customer], method: hash }\n"
    "enums:\n"
    "  state: [new, paid]\n";

static struct schema *
load_model(void)
{
	struct schema *s;
	struct merr e;

	merr_clear(&e);
	if (model_load_string("m.yaml", model, &s, &e) == -1)
		fail_msg("model: %d:%d %s", e.line, e.col, e.msg);
	return s;
}

static char *
plan_text(const struct schema *want, const struct schema *have)
{
	struct plan *p;
	struct merr e;
	char *text;

	merr_clear(&e);
	assert_int_equal(plan_compute(want, have, NULL, &p, &e), 0);
	assert_int_equal(plan_format_text(p, &text, &e), 0);
	plan_free(p);
	return text;
}

/* A model's schema, through a snapshot, is the same schema to the planner. */
static void
test_model_round_trip_plans_the_same(void **state)
{
	struct schema *m = load_model(), *back, *empty;
	char *a = format_ok(m), *b, *p1, *p2;

	(void)state;
	back = parse_ok(a);
	b = format_ok(back);
	assert_string_equal(a, b);
	/* as the live side: nothing to do */
	p1 = plan_text(m, back);
	assert_string_equal(p1,
	    "-- no changes: the database matches the models\n");
	free(p1);
	/* as the desired side against an empty database: the same DDL */
	empty = parse_ok("{\"snapshot\": 1, \"schemas\": [\"public\"]}");
	p1 = plan_text(m, empty);
	p2 = plan_text(back, empty);
	assert_string_equal(p1, p2);
	assert_non_null(strstr(p1, "CREATE TABLE \"shop\".\"orders\""));
	free(p1);
	free(p2);
	free(a);
	free(b);
	schema_free(m);
	schema_free(back);
	schema_free(empty);
}

struct bad_case {
	const char	*text;
	const char	*field;		/* "" for a syntax error */
	const char	*msg;		/* part of the message */
};

static const struct bad_case bad[] = {
	{ "{\"snapshot\": 1,", "", "invalid snapshot" },
	{ "[]", "", "must be an object" },
	{ "{}", "snapshot", "format version" },
	{ "{\"snapshot\": 2}", "snapshot", "format version" },
	{ "{\"snapshot\": 1, \"tabels\": []}", "", "unknown key 'tabels'" },
	{ "{\"snapshot\": 1, \"snapshot\": 1}", "", "duplicate" },
	{ "{\"snapshot\": 1, \"schemas\": [1]}", "schemas",
	    "list of strings" },
	{ "{\"snapshot\": 1, \"tables\": [{\"name\": \"t\"}]}",
	    "tables[0].schema", "missing" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"rows\": 2}]}", "tables[0].rows", "0 or 1" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"columns\": [{\"name\": \"a\", \"type\": \"int\"}, {\"name\": "
	    "\"b\", \"typ\": \"int\"}]}]}", "tables[0].columns[1]",
	    "unknown key 'typ'" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"columns\": [{\"name\": \"a\", \"type\": 5}]}]}",
	    "tables[0].columns[0].type", "must be a string" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"columns\": [{\"name\": \"a\", \"type\": \"int\", \"identity\":"
	    " \"sometimes\"}]}]}", "tables[0].columns[0].identity",
	    "unknown value" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"constraints\": [{\"name\": \"c\", \"kind\": \"exclude\"}]}]}",
	    "tables[0].constraints[0].kind", "unknown value" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"constraints\": [{\"name\": \"c\"}]}]}",
	    "tables[0].constraints[0].kind", "missing" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"constraints\": [{\"name\": \"c\", \"kind\": \"foreign key\", "
	    "\"on_delete\": \"explode\"}]}]}",
	    "tables[0].constraints[0].on_delete", "unknown value" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"indexes\": [{\"name\": \"i\", \"unique\": \"yes\"}]}]}",
	    "tables[0].indexes[0].unique", "true or false" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"indexes\": [{\"name\": \"i\", \"keys\": [\"a\", \"b\"], "
	    "\"options\": [\"DESC\"]}]}]}", "tables[0].indexes[0].options",
	    "one entry per key" },
	{ "{\"snapshot\": 1, \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
	    " \"constraints\": [{\"name\": \"c\", \"kind\": \"foreign key\", "
	    "\"match\": \"loose\"}]}]}",
	    "tables[0].constraints[0].match", "unknown value" },
	{ "{\"snapshot\": 1, \"enums\": [{\"schema\": \"s\", \"name\": \"e\","
	    " \"labels\": \"a\"}]}", "enums[0].labels", "list of strings" },
};

static void
test_bad_input(void **state)
{
	struct schema *s;
	struct merr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		merr_clear(&e);
		s = (struct schema *)1;
		assert_int_equal(snapshot_parse("s.json", bad[i].text, &s, &e),
		    -1);
		assert_null(s);
		assert_int_equal(e.code, MERR_INPUT);
		if (strcmp(e.field, bad[i].field) ||
		    strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: field '%s', message '%s'", i,
			    e.field, e.msg);
	}
	/* a syntax error has its position */
	merr_clear(&e);
	assert_int_equal(snapshot_parse("s.json", "{\n  \"snapshot\": 1,\n"
	    "  \"schemas\": [\"a\",]\n}", &s, &e), -1);
	assert_string_equal(e.file, "s.json");
	assert_int_equal(e.line, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_round_trip),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_model_round_trip_plans_the_same),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
