/*
 * The planner.  See plan.h.
 *
 * Backfill works on node availability times: avail[node] is when the
 * node will be entirely free, from the time limits of what runs there.
 * For a blocked job the earliest start T is found by a binary search over
 * those times (each probe is a placement restricted to nodes free by T);
 * the nodes it would get are then blocked from T for everyone else, so a
 * later job may use them only if it ends by T.  The job that holds the
 * block (its owner) is not restricted by it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/qos.h"
#include "controller/resv.h"

#define PLAN_INF INT64_MAX
/* Distinct job shapes remembered per pass: one-node jobs alone come in
 * 8 GPU counts x time limits x models, and a full list means jobs are
 * placed again (bench/placebench: 1.5-4x slower passes with 64). */
#define PLAN_SHAPES 1024
#define PLAN_PREEMPT_QOS 8

/* A job shape that did not fit: a job at least as big, ending no
 * earlier, with the same constraints, cannot fit either this pass. */
struct plan_shape {
	uint32_t nodes, gpus, segment;
	int within;
	const char *model;
	int64_t end;
};

/*
 * What preemption could free for jobs of one QOS, kept for the pass:
 * which nodes are free or held only by its possible victims, and the
 * shapes that found no room even so.  Capacity only shrinks during a
 * pass (starts take nodes, preemptions claim them), so a failed shape
 * stays failed; a start takes its nodes off the list, and so does a
 * preemption, with every node of its victims (rebuilding the list
 * after each preemption instead cost a fifth of a phase-2 pass with 76
 * preemptions, bench/placebench).  Without this every pending
 * job that did not fit scanned every node for victims: a queue of
 * thousands of jobs on the full cluster cost seconds per pass
 * (bench/submit-throughput.sh).
 */
struct plan_preempt_cache {
	const struct qos *by;
	int64_t *avail; /* now: usable with victims gone; PLAN_INF: not */
	int usable;	/* nodes with avail == now */
	struct plan_shape bad[PLAN_SHAPES];
	int nbad;
};

struct planner {
	struct cluster *c;
	const struct qos_table *qos;
	const struct resv_table *resv;
	const struct plan_cfg *cfg;
	const struct plan_hooks *hooks;
	struct plan_stats *st;
	int64_t now, now_mono;
	int64_t *avail; /* lazily computed */
	int64_t *rack_avail; /* per rack, the earliest avail of its nodes */
	/* The distinct avail[] values from now to the backfill horizon,
	 * sorted (times[0] = now): the start times a blocked job can have.
	 * Built with avail and kept for the pass (each start adds its end),
	 * rather than collected and sorted again for every blocked job:
	 * that sort of 25,088 times was a sixth of a phase-2 pass. */
	int64_t *times;
	size_t ntimes, times_cap;
	struct plan_shape shapes[PLAN_SHAPES];
	int nshapes;
	/*
	 * Shapes with no start within the backfill horizon either: a job
	 * at least as big cannot get one later in the pass (blocks only
	 * grow), so it skips plan_earliest, whose cost is a scan of every
	 * node: without this a pass over a queue that does not fit cost
	 * O(pending jobs x nodes) (bench/submit-throughput.sh).
	 */
	struct plan_shape late[PLAN_SHAPES];
	int nlate;
	bool someone_reserved;
	struct plan_preempt_cache pre[PLAN_PREEMPT_QOS];
	int npre;
};

int64_t plan_job_end(const struct job *job)
{
	if (!job->time_limit_sec || !job->start_time)
		return PLAN_INF;
	return job->start_time + (int64_t)job->time_limit_sec;
}

static void plan_block(struct node *n, int64_t from, int64_t owner)
{
	if (n->block_from == PLAN_INF)
		n->rack->nblocked++;
	if (from < n->block_from) {
		n->block_from = from;
		n->block_owner = owner;
	}
}

static void plan_reset_blocks(struct cluster *c)
{
	int count = cluster_nnodes(c);

	for (int i = 0; i < cluster_nracks(c); i++)
		cluster_rack_at(c, i)->nblocked = 0;
	for (int i = 0; i < count; i++) {
		struct node *n = cluster_node_at(c, i);

		n->block_from = PLAN_INF;
		n->block_owner = 0;
	}
}

static void plan_apply_reservations(struct planner *p)
{
	for (int i = 0; i < resv_count(p->resv); i++) {
		const struct resv *r = resv_at(p->resv, i);

		for (int k = 0; k < r->nnodes; k++) {
			struct node *n = cluster_node_by_id(p->c,
							    r->node_ids[k]);

			if (n)
				plan_block(n, r->start, -(int64_t)r->id);
		}
	}
}

