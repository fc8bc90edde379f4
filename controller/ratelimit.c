/*
 * Token buckets keyed by identity (see ratelimit.h).  Each bucket owns
 * its key string, which the string map borrows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/xalloc.h"
#include "controller/ratelimit.h"

/* Sweep full buckets when the table grows past this many keys. */
#define RATELIMIT_SWEEP_AT 4096

struct ratelimit_bucket {
	char *key;
	double tokens;
	int64_t last_ms;
};

struct ratelimit {
	double rate, burst;
	struct smap *buckets;
	struct ratelimit_bucket **all; /* for the sweep */
	unsigned n, cap;
	unsigned sweep_at;
};

struct ratelimit *ratelimit_create(double rate, double burst)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->rate = rate > 0 ? rate : 1;
	rl->burst = burst >= 1 ? burst : 1;
	rl->buckets = smap_create();
	rl->sweep_at = RATELIMIT_SWEEP_AT;
	return rl;
}

void ratelimit_destroy(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (unsigned i = 0; i < rl->n; i++) {
		free(rl->all[i]->key);
		free(rl->all[i]);
	}
	free(rl->all);
	smap_destroy(rl->buckets);
	free(rl);
}

static void ratelimit_refill(const struct ratelimit *rl,
			     struct ratelimit_bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	}
	b->last_ms = now_ms;
}

/* Drop buckets that are full again: they are the same as no bucket. */
static void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < rl->n; i++) {
		struct ratelimit_bucket *b = rl->all[i];

		ratelimit_refill(rl, b, now_ms);
		if (b->tokens >= rl->burst) {
			smap_del(rl->buckets, b->key);
			free(b->key);
			free(b);
			continue;
		}
		rl->all[kept++] = b;
	}
	rl->n = kept;
	/* Many keys are busy at once: sweep again only after as many more. */
	rl->sweep_at =
		kept * 2 > RATELIMIT_SWEEP_AT ? kept * 2 : RATELIMIT_SWEEP_AT;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms,
		    int64_t *retry_ms)
{
	struct ratelimit_bucket *b = smap_get(rl->buckets, key);

	if (!b) {
		if (rl->n >= rl->sweep_at)
			ratelimit_sweep(rl, now_ms);
		b = xcalloc(1, sizeof(*b));
		b->key = xstrdup(key);
		b->tokens = rl->burst;
		b->last_ms = now_ms;
		smap_put(rl->buckets, b->key, b);
		if (rl->n == rl->cap) {
			rl->cap = rl->cap ? rl->cap * 2 : 64;
			rl->all = xreallocarray(rl->all, rl->cap,
						sizeof(*rl->all));
		}
		rl->all[rl->n++] = b;
	}
	ratelimit_refill(rl, b, now_ms);
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return true;
	}
	if (retry_ms)
		*retry_ms = (int64_t)((1 - b->tokens) * 1000.0 / rl->rate) + 1;
	return false;
}

unsigned ratelimit_count(const struct ratelimit *rl)
{
	return rl->n;
}
