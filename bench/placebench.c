/*
 * bench/placebench: placement and scheduling-pass micro-benchmark
 * (issue 3).  Builds the 12,544-node (phase 1) and 25,088-node (phase 2,
 * H100 + H200 halls) layouts of scripts/gen-topology.sh in memory and
 * times the real controller code on them: place_find() per job size on
 * an idle and on a fragmented cluster, and full plan_run() passes over a
 * long pending queue.  No controller, database or network: placement and
 * planning are pure logic over struct cluster, so this measures exactly
 * the scheduler's share of a pass.
 *
 *   bench/placebench [--phase 1|2] [--fill PCT] [--queue N] [--seed N]
 *                    [--reps N]
 *
 * Everything is deterministic for one seed.  Figures are printed, never
 * checked: see bench/README.md.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchlayout.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/qos.h"
#include "controller/resv.h"

#define PB_NOW 1700000000   /* the simulated wall clock "now" (s) */
#define PB_NOW_MONO 5000000 /* and monotonic clock (ms) */
#define PB_PODS_PER_HALL BL_PODS_PER_HALL
#define PB_RACKS_PER_POD BL_RACKS_PER_POD
#define PB_NODES_PER_RACK BL_NODES_PER_RACK
#define PB_GPUS BL_GPUS
#define PB_CASE_BUDGET_US 400000.0 /* per timed case, after 5 reps */

static uint64_t pb_seed;
static int pb_reps = 200;
static int pb_fill_pct = 70;

