/*
 * miglayout.c - the layouts whose markers live inside the files (single,
 * goose, dbmate, sql-migrate, tern, node-pg-migrate) and the names of the
 * other tools' files (Flyway, pop).
 *
 * Each marker layout is split the way its tool reads it: the section of
 * one direction keeps its bytes and every other byte becomes a space
 * (newlines stay), so the parser's positions are the file's.  The tool's
 * own rules for what is an error are kept (goose's state machine in
 * pressly/goose internal/sqlparser, dbmate's pkg/dbmate/migration.go,
 * sql-migrate's sqlparse/sqlparse.go, tern's migrate/migrate.go,
 * node-pg-migrate's src/sqlMigration.ts,
 * Flyway's ResourceNameParser and MigrationVersion), each error with its
 * file:line:col.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "migset.h"
#include "migset_int.h"

/* ---- lines ---- */

struct line {
	size_t	start, end;	/* [start, end): no '\n', no final '\r' */
	size_t	next;		/* the next line's start */
	int	no;		/* 1-based */
};

static int
line_next(const char *text, size_t len, struct line *l)
{
	const char *nl;

	if (l->no > 0 && l->next >= len)
		return 0;
	l->start = l->no > 0 ? l->next : 0;
	l->no++;
	nl = memchr(text + l->start, '\n', len - l->start);
	l->end = nl ? (size_t)(nl - text) : len;
	l->next = nl ? l->end + 1 : len;
	if (l->end > l->start && text[l->end - 1] == '\r')
		l->end--;
	return 1;
}

/* The line without leading and trailing white space: [*s, *e). */
static void
line_trim(const char *text, const struct line *l, size_t *s, size_t *e)
{
	*s = l->start;
	*e = l->end;
	while (*s < *e && isspace((unsigned char)text[*s]))
		(*s)++;
	while (*e > *s && isspace((unsigned char)text[*e - 1]))
		(*e)--;
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

static int
pos_error(struct merr *e, const struct migration *m, int line, int col,
    const char *hint, const char *fmt, const char *arg)
{
	merr_setpos(e, MERR_INPUT, m->up.path, line, col, fmt, arg);
	if (hint)
		merr_hint(e, "%s", hint);
	return -1;
}

/*
 * Replace m->up.text (the whole file) by its up section [us, ue) and give
 * m->down the section [ds, de) when has_down (de: TO_END, the file's end).
 */
#define TO_END	((size_t)-1)

static int
sections_set(struct migration *m, size_t us, size_t ue, int has_down,
    size_t ds, size_t de)
{
	const char *text = m->up.text;
	char *utext, *dtext = NULL;

	if ((utext = blank_outside(text, us, ue)) == NULL)
		return -1;
	if (has_down && ((dtext = blank_outside(text, ds, de)) ==
	    NULL || (m->down.path = strdup(m->up.path)) == NULL)) {
		free(utext);
		free(dtext);
		return -1;
	}
	if (has_down)
		m->down.file_at = m->up.file_at;
	free(m->up.text);
	m->up.text = utext;
	m->down.text = dtext;
	return 0;
}

/* ---- single: -- +++++ UP / -- +++++ DOWN ---- */

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
	int line, col;

	up = mig_find_marker(text, "UP");
	down = mig_find_marker(text, "DOWN");
	if (down && down < up) {
		mig_offset_pos(text, (size_t)(down - text), &line, &col);
		return pos_error(e, m, line, col, NULL, "'-- +++++ DOWN' "
		    "comes before '-- +++++ UP'%s", "");
	}
	if (sections_set(m, line_end(text, up), down ? (size_t)(down - text) :
	    strlen(text), down != NULL, down ? line_end(text, down) : 0,
	    TO_END) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

/* ---- goose: -- +goose Up / Down / StatementBegin / ... ---- */

enum goose_ann {
	G_NONE = 0, G_UP, G_DOWN, G_BEGIN, G_END, G_NOTX, G_ENVON, G_ENVOFF,
	G_BAD
};

/*
 * goose's extractAnnotation(): a line whose trimmed text starts "--" and
 * that holds "+goose" is an annotation.  It must not be indented (no
 * white space at all before its "--", as goose's documentation says);
 * every "--" and the first "+goose" are removed, the rest trimmed and
 * compared without case.  *why says what is wrong with a G_BAD one.
 */
static enum goose_ann
goose_annotation(const char *text, const struct line *l, const char **why,
    char *cmd, size_t cmdlen)
{
	static const struct {
		const char *s;
		enum goose_ann a;
	} tab[] = {
		{ "Up", G_UP }, { "Down", G_DOWN },
		{ "StatementBegin", G_BEGIN }, { "StatementEnd", G_END },
		{ "NO TRANSACTION", G_NOTX }, { "ENVSUB ON", G_ENVON },
		{ "ENVSUB OFF", G_ENVOFF },
	};
	size_t s, t, i, n = 0, len = l->end - l->start;
	const char *line = text + l->start, *g;
	char *c;

	line_trim(text, l, &s, &t);
	if (t - s < 2 || text[s] != '-' || text[s + 1] != '-' ||
	    (g = memmem(line, len, "+goose", 6)) == NULL)
		return G_NONE;
	*why = "unknown goose annotation";
	if (isspace((unsigned char)line[0])) {	/* migparse.c counts on it */
		*why = "a goose annotation must not be indented";
		return G_BAD;
	}
	for (i = 0; i < len && n + 1 < cmdlen; i++) {
		if (line[i] == '-' && i + 1 < len && line[i + 1] == '-') {
			i++;
			continue;
		}
		if (line + i == g) {
			i += 5;
			continue;
		}
		cmd[n++] = line[i];
	}
	cmd[n] = '\0';
	if (strstr(cmd, "+goose")) {
		*why = "more than one '+goose' on one line";
		return G_BAD;
	}
	for (c = cmd; isspace((unsigned char)*c); c++)
		;
	memmove(cmd, c, strlen(c) + 1);
	for (n = strlen(cmd); n > 0 && isspace((unsigned char)cmd[n - 1]);)
		cmd[--n] = '\0';
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(cmd, tab[i].s) == 0)
			return tab[i].a;
	if (*cmd == '\0')
		*why = "empty goose annotation";
	return G_BAD;
}

int
mig_goose_detect(const char *text)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text);
	const char *why;
	char cmd[64];

	if (strstr(text, "+goose") == NULL)
		return 0;
	while (line_next(text, len, &l))
		if (goose_annotation(text, &l, &why, cmd, sizeof(cmd)) == G_UP)
			return 1;
	return 0;
}

