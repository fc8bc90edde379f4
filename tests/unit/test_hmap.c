/*
 * Unit tests for common/hmap.c: the uint64 map (hmap) and the string map
 * (smap).  Put/get/replace/delete with tens of thousands of sequential and
 * random keys (fixed seed), deletion by backward shift checked against a
 * plain reference array after every step in small, crowded tables, the
 * iterator visiting every entry exactly once, and growth.
 *
 * These maps index every job (by id) and every node (by name) in the
 * controller, so a lost entry after a deletion would make a live job or
 * node invisible to the scheduler and to fencing (DESIGN invariants 2
 * and 3).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/hmap.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

/* A deterministic generator (xorshift64), independent of libc's rand(). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values are never NULL: encode a number as an odd pointer-sized value. */
static void *val(uint64_t n)
{
	return (void *)(uintptr_t)(n * 2 + 1);
}

static void test_hmap_empty(void)
{
	struct hmap *m = hmap_create();
	size_t pos = 0;
	uint64_t k;
	void *v;

	is_int(hmap_count(m), 0, "hmap: new map is empty");
	ok(hmap_get(m, 0) == NULL && hmap_get(m, 42) == NULL,
	   "hmap: get on empty map -> NULL");
	ok(hmap_del(m, 42) == NULL, "hmap: del on empty map -> NULL");
	is_int(hmap_next(m, &pos, &k, &v), 0, "hmap: iterating empty map ends");
	ok(hmap_put(m, 0, val(0)) == NULL, "hmap: key 0 inserted");
	ok(hmap_get(m, 0) == val(0), "hmap: key 0 found");
	ok(hmap_put(m, UINT64_MAX, val(1)) == NULL,
	   "hmap: key 2^64-1 inserted");
	ok(hmap_get(m, UINT64_MAX) == val(1), "hmap: key 2^64-1 found");
	ok(hmap_put(m, 0, val(7)) == val(0), "hmap: replace returns old value");
	ok(hmap_get(m, 0) == val(7), "hmap: replaced value is returned");
	is_int(hmap_count(m), 2, "hmap: replace does not change the count");
	ok(hmap_del(m, 0) == val(7), "hmap: del returns the value");
	ok(hmap_get(m, 0) == NULL, "hmap: deleted key is gone");
	ok(hmap_del(m, 0) == NULL, "hmap: second del -> NULL");
	is_int(hmap_count(m), 1, "hmap: count after del");
	hmap_destroy(m);
	hmap_destroy(NULL);
	ok(1, "hmap_destroy(NULL) is a no-op");
}

