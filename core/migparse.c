/*
 * migparse.c - a migration script into statements, with libpg_query.
 *
 * pg_query_split_with_parser() splits (dollar quotes, DO blocks, strings
 * and comments are the parser's business, never ours), a window of the
 * text at a time; each statement is then parsed alone with
 * pg_query_parse(), classified, and its JSON tree kept only when
 * something reads it later.  Statements are NUL-terminated in place in
 * the script's text (their ';' becomes the NUL): no copy of the file.
 * A goose StatementBegin/End block is one statement, sent as written;
 * the text between blocks is split as above, window by window.
 * "-- migrated:" directives are read from the comment lines that lead a
 * statement; those of the first statement are the file header.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "migset.h"
#include "migset_int.h"

void
mig_offset_pos(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

void
mig_cursor_pos(const char *text, struct mig_cursor *c, size_t off,
    int *line, int *col)
{
	size_t i;

	if (c->line == 0 || off < c->off) {
		c->off = 0;
		c->line = c->col = 1;
	}
	/* off is inside the text: NULs before it are ends of statements */
	for (i = c->off; i < off; i++) {
		if (text[i] == '\n') {
			c->line++;
			c->col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c->col++;
		}
	}
	c->off = i;
	*line = c->line;
	*col = c->col;
}

/*
 * Byte offset of the 1-based character position pos that PostgreSQL
 * reports (cursorpos): its characters are counted as pg_utf_mblen() does,
 * by the lead byte alone, so that invalid UTF-8 maps back to the byte the
 * server meant.
 */
