/*
 * migparse.c - a migration script into statements, with libpg_query.
 *
 * pg_query_split_with_parser() splits (dollar quotes, DO blocks, strings
 * and comments are the parser's business, never ours); each statement is
 * then parsed alone with pg_query_parse() and its JSON tree classified.
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
	for (i = c->off; i < off && text[i]; i++) {
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

/* Byte offset of the 1-based character position pos (PostgreSQL's). */
static size_t
char_to_byte(const char *text, int pos)
{
	size_t i;
	int c = 0;

	for (i = 0; text[i]; i++) {
		if (((unsigned char)text[i] & 0xc0) != 0x80 && ++c == pos)
			return i;
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
	d->st->batch_size = size;
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
		for (eol = q; eol < end && text[eol] != '\n'; eol++)
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
				mig_offset_pos(text, q, &d->line, &d->col);
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

/* Does any statement of the tree refuse a transaction block? */
static int
tree_notx(json_t *root)
{
	json_t *item, *s;
	size_t i;
	void *it;

	json_array_foreach(json_object_get(root, "stmts"), i, item) {
		s = json_object_get(item, "stmt");
		if (json_is_object(s) && (it = json_object_iter(s)) != NULL &&
		    is_notx(json_object_iter_key(it),
		    json_object_iter_value(it)))
			return 1;
	}
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
classify(struct mig_script *sc, struct mig_stmt *st, struct merr *e)
{
	json_t *root, *node, *where;
	json_error_t je;
	const char *type = NULL;
	int rc = 0;

	if ((root = json_loads(st->tree, 0, &je)) == NULL)
		return merr_set(e, MERR_INTERNAL, "bad parse tree: %s",
		    je.text);
	if ((node = stmt_node(root, &type)) == NULL) {
		json_decref(root);
		return merr_set(e, MERR_INTERNAL, "empty parse tree");
	}
	if (is_txctl(type, node))
		st->kind = MIG_STMT_TXCTL;
	else if (tree_notx(root))
		st->kind = MIG_STMT_NOTX;
	if (st->kind == MIG_STMT_TXCTL &&
	    json_array_size(json_object_get(root, "stmts")) > 1)
		rc = merr_setpos(e, MERR_INPUT, sc->path, st->line, st->col,
		    "BEGIN or COMMIT inside a StatementBegin block: "
		    "put it on its own");
	else if (st->batch_size > 0) {
		where = json_object_get(node, "whereClause");
		if (strcmp(type, "UpdateStmt") != 0)
			rc = merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "'migrated:batch' must precede an UPDATE");
		else if (json_object_get(node, "returningList"))
			rc = merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "a batched UPDATE cannot have RETURNING");
		else if (json_object_get(where, "CurrentOfExpr"))
			rc = merr_setpos(e, MERR_INPUT, sc->path, st->line,
			    st->col, "a batched UPDATE cannot use WHERE "
			    "CURRENT OF");
		else
			st->kind = MIG_STMT_BATCH;
	}
	json_decref(root);
	return rc;
}

/* Parse one statement alone; keep its JSON tree. */
static int
stmt_parse(struct mig_script *sc, struct mig_stmt *st, int *empty,
    struct merr *e)
{
	PgQueryParseResult r = pg_query_parse(st->sql);
	int line, col;

	*empty = 0;
	if (r.error) {
		size_t b = st->off + char_to_byte(st->sql, r.error->cursorpos);

		mig_offset_pos(sc->text, b, &line, &col);
		merr_setpos(e, MERR_INPUT, sc->path, line, col, "%s",
		    r.error->message);
		pg_query_free_parse_result(r);
		return -1;
	}
	if (strstr(r.parse_tree, "\"stmts\":[{") == NULL)
		*empty = 1;
	else if ((st->tree = strdup(r.parse_tree)) == NULL) {
		pg_query_free_parse_result(r);
		return merr_set(e, MERR_NOMEM, "out of memory");
	}
	pg_query_free_parse_result(r);
	return 0;
}

/* Fill sc->stmts[i] from the span [loc, loc+len). */
static int
stmt_build(struct mig_script *sc, size_t i, size_t loc, size_t len,
    struct mig_cursor *cur, int *keep, struct merr *e)
{
	struct mig_stmt *st = &sc->stmts[i];
	struct directive_ctx d = { sc, st, i == 0, 0, 0 };
	size_t body;
	int empty;

	memset(st, 0, sizeof(*st));
	st->batch_pause_ms = -1;
	*keep = 0;
	if (leading_comments(&d, loc, len, &body, e) == -1)
		return -1;
	st->off = body;
	mig_cursor_pos(sc->text, cur, body, &st->line, &st->col);
	st->sql = strndup(sc->text + body, loc + len - body);
	if (st->sql == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (stmt_parse(sc, st, &empty, e) == -1)
		return -1;
	if (empty) {
		if (st->batch_size > 0 || st->nolint)
			return merr_setpos(e, MERR_INPUT, sc->path, d.line,
			    d.col, "directive is not followed by a statement");
		free(st->sql);
		free(st->nolint);
		memset(st, 0, sizeof(*st));
		return 0;
	}
	*keep = 1;
	return classify(sc, st, e);
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

/* Statements as they are built: the script, room, the position cursor. */
struct parse_ctx {
	struct mig_script *sc;
	size_t		 cap;
	struct mig_cursor cur;
	int		 batch;
};

/* One statement from the span [loc, loc+len) of the text. */
static int
add_stmt(struct parse_ctx *p, size_t loc, size_t len, struct merr *e)
{
	struct mig_script *sc = p->sc;
	struct mig_stmt *nv;
	int keep;

	if (sc->nstmts == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		if ((nv = realloc(sc->stmts, p->cap * sizeof(*nv))) == NULL)
			return merr_set(e, MERR_NOMEM, "out of memory");
		sc->stmts = nv;
	}
	memset(&sc->stmts[sc->nstmts], 0, sizeof(*sc->stmts));
	if (stmt_build(sc, sc->nstmts, loc, len, &p->cur, &keep, e) == -1) {
		sc->nstmts++;	/* release what was built */
		return -1;
	}
	if (keep && sc->stmts[sc->nstmts].kind == MIG_STMT_BATCH)
		p->batch = 1;
	sc->nstmts += keep;
	return 0;
}

/* Split [from, to) of the text with the parser, never by ';'. */
static int
split_region(struct parse_ctx *p, size_t from, size_t to, struct merr *e)
{
	const char *text = p->sc->text;
	PgQuerySplitResult r;
	char *sub;
	size_t loc, len;
	int i, line, col, rc = 0;

	if ((sub = strndup(text + from, to - from)) == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	r = pg_query_split_with_parser(sub);
	if (r.error) {
		mig_offset_pos(text, from + char_to_byte(sub,
		    r.error->cursorpos), &line, &col);
		rc = merr_setpos(e, MERR_INPUT, p->sc->path, line, col, "%s",
		    r.error->message);
	}
	for (i = 0; rc == 0 && i < r.n_stmts; i++) {
		loc = (size_t)r.stmts[i]->stmt_location;
		len = r.stmts[i]->stmt_len ? (size_t)r.stmts[i]->stmt_len :
		    to - from - loc;
		rc = add_stmt(p, from + loc, len, e);
	}
	pg_query_free_split_result(r);
	free(sub);
	return rc;
}

/*
 * The statements of the text: split by the parser, except that each
 * goose StatementBegin/End block is one statement, sent as written.
 */
static int
script_statements(struct parse_ctx *p, struct merr *e)
{
	const struct mig_script *sc = p->sc;
	size_t at = 0, i, bs, be, tl = strlen(sc->text);

	for (i = 0; i < sc->nblocks; i++) {
		bs = sc->blocks[2 * i];
		be = sc->blocks[2 * i + 1];
		if (split_region(p, at, bs, e) == -1)
			return -1;
		while (be > bs && isspace((unsigned char)sc->text[be - 1]))
			be--;
		if (add_stmt(p, bs, be - bs, e) == -1)
			return -1;
		at = sc->blocks[2 * i + 1];
	}
	return split_region(p, at, tl, e);
}

int
mig_parse_script(struct mig_script *sc, struct merr *e)
{
	struct parse_ctx p;

	/* what a failed attempt built (the set may be cached) goes first */
	for (size_t i = 0; i < sc->nstmts; i++) {
		free(sc->stmts[i].sql);
		free(sc->stmts[i].tree);
		free(sc->stmts[i].nolint);
	}
	free(sc->stmts);
	sc->stmts = NULL;
	sc->nstmts = 0;
	memset(&p, 0, sizeof(p));
	p.sc = sc;
	if (script_statements(&p, e) == -1 || script_txmode(sc, e) == -1)
		return -1;
	if (p.batch && sc->tx == MIG_TX_EXPLICIT)
		return merr_setpos(e, MERR_INPUT, sc->path, 1, 1,
		    "a batched backfill cannot run inside the file's own "
		    "BEGIN/COMMIT");
	sc->parsed = 1;
	return 0;
}
