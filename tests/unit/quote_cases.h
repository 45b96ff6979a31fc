/*
 * quote_cases.h - tricky inputs for quote_ident() / quote_literal(), with
 * what libpq's PQescapeIdentifier() / PQescapeLiteral() return for them
 * (UTF8 client_encoding).  test_quote.c checks the pure functions against
 * the expected strings; test_quote_libpq.c checks libpq against the same
 * table on a live connection, so the expectations are libpq's own.
 * ident/literal NULL: refused (invalid UTF-8).
 */
#ifndef QUOTE_CASES_H
#define QUOTE_CASES_H

struct quote_case {
	const char	*in;
	const char	*ident;
	const char	*literal;
};

static const struct quote_case quote_cases[] = {
	{ "", "\"\"", "''" },
	{ "users", "\"users\"", "'users'" },
	{ "Users", "\"Users\"", "'Users'" },
	{ "select", "\"select\"", "'select'" },
	{ "two words", "\"two words\"", "'two words'" },
	{ "a\"b", "\"a\"\"b\"", "'a\"b'" },
	{ "\"", "\"\"\"\"", "'\"'" },
	{ "\"\"", "\"\"\"\"\"\"", "'\"\"'" },
	{ "it's", "\"it's\"", "'it''s'" },
	{ "'", "\"'\"", "''''" },
	{ "''", "\"''\"", "''''''" },
	{ "a\\b", "\"a\\b\"", " E'a\\\\b'" },
	{ "\\", "\"\\\"", " E'\\\\'" },
	{ "\\'", "\"\\'\"", " E'\\\\'''" },
	{ "C:\\dir\\it's", "\"C:\\dir\\it's\"", " E'C:\\\\dir\\\\it''s'" },
	{ "x\"y'z\\", "\"x\"\"y'z\\\"", " E'x\"y''z\\\\'" },
	{ "tab\there", "\"tab\there\"", "'tab\there'" },
	{ "new\nline", "\"new\nline\"", "'new\nline'" },
	{ "semi;colon -- x", "\"semi;colon -- x\"",
	    "'semi;colon -- x'" },
	{ "$$dollar$$", "\"$$dollar$$\"", "'$$dollar$$'" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "'caf\xc3\xa9'" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"",
	    "'\xe6\x97\xa5\xe6\x9c\xac'" },
	{ "\xf0\x9f\x90\x98\"", "\"\xf0\x9f\x90\x98\"\"\"",
	    "'\xf0\x9f\x90\x98\"'" },
	{ "\xef\xbf\xbf'", "\"\xef\xbf\xbf'\"", "'\xef\xbf\xbf'''" },
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"",
	    "'\xf4\x8f\xbf\xbf'" },
	/* invalid UTF-8: libpq refuses them */
	{ "\xc3", NULL, NULL },			/* truncated */
	{ "ab\xe6\x97", NULL, NULL },		/* truncated */
	{ "\x80", NULL, NULL },			/* lone continuation */
	{ "\xc0\xaf", NULL, NULL },		/* overlong '/' */
	{ "\xe0\x80\xaf", NULL, NULL },		/* overlong '/' */
	{ "\xed\xa0\x80", NULL, NULL },		/* surrogate */
	{ "\xf4\x90\x80\x80", NULL, NULL },	/* above U+10FFFF */
	{ "\xf8\x88\x80\x80\x80", NULL, NULL },	/* 5 bytes */
	{ "\xff", NULL, NULL },
	{ "a\xc3(b", NULL, NULL },		/* bad continuation */
};

#define QUOTE_NCASES	(sizeof(quote_cases) / sizeof(quote_cases[0]))

#endif
