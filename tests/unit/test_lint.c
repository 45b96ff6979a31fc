/* test_lint.c - every rule fires, and is silenced by its nolint comment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lint.h"
#include "migset.h"

/* Lint sql; return the rules found as a bit set, count in *n. */
static unsigned
lint_sql(const char *sql, size_t *n, struct lint_list *keep)
{
	struct mig_script sc;
	struct lint_list l;
	struct merr e;
	unsigned bits = 0;
	size_t i;

	merr_clear(&e);
	lint_list_init(&l);
	assert_int_equal(migset_parse_text(&sc, "m.sql", sql, &e), 0);
	assert_int_equal(lint_script(&sc, &l, &e), 0);
	for (i = 0; i < l.n; i++)
		bits |= 1u << l.v[i].rule;
	*n = l.n;
	if (keep)
		*keep = l;
	else
		lint_list_release(&l);
	migset_script_release(&sc);
	return bits;
}

struct rule_case {
	enum lint_rule	 rule;
	const char	*bad;
	const char	*good;	/* the safe way: no finding at all */
};

static const struct rule_case cases[] = {
	{ LINT_INDEX_CONCURRENTLY,
	  "CREATE INDEX IF NOT EXISTS i ON t (a);",
	  "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);" },
	{ LINT_ADD_COLUMN_NOT_NULL,
	  "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL;",
	  "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL DEFAULT 0;" },
	{ LINT_ALTER_COLUMN_TYPE,
	  "ALTER TABLE t ALTER COLUMN c TYPE bigint;",
	  "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;" },
	{ LINT_CONSTRAINT_NOT_VALID,
	  "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id);",
	  "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) "
	  "NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT f;" },
	{ LINT_CONSTRAINT_NOT_VALID,
	  "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
	  "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;" },
	{ LINT_UNBOUNDED_DML,
	  "UPDATE t SET a = 1;",
	  "UPDATE t SET a = 1 WHERE a IS NULL;" },
	{ LINT_UNBOUNDED_DML,
	  "DELETE FROM t;",
	  "DELETE FROM t WHERE expires_at < now();" },
	{ LINT_ADD_COLUMN_IDEMPOTENT,
	  "ALTER TABLE t ADD COLUMN c int;",
	  "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int;" },
	{ LINT_CREATE_INDEX_IDEMPOTENT,
	  "CREATE INDEX CONCURRENTLY i ON t (a);",
	  "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);" },
};

static void
test_each_rule_fires(void **state)
{
	size_t i, n;
	unsigned bits;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bits = lint_sql(cases[i].bad, &n, NULL);
		if (!(bits & (1u << cases[i].rule)))
			fail_msg("rule %s did not fire on: %s",
			    lint_rule_name(cases[i].rule), cases[i].bad);
		assert_int_equal(n, 1);
		bits = lint_sql(cases[i].good, &n, NULL);
		if (n != 0)
			fail_msg("finding on the safe form: %s",
			    cases[i].good);
	}
}

static void
test_each_rule_silenced(void **state)
{
	char sql[512];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT 1;\n-- migrated:nolint %s\n"
		    "%s\n", lint_rule_name(cases[i].rule), cases[i].bad);
		lint_sql(sql, &n, NULL);
		if (n != 0)
			fail_msg("nolint %s did not silence: %s",
			    lint_rule_name(cases[i].rule), cases[i].bad);
	}
}

static void
test_position_and_scope(void **state)
{
	struct lint_list l;
	size_t n;

	(void)state;
	/* silencing is per statement: the second UPDATE still fires */
	lint_sql("-- migrated:nolint unbounded-dml\nUPDATE t SET a = 1;\n\n"
	    "UPDATE t SET a = 2;\n", &n, &l);
	assert_int_equal(n, 1);
	assert_string_equal(l.v[0].file, "m.sql");
	assert_int_equal(l.v[0].line, 4);
	assert_int_equal(l.v[0].col, 1);
	assert_int_equal(l.v[0].stmt, 2);
	assert_string_equal(l.v[0].message, "UPDATE of \"t\" without WHERE "
	    "touches every row in one transaction");
	assert_non_null(strstr(l.v[0].hint, "-- migrated:nolint unbounded-dml"));
	lint_list_release(&l);
}

