/*
 * The scheduling pass: which pending jobs may run (holds, dependencies,
 * array limits, requeue backoff), in what order (multifactor priority),
 * then the planner's decisions (plan.c), committed in transactions of
 * whole jobs before any of their launch orders goes out (DESIGN
 * invariants 1 and 4).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/fairshare.h"
#include "controller/gang.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/powerctl.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/sched.h"

struct sched_placed {
	uint64_t job_id;
	uint32_t epoch;
};

struct sched_batch {
	struct ctl *ctl;
	struct pgq_txn *txn;
	int64_t commit_us; /* when the commit was sent */
	struct sched_placed *placed;
	int n, cap;
};

/*
 * The pass's planner hooks: the batch being filled.  A pass commits its
 * placements in transactions of at most [scheduler] place_batch_max
 * jobs (256).  Each job's state and allocation rows are in one
 * transaction, and no launch order goes out before that transaction
 * committed (invariant 1); jobs have nothing to commit together, so
 * when a pass places thousands of them (a released backlog), the first
 * ones launch while PostgreSQL still commits the rest instead of
 * waiting for one transaction of tens of thousands of statements.
 */
struct sched_pass_ctx {
	struct ctl *ctl;
	struct sched_batch *b;
};

/*
 * The pending queue is sorted on copies of the keys: comparing through
 * the job pointers made every comparison two cache misses, and with
 * tens of thousands of pending jobs the sort was half of a pass
 * (bench/submit-throughput.sh, perf).
 */
struct sched_key {
	double priority;
	uint64_t id;
	struct job *job;
};

static int sched_key_cmp(const void *a, const void *b)
{
	const struct sched_key *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* "{1,2,3}": an int[] literal for a text parameter. */
static char *sched_int_array(const int *v, int n)
{
	size_t cap = (size_t)n * 12 + 3, used = 0;
	char *s = xmalloc(cap);

	s[used++] = '{';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%d",
					 i ? "," : "", v[i]);
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

static void sched_add_alloc_row(struct pgq_txn *t, const struct alloc *a)
{
	int *ids = xcalloc((size_t)a->nparts, sizeof(int));
	int *masks = xcalloc((size_t)a->nparts, sizeof(int));
	char job[24], epoch[16], rpn[16];
	const char *vals[5];
	char *ids_s, *masks_s;

	for (int i = 0; i < a->nparts; i++) {
		ids[i] = a->parts[i].node->id;
		masks[i] = a->parts[i].gpu_mask;
	}
	ids_s = sched_int_array(ids, a->nparts);
	masks_s = sched_int_array(masks, a->nparts);
	snprintf(job, sizeof(job), "%" PRIu64, a->job_id);
	snprintf(epoch, sizeof(epoch), "%u", a->epoch);
	snprintf(rpn, sizeof(rpn), "%u", a->ranks_per_node);
	vals[0] = job;
	vals[1] = epoch;
	vals[2] = ids_s;
	vals[3] = masks_s;
	vals[4] = rpn;
	pgq_txn_add(t,
		    "INSERT INTO allocations (job_id, epoch, node_ids, "
		    "gpu_masks, ranks_per_node) VALUES ($1, $2, $3, $4, $5)",
		    5, vals);
	free(ids);
	free(masks);
	free(ids_s);
	free(masks_s);
}

static void sched_commit_done(const struct pgq_result *r, void *arg)
{
	struct sched_batch *b = arg;
	struct ctl *ctl = b->ctl;

	for (int i = 0; i < b->n; i++) {
		struct alloc *a = alloc_find(ctl, b->placed[i].job_id,
					     b->placed[i].epoch);
		struct job *job = job_table_get(ctl->jobs, b->placed[i].job_id);

		if (!a)
			continue; /* cancelled meanwhile; its parts are free */
		if (r->ok) {
			a->committed = true;
			if (job && job->alloc == a && job->state == JOB_STARTING)
				gang_launch(ctl, a);
			else
				gang_stop(ctl, a, "job left starting state");
			continue;
		}
		/* Nothing was recorded: undo the placement in memory. */
		alloc_discard(a);
		if (job && job->state == JOB_STARTING) {
			job->state = JOB_PENDING;
			job->epoch--;
			job_set_reason(job, "waiting for the database");
		}
	}
	if (!r->ok)
		log_warn("sched: %d placements not committed: %s", b->n,
			 r->error);
	else
		log_sub(LOG_SUB_SCHED, "pass: %d placements committed in "
			"%.1f ms (their launches sent)", b->n,
			(double)(util_now_mono_us() - b->commit_us) / 1000.0);
	free(b->placed);
	free(b);
	/* After a failure the periodic timer retries, not a tight loop. */
	if (r->ok)
		ctl_sched_soon(ctl);
}

static struct sched_batch *sched_batch_new(struct ctl *ctl)
{
	struct sched_batch *b = xcalloc(1, sizeof(*b));

	b->ctl = ctl;
	b->txn = pgq_txn_begin(ctl->db);
	return b;
}

/* Commit the batch (its launches follow in sched_commit_done), or drop
 * it when it placed nothing.  Frees it either way. */
static void sched_batch_finish(struct sched_batch *b)
{
	struct err e;

	if (b->n == 0) {
		pgq_txn_abort(b->txn);
		free(b->placed);
		free(b);
		return;
	}
	log_sub(LOG_SUB_SCHED, "pass: committing %d placements", b->n);
	b->commit_us = util_now_mono_us();
	if (pgq_txn_commit(b->txn, sched_commit_done, b, &e) < 0) {
		struct pgq_result r = { .ok = false, .error = e.msg };

		sched_commit_done(&r, b);
	}
}

/* Planner hook: reserve the GPUs now, record the decision in the batch. */
static int sched_start(void *arg, struct job *job,
		       const struct place_result *res)
{
	struct sched_pass_ctx *px = arg;
	struct sched_batch *b;
	struct ctl *ctl = px->ctl;
	struct alloc *a;

	if (px->b->n >= (int)ctl->cfg.place_batch_max) {
		sched_batch_finish(px->b);
		px->b = sched_batch_new(ctl);
	}
	b = px->b;
	a = alloc_create(ctl, job, job->epoch + 1, res->nodes, res->masks,
			 res->n);
	job->alloc = a;
	job->epoch = a->epoch;
	powerctl_started(ctl, res);
	job->start_time = util_now_wall_s();
	job->expected_start = 0;
	free(job->nodelist);
	job->nodelist = alloc_nodelist(a);
	job_set_state_txn(ctl, job, JOB_STARTING, "", b->txn);
	sched_add_alloc_row(b->txn, a);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->placed = xreallocarray(b->placed, (size_t)b->cap,
					  sizeof(*b->placed));
	}
	b->placed[b->n].job_id = job->id;
	b->placed[b->n].epoch = a->epoch;
	b->n++;
	ctl->stats.placements++;
	log_sub(LOG_SUB_SCHED, "job=%" PRIu64 " placed on %d nodes (%d racks, "
		"%d pods)", job->id, res->n, res->racks, res->pods);
	return 0;
}

