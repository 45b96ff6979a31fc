/*
 * test_vlist.c - the sorted set of strings (core/vlist.c): found by
 * bsearch() whatever order it was made in, copies that outlive their
 * source (the watcher's check takes them to its pool thread), the empty
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
test_copied(void **state)
{
	struct vlist l;
	char *own[NMADE];
	size_t i;

	(void)state;
	for (i = 0; i < NMADE; i++)
		assert_non_null(own[i] = strdup(made[i]));
	assert_int_equal(vlist_make(&l, (const char *const *)own, NMADE), 0);
	for (i = 0; i < NMADE; i++) {
		own[i][0] = 'x';	/* the list holds copies */
		free(own[i]);
	}
	for (i = 0; i < NMADE; i++)
		assert_true(vlist_has(&l, made[i]));
	assert_false(vlist_has(&l, "4_x/00"));
	vlist_release(&l);
}

static void
test_empty(void **state)
{
	struct vlist l;

	(void)state;
	assert_int_equal(vlist_make(&l, NULL, 0), 0);
	assert_null(l.v);
	assert_false(vlist_has(&l, "1_t/00"));
	vlist_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has),
		cmocka_unit_test(test_copied),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
