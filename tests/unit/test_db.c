/*
 * test_db.c - core/db.c against the real database: which server a
 * connection reached and whether it takes writes.  A server that does not
 * (here: default_transaction_read_only, as a fenced primary) is refused
 * before anything, and the migration lock is not taken there; the
 * transactions begun are counted.  (A real hot standby is in
 * tests/integration/58_switchover.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "pgtest.h"

static char conninfo[256];

static void
connect_or_fail(struct db *d)
{
	struct merr e;

	merr_clear(&e);
	if (db_connect(d, conninfo, "test_db", &e) == -1)
		fail_msg("connect: %s", e.msg);
}

static const char *
val(struct db *d, const char *sql, char *buf, size_t len)
{
	struct merr e;
	PGresult *r;

	merr_clear(&e);
	if (db_query(d, sql, 0, NULL, &r, &e) == -1)
		fail_msg("%s: %s", sql, e.msg);
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return buf;
}

static void
test_primary(void **state)
{
	struct db d;
	struct merr e;

	(void)state;
	connect_or_fail(&d);
	assert_int_equal(d.srv.role, DB_ROLE_PRIMARY);
	assert_true(d.srv.host[0] != '\0');
	assert_true(d.srv.port[0] != '\0');
	assert_string_equal(d.srv.port, PQport(d.conn));
	assert_int_equal(db_role_now(&d), DB_ROLE_PRIMARY);
	merr_clear(&e);
	assert_int_equal(db_writable(&d, "test", &e), 0);
	assert_string_equal(db_role_name(DB_ROLE_PRIMARY), "primary");
	assert_string_equal(db_role_name(DB_ROLE_STANDBY), "standby");
	assert_string_equal(db_role_name(DB_ROLE_READONLY), "read-only");
	db_close(&d);
}

static void
test_read_only_refused(void **state)
{
	struct db_lock_policy p = { 0, NULL, 0 };
	struct db d;
	struct merr e;
	char buf[64];
	int waited;

	(void)state;
	connect_or_fail(&d);
	merr_clear(&e);
	assert_int_equal(db_exec(&d, "SET default_transaction_read_only = on",
	    &e), 0);
	/* reported by the server with the SET's answer (PostgreSQL 14+) */
	assert_int_equal(db_role_now(&d), DB_ROLE_READONLY);
	merr_clear(&e);
	assert_int_equal(db_writable(&d, "do it", &e), -1);
	assert_int_equal(e.code, MERR_CONNECT);
	assert_non_null(strstr(e.msg, "connected to a standby (read-only): "
	    "cannot do it on "));
	assert_non_null(strstr(e.detail, "default_transaction_read_only"));
	assert_non_null(strstr(e.hint, "target_session_attrs=read-write"));
	merr_clear(&e);
	assert_int_equal(db_lock_take(&d, &p, &waited, &e), -1);
	assert_non_null(strstr(e.msg, "cannot take the migration lock"));
	assert_string_equal(val(&d, "SELECT count(*) FROM pg_locks WHERE "
	    "locktype = 'advisory' AND pid = pg_backend_pid()", buf,
	    sizeof(buf)), "0");
	/* writable again: asked, not remembered */
	assert_int_equal(db_exec(&d, "RESET default_transaction_read_only",
	    &e), 0);
	assert_int_equal(db_writable(&d, "do it", &e), 0);
	assert_int_equal(d.srv.role, DB_ROLE_PRIMARY);
	assert_int_equal(db_lock_take(&d, &p, &waited, &e), 0);
	assert_int_equal(db_unlock(&d, &e), 0);
	db_close(&d);
}

static void
test_transactions_counted(void **state)
{
	struct db d;
	struct merr e;
	unsigned long n;

	(void)state;
	connect_or_fail(&d);
	n = d.ntx;
	merr_clear(&e);
	assert_int_equal(db_begin(&d, 0, 0, &e), 0);
	assert_int_equal(db_exec(&d, "COMMIT", &e), 0);
	assert_int_equal(db_begin(&d, 0, 0, &e), 0);
	assert_int_equal(db_exec(&d, "ROLLBACK", &e), 0);
	assert_int_equal(d.ntx, n + 2);
	db_close(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_read_only_refused),
		cmocka_unit_test(test_transactions_counted),
	};

	pgtest_require("test_db");
	snprintf(conninfo, sizeof(conninfo), "dbname=%s", getenv("TESTDB"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