enum goose_state { GS_START, GS_UP, GS_DOWN };

struct goose {
	struct migration *m;
	enum goose_state state;
	int		 inblock;	/* line of the open StatementBegin */
	size_t		 bstart;
	size_t		 us, ue, ds;	/* sections */
	int		 has_down, notx;
	size_t		*blocks[2];	/* up, down */
	size_t		 nblocks[2];
};

static const char goose_hint[] = "a goose file starts '-- +goose Up', "
    "then optionally '-- +goose Down'; a StatementBegin ends with a "
    "StatementEnd in the same section";

/* A StatementBegin/End block [start, end): one more pair in *v. */
static int
block_add(size_t **v, size_t *n, size_t start, size_t end, struct merr *e)
{
	size_t *nv = realloc(*v, (*n + 1) * 2 * sizeof(*nv));

	if (nv == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	nv[*n * 2] = start;
	nv[*n * 2 + 1] = end;
	*v = nv;
	(*n)++;
	return 0;
}

/*
 * Give each script its blocks (taken: blocks[] is emptied); a file with
 * no down section keeps none for its down script.
 */
static void
blocks_give(struct migration *m, size_t *blocks[2], const size_t n[2],
    int has_down)
{
	if (!has_down) {
		free(blocks[1]);
		blocks[1] = NULL;
	}
	m->up.blocks = blocks[0];
	m->up.nblocks = n[0];
	m->down.blocks = blocks[1];
	m->down.nblocks = has_down ? n[1] : 0;
	blocks[0] = blocks[1] = NULL;
}

static int
goose_block(struct goose *g, size_t end, struct merr *e)
{
	int d = g->state == GS_DOWN;

	g->inblock = 0;
	return block_add(&g->blocks[d], &g->nblocks[d], g->bstart, end, e);
}

/* One annotation line, in goose's state machine. */
static int
goose_step(struct goose *g, enum goose_ann a, const struct line *l,
    const char *cmd, struct merr *e)
{
	char at[64];

	snprintf(at, sizeof(at), "%d", g->inblock);
	switch (a) {
	case G_UP:
		if (g->state != GS_START)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "a second '-- +goose Up'%s", "");
		g->state = GS_UP;
		g->us = l->next;
		return 0;
	case G_DOWN:
		if (g->state == GS_START)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "'-- +goose Down' comes before '-- +goose Up'%s",
			    "");
		if (g->inblock)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "'-- +goose Down' inside the StatementBegin block "
			    "of line %s", at);
		if (g->state == GS_DOWN)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "a second '-- +goose Down'%s", "");
		g->state = GS_DOWN;
		g->ue = l->start;
		g->ds = l->next;
		g->has_down = 1;
		return 0;
	case G_BEGIN:
		if (g->state == GS_START)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "'-- +goose StatementBegin' comes before "
			    "'-- +goose Up'%s", "");
		if (g->inblock)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "'-- +goose StatementBegin' inside the block of "
			    "line %s", at);
		g->inblock = l->no;
		g->bstart = l->next;
		return 0;
	case G_END:
		if (!g->inblock)
			return pos_error(e, g->m, l->no, 1, goose_hint,
			    "'-- +goose StatementEnd' without StatementBegin%s",
			    "");
		return goose_block(g, l->start, e);
	case G_NOTX:
		g->notx = 1;
		return 0;
	case G_ENVON:
		return pos_error(e, g->m, l->no, 1, "migrated runs the file "
		    "as written: put the values in the SQL", "'-- +goose "
		    "ENVSUB ON' (environment variables in the SQL) is not "
		    "supported%s", "");
	case G_ENVOFF:
		return 0;
	default:
		return pos_error(e, g->m, l->no, 1, goose_hint, "%s", cmd);
	}
}