static size_t
char_to_byte(const char *text, int pos)
{
	size_t i = 0;

	for (int c = 1; c < pos && text[i]; c++) {
		unsigned char b = (unsigned char)text[i];
		size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 :
		    (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 1;

		for (size_t k = 0; k < len && text[i]; k++)
			i++;
	}
	return i;
}

/* "250ms", "5s", "2m", "1h" or bare milliseconds; -1 when malformed. */
static long
parse_duration(const char *s, size_t len)
{
	char buf[32], *end;
	long v, mul = 1;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	return v * mul;
}

struct directive_ctx {
	struct mig_script *sc;
	struct mig_stmt	*st;
	struct mig_cursor *cur;		/* positions, in file order */
	int		 header;	/* leading comments of statement 1 */
	int		 line, col;	/* of the directive's "--" */
	const char	*text;		/* the comment after "--", whose
					   columns follow col + 2 */
};

static int
dir_error(struct directive_ctx *d, struct merr *e, const char *fmt,
    const char *arg)
{
	merr_setpos(e, MERR_INPUT, d->sc->path, d->line, d->col, fmt, arg);
	merr_hint(e, "directives: lock_timeout=DUR, statement_timeout=DUR, "
	    "lock_retries=N (file header), batch size=N [pause=DUR] "
	    "[adaptive] [min_size=N] [max_size=N] [target=DUR] "
	    "[max_pause=DUR], nolint RULE...");
	return -1;
}

/* The same, at the column of p, which points into d->text. */
static int
dir_error_at(struct directive_ctx *d, struct merr *e, const char *p,
    const char *fmt, const char *arg)
{
	int col = d->col;

	if (d->text && p >= d->text)
		col += 2 + (int)(p - d->text);
	dir_error(d, e, fmt, arg);
	e->col = col;
	return -1;
}

/* A whole number from 1 to 10000000, or -1. */
static long
parse_rows(const char *s, size_t len)
{
	char buf[16], *end;
	long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtol(buf, &end, 10);
	return end == buf || *end || v < 1 || v > 10000000 ? -1 : v;
}

static const struct batch_opt {
	const char	*name;		/* with its '=', or a bare word */
	int		 rows;		/* a row count, else a duration */
	size_t		 off;		/* in struct pace_spec, or -1 */
} batch_opts[] = {
	{ "size=", 1, (size_t)-1 },
	{ "pause=", 0, (size_t)-1 },
	{ "min_size=", 1, offsetof(struct pace_spec, min_size) },
	{ "max_size=", 1, offsetof(struct pace_spec, max_size) },
	{ "target=", 0, offsetof(struct pace_spec, target_ms) },
	{ "max_pause=", 0, offsetof(struct pace_spec, max_pause_ms) },
	{ "adaptive", 0, (size_t)-1 },
};

/* One option of a batch line into size, pause or spec. */
static int
batch_opt(struct directive_ctx *d, const char *p, size_t wl, long *size,
    long *pause, struct pace_spec *spec, struct merr *e)
{
	const struct batch_opt *o = NULL;
	size_t i, nl;
	long v;

	for (i = 0; i < sizeof(batch_opts) / sizeof(batch_opts[0]); i++) {
		nl = strlen(batch_opts[i].name);
		if (strncmp(p, batch_opts[i].name, nl) == 0 &&
		    (batch_opts[i].name[nl - 1] == '=' || wl == nl)) {
			o = &batch_opts[i];
			break;
		}
	}
	if (o == NULL) {
		char word[64];

		snprintf(word, sizeof(word), "%.*s", (int)wl, p);
		return dir_error_at(d, e, p, "unknown batch option '%s'",
		    word);
	}
	if (o->name[nl - 1] != '=') {
		spec->adaptive = 1;
		return 0;
	}
	v = o->rows ? parse_rows(p + nl, wl - nl) :
	    parse_duration(p + nl, wl - nl);
	if (v == -1 || (!o->rows && strcmp(o->name, "pause=") &&
	    (v < 1 || v > 3600000)))
		return dir_error_at(d, e, p + nl, o->rows ? "bad batch %s "
		    "(a number of rows from 1 to 10000000)" : "bad batch %s "
		    "(a duration: 250ms, 2s; at most 1h)", o->name);
	if (o->off != (size_t)-1)
		*(long *)(void *)((char *)spec + o->off) = v;
	else if (o->rows)
		*size = v;
	else
		*pause = v;
	return 0;
}

/* The options fit together (spec: what was given, -1 for the rest). */
static int
batch_limits(struct directive_ctx *d, long size, const struct pace_spec *sp,
    const char *args, struct merr *e)
{
	if (size == -1)
		return dir_error(d, e, "batch needs size=N with N from 1 to "
		    "10000000%s", "");
	if (sp->min_size != -1 && sp->min_size > size)
		return dir_error_at(d, e, strstr(args, "min_size="),
		    "batch min_size is above size%s", "");
	if (sp->max_size != -1 && sp->max_size < size)
		return dir_error_at(d, e, strstr(args, "max_size="),
		    "batch max_size is below size%s", "");
	return 0;
}

static int
dir_batch(struct directive_ctx *d, const char *args, struct merr *e)
{
	struct pace_spec sp = { 0, -1, -1, -1, -1 };
	const char *p = args;
	long size = -1, pause = -1;

	while (*p) {
		size_t wl;

		while (*p == ' ' || *p == '\t')
			p++;
		wl = strcspn(p, " \t");
		if (wl == 0)
			break;
		if (batch_opt(d, p, wl, &size, &pause, &sp, e) == -1)
			return -1;
		p += wl;
	}
	if (batch_limits(d, size, &sp, args, e) == -1)
		return -1;
	d->st->batch_size = (int)size;
	d->st->batch_pause_ms = pause;
	if (sp.adaptive || sp.min_size != -1 || sp.max_size != -1 ||
	    sp.target_ms != -1 || sp.max_pause_ms != -1) {
		free(d->st->pace);
		if ((d->st->pace = malloc(sizeof(sp))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		*d->st->pace = sp;
	}
	return 0;
}

static int
dir_nolint(struct directive_ctx *d, const char *args, struct merr *e)
{
	char *s;

	while (*args == ' ' || *args == '\t')
		args++;
	if (*args == '\0')
		return dir_error(d, e, "nolint needs a rule name%s", "");
	if (d->st->nolint == NULL)
		s = strdup(args);
	else if (asprintf(&s, "%s %s", d->st->nolint, args) == -1)
		s = NULL;
	if (s == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	free(d->st->nolint);
	d->st->nolint = s;
	return 0;
}

/* One "-- migrated:KEY..." comment, text after the colon, trimmed. */
static int
directive(struct directive_ctx *d, const char *s, struct merr *e)
{
	size_t kl = strcspn(s, "= \t");
	const char *v = s + kl + (s[kl] == '=');
	long *target = NULL, x;

	if (kl == 5 && strncmp(s, "batch", 5) == 0)
		return dir_batch(d, v, e);
	if (kl == 6 && strncmp(s, "nolint", 6) == 0)
		return dir_nolint(d, v, e);
	if (kl == 12 && strncmp(s, "lock_timeout", 12) == 0)
		target = &d->sc->lock_timeout_ms;
	else if (kl == 17 && strncmp(s, "statement_timeout", 17) == 0)
		target = &d->sc->statement_timeout_ms;
	else if (kl == 12 && strncmp(s, "lock_retries", 12) == 0)
		target = &d->sc->lock_retries;
	if (target == NULL)
		return dir_error(d, e, "unknown directive 'migrated:%s'", s);
	if (!d->header)
		return dir_error(d, e, "directive 'migrated:%s' belongs in "
		    "the file header, before the first statement", s);
	if (s[kl] != '=')
		return dir_error(d, e, "directive 'migrated:%s' needs =VALUE",
		    s);
	if (target == &d->sc->lock_retries) {
		char *end;

		x = strtol(v, &end, 10);
		if (end == v || *end || x < 0 || x > 100)
			return dir_error(d, e, "bad lock_retries '%s'", v);
	} else if ((x = parse_duration(v, strlen(v))) == -1) {
		return dir_error(d, e, "bad duration '%s'", v);
	}
	*target = x;
	return 0;
}

/*
 * Walk the comment lines that lead the span [off, off+len): read the
 * directives and return the offset of the first line that is not one.
 */
static int
leading_comments(struct directive_ctx *d, size_t off, size_t len,
    size_t *body, struct merr *e)
{
	const char *text = d->sc->text;
	size_t p = off, end = off + len;

	while (p < end) {
		size_t q = p, eol;
		char buf[512];

		while (q < end && (text[q] == ' ' || text[q] == '\t' ||
		    text[q] == '\r'))
			q++;
		if (q < end && text[q] == '\n') {
			p = q + 1;
			continue;
		}
		if (q + 1 >= end || text[q] != '-' || text[q + 1] != '-')
			break;
		/* PostgreSQL ends a comment at a CR as at an LF */
		for (eol = q; eol < end && text[eol] != '\n' &&
		    text[eol] != '\r'; eol++)
			;
		snprintf(buf, sizeof(buf), "%.*s", (int)(eol - q - 2),
		    text + q + 2);
		buf[strcspn(buf, "\r")] = '\0';
		{
			char *s = buf, *t;

			while (*s == ' ' || *s == '\t')
				s++;
			if (strncmp(s, "migrated:", 9) == 0) {
				s += 9;
				t = s + strlen(s);
				while (t > s && isspace((unsigned char)t[-1]))
					*--t = '\0';
				mig_cursor_pos(text, d->cur, q, &d->line,
				    &d->col);
				d->text = buf;
				if (directive(d, s, e) == -1)
					return -1;
			}
		}
		p = eol < end ? eol + 1 : end;
	}
	while (p < end && isspace((unsigned char)text[p]))
		p++;
	*body = p;
	return 0;
}

/* The statement's node type and body from pg_query_parse JSON. */
static json_t *
stmt_node(json_t *root, const char **type)
{
	json_t *stmts = json_object_get(root, "stmts"), *s, *node;
	void *it;

	s = json_object_get(json_array_get(stmts, 0), "stmt");
	if (!json_is_object(s) || (it = json_object_iter(s)) == NULL)
		return NULL;
	*type = json_object_iter_key(it);
	node = json_object_iter_value(it);
	return node;
}

json_t *
mig_stmt_tree(const struct mig_stmt *st)
{
	PgQueryParseResult r;
	json_t *root;

	if (st->tree)
		return json_loads(st->tree, 0, NULL);
	r = pg_query_parse(st->sql);
	root = r.error ? NULL : json_loads(r.parse_tree, 0, NULL);
	pg_query_free_parse_result(r);
	return root;
}

/*
 * The node type of a pg_query_parse JSON text ("InsertStmt"), read
 * without building the tree: {"version":N,"stmts":[{"stmt":{"TYPE":...
 * Empty when there is no statement (only comments).
 */
static void
tree_type(const char *json, char *type, size_t len)
{
	static const char key[] = "\"stmts\":[{\"stmt\":{\"";
	const char *p = strstr(json, key), *q;

	type[0] = '\0';
	if (p == NULL)
		return;
	p += sizeof(key) - 1;
	if ((q = strchr(p, '"')) != NULL && (size_t)(q - p) < len)
		snprintf(type, len, "%.*s", (int)(q - p), p);
}

/*
 * The statement types whose tree is read after parsing: here (transaction
 * mode, batches, DISCARD ALL), by lint.c, migown.c, backfill.c and
 * runner_script.c.  Every other statement keeps no tree (a file of a
 * million INSERTs keeps a million statements, not a million trees):
 * mig_stmt_tree() parses it again on the rare occasion it is wanted.
 */
static int
tree_kept(const char *type)
{
	static const char *const kept[] = { "TransactionStmt", "IndexStmt",
	    "DropStmt", "ReindexStmt", "VacuumStmt", "UpdateStmt",
	    "DeleteStmt", "AlterTableStmt", "CreateStmt", "CreateEnumStmt",
	    "AlterEnumStmt", "CommentStmt", "DiscardStmt",
	    "CreateFunctionStmt", "ViewStmt", "CreateTableAsStmt",
	    "CreateTrigStmt", "CreatePolicyStmt", "CreateExtensionStmt",
	    "CreateSeqStmt", "CreateDomainStmt", "RenameStmt", NULL };

	for (int i = 0; kept[i]; i++)
		if (strcmp(type, kept[i]) == 0)
			return 1;
	return 0;
}

static int
reindex_concurrent(json_t *node)
{
	json_t *params = json_object_get(node, "params"), *p;
	size_t i;

	json_array_foreach(params, i, p) {
		json_t *de = json_object_get(p, "DefElem");
		const char *n = json_string_value(json_object_get(de,
		    "defname"));

		if (n && strcmp(n, "concurrently") == 0)
			return 1;
	}
	return 0;
}

/* Statements PostgreSQL refuses inside a transaction block. */
static int
is_notx(const char *type, json_t *node)
{
	static const char *const always[] = { "CreatedbStmt", "DropdbStmt",
	    "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
	    NULL };
	int i;

	for (i = 0; always[i]; i++)
		if (strcmp(type, always[i]) == 0)
			return 1;
	if (strcmp(type, "IndexStmt") == 0 || strcmp(type, "DropStmt") == 0)
		return json_is_true(json_object_get(node, "concurrent"));
	if (strcmp(type, "ReindexStmt") == 0)
		return reindex_concurrent(node);
	if (strcmp(type, "VacuumStmt") == 0)
		return json_is_true(json_object_get(node, "is_vacuumcmd"));
	if (strcmp(type, "DiscardStmt") == 0)
		return json_string_value(json_object_get(node, "target")) &&
		    strcmp(json_string_value(json_object_get(node, "target")),
		    "DISCARD_ALL") == 0;
	return 0;
}

static int
is_txctl(const char *type, json_t *node)
{
	const char *k;

	if (strcmp(type, "TransactionStmt") != 0)
		return 0;
	k = json_string_value(json_object_get(node, "kind"));
	return k && (strcmp(k, "TRANS_STMT_BEGIN") == 0 ||
	    strcmp(k, "TRANS_STMT_START") == 0 ||
	    strcmp(k, "TRANS_STMT_COMMIT") == 0 ||
	    strcmp(k, "TRANS_STMT_ROLLBACK") == 0 ||
	    strcmp(k, "TRANS_STMT_PREPARE") == 0 ||
	    strcmp(k, "TRANS_STMT_COMMIT_PREPARED") == 0 ||
	    strcmp(k, "TRANS_STMT_ROLLBACK_PREPARED") == 0);
}

static int
batch_check(struct mig_script *sc, struct mig_stmt *st, const char *type,
    json_t *node, struct merr *e)
{
	json_t *where = json_object_get(node, "whereClause");

	if (strcmp(type, "UpdateStmt") != 0)
		return merr_setpos(e, MERR_INPUT, sc->path, st->line,
		    st->col, "'migrated:batch' must precede an UPDATE");
	if (json_object_get(node, "returningList"))
		return merr_setpos(e, MERR_INPUT, sc->path, st->line,
		    st->col, "a batched UPDATE cannot have RETURNING");
	if (json_object_get(where, "CurrentOfExpr"))
		return merr_setpos(e, MERR_INPUT, sc->path, st->line,
		    st->col, "a batched UPDATE cannot use WHERE CURRENT OF");
	st->kind = MIG_STMT_BATCH;
	return 0;
}

static int
node_kept(const char *type, json_t *node)
{
	(void)node;
	return tree_kept(type);
}

/* Does pred hold for one of the statements of the tree? */
static int
tree_any(json_t *root, int (*pred)(const char *, json_t *))
{
	json_t *item, *s;
	size_t i;
	void *it;

	json_array_foreach(json_object_get(root, "stmts"), i, item) {
		s = json_object_get(item, "stmt");
		if (json_is_object(s) && (it = json_object_iter(s)) != NULL &&
		    pred(json_object_iter_key(it), json_object_iter_value(it)))
			return 1;
	}
	return 0;
}

/*
 * Does classify() read the tree of st, of type type?  A goose block's
 * (several statements), a batched UPDATE's, and the types whose node
 * is_txctl() or is_notx() look into; for every other type the type
 * alone says.  An index, a DROP or a REINDEX is looked into only for
 * CONCURRENTLY, a keyword (never quoted or escaped): a statement whose
 * text has no such word is not concurrent.
 */
static int
tree_read(const struct mig_stmt *st, int block, const char *type)
{
	static const char *const read[] = { "TransactionStmt", "VacuumStmt",
	    "DiscardStmt", NULL };
	static const char *const concurrent[] = { "IndexStmt", "DropStmt",
	    "ReindexStmt", NULL };

	if (block || st->batch_size > 0)
		return 1;
	for (int i = 0; read[i]; i++)
		if (strcmp(type, read[i]) == 0)
			return 1;
	for (int i = 0; concurrent[i]; i++)
		if (strcmp(type, concurrent[i]) == 0)
			return strcasestr(st->sql, "concurrently") != NULL;
	return 0;
}

/*
 * The first byte where s stops being UTF-8 as jansson takes it (its
 * json_loads() refuses the whole text then): a stray continuation byte,
 * an overlong form, a surrogate, beyond U+10FFFF.  NULL: all of it is.
 */
static const unsigned char *
utf8_bad(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long v;
	int n;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF)
			n = 2, v = *p & 0x1F;
		else if (*p >= 0xE0 && *p <= 0xEF)
			n = 3, v = *p & 0x0F;
		else if (*p >= 0xF0 && *p <= 0xF4)
			n = 4, v = *p & 0x07;
		else
			return p;
		for (int i = 1; i < n; i++) {
			if (p[i] < 0x80 || p[i] > 0xBF)
				return p;
			v = (v << 6) | (p[i] & 0x3F);
		}
		if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
		    (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
			return p;
		p += n;
	}
	return NULL;
}

/*
 * Kind of st, whose type is type; the tree is read only when kept and
 * classifying needs it (tree_read), else only checked to be UTF-8 as its
 * later readers need.  A goose block's tree (always kept until here) may
 * hold several statements: each is looked at, and the tree stays only
 * when one of them is read later.
 */
static int
classify(struct mig_script *sc, struct mig_stmt *st, int block,
    const char *type, struct merr *e)
{
	json_t *root = NULL, *node = NULL;
	json_error_t je;
	const char *t = type;
	int rc = 0;

	if (st->tree && !tree_read(st, block, type)) {
		const unsigned char *bad = utf8_bad(st->tree);

		if (bad)
			return merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "statement is not valid UTF-8 (unable "
			    "to decode byte 0x%x)", *bad);
	} else if (st->tree) {
		/* the parser passes bytes through; JSON wants UTF-8 */
		if ((root = json_loads(st->tree, 0, &je)) == NULL)
			return merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "statement is not valid UTF-8 (%s)",
			    je.text);
		if ((node = stmt_node(root, &t)) == NULL) {
			json_decref(root);
			return merr_set(e, MERR_INTERNAL, "empty parse tree");
		}
	}
	if (is_txctl(t, node))
		st->kind = MIG_STMT_TXCTL;
	else if (root ? tree_any(root, is_notx) : is_notx(t, NULL))
		st->kind = MIG_STMT_NOTX;
	if (json_array_size(json_object_get(root, "stmts")) > 1 &&
	    tree_any(root, is_txctl))
		rc = merr_setpos(e, MERR_INPUT, sc->path, st->line, st->col,
		    "BEGIN or COMMIT inside a StatementBegin block: "
		    "put it on its own");
	else if (st->batch_size > 0)
		rc = batch_check(sc, st, t, node, e);
	if (root && !tree_any(root, node_kept)) {
		free(st->tree);
		st->tree = NULL;
	}
	json_decref(root);
	return rc;
}

/*
 * 1 when running a statement of this type and tree (pg_query_parse JSON)
 * cannot leave the session changed: it is no SET, RESET or set_config(),
 * and it runs no code of the database's own (a function, an operator, a
 * cast, a domain's CHECK, a trigger) that could be one.  Only kinds of
 * DDL that evaluate nothing are: creating a table (not a partition,
 * whose bound is evaluated and whose parent's default partition is
 * scanned), a view, a sequence, an enum, an empty schema; a comment, a
 * rename, a grant, a DROP; an index on plain columns (an expression or a
 * predicate is evaluated on every row).  Every ALTER TABLE is taken as
 * running code (a default, a CHECK, a domain, a partition, a constraint's
 * validation).  The index's operator class, which compares the rows, is
 * assumed to be no such code.  An event trigger runs code on any DDL: the
 * runner asks whether one exists.  A node's name is a key followed by
 * '":' (a string's own quotes are escaped in the JSON).
 */
int
mig_stmt_inert(const char *type, const char *json)
{
	static const char *const ddl[] = { "CommentStmt", "ViewStmt",
	    "CreateSeqStmt", "CreateEnumStmt", "RenameStmt", "GrantStmt",
	    "DropStmt", NULL };

	if (type[0] == '\0')
		return 1;	/* comments alone */
	for (int i = 0; ddl[i]; i++)
		if (strcmp(type, ddl[i]) == 0)
			return 1;
	if (strcmp(type, "CreateStmt") == 0)
		return strstr(json, "\"partbound\":") == NULL;
	if (strcmp(type, "CreateSchemaStmt") == 0)
		return strstr(json, "\"schemaElts\":") == NULL;
	if (strcmp(type, "IndexStmt") == 0)
		return strstr(json, "\"expr\":") == NULL &&
		    strstr(json, "\"whereClause\":") == NULL;
	return 0;
}

/*
 * Parse one statement alone; keep its JSON tree when its type is read
 * later (tree_kept) or it is a goose block (classify() decides), and its
 * type in type[len] ("" when it is empty).
 */
static int
stmt_parse(struct mig_script *sc, struct mig_stmt *st, int block,
    char *type, size_t len, struct mig_cursor *cur, struct merr *e)
{
	PgQueryParseResult r = pg_query_parse(st->sql);
	int line, col;

	if (r.error) {
		size_t b = (size_t)(st->sql - sc->text) +
		    char_to_byte(st->sql, r.error->cursorpos);

		mig_cursor_pos(sc->text, cur, b, &line, &col);
		merr_setpos(e, MERR_INPUT, sc->path, line, col, "%s",
		    r.error->message);
		pg_query_free_parse_result(r);
		return -1;
	}
	tree_type(r.parse_tree, type, len);
	if (block || !mig_stmt_inert(type, r.parse_tree))
		sc->session_inert = 0;
	if (type[0] && (block || tree_kept(type)) &&
	    (st->tree = strdup(r.parse_tree)) == NULL) {
		pg_query_free_parse_result(r);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	pg_query_free_parse_result(r);
	return 0;
}

/* Statements as they are built: the script, room, the position cursor. */
struct parse_ctx {
	struct mig_script *sc;
	size_t		 cap;		/* room in sc->stmts */
	struct mig_cursor cur;		/* positions, in file order */
};

/*
 * Fill st from the span [loc, loc+len) of sc->text; the byte after it
 * (a ';', the end of the text, or the first of a goose annotation line)
 * becomes the statement's NUL: the text is the statements' storage from
 * now on.  *keep: not empty.
 */
static int
stmt_build(struct parse_ctx *p, struct mig_stmt *st, size_t loc,
    size_t len, int block, int *keep, struct merr *e)
{
	struct mig_script *sc = p->sc;
	struct directive_ctx d = { sc, st, &p->cur, sc->nstmts == 0, 0, 0,
	    NULL };
	char type[64], *end = sc->text + loc + len;
	size_t body;

	memset(st, 0, sizeof(*st));
	st->batch_pause_ms = -1;
	*keep = 0;
	if (leading_comments(&d, loc, len, &body, e) == -1)
		goto fail;
	mig_cursor_pos(sc->text, &p->cur, body, &st->line, &st->col);
	*end = '\0';
	st->sql = sc->text + body;
	if (stmt_parse(sc, st, block, type, sizeof(type), &p->cur, e) == -1)
		goto fail;
	if (type[0] == '\0') {
		if (st->batch_size > 0 || st->nolint) {
			merr_setpos(e, MERR_INPUT, sc->path, d.line, d.col,
			    "directive is not followed by a statement");
			goto fail;
		}
		free(st->nolint);
		free(st->pace);
		memset(st, 0, sizeof(*st));
		return 0;
	}
	*keep = 1;
	if (classify(sc, st, block, type, e) == 0)
		return 0;
fail:
	free(st->tree);
	free(st->nolint);
	free(st->pace);
	memset(st, 0, sizeof(*st));
	return -1;
}

/*
 * What a transaction statement does to the file's transaction: +1 opens
 * it, -1 ends it, 0 neither (COMMIT AND CHAIN, COMMIT PREPARED).  *word
 * names it for messages.
 */
static int
txctl_delta(const struct mig_stmt *st, const char **word)
{
	static const struct {
		const char *kind, *word;
		int delta;
	} tab[] = {
		{ "TRANS_STMT_BEGIN", "BEGIN", 1 },
		{ "TRANS_STMT_START", "START TRANSACTION", 1 },
		{ "TRANS_STMT_COMMIT", "COMMIT", -1 },
		{ "TRANS_STMT_ROLLBACK", "ROLLBACK", -1 },
		{ "TRANS_STMT_PREPARE", "PREPARE TRANSACTION", -1 },
	};
	json_t *root, *node;
	const char *type = NULL, *k;
	int d = 0;

	*word = "transaction statement";
	if ((root = json_loads(st->tree, 0, NULL)) == NULL)
		return 0;
	if ((node = stmt_node(root, &type)) != NULL &&
	    (k = json_string_value(json_object_get(node, "kind"))) != NULL)
		for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (strcmp(k, tab[i].kind) == 0) {
				*word = tab[i].word;
				d = tab[i].delta;
			}
	if (json_is_true(json_object_get(node, "chain")))
		d = 0;
	json_decref(root);
	return d;
}

/* The file's own BEGIN and COMMIT must pair up, or nothing runs. */
static int
script_txbalance(struct mig_script *sc, struct merr *e)
{
	const struct mig_stmt *open = NULL, *st;
	const char *word, *openword = "BEGIN";
	int d;

	for (size_t i = 0; i < sc->nstmts; i++) {
		st = &sc->stmts[i];
		if (st->kind != MIG_STMT_TXCTL ||
		    (d = txctl_delta(st, &word)) == 0)
			continue;
		if (d > 0 && open)
			return merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "%s inside the transaction begun at "
			    "%d:%d", word, open->line, open->col);
		if (d < 0 && open == NULL)
			return merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "%s without BEGIN", word);
		open = d > 0 ? st : NULL;
		openword = word;
	}
	if (open == NULL)
		return 0;
	merr_setpos(e, MERR_INPUT, sc->path, open->line, open->col,
	    "%s without COMMIT or ROLLBACK", openword);
	merr_hint(e, "end the file's transaction in the file; a file without "
	    "BEGIN runs in a transaction of its own");
	return -1;
}