/* Planner hook: make room for a higher-QOS job. */
static void sched_preempt(void *arg, struct job *victim, struct job *by)
{
	struct sched_pass_ctx *px = arg;
	struct ctl *ctl = px->ctl;
	const struct qos *q = qos_find(ctl->qos, victim->qos);
	char why[160];

	snprintf(why, sizeof(why), "preempted by job %" PRIu64 " (qos %s)",
		 by->id, by->qos);
	log_info("job=%" PRIu64 " %s", victim->id, why);
	ctl_event(ctl, "job_preempted", "info", "scheduler", victim->id, 0, 0,
		  why);
	ctl->stats.preemptions++;
	gang_preempt(ctl, victim, why, q ? q->grace_sec : 60,
		     q && q->preempt_cancel);
}

/* ---- eligibility -------------------------------------------------------- */

/* Final state of a job by id: in memory, or remembered after it left. */
static int sched_dep_state(struct ctl *ctl, uint64_t id)
{
	const struct job *dep = job_table_get(ctl->jobs, id);
	void *v;

	if (dep)
		return (int)dep->state;
	v = hmap_get(ctl->finished_states, id);
	return v ? (int)(uintptr_t)v : -1; /* -1: unknown (long gone) */
}

/*
 * 1: dependencies met; 0: not yet; -1: they can never be met.
 */
static int sched_deps_met(struct ctl *ctl, const struct job *job)
{
	for (int i = 0; i < job->nafter; i++) {
		int st = sched_dep_state(ctl, job->after[i]);

		if (st >= 0 && !job_state_final((enum job_state)st))
			return 0;
	}
	for (int i = 0; i < job->nafter_ok; i++) {
		int st = sched_dep_state(ctl, job->after_ok[i]);

		if (st >= 0 && !job_state_final((enum job_state)st))
			return 0;
		if (st >= 0 && st != JOB_COMPLETED)
			return -1;
	}
	for (int i = 0; i < job->nafter_not_ok; i++) {
		int st = sched_dep_state(ctl, job->after_not_ok[i]);

		if (st >= 0 && !job_state_final((enum job_state)st))
			return 0;
		if (st == JOB_COMPLETED)
			return -1;
	}
	return 1;
}