/* The scripts of a split goose file: rule, marker, blocks. */
static void
goose_scripts(struct goose *g)
{
	struct mig_script *sc[2] = { &g->m->up, &g->m->down };

	for (int d = 0; d < 2; d++) {
		sc[d]->txrule = g->notx ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
		sc[d]->txmarker = "-- +goose NO TRANSACTION";
	}
	blocks_give(g->m, g->blocks, g->nblocks, g->has_down);
}

int
mig_goose_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text, *why = NULL;
	size_t len = strlen(text), s, t;
	struct line l = { 0, 0, 0, 0 };
	struct goose g;
	char cmd[128];
	enum goose_ann a;
	int line, col;

	memset(&g, 0, sizeof(g));
	g.m = m;
	g.ue = len;
	while (line_next(text, len, &l)) {
		a = goose_annotation(text, &l, &why, cmd, sizeof(cmd));
		if (a == G_BAD)
			snprintf(cmd, sizeof(cmd), "%s", why);
		if (a != G_NONE) {
			if (goose_step(&g, a, &l, cmd, e) == -1)
				goto fail;
			continue;
		}
		line_trim(text, &l, &s, &t);
		if (g.state == GS_START && s < t && (t - s < 2 ||
		    text[s] != '-' || text[s + 1] != '-')) {
			mig_offset_pos(text, s, &line, &col);
			pos_error(e, m, line, col, goose_hint, "SQL before "
			    "'-- +goose Up'%s", "");
			goto fail;
		}
	}
	if (g.inblock) {
		pos_error(e, m, g.inblock, 1, goose_hint, "'-- +goose "
		    "StatementBegin' without StatementEnd%s", "");
		goto fail;
	}
	if (sections_set(m, g.us, g.ue, g.has_down, g.ds, TO_END) == -1) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto fail;
	}
	goose_scripts(&g);
	return 0;
fail:
	free(g.blocks[0]);
	free(g.blocks[1]);
	return -1;
}

/* ---- dbmate: -- migrate:up / -- migrate:down [transaction:false] ---- */

/*
 * dbmate's (?m)^--\s*migrate:WHICH(\s*$|\s+\S+): at the start of a line;
 * *opts points after the marker (its options).
 */
static int
dbmate_marker(const char *text, const struct line *l, const char *which,
    size_t *opts)
{
	size_t p = l->start, wl = strlen(which);

	if (l->end - p < 2 || text[p] != '-' || text[p + 1] != '-')
		return 0;
	for (p += 2; p < l->end && isspace((unsigned char)text[p]); p++)
		;
	if (l->end - p < 8 + wl || strncmp(text + p, "migrate:", 8) != 0 ||
	    strncmp(text + p + 8, which, wl) != 0)
		return 0;
	p += 8 + wl;
	if (p < l->end && !isspace((unsigned char)text[p]))
		return 0;
	*opts = p;
	return 1;
}

int
mig_dbmate_detect(const char *text)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text), o;

	if (strstr(text, "migrate:up") == NULL)
		return 0;
	while (line_next(text, len, &l))
		if (dbmate_marker(text, &l, "up", &o))
			return 1;
	return 0;
}

/* "transaction:false" among the marker's key:value options. */
static enum mig_txrule
dbmate_txrule(const char *text, size_t p, size_t end)
{
	while (p < end) {
		size_t w;

		while (p < end && isspace((unsigned char)text[p]))
			p++;
		for (w = p; w < end && !isspace((unsigned char)text[w]); w++)
			;
		if (w - p == 17 && strncmp(text + p, "transaction:false",
		    17) == 0)
			return MIG_TXRULE_NONE;
		p = w;
	}
	return MIG_TXRULE_TX;
}

static const char dbmate_hint[] = "a dbmate file holds '-- migrate:up' "
    "then '-- migrate:down' (each may say transaction:false), nothing but "
    "comments before the first";

struct dbmate {
	struct line	up, down;	/* the marker lines */
	size_t		upopt, downopt;
	int		nup, ndown;
};