/* Nodes preempted for a job stay held for it until it starts. */
static void plan_apply_claims(struct planner *p, struct job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct job *job = jobs[i];

		if (!job->nclaim)
			continue;
		if (job->claim_until_mono_ms < p->now_mono) {
			free(job->claim);
			job->claim = NULL;
			job->nclaim = 0;
			continue;
		}
		for (int k = 0; k < job->nclaim; k++) {
			struct node *node = cluster_node_by_id(p->c,
							       job->claim[k]);

			if (node)
				plan_block(node, 0, (int64_t)job->id);
		}
	}
}

static int64_t plan_node_avail(const struct planner *p, const struct node *n)
{
	int64_t t = p->now;

	if (!node_schedulable(n))
		return PLAN_INF;
	for (int i = 0; i < n->nuses; i++) {
		const struct alloc *a = n->uses[i].alloc;
		int64_t end = a->job ? plan_job_end(a->job)
				     : p->now + 60; /* being stopped */

		if (end > t)
			t = end;
	}
	return t;
}

static int64_t plan_horizon(const struct planner *p)
{
	return p->now + p->cfg->bf_horizon_sec;
}

/* Add t to the sorted time list, if it is a new time within the
 * horizon. */
static void plan_add_time(struct planner *p, int64_t t)
{
	size_t lo = 0, hi = p->ntimes;

	if (t <= p->now || t > plan_horizon(p))
		return;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->times[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->ntimes && p->times[lo] == t)
		return;
	if (p->ntimes == p->times_cap) {
		p->times_cap = p->times_cap ? p->times_cap * 2 : 64;
		p->times = xreallocarray(p->times, p->times_cap,
					 sizeof(*p->times));
	}
	memmove(&p->times[lo + 1], &p->times[lo],
		(p->ntimes - lo) * sizeof(*p->times));
	p->times[lo] = t;
	p->ntimes++;
}

static int plan_time_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void plan_compute_avail(struct planner *p)
{
	int count = cluster_nnodes(p->c);
	int64_t horizon = plan_horizon(p);
	size_t u = 0;

	if (p->avail)
		return;
	p->avail = xcalloc((size_t)count + 1, sizeof(int64_t));
	p->times_cap = (size_t)count + 1;
	p->times = xcalloc(p->times_cap, sizeof(int64_t));
	p->times[p->ntimes++] = p->now;
	for (int i = 0; i < count; i++) {
		p->avail[i] = plan_node_avail(p, cluster_node_at(p->c, i));
		if (p->avail[i] > p->now && p->avail[i] <= horizon)
			p->times[p->ntimes++] = p->avail[i];
	}
	/* Starts only make avail later, so the minimum stays a lower
	 * bound for the pass: probes skip racks busy past their time. */
	p->rack_avail = xcalloc((size_t)cluster_nracks(p->c) + 1,
				sizeof(int64_t));
	for (int i = 0; i < cluster_nracks(p->c); i++) {
		const struct rack *r = cluster_rack_at(p->c, i);

		p->rack_avail[i] = PLAN_INF;
		for (int k = 0; k < r->nnodes; k++)
			if (p->avail[r->nodes[k]->index] < p->rack_avail[i])
				p->rack_avail[i] = p->avail[r->nodes[k]->index];
	}
	qsort(p->times, p->ntimes, sizeof(*p->times), plan_time_cmp);
	for (size_t i = 0; i < p->ntimes; i++)
		if (u == 0 || p->times[i] != p->times[u - 1])
			p->times[u++] = p->times[i];
	p->ntimes = u;
}

