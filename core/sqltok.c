/* sqltok.c - the tokens of an SQL statement (sqltok.h). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sqltok.h"

static int
tok_wordch(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skip whitespace and comments from p; returns the new offset. */
static size_t
tok_skip(const char *s, size_t p)
{
	for (;;) {
		while (s[p] && isspace((unsigned char)s[p]))
			p++;
		if (s[p] == '-' && s[p + 1] == '-') {
			while (s[p] && s[p] != '\n')
				p++;
		} else if (s[p] == '/' && s[p + 1] == '*') {
			int depth = 1;

			for (p += 2; s[p] && depth > 0; p++)
				if (s[p] == '/' && s[p + 1] == '*')
					depth++, p++;
				else if (s[p] == '*' && s[p + 1] == '/')
					depth--, p++;
		} else
			return p;
	}
}

/* A quoted run from the quote at p ('' or "" doubled; backslash escapes
 * when esc); returns the offset after the closing quote. */
static size_t
tok_quoted(const char *s, size_t p, int esc)
{
	char q = s[p++];

	while (s[p]) {
		if (esc && s[p] == '\\' && s[p + 1]) {
			p += 2;
			continue;
		}
		if (s[p] == q && s[p + 1] == q) {
			p += 2;
			continue;
		}
		if (s[p++] == q)
			break;
	}
	return p;
}

/* $tag$ ... $tag$ from p, or 0 when p does not start a dollar quote. */
static size_t
tok_dollar(const char *s, size_t p)
{
	size_t t = p + 1, len;
	const char *close;

	if (isdigit((unsigned char)s[t]))
		return 0;
	while (s[t] && s[t] != '$' && (isalnum((unsigned char)s[t]) ||
	    s[t] == '_' || (unsigned char)s[t] >= 0x80))
		t++;
	if (s[t] != '$')
		return 0;
	len = t + 1 - p;
	for (close = s + t + 1; (close = strchr(close, '$')) != NULL; close++)
		if (!strncmp(close, s + p, len))
			return (size_t)(close - s) + len;
	return strlen(s);
}

void
sqltok_next(const char *s, size_t *pos, struct sqltok *t)
{
	size_t p = tok_skip(s, *pos), e;
	unsigned char c = (unsigned char)s[p];

	t->off = p;
	if (c == '\0') {
		t->kind = SQLTOK_END;
		t->end = *pos = p;
		return;
	}
	if (strchr("eEbBxXnN", c) && s[p + 1] == '\'') {
		t->kind = SQLTOK_STRING;
		e = tok_quoted(s, p + 1, c == 'e' || c == 'E');
	} else if ((c == 'u' || c == 'U') && s[p + 1] == '&' &&
	    (s[p + 2] == '\'' || s[p + 2] == '"')) {
		t->kind = s[p + 2] == '"' ? SQLTOK_QIDENT : SQLTOK_STRING;
		e = tok_quoted(s, p + 2, 0);
	} else if (c == '\'' || c == '"') {
		t->kind = c == '"' ? SQLTOK_QIDENT : SQLTOK_STRING;
		e = tok_quoted(s, p, 0);
	} else if (c == '$' && (e = tok_dollar(s, p)) != 0) {
		t->kind = SQLTOK_STRING;
	} else if (tok_wordch(c) && c != '$') {
		t->kind = SQLTOK_WORD;
		for (e = p; s[e] && tok_wordch((unsigned char)s[e]); e++)
			;
	} else {
		t->kind = SQLTOK_PUNCT;
		e = p + 1;
	}
	t->end = *pos = e;
}

int
sqltok_is(const char *s, const struct sqltok *t, const char *w)
{
	size_t n = strlen(w);

	if (t->kind != SQLTOK_WORD && t->kind != SQLTOK_PUNCT)
		return 0;
	return t->end - t->off == n && !strncasecmp(s + t->off, w, n);
}

size_t
sqltok_name_end(const char *s, size_t off)
{
	struct sqltok t;
	size_t p = off, end = off, q;

	for (;;) {
		sqltok_next(s, &p, &t);
		if (t.kind != SQLTOK_WORD && t.kind != SQLTOK_QIDENT)
			return end;
		end = t.end;
		q = p;
		sqltok_next(s, &q, &t);
		if (!sqltok_is(s, &t, "."))
			return end;
		p = q;
	}
}

int
sqltok_find(const char *s, size_t *pos, const char *w)
{
	struct sqltok t;
	size_t p = *pos;
	int depth = 0;

	for (;;) {
		sqltok_next(s, &p, &t);
		if (t.kind == SQLTOK_END)
			return -1;
		if (sqltok_is(s, &t, "(") || sqltok_is(s, &t, "["))
			depth++;
		else if (sqltok_is(s, &t, ")") || sqltok_is(s, &t, "]"))
			depth--;
		else if (depth == 0 && sqltok_is(s, &t, w)) {
			*pos = t.off;
			return 0;
		}
	}
}
