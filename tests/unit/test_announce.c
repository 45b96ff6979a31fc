/*
 * test_announce.c - the LISTEN/NOTIFY channel of a deployment and the
 * payload's origin (core/announce.h).  No database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "announce.h"
#include "config.h"

static void
channel_of(const char *schema, const char *table,
    char buf[ANNOUNCE_CHANNEL_MAX])
{
	struct config c;

	memset(&c, 0, sizeof(c));
	c.schema = (char *)(uintptr_t)schema;
	c.tracking_table = (char *)(uintptr_t)table;
	announce_channel(&c, buf);
}

static void
test_channel(void **state)
{
	char a[ANNOUNCE_CHANNEL_MAX], b[ANNOUNCE_CHANNEL_MAX];
	char longname[80];

	(void)state;
	channel_of("public", "schema_migrations", a);
	assert_string_equal(a, "migrated:public.schema_migrations");
	/* another deployment on the same database: another channel */
	channel_of("public", "other_versions", b);
	assert_string_not_equal(a, b);
	channel_of("billing", "schema_migrations", b);
	assert_string_not_equal(a, b);
	/* too long for an identifier (63 bytes): a hash, still distinct */
	memset(longname, 'x', 60);
	longname[60] = '\0';
	channel_of("public", longname, a);
	assert_int_equal(strlen(a), strlen("migrated:") + 32);
	assert_true(strncmp(a, "migrated:", 9) == 0);
	longname[59] = 'y';
	channel_of("public", longname, b);
	assert_string_not_equal(a, b);
	assert_true(strlen(b) < ANNOUNCE_CHANNEL_MAX);
}

static void
test_origin_and_wanted(void **state)
{
	char o[ANNOUNCE_ORIGIN_MAX];

	(void)state;
	announce_origin("0123abcd tier2.apply 20240101_000000_x", o);
	assert_string_equal(o, "0123abcd");
	announce_origin("", o);
	assert_string_equal(o, "");
	announce_origin(NULL, o);
	assert_string_equal(o, "");
	assert_true(announce_wanted("tier2.apply"));
	assert_true(announce_wanted("tier1.apply"));
	assert_true(announce_wanted("tier2.fail"));
	assert_true(announce_wanted("tier2.adopt"));
	assert_true(announce_wanted("tier2.baseline"));
	assert_true(announce_wanted("tier2.upgrade"));
	assert_true(announce_wanted("daemon.start"));
	assert_false(announce_wanted("daemon.stop"));
	assert_false(announce_wanted("request.denied"));
	assert_false(announce_wanted("lock.retry"));
}

/* What is owed names the last change; "-" for none. */
static void
test_owed(void **state)
{
	struct announce_run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_false(r.owed);
	announce_owe(&r, "tier2.apply", "v1");
	announce_owe(&r, "tier2.rollback", NULL);
	assert_true(r.owed);
	assert_string_equal(r.action, "tier2.rollback");
	assert_string_equal(r.target, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel),
		cmocka_unit_test(test_origin_and_wanted),
		cmocka_unit_test(test_owed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
