/*
 * The planner: one scheduling pass's decisions, given the cluster and the
 * eligible pending jobs in priority order.  It starts what fits, gives the
 * highest-priority blocked jobs a reservation of the nodes they will get
 * (so lower-priority jobs backfill only where they end in time), and
 * preempts lower-QOS jobs for jobs whose QOS allows it.
 *
 * Pure: the effects go through hooks (the controller reserves GPUs and
 * commits; tests record), so every rule is unit tested without a
 * database.
 */
#ifndef CONTROLLER_PLAN_H
#define CONTROLLER_PLAN_H

#include <stddef.h>
#include <stdint.h>

struct cluster;
struct hall;
struct job;
struct rack;
struct qos_table;
struct resv_table;
struct place_result;

struct plan_hooks {
	/* Start job on res now (reserve its GPUs).  0, or -1 to skip it. */
	int (*start)(void *arg, struct job *job, const struct place_result *res);
	/* Stop victim to make room for job (requeue or cancel per its QOS). */
	void (*preempt)(void *arg, struct job *victim, struct job *by);
	void *arg;
};

/* The power budget's answer about one placement (powerctl.c). */
struct plan_power_verdict {
	char why[200];		/* "waiting for power: ..." */
	/* A placement elsewhere could fit: keep the job off this rack or
	 * hall and try again.  NULL: no placement can (the site). */
	const struct rack *avoid_rack;
	const struct hall *avoid_hall;
};

struct plan_power_hook {
	/* May job start on res now?  0, or -1 with v filled. */
	int (*check)(void *arg, const struct job *job,
		     const struct place_result *res,
		     struct plan_power_verdict *v);
	/* The job found no placement within the budgets this pass. */
	void (*blocked)(void *arg, const struct job *job);
	void *arg;
};

struct plan_cfg {
	int bf_depth;	       /* blocked jobs that get a reservation */
	int64_t bf_horizon_sec; /* backfill looks this far ahead */
	int64_t claim_sec;     /* how long preempted nodes are held */
	/* A blocked job that has waited this long (0: never) drains the
	 * nodes it is reserved: nothing backfills there any more. */
	int64_t drain_after_sec;
	/* Power budgets; NULL: none.  A job whose placement would exceed
	 * a rack, hall or site limit tries a placement avoiding the rack
	 * or hall a few times, then waits with the budget's reason. */
	const struct plan_power_hook *power;
	/* The jobs are only new ones, to be placed around the blocks the
	 * last full pass left on the nodes (reservations, reserved nodes
	 * of blocked jobs, preemption claims): blocks are neither reset
	 * nor added, queue positions are left alone, and a job that does
	 * not start keeps its reason.  reserved_before: that pass reserved
	 * nodes for someone (a start then counts as backfilled). */
	bool new_jobs_only;
	bool reserved_before;
};

struct plan_stats {
	int considered;
	int started;
	int backfilled; /* started while a higher-priority job waited */
	int reserved;	/* blocked jobs given a reservation */
	int preemptions;
	int skipped;	/* shapes known not to fit this pass */
};

/*
 * Plan one pass.  jobs are eligible pending jobs in priority order; now
 * is wall-clock seconds, now_mono monotonic milliseconds.  Sets each
 * job's reason, queue_pos and expected_start.
 */
void plan_run(struct cluster *c, const struct qos_table *qos,
	      const struct resv_table *resv, struct job **jobs, size_t n,
	      int64_t now, int64_t now_mono, const struct plan_cfg *cfg,
	      const struct plan_hooks *hooks, struct plan_stats *st);

/* When the job's allocation is expected to end (INT64_MAX: no limit). */
int64_t plan_job_end(const struct job *job);

#endif