static void plan_req(const struct planner *p, const struct job *job,
		     struct place_req *req)
{
	memset(req, 0, sizeof(*req));
	req->nodes = job->nodes;
	req->gpus_per_node = job->gpus_per_node;
	req->gpu_model = job->gpu_model;
	req->exclude = job->exclude;
	req->nexclude = job->nexclude;
	req->features = job->features;
	req->nfeatures = job->nfeatures;
	req->within = (enum place_level)job->within;
	/* --within pod@30m: after the wait, take the best placement. */
	if (job->within_wait_sec && job->submit_time &&
	    p->now - job->submit_time > (int64_t)job->within_wait_sec)
		req->within = PLACE_ANY;
	req->segment = job->segment;
	/* Replacement gangs may use hot spares; one-node jobs degraded
	 * nodes (HEALTH.md: degraded nodes stay out of large gangs). */
	req->allow_spares = job->restarts > 0;
	req->allow_degraded = job->nodes == 1;
	req->end_time = job->time_limit_sec
				? p->now + (int64_t)job->time_limit_sec
				: PLAN_INF;
	req->owner = job->nclaim ? (int64_t)job->id : 0;
	if (job->reservation && *job->reservation) {
		const struct resv *r = resv_find(p->resv, job->reservation);

		if (r) {
			req->owner = -(int64_t)r->id;
			req->only_owner = true;
		}
	}
}

/* Same GPU model constraint (NULL and "" are "any"); called for every
 * pending job and remembered shape, so the common "any" is decided
 * without a strcmp call. */
static bool plan_same_model(const char *a, const char *b)
{
	if (!a)
		a = "";
	return a[0] == b[0] && (a[0] == '\0' || !strcmp(a, b));
}

static bool plan_shape_in(const struct plan_shape *shapes, int n,
			  const struct place_req *req)
{
	if (req->nfeatures || req->nexclude || req->owner)
		return false;
	for (int i = 0; i < n; i++) {
		const struct plan_shape *s = &shapes[i];

		if (req->nodes >= s->nodes && req->gpus_per_node == s->gpus &&
		    req->segment == s->segment &&
		    (int)req->within == s->within && req->end_time >= s->end &&
		    plan_same_model(req->gpu_model, s->model))
			return true;
	}
	return false;
}

static bool plan_shape_known_bad(const struct planner *p,
				 const struct place_req *req)
{
	return plan_shape_in(p->shapes, p->nshapes, req);
}

static void plan_shape_add(struct plan_shape *shapes, int *n,
			   const struct place_req *req)
{
	struct plan_shape *s;

	if (req->nfeatures || req->nexclude || req->owner || *n == PLAN_SHAPES)
		return;
	s = &shapes[(*n)++];
	s->nodes = req->nodes;
	s->gpus = req->gpus_per_node;
	s->segment = req->segment;
	s->within = (int)req->within;
	s->model = req->gpu_model ? req->gpu_model : "";
	s->end = req->end_time;
}

static void plan_shape_failed(struct planner *p, const struct place_req *req)
{
	plan_shape_add(p->shapes, &p->nshapes, req);
}

/*
 * The earliest time the job could start, and where.  Returns 1 and
 * fills *at and res, or 0 if not within the horizon.
 */
static int plan_earliest(struct planner *p, const struct job *job,
			 const struct place_req *base, int64_t *at,
			 struct place_result *res)
{
	struct place_req req = *base;
	const int64_t *times;
	size_t lo, hi;
	int found = -1;

	plan_compute_avail(p);
	times = p->times;
	req.avail = p->avail;
	req.rack_avail = p->rack_avail;
	/* The smallest time at which it fits. */
	lo = 0;
	hi = p->ntimes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct place_result r;

