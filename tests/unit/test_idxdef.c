/*
 * test_idxdef.c - index key options (core/idxdef.c): split out of
 * definitions as pg_get_indexdef() prints them, written from model
 * fields, compared token by token.  No database (test_catalog.c reads
 * real definitions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "idxdef.h"
#include "schema.h"

struct split_case {
	const char	*def;
	const char	*method;
	char		*keys[4];
	const char	*want[4];	/* all NULL: *opts NULL */
};

static const struct split_case splits[] = {
	{ "CREATE INDEX i ON t USING btree (a, b)", "btree", { "a", "b" },
	    { NULL } },
	{ "CREATE INDEX i ON t USING btree (a DESC, b NULLS FIRST)", "btree",
	    { "a", "b" }, { "DESC", "NULLS FIRST" } },
	{ "CREATE INDEX i ON t USING btree (a COLLATE \"C\" text_pattern_ops "
	    "DESC NULLS LAST) INCLUDE (b)", "btree", { "a" },
	    { "COLLATE \"C\" text_pattern_ops DESC NULLS LAST" } },
	{ "CREATE INDEX i ON t USING btree (lower(a) text_pattern_ops, "
	    "(a || ', (x)'::text) DESC)", "btree",
	    { "lower(a)", "a || ', (x)'::text" },
	    { "text_pattern_ops", "DESC" } },
	{ "CREATE INDEX i ON t USING gin (\"Order\" gin_trgm_ops) WHERE a > 0",
	    "gin", { "Order" }, { "gin_trgm_ops" } },
	{ "CREATE INDEX i ON t USING gist (a gist_trgm_ops (siglen='32'))",
	    "gist", { "a" }, { "gist_trgm_ops (siglen='32')" } },
	{ "CREATE UNIQUE INDEX i ON t USING btree (a) NULLS NOT DISTINCT",
	    "btree", { "a" }, { NULL } },
	/* not what was expected: every key unread, never "default" */
	{ "CREATE INDEX i ON t USING btree (x DESC)", "btree", { "a" },
	    { IDXDEF_UNREAD } },
	{ "CREATE INDEX i ON t USING hash (a)", "btree", { "a" },
	    { IDXDEF_UNREAD } },
	/* no definition: the catalog knows every key is plain */
	{ NULL, "btree", { "a" }, { NULL } },
};

static void
test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(splits) / sizeof(*splits); i++) {
		const struct split_case *c = &splits[i];
		char **opts;

		assert_int_equal(idxdef_split(c->def, c->method,
		    c->keys, &opts), 0);
		if (c->want[0] == NULL) {
			if (opts)
				fail_msg("case %zu: options [%s], want none",
				    i, opts[0]);
			continue;
		}
		for (size_t k = 0; c->keys[k]; k++)
			if (opts == NULL || opts[k] == NULL ||
			    strcmp(opts[k], c->want[k]))
				fail_msg("case %zu key %zu: got [%s], want "
				    "[%s]", i, k, opts && opts[k] ? opts[k] : "(null)",
				    c->want[k]);
		schema_strv_free(opts);
	}
}

static void
test_format(void **state)
{
	static const struct {
		const char *coll, *opc;
		int desc;
		char nulls;
		const char *want;
	} f[] = {
		{ NULL, NULL, 0, 0, "" },
		{ NULL, NULL, 0, 'l', "" },
		{ NULL, NULL, 0, 'f', "NULLS FIRST" },
		{ NULL, NULL, 1, 'f', "DESC" },
		{ NULL, NULL, 1, 'l', "DESC NULLS LAST" },
		{ "C", NULL, 0, 0, "COLLATE \"C\"" },
		{ "C", "text_pattern_ops", 1, 0,
		    "COLLATE \"C\" text_pattern_ops DESC" },
		{ NULL, "public.gin_trgm_ops", 0, 0, "public.gin_trgm_ops" },
		{ NULL, "My_Ops", 0, 'f', "\"My_Ops\" NULLS FIRST" },
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++) {
		assert_non_null(s = idxdef_format(f[i].coll, f[i].opc,
		    f[i].desc, f[i].nulls));
		if (strcmp(s, f[i].want))
			fail_msg("case %zu: got [%s], want [%s]", i, s,
			    f[i].want);
		free(s);
	}
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(idxdef_equal(NULL, ""));
	assert_true(idxdef_equal("DESC", "DESC"));
	assert_false(idxdef_equal("DESC", NULL));
	assert_false(idxdef_equal("DESC", "DESC NULLS LAST"));
	assert_true(idxdef_equal("COLLATE \"C\"", "COLLATE C"));
	assert_true(idxdef_equal("public.gin_trgm_ops", "gin_trgm_ops"));
	assert_true(idxdef_equal("\"text_pattern_ops\"", "text_pattern_ops"));
	assert_false(idxdef_equal("text_pattern_ops", "varchar_pattern_ops"));
	assert_false(idxdef_equal("COLLATE \"C\"", "COLLATE \"POSIX\""));
	assert_false(idxdef_equal(IDXDEF_UNREAD, ""));
	/* odd input ends inside the string, never past it */
	assert_false(idxdef_equal("\"", "x"));
	assert_false(idxdef_equal("COLLATE \"C", "COLLATE \"D"));
	assert_true(idxdef_equal("\"a\"\"b\"", "\"a\"\"b\""));
	assert_true(idxdef_equal("\"a\"\"b\" DESC", "\"a\"\"b\"  DESC"));
	/* a token too long to compare is different, never equal */
	{
		char a[600], b[600];

		memset(a, 'x', sizeof(a) - 1);
		a[sizeof(a) - 1] = '\0';
		memcpy(b, a, sizeof(b));
		b[590] = 'y';
		assert_false(idxdef_equal(a, b));
	}
	assert_false(idxdef_equalv((char *[]){ "", "DESC", NULL }, NULL, 2));
	assert_true(idxdef_equalv((char *[]){ "", "", NULL }, NULL, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