/* Find the markers; refuse what dbmate refuses. */
static int
dbmate_scan(struct migration *m, struct dbmate *d, struct merr *e)
{
	const char *text = m->up.text;
	size_t len = strlen(text), o, s, t;
	struct line l = { 0, 0, 0, 0 };
	int line, col;

	memset(d, 0, sizeof(*d));
	while (line_next(text, len, &l)) {
		if (dbmate_marker(text, &l, "up", &o)) {
			if (d->nup++)
				return pos_error(e, m, l.no, 1, dbmate_hint,
				    "a second '-- migrate:up' section "
				    "(migrated reads one per file)%s", "");
			d->up = l;
			d->upopt = o;
			continue;
		}
		if (dbmate_marker(text, &l, "down", &o)) {
			if (d->ndown++)
				return pos_error(e, m, l.no, 1, dbmate_hint,
				    "a second '-- migrate:down'%s", "");
			if (d->nup == 0)
				return pos_error(e, m, l.no, 1, dbmate_hint,
				    "'-- migrate:down' comes before "
				    "'-- migrate:up'%s", "");
			d->down = l;
			d->downopt = o;
			continue;
		}
		line_trim(text, &l, &s, &t);
		if (d->nup == 0 && s < t && (t - s < 2 || text[s] != '-' ||
		    text[s + 1] != '-')) {
			mig_offset_pos(text, s, &line, &col);
			return pos_error(e, m, line, col, dbmate_hint,
			    "SQL before '-- migrate:up'%s", "");
		}
	}
	if (d->ndown == 0)
		return pos_error(e, m, d->up.no, 1, "add '-- migrate:down' "
		    "(an empty section is a rollback that does nothing)",
		    "no '-- migrate:down' section: dbmate requires one%s", "");
	return 0;
}

int
mig_dbmate_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text;
	enum mig_txrule up, down;
	struct dbmate d;

	if (dbmate_scan(m, &d, e) == -1)
		return -1;
	up = dbmate_txrule(text, d.upopt, d.up.end);
	down = dbmate_txrule(text, d.downopt, d.down.end);
	if (sections_set(m, d.up.next, d.down.start, 1, d.down.next, TO_END) ==
	    -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	m->up.txrule = up;
	m->down.txrule = down;
	m->up.txmarker = "-- migrate:up transaction:false";
	m->down.txmarker = "-- migrate:down transaction:false";
	return 0;
}

/* ---- sql-migrate: -- +migrate Up|Down [notransaction] ---- */

enum sqlm_cmd { SM_NONE = 0, SM_UP, SM_DOWN, SM_BEGIN, SM_END, SM_BAD };

/*
 * sql-migrate's parseCommand() (sqlparse.go): a line that starts exactly
 * "-- +migrate ", its first word the command, the others options; *notx
 * when one is "notransaction".  sql-migrate passes over a command it does
 * not know, and the statements after a misspelt "down" would run as part
 * of Up: that is refused here (SM_BAD, the command in cmd, "" when none).
 */
static enum sqlm_cmd
sqlm_command(const char *text, const struct line *l, int *notx, char *cmd,
    size_t cmdlen)
{
	static const char pfx[] = "-- +migrate ";
	static const char *const cmds[] = { "Up", "Down", "StatementBegin",
	    "StatementEnd" };
	size_t p = l->start + sizeof(pfx) - 1, w, i;
	enum sqlm_cmd c = SM_BAD;

	*notx = 0;
	*cmd = '\0';
	if (l->end - l->start < sizeof(pfx) - 1 ||
	    strncmp(text + l->start, pfx, sizeof(pfx) - 1) != 0)
		return SM_NONE;
	for (int word = 0; p < l->end; word++) {
		while (p < l->end && isspace((unsigned char)text[p]))
			p++;
		for (w = p; w < l->end && !isspace((unsigned char)text[w]); w++)
			;
		if (w == p)
			break;
		for (i = 0; word == 0 && i < 4; i++)
			if (strlen(cmds[i]) == w - p &&
			    strncmp(text + p, cmds[i], w - p) == 0)
				c = (enum sqlm_cmd)(SM_UP + i);
		if (word == 0)
			snprintf(cmd, cmdlen, "%.*s", (int)(w - p), text + p);
		*notx |= word > 0 && w - p == 13 &&
		    strncmp(text + p, "notransaction", 13) == 0;
		p = w;
	}
	return c;
}

int
mig_sqlmigrate_detect(const char *text)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text);
	char cmd[32];
	int notx;

	if (strstr(text, "-- +migrate ") == NULL)
		return 0;
	while (line_next(text, len, &l)) {
		enum sqlm_cmd c = sqlm_command(text, &l, &notx, cmd,
		    sizeof(cmd));

		if (c != SM_NONE)	/* a misspelt Up is refused, not run */
			return 1;
	}
	return 0;
}

struct sqlm {
	struct migration *m;
	int		 dir;		/* 0 before Up, 1 Up, 2 Down */
	int		 inblock;	/* line of an open StatementBegin */
	size_t		 bstart;
	size_t		 us, ue, ds;
	int		 notx[2];
	size_t		*blocks[2];
	size_t		 nblocks[2];
};

static const char sqlm_hint[] = "a sql-migrate file holds '-- +migrate Up' "
    "then '-- +migrate Down' (each may say notransaction); a "
    "'-- +migrate StatementBegin' ends with a StatementEnd in the same "
    "section";

static int
sqlm_block(struct sqlm *g, size_t end, struct merr *e)
{
	int d = g->dir - 1;

	g->inblock = 0;
	return block_add(&g->blocks[d], &g->nblocks[d], g->bstart, end, e);
}