/*
 * The tool runs the file in one transaction (goose, dbmate, a Flyway
 * .conf): what cannot run in one is an error where it stands, before
 * anything runs, instead of PostgreSQL's error half way.
 */
static int
script_in_tx(struct mig_script *sc, struct merr *e)
{
	const struct mig_stmt *st;

	for (size_t i = 0; i < sc->nstmts; i++) {
		st = &sc->stmts[i];
		if (st->kind == MIG_STMT_PLAIN)
			continue;
		merr_setpos(e, MERR_INPUT, sc->path, st->line, st->col, "%s",
		    st->kind == MIG_STMT_NOTX ? "this statement cannot run "
		    "inside a transaction block, and the file runs in one" :
		    st->kind == MIG_STMT_TXCTL ? "BEGIN or COMMIT in a file "
		    "that runs in a transaction of its own" : "a batched "
		    "backfill in a file that runs in one transaction");
		merr_hint(e, "say '%s' to run the file statement by "
		    "statement (its own BEGIN/COMMIT are honoured then)",
		    sc->txmarker ? sc->txmarker : "no transaction");
		return -1;
	}
	return 0;
}

static int
script_txmode(struct mig_script *sc, struct merr *e)
{
	size_t i;
	int notx = sc->txrule == MIG_TXRULE_NONE;

	sc->tx = MIG_TX_ONE;
	if (sc->txrule == MIG_TXRULE_TX)
		return script_in_tx(sc, e);
	for (i = 0; i < sc->nstmts; i++) {
		if (sc->stmts[i].kind == MIG_STMT_TXCTL) {
			sc->tx = MIG_TX_EXPLICIT;
			return script_txbalance(sc, e);
		}
		if (sc->stmts[i].kind == MIG_STMT_NOTX ||
		    sc->stmts[i].kind == MIG_STMT_BATCH)
			notx = 1;
	}
	if (notx)
		sc->tx = MIG_TX_NONE;
	return 0;
}

