/*
 * test_vlist.c - the sorted set of versions (core/vlist.c): found by
 * bsearch() whatever order it was made in, a copy that outlives its
 * source (the watcher's check takes one to its pool thread), the empty
 * list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vlist.h"

static const char *const made[] = {
	"3_c/ab", "10_j/ff", "1_t/00", "2_i/cd", "20240101_000000/ee",
};
#define NMADE	(sizeof(made) / sizeof(made[0]))

static void
test_has(void **state)
{
	struct vlist l;
	size_t i;

	(void)state;
	assert_int_equal(vlist_make(&l, made, NMADE), 0);
	assert_int_equal(l.n, NMADE);
	for (i = 0; i + 1 < l.n; i++)
		assert_true(strcmp(l.v[i], l.v[i + 1]) < 0);
	for (i = 0; i < NMADE; i++)
		assert_true(vlist_has(&l, made[i]));
	assert_false(vlist_has(&l, "3_c/ac"));	/* another checksum */
	assert_false(vlist_has(&l, "3_c"));
	assert_false(vlist_has(&l, ""));
	vlist_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void
test_copy(void **state)
{
	struct vlist l, c;
	char *own[NMADE];
	size_t i;

	(void)state;
	for (i = 0; i < NMADE; i++)
		assert_non_null(own[i] = strdup(made[i]));
	assert_int_equal(vlist_make(&l, (const char *const *)own, NMADE), 0);
	for (i = 0; i < NMADE; i++)
		free(own[i]);	/* the list holds copies */
	assert_int_equal(vlist_copy(&c, &l), 0);
	vlist_release(&l);	/* the copy points into its own block */
	assert_int_equal(c.n, NMADE);
	for (i = 0; i < NMADE; i++)
		assert_true(vlist_has(&c, made[i]));
	assert_false(vlist_has(&c, "4_x/00"));
	vlist_release(&c);
}

static void
test_empty(void **state)
{
	struct vlist l, c;

	(void)state;
	assert_int_equal(vlist_make(&l, NULL, 0), 0);
	assert_null(l.v);
	assert_false(vlist_has(&l, "1_t/00"));
	assert_int_equal(vlist_copy(&c, &l), 0);
	assert_null(c.v);
	assert_false(vlist_has(&c, "1_t/00"));
	vlist_release(&c);
	vlist_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
