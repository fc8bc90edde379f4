/*
 * Per-identity token buckets: each key (a certificate name) may spend
 * `burst` requests at once and regains `rate` per second.  Generic, so
 * every request class that needs a limit (listings, submits) keeps its own
 * struct ratelimit with its own figures.
 *
 * Memory stays bounded: buckets that have refilled completely carry no
 * information and are dropped by a sweep once the table grows past a few
 * thousand keys.  Pure apart from the allocations; time is passed in.
 */
#ifndef CONTROLLER_RATELIMIT_H
#define CONTROLLER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* rate: tokens per second (> 0); burst: bucket size (>= 1). */
struct ratelimit *ratelimit_create(double rate, double burst);
/* No-op on NULL. */
void ratelimit_destroy(struct ratelimit *rl);
/*
 * Take one token from key's bucket at time now_ms (any monotonic
 * milliseconds).  Returns true if allowed; false if the bucket is empty,
 * with *retry_ms (may be NULL) set to the wait until the next token.
 */
bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms,
		    int64_t *retry_ms);
/* Buckets currently held (for tests). */
unsigned ratelimit_count(const struct ratelimit *rl);

#endif
