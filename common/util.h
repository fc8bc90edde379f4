/*
 * Small macros every module uses: attribute shorthands, array sizes and
 * monotonic/wall clock helpers.  Nothing here allocates or logs.
 */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Milliseconds from CLOCK_MONOTONIC; for leases, timeouts and durations. */
int64_t util_now_mono_ms(void);
/* Microseconds from CLOCK_MONOTONIC; for benchmarks and histograms. */
int64_t util_now_mono_us(void);
/* Seconds since the Unix epoch (wall clock); for timestamps shown to people. */
int64_t util_now_wall_s(void);
/* Milliseconds since the Unix epoch (wall clock). */
int64_t util_now_wall_ms(void);

/*
 * Copy src into dst (size bytes) always NUL-terminating.  Returns 0, or -1
 * when src did not fit (dst then holds a truncated copy).
 */
int util_strlcpy(char *dst, const char *src, size_t size) MUSTCHECK;

/* True if s is a name safe for identifiers: [A-Za-z0-9._-], 1..maxlen. */
int util_valid_name(const char *s, size_t maxlen);

#endif
