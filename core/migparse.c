/*
 * migparse.c - a migration script into statements, with libpg_query.
 *
 * pg_query_split_with_parser() splits (dollar quotes, DO blocks, strings
 * and comments are the parser's business, never ours), a window of the
 * text at a time; each statement is then parsed alone with
 * pg_query_parse(), classified, and its JSON tree kept only when
 * something reads it later.  Statements are NUL-terminated in place in
 * the script's text (their ';' becomes the NUL): no copy of the file.
 * "-- migrated:" directives are read from the comment lines that lead a
 * statement; those of the first statement are the file header.
 */
#include <ctype.h>
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

const char *
mig_find_marker(const char *text, const char *which)
{
	const char *p = text;
	size_t wl = strlen(which);

	while (p && *p) {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "-- +++++ ", 9) == 0 &&
		    strncasecmp(q + 9, which, wl) == 0 &&
		    (q[9 + wl] == '\0' || isspace((unsigned char)q[9 + wl])))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Keep [from, to) of text, blank the rest (newlines stay: positions hold). */
static char *
blank_outside(const char *text, size_t from, size_t to)
{
	size_t i, n = strlen(text);
	char *s = strdup(text);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((i < from || i >= to) && s[i] != '\n')
			s[i] = ' ';
	return s;
}

static size_t
line_end(const char *text, const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? (size_t)(nl - text) + 1 : strlen(text);
}