		req.avail_by = times[mid];
		req.end_time = job->time_limit_sec
				       ? times[mid] + (int64_t)job->time_limit_sec
				       : PLAN_INF;
		if (place_find(p->c, &req, &r)) {
			place_result_free(&r);
			found = (int)mid;
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	if (found >= 0) {
		req.avail_by = times[found];
		req.end_time = job->time_limit_sec
				       ? times[found] +
						 (int64_t)job->time_limit_sec
				       : PLAN_INF;
		if (!place_find(p->c, &req, res))
			found = -1;
		else
			*at = times[found];
	}
	return found >= 0;
}

static bool plan_victim_ok(const struct planner *p, const struct qos *by,
			   const struct job *job)
{
	if (!job || job->preempted || job->state != JOB_RUNNING)
		return false;
	return qos_may_preempt(by, qos_find(p->qos, job->qos));
}

/* The preemption cache of QOS by, its node list current; NULL when
 * there are more QOS in one pass than slots (then nothing is cached). */
static struct plan_preempt_cache *plan_preempt_cache(struct planner *p,
						     const struct qos *by)
{
	struct plan_preempt_cache *pc = NULL;
	int count = cluster_nnodes(p->c);

	for (int i = 0; i < p->npre && !pc; i++)
		if (p->pre[i].by == by)
			pc = &p->pre[i];
	if (!pc) {
		if (p->npre == PLAN_PREEMPT_QOS)
			return NULL;
		pc = &p->pre[p->npre++];
		pc->by = by;
	}
	if (pc->avail)
		return pc;
	/* Nodes count as free if free now or held only by victims. */
	pc->avail = xcalloc((size_t)count + 1, sizeof(int64_t));
	pc->usable = 0;
	for (int i = 0; i < count; i++) {
		const struct node *n = cluster_node_at(p->c, i);
		bool all = node_schedulable(n) && n->gpu_fencing == 0;

		for (int u = 0; u < n->nuses && all; u++)
			all = plan_victim_ok(p, by, n->uses[u].alloc->job);
		pc->avail[i] = all ? p->now : PLAN_INF;
		pc->usable += all;
	}
	return pc;
}

/* Node n can no longer be freed by preemption, for any QOS. */
static void plan_preempt_drop(struct planner *p, const struct node *n)
{
	for (int i = 0; i < p->npre; i++) {
		struct plan_preempt_cache *pc = &p->pre[i];

		if (pc->avail && pc->avail[n->index] != PLAN_INF) {
			pc->avail[n->index] = PLAN_INF;
			pc->usable--;
		}
	}
}

/* A job started on res, or claimed it by preemption: its nodes are no
 * longer free for preemption. */
static void plan_preempt_taken(struct planner *p,
			       const struct place_result *res)
{
	for (int k = 0; k < res->n; k++)
		plan_preempt_drop(p, res->nodes[k]);
}

/*
 * Make room for job by preempting lower-QOS jobs.  Returns 1 if victims
 * were chosen (their nodes are claimed for the job).
 */
static int plan_preempt(struct planner *p, struct job *job,
			const struct place_req *base)
{
	const struct qos *by = qos_find(p->qos, job->qos);
	struct plan_preempt_cache *pc;
	struct place_req req = *base;
	struct place_result res;
	int victims = 0;

	if (!by || by->npreempt == 0 || !p->hooks->preempt)
		return 0;
	pc = plan_preempt_cache(p, by);
	if (!pc)
		return 0; /* more QOS levels than slots: rare, skip */
	if (plan_shape_in(pc->bad, pc->nbad, &req)) {
		p->st->skipped++;
		return 0;
	}
	req.avail = pc->avail;
	req.avail_by = p->now;
	if ((uint32_t)pc->usable < req.nodes || !place_find(p->c, &req, &res)) {
		plan_shape_add(pc->bad, &pc->nbad, &req);
		return 0;
	}
	/* Its nodes are claimed, and every node of a victim is on its way
	 * to this job or already free: none is free for another preemption
	 * (a victim is preempted once). */
	plan_preempt_taken(p, &res);
	free(job->claim);
	job->claim = xcalloc((size_t)res.n + 1, sizeof(int));
	job->nclaim = 0;
	for (int i = 0; i < res.n; i++) {
		struct node *n = res.nodes[i];

		job->claim[job->nclaim++] = n->id;
		plan_block(n, 0, (int64_t)job->id);
		for (int u = n->nuses - 1; u >= 0; u--) {
			struct job *v = n->uses[u].alloc->job;

			if (v && !v->preempted && v->state == JOB_RUNNING) {
				const struct alloc *va = n->uses[u].alloc;

				v->preempted = true;
				for (int k = 0; k < va->nparts; k++)
					plan_preempt_drop(p, va->parts[k].node);
				p->hooks->preempt(p->hooks->arg, v, job);
				victims++;
			}
		}
	}
	job->claim_until_mono_ms = p->now_mono + p->cfg->claim_sec * 1000;
	place_result_free(&res);
	p->st->preemptions += victims;
	return 1;
}

static void plan_set_avail(struct planner *p, const struct job *job,
			   const struct place_result *res)
{
	int64_t end = job->time_limit_sec
			      ? p->now + (int64_t)job->time_limit_sec
			      : PLAN_INF;

	if (!p->avail)
		return;
	for (int i = 0; i < res->n; i++)
		if (end > p->avail[res->nodes[i]->index])
			p->avail[res->nodes[i]->index] = end;
	/* The time a node stops being its earlier avail stays listed:
	 * probing a time when nothing changes costs a probe, not a
	 * wrong answer. */
	plan_add_time(p, end);
}

/* ---- power budgets ---------------------------------------------------- */

#define PLAN_POWER_TRIES 4

/* Nodes kept off a placement attempt (a rack or hall at its power
 * limit), with the blocks they had before. */
struct plan_avoid {
	struct node **nodes;
	int64_t *from, *owner;
	int n, cap;
};

static void plan_avoid_node(struct plan_avoid *av, struct node *n)
{
	if (n->block_from == INT64_MIN)
		return; /* kept off already */
	if (av->n == av->cap) {
		av->cap = av->cap ? av->cap * 2 : 64;
		av->nodes = xreallocarray(av->nodes, (size_t)av->cap,
					  sizeof(*av->nodes));
		av->from = xreallocarray(av->from, (size_t)av->cap,
					 sizeof(*av->from));
		av->owner = xreallocarray(av->owner, (size_t)av->cap,
					  sizeof(*av->owner));
	}
	av->nodes[av->n] = n;
	av->from[av->n] = n->block_from;
	av->owner[av->n] = n->block_owner;
	av->n++;
	if (n->block_from == PLAN_INF)
		n->rack->nblocked++;
	/* Blocked from the beginning of time for nobody: no job fits. */
	n->block_from = INT64_MIN;
	n->block_owner = 0;
}

static void plan_avoid_rack(struct plan_avoid *av, const struct rack *r)
{
	for (int k = 0; k < r->nnodes; k++)
		plan_avoid_node(av, r->nodes[k]);
}

static void plan_avoid_restore(struct plan_avoid *av)
{
	for (int i = av->n - 1; i >= 0; i--) {
		struct node *n = av->nodes[i];

		n->block_from = av->from[i];
		n->block_owner = av->owner[i];
		if (av->from[i] == PLAN_INF)
			n->rack->nblocked--;
	}
	free(av->nodes);
	free(av->from);
	free(av->owner);
	memset(av, 0, sizeof(*av));
}

/*
 * Check a placement against the power budgets.  When a rack or hall is
 * at its limit, try placements that avoid it.  Returns true with res
 * (perhaps another placement) to start, or false with res freed and the
 * job's reason set to the first placement's verdict.
 */
static bool plan_power_fit(struct planner *p, struct job *job,
			   const struct place_req *req,
			   struct place_result *res)
{
	const struct plan_power_hook *pw = p->cfg->power;
	struct plan_power_verdict v, first;
	struct plan_avoid av;
	bool ok = false;