/* One command line, as sql-migrate's ParseMigration() takes it. */
static int
sqlm_step(struct sqlm *g, enum sqlm_cmd c, int notx, const struct line *l,
    struct merr *e)
{
	if ((c == SM_UP || c == SM_DOWN) && g->inblock)
		return pos_error(e, g->m, l->no, 1, sqlm_hint, "a section "
		    "marker inside a StatementBegin block%s", "");
	switch (c) {
	case SM_UP:
		if (g->dir != 0)
			return pos_error(e, g->m, l->no, 1, sqlm_hint,
			    "a second '-- +migrate Up' (migrated reads one "
			    "section of each per file)%s", "");
		g->dir = 1;
		g->us = l->next;
		g->notx[0] = notx;
		return 0;
	case SM_DOWN:
		if (g->dir != 1)
			return pos_error(e, g->m, l->no, 1, sqlm_hint, g->dir ?
			    "a second '-- +migrate Down'%s" : "'-- +migrate "
			    "Down' comes before '-- +migrate Up'%s", "");
		g->dir = 2;
		g->ue = l->start;
		g->ds = l->next;
		g->notx[1] = notx;
		return 0;
	case SM_BEGIN:
		if (g->dir == 0)
			return 0;	/* sql-migrate: outside a section */
		if (g->inblock)
			return pos_error(e, g->m, l->no, 1, sqlm_hint,
			    "'-- +migrate StatementBegin' inside a "
			    "StatementBegin block%s", "");
		g->inblock = l->no;
		g->bstart = l->next;
		return 0;
	case SM_END:
		return g->inblock ? sqlm_block(g, l->start, e) : 0;
	default:
		return 0;
	}
}

/* The scripts of a split file: rules, markers, blocks. */
static void
sqlm_scripts(struct sqlm *g)
{
	g->m->up.txrule = g->notx[0] ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	g->m->down.txrule = g->notx[1] ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	g->m->up.txmarker = "-- +migrate Up notransaction";
	g->m->down.txmarker = "-- +migrate Down notransaction";
	blocks_give(g->m, g->blocks, g->nblocks, g->dir == 2);
}

int
mig_sqlmigrate_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text;
	size_t len = strlen(text);
	struct line l = { 0, 0, 0, 0 };
	struct sqlm g;
	enum sqlm_cmd c;
	char cmd[64];
	int notx;

	memset(&g, 0, sizeof(g));
	g.m = m;
	g.ue = len;
	while (line_next(text, len, &l)) {
		c = sqlm_command(text, &l, &notx, cmd, sizeof(cmd));
		if (c == SM_BAD && *cmd == '\0') {
			pos_error(e, m, l.no, 1, sqlm_hint, "'-- +migrate' "
			    "without a command%s", "");
			goto fail;
		}
		if (c == SM_BAD) {
			pos_error(e, m, l.no, 1, "sql-migrate's commands are "
			    "Up, Down, StatementBegin and StatementEnd, as "
			    "written here; it passes over any other, and the "
			    "SQL after a misspelt Down would run as part of Up",
			    "unknown sql-migrate command '%s'", cmd);
			goto fail;
		}
		if (c != SM_NONE && sqlm_step(&g, c, notx, &l, e) == -1)
			goto fail;
	}
	if (g.inblock) {
		pos_error(e, m, g.inblock, 1, sqlm_hint, "'-- +migrate "
		    "StatementBegin' without StatementEnd%s", "");
		goto fail;
	}
	if (g.dir == 0) {	/* sql-migrate: "no Up/Down annotations" */
		pos_error(e, m, 1, 1, sqlm_hint, "no '-- +migrate Up' "
		    "section%s", "");
		goto fail;
	}
	/* what comes before Up is not run, as sql-migrate passes over it */
	if (sections_set(m, g.us, g.ue, g.dir == 2, g.ds, TO_END) == -1) {
		merr_set(e, MERR_NOMEM, "out of memory");
		goto fail;
	}
	sqlm_scripts(&g);
	return 0;
fail:
	free(g.blocks[0]);
	free(g.blocks[1]);
	return -1;
}

/* ---- Atlas: -- atlas:txmode none ---- */

/* "atlas:txmode none" in one comment line (reDirective, dir.go) */
static int
atlas_txmode_none(const char *s, size_t n)
{
	const char *d = memmem(s, n, "atlas:txmode", 12);
	size_t k;

	if (d == NULL)
		return 0;
	k = (size_t)(d - s) + 12;
	if (k >= n || s[k] != ' ')
		return 0;
	while (k < n && s[k] == ' ')
		k++;
	return n - k == 4 && strncmp(s + k, "none", 4) == 0;
}

/*
 * Atlas's file directives (LocalFile.comments): the comment lines the
 * file starts with ("--" or "#"), kept only when an empty line parts
 * them from the statements.  Does one say "atlas:txmode none"?
 */
int
mig_atlas_notx(const char *text)
{
	const char *p = text;
	int none = 0;
	size_t e;

	while (strncmp(p, "--", 2) == 0 || *p == '#') {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			return none || atlas_txmode_none(p, strlen(p));
		e = (size_t)(nl - p);
		while (e > 0 && isspace((unsigned char)p[e - 1]))
			e--;
		none |= atlas_txmode_none(p, e);
		p = nl + 1;
	}
	p += strspn(p, " \t");
	return none && (*p == '\n' || *p == '\0');
}

