/*
 * test_quote.c - the pure quoting functions on the cases of quote_cases.h
 * (whose expectations test_quote_libpq.c checks against libpq itself).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "quote.h"
#include "quote_cases.h"

static void
check(const char *what, size_t i, const char *got, const char *want)
{
	if (want == NULL && got == NULL && errno == EILSEQ)
		return;
	if (want && got && strcmp(want, got) == 0)
		return;
	fail_msg("%s, case %zu: got [%s], want [%s]", what, i,
	    got ? got : "(null)", want ? want : "(null)");
}

static void
test_cases(void **state)
{
	char *q;

	(void)state;
	for (size_t i = 0; i < QUOTE_NCASES; i++) {
		errno = 0;
		q = quote_ident(quote_cases[i].in);
		check("ident", i, q, quote_cases[i].ident);
		free(q);
		errno = 0;
		q = quote_literal(quote_cases[i].in);
		check("literal", i, q, quote_cases[i].literal);
		free(q);
	}
}

static void
test_qualified(void **state)
{
	char *q;

	(void)state;
	q = quote_qualified("public", "users");
	assert_string_equal(q, "\"public\".\"users\"");
	free(q);
	q = quote_qualified("my \"app\"", "a.b");
	assert_string_equal(q, "\"my \"\"app\"\"\".\"a.b\"");
	free(q);
	q = quote_qualified("", "");
	assert_string_equal(q, "\"\".\"\"");
	free(q);
	errno = 0;
	assert_null(quote_qualified("ok", "\xc3"));
	assert_int_equal(errno, EILSEQ);
	errno = 0;
	assert_null(quote_qualified("\xff", "ok"));
	assert_int_equal(errno, EILSEQ);
}

/* Every 1-byte and 2-byte sequence: accepted exactly when it is UTF-8. */
static void
test_utf8_table(void **state)
{
	unsigned char s[3] = { 0, 0, 0 };
	int valid;

	(void)state;
	for (int a = 1; a < 256; a++) {
		s[0] = (unsigned char)a;
		s[1] = 0;
		assert_int_equal(quote_utf8_len(s), a < 0x80 ? 1 : 0);
		for (int b = 1; b < 256; b++) {
			s[1] = (unsigned char)b;
			valid = a >= 0xc2 && a <= 0xdf && b >= 0x80 &&
			    b <= 0xbf;
			if (a >= 0x80 && !(a >= 0xe0 && a <= 0xf4))
				assert_int_equal(quote_utf8_len(s),
				    valid ? 2 : 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_qualified),
		cmocka_unit_test(test_utf8_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
