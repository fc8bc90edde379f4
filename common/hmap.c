/*
 * Open-addressing hash maps.  Capacity is a power of two kept at most 70%
 * full; deletion shifts following entries back so lookups never need
 * tombstones.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/xalloc.h"

struct hmap_slot {
	uint64_t key;
	void *value; /* NULL = empty */
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two */
	size_t count;
};

static uint64_t hmap_hash(uint64_t x)
{
	/* splitmix64 finaliser: job ids are sequential, spread them. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

struct hmap *hmap_create(void)
{
	struct hmap *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void hmap_destroy(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static void hmap_grow(struct hmap *m)
{
	struct hmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].value)
			hmap_put(m, old[i].key, old[i].value);
	free(old);
}

void *hmap_get(const struct hmap *m, uint64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = hmap_hash(key) & mask;; i = (i + 1) & mask) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].key == key)
			return m->slots[i].value;
	}
}

void *hmap_put(struct hmap *m, uint64_t key, void *value)
{
	size_t mask;

	if ((m->count + 1) * 10 > m->cap * 7)
		hmap_grow(m);
	mask = m->cap - 1;
	for (size_t i = hmap_hash(key) & mask;; i = (i + 1) & mask) {
		if (!m->slots[i].value) {
			m->slots[i].key = key;
			m->slots[i].value = value;
			m->count++;
			return NULL;
		}
		if (m->slots[i].key == key) {
			void *prev = m->slots[i].value;

			m->slots[i].value = value;
			return prev;
		}
	}
}

void *hmap_del(struct hmap *m, uint64_t key)
{
	size_t mask = m->cap - 1;
	size_t i = hmap_hash(key) & mask;
	void *prev;

	for (;; i = (i + 1) & mask) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].key == key)
			break;
	}
	prev = m->slots[i].value;
	m->slots[i].value = NULL;
	m->count--;
	/* Backward-shift: move later entries of the cluster into the hole. */
	for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
		size_t home = hmap_hash(m->slots[j].key) & mask;

		/* Can the entry at j move to i?  Only if home is not in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].value = NULL;
			i = j;
		}
	}
	return prev;
}

size_t hmap_count(const struct hmap *m)
{
	return m->count;
}

int hmap_next(const struct hmap *m, size_t *pos, uint64_t *key, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->slots[*pos].value) {
			if (key)
				*key = m->slots[*pos].key;
			*value = m->slots[*pos].value;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

struct smap_slot {
	const char *key;
	uint64_t hash;
	void *value;
};

struct smap {
	struct smap_slot *slots;
	size_t cap;
	size_t count;
};

static uint64_t smap_hash(const char *s)
{
	/* FNV-1a, then mixed: names differ only in trailing digits. */
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return hmap_hash(h);
}

struct smap *smap_create(void)
{
	struct smap *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void smap_destroy(struct smap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static void smap_grow(struct smap *m)
{
	struct smap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].value)
			smap_put(m, old[i].key, old[i].value);
	free(old);
}

void *smap_get(const struct smap *m, const char *key)
{
	uint64_t h = smap_hash(key);
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].hash == h && !strcmp(m->slots[i].key, key))
			return m->slots[i].value;
	}
}

void *smap_put(struct smap *m, const char *key, void *value)
{
	uint64_t h;
	size_t mask;

	if ((m->count + 1) * 10 > m->cap * 7)
		smap_grow(m);
	h = smap_hash(key);
	mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (!m->slots[i].value) {
			m->slots[i].key = key;
			m->slots[i].hash = h;
			m->slots[i].value = value;
			m->count++;
			return NULL;
		}
		if (m->slots[i].hash == h && !strcmp(m->slots[i].key, key)) {
			void *prev = m->slots[i].value;

			m->slots[i].key = key;
			m->slots[i].value = value;
			return prev;
		}
	}
}

void *smap_del(struct smap *m, const char *key)
{
	uint64_t h = smap_hash(key);
	size_t mask = m->cap - 1;
	size_t i = h & mask;
	void *prev;

	for (;; i = (i + 1) & mask) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].hash == h && !strcmp(m->slots[i].key, key))
			break;
	}
	prev = m->slots[i].value;
	m->slots[i].value = NULL;
	m->count--;
	for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].value = NULL;
			i = j;
		}
	}
	return prev;
}

size_t smap_count(const struct smap *m)
{
	return m->count;
}
