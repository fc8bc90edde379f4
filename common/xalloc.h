/*
 * Allocation wrappers that abort on out-of-memory, so callers never test
 * for NULL.  A daemon that cannot allocate a few bytes cannot do anything
 * useful; dying loudly lets systemd restart it.
 */
#ifndef COMMON_XALLOC_H
#define COMMON_XALLOC_H

#include <stddef.h>

#include "common/util.h"

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grow an array of n elements of size bytes each, checking overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string the caller frees. */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