/* Has the owner asked parsing to stop (SIGTERM)? */
static int
parse_stopped(const struct mig_script *sc, size_t off, struct mig_cursor *c,
    struct merr *e)
{
	int line, col;

	if (sc->stop == NULL || !*sc->stop)
		return 0;
	mig_cursor_pos(sc->text, c, off, &line, &col);
	return merr_set(e, MERR_STATE, "stopped while parsing '%s' at line "
	    "%d", sc->path ? sc->path : "?", line);
}

static int
split_error(struct mig_script *sc, PgQuerySplitResult *r, size_t pos,
    struct mig_cursor *c, struct merr *e)
{
	int line, col;

	mig_cursor_pos(sc->text, c, pos + char_to_byte(sc->text + pos,
	    r->error->cursorpos), &line, &col);
	merr_setpos(e, MERR_INPUT, sc->path, line, col, "%s",
	    r->error->message);
	return -1;
}

/* Room for one more statement in sc->stmts. */
static int
stmts_grow(struct parse_ctx *p, struct merr *e)
{
	struct mig_script *sc = p->sc;
	struct mig_stmt *v;
	size_t n = p->cap ? p->cap * 2 : 64;

	if (sc->nstmts < p->cap)
		return 0;
	if ((v = realloc(sc->stmts, n * sizeof(*v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	sc->stmts = v;
	p->cap = n;
	return 0;
}

/*
 * One statement from the span [loc, loc+len) of the text; the byte after
 * it stays a NUL only when the statement is kept.
 */
static int
add_stmt(struct parse_ctx *p, size_t loc, size_t len, int block,
    struct merr *e)
{
	struct mig_script *sc = p->sc;
	char c = sc->text[loc + len];
	int keep;

	if (parse_stopped(sc, loc, &p->cur, e) || stmts_grow(p, e) == -1)
		return -1;
	if (stmt_build(p, &sc->stmts[sc->nstmts], loc, len, block, &keep,
	    e) == -1) {
		sc->text[loc + len] = c;
		return -1;
	}
	if (!keep)
		sc->text[loc + len] = c;
	sc->nstmts += (size_t)keep;
	return 0;
}

/* The first byte of the line that ends just before offset off. */
static size_t
line_before(const char *text, size_t off)
{
	size_t s = off - 1;

	while (s > 0 && text[s - 1] != '\n')
		s--;
	return s;
}

/*
 * Undo a parse that failed half-way: the bytes that became NULs come
 * back (the text can be parsed again), the statements go.  A NUL is a
 * ';', or the '-' that starts a goose StatementBegin or StatementEnd line
 * (blocks and statements are both in file order).
 */
static void
script_unbuild(struct mig_script *sc, size_t tl)
{
	size_t j = 0, off;

	for (size_t i = 0; i < sc->nstmts; i++) {
		off = (size_t)(sc->stmts[i].sql - sc->text) +
		    strlen(sc->stmts[i].sql);
		while (j < sc->nblocks && sc->blocks[2 * j + 1] < off)
			j++;
		if (off < tl)
			sc->text[off] = j < sc->nblocks &&
			    (off == sc->blocks[2 * j + 1] || off ==
			    line_before(sc->text, sc->blocks[2 * j])) ?
			    '-' : ';';
		free(sc->stmts[i].tree);
		free(sc->stmts[i].nolint);
	}
	free(sc->stmts);
	sc->stmts = NULL;
	sc->nstmts = 0;
}

/*
 * The window of text split at once: at most want bytes from pos, cut
 * after a newline (never inside a character), or the rest up to to.
 */
static size_t
window_end(const char *text, size_t to, size_t pos, size_t want)
{
	const char *nl;
	size_t end;

	if (to - pos <= want)
		return to;
	for (end = pos + want; end > pos && text[end - 1] != '\n'; end--)
		;
	if (end > pos)
		return end;
	nl = memchr(text + pos + want, '\n', to - pos - want);
	return nl ? (size_t)(nl - text) + 1 : to;
}

/* Build the statements [0, n) of a window's split result. */
static int
window_build(struct parse_ctx *p, const PgQuerySplitResult *r, int n,
    size_t pos, size_t end, size_t to, struct merr *e)
{
	for (int i = 0; i < n; i++) {
		size_t loc = pos + (size_t)r->stmts[i]->stmt_location;
		size_t len = r->stmts[i]->stmt_len ?
		    (size_t)r->stmts[i]->stmt_len : end - loc;

		if (p->sc->text[loc + len] != ';' && loc + len != to)
			return merr_set(e, MERR_INTERNAL, "statement at byte "
			    "%zu does not end at a ';'", loc);
		if (add_stmt(p, loc, len, 0, e) == -1)
			return -1;
	}
	return 0;
}

/*
 * Split and build the statements of [from, to) of sc->text, a window at
 * a time: pg_query_split_with_parser() keeps the raw parse tree of
 * everything it is given until it returns (some 25 times the text), so a
 * window is split, all its statements but the last built (the last may
 * be cut off), and the next window begins at that last statement.  A
 * window that fails or holds one statement is grown (a statement longer
 * than a window, a cut inside BEGIN ATOMIC ... END); an error is an
 * error only once the window reaches to, where it is exactly what a
 * parse of the whole span says.  Linear in the text.
 */
#define MIG_WINDOW	(1024 * 1024)

static int
script_split(struct parse_ctx *p, size_t from, size_t to, struct merr *e)
{
	struct mig_script *sc = p->sc;
	size_t window = sc->window ? sc->window : MIG_WINDOW;
	size_t pos = from, want = window;

	while (pos < to) {
		size_t end = window_end(sc->text, to, pos, want);
		char saved = sc->text[end];
		PgQuerySplitResult r;
		int n, rc;

		if (parse_stopped(sc, pos, &p->cur, e))
			return -1;
		sc->text[end] = '\0';
		r = pg_query_split_with_parser(sc->text + pos);
		sc->text[end] = saved;
		if (end < to && (r.error || r.n_stmts < 2)) {
			pg_query_free_split_result(r);
			want *= 2;
			continue;
		}
		if (r.error) {
			split_error(sc, &r, pos, &p->cur, e);
			pg_query_free_split_result(r);
			return -1;
		}
		n = end < to ? r.n_stmts - 1 : r.n_stmts;
		rc = window_build(p, &r, n, pos, end, to, e);
		pos = end < to ? pos + (size_t)r.stmts[n]->stmt_location : to;
		pg_query_free_split_result(r);
		if (rc == -1)
			return -1;
		want = window;
	}
	return 0;
}

/*
 * A goose StatementBegin/End block [bs, be) is one statement, sent as
 * written; its last ';' ends it as a split statement's does, or (none)
 * the StatementEnd line's first byte.
 */
static int
block_build(struct parse_ctx *p, size_t bs, size_t be, struct merr *e)
{
	const char *text = p->sc->text;
	size_t end = be;

	while (end > bs && isspace((unsigned char)text[end - 1]))
		end--;
	end = end > bs && text[end - 1] == ';' ? end - 1 : be;
	return add_stmt(p, bs, end - bs, 1, e);
}

/*
 * The statements of the text: split by the parser a window at a time,
 * except that each goose StatementBegin/End block is one statement.  The
 * text before a block ends at its StatementBegin line (whose first byte
 * may become a NUL), the text after it starts after its StatementEnd
 * line (whose first byte may too).
 */
static int
script_statements(struct parse_ctx *p, size_t tl, struct merr *e)
{
	const struct mig_script *sc = p->sc;
	size_t at = 0, bs, be;

	for (size_t i = 0; i < sc->nblocks; i++) {
		bs = sc->blocks[2 * i];
		be = sc->blocks[2 * i + 1];
		if (script_split(p, at, line_before(sc->text, bs), e) == -1 ||
		    block_build(p, bs, be, e) == -1)
			return -1;
		for (at = be; at < tl && sc->text[at] != '\n'; at++)
			;
		at += at < tl;
	}
	return script_split(p, at, tl, e);
}

int
mig_parse_script(struct mig_script *sc, struct merr *e)
{
	size_t tl = strlen(sc->text);
	struct parse_ctx p;
	int batch = 0;

	memset(&p, 0, sizeof(p));
	p.sc = sc;
	sc->stmts = NULL;
	sc->nstmts = 0;
	sc->session_inert = 1;
	if (script_statements(&p, tl, e) == -1)
		goto fail;
	for (size_t i = 0; i < sc->nstmts; i++)
		if (sc->stmts[i].kind == MIG_STMT_BATCH)
			batch = 1;
	if (script_txmode(sc, e) == -1)
		goto fail;
	if (batch && sc->tx == MIG_TX_EXPLICIT) {
		merr_setpos(e, MERR_INPUT, sc->path, 1, 1, "a batched "
		    "backfill cannot run inside the file's own BEGIN/COMMIT");
		goto fail;
	}
	sc->parsed = 1;
	return 0;
fail:
	script_unbuild(sc, tl);
	return -1;
}
