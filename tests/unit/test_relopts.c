/*
 * test_relopts.c - storage parameters (core/relopts.c): compared by name
 * in any order, values as PostgreSQL reads them, split, and the names a
 * model may give.  No database (20_tier1_properties.sh and
 * tests/golden/plan/storage_params check them against PostgreSQL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "relopts.h"

static void
test_equal(void **state)
{
	(void)state;
	assert_true(relopts_equal(NULL, NULL));
	assert_true(relopts_equal((char *[]){ NULL }, NULL));
	assert_true(relopts_equal((char *[]){ "fillfactor=70",
	    "autovacuum_enabled=off", NULL }, (char *[]){
	    "autovacuum_enabled=false", "fillfactor=70.0", NULL }));
	assert_true(relopts_equal((char *[]){ "a=0.010", NULL },
	    (char *[]){ "a=0.01", NULL }));
	assert_true(relopts_equal((char *[]){ "a=ON", NULL },
	    (char *[]){ "a=yes", NULL }));
	assert_true(relopts_equal((char *[]){ "buffering=Auto", NULL },
	    (char *[]){ "buffering=auto", NULL }));
	assert_false(relopts_equal((char *[]){ "fillfactor=70", NULL }, NULL));
	assert_false(relopts_equal(NULL, (char *[]){ "fillfactor=70", NULL }));
	assert_false(relopts_equal((char *[]){ "fillfactor=70", NULL },
	    (char *[]){ "fillfactor=71", NULL }));
	assert_false(relopts_equal((char *[]){ "a=on", NULL },
	    (char *[]){ "a=off", NULL }));
	assert_false(relopts_equal((char *[]){ "a=1", NULL },
	    (char *[]){ "b=1", NULL }));
	/* a name that is the start of another's */
	assert_false(relopts_equal((char *[]){ "fill=1", NULL },
	    (char *[]){ "fillfactor=1", NULL }));
	assert_false(relopts_equal((char *[]){ "noequals", NULL },
	    (char *[]){ "noequals", NULL }));
}

static void
test_get_split(void **state)
{
	char *n, *v;

	(void)state;
	assert_string_equal(relopts_get((char *[]){ "fillfactor=70",
	    "fill=2", NULL }, "fill"), "2");
	assert_null(relopts_get(NULL, "fill"));
	assert_int_equal(relopts_split("a=b=c", &n, &v), 0);
	assert_string_equal(n, "a");
	assert_string_equal(v, "b=c");
	free(n);
	free(v);
	assert_int_equal(relopts_split("a", &n, &v), -1);
	assert_null(n);
	assert_null(v);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(relopts_name_ok("autovacuum_vacuum_scale_factor"));
	assert_true(relopts_name_ok("fillfactor"));
	assert_false(relopts_name_ok(""));
	assert_false(relopts_name_ok("toast.autovacuum_enabled"));
	assert_false(relopts_name_ok("FillFactor"));
	assert_false(relopts_name_ok("a b"));
	assert_false(relopts_name_ok("a234567890123456789012345678901234567890"
	    "123456789012345678901234"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_get_split),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