/* ---- tern: ---- create above / drop below ---- ---- */

static const char tern_sep[] = "---- create above / drop below ----";

/* tern's disableTxPattern, (?m)^---- tern: disable-tx ----$, in [from, to) */
static int
tern_notx(const char *text, size_t from, size_t to)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text);

	while (line_next(text, len, &l)) {
		if (l.start < from || l.start >= to)
			continue;
		if (l.end - l.start == 26 && l.end <= to &&
		    strncmp(text + l.start, "---- tern: disable-tx ----",
		    26) == 0)
			return 1;
	}
	return 0;
}

/* The separator as a line of its own (tern cuts at it anywhere). */
static int
tern_sep_line(const char *text)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text), s, t;

	while (line_next(text, len, &l)) {
		line_trim(text, &l, &s, &t);
		if (t - s == sizeof(tern_sep) - 1 &&
		    strncmp(text + s, tern_sep, t - s) == 0)
			return 1;
	}
	return 0;
}

int
mig_tern_detect(const char *text)
{
	return (strstr(text, tern_sep) != NULL && tern_sep_line(text)) ||
	    tern_notx(text, 0, strlen(text));
}

/*
 * tern's LoadMigrations(): the file split at the first separator, the up
 * part before it, the down part after it; each part runs in a transaction
 * unless it holds the disable-tx line.  tern evaluates every file as a Go
 * template: a "{{" is refused where it stands, as migrated runs the SQL as
 * it is written.
 */
int
mig_tern_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text, *sep = strstr(text, tern_sep);
	const char *tmpl = strstr(text, "{{");
	size_t len = strlen(text), cut = sep ? (size_t)(sep - text) : len;
	size_t down = sep ? cut + sizeof(tern_sep) - 1 : len;
	int line, col, upnotx, downnotx;

	if (tmpl) {
		mig_offset_pos(text, (size_t)(tmpl - text), &line, &col);
		return pos_error(e, m, line, col, "write the values into the "
		    "SQL: migrated runs a file as it is written", "tern "
		    "evaluates a file as a Go template, and '{{' starts an "
		    "action%s", "");
	}
	upnotx = tern_notx(text, 0, cut);
	downnotx = tern_notx(text, down, len);
	/* nothing below it: irreversible to tern, no rollback here */
	if (sep && text[down + strspn(text + down, " \t\r\n")] == '\0')
		sep = NULL;
	if (sections_set(m, 0, cut, sep != NULL, down, TO_END) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	m->up.txrule = upnotx ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	m->down.txrule = downnotx ? MIG_TXRULE_NONE : MIG_TXRULE_TX;
	m->up.txmarker = m->down.txmarker = "---- tern: disable-tx ----";
	return 0;
}

/* ---- node-pg-migrate: -- Up Migration / -- Down Migration ---- */

/*
 * node-pg-migrate's marker (sqlMigration.ts, /^\s*--[\s-]*up\s+migration/im):
 * at a line's start after white space, "--", any white space and '-',
 * the word, white space, "migration", in any case; anything may follow
 * (bare: nothing but white space and '-', as its template writes it).
 * The first such line's start, or -1.
 */
