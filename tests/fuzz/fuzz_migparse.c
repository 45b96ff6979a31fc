/*
 * fuzz_migparse.c - one migration file (core/migparse.c, lint.c,
 * migown.c): split, parse, directives, transaction mode, then lint and
 * the objects it creates, as validate and up read a parsed file.
 *
 * The file is also parsed a second time split in windows of a few bytes
 * (the first byte picks how many), which must give exactly what one
 * window over the whole file gives: the same statements at the same
 * positions, or an error too (the same error at the same place), after
 * which the text is as it was.  A file with goose's or dbmate's markers
 * is split into its sections as that tool reads them (StatementBegin
 * blocks), and each section is checked the same way.
 */
#include <stdio.h>

#include "fuzz.h"
#include "lint.h"
#include "migset.h"
#include "migset_int.h"

static void
same_parse(const struct mig_script *a, int ra, const struct merr *ea,
    const struct mig_script *b, int rb, const struct merr *eb)
{
	int same = ra == rb;

	/* both fail: windows may meet an error of an earlier statement
	   first, but the same error is at the same place */
	if (same && ra == -1 && !strcmp(ea->msg, eb->msg))
		same = ea->code == eb->code && ea->line == eb->line &&
		    ea->col == eb->col;
	if (same && ra == 0) {
		same = a->nstmts == b->nstmts && a->tx == b->tx;
		for (size_t i = 0; same && i < a->nstmts; i++)
			same = !strcmp(a->stmts[i].sql, b->stmts[i].sql) &&
			    a->stmts[i].line == b->stmts[i].line &&
			    a->stmts[i].col == b->stmts[i].col &&
			    a->stmts[i].kind == b->stmts[i].kind;
	}
	if (!same) {
		fprintf(stderr, "windowed parse differs: %d %s:%d:%d %s / "
		    "%d %s:%d:%d %s\n", ra, ea->file, ea->line, ea->col,
		    ea->msg, rb, eb->file, eb->line, eb->col, eb->msg);
		abort();
	}
}

/* A failed parse gives the text back as it was (its NULs undone). */
static void
text_restored(const struct mig_script *sc, const char *before)
{
	if (sc->text && strcmp(sc->text, before) != 0) {
		fprintf(stderr, "a failed parse left the text changed\n");
		abort();
	}
}

/* Whole, then in windows of a few bytes: the same result. */
static void
windows_agree(const char *text, size_t window)
{
	struct mig_script a;
	struct migration m;
	struct merr ea, eb;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&m, 0, sizeof(m));
	merr_clear(&ea);
	merr_clear(&eb);
	ra = migset_parse_text(&a, "fuzz.sql", text, &ea);
	m.up.lock_timeout_ms = m.up.statement_timeout_ms = -1;
	m.up.lock_retries = -1;
	m.up.window = window;
	if ((m.up.path = strdup("fuzz.sql")) == NULL ||
	    (m.up.text = strdup(text)) == NULL)
		abort();
	rb = migset_prepare(&m, &eb);
	same_parse(&a, ra, &ea, &m.up, rb, &eb);
	if (rb == -1)
		text_restored(&m.up, text);
	migset_script_release(&a);
	migset_script_release(&m.up);
}

/* m as the folder loader makes it of a goose or dbmate file; -1: refused. */
static int
layout_split(struct migration *m, const char *text, int goose)
{
	struct merr e;

	memset(m, 0, sizeof(*m));
	merr_clear(&e);
	m->up.lock_timeout_ms = m->up.statement_timeout_ms = -1;
	m->up.lock_retries = -1;
	m->down.lock_timeout_ms = m->down.statement_timeout_ms = -1;
	m->down.lock_retries = -1;
	if ((m->up.path = strdup("fuzz.sql")) == NULL ||
	    (m->up.text = strdup(text)) == NULL)
		abort();
	return goose ? mig_goose_split(m, &e) : mig_dbmate_split(m, &e);
}

/* One section, whole (a) and in windows (b): the same result. */
static void
section_agree(struct mig_script *a, struct mig_script *b, size_t window)
{
	struct merr ea, eb;
	char *before;
	int ra, rb;

	if (b->text == NULL)
		return;
	if ((before = strdup(b->text)) == NULL)
		abort();
	merr_clear(&ea);
	merr_clear(&eb);
	b->window = window;
	ra = mig_parse_script(a, &ea);
	rb = mig_parse_script(b, &eb);
	same_parse(a, ra, &ea, b, rb, &eb);
	if (rb == -1)
		text_restored(b, before);
	free(before);
}

/* A goose or dbmate file: each section whole and windowed, the same. */
static void
layouts_agree(const char *text, size_t window)
{
	int goose = mig_goose_detect(text);
	struct migration a, b;

	if (!goose && !mig_dbmate_detect(text))
		return;
	memset(&b, 0, sizeof(b));
	if (layout_split(&a, text, goose) == 0 &&
	    layout_split(&b, text, goose) == 0) {
		section_agree(&a.up, &b.up, window);
		section_agree(&a.down, &b.down, window);
	}
	migset_script_release(&a.up);
	migset_script_release(&a.down);
	migset_script_release(&b.up);
	migset_script_release(&b.down);
}

static void
fuzz_migparse(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct mig_script sc;
	struct mig_objects own;
	struct lint_list l;
	struct merr e;

	memset(&sc, 0, sizeof(sc));
	merr_clear(&e);
	lint_list_init(&l);
	if (size > 0) {
		windows_agree(text, (size_t)(data[0] % 64) + 1);
		layouts_agree(text, (size_t)(data[0] % 64) + 1);
	}
	if (migset_parse_text(&sc, "fuzz.sql", text, &e) == 0) {
		(void)lint_script(&sc, &l, &e);
		if (migset_objects(&sc, "public", &own, &e) == 0)
			migset_objects_release(&own);
	}
	lint_list_release(&l);
	migset_script_release(&sc);
	free(text);
}

FUZZ_TARGET(fuzz_migparse)
