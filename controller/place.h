/*
 * Placement: choosing nodes and GPUs for one job, given the cluster's
 * current free capacity.  Pure logic over struct cluster; no I/O, so it
 * is unit tested directly and benchmarked in bench/.
 */
#ifndef CONTROLLER_PLACE_H
#define CONTROLLER_PLACE_H

#include <stdbool.h>
#include <stdint.h>

struct cluster;
struct node;

struct place_req {
	uint32_t nodes;		/* gang size                            */
	uint32_t gpus_per_node; /* 1..16; gangs of >1 node take whole nodes */
	const char *gpu_model;	/* NULL or "" = any                     */
	const int *exclude;	/* node ids to avoid                    */
	int nexclude;
};

struct place_result {
	struct node **nodes; /* caller frees */
	uint16_t *masks;     /* caller frees */
	int n;
};

/*
 * Find a placement.  Returns 1 and fills out (in rank order), or 0 when
 * the job does not fit now.  Never changes the cluster.
 */
int place_find(const struct cluster *c, const struct place_req *req,
	       struct place_result *out);
void place_result_free(struct place_result *r);
/* Choose g GPUs out of free (mask), preferring one CPU socket. */
uint16_t place_pick_gpus(uint16_t free, unsigned gpus, unsigned total,
			 unsigned g);

#endif
