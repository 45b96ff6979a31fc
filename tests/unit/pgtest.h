/*
 * pgtest.h - for the unit tests that need PostgreSQL (UNIT_PG in the
 * Makefile): tests/run.sh gives each a database in TESTDB.  Run alone
 * without it, such a test says so and exits 77 (automake's "skipped")
 * instead of failing in its set-up.
 */
#ifndef PGTEST_H
#define PGTEST_H

#include <stdio.h>
#include <stdlib.h>

static inline void
pgtest_require(const char *name)
{
	if (getenv("TESTDB") != NULL)
		return;
	printf("1..0 # SKIP %s needs PostgreSQL: TESTDB is unset "
	    "(run tests/run.sh BUILD %s)\n", name, name);
	exit(77);
}

#endif
