/*
 * Placement: choosing nodes and GPUs for one job, given the cluster's
 * current free capacity.  Pure logic over struct cluster; no I/O, so it
 * is unit tested directly and benchmarked in bench/.
 *
 * Whole-node gangs go to the lowest level (rack, pod, hall, site) that
 * can hold them; among the candidates at that level the one spanning the
 * fewest racks, then pods, then leaving the least free capacity behind
 * (best fit) wins, so fragmented corners fill first and large free blocks
 * stay intact.  Inside the chosen container, racks are taken largest
 * first (whole pods' racks before broken pods' ones) and the last piece
 * goes to the rack it fits best.  Jobs that
 * take part of one node go to the fullest node that fits, on one CPU
 * socket when they can.
 */
#ifndef CONTROLLER_PLACE_H
#define CONTROLLER_PLACE_H

#include <stdbool.h>
#include <stdint.h>

struct cluster;
struct node;

enum place_level {
	PLACE_ANY = 0,
	PLACE_RACK = 1,
	PLACE_POD = 2,
	PLACE_HALL = 3,
};

struct place_req {
	uint32_t nodes;		/* gang size                             */
	uint32_t gpus_per_node; /* GPUs per node (whole node for gangs)  */
	const char *gpu_model;	/* NULL or "" = any                      */
	const int *exclude;	/* node ids to avoid                     */
	int nexclude;
	char *const *features;	/* every one required                    */
	int nfeatures;
	enum place_level within; /* demanded level, or PLACE_ANY        */
	uint32_t segment;	/* nodes per segment kept in one rack (<= 8)
				   or one pod (<= 64); 0 = none           */
	bool allow_degraded;	/* may use DEGRADED nodes                */
	bool allow_spares;	/* may use hot spares (replacement gangs) */
	/* The job would run until end_time (INT64_MAX: no limit); a node
	 * whose block_from is earlier (a reservation, the top job's
	 * shadow) cannot take it, unless the block is the job's own
	 * (owner: its id, or minus its reservation's id).  only_owner
	 * restricts the job to nodes blocked for it (a reservation). */
	int64_t end_time;
	int64_t owner;
	bool only_owner;
	/* Backfill probe: avail[node index] is when the node will be free;
	 * nodes free by avail_by count as free.  NULL: only free now. */
	const int64_t *avail;
	int64_t avail_by;
	/* Optional with avail: rack_avail[rack index] is no later than the
	 * avail of any node of the rack, so a rack whose rack_avail is
	 * after avail_by is skipped without looking at its nodes. */
	const int64_t *rack_avail;
};

struct place_result {
	struct node **nodes; /* in rank order (topology order); caller frees */
	uint16_t *masks;     /* GPUs per node; caller frees */
	int n;
	int racks;	     /* racks and pods spanned */
	int pods;
	enum place_level level; /* the level it was placed at */
};

/*
 * Find a placement.  Returns 1 and fills out, or 0 when the job does not
 * fit.  Never changes the cluster.
 */
int place_find(const struct cluster *c, const struct place_req *req,
	       struct place_result *out);
void place_result_free(struct place_result *r);
/* Choose g GPUs out of free (mask), preferring one CPU socket. */
uint16_t place_pick_gpus(uint16_t free, unsigned gpus, unsigned total,
			 unsigned g);
/* Lower bound of racks for n whole nodes: ceil(n / nodes per rack). */
int place_min_racks(uint32_t nodes, int rack_size);

#endif
