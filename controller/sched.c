/*
 * Scheduling pass.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/gang.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/sched.h"

struct sched_placed {
	uint64_t job_id;
	uint32_t epoch;
};

struct sched_batch {
	struct ctl *ctl;
	struct sched_placed *placed;
	int n;
};

static int sched_job_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;

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
	free(b->placed);
	free(b);
	/* After a failure the periodic timer retries, not a tight loop. */
	if (r->ok)
		ctl_sched_soon(ctl);
}

static bool sched_eligible(const struct job *job, int64_t now)
{
	return job->state == JOB_PENDING && !job->cancel_pending &&
	       !job->alloc && job->eligible_mono_ms <= now;
}

void sched_pass(struct ctl *ctl)
{
	int64_t t0 = util_now_mono_us(), now = util_now_mono_ms();
	struct job **pending = NULL;
	size_t npending = 0, cap = 0, pos = 0;
	struct job *job;
	struct pgq_txn *t;
	struct sched_batch *b;
	struct err e;

	if (!ctl->active || !ctl->db_up)
		return;
	while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
		if (!sched_eligible(job, now))
			continue;
		if (npending == cap) {
			cap = cap ? cap * 2 : 256;
			pending = xreallocarray(pending, cap, sizeof(*pending));
		}
		pending[npending++] = job;
	}
	ctl->stats.sched_passes++;
	if (!npending) {
		free(pending);
		return;
	}
	qsort(pending, npending, sizeof(*pending), sched_job_cmp);
	t = pgq_txn_begin(ctl->db);
	b = xcalloc(1, sizeof(*b));
	b->ctl = ctl;
	b->placed = xcalloc(npending, sizeof(*b->placed));
	for (size_t i = 0; i < npending; i++) {
		struct place_req req;
		struct place_result res;
		struct alloc *a;

		job = pending[i];
		memset(&req, 0, sizeof(req));
		req.nodes = job->nodes;
		req.gpus_per_node = job->gpus_per_node;
		req.gpu_model = job->gpu_model;
		req.exclude = job->exclude;
		req.nexclude = job->nexclude;
		if (!place_find(ctl->cluster, &req, &res)) {
			job_set_reason(job, "waiting for resources");
			continue;
		}
		a = alloc_create(ctl, job, job->epoch + 1, res.nodes, res.masks,
				 res.n);
		place_result_free(&res);
		job->alloc = a;
		job->epoch = a->epoch;
		free(job->nodelist);
		job->nodelist = alloc_nodelist(a);
		job->start_time = util_now_wall_s();
		job_set_state_txn(ctl, job, JOB_STARTING, "", t);
		sched_add_alloc_row(t, a);
		b->placed[b->n].job_id = job->id;
		b->placed[b->n].epoch = a->epoch;
		b->n++;
		ctl->stats.placements++;
	}
	free(pending);
	if (b->n == 0) {
		pgq_txn_abort(t);
		free(b->placed);
		free(b);
	} else if (pgq_txn_commit(t, sched_commit_done, b, &e) < 0) {
		struct pgq_result r = { .ok = false, .error = e.msg };

		sched_commit_done(&r, b);
	}
	ctl->stats.sched_last_us = (uint64_t)(util_now_mono_us() - t0);
	if (ctl->stats.sched_last_us > ctl->stats.sched_max_us)
		ctl->stats.sched_max_us = ctl->stats.sched_last_us;
}