static long
npgm_marker(const char *text, const char *word, int bare)
{
	struct line l = { 0, 0, 0, 0 };
	size_t len = strlen(text), wl = strlen(word), p, q;

	while (line_next(text, len, &l)) {
		p = l.start;
		if (p == 0 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
			p = 3;	/* a BOM: white space to JavaScript's \s */
		p += strspn(text + p, " \t\f\v");
		if (p + 2 > l.end || strncmp(text + p, "--", 2) != 0)
			continue;
		p += 2 + strspn(text + p + 2, " \t\f\v-");
		if (p + wl > l.end || strncasecmp(text + p, word, wl) != 0)
			continue;
		q = p + wl + strspn(text + p + wl, " \t\f\v");
		if (q > p + wl && q + 9 <= l.end &&
		    strncasecmp(text + q, "migration", 9) == 0 && (!bare ||
		    q + 9 + strspn(text + q + 9, " \t\f\v-") >= l.end))
			return (long)l.start;
	}
	return -1;
}

/*
 * A file is node-pg-migrate's by its rollback marker: run whole, it would
 * run its rollback too (an up marker alone changes nothing).  2: a bare
 * down marker, as the tool's template writes it; 1: both markers with
 * words after them, which may be a native file's comments (files_npgm
 * decides by the folder); 0: neither (a down marker with words after it
 * and no up marker, "-- Down migration: see the _rollback.sql file", is
 * a native file's comment; in a folder of the tool's such a file is the
 * tool's anyway, and refused).
 */
int
mig_npgm_detect(const char *text)
{
	if (npgm_marker(text, "down", 1) >= 0)
		return 2;
	return npgm_marker(text, "down", 0) >= 0 &&
	    npgm_marker(text, "up", 0) >= 0;
}

/* The first byte of [0, end) that is no white space or comment, or -1. */
static long
sql_before(const char *text, size_t end)
{
	size_t i = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, depth;

	while (i < end) {
		if (isspace((unsigned char)text[i])) {
			i++;
		} else if (text[i] == '-' && text[i + 1] == '-') {
			i += strcspn(text + i, "\n");
		} else if (text[i] == '/' && text[i + 1] == '*') {
			for (depth = 1, i += 2; depth && text[i]; i++) {
				if (text[i] == '/' && text[i + 1] == '*')
					depth++, i++;
				else if (text[i] == '*' && text[i + 1] == '/')
					depth--, i++;
			}
		} else {
			return (long)i;
		}
	}
	return -1;
}

static const char npgm_hint[] = "a node-pg-migrate file holds '-- Up "
    "Migration', the migration below it, then '-- Down Migration' and its "
    "rollback";

/*
 * node-pg-migrate's getActions(): the up part runs from its marker to the
 * rollback's (or the end), the rollback from its marker to the up
 * marker's (or the end).  node-pg-migrate runs each in one transaction
 * and a SQL file cannot say otherwise: the statements decide here, as in
 * a native file, which runs every file the tool could run the same way
 * and lets a new one build an index CONCURRENTLY or batch a backfill.  A
 * file without markers (in a node-pg-migrate folder) is all up, with no
 * rollback.  Refused: a rollback with no up marker (the tool
 * would run the whole file, the rollback too) and statements before the
 * first marker (the tool never runs them).
 */
int
mig_npgm_split(struct migration *m, struct merr *e)
{
	const char *text = m->up.text;
	long up = npgm_marker(text, "up", 0);
	long down = npgm_marker(text, "down", 0);
	size_t len = strlen(text), first;
	long at;
	int line, col;

	if (up < 0 && down >= 0) {
		mig_offset_pos(text, (size_t)down, &line, &col);
		return pos_error(e, m, line, col, npgm_hint, "a '-- Down "
		    "Migration' line and no '-- Up Migration' line: "
		    "node-pg-migrate would run the whole file, this rollback "
		    "too%s", "");
	}
	up = up < 0 ? 0 : up;
	first = (size_t)(down >= 0 && down < up ? down : up);
	if ((at = sql_before(text, first)) >= 0) {
		mig_offset_pos(text, (size_t)at, &line, &col);
		return pos_error(e, m, line, col, "move it below '-- Up "
		    "Migration', or delete it", "node-pg-migrate never runs "
		    "what comes before a file's first '-- Up Migration' or "
		    "'-- Down Migration' line%s", "");
	}
	if (sections_set(m, (size_t)up, down > up ? (size_t)down : len,
	    down >= 0, (size_t)down, down < up ? (size_t)up : TO_END) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
}

/* ---- Flyway: V1.1__desc.sql, U1.1__desc.sql, R__desc.sql ---- */

static const char flyway_hint[] = "Flyway names: V<version>__<description>"
    ".sql (version: numbers separated by '.' or '_'), U<version>__"
    "<description>.sql, R__<description>.sql";

/* Flyway's version: parts of digits split by '.' or '_' ("1_1" = 1.1). */
static int
flyway_version(const char *s, size_t n, char out[MIG_VERSION_MAX])
{
	size_t i, digits = 0;

	if (n == 0 || n >= MIG_VERSION_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digits++;
			out[i] = s[i];
			continue;
		}
		if ((s[i] != '.' && s[i] != '_') || digits == 0)
			return -1;
		out[i] = '.';
		digits = 0;
	}
	out[n] = '\0';
	return digits ? 0 : -1;
}

int
mig_flyway_name(const char *fname, char *prefix,
    char version[MIG_VERSION_MAX], char **desc, struct merr *e)
{
	size_t len = strlen(fname), stem;
	const char *sep;

	*desc = NULL;
	if (len < 5 || strcasecmp(fname + len - 4, ".sql") != 0 ||
	    strchr("VUR", fname[0]) == NULL || !(isdigit((unsigned char)
	    fname[1]) || strncmp(fname + 1, "__", 2) == 0))
		return 1;
	stem = len - 4;
	*prefix = fname[0];
	sep = strstr(fname + 1, "__");
	if (sep && (size_t)(sep - fname) >= stem)
		sep = NULL;
	if (*prefix == 'R' && sep != fname + 1) {
		merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s' is not a Flyway "
		    "name: a repeatable migration has no version", fname);
		merr_hint(e, "%s", flyway_hint);
		return -1;
	}
	if (*prefix == 'R' && stem >= MIG_VERSION_MAX)
		return merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s': the "
		    "description is too long (at most %d characters)", fname,
		    MIG_VERSION_MAX - 4);
	if (*prefix == 'R')
		snprintf(version, MIG_VERSION_MAX, "%.*s", (int)stem, fname);
	else if (flyway_version(fname + 1, sep ? (size_t)(sep - fname) - 1 :
	    stem - 1, version) == -1) {
		goto bad;
	}
	*desc = sep ? strndup(sep + 2, stem - (size_t)(sep + 2 - fname)) :
	    strdup("");
	if (*desc == NULL)
		return merr_set(e, MERR_NOMEM, "out of memory");
	return 0;
