/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each harness is one static function fuzz_NAME(data, size) that feeds
 * the bytes to a parser of untrusted input and frees everything.  Built
 * by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined) the file
 * defines LLVMFuzzerTestOneInput through FUZZ_TARGET; built with
 * FUZZ_REPLAY (tests/unit/test_fuzz_regress.c includes every harness) it
 * defines nothing else, and the replay test runs tests/fuzz/regress/ and
 * tests/fuzz/corpus/ through the same functions in the normal suite.
 */
#ifndef MIGRATED_FUZZ_H
#define MIGRATED_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(fn)
#else
#define FUZZ_TARGET(fn)							\
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);			\
int									\
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)		\
{									\
	fn(data, size);							\
	return 0;							\
}
#endif

/* The input as a C string (the parsers take text): NULs end it. */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
