/*
 * Hash maps with open addressing (linear probing, tombstone-free deletion
 * by backward shift).  Two flavours:
 *
 *   struct hmap   uint64_t key  -> void *value   (job id -> job)
 *   struct smap   const char *  -> void *value   (node name -> node)
 *
 * smap borrows its keys: the string must live as long as the entry (keys
 * are usually the name field of the object stored as the value).
 * Values may not be NULL (NULL means "absent").
 */
#ifndef COMMON_HMAP_H
#define COMMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap;
struct smap;

struct hmap *hmap_create(void);
void hmap_destroy(struct hmap *m);
void *hmap_get(const struct hmap *m, uint64_t key);
/* Insert or replace; returns the previous value or NULL. */
void *hmap_put(struct hmap *m, uint64_t key, void *value);
/* Remove; returns the removed value or NULL. */
void *hmap_del(struct hmap *m, uint64_t key);
size_t hmap_count(const struct hmap *m);
/*
 * Iterate: start with *pos = 0; returns 1 and fills key/value while
 * entries remain, 0 at the end.  The map must not change meanwhile.
 */
int hmap_next(const struct hmap *m, size_t *pos, uint64_t *key, void **value);

struct smap *smap_create(void);
void smap_destroy(struct smap *m);
void *smap_get(const struct smap *m, const char *key);
void *smap_put(struct smap *m, const char *key, void *value);
void *smap_del(struct smap *m, const char *key);
size_t smap_count(const struct smap *m);

#endif