/* splitmix64: small, fast and the same on every platform. */
static uint64_t pb_rand(void)
{
	uint64_t z = (pb_seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint32_t pb_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(pb_rand() % ((uint64_t)hi - lo + 1));
}

/* Roughly log-uniform in [lo, hi] (lo >= 1): a power-of-two band chosen
 * uniformly, then a size inside it, as gang sizes are spread in practice
 * (many small gangs, few huge ones). */
static uint32_t pb_logrange(uint32_t lo, uint32_t hi)
{
	int bands = 0, b;
	uint32_t from, to;

	while (((uint64_t)lo << (bands + 1)) <= hi)
		bands++;
	b = (int)pb_range(0, (uint32_t)bands);
	from = lo << b;
	to = (uint32_t)(((uint64_t)lo << (b + 1)) - 1);
	return pb_range(from, to < hi ? to : hi);
}

#define pb_now_us bl_now_us

#define PB_POP(m) __builtin_popcount(m)

/* ---- setup ------------------------------------------------------------- */

static void pb_print_setup(void)
{
	printf("== setup\n");
	bl_print_machine();
	printf("method:     controller/place.c and plan.c on an in-memory "
	       "cluster, one thread, times from CLOCK_MONOTONIC; seed %llu\n",
	       (unsigned long long)pb_seed);
}

/* ---- the cluster ------------------------------------------------------- */

/* The layout of scripts/gen-topology.sh: phase 1 has 4 halls of H100,
 * phase 2 adds halls 5-8 of H200; names are numbered across the site. */
static struct cluster *pb_build(int phase)
{
	int halls = phase == 2 ? 8 : 4;
	struct cluster *c = bl_build(halls * PB_PODS_PER_HALL, phase == 2);

	printf("layout:     phase %d: %d halls x %d pods x %d racks x %d nodes "
	       "= %d nodes, %d racks, %d pods, %d GPUs (%s)\n",
	       phase, halls, PB_PODS_PER_HALL, PB_RACKS_PER_POD,
	       PB_NODES_PER_RACK, cluster_nnodes(c), cluster_nracks(c),
	       cluster_npods(c), cluster_nnodes(c) * PB_GPUS,
	       phase == 2 ? "halls 1-4 H100, 5-8 H200" : "H100");
	return c;
}

/* ---- jobs and what runs ------------------------------------------------ */

struct pb_world {
	struct cluster *c;
	struct qos_table *qos;
	struct resv_table *resv;
	struct job **held; /* running: owned, with their alloc */
	int nheld, cap;
	long gpus_used, gpus_total;
	uint64_t next_id;
	int64_t now; /* of the current pass */
};

static const uint64_t pb_limits[] = { 1800, 3600, 7200, 14400, 28800, 86400 };

/* A QOS by a mix in percent: low, normal, then high. */
static const char *pb_qos_pick(int low, int normal)
{
	uint32_t x = pb_range(0, 99);

	return (int)x < low ? "low" : (int)x < low + normal ? "normal" : "high";
}

static struct job *pb_job(struct pb_world *w, uint32_t nodes, uint32_t gpus,
			  const char *qos, const char *model)
{
	Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
	struct job *job;

	spec.nodes = nodes;
	spec.gpus_per_node = gpus;
	spec.ranks_per_node = 1;
	spec.time_limit_sec = pb_limits[pb_range(
		0, sizeof(pb_limits) / sizeof(*pb_limits) - 1)];
	spec.qos = (char *)qos;
	spec.gpu_model = (char *)model;
	job = job_create(++w->next_id, "bench", (const uint8_t *)"", 0, &spec);
	job->submit_time = PB_NOW - (int64_t)pb_range(0, 86400);
	return job;
}

/* Hold res for job from start, as the controller's alloc_create would
 * (the parts remember the nodes); the world takes the job. */
static void pb_hold(struct pb_world *w, struct job *job,
		    const struct place_result *res, int64_t start)
{
	struct alloc *a = xcalloc(1, sizeof(*a));

	a->job = job;
	a->job_id = job->id;
	a->nparts = res->n;
	a->parts = xcalloc((size_t)res->n, sizeof(*a->parts));
	for (int i = 0; i < res->n; i++) {
		if (node_use_add(res->nodes[i], a, i, res->masks[i]) < 0) {
			fprintf(stderr, "placebench: node_use_add on %s\n",
				res->nodes[i]->name);
			exit(1);
		}
		a->parts[i].node = res->nodes[i];
		a->parts[i].gpu_mask = res->masks[i];
		w->gpus_used += PB_POP(res->masks[i]);
	}
	job->alloc = a;
	job->state = JOB_RUNNING;
	job->start_time = start;
	if (w->nheld == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->held = xreallocarray(w->held, (size_t)w->cap,
					sizeof(*w->held));
	}
	w->held[w->nheld++] = job;
}

/* The job ends: free its GPUs and forget it. */
static void pb_release(struct pb_world *w, int i)
{
	struct alloc *a = w->held[i]->alloc;

	for (int k = 0; k < a->nparts; k++) {
		node_use_remove(a->parts[k].node, a);
		w->gpus_used -= PB_POP(a->parts[k].gpu_mask);
	}
	w->held[i]->alloc = NULL;
	job_destroy(w->held[i]);
	free(a->parts);
	free(a);
	w->held[i] = w->held[--w->nheld];
}

/* Fill the cluster up to pct percent of its GPUs with the running mix:
 * 80% single-node jobs of 1-8 GPUs, 20% gangs of 2-256 whole nodes. */
static void pb_fill(struct pb_world *w, int pct)
{
	int misses = 0;

	while (w->gpus_used * 100 < w->gpus_total * pct && misses < 200) {
		bool gang = pb_range(0, 99) < 20;
		uint32_t nodes = gang ? pb_logrange(2, 256) : 1;
		uint32_t gpus = gang ? PB_GPUS : pb_range(1, PB_GPUS);
		struct job *job =
			pb_job(w, nodes, gpus, pb_qos_pick(20, 70), NULL);
		struct place_req req;
		struct place_result res;

		memset(&req, 0, sizeof(req));
		req.nodes = nodes;
		req.gpus_per_node = gpus;
		req.end_time = INT64_MAX;
		req.allow_degraded = nodes == 1;
		if (!place_find(w->c, &req, &res)) {
			job_destroy(job);
			misses++;
			continue;
		}
		/* Started some time ago, still within its limit. */
		pb_hold(w, job, &res,
			PB_NOW - (int64_t)pb_range(
					 0, (uint32_t)job->time_limit_sec - 1));
		place_result_free(&res);
	}
}

/* End random jobs until at most pct percent of the GPUs are busy. */
static void pb_churn(struct pb_world *w, int pct)
{
	while (w->nheld && w->gpus_used * 100 > w->gpus_total * pct)
		pb_release(w, (int)pb_range(0, (uint32_t)w->nheld - 1));
}

static void pb_print_state(const struct pb_world *w, const char *what)
{
	int free_nodes = 0, partial = 0, free_racks = 0, free_pods = 0;

	for (int i = 0; i < cluster_nnodes(w->c); i++) {
		uint16_t u = cluster_node_at(w->c, i)->gpu_used;

		free_nodes += u == 0;
		partial += u != 0 && PB_POP(u) < PB_GPUS;
	}
	for (int i = 0; i < cluster_nracks(w->c); i++)
		free_racks += cluster_rack_at(w->c, i)->cap.free_ok ==
			      cluster_rack_at(w->c, i)->nnodes;
	for (int i = 0; i < cluster_npods(w->c); i++)
		free_pods += cluster_pod_at(w->c, i)->cap.free_ok ==
			     cluster_pod_at(w->c, i)->cap.nodes;
	printf("%s: %d jobs running, %.1f%% of GPUs busy; %d nodes free, %d "
	       "partly used, %d racks and %d pods entirely free\n",
	       what, w->nheld,
	       100.0 * (double)w->gpus_used / (double)w->gpus_total, free_nodes,
	       partial, free_racks, free_pods);
}

/* ---- scenarios 1 and 2: place_find per job size ------------------------ */

struct pb_case {
	const char *name;
	uint32_t nodes; /* 0: the whole cluster */
	uint32_t gpus;
	enum place_level within;
	uint32_t segment;
	const char *model;
	int phase; /* only in this phase; 0: both */
};

static const struct pb_case pb_cases[] = {
	{ "1 GPU", 1, 1, PLACE_ANY, 0, NULL, 0 },
	{ "8 GPUs (1 node)", 1, 8, PLACE_ANY, 0, NULL, 0 },
	{ "8 nodes", 8, 8, PLACE_ANY, 0, NULL, 0 },
	{ "64 nodes", 64, 8, PLACE_ANY, 0, NULL, 0 },
	{ "512 nodes", 512, 8, PLACE_ANY, 0, NULL, 0 },
	{ "1024 nodes", 1024, 8, PLACE_ANY, 0, NULL, 0 },
	{ "4096 nodes", 4096, 8, PLACE_ANY, 0, NULL, 0 },
	{ "full cluster", 0, 8, PLACE_ANY, 0, NULL, 0 },
	{ "64 nodes --within pod", 64, 8, PLACE_POD, 0, NULL, 0 },
	{ "512 nodes --segment 8", 512, 8, PLACE_ANY, 8, NULL, 0 },
	{ "512 nodes H200", 512, 8, PLACE_ANY, 0, "H200", 2 },
	{ "4096 nodes H200", 4096, 8, PLACE_ANY, 0, "H200", 2 },
};

static int pb_dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Print count, mean, p50, p99 and max of v (sorted here). */
static void pb_row(const char *name, double *v, int n, const char *extra)
{
	double sum = 0;

	qsort(v, (size_t)n, sizeof(*v), pb_dcmp);
	for (int i = 0; i < n; i++)
		sum += v[i];
	printf("%-24s %6d %10.1f %10.1f %10.1f %10.1f  %s\n", name, n, sum / n,
	       v[(n - 1) / 2], v[(int)((double)(n - 1) * 0.99 + 0.5)], v[n - 1],
	       extra);
}

static void pb_place_cases(const struct cluster *c, int phase)
{
	double *v = xcalloc((size_t)pb_reps, sizeof(double));

	printf("%-24s %6s %10s %10s %10s %10s  %s\n", "case", "count",
	       "mean us", "p50 us", "p99 us", "max us",
	       "racks (lower bound) / pods");
	for (size_t i = 0; i < sizeof(pb_cases) / sizeof(*pb_cases); i++) {
		const struct pb_case *k = &pb_cases[i];
		struct place_req req;
		struct place_result res;
		char extra[96];
		double spent = 0;
		int n = 0;

		if (k->phase && k->phase != phase)
			continue;
		memset(&req, 0, sizeof(req));
		req.nodes = k->nodes ? k->nodes : (uint32_t)cluster_nnodes(c);
		req.gpus_per_node = k->gpus;
		req.within = k->within;
		req.segment = k->segment;
		req.gpu_model = k->model;
		req.end_time = INT64_MAX;
		req.allow_degraded = req.nodes == 1;
		if (!place_find(c, &req, &res)) {
			printf("%-24s %6s  does not fit\n", k->name, "-");
			continue;
		}
		snprintf(extra, sizeof(extra), "%d (%d) / %d", res.racks,
			 place_min_racks(req.nodes, PB_NODES_PER_RACK),
			 res.pods);
		place_result_free(&res);
		/* Same request over and over: place_find never changes the
		 * cluster, so every repetition does the same work. */
		while (n < pb_reps && (n < 5 || spent < PB_CASE_BUDGET_US)) {
			double t0 = pb_now_us();
			int ok = place_find(c, &req, &res);

			v[n] = pb_now_us() - t0;
			spent += v[n++];
			if (ok)
				place_result_free(&res);
		}
		pb_row(k->name, v, n, extra);
	}
	free(v);
}

/* ---- scenario 3: plan_run passes --------------------------------------- */

static int pb_hook_start(void *arg, struct job *job,
			 const struct place_result *res)
{
	struct pb_world *w = arg;

	pb_hold(w, job, res, w->now);
	return 0;
}

/* Victims are flagged by the planner and released before the next pass. */
static void pb_hook_preempt(void *arg, struct job *victim, struct job *by)
{
	(void)arg;
	(void)victim;
	(void)by;
}

/* Priority order: QOS priority (in job->priority), then age, then id. */
static int pb_job_cmp(const void *a, const void *b)
{
	const struct job *x = *(const struct job *const *)a;
	const struct job *y = *(const struct job *const *)b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->submit_time != y->submit_time)
		return x->submit_time < y->submit_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The pending queue: 98% one-node jobs of 1-8 GPUs, 2% gangs of 2-1024
 * nodes; in phase 2 a quarter ask for H100 and a quarter for H200. */
static struct job **pb_queue(struct pb_world *w, int phase, size_t n)
{
	struct job **q = xcalloc(n ? n : 1, sizeof(*q));

	for (size_t i = 0; i < n; i++) {
		bool gang = pb_range(0, 99) < 2;
		uint32_t nodes = gang ? pb_logrange(2, 1024) : 1;
		uint32_t gpus = gang ? PB_GPUS : pb_range(1, PB_GPUS);
		uint32_t m = pb_range(0, 3);
		const char *model = phase != 2 ? NULL
				    : m == 0   ? "H100"
				    : m == 1   ? "H200"
					       : NULL;

		q[i] = pb_job(w, nodes, gpus, pb_qos_pick(10, 82), model);
		q[i]->priority = qos_find(w->qos, q[i]->qos)->priority;
	}
	qsort(q, n, sizeof(*q), pb_job_cmp);
	return q;
}

static void pb_passes(struct pb_world *w, int phase, size_t nqueue)
{
	struct plan_cfg cfg = { .bf_depth = 8,
				.bf_horizon_sec = 7 * 86400,
				.claim_sec = 300,
				.power = NULL };
	struct plan_hooks hooks = { pb_hook_start, pb_hook_preempt, w };
	struct job **q = pb_queue(w, phase, nqueue);
	size_t n = nqueue;

	printf("queue:      %zu pending jobs (98%% one node of 1-8 GPUs, 2%% "
	       "gangs of 2-1024 nodes; QOS low/normal/high 10/82/8%%; time "
	       "limits 30 min-24 h)%s\n",
	       n, phase == 2 ? "; 25% need H100, 25% H200" : "");
	printf("%-6s %10s %10s %8s %10s %8s %8s %8s  %s\n", "pass", "ms",
	       "considered", "started", "backfilled", "reserved", "preempt",
	       "skipped", "after the pass");
	for (int pass = 1; pass <= 3; pass++) {
		struct plan_stats st;
		size_t kept = 0;
		double t0, ms;

		/* A pass a minute, as a busy controller runs them. */
		w->now = PB_NOW + (pass - 1) * 60;
		t0 = pb_now_us();
		plan_run(w->c, w->qos, w->resv, q, n, w->now,
			 PB_NOW_MONO + (pass - 1) * 60000, &cfg, &hooks, &st);
		ms = (pb_now_us() - t0) / 1000.0;
		/* Started jobs now belong to the world's running list. */
		for (size_t i = 0; i < n; i++)
			if (q[i]->state == JOB_PENDING)
				q[kept++] = q[i];
		n = kept;
		printf("%-6d %10.1f %10d %8d %10d %8d %8d %8d  %.1f%% GPUs "
		       "busy, "
		       "%zu pending\n",
		       pass, ms, st.considered, st.started, st.backfilled,
		       st.reserved, st.preemptions, st.skipped,
		       100.0 * (double)w->gpus_used / (double)w->gpus_total, n);
		/* Victims stop within their grace period before the next
		 * pass (60 s later), as the controller would see. */
		for (int i = w->nheld - 1; i >= 0; i--)
			if (w->held[i]->preempted)
				pb_release(w, i);
	}
	for (size_t i = 0; i < n; i++)
		job_destroy(q[i]);
	free(q);
}

/* ---- main -------------------------------------------------------------- */

static void pb_phase(int phase, size_t nqueue)
{
	struct pb_world w;
	uint64_t seed = pb_seed;
	int hi, lo;

	memset(&w, 0, sizeof(w));
	printf("\n== phase %d\n", phase);
	w.c = pb_build(phase);
	w.qos = qos_table_create();
	w.resv = resv_table_create();
	bl_qos_defaults(w.qos);
	w.gpus_total = (long)cluster_nnodes(w.c) * PB_GPUS;

	printf("\n-- 1. place_find, idle cluster\n");
	pb_place_cases(w.c, phase);

	/* Fill, then let jobs end and fill again: holes of every size, as a
	 * cluster that has run for a while has. */
	hi = pb_fill_pct + 15 < 98 ? pb_fill_pct + 15 : 98;
	lo = pb_fill_pct > 15 ? pb_fill_pct - 15 : 0;
	for (int i = 0; i < 2; i++) {
		pb_fill(&w, hi);
		pb_churn(&w, lo);
	}
	pb_fill(&w, pb_fill_pct);
	printf("\n-- 2. place_find, fragmented cluster (fill to %d%%, end "
	       "random jobs down to %d%%, twice, fill to %d%%: 80%% one-node "
	       "jobs of 1-8 GPUs, 20%% gangs of 2-256 nodes)\n",
	       hi, lo, pb_fill_pct);
	pb_print_state(&w, "state");
	pb_place_cases(w.c, phase);

	printf("\n-- 3. plan_run on the fragmented cluster\n");
	pb_passes(&w, phase, nqueue);
	pb_print_state(&w, "state");

	while (w.nheld)
		pb_release(&w, w.nheld - 1);
	free(w.held);
	resv_table_destroy(w.resv);
	qos_table_destroy(w.qos);
	cluster_destroy(w.c);
	pb_seed = seed; /* each phase sees the same random stream */
}

static void pb_usage(FILE *f)
{
	fprintf(f, "usage: placebench [--phase 1|2] [--fill PCT] [--queue N] "
		   "[--seed N] [--reps N]\n"
		   "  --phase   the 12,544-node (1) or 25,088-node (2) layout; "
		   "default both\n"
		   "  --fill    percent of GPUs busy in the fragmented cluster "
		   "(70)\n"
		   "  --queue   pending jobs for the plan_run passes (20000)\n"
		   "  --seed    random seed of the job mix (42)\n"
		   "  --reps    most repetitions per placement case (200)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phase", required_argument, NULL, 0 },
		{ "fill", required_argument, NULL, 0 },
		{ "queue", required_argument, NULL, 0 },
		{ "seed", required_argument, NULL, 0 },
		{ "reps", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int phase = 0, queue = 20000, seed = 42, o, idx;
	/* Where each numeric option goes and its range (opts order). */
	const struct {
		int *var;
		long min, max;
	} num[] = { { &phase, 1, 2 },
		    { &pb_fill_pct, 0, 95 },
		    { &queue, 0, 1000000 },
		    { &seed, 0, 1000000000 },
		    { &pb_reps, 1, 1000000 } };
	double t0 = pb_now_us();

	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		char *end;
		long v;

		if (o == 'h') {
			pb_usage(stdout);
			return 0;
		}
		if (o != 0) {
			pb_usage(stderr);
			return 2;
		}
		v = strtol(optarg, &end, 10);
		if (*end || end == optarg || v < num[idx].min ||
		    v > num[idx].max) {
			fprintf(stderr, "placebench: --%s must be %ld-%ld\n",
				opts[idx].name, num[idx].min, num[idx].max);
			return 2;
		}
		*num[idx].var = (int)v;
	}
	if (optind < argc) {
		pb_usage(stderr);
		return 2;
	}
	pb_seed = (uint64_t)seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pb_print_setup();
	for (int p = 1; p <= 2; p++)
		if (!phase || phase == p)
			pb_phase(p, (size_t)queue);
	printf("\n== total %.1f s\n", (pb_now_us() - t0) / 1e6);
	return 0;
}