	if (!pw || !pw->check)
		return true;
	memset(&av, 0, sizeof(av));
	memset(&first, 0, sizeof(first));
	for (int t = 0;; t++) {
		memset(&v, 0, sizeof(v));
		if (pw->check(pw->arg, job, res, &v) == 0) {
			ok = true;
			break;
		}
		if (t == 0)
			first = v;
		place_result_free(res);
		if (t + 1 == PLAN_POWER_TRIES || (!v.avoid_rack && !v.avoid_hall))
			break;
		if (v.avoid_hall) {
			for (int i = 0; i < v.avoid_hall->npods; i++)
				for (int k = 0; k < v.avoid_hall->pods[i]->nracks;
				     k++)
					plan_avoid_rack(
						&av, v.avoid_hall->pods[i]->racks[k]);
		} else {
			plan_avoid_rack(&av, v.avoid_rack);
		}
		if (!place_find(p->c, req, res))
			break;
	}
	plan_avoid_restore(&av);
	if (!ok) {
		job_set_reason(job, *first.why ? first.why
					       : "waiting for power");
		if (pw->blocked)
			pw->blocked(pw->arg, job);
	}
	return ok;
}

static void plan_reason_at(struct job *job, const char *what, int64_t at)
{
	char buf[160];
	struct tm tm;
	time_t t = (time_t)at;

	localtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%s; expected to start %04d-%02d-%02d "
		 "%02d:%02d",
		 what, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min);
	job_set_reason(job, buf);
}

/*
 * Should a blocked job's reserved nodes take no more backfill?  Its
 * start is computed from the time limits of what runs there, which are
 * generous: jobs end early, backfill refills the nodes with jobs that
 * end before the reserved start, and a near-whole-cluster gang only
 * starts at that start, long after the nodes could have been its
 * (bench/tracesim: an 11,696-node gang waited 52 h where FIFO took
 * 15 h).  After drain_after of waiting, its nodes drain instead, the
 * way a FIFO scheduler would: the job starts as soon as they are free,
 * at the price of the idle time meanwhile (off by default: on an
 * overloaded cluster the top job has nearly always waited that long,
 * and draining for it cost a sixth of the utilization in tracesim).
 */
