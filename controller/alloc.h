/*
 * Allocations: one incarnation (epoch) of a job on a set of nodes.
 *
 * An allocation outlives the job's interest in it: when a job is
 * requeued or ends, its allocation keeps holding each node's GPUs until
 * that node confirms that nothing of this incarnation is left (ranks
 * exited, or a kill confirmed), or the node is declared down.  That is
 * what makes a second incarnation on the same GPUs impossible (DESIGN
 * invariant 3).
 */
#ifndef CONTROLLER_ALLOC_H
#define CONTROLLER_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

struct ctl;
struct job;
struct node;

enum part_state {
	PART_NEW = 0,	   /* reserved in memory, not yet committed     */
	PART_LAUNCHING,	   /* LaunchJob sent                            */
	PART_PREPARED,	   /* agent prepared its ranks                  */
	PART_STARTING,	   /* StartJob sent                             */
	PART_RUNNING,	   /* agent confirmed the start                 */
	PART_RELEASED,	   /* nothing left on the node; GPUs freed      */
};

struct alloc_part {
	struct node *node;
	uint16_t gpu_mask;
	uint8_t state;	      /* enum part_state */
	bool kill_sent;
	bool exits_done;      /* every local rank reported an exit      */
	uint16_t ranks_exited;
	int64_t kill_sent_ms;
};

enum alloc_end {
	ALLOC_LIVE = 0,
	ALLOC_ENDING, /* decision made: stop everything, free as confirmed */
};

struct alloc {
	uint64_t job_id;
	struct job *job;	/* NULL once the job moved on */
	uint32_t epoch;
	uint32_t ranks_per_node;
	int nparts;
	struct alloc_part *parts;
	int parts_prepared;
	int parts_running;
	int parts_released;
	int parts_exited;
	bool committed;
	enum alloc_end end;
	char *end_reason;
	uint32_t master_port;
	int64_t created_mono_ms;
	uint32_t kill_grace_sec; /* 0 = the configured kill_grace */
	/* Stopping in power waves: kills go out from powerctl.c, not from
	 * gang_stop or heartbeat reconciliation. */
	bool kill_held;
	struct event *timer; /* prepare timeout, kill retries */
	struct ctl *ctl;
	struct alloc *next, *prev; /* list of every allocation */
};

/* Reserve nodes[i] x masks[i] for job; GPUs are marked used at once. */
struct alloc *alloc_create(struct ctl *ctl, struct job *job, uint32_t epoch,
			   struct node *const *nodes, const uint16_t *masks,
			   int n);
/* Find the live or ending allocation of (job id, epoch). */
struct alloc *alloc_find(struct ctl *ctl, uint64_t job_id, uint32_t epoch);
/* Index of node in a's parts, or -1. */
int alloc_part_index(const struct alloc *a, const struct node *n);
/*
 * Free the node's GPUs for part i.  When the last part is released the
 * allocation is closed in the database and freed.
 */
void alloc_release_part(struct alloc *a, int i);
/* Release every part at once (the allocation never committed). */
void alloc_discard(struct alloc *a);
/* Hostlist expression of the allocation's nodes (heap). */
char *alloc_nodelist(const struct alloc *a);
void alloc_set_end_reason(struct alloc *a, const char *reason);
/* Free everything (shutdown). */
void alloc_destroy_all(struct ctl *ctl);

#endif
