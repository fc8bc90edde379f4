/*
 * The planner (controller/plan.c): priority order, backfill that never
 * delays the top blocked job, reservations, preemption by QOS, and the
 * placement level a job demands.  Protects DESIGN invariants 4 (gangs
 * are placed whole) and 5 (nothing unhealthy gets work), and the
 * scheduling rules of issue 3.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "tests/lib/tap.h"

#define NOW 1000000

/* A cluster of halls x pods x racks x nodes, every node up. */
static struct cluster *build(int halls, int pods, int racks, int nodes)
{
	struct cluster *c = cluster_create();
	char name[64], parent[64];
	int id = 1, rk = 0, pd = 0;
	struct err e;

	for (int h = 0; h < halls; h++) {
		snprintf(name, sizeof(name), "h%d", h + 1);
		cluster_add_hall(c, h + 1, name, &e);
		for (int p = 0; p < pods; p++, pd++) {
			snprintf(parent, sizeof(parent), "h%d", h + 1);
			snprintf(name, sizeof(name), "p%03d", pd + 1);
			cluster_add_pod(c, pd + 1, name, parent, &e);
			for (int r = 0; r < racks; r++, rk++) {
				snprintf(parent, sizeof(parent), "p%03d",
					 pd + 1);
				snprintf(name, sizeof(name), "r%04d", rk + 1);
				cluster_add_rack(c, rk + 1, name, parent, &e);
				for (int n = 0; n < nodes; n++, id++) {
					char rack[64];

					snprintf(rack, sizeof(rack), "r%04d",
						 rk + 1);
					snprintf(name, sizeof(name), "n%05d",
						 id);
					cluster_add_node(c, id, name, rack, n,
							 8, "H100", &e);
				}
			}
		}
	}
	cluster_finish(c);
	for (int i = 0; i < cluster_nnodes(c); i++) {
		cluster_node_at(c, i)->state = NODE_UP;
		node_recount(cluster_node_at(c, i));
	}
	return c;
}

static struct job *mkjob(uint64_t id, uint32_t nodes, uint64_t limit,
			 const char *qos)
{
	Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
	struct job *job;

	spec.nodes = nodes;
	spec.gpus_per_node = 8;
	spec.ranks_per_node = 1;
	spec.time_limit_sec = limit;
	spec.qos = (char *)qos;
	job = job_create(id, "alice", (const uint8_t *)"", 0, &spec);
	job->submit_time = NOW - 10;
	return job;
}

/* What the hooks saw. */
struct rec {
	struct job *started[64];
	int nstarted;
	struct job *preempted[64];
	int npreempted;
	struct alloc *allocs[64];
	int nallocs;
};

/* Start: hold the nodes with a fake allocation, as the controller would. */
static int hook_start(void *arg, struct job *job,
		      const struct place_result *res)
{
	struct rec *r = arg;
	struct alloc *a = xcalloc(1, sizeof(*a));

	a->job = job;
	a->job_id = job->id;
	for (int i = 0; i < res->n; i++)
		if (node_use_add(res->nodes[i], a, i, res->masks[i]) < 0)
			diag("node_use_add failed on %s", res->nodes[i]->name);
	job->alloc = a;
	job->start_time = NOW;
	job->state = JOB_RUNNING;
	r->allocs[r->nallocs++] = a;
	r->started[r->nstarted++] = job;
	return 0;
}

static void hook_preempt(void *arg, struct job *victim, struct job *by)
{
	struct rec *r = arg;

	(void)by;
	r->preempted[r->npreempted++] = victim;
}

static bool started(const struct rec *r, const struct job *job)
{
	for (int i = 0; i < r->nstarted; i++)
		if (r->started[i] == job)
			return true;
	return false;
}

static void run(struct cluster *c, struct qos_table *q, struct resv_table *rv,
		struct job **jobs, size_t n, struct rec *r,
		struct plan_stats *st)
{
	struct plan_cfg cfg = { .bf_depth = 8, .bf_horizon_sec = 86400,
				.claim_sec = 300 };
	struct plan_hooks hooks = { hook_start, hook_preempt, r };

	plan_run(c, q, rv, jobs, n, NOW, 5000, &cfg, &hooks, st);
}

/* An already running job: nodes held until NOW - started + limit. */
static struct job *running(struct cluster *c, struct rec *r, uint64_t id,
			   int first, int count, uint64_t limit,
			   const char *qos)
{
	struct job *job = mkjob(id, (uint32_t)count, limit, qos);
	struct alloc *a = xcalloc(1, sizeof(*a));

	a->job = job;
	a->job_id = id;
	for (int i = 0; i < count; i++)
		if (node_use_add(cluster_node_at(c, first + i), a, i, 0xff) < 0)
			diag("setup: node %d busy", first + i);
	job->alloc = a;
	job->state = JOB_RUNNING;
	job->start_time = NOW;
	r->allocs[r->nallocs++] = a;
	return job;
}