static void sched_priority(struct ctl *ctl, struct job *job, int64_t now,
			   double cluster_gpus, int qos_max)
{
	const struct ctl_config *cfg = &ctl->cfg;
	const struct qos *q = qos_find(ctl->qos, job->qos);
	struct prio_factors *f = &job->factors;
	double age = (double)(now - job->submit_time);
	double max_age = cfg->prio_max_age_sec ? (double)cfg->prio_max_age_sec
					       : 7 * 86400.0;

	if (age < 0)
		age = 0;
	f->age = (double)cfg->prio_weight_age * fmin(1.0, age / max_age);
	f->size = (double)cfg->prio_weight_size *
		  fmin(1.0, (double)(job->nodes * job->gpus_per_node) /
				    (cluster_gpus > 0 ? cluster_gpus : 1));
	f->fairshare = (double)cfg->prio_weight_fairshare *
		       fairshare_factor(ctl->fairshare,
					*job->account ? job->account
						      : job->user);
	f->qos = (double)cfg->prio_weight_qos *
		 (q ? (double)q->priority / (double)qos_max : 0);
	f->boost = job->boost;
	f->nice = job->nice;
	job->priority = f->age + f->size + f->fairshare + f->qos + f->boost -
			f->nice;
}

/* Running (or starting) tasks per array, for %N limits. */
static struct hmap *sched_array_counts(struct ctl *ctl)
{
	struct hmap *m = hmap_create();
	size_t pos = 0;
	struct job *job;

	while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
		uintptr_t n;

		if (!job->array_job_id || !job->alloc)
			continue;
		n = (uintptr_t)hmap_get(m, job->array_job_id);
		hmap_put(m, job->array_job_id, (void *)(n + 1));
	}
	return m;
}

static bool sched_eligible(struct ctl *ctl, struct job *job, int64_t now_mono,
			   struct hmap *arrays)
{
	int deps;

	if (job->state == JOB_HELD) {
		job->queue_pos = 0;
		return false;
	}
	if (job->state != JOB_PENDING || job->cancel_pending || job->alloc)
		return false;
	job->queue_pos = 0;
	job->expected_start = 0;
	if (job->eligible_mono_ms > now_mono) {
		job_set_reason(job, "waiting before restarting (backoff)");
		return false;
	}
	deps = sched_deps_met(ctl, job);
	if (deps == 0) {
		job_set_reason(job, "waiting for dependencies");
		return false;
	}
	if (deps < 0) {
		job_set_reason(job, "dependency can never be satisfied");
		return false;
	}
	if (job->array_job_id && job->array_limit &&
	    (uintptr_t)hmap_get(arrays, job->array_job_id) >=
		    job->array_limit) {
		job_set_reason(job, "waiting for array tasks to finish (%N "
				    "limit)");
		return false;
	}
	if (*job->reservation && !resv_find(ctl->resv, job->reservation)) {
		job_set_reason(job, "its reservation no longer exists");
		return false;
	}
	/* This pass may start it: count it against its array's %N now, so
	 * one pass cannot start more tasks than the limit allows. */
	if (job->array_job_id && job->array_limit)
		hmap_put(arrays, job->array_job_id,
			 (void *)((uintptr_t)hmap_get(arrays,
						      job->array_job_id) +
				  1));
	return true;
}

/* ---- the pass --------------------------------------------------------------- */

/* Append job to the keys being collected. */
static void sched_key_add(struct sched_key **keys, size_t *n, size_t *cap,
			  struct job *job)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*keys = xreallocarray(*keys, *cap, sizeof(**keys));
	}
	(*keys)[*n].priority = job->priority;
	(*keys)[*n].id = job->id;
	(*keys)[(*n)++].job = job;
}

/* Would a pass over the new jobs alone miss something for one of them?
 * Array tasks with a %N limit need every task's count (a full pass). */
static bool sched_new_needs_full(struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->sched_nfresh; i++) {
		const struct job *job =
			job_table_get(ctl->jobs, ctl->sched_fresh[i]);

		if (job && job->array_job_id && job->array_limit)
			return true;
	}
	return false;
}

/*
 * One pass.  A full pass orders every pending job and places, reserves
 * and preempts for them.  A pass over the new jobs only (those committed
 * since the last full pass, when nothing else changed) places them, in
 * priority order, around the blocks the last full pass left: admin
 * reservations, the top jobs' reserved nodes, preemption claims.  So a
 * new job starts at once if it fits where it delays no reserved job, as
 * backfill would let it; one that does not fit waits for the next full
 * pass (at most [scheduler] interval away) for its reservation, its
 * queue position and any preemption.  Under a stream of submissions this
 * keeps the full pass over a long queue (~100 ms at 76,000 pending jobs)
 * off the path of every batch of new jobs.
 */