bad:
	merr_setpos(e, MERR_INPUT, fname, 0, 0, "'%s' is not a Flyway name: "
	    "cannot read the version '%.*s'", fname, sep ? (int)(sep - fname)
	    - 1 : (int)stem - 1, fname + 1);
	merr_hint(e, "%s", flyway_hint);
	return -1;
}

/* "executeInTransaction = true|false" in [s, t), '=' at eq. */
static int
conf_bool(const char *text, size_t s, size_t eq, size_t t,
    enum mig_txrule *rule)
{
	size_t ke = eq, vs = eq + 1;

	while (ke > s && isspace((unsigned char)text[ke - 1]))
		ke--;
	while (vs < t && isspace((unsigned char)text[vs]))
		vs++;
	if (eq == t || ke - s != 20 ||
	    strncmp(text + s, "executeInTransaction", 20) != 0)
		return 0;
	if (t - vs == 4 && strncasecmp(text + vs, "true", 4) == 0)
		*rule = MIG_TXRULE_TX;
	else if (t - vs == 5 && strncasecmp(text + vs, "false", 5) == 0)
		*rule = MIG_TXRULE_NONE;
	else
		return 0;
	return 1;
}

/*
 * Flyway's script configuration, FILE.conf beside the script: key=value
 * lines; executeInTransaction decides the transaction mode, the others
 * (encoding, placeholderReplacement, shouldExecute) are refused.
 */
int
mig_flyway_conf(struct mig_script *sc, struct merr *e)
{
	char *path, *text = NULL;
	struct line l = { 0, 0, 0, 0 };
	size_t len, s, t, eq;
	int rc = -1;

	if (asprintf(&path, "%s.conf", sc->path) == -1)
		return merr_set(e, MERR_NOMEM, "out of memory");
	if (access(path, F_OK) == -1) {
		free(path);
		return errno == ENOENT ? 0 : merr_setpos(e, MERR_IO, path, 0, 0,
		    "cannot read: %s", strerror(errno));
	}
	if (mig_read_file(path, &text, &len, e) == -1)
		goto out;
	while (line_next(text, len, &l)) {
		line_trim(text, &l, &s, &t);
		if (s == t || text[s] == '#')
			continue;
		for (eq = s; eq < t && text[eq] != '='; eq++)
			;
		if (conf_bool(text, s, eq, t, &sc->txrule)) {
			sc->txmarker = "executeInTransaction=false";
			continue;
		}
		merr_setpos(e, MERR_INPUT, path, l.no, (int)(s - l.start) + 1,
		    "unsupported script configuration '%.*s'", (int)(t - s),
		    text + s);
		merr_hint(e, "migrated reads executeInTransaction=true|false "
		    "from a Flyway .conf file");
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* ---- pop (gobuffalo/pop, ory/x popx) ---- */

/* pop's dialects (pop.CanonicalDialect, popx's "yugabyte") */
static const char *const pop_postgres[] = { "postgres", "postgresql", "pg",
    "pgx", NULL };
static const char *const pop_others[] = { "cockroach", "cockroachdb",
    "crdb", "mysql", "sqlite3", "sqlite", "yugabyte", "yugabytedb", NULL };

static int
word_in(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && strncmp(s, *words, n) == 0)
			return 1;
	return 0;
}

/*
 * popx's MigrationFileRegexp:
 * ^(\d+)_([^.]+)(\.[a-z0-9]+)?(\.autocommit)?\.(up|down)\.sql$
 */
int
mig_pop_name(const char *fname, struct mig_popname *p)
{
	size_t len = strlen(fname), d = strspn(fname, "0123456789");
	size_t end, dot, dial, dlen;

	memset(p, 0, sizeof(*p));
	if (len > 7 && strcmp(fname + len - 7, ".up.sql") == 0)
		end = len - 7;
	else if (len > 9 && strcmp(fname + len - 9, ".down.sql") == 0)
		end = len - 9, p->down = 1;
	else
		return -1;
	if (d == 0 || fname[d] != '_' || d + 1 >= end)
		return -1;
	p->vlen = d;
	p->name_from = d + 1;
	dot = p->name_from + strcspn(fname + p->name_from, ".");
	p->name_to = dot < end ? dot : end;
	if (p->name_to == p->name_from)
		return -1;
	if (end >= 11 && end - 11 >= p->name_to &&
	    strncmp(fname + end - 11, ".autocommit", 11) == 0) {
		p->autocommit = 1;
		end -= 11;
	}
	if (p->name_to == end)		/* every database's */
		return p->autocommit;
	dial = p->name_to + 1;
	dlen = end - dial;
	if (dlen == 0 || strspn(fname + dial, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789") != dlen)
		return -1;
	if (word_in(fname + dial, dlen, pop_postgres)) {
		p->rank = 1;
		return 1;
	}
	p->rank = -1;		/* another database's, or unknown */
	return word_in(fname + dial, dlen, pop_others) || p->autocommit;
}