int
mig_single_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text, *up, *down;
	size_t ustart, uend, n = strlen(text);
	char *utext, *dtext = NULL;
	int line, col;

	up = mig_find_marker(text, "UP");
	down = mig_find_marker(text, "DOWN");
	if (down && down < up) {
		mig_offset_pos(text, (size_t)(down - text), &line, &col);
		return merr_setpos(e, MERR_INPUT, m->up.path, line, col,
		    "'-- +++++ DOWN' comes before '-- +++++ UP'");
	}
	ustart = line_end(text, up);
	uend = down ? (size_t)(down - text) : n;
	if ((utext = blank_outside(text, ustart, uend)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (down && ((dtext = blank_outside(text, line_end(text, down), n))
	    == NULL || (m->down.path = strdup(m->up.path)) == NULL)) {
		free(utext);
		free(dtext);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	free(m->up.text);
	m->up.text = utext;
	m->down.text = dtext;
	return 0;
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
	int		 line, col;	/* of the directive */
};

static int
dir_error(struct directive_ctx *d, struct merr *e, const char *fmt,
    const char *arg)
{
	merr_setpos(e, MERR_INPUT, d->sc->path, d->line, d->col, fmt, arg);
	merr_hint(e, "directives: lock_timeout=DUR, statement_timeout=DUR, "
	    "lock_retries=N (file header), batch size=N [pause=DUR], "
	    "nolint RULE...");
	return -1;
}

static int
dir_batch(struct directive_ctx *d, const char *args, struct merr *e)
{
	const char *p = args;
	long size = -1, pause = -1;

	while (*p) {
		size_t wl;

		while (*p == ' ' || *p == '\t')
			p++;
		wl = strcspn(p, " \t");
		if (wl == 0)
			break;
		if (strncmp(p, "size=", 5) == 0)
			size = strtol(p + 5, NULL, 10);
		else if (strncmp(p, "pause=", 6) == 0 &&
		    (pause = parse_duration(p + 6, wl - 6)) == -1)
			return dir_error(d, e, "bad batch pause '%s'", p + 6);
		else if (strncmp(p, "pause=", 6) != 0)
			return dir_error(d, e, "unknown batch option '%s'", p);
		p += wl;
	}
	if (size < 1 || size > 10000000)
		return dir_error(d, e, "batch needs size=N with N from 1 to "
		    "10000000%s", "");
	d->st->batch_size = (int)size;
	d->st->batch_pause_ms = pause;
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
 * mode, batches), by lint.c, migown.c, backfill.c and runner_script.c.
 * Every other statement keeps no tree (a file of a million INSERTs keeps
 * a million statements, not a million trees): mig_stmt_tree() parses it
 * again on the rare occasion it is wanted.
 */
static int
tree_kept(const char *type)
{
	static const char *const kept[] = { "TransactionStmt", "IndexStmt",
	    "DropStmt", "ReindexStmt", "VacuumStmt", "UpdateStmt",
	    "DeleteStmt", "AlterTableStmt", "CreateStmt", "CreateEnumStmt",
	    "AlterEnumStmt", "CommentStmt", NULL };

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

/* Kind of st, whose type is type; the tree is read only when kept. */
static int
classify(struct mig_script *sc, struct mig_stmt *st, const char *type,
    struct merr *e)
{
	json_t *root = NULL, *node = NULL;
	json_error_t je;
	const char *t = type;
	int rc = 0;

	if (st->tree) {
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
	else if (is_notx(t, node))
		st->kind = MIG_STMT_NOTX;
	if (st->batch_size > 0)
		rc = batch_check(sc, st, t, node, e);
	json_decref(root);
	return rc;
}

/*
 * Parse one statement alone; keep its JSON tree when its type is read
 * later (tree_kept), and its type in type[len] ("" when it is empty).
 */
static int
stmt_parse(struct mig_script *sc, struct mig_stmt *st, char *type,
    size_t len, struct mig_cursor *cur, struct merr *e)
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
	if (type[0] && tree_kept(type) &&
	    (st->tree = strdup(r.parse_tree)) == NULL) {
		pg_query_free_parse_result(r);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	pg_query_free_parse_result(r);
	return 0;
}

/*
 * Fill st from the span [loc, loc+len) of sc->text, which ends at a ';'
 * or at the end of the text: the ';' becomes the statement's NUL (the
 * text is the statements' storage from now on).  *keep: not empty.
 */
static int
stmt_build(struct mig_script *sc, struct mig_stmt *st, size_t loc,
    size_t len, struct mig_cursor *cur, int *keep, struct merr *e)
{
	struct directive_ctx d = { sc, st, cur, sc->nstmts == 0, 0, 0 };
	char type[64], *end = sc->text + loc + len;
	size_t body;

	memset(st, 0, sizeof(*st));
	st->batch_pause_ms = -1;
	*keep = 0;
	if (leading_comments(&d, loc, len, &body, e) == -1)
		goto fail;
	mig_cursor_pos(sc->text, cur, body, &st->line, &st->col);
	*end = '\0';		/* a ';' or already the end */
	st->sql = sc->text + body;
	if (stmt_parse(sc, st, type, sizeof(type), cur, e) == -1)
		goto fail;
	if (type[0] == '\0') {
		if (st->batch_size > 0 || st->nolint) {
			merr_setpos(e, MERR_INPUT, sc->path, d.line, d.col,
			    "directive is not followed by a statement");
			goto fail;
		}
		free(st->nolint);
		memset(st, 0, sizeof(*st));
		return 0;
	}
	*keep = 1;
	if (classify(sc, st, type, e) == 0)
		return 0;
fail:
	free(st->tree);
	free(st->nolint);
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

static int
script_txmode(struct mig_script *sc, struct merr *e)
{
	size_t i;
	int notx = 0;

	sc->tx = MIG_TX_ONE;
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
stmts_grow(struct mig_script *sc, size_t *cap, struct merr *e)
{
	struct mig_stmt *v;
	size_t n = *cap ? *cap * 2 : 64;

	if (sc->nstmts < *cap)
		return 0;
	if ((v = realloc(sc->stmts, n * sizeof(*v))) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	sc->stmts = v;
	*cap = n;
	return 0;
}

/*
 * Undo a parse that failed half-way: the ';' that became NULs come back
 * (the text can be parsed again), the statements go.
 */
static void
script_unbuild(struct mig_script *sc, size_t tl)
{
	for (size_t i = 0; i < sc->nstmts; i++) {
		char *end = sc->stmts[i].sql + strlen(sc->stmts[i].sql);

		if (end < sc->text + tl)
			*end = ';';
		free(sc->stmts[i].tree);
		free(sc->stmts[i].nolint);
	}
	free(sc->stmts);
	sc->stmts = NULL;
	sc->nstmts = 0;
}

/*
 * The window of text split at once: at most want bytes from pos, cut
 * after a newline (never inside a character), or the rest of the text.
 */
static size_t
window_end(const char *text, size_t tl, size_t pos, size_t want)
{
	const char *nl;
	size_t end;

	if (tl - pos <= want)
		return tl;
	for (end = pos + want; end > pos && text[end - 1] != '\n'; end--)
		;
	if (end > pos)
		return end;
	nl = memchr(text + pos + want, '\n', tl - pos - want);
	return nl ? (size_t)(nl - text) + 1 : tl;
}

/* Build the statements [0, n) of a window's split result. */
static int
window_build(struct mig_script *sc, const PgQuerySplitResult *r, int n,
    size_t pos, size_t end, struct mig_cursor *cur, size_t *cap,
    struct merr *e)
{
	for (int i = 0; i < n; i++) {
		size_t loc = pos + (size_t)r->stmts[i]->stmt_location;
		size_t len = r->stmts[i]->stmt_len ?
		    (size_t)r->stmts[i]->stmt_len : end - loc;
		char c = sc->text[loc + len];
		int keep;

		if (c != ';' && c != '\0')
			return merr_set(e, MERR_INTERNAL, "statement at byte "
			    "%zu does not end at a ';'", loc);
		if (parse_stopped(sc, loc, cur, e) ||
		    stmts_grow(sc, cap, e) == -1)
			return -1;
		if (stmt_build(sc, &sc->stmts[sc->nstmts], loc, len, cur,
		    &keep, e) == -1) {
			sc->text[loc + len] = c;
			return -1;
		}
		if (!keep)
			sc->text[loc + len] = c;
		sc->nstmts += (size_t)keep;
	}
	return 0;
}

/*
 * Split and build the statements of sc->text, a window at a time:
 * pg_query_split_with_parser() keeps the raw parse tree of everything it
 * is given until it returns (some 25 times the text), so a window is
 * split, all its statements but the last built (the last may be cut
 * off), and the next window begins at that last statement.  A window
 * that fails or holds one statement is grown (a statement longer than a
 * window, a cut inside BEGIN ATOMIC ... END); an error is an error only
 * once the window reaches the end of the text, where it is exactly what
 * a parse of the whole text says.  Linear in the text.
 */
#define MIG_WINDOW	(1024 * 1024)

static int
script_split(struct mig_script *sc, size_t tl, struct merr *e)
{
	struct mig_cursor cur = { 0, 0, 0 };
	size_t window = sc->window ? sc->window : MIG_WINDOW;
	size_t pos = 0, want = window, cap = 0;

	while (pos < tl) {
		size_t end = window_end(sc->text, tl, pos, want);
		char saved = sc->text[end];
		PgQuerySplitResult r;
		int n, rc;

		if (parse_stopped(sc, pos, &cur, e))
			return -1;
		sc->text[end] = '\0';
		r = pg_query_split_with_parser(sc->text + pos);
		sc->text[end] = saved;
		if (end < tl && (r.error || r.n_stmts < 2)) {
			pg_query_free_split_result(r);
			want *= 2;
			continue;
		}
		if (r.error) {
			split_error(sc, &r, pos, &cur, e);
			pg_query_free_split_result(r);
			return -1;
		}
		n = end < tl ? r.n_stmts - 1 : r.n_stmts;
		rc = window_build(sc, &r, n, pos, end, &cur, &cap, e);
		pos = end < tl ? pos + (size_t)r.stmts[n]->stmt_location : tl;
		pg_query_free_split_result(r);
		if (rc == -1)
			return -1;
		want = window;
	}
	return 0;
}

int
mig_parse_script(struct mig_script *sc, struct merr *e)
{
	size_t tl = strlen(sc->text);
	int batch = 0;

	sc->stmts = NULL;
	sc->nstmts = 0;
	if (script_split(sc, tl, e) == -1)
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
