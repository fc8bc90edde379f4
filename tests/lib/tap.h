/*
 * A tiny TAP producer for unit tests (header-only).  Output is read by
 * automake's tap-driver.sh: "ok N - name" / "not ok N - name" lines, "#"
 * diagnostics, and a plan line.  Every test must end with done_testing()
 * or have called plan().
 */
#ifndef TESTS_LIB_TAP_H
#define TESTS_LIB_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;
static int tap_planned = -1;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *file, int line,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int tap_ok(int cond, const char *file, int line,
			 const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Integer equality with both values printed on failure. */
#define is_int(got, want, ...)                                             \
	do {                                                               \
		long long tap_g_ = (long long)(got);                       \
		long long tap_w_ = (long long)(want);                      \
		if (!tap_ok(tap_g_ == tap_w_, __FILE__, __LINE__,          \
			    __VA_ARGS__))                                  \
			diag("  got: %lld  expected: %lld", tap_g_, tap_w_); \
	} while (0)

/* String equality (NULL-safe) with both values printed on failure. */
#define is_str(got, want, ...)                                             \
	do {                                                               \
		const char *tap_g_ = (got);                                \
		const char *tap_w_ = (want);                               \
		int tap_c_ = (tap_g_ && tap_w_) ? !strcmp(tap_g_, tap_w_)  \
						: tap_g_ == tap_w_;        \
		if (!tap_ok(tap_c_, __FILE__, __LINE__, __VA_ARGS__))      \
			diag("  got: '%s'  expected: '%s'",                \
			     tap_g_ ? tap_g_ : "(null)",                   \
			     tap_w_ ? tap_w_ : "(null)");                  \
	} while (0)

static inline void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++) {
		tap_count++;
		printf("ok %d # SKIP %s\n", tap_count, reason);
	}
	fflush(stdout);
}

/* Print the plan if none was given; exit status is non-zero on failure. */
static inline int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_planned != tap_count)
		printf("# planned %d tests but ran %d\n", tap_planned,
		       tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
