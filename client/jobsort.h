/*
 * `colossus jobs --sort KEYS`: the order of a job listing.
 *
 *   --sort priority            queue order: highest priority first
 *   --sort user,-submit        by user, then newest submission first
 *
 * Keys (any case, '-' or '_' inside names alike): id, priority, submit,
 * start, end, user, account, name, qos, state, nodes, gpus, time,
 * time_limit, queue_pos, expected_start.  Each has a natural order:
 * ascending, except priority (highest first), so "--sort priority"
 * lists jobs in the order the scheduler considers them.  A leading '-'
 * reverses a key, a leading '+' keeps it.  Ties end in job id order.
 * queue_pos and expected_start put jobs without one (0) last.  Pure.
 */
#ifndef CLIENT_JOBSORT_H
#define CLIENT_JOBSORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "proto/rpc.h"

#define JOBSORT_MAX_KEYS 8

struct jobsort {
	size_t n;
	int key[JOBSORT_MAX_KEYS];
	bool reverse[JOBSORT_MAX_KEYS];
};

/* The accepted key names, comma-separated (for help and errors). */
extern const char jobsort_keys[];

/*
 * Parse a comma-separated key list.  Returns 0, or -1 with e set
 * (unknown key with the valid ones, empty item, too many keys).
 */
int jobsort_parse(const char *spec, struct jobsort *out,
		  struct err *e) MUSTCHECK;
/* Sort jobs in place (stable for equal keys: by id).  now is for "time". */
void jobsort_sort(Colossus__JobInfo **jobs, size_t n, const struct jobsort *s,
		  int64_t now);

#endif
