/*
 * test_quote_libpq.c - libpq's own PQescapeIdentifier() and
 * PQescapeLiteral() give what quote_cases.h expects, so the pure functions
 * (test_quote.c) are libpq's rules.  Needs PostgreSQL (TESTDB): libpq
 * escapes only on a live connection, whose client_encoding is UTF8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "db.h"
#include "quote.h"
#include "quote_cases.h"
#include "pgtest.h"

static struct db db;

static int
setup(void **state)
{
	struct merr e;

	(void)state;
	merr_clear(&e);
	if (db_connect(&db, NULL, "test_quote_libpq", &e) == -1) {
		fprintf(stderr, "connect: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_close(&db);
	return 0;
}

typedef char *(*pq_escape_fn)(PGconn *, const char *, size_t);
typedef char *(*pure_fn)(const char *);

static void
compare(const char *what, pq_escape_fn pq, pure_fn pure, size_t i,
    const char *want)
{
	const char *in = quote_cases[i].in;
	char *a = pq(db.conn, in, strlen(in)), *b = pure(in);

	if ((a == NULL) != (want == NULL) || (a && strcmp(a, want)))
		fail_msg("libpq %s, case %zu: got [%s], want [%s]", what, i,
		    a ? a : "(null)", want ? want : "(null)");
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s, case %zu: libpq [%s], quote.c [%s]", what, i,
		    a ? a : "(null)", b ? b : "(null)");
	PQfreemem(a);
	free(b);
}

static void
test_encoding_is_utf8(void **state)
{
	(void)state;
	assert_string_equal(pg_encoding_to_char(PQclientEncoding(db.conn)),
	    "UTF8");
}

static void
test_same_as_libpq(void **state)
{
	(void)state;
	for (size_t i = 0; i < QUOTE_NCASES; i++) {
		compare("ident", PQescapeIdentifier, quote_ident, i,
		    quote_cases[i].ident);
		compare("literal", PQescapeLiteral, quote_literal, i,
		    quote_cases[i].literal);
	}
}

/* The server reads each quoted form back as the text that was quoted. */
static void
test_server_reads_back(void **state)
{
	struct merr e;
	PGresult *r;
	char *sql, *lit, *id;

	(void)state;
	merr_clear(&e);
	for (size_t i = 0; i < QUOTE_NCASES; i++) {
		if (quote_cases[i].ident == NULL ||
		    quote_cases[i].in[0] == '\0')
			continue;	/* a zero-length identifier is an error */
		lit = quote_literal(quote_cases[i].in);
		id = quote_ident(quote_cases[i].in);
		assert_true(asprintf(&sql, "SELECT %s AS %s", lit, id) > 0);
		if (db_query(&db, sql, 0, NULL, &r, &e) == -1)
			fail_msg("%s: %s", sql, e.msg);
		assert_string_equal(PQgetvalue(r, 0, 0), quote_cases[i].in);
		assert_string_equal(PQfname(r, 0), quote_cases[i].in);
		PQclear(r);
		free(sql);
		free(lit);
		free(id);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_is_utf8),
		cmocka_unit_test(test_same_as_libpq),
		cmocka_unit_test(test_server_reads_back),
	};

	pgtest_require("test_quote_libpq");
	return cmocka_run_group_tests(tests, setup, teardown);
}