/* Sequential job ids, as the controller assigns them. */
static void test_hmap_sequential(void)
{
	enum { N = 60000 };
	struct hmap *m = hmap_create();
	uint8_t *seen = xcalloc(N + 1, 1);
	int missing = 0, wrong = 0, extra = 0, dup = 0, replaced = 0;
	size_t pos = 0, visits = 0;
	uint64_t k;
	void *v;

	for (uint64_t i = 1; i <= N; i++)
		if (hmap_put(m, i, val(i)) != NULL)
			wrong++;
	is_int(wrong, 0, "hmap: %d fresh puts return NULL", N);
	is_int(hmap_count(m), N, "hmap: count after %d puts", N);
	for (uint64_t i = 1; i <= N; i++)
		if (hmap_get(m, i) != val(i))
			missing++;
	is_int(missing, 0, "hmap: all %d sequential keys found", N);
	ok(hmap_get(m, 0) == NULL && hmap_get(m, N + 1) == NULL &&
		   hmap_get(m, 1ull << 40) == NULL,
	   "hmap: absent keys are absent after growth");

	while (hmap_next(m, &pos, &k, &v)) {
		visits++;
		if (k == 0 || k > N) {
			extra++;
			continue;
		}
		if (seen[k])
			dup++;
		seen[k] = 1;
		if (v != val(k))
			wrong++;
	}
	is_int(visits, N, "hmap: iteration visits %d entries", N);
	is_int(dup, 0, "hmap: no entry visited twice");
	is_int(extra, 0, "hmap: no unknown key visited");
	is_int(wrong, 0, "hmap: iteration gives each key its own value");
	missing = 0;
	for (uint64_t i = 1; i <= N; i++)
		if (!seen[i])
			missing++;
	is_int(missing, 0, "hmap: every entry visited");

	/* Iteration without a key pointer. */
	pos = 0;
	visits = 0;
	while (hmap_next(m, &pos, NULL, &v))
		visits++;
	is_int(visits, N, "hmap: iteration with key == NULL works");

	for (uint64_t i = 1; i <= N; i += 3)
		if (hmap_put(m, i, val(i + N)) == val(i))
			replaced++;
	is_int(replaced, (N + 2) / 3, "hmap: every third key replaced");
	is_int(hmap_count(m), N, "hmap: count unchanged by replacing");

	/* Delete every other key, then check both halves. */
	wrong = 0;
	for (uint64_t i = 2; i <= N; i += 2) {
		void *want = (i % 3 == 1) ? val(i + N) : val(i);

		if (hmap_del(m, i) != want)
			wrong++;
	}
	is_int(wrong, 0, "hmap: deleting even keys returns their values");
	is_int(hmap_count(m), N / 2, "hmap: half left");
	missing = 0;
	wrong = 0;
	for (uint64_t i = 1; i <= N; i++) {
		void *got = hmap_get(m, i);

		if (i % 2 == 0) {
			if (got)
				wrong++;
		} else if (got != ((i % 3 == 1) ? val(i + N) : val(i))) {
			missing++;
		}
	}
	is_int(wrong, 0, "hmap: deleted keys are gone");
	is_int(missing, 0, "hmap: surviving keys keep their values");

	for (uint64_t i = 1; i <= N; i += 2)
		hmap_del(m, i);
	is_int(hmap_count(m), 0, "hmap: empty after deleting everything");
	pos = 0;
	is_int(hmap_next(m, &pos, &k, &v), 0, "hmap: nothing to iterate");
	ok(hmap_put(m, 5, val(5)) == NULL && hmap_get(m, 5) == val(5),
	   "hmap: usable again after emptying");
	free(seen);
	hmap_destroy(m);
}

/* Check m against the reference; returns the number of mismatches. */
static int hmap_compare(const struct hmap *m, const uint64_t *keys,
			const uint64_t *ref, size_t n)
{
	size_t present = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		void *got = hmap_get(m, keys[i]);

		if (ref[i]) {
			present++;
			if (got != val(ref[i]))
				bad++;
		} else if (got) {
			bad++;
		}
	}
	if (hmap_count(m) != present)
		bad++;
	return bad;
}

/*
 * Random keys and random operations against a reference array.  Keys come
 * from a fixed universe so that puts, replaces and deletes of the same
 * keys interleave; the universe is small relative to the operations so
 * clusters form and break apart many times.
 */
static void test_hmap_random(void)
{
	enum { U = 20000, OPS = 400000 };
	uint64_t *keys = xcalloc(U, sizeof(*keys));
	uint64_t *ref = xcalloc(U, sizeof(*ref)); /* 0 = absent */
	struct hmap *m = hmap_create();
	int bad_ret = 0, bad_state = 0, checks = 0;
	uint8_t *seen = xcalloc(U, 1);
	size_t pos = 0, visits = 0;
	uint64_t k;
	void *v;
	int dup = 0, unknown = 0;

	for (size_t i = 0; i < U; i++) {
		/* Unique random keys (a duplicate would confuse the
		 * reference). */
		keys[i] = (rng() & ~0xffffull) | i;
	}
	for (uint64_t op = 1; op <= OPS; op++) {
		size_t i = (size_t)(rng() % U);
		unsigned what = (unsigned)(rng() % 10);

		if (what < 6) {
			void *prev = hmap_put(m, keys[i], val(op));

			if (prev != (ref[i] ? val(ref[i]) : NULL))
				bad_ret++;
			ref[i] = op;
		} else if (what < 9) {
			void *prev = hmap_del(m, keys[i]);

			if (prev != (ref[i] ? val(ref[i]) : NULL))
				bad_ret++;
			ref[i] = 0;
		} else if (hmap_get(m, keys[i]) !=
			   (ref[i] ? val(ref[i]) : NULL)) {
			bad_ret++;
		}
		if (op % 20000 == 0) {
			bad_state += hmap_compare(m, keys, ref, U);
			checks++;
		}
	}
	is_int(bad_ret, 0,
	       "hmap: %d random put/del/get return what the reference says",
	       OPS);
	is_int(bad_state, 0,
	       "hmap: full comparison with the reference at %d "
	       "checkpoints",
	       checks);

	while (hmap_next(m, &pos, &k, &v)) {
		size_t i = (size_t)(k & 0xffff);

		visits++;
		if (i >= U || keys[i] != k || !ref[i]) {
			unknown++;
			continue;
		}
		if (seen[i]++)
			dup++;
	}
	is_int(visits, hmap_count(m),
	       "hmap: iteration after random churn visits count entries");
	is_int(dup + unknown, 0,
	       "hmap: ... each live key once, no deleted key");

	hmap_destroy(m);
	free(keys);
	free(ref);
	free(seen);
}

