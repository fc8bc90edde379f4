/*
 * Slurm-style hostlist expressions: "n[00001-00008,00012],login1" expands
 * to an ordered list of names, and an ordered list of names compresses back
 * into the shortest expression that preserves its order.
 *
 * Grammar (one expression):
 *   expr    := item ("," item)*
 *   item    := prefix ["[" ranges "]" suffix]   (one bracket per item)
 *   ranges  := range ("," range)*
 *   range   := NUM | NUM "-" NUM                (lo <= hi)
 * Zero padding is kept: n[001-010] gives n001 ... n010 (width of lo).
 * Names are [A-Za-z0-9._-]; whitespace is not allowed inside an expression.
 * An empty expression or item, "[]", an empty range, lo > hi, a number of
 * more than HOSTLIST_MAX_DIGITS digits, nested or unbalanced brackets, a
 * second bracket in one item and names over HOSTLIST_NAME_MAX characters
 * are errors; messages quote the expression and the offset.
 */
#ifndef COMMON_HOSTLIST_H
#define COMMON_HOSTLIST_H

#include <stddef.h>

#include "common/err.h"

/* Longest name a hostlist holds (util_valid_name limit). */
#define HOSTLIST_NAME_MAX 255
/*
 * Longest numeric field in a range, and longest numeric suffix that
 * hostlist_format treats as a number (longer digit runs are emitted as
 * plain names).  18 digits always fit in a uint64_t.
 */
#define HOSTLIST_MAX_DIGITS 18

struct hostlist;

struct hostlist *hostlist_create(void);
/* No-op on NULL. */
void hostlist_destroy(struct hostlist *hl);

/*
 * Parse expr and append its names to hl.  At most max_names names may be
 * in hl afterwards (guards against "n[0-999999999]").  Returns 0, or -1
 * with e set and hl unchanged.
 */
int hostlist_parse(struct hostlist *hl, const char *expr, size_t max_names,
		   struct err *e) MUSTCHECK;
/* Append one name (copied).  Returns 0, or -1 (EINVAL) if not a valid name. */
int hostlist_push(struct hostlist *hl, const char *name) MUSTCHECK;
size_t hostlist_count(const struct hostlist *hl);
/* The i-th name (borrowed; valid until hl changes). */
const char *hostlist_nth(const struct hostlist *hl, size_t i);
/* Sort by (prefix, number) and drop duplicates. */
void hostlist_sort_uniq(struct hostlist *hl);
/*
 * Compress into an expression, merging runs of adjacent names that share a
 * prefix and digit width: [n01,n02,n03,n07] -> "n[01-03,07]".  Order is
 * preserved.  Returns a heap string the caller frees ("" when empty).
 *
 * Precisely: the numeric suffix is the trailing digit run (up to
 * HOSTLIST_MAX_DIGITS); names without one are written as they are.
 * Adjacent names with the same prefix share one bracket; within it a range
 * "a-b" takes the padding of a and continues while the next name is the
 * next number printed with that padding (so n9,n10 -> "n[9-10]" but
 * n9,n010 -> "n[9,010]").  A lone name gets no brackets.  Parsing the
 * result gives back exactly the same names in the same order.
 */
char *hostlist_format(const struct hostlist *hl);

#endif