static void sched_run_pass(struct ctl *ctl, bool full)
{
	int64_t t0 = util_now_mono_us(), now_mono = util_now_mono_ms();
	int64_t now = util_now_wall_s();
	struct sched_key *keys = NULL;
	struct job **pending;
	size_t npending = 0, cap = 0, pos = 0;
	double cluster_gpus = 0;
	struct plan_cfg pcfg;
	struct plan_hooks hooks;
	struct plan_stats st;
	struct sched_pass_ctx px;
	struct hmap *arrays;
	struct job *job;
	int qos_max;

	if (!ctl->active || !ctl->db_up)
		return;
	if (!full && sched_new_needs_full(ctl))
		full = true;
	ctl->last_pass_mono_ms = now_mono;
	if (full) {
		ctl->last_full_pass_mono_ms = now_mono;
		ctl->sched_full_wanted = false;
		if (resv_expire(ctl->resv, now))
			log_info("sched: expired reservations dropped");
	}
	for (int i = 0; i < cluster_nnodes(ctl->cluster); i++)
		cluster_gpus += cluster_node_at(ctl->cluster, i)->gpus;
	qos_max = qos_max_priority(ctl->qos);
	arrays = full ? sched_array_counts(ctl) : hmap_create();
	if (full) {
		while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
			if (!sched_eligible(ctl, job, now_mono, arrays))
				continue;
			sched_priority(ctl, job, now, cluster_gpus, qos_max);
			sched_key_add(&keys, &npending, &cap, job);
		}
	} else {
		for (size_t i = 0; i < ctl->sched_nfresh; i++) {
			job = job_table_get(ctl->jobs, ctl->sched_fresh[i]);
			if (!job || !sched_eligible(ctl, job, now_mono, arrays))
				continue;
			sched_priority(ctl, job, now, cluster_gpus, qos_max);
			sched_key_add(&keys, &npending, &cap, job);
		}
	}
	/* A full pass covers the new jobs too. */
	ctl->sched_nfresh = 0;
	hmap_destroy(arrays);
	ctl->stats.sched_passes++;
	if (full)
		ctl->stats.pending_last = (uint32_t)npending;
	else
		ctl->stats.sched_new_passes++;
	/* A full pass with nothing pending still runs the planner: it
	 * lays the reservations' blocks on the nodes, which the next pass
	 * over new jobs places them around. */
	if (!npending && !full) {
		free(keys);
		return;
	}
	if (npending) /* keys is NULL when nothing is pending */
		qsort(keys, npending, sizeof(*keys), sched_key_cmp);
	pending = xcalloc(npending, sizeof(*pending));
	for (size_t i = 0; i < npending; i++)
		pending[i] = keys[i].job;
	free(keys);
	px.ctl = ctl;
	px.b = sched_batch_new(ctl);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.bf_depth = full ? (int)ctl->cfg.bf_depth : 0;
	pcfg.bf_horizon_sec = (int64_t)ctl->cfg.bf_horizon_sec;
	pcfg.claim_sec = 300;
	pcfg.drain_after_sec = (int64_t)ctl->cfg.bf_drain_after_sec;
	pcfg.new_jobs_only = !full;
	pcfg.reserved_before = !full && ctl->sched_full_reserved > 0;
	powerctl_begin_pass(ctl, &pcfg);
	hooks.start = sched_start;
	hooks.preempt = full ? sched_preempt : NULL;
	hooks.arg = &px;
	plan_run(ctl->cluster, ctl->qos, ctl->resv, pending, npending, now,
		 now_mono, &pcfg, &hooks, &st);
	free(pending);
	ctl->stats.backfilled += (uint64_t)st.backfilled;
	sched_batch_finish(px.b);
	ctl->stats.sched_last_us = (uint64_t)(util_now_mono_us() - t0);
	if (ctl->stats.sched_last_us > ctl->stats.sched_max_us)
		ctl->stats.sched_max_us = ctl->stats.sched_last_us;
	if (full) {
		ctl->sched_full_reserved = st.reserved;
		ctl->sched_full_last_us = ctl->stats.sched_last_us;
	}
	log_sub(LOG_SUB_SCHED, "%s pass: %zu pending, %d started (%d "
		"backfilled), %d reserved, %d preempted, %.1f ms",
		full ? "full" : "new-jobs", npending, st.started,
		st.backfilled, st.reserved, st.preemptions,
		(double)ctl->stats.sched_last_us / 1000.0);
}

void sched_pass(struct ctl *ctl)
{
	sched_run_pass(ctl, true);
}

void sched_pass_new(struct ctl *ctl)
{
	sched_run_pass(ctl, false);
}
