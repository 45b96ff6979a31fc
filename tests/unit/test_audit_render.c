/*
 * test_audit_render.c - the audit rows as JSON (and back), text and
 * Markdown (core/audit_render.c), on a fixed history: no database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"

/* Rows shared by the renderer tests: a small fixed history. */
static void
sample(struct audit_rows *rows)
{
	static struct audit_row v[] = {
	    { 1, "2024-01-01T10:00:00.000001Z", "daemon.start", NULL, NULL,
	      NULL, -1, 0, 1, NULL, NULL, 1, 0, NULL, 10, "h1", 10, "0.1.0",
	      NULL, NULL },
	    { 2, "2024-01-01T10:01:00.000000Z", "tier2.apply", "20240101_a",
	      "CREATE TABLE a ()", "aaaaaaaaaaaaaaaaaaaa", 1500, 1, 1, NULL,
	      NULL, 0, 1000, "alice", 55, "h1", 10, "0.1.0", NULL, NULL },
	    { 3, "2024-01-01T10:02:00.000000Z", "tier2.apply",
	      "20240102_120000_b", NULL, "bbbb", 80, 2, 1, NULL, NULL, 0,
	      1001, "bob", 56, "h2", 11, "0.1.0", NULL, NULL },
	    { 4, "2024-01-01T10:03:00.000000Z", "tier2.fail", "20240103_c",
	      NULL, NULL, 5, 1, 0, "42P07", "relation \"c\" | exists", 0,
	      1000, "alice", 57, "h1", 10, "0.1.0", NULL, NULL },
	    { 5, "2024-01-01T10:04:00.000000Z", "tier2.rollback",
	      "20240102_120000_b", NULL, NULL, 70000, 1, 1, NULL, NULL, 0,
	      1001, "bob", 58, "h2", 11, "0.1.0", NULL, NULL },
	    { 6, "2024-01-01T10:05:00.000000Z", "tier2.apply",
	      "20231231_old", NULL, NULL, 3, 1, 1, NULL, NULL, 1, 0, NULL,
	      10, "h1", 10, "0.1.0", NULL, NULL },
	};
	rows->v = v;
	rows->n = sizeof(v) / sizeof(v[0]);
}

static void
test_json(void **state)
{
	struct audit_rows in, out;
	struct merr e;
	json_t *j, *bad;
	char *a, *b;

	(void)state;
	sample(&in);
	assert_non_null(j = audit_rows_json(&in));
	assert_int_equal(json_array_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 3), "sqlstate")), "42P07");
	assert_true(json_is_null(json_object_get(json_array_get(j, 0),
	    "target")));
	assert_true(json_is_null(json_object_get(json_array_get(j, 0),
	    "duration_ms")));
	merr_clear(&e);
	assert_int_equal(audit_rows_from_json(j, &out, &e), 0);
	assert_int_equal(out.n, in.n);
	a = audit_render_text(&in);
	b = audit_render_text(&out);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(out.v[0].duration_ms, -1);
	assert_string_equal(out.v[3].error, in.v[3].error);
	audit_rows_release(&out);

	/* a wrong type names the row and the field */
	json_object_set_new(json_array_get(j, 2), "ok", json_string("yes"));
	assert_int_equal(audit_rows_from_json(j, &out, &e), -1);
	assert_int_equal(e.code, MERR_INPUT);
	assert_string_equal(e.field, "rows[2].ok");
	assert_int_equal(out.n, 0);
	bad = json_object();
	assert_int_equal(audit_rows_from_json(bad, &out, &e), -1);
	json_decref(bad);
	json_decref(j);
}

static void
test_render_text(void **state)
{
	struct audit_rows rows;
	char *s, *l;

	(void)state;
	sample(&rows);
	assert_non_null(s = audit_render_text(&rows));
	/* one line per row, in the order given */
	l = s;
	for (int i = 0; i < 6; i++) {
		assert_non_null(l = strchr(l, '\n'));
		l++;
	}
	assert_int_equal(*l, '\0');
	assert_non_null(strstr(s, "     1  2024-01-01 10:00:00  daemon.start"
	    "    -                  ok          -  daemon@h1\n"));
	assert_non_null(strstr(s, "     2  2024-01-01 10:01:00  tier2.apply "
	    "    20240101_a         ok       1.5s  alice(1000)@h1 pid 55\n"));
	assert_non_null(strstr(s, "FAIL      5ms  alice(1000)@h1 pid 57"
	    "  42P07 relation \"c\" | exists\n"));
	assert_non_null(strstr(s, "  1m10s  bob(1001)@h2 pid 58\n"));
	free(s);
	rows.n = 0;
	assert_non_null(s = audit_render_text(&rows));
	assert_string_equal(s, "");
	free(s);
}

static void
test_render_markdown(void **state)
{
	struct audit_version folder[] = {
		{ "20240101", "20240101_a" },
		{ "20240102_120000", "20240102_120000_b" },
		{ "20240103", "20240103_c" },
		{ "20240104", "20240104_d" },
	};
	struct audit_rows rows;
	char *s;

	(void)state;
	sample(&rows);
	assert_non_null(s = audit_render_markdown(&rows, folder, 4, "app"));
	assert_non_null(strstr(s, "# Migrations log\n"));
	assert_non_null(strstr(s, "audit trail of database `app`."));
	assert_non_null(strstr(s, "| 20240101 | a | applied | "
	    "2024-01-01 10:01:00 | alice (uid 1000) on h1 | 1.5s | "
	    "`aaaaaaaaaaaa` |\n"));
	assert_non_null(strstr(s, "| 20240102_120000 | b | rolled back | "
	    " |  |  |  |\n"));
	assert_non_null(strstr(s, "| 20240103 | c | failed |  |  |  |  |\n"));
	assert_non_null(strstr(s, "| 20240104 | d | pending |  |  |  |  |\n"));
	assert_non_null(strstr(s, "| 20231231 | old | applied, not in folder | "
	    "2024-01-01 10:05:00 | migrated on h1 | 3ms |  |\n"));
	/* history: tier-2 events only, oldest first, pipes escaped */
	assert_null(strstr(s, "daemon.start"));
	assert_non_null(strstr(s, "| 4 | 2024-01-01 10:03:00 | fail | "
	    "20240103_c | failed: 42P07 relation \"c\" \\| exists | alice "
	    "(uid 1000) on h1 | 5ms | 1 |\n"));
	assert_true(strstr(s, "| 2 | 2024-01-01 10:01:00") <
	    strstr(s, "| 5 | 2024-01-01 10:04:00"));
	free(s);

	/* nothing yet */
	rows.n = 0;
	assert_non_null(s = audit_render_markdown(&rows, NULL, 0, NULL));
	assert_non_null(strstr(s, "| (none) |"));
	assert_non_null(strstr(s, "(no enhancement applied yet)"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