static void cleanup(struct cluster *c, struct rec *r, struct job **jobs,
		    size_t n)
{
	for (int i = 0; i < r->nallocs; i++) {
		for (int k = 0; k < cluster_nnodes(c); k++)
			node_use_remove(cluster_node_at(c, k), r->allocs[i]);
		free(r->allocs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i]->alloc = NULL;
		job_destroy(jobs[i]);
	}
	cluster_destroy(c);
}

static void test_priority_order(void)
{
	struct cluster *c = build(1, 1, 1, 4);
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[2];

	memset(&r, 0, sizeof(r));
	/* Caller order is priority order: the first gets the rack. */
	jobs[0] = mkjob(2, 3, 100, "normal");
	jobs[1] = mkjob(1, 3, 100, "normal");
	run(c, q, rv, jobs, 2, &r, &st);
	ok(started(&r, jobs[0]) && !started(&r, jobs[1]),
	   "the higher-priority job starts, the other waits");
	is_int(jobs[1]->queue_pos, 2, "queue position 2");
	ok(strstr(jobs[1]->reason, "waiting") != NULL, "with a reason: %s",
	   jobs[1]->reason);
	cleanup(c, &r, jobs, 2);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

/* Backfill must never delay the top blocked job. */
static void test_backfill(void)
{
	struct cluster *c = build(1, 1, 2, 4); /* 8 nodes */
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[6];

	memset(&r, 0, sizeof(r));
	/* 4 nodes busy until NOW + 100; 4 free, enough for every small job
	 * below: only the top job's reservation can keep them off. */
	jobs[5] = running(c, &r, 99, 0, 4, 100, "normal");
	jobs[0] = mkjob(1, 8, 100, "normal");	/* top: needs all 8 */
	jobs[1] = mkjob(2, 2, 50, "normal");	/* ends before 100: fits */
	jobs[2] = mkjob(3, 2, 200, "normal");	/* would delay job 1 */
	jobs[3] = mkjob(4, 1, 0, "normal");	/* no limit: would delay */
	jobs[4] = mkjob(5, 8, 100, "normal");	/* second blocked job */
	run(c, q, rv, jobs, 5, &r, &st);
	ok(!started(&r, jobs[0]), "the 8-node job cannot start now");
	is_int(jobs[0]->expected_start, NOW + 100,
	       "its expected start is when the running job's limit ends");
	ok(started(&r, jobs[1]), "a 2-node job that ends in time backfills");
	ok(!started(&r, jobs[2]),
	   "a 2-node job that would run past the top job's start waits");
	ok(!started(&r, jobs[3]), "a job without a time limit waits");
	is_int(st.backfilled, 1, "one job backfilled");
	ok(jobs[4]->expected_start > jobs[0]->expected_start ||
		   jobs[4]->expected_start == 0,
	   "the second blocked job is planned after the first");
	cleanup(c, &r, jobs, 6);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

/*
 * A pass over new jobs only (plan_cfg.new_jobs_only, run for submissions
 * between full passes) keeps the blocks the full pass left: a new job
 * may start where it delays no reserved job, never on the top job's
 * reserved nodes past its start (backfill must never delay the top
 * blocked job), and it makes no reservation of its own.
 */
static void test_new_jobs_pass(void)
{
	struct cluster *c = build(1, 1, 2, 4); /* 8 nodes */
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct plan_cfg cfg = { .bf_depth = 0, .bf_horizon_sec = 86400,
				.claim_sec = 300, .new_jobs_only = true,
				.reserved_before = true };
	struct plan_hooks hooks = { hook_start, NULL, NULL };
	struct rec r;
	struct plan_stats st;
	struct job *jobs[6];

	memset(&r, 0, sizeof(r));
	hooks.arg = &r;
	/* The full pass: 4 nodes busy until NOW + 100, the 8-node top job
	 * reserves all 8 from then. */
	jobs[0] = running(c, &r, 99, 0, 4, 100, "normal");
	jobs[1] = mkjob(1, 8, 100, "normal");
	run(c, q, rv, &jobs[1], 1, &r, &st);
	is_int(st.reserved, 1, "full pass: the top job holds a reservation");
	/* New jobs, alone: one that ends before NOW + 100 and one that
	 * would run past it, on the 4 free nodes. */
	jobs[2] = mkjob(2, 4, 200, "normal");
	jobs[3] = mkjob(3, 2, 50, "normal");
	jobs[4] = mkjob(4, 8, 100, "normal");
	for (int i = 2; i <= 4; i++)
		job_set_reason(jobs[i], "waiting for a scheduling pass");
	plan_run(c, q, rv, &jobs[2], 3, NOW, 5000, &cfg, &hooks, &st);
	ok(!started(&r, jobs[2]),
	   "new-jobs pass: a job that would delay the reserved top job "
	   "waits (the full pass's blocks are kept)");
	ok(started(&r, jobs[3]),
	   "new-jobs pass: a job that ends before the reservation starts");
	is_int(st.reserved, 0, "new-jobs pass: no reservation is made");
	is_int(jobs[4]->expected_start, 0,
	       "new-jobs pass: a blocked new job gets no planned start");
	is_int(jobs[2]->queue_pos, 0,
	       "new-jobs pass: queue positions are left to the full pass");
	is_str(jobs[2]->reason, "waiting for a scheduling pass",
	       "new-jobs pass: a job that waits keeps its reason until a full "
	       "pass");
	is_int(st.backfilled, 1,
	       "new-jobs pass: the start counts as backfilled");
	/* The next full pass orders every pending job and reserves again. */
	jobs[5] = jobs[3];
	jobs[3] = jobs[4];
	run(c, q, rv, &jobs[1], 3, &r, &st);
	jobs[4] = jobs[5];
	ok(st.reserved >= 1 && jobs[1]->expected_start == NOW + 100,
	   "the next full pass keeps the top job's planned start");
	cleanup(c, &r, jobs, 5);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

/* A top blocked job that has waited past drain_after takes no backfill
 * on its reserved nodes; younger, it does (test_backfill). */
static void test_drain(void)
{
	struct cluster *c = build(1, 1, 2, 4); /* 8 nodes */
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct plan_cfg cfg = { .bf_depth = 8, .bf_horizon_sec = 86400,
				.claim_sec = 300, .drain_after_sec = 5 };
	struct rec r;
	struct plan_hooks hooks = { hook_start, hook_preempt, &r };
	struct plan_stats st;
	struct job *jobs[4];

	memset(&r, 0, sizeof(r));
	jobs[3] = running(c, &r, 99, 0, 4, 100, "normal");
	jobs[0] = mkjob(1, 8, 100, "normal"); /* waited 10 s > 5 s */
	jobs[1] = mkjob(2, 2, 50, "normal");  /* would end in time */
	jobs[2] = mkjob(3, 4, 50, "normal");
	plan_run(c, q, rv, jobs, 3, NOW, 5000, &cfg, &hooks, &st);
	ok(!started(&r, jobs[0]), "the 8-node job cannot start now");
	is_int(jobs[0]->expected_start, NOW + 100,
	       "its expected start is still when the running job ends");
	ok(!started(&r, jobs[1]) && !started(&r, jobs[2]),
	   "past drain_after its nodes drain: no backfill, even of jobs "
	   "that end in time");
	is_int(st.backfilled, 0, "nothing backfilled");
	/* Younger than drain_after: the same queue backfills. */
	jobs[0]->submit_time = NOW - 2;
	plan_run(c, q, rv, jobs, 3, NOW, 5000, &cfg, &hooks, &st);
	ok(started(&r, jobs[1]), "before drain_after a job that ends in time "
				 "backfills");
	cleanup(c, &r, jobs, 4);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

static void put_qos(struct qos_table *q, const char *name, int prio,
		    const char *preempt, bool cancel)
{
	Colossus__Qos m = COLOSSUS__QOS__INIT;
	char *pre[1] = { (char *)preempt };
	struct err e;

	m.name = (char *)name;
	m.priority = prio;
	m.preempt = pre;
	m.n_preempt = preempt ? 1 : 0;
	m.preempt_mode = cancel ? (char *)"cancel" : (char *)"requeue";
	m.grace_sec = 30;
	if (qos_put(q, &m, &e) < 0)
		diag("qos_put: %s", e.msg);
}

static void test_preemption(void)
{
	struct cluster *c = build(1, 1, 2, 4);
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[6];

	put_qos(q, "low", 0, NULL, false);
	put_qos(q, "normal", 100, "low", false);
	put_qos(q, "hero", 10000, "normal", false);
	memset(&r, 0, sizeof(r));
	jobs[2] = running(c, &r, 90, 0, 4, 0, "low");	  /* rack 1 */
	jobs[3] = running(c, &r, 91, 4, 2, 0, "normal");  /* half rack 2 */
	jobs[4] = running(c, &r, 92, 6, 2, 0, "hero");	  /* other half */
	jobs[0] = mkjob(1, 4, 100, "normal");
	jobs[1] = mkjob(2, 4, 100, "low");
	run(c, q, rv, jobs, 2, &r, &st);
	ok(!started(&r, jobs[0]), "the normal job cannot start at once");
	is_int(r.npreempted, 1, "one job is preempted for it");
	ok(r.npreempted == 1 && r.preempted[0] == jobs[2],
	   "the low job, which normal may preempt");
	is_int(jobs[0]->nclaim, 4, "its nodes are claimed for the job");
	ok(r.npreempted <= 1, "the low pending job preempts nothing");
	ok(!jobs[4]->preempted && !jobs[3]->preempted,
	   "a hero job and an equal (normal) job are never victims");
	/* The victim goes away; next pass the claimant takes its nodes. */
	for (int k = 0; k < 4; k++)
		node_use_remove(cluster_node_at(c, k), jobs[2]->alloc);
	jobs[2]->state = JOB_PENDING;
	r.npreempted = 0;
	jobs[5] = mkjob(3, 4, 10, "normal"); /* tries to jump in first */
	{
		struct job *order[2] = { jobs[5], jobs[0] };

		run(c, q, rv, order, 2, &r, &st);
	}
	ok(started(&r, jobs[0]), "the claimant starts on the freed nodes");
	ok(!started(&r, jobs[5]),
	   "another job cannot take the claimed nodes first");
	cleanup(c, &r, jobs, 6);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

/*
 * Several jobs of one QOS needing preemption in one pass: the planner
 * keeps what preemption could free per QOS for the pass, and must not
 * use it once a start or a preemption changed the cluster.
 */
static void test_preemption_in_one_pass(void)
{
	struct cluster *c = build(1, 1, 3, 4); /* racks of nodes 0-3, 4-7, 8-11 */
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[7];

	put_qos(q, "low", 0, NULL, false);
	put_qos(q, "normal", 100, "low", false);
	memset(&r, 0, sizeof(r));
	jobs[5] = running(c, &r, 90, 4, 4, 0, "low"); /* rack 2 */
	jobs[6] = running(c, &r, 91, 8, 4, 0, "low"); /* rack 3 */
	jobs[0] = mkjob(1, 16, 100, "normal"); /* never fits: probes first */
	jobs[1] = mkjob(2, 4, 100, "normal");  /* takes the free rack 1 */
	jobs[2] = mkjob(3, 4, 100, "normal");
	jobs[3] = mkjob(4, 4, 100, "normal");
	jobs[4] = mkjob(5, 4, 100, "normal");
	run(c, q, rv, jobs, 5, &r, &st);
	ok(!started(&r, jobs[0]) && jobs[0]->nclaim == 0,
	   "a job larger than the cluster neither starts nor claims");
	ok(started(&r, jobs[1]), "a job starts on the free rack");
	is_int(r.npreempted, 2, "two jobs preempted in the same pass");
	ok(jobs[5]->preempted && jobs[6]->preempted,
	   "... both low jobs, one for each waiting job of the same shape");
	ok(jobs[2]->nclaim == 4 && jobs[3]->nclaim == 4,
	   "each of the two claims 4 nodes");
	ok(jobs[2]->nclaim == 4 && jobs[3]->nclaim == 4 &&
		   jobs[2]->claim[0] != jobs[3]->claim[0] &&
		   jobs[2]->claim[0] > 4 && jobs[3]->claim[0] > 4,
	   "different racks, neither the rack the new job just took");
	ok(jobs[4]->nclaim == 0 && !started(&r, jobs[4]),
	   "a third one finds nothing left to preempt");
	ok(!jobs[1]->preempted, "the job of the same QOS is never a victim");
	cleanup(c, &r, jobs, 7);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

static void add_resv(struct resv_table *rv, const char *name, int *ids, int n,
		     int64_t start, int64_t end, const char *user)
{
	Colossus__Reservation m = COLOSSUS__RESERVATION__INIT;
	char *users[1] = { (char *)user };
	int *copy = xcalloc((size_t)n, sizeof(int));

	memcpy(copy, ids, (size_t)n * sizeof(int));
	m.name = (char *)name;
	m.nodes = (char *)"-";
	m.start_time = start;
	m.end_time = end;
	m.users = users;
	m.n_users = user ? 1 : 0;
	resv_add(rv, &m, copy, n);
}

static void test_reservations(void)
{
	struct cluster *c = build(1, 1, 2, 4);
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[4];
	int ids[4];

	/* Rack 2's nodes (ids 5-8) are reserved from NOW + 1000. */
	for (int i = 0; i < 4; i++)
		ids[i] = cluster_node_at(c, 4 + i)->id;
	add_resv(rv, "hero", ids, 4, NOW + 1000, NOW + 5000, "alice");
	memset(&r, 0, sizeof(r));
	jobs[0] = mkjob(1, 8, 500, "normal");  /* ends before the window */
	run(c, q, rv, jobs, 1, &r, &st);
	ok(started(&r, jobs[0]),
	   "before the window, a job that ends in time uses reserved nodes");
	cleanup(c, &r, jobs, 1);

	c = build(1, 1, 2, 4);
	memset(&r, 0, sizeof(r));
	jobs[0] = mkjob(1, 8, 2000, "normal"); /* would overlap the window */
	jobs[1] = mkjob(2, 8, 0, "normal");    /* no limit */
	jobs[2] = mkjob(3, 4, 3000, "normal"); /* fits outside the window */
	run(c, q, rv, jobs, 3, &r, &st);
	ok(!started(&r, jobs[0]), "a job overlapping the window waits");
	ok(!started(&r, jobs[1]), "a job without a limit waits");
	ok(started(&r, jobs[2]) && jobs[2]->alloc &&
		   jobs[2]->alloc->nparts == 0,
	   "a job that fits on unreserved nodes starts (placed outside)");
	for (int i = 0; i < 4; i++)
		ok(node_use_part(cluster_node_at(c, 4 + i), jobs[2]->alloc) < 0,
		   "reserved node %d not used", 4 + i);
	cleanup(c, &r, jobs, 3);

	/* Inside the window only the reservation's own jobs run there. */
	resv_table_destroy(rv);
	rv = resv_table_create();
	c = build(1, 1, 2, 4);
	for (int i = 0; i < 4; i++)
		ids[i] = cluster_node_at(c, 4 + i)->id;
	add_resv(rv, "hero", ids, 4, NOW - 10, NOW + 5000, "alice");
	memset(&r, 0, sizeof(r));
	jobs[0] = mkjob(1, 4, 100, "normal");
	free(jobs[0]->reservation);
	jobs[0]->reservation = xstrdup("hero");
	jobs[1] = mkjob(2, 8, 10, "normal");
	run(c, q, rv, jobs, 2, &r, &st);
	ok(started(&r, jobs[0]), "a job naming the reservation starts");
	ok(jobs[0]->alloc && node_use_part(cluster_node_at(c, 4),
					   jobs[0]->alloc) >= 0,
	   "inside the reservation's nodes");
	ok(!started(&r, jobs[1]),
	   "an 8-node job cannot use the active reservation's nodes");
	cleanup(c, &r, jobs, 2);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

static void test_within(void)
{
	struct cluster *c = build(1, 2, 2, 4); /* 2 pods of 2 racks of 4 */
	struct qos_table *q = qos_table_create();
	struct resv_table *rv = resv_table_create();
	struct rec r;
	struct plan_stats st;
	struct job *jobs[2];

	memset(&r, 0, sizeof(r));
	jobs[0] = mkjob(1, 5, 100, "normal");
	jobs[0]->within = PLACE_RACK;
	jobs[1] = mkjob(2, 5, 100, "normal");
	run(c, q, rv, jobs, 2, &r, &st);
	ok(!started(&r, jobs[0]), "5 nodes --within rack never fit 4-node racks");
	ok(started(&r, jobs[1]), "without --within it spans racks");
	ok(jobs[1]->alloc && jobs[1]->alloc->nparts == 0,
	   "(fake allocation holds the nodes)");
	{
		int racks = 0, pods = 0;
		const struct rack *lr = NULL;
		const struct pod *lp = NULL;

		for (int i = 0; i < cluster_nnodes(c); i++) {
			struct node *n = cluster_node_at(c, i);

			if (node_use_part(n, jobs[1]->alloc) < 0)
				continue;
			if (n->rack != lr)
				racks++;
			if (n->rack->pod != lp)
				pods++;
			lr = n->rack;
			lp = n->rack->pod;
		}
		is_int(racks, 2, "on the minimum of 2 racks");
		is_int(pods, 1, "in one pod");
	}
	cleanup(c, &r, jobs, 2);
	qos_table_destroy(q);
	resv_table_destroy(rv);
}

int main(void)
{
	test_priority_order();
	test_backfill();
	test_new_jobs_pass();
	test_drain();
	test_preemption();
	test_preemption_in_one_pass();
	test_reservations();
	test_within();
	return done_testing();
}
