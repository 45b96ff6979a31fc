/*
 * idxdef.c - index key options in pg_get_indexdef()'s spelling (see
 * idxdef.h): split out of a definition, written from a model, compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idxdef.h"
#include "quote.h"
#include "schema.h"

/* p at an opening quote q: the character after the closing one. */
static const char *
skip_quoted(const char *p, char q)
{
	for (p++; *p; p++) {
		if (*p != q)
			continue;
		if (p[1] != q)
			return p + 1;
		p++;		/* a doubled quote */
	}
	return p;
}

static int
is_sep(char c)
{
	return c == ' ' || c == ',' || c == ')';
}

/* The end of the key text key at p (bare or parenthesised), or NULL. */
static const char *
skip_key(const char *p, const char *key)
{
	size_t n = strlen(key);
	const char *q;

	if (*p == '(' && !strncmp(p + 1, key, n) && p[n + 1] == ')' &&
	    is_sep(p[n + 2]))
		return p + n + 2;
	if (!strncmp(p, key, n) && is_sep(p[n]))
		return p + n;
	/* a column name PostgreSQL quotes (a keyword, capitals) */
	if (*p == '"' && is_sep(*(q = skip_quoted(p, '"'))))
		return q;
	return NULL;
}

/* The ',' or ')' ending the options at p (outside quotes and parens). */
static const char *
opts_end(const char *p)
{
	int depth = 0;

	while (*p) {
		if (*p == '"' || *p == '\'') {
			p = skip_quoted(p, *p);
			continue;
		}
		if (depth == 0 && (*p == ',' || *p == ')'))
			return p;
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		p++;
	}
	return NULL;
}

/* One key's options at *pp, trimmed, into *out; *pp moves past them. */
static int
split_one(const char **pp, const char *key, char **out)
{
	const char *p = skip_key(*pp, key), *end;
	size_t n;

	*out = NULL;
	if (p == NULL || (end = opts_end(p)) == NULL)
		return 1;
	while (*p == ' ')
		p++;
	for (n = (size_t)(end - p); n > 0 && p[n - 1] == ' '; n--)
		;
	if ((*out = strndup(p, n)) == NULL)
		return -1;
	*pp = *end == ',' ? end + (end[1] == ' ' ? 2 : 1) : end;
	return 0;
}

/* Every key IDXDEF_UNREAD (or NULL when there are none). */
static int
split_unread(size_t n, char ***opts)
{
	schema_strv_free(*opts);
	*opts = NULL;
	for (size_t i = 0; i < n; i++)
		if (schema_strv_push(opts, IDXDEF_UNREAD) == -1)
			return -1;
	return 0;
}

int
idxdef_split(const char *def, const char *method, char *const *keys,
    char ***opts)
{
	char needle[96], *o;
	const char *p;
	size_t n = schema_strv_len(keys);
	int rc = 0, any = 0;

	*opts = NULL;
	if (def == NULL)
		return 0;
	snprintf(needle, sizeof(needle), " USING %s (", method);
	if ((p = strstr(def, needle)) == NULL)
		return split_unread(n, opts);
	p += strlen(needle);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = split_one(&p, keys[i], &o)) != 0)
			break;
		any |= *o != '\0';
		if (schema_strv_push(opts, o) == -1)
			rc = -1;
		free(o);
	}
	if (rc == 0 && *p != ')')
		rc = 1;
	if (rc == 1)
		return split_unread(n, opts);
	if (rc == -1 || !any) {
		schema_strv_free(*opts);
		*opts = NULL;
	}
	return rc;
}

