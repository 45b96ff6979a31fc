/*
 * fuzz_migparse.c - one migration file (core/migparse.c, lint.c,
 * migown.c): split, parse, directives, transaction mode, then lint and
 * the objects it creates, as validate and up read a parsed file.
 */
#include "fuzz.h"
#include "lint.h"
#include "migset.h"

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