/*
 * Backward-shift deletion in a crowded 16-slot table: insert up to 11
 * keys (below the growth threshold, so the table stays small and the
 * probe sequences wrap around its end), then delete them in random order,
 * checking every key after every deletion.
 */
static void test_hmap_small_tables(void)
{
	enum { TRIALS = 5000 };
	int bad = 0;

	for (int t = 0; t < TRIALS; t++) {
		struct hmap *m = hmap_create();
		uint64_t keys[11];
		uint64_t ref[11];
		int n = 1 + (int)(rng() % 11);

		for (int i = 0; i < n; i++) {
			/* Small keys: many share a home slot. */
			keys[i] = (uint64_t)t * 64 + (uint64_t)i;
			ref[i] = (uint64_t)i + 1;
			hmap_put(m, keys[i], val(ref[i]));
		}
		bad += hmap_compare(m, keys, ref, (size_t)n);
		for (int left = n; left > 0; left--) {
			int pick = (int)(rng() % (uint64_t)left), idx = -1;

			/* The pick-th key still present. */
			for (int i = 0; i < n; i++)
				if (ref[i] && pick-- == 0) {
					idx = i;
					break;
				}
			if (hmap_del(m, keys[idx]) != val(ref[idx]))
				bad++;
			ref[idx] = 0;
			bad += hmap_compare(m, keys, ref, (size_t)n);
		}
		hmap_destroy(m);
	}
	is_int(bad, 0,
	       "hmap: %d crowded small tables, every key checked "
	       "after every deletion",
	       TRIALS);
}

static void test_smap_basic(void)
{
	struct smap *m = smap_create();
	char a[16], b[16];

	is_int(smap_count(m), 0, "smap: new map is empty");
	ok(smap_get(m, "x") == NULL, "smap: get on empty map -> NULL");
	ok(smap_del(m, "x") == NULL, "smap: del on empty map -> NULL");
	ok(smap_put(m, "", val(1)) == NULL && smap_get(m, "") == val(1),
	   "smap: empty string is a key");
	ok(smap_put(m, "n00001", val(2)) == NULL, "smap: insert n00001");
	ok(smap_get(m, "n00001") == val(2), "smap: n00001 found");
	ok(smap_get(m, "n00002") == NULL && smap_get(m, "n0000") == NULL &&
		   smap_get(m, "n000011") == NULL,
	   "smap: similar names are different keys");

	/* Replace with an equal key held in another buffer: the map must
	 * use the new key from now on (the old object may be freed). */
	snprintf(a, sizeof(a), "rack%d", 7);
	ok(smap_put(m, a, val(3)) == NULL, "smap: insert rack7 (buffer a)");
	snprintf(b, sizeof(b), "rack%d", 7);
	ok(smap_put(m, b, val(4)) == val(3),
	   "smap: replace via an equal key returns the old value");
	memset(a, 'Z', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	ok(smap_get(m, "rack7") == val(4),
	   "smap: after replacing, the entry borrows the new key");
	is_int(smap_count(m), 3, "smap: count after replace");
	ok(smap_del(m, "rack7") == val(4), "smap: del returns the value");
	ok(smap_get(m, b) == NULL, "smap: deleted key is gone");
	is_int(smap_count(m), 2, "smap: count after del");
	smap_destroy(m);
	smap_destroy(NULL);
	ok(1, "smap_destroy(NULL) is a no-op");
}

static int smap_compare(const struct smap *m, char (*names)[24],
			const uint64_t *ref, size_t n)
{
	size_t present = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		void *got = smap_get(m, names[i]);

		if (ref[i]) {
			present++;
			if (got != val(ref[i]))
				bad++;
		} else if (got) {
			bad++;
		}
	}
	if (smap_count(m) != present)
		bad++;
	return bad;
}

