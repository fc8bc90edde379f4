/*
 * Unit tests for controller/ratelimit.c: per-identity token buckets
 * (burst, refill, independence of keys, retry hint, bounded memory).
 * They protect the listing limit that keeps one user polling in a loop
 * from crowding out everyone else.
 */
#include "config.h"

#include <stdio.h>

#include "controller/ratelimit.h"
#include "tests/lib/tap.h"

int main(void)
{
	struct ratelimit *rl = ratelimit_create(10, 5);
	int64_t retry = 0;
	int allowed = 0;

	for (int i = 0; i < 20; i++)
		allowed += ratelimit_take(rl, "alice", 1000, NULL);
	is_int(allowed, 5, "a burst of 5 at once, then refused");
	ok(!ratelimit_take(rl, "alice", 1000, &retry) && retry > 0 &&
		   retry <= 101,
	   "refused with a retry hint of about 100 ms (%lld)",
	   (long long)retry);
	ok(ratelimit_take(rl, "bob", 1000, NULL), "bob has his own bucket");
	ok(ratelimit_take(rl, "alice", 1100, NULL),
	   "after 100 ms alice has one more (10 per second)");
	ok(!ratelimit_take(rl, "alice", 1100, NULL), "  and only one");
	allowed = 0;
	for (int64_t t = 2000; t < 12000; t += 10)
		allowed += ratelimit_take(rl, "alice", t, NULL);
	ok(allowed >= 99 && allowed <= 106,
	   "polling every 10 ms for 10 s gets about 10 per second (%d)",
	   allowed);
	ok(ratelimit_take(rl, "carol", 500, NULL),
	   "a clock that goes back does not break a new bucket");
	allowed = 0;
	for (int i = 0; i < 10; i++)
		allowed += ratelimit_take(rl, "dave", 100000, NULL);
	is_int(allowed, 5, "an idle bucket refills only up to the burst");
	ratelimit_destroy(rl);

	/* Many identities: full buckets are swept, memory stays bounded. */
	rl = ratelimit_create(1, 2);
	for (int i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user%d", i);
		(void)ratelimit_take(rl, name, (int64_t)i * 10000, NULL);
	}
	ok(ratelimit_count(rl) <= 4096 + 1,
	   "20,000 one-off callers leave at most a sweep's worth (%u)",
	   ratelimit_count(rl));
	ok(ratelimit_take(rl, "user19999", 200000000, NULL),
	   "a known caller still works after sweeps");
	ratelimit_destroy(rl);
	ratelimit_destroy(NULL);
	ok(1, "destroy(NULL) is a no-op");
	return done_testing();
}
