/*
 * fuzz_migparse.c - one migration file (core/migparse.c, lint.c,
 * migown.c): split, parse, directives, transaction mode, then lint and
 * the objects it creates, as validate and up read a parsed file.
 *
 * The file is also parsed a second time split in windows of a few bytes
 * (the first byte picks how many), which must give exactly what one
 * window over the whole file gives: the same statements at the same
 * positions, or an error too (the same error at the same place).
 */
#include <stdio.h>

#include "fuzz.h"
#include "lint.h"
#include "migset.h"

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
	migset_script_release(&a);
	migset_script_release(&m.up);
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
	if (size > 0)
		windows_agree(text, (size_t)(data[0] % 64) + 1);
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
