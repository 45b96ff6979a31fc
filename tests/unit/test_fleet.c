/* test_fleet.c - the fleet key and member connection strings (no db). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "config.h"
#include "fleet.h"

static char *
write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "fleet-%d.yaml", (int)getpid());
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

/* The value libpq reads back for key in conninfo. */
static char *
libpq_value(const char *conninfo, const char *key)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL, *v = NULL;

	opts = PQconninfoParse(conninfo, &msg);
	assert_non_null(opts);
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, key) && o->val)
			v = strdup(o->val);
	PQconninfoFree(opts);
	return v;
}

static void
test_parse(void **state)
{
	struct config c;
	struct merr e;
	const char *p = write_tmp(
	    "fleet:\n"
	    "  members: [a, \"host=/tmp dbname=b\"]\n"
	    "  discover: SELECT datname FROM pg_database\n"
	    "  parallel: 7\n"
	    "  rediscover: 30s\n");

	(void)state;
	merr_clear(&e);
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_int_equal(c.fleet.on, 1);
	assert_string_equal(c.fleet.members[0], "a");
	assert_string_equal(c.fleet.members[1], "host=/tmp dbname=b");
	assert_null(c.fleet.members[2]);
	assert_string_equal(c.fleet.discover,
	    "SELECT datname FROM pg_database");
	assert_int_equal(c.fleet.parallel, 7);
	assert_int_equal(c.fleet.rediscover_ms, 30000);
	config_release(&c);

	/* no fleet key: nothing changes */
	p = write_tmp("database: app\n");
	assert_int_equal(config_load(&c, p, NULL, &e), 0);
	assert_int_equal(c.fleet.on, 0);
	assert_int_equal(c.fleet.parallel, FLEET_PARALLEL_DEFAULT);
	config_release(&c);
	unlink(p);
}

static void
expect_error(const char *text, int line, int col, const char *field,
    const char *words)
{
	struct config c;
	struct merr e;
	const char *p = write_tmp(text);

	merr_clear(&e);
	assert_int_equal(config_load(&c, p, NULL, &e), -1);
	assert_int_equal(e.line, line);
	assert_int_equal(e.col, col);
	assert_string_equal(e.field, field);
	if (strstr(e.msg, words) == NULL)
		fail_msg("'%s' not in '%s'", words, e.msg);
	unlink(p);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("fleet:\n  parallel: 2\n", 2, 3, "fleet",
	    "needs 'members', 'discover' or both");
	expect_error("fleet:\n  members: [a]\n  parallel: 65\n", 3, 13,
	    "fleet.parallel", "fleet.parallel");
	expect_error("fleet:\n  discover: DELETE FROM t\n", 2, 13,
	    "fleet.discover", "must be one SELECT");
	expect_error("fleet:\n  discover: SELECT 1; SELECT 2\n", 2, 13,
	    "fleet.discover", "must be one SELECT");
	expect_error("fleet:\n  discover: SELECT FROM WHERE\n", 2, 13,
	    "fleet.discover", "does not parse");
	expect_error("fleet:\n  members: [a, 'port=5432']\n", 2, 16,
	    "fleet.members", "must name its dbname");
	expect_error("fleet:\n  members: [a, 'host=x dbname']\n", 2, 16,
	    "fleet.members", "invalid connection string");
	expect_error("fleet:\n  members: [a, '']\n", 2, 16,
	    "fleet.members", "must not be empty");
	expect_error("fleet:\n  rediscover: soon\n", 2, 15,
	    "fleet.rediscover", "fleet.rediscover");
}

static void
test_resolve(void **state)
{
	char *name, *ci, *v;
	struct merr e;

	(void)state;
	merr_clear(&e);
	/* a name on the server of 'database': every other key kept */
	assert_int_equal(fleet_member_resolve("host=/run/pg port=5433 "
	    "dbname=control application_name=x", "tenant_1", &name, &ci,
	    &e), 0);
	assert_string_equal(name, "tenant_1");
	assert_string_equal(v = libpq_value(ci, "dbname"), "tenant_1");
	free(v);
	assert_string_equal(v = libpq_value(ci, "port"), "5433");
	free(v);
	assert_string_equal(v = libpq_value(ci, "host"), "/run/pg");
	free(v);
	free(name);
	free(ci);

	/* quotes, backslashes and spaces survive, as libpq reads them */
	assert_int_equal(fleet_member_resolve("postgresql://u@h/ctl"
	    "?password=a%27b%5Cc", "it's a \\db", &name, &ci, &e), 0);
	assert_string_equal(v = libpq_value(ci, "dbname"), "it's a \\db");
	free(v);
	assert_string_equal(v = libpq_value(ci, "password"), "a'b\\c");
	free(v);
	assert_string_equal(v = libpq_value(ci, "user"), "u");
	free(v);
	free(name);
	free(ci);

	/* no database: libpq's environment, only dbname set */
	assert_int_equal(fleet_member_resolve(NULL, "t2", &name, &ci, &e), 0);
	assert_string_equal(ci, "dbname='t2'");
	free(name);
	free(ci);

	/* a connection string of its own: named by its dbname */
	assert_int_equal(fleet_member_resolve("dbname=ctl",
	    "host=db2 dbname=t3", &name, &ci, &e), 0);
	assert_string_equal(name, "t3");
	assert_string_equal(ci, "host=db2 dbname=t3");
	free(name);
	free(ci);

	assert_int_equal(fleet_member_resolve("dbname=ctl", "host=db2",
	    &name, &ci, &e), -1);
	assert_null(name);
	assert_string_equal(e.field, "fleet.members");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