static void
test_new_table_is_not_existing(void **state)
{
	size_t n;
	unsigned bits;

	(void)state;
	bits = lint_sql("CREATE TABLE fresh (id int, c int);\n"
	    "CREATE INDEX IF NOT EXISTS fresh_c ON fresh (c);\n"
	    "ALTER TABLE fresh ALTER COLUMN c TYPE bigint;\n", &n, NULL);
	assert_int_equal(n, 0);
	assert_int_equal(bits, 0);
}

static void
test_batched_update_is_bounded(void **state)
{
	size_t n;

	(void)state;
	lint_sql("-- migrated:batch size=100\nUPDATE t SET a = 1;\n", &n,
	    NULL);
	assert_int_equal(n, 0);
}

static void
test_unknown_rule(void **state)
{
	struct mig_script sc;
	struct lint_list l;
	struct merr e;

	(void)state;
	merr_clear(&e);
	lint_list_init(&l);
	assert_int_equal(migset_parse_text(&sc, "m.sql", "SELECT 1;\n"
	    "-- migrated:nolint no-such-rule\nSELECT 2;\n", &e), 0);
	assert_int_equal(lint_script(&sc, &l, &e), -1);
	assert_string_equal(e.msg, "unknown lint rule 'no-such-rule' in "
	    "'migrated:nolint'");
	assert_int_equal(e.line, 3);
	/* without a list (the start-up check): the same error */
	merr_clear(&e);
	assert_int_equal(lint_script(&sc, NULL, &e), -1);
	assert_string_equal(e.msg, "unknown lint rule 'no-such-rule' in "
	    "'migrated:nolint'");
	assert_int_equal(e.line, 3);
	migset_script_release(&sc);
	lint_list_release(&l);
	/* ... and no finding looked for: a rule that fires is no error */
	assert_int_equal(migset_parse_text(&sc, "n.sql", "CREATE INDEX i ON "
	    "t (a);\nALTER TABLE t ALTER a TYPE bigint;\n", &e), 0);
	assert_int_equal(lint_script(&sc, NULL, &e), 0);
	migset_script_release(&sc);
}

/*
 * The findings are made once and kept in the script: a second call
 * copies them (the trees, gone meanwhile, are not read again), appended
 * after what the list had; lint_keep() makes them the same way.
 */
static void
test_kept(void **state)
{
	struct mig_script sc;
	struct lint_list l;
	struct merr e;

	(void)state;
	merr_clear(&e);
	lint_list_init(&l);
	assert_int_equal(migset_parse_text(&sc, "k.sql", "CREATE INDEX i ON "
	    "t (a);\nALTER TABLE t ALTER a TYPE bigint;\n", &e), 0);
	assert_int_equal(lint_keep(&sc, &e), 0);
	assert_non_null(sc.lint);
	for (size_t i = 0; i < sc.nstmts; i++) {
		free(sc.stmts[i].tree);
		sc.stmts[i].tree = NULL;
	}
	assert_int_equal(lint_script(&sc, &l, &e), 0);
	assert_int_equal(lint_script(&sc, &l, &e), 0);
	assert_int_equal(l.n, 2 * sc.lint->n);
	assert_int_equal(sc.lint->n, 3);
	assert_int_equal(l.v[3].rule, l.v[0].rule);
	assert_int_equal(l.v[5].line, 2);
	assert_string_equal(l.v[4].file, "k.sql");
	lint_list_release(&l);
	migset_script_release(&sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_rule_fires),
		cmocka_unit_test(test_each_rule_silenced),
		cmocka_unit_test(test_position_and_scope),
		cmocka_unit_test(test_new_table_is_not_existing),
		cmocka_unit_test(test_batched_update_is_bounded),
		cmocka_unit_test(test_unknown_rule),
		cmocka_unit_test(test_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
