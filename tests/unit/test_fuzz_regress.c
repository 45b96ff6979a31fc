/*
 * test_fuzz_regress.c - the fuzz harnesses' inputs, replayed in the normal
 * suite: every file of tests/fuzz/regress/NAME/ (each one crashed or
 * leaked once, or guards a bug a fuzzer would find) and of
 * tests/fuzz/corpus/NAME/ (the seeds) goes through the harness NAME,
 * built without libFuzzer.  Under `make asan` a leak or undefined
 * behaviour fails the run, as it did under the fuzzer.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_migparse.c"
#include "../fuzz/fuzz_migset.c"
#include "../fuzz/fuzz_model.c"
#include "../fuzz/fuzz_modelsql.c"
#include "../fuzz/fuzz_proto.c"

typedef void (*fuzz_fn)(const uint8_t *, size_t);

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Every regular file of FUZZ_DIR/kind/name through fn; how many. */
static int
replay(const char *kind, const char *name, fuzz_fn fn)
{
	char dir[512], path[1024];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/%s/%s", FUZZ_DIR, kind, name);
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		uint8_t *buf;
		size_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		buf = slurp(path, &len);
		fn(buf, len);
		free(buf);
		n++;
	}
	closedir(dp);
	return n;
}

static void
replay_all(const char *name, fuzz_fn fn, int want_regress)
{
	int seeds = replay("corpus", name, fn);
	int regress = replay("regress", name, fn);

	print_message("%s: %d seeds, %d regression inputs\n", name, seeds,
	    regress);
	assert_true(seeds > 0);
	assert_true(regress >= want_regress);
}

static void
test_config(void **state)
{
	(void)state;
	replay_all("config", fuzz_config, 0);
}

static void
test_model(void **state)
{
	(void)state;
	/* item 13: indexes: [[a, b]] with no column b leaked its names */
	replay_all("model", fuzz_model, 1);
	replay_all("modelsql", fuzz_modelsql, 1);
}

static void
test_migparse(void **state)
{
	(void)state;
	replay_all("migparse", fuzz_migparse, 0);
}

static void
test_migset(void **state)
{
	(void)state;
	replay_all("migset", fuzz_migset, 0);
}

static void
test_proto(void **state)
{
	(void)state;
	replay_all("proto", fuzz_proto, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_migparse),
		cmocka_unit_test(test_migset),
		cmocka_unit_test(test_proto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