/* A name as PostgreSQL prints it: bare when it is a plain identifier. */
static char *
name_sql(const char *s)
{
	const char *p = s;

	if (*p == '_' || (*p >= 'a' && *p <= 'z'))
		while (*p == '_' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9'))
			p++;
	return *p == '\0' && p != s ? strdup(s) : quote_ident(s);
}

/* An operator class, maybe schema-qualified ("s.name"). */
static char *
opclass_sql(const char *s)
{
	const char *dot = strchr(s, '.');
	char *sch, *a = NULL, *b = NULL, *r = NULL;

	if (dot == NULL)
		return name_sql(s);
	if ((sch = strndup(s, (size_t)(dot - s))) != NULL &&
	    (a = name_sql(sch)) != NULL && (b = name_sql(dot + 1)) != NULL &&
	    asprintf(&r, "%s.%s", a, b) == -1)
		r = NULL;
	free(sch);
	free(a);
	free(b);
	return r;
}

static const char *
order_sql(int desc, char nulls)
{
	if (desc)
		return nulls == 'l' ? "DESC NULLS LAST" : "DESC";
	return nulls == 'f' ? "NULLS FIRST" : "";
}

char *
idxdef_format(const char *collation, const char *opclass, int desc,
    char nulls)
{
	char *coll = NULL, *opc = NULL, *r = NULL;
	const char *ord = order_sql(desc, nulls);

	if ((collation && (coll = quote_ident(collation)) == NULL) ||
	    (opclass && (opc = opclass_sql(opclass)) == NULL))
		goto out;
	if (asprintf(&r, "%s%s%s%s%s%s", coll ? "COLLATE " : "",
	    coll ? coll : "", coll && (opc || *ord) ? " " : "",
	    opc ? opc : "", opc && *ord ? " " : "", ord) == -1)
		r = NULL;
out:
	free(coll);
	free(opc);
	return r;
}

/*
 * The next token of s at *pp into buf, unquoted, without a pg_catalog or
 * public prefix; 0 at the end, -1 when it does not fit (compared as
 * different).  Tokens are separated by spaces outside quotes and
 * parentheses.
 */
static int
next_token(const char **pp, char *buf, size_t len)
{
	const char *p = *pp;
	size_t n = 0;
	int depth = 0, full = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	for (; *p && (depth > 0 || *p != ' '); p++) {
		if (*p == '"' && depth == 0) {
			const char *q = skip_quoted(p, '"');
			const char *end = q > p + 1 && q[-1] == '"' ? q - 1 : q;

			for (p++; p < end; p++)
				if (*p != '"' || p[-1] != '"')
					full |= n + 1 < len ? (buf[n++] = *p,
					    0) : 1;
			p = q - 1;	/* the loop steps onto q */
			continue;
		}
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		full |= n + 1 < len ? (buf[n++] = *p, 0) : 1;
	}
	buf[n] = '\0';
	*pp = p;
	if (full)
		return -1;
	if (!strncmp(buf, "pg_catalog.", 11))
		memmove(buf, buf + 11, strlen(buf + 11) + 1);
	else if (!strncmp(buf, "public.", 7))
		memmove(buf, buf + 7, strlen(buf + 7) + 1);
	return 1;
}

int
idxdef_equal(const char *a, const char *b)
{
	char ta[256], tb[256];
	int ha, hb;

	a = a ? a : "";
	b = b ? b : "";
	if (!strcmp(a, b))
		return 1;
	for (;;) {
		ha = next_token(&a, ta, sizeof(ta));
		hb = next_token(&b, tb, sizeof(tb));
		if (ha != hb || ha == -1 || (ha && strcmp(ta, tb)))
			return 0;
		if (!ha)
			return 1;
	}
}

int
idxdef_equalv(char *const *a, char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!idxdef_equal(a ? a[i] : NULL, b ? b[i] : NULL))
			return 0;
	return 1;
}

int
idxdef_parts(const char *opts, char **collation, char **opclass)
{
	static const char *const order[] = { "ASC", "DESC", "NULLS", "FIRST",
	    "LAST", NULL };
	char tok[256], *paren;
	int h, coll = 0, k;

	*collation = *opclass = NULL;
	while (opts && (h = next_token(&opts, tok, sizeof(tok))) != 0) {
		if (h == -1)
			break;
		if (coll) {
			coll = 0;
			if ((*collation = strdup(tok)) == NULL)
				goto nomem;
			continue;
		}
		if (!strcmp(tok, "COLLATE")) {
			coll = 1;
			continue;
		}
		for (k = 0; order[k] && strcmp(order[k], tok); k++)
			;
		if (order[k] || *opclass)
			continue;
		if ((paren = strchr(tok, '(')) != NULL)
			*paren = '\0';	/* operator class parameters */
		if ((*opclass = strdup(tok)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	free(*collation);
	*collation = NULL;
	return -1;
}
