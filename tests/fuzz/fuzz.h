/*
 * Shared helpers for the libFuzzer targets in tests/fuzz/ (see README.md
 * there).  Each target defines LLVMFuzzerTestOneInput; libFuzzer's main
 * (-fsanitize=fuzzer) drives it.  Targets must not leak: the
 * AddressSanitizer leak checker runs after every input batch.
 *
 * A property violation (a round trip that does not give back what went
 * in) is reported with FUZZ_CHECK, which aborts so libFuzzer saves the
 * input as a crash.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz property failed: %s: ", #cond);  \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* A NUL-terminated heap copy of the input (embedded NULs stay). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Parsers log nothing on bad input; keep libraries' warnings quiet too. */
static inline void fuzz_quiet(void)
{
	log_init("fuzz", false);
	log_set_level(LOG_CRIT);
}

#endif
