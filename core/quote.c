/*
 * quote.c - PostgreSQL's quoting rules, as libpq's PQescapeInternal()
 * (fe-exec.c) applies them for a UTF8 client_encoding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"

/* As PostgreSQL's pg_utf_mblen() + pg_utf8_islegal() (wchar.c). */
int
quote_utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;	/* a continuation byte, C0, C1 or above F4 */
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
	/* overlong forms, surrogates and code points above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * Quote s with q (the quote character); in a literal, backslashes are
 * doubled and the E'' form is used.
 */
static char *
quote_with(const char *s, char q)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0, nq = 0, nbs = 0, i;
	char *out, *o;
	int n;

	while (p[len]) {
		if ((n = quote_utf8_len(p + len)) == 0) {
			errno = EILSEQ;
			return NULL;
		}
		nq += p[len] == (unsigned char)q;
		nbs += q == '\'' && p[len] == '\\';
		len += (size_t)n;
	}
	if ((out = malloc(len + nq + nbs + (nbs ? 5 : 3))) == NULL)
		return NULL;
	o = out;
	if (nbs) {
		*o++ = ' ';
		*o++ = 'E';
	}
	*o++ = q;
	for (i = 0; i < len; i++) {
		if (s[i] == q || (nbs && s[i] == '\\'))
			*o++ = s[i];
		*o++ = s[i];
	}
	*o++ = q;
	*o = '\0';
	return out;
}

char *
quote_ident(const char *name)
{
	return quote_with(name, '"');
}

char *
quote_literal(const char *text)
{
	return quote_with(text, '\'');
}

char *
quote_qualified(const char *schema, const char *name)
{
	char *a = quote_ident(schema), *b = a ? quote_ident(name) : NULL;
	char *s = NULL;
	size_t la, lb;

	if (a && b) {
		la = strlen(a);
		lb = strlen(b);
		if ((s = malloc(la + lb + 2)) != NULL) {
			memcpy(s, a, la);
			s[la] = '.';
			memcpy(s + la + 1, b, lb + 1);
		}
	}
	free(a);
	free(b);
	return s;
}