static bool plan_drain(const struct planner *p, const struct job *job)
{
	/* Only the top blocked job: several draining at once would idle
	 * the cluster for jobs that cannot start before the first. */
	return p->cfg->drain_after_sec > 0 && p->st->reserved == 0 &&
	       job->submit_time > 0 &&
	       p->now - job->submit_time >= p->cfg->drain_after_sec;
}

static void plan_one(struct planner *p, struct job *job)
{
	struct place_req req;
	struct place_result res;
	int64_t at;

	p->st->considered++;
	job->expected_start = 0;
	plan_req(p, job, &req);
	if (job->reservation && *job->reservation && !req.only_owner) {
		job_set_reason(job, "waiting for its reservation");
		return;
	}
	if (plan_shape_known_bad(p, &req))
		p->st->skipped++;
	else if (place_find(p->c, &req, &res)) {
		if (!plan_power_fit(p, job, &req, &res))
			return;
		if (p->hooks->start(p->hooks->arg, job, &res) == 0) {
			plan_preempt_taken(p, &res);
			p->st->started++;
			if (p->someone_reserved)
				p->st->backfilled++;
			plan_set_avail(p, job, &res);
			free(job->claim);
			job->claim = NULL;
			job->nclaim = 0;
		}
		place_result_free(&res);
		return;
	}
	plan_shape_failed(p, &req);
	if (!job->nclaim && plan_preempt(p, job, &req)) {
		job_set_reason(job, "waiting for preempted jobs to stop");
		return;
	}
	if (job->nclaim) {
		job_set_reason(job, "waiting for preempted jobs to stop");
		return;
	}
	if (p->st->reserved < p->cfg->bf_depth &&
	    (req.allow_spares || !plan_shape_in(p->late, p->nlate, &req))) {
		if (plan_earliest(p, job, &req, &at, &res)) {
			int64_t from = plan_drain(p, job) ? p->now : at;

			for (int i = 0; i < res.n; i++)
				plan_block(res.nodes[i], from, (int64_t)job->id);
			place_result_free(&res);
			job->expected_start = at;
			p->st->reserved++;
			p->someone_reserved = true;
			plan_reason_at(job, "waiting for resources", at);
			return;
		}
		if (!req.allow_spares)
			plan_shape_add(p->late, &p->nlate, &req);
		job_set_reason(job, job->time_limit_sec || req.within
					    ? "waiting for resources (none "
					      "expected within the backfill "
					      "horizon)"
					    : "waiting for resources");
		return;
	}
	job_set_reason(job, p->someone_reserved
				    ? "waiting for higher-priority jobs"
				    : "waiting for resources");
}

/* A new job, between full passes: it starts if it fits now; if not, it
 * keeps the reason it had ("waiting for a scheduling pass") until a full
 * pass gives it a queue position, an expected start and a reason that
 * goes with them. */
static void plan_new_one(struct planner *p, struct job *job)
{
	char *before = xstrdup(job->reason);
	int started = p->st->started;

	plan_one(p, job);
	if (p->st->started == started)
		job_set_reason(job, before);
	free(before);
}

void plan_run(struct cluster *c, const struct qos_table *qos,
	      const struct resv_table *resv, struct job **jobs, size_t n,
	      int64_t now, int64_t now_mono, const struct plan_cfg *cfg,
	      const struct plan_hooks *hooks, struct plan_stats *st)
{
	/* On the heap: the shape lists make it a few hundred KiB. */
	struct planner *p = xcalloc(1, sizeof(*p));

	memset(st, 0, sizeof(*st));
	p->c = c;
	p->qos = qos;
	p->resv = resv;
	p->cfg = cfg;
	p->hooks = hooks;
	p->st = st;
	p->now = now;
	p->now_mono = now_mono;
	if (!cfg->new_jobs_only) {
		plan_reset_blocks(c);
		plan_apply_reservations(p);
		plan_apply_claims(p, jobs, n);
	}
	p->someone_reserved = cfg->new_jobs_only && cfg->reserved_before;
	for (size_t i = 0; i < n; i++) {
		if (cfg->new_jobs_only) {
			plan_new_one(p, jobs[i]);
			continue;
		}
		jobs[i]->queue_pos = (uint32_t)i + 1;
		plan_one(p, jobs[i]);
	}
	free(p->avail);
	free(p->rack_avail);
	free(p->times);
	for (int i = 0; i < p->npre; i++)
		free(p->pre[i].avail);
	free(p);
}