static void test_smap_many(void)
{
	enum { N = 30000, OPS = 200000 };
	char(*names)[24] = xcalloc(N, sizeof(*names));
	uint64_t *ref = xcalloc(N, sizeof(*ref));
	struct smap *m = smap_create();
	int bad = 0, bad_ret = 0, bad_state = 0, checks = 0;

	/* Node names that differ only in trailing digits. */
	for (size_t i = 0; i < N; i++)
		snprintf(names[i], sizeof(names[i]), "gpu%05zu", i);
	for (size_t i = 0; i < N; i++)
		if (smap_put(m, names[i], val(i + 1)) != NULL)
			bad++;
	is_int(bad, 0, "smap: %d fresh puts return NULL", N);
	is_int(smap_count(m), N, "smap: count after %d puts", N);
	for (size_t i = 0; i < N; i++)
		ref[i] = i + 1;
	is_int(smap_compare(m, names, ref, N), 0,
	       "smap: every name found with its value");
	ok(smap_get(m, "gpu30000") == NULL && smap_get(m, "gpu0000") == NULL,
	   "smap: absent names are absent");

	/* Delete every other name. */
	bad = 0;
	for (size_t i = 0; i < N; i += 2) {
		if (smap_del(m, names[i]) != val(ref[i]))
			bad++;
		ref[i] = 0;
	}
	is_int(bad, 0, "smap: deleting half returns their values");
	is_int(smap_compare(m, names, ref, N), 0,
	       "smap: survivors found, deleted names gone");

	/* Random churn against the reference. */
	for (uint64_t op = 1; op <= OPS; op++) {
		size_t i = (size_t)(rng() % N);
		unsigned what = (unsigned)(rng() % 10);

		if (what < 5) {
			void *prev = smap_put(m, names[i], val(op + N));

			if (prev != (ref[i] ? val(ref[i]) : NULL))
				bad_ret++;
			ref[i] = op + N;
		} else if (what < 9) {
			void *prev = smap_del(m, names[i]);

			if (prev != (ref[i] ? val(ref[i]) : NULL))
				bad_ret++;
			ref[i] = 0;
		} else if (smap_get(m, names[i]) !=
			   (ref[i] ? val(ref[i]) : NULL)) {
			bad_ret++;
		}
		if (op % 20000 == 0) {
			bad_state += smap_compare(m, names, ref, N);
			checks++;
		}
	}
	is_int(bad_ret, 0, "smap: %d random operations match the reference",
	       OPS);
	is_int(bad_state, 0, "smap: full comparison at %d checkpoints", checks);
	for (size_t i = 0; i < N; i++) {
		smap_del(m, names[i]);
		ref[i] = 0;
	}
	is_int(smap_count(m), 0, "smap: empty after deleting everything");
	is_int(smap_compare(m, names, ref, N), 0, "smap: nothing left");
	smap_destroy(m);
	free(names);
	free(ref);
}

/* Crowded 16-slot string tables, checked after every deletion. */
static void test_smap_small_tables(void)
{
	enum { TRIALS = 3000 };
	int bad = 0;

	for (int t = 0; t < TRIALS; t++) {
		struct smap *m = smap_create();
		char names[11][24];
		uint64_t ref[11];
		int n = 1 + (int)(rng() % 11);

		for (int i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "r%dn%d", t, i);
			ref[i] = (uint64_t)i + 1;
			smap_put(m, names[i], val(ref[i]));
		}
		bad += smap_compare(m, names, ref, (size_t)n);
		for (int left = n; left > 0; left--) {
			int pick = (int)(rng() % (uint64_t)left), idx = -1;

			for (int i = 0; i < n; i++)
				if (ref[i] && pick-- == 0) {
					idx = i;
					break;
				}
			if (smap_del(m, names[idx]) != val(ref[idx]))
				bad++;
			ref[idx] = 0;
			bad += smap_compare(m, names, ref, (size_t)n);
		}
		smap_destroy(m);
	}
	is_int(bad, 0,
	       "smap: %d crowded small tables, every key checked "
	       "after every deletion",
	       TRIALS);
}

int main(void)
{
	test_hmap_empty();
	test_hmap_sequential();
	test_hmap_random();
	test_hmap_small_tables();
	test_smap_basic();
	test_smap_many();
	test_smap_small_tables();
	return done_testing();
}
