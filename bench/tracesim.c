/*
 * bench/tracesim: replay a job trace in simulated time through the real
 * scheduler code and through plain first-fit FIFO, on the same in-memory
 * cluster, in one run (issue 3, "Speed", second benchmark).
 *
 *   bench/tracesim [--trace CSV] [--nodes N] [--days D] [--copies K]
 *                  [--big-gangs G] [--pass-interval S] [--tail S]
 *                  [--seed N]
 *
 * The trace is a CSV with columns submit_s,gpus,duration_s,... (header
 * first, rows sorted or not).  A job of 1-8 GPUs gets that many GPUs of
 * one node, a bigger one ceil(gpus/8) whole nodes (as bench/submitload
 * maps them for trace-replay.sh), with a time limit of twice its
 * duration so backfill has something to work with.  --big-gangs adds
 * pre-training gangs the trace lacks (see ts_big_gangs()).
 *
 * Events are submits and ends; all events of one simulated second are
 * handled together, then one scheduling pass runs if something changed
 * and the last pass is at least --pass-interval seconds old (else at
 * that time).  Colossus: controller/plan.c plan_run() with the
 * controller's defaults (backfill depth 8, horizon 7 days, no drain)
 * and the jobs
 * in age order (the age factor with every other factor equal), placing
 * with controller/place.c.  FIFO: strict submit order, the head blocks
 * the queue, first fit in node index order.  No controller, database or
 * network; figures are printed, never checked (bench/README.md).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
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

#ifndef TS_DEFAULT_TRACE
#define TS_DEFAULT_TRACE "../shared/traces/itp_elasticflow_5clusters.csv"
#endif

#define TS_T0 1700000000 /* simulated wall clock of trace second 0 */
#define TS_INF INT64_MAX
#define TS_NCLASS 4
#define TS_POP(m) __builtin_popcount(m)

static const char *const ts_class_name[TS_NCLASS] = { "1 GPU", "2-8 GPUs",
						      "9-64 GPUs", ">64 GPUs" };

/* One job to submit (a trace row, a copy of one, or a big gang). */
struct ts_job {
	int64_t submit; /* s since the trace's first row */
	int64_t dur;	/* run time (s) */
	uint32_t nodes, gpn;
	int cls;
};

struct ts_trace {
	struct ts_job *v;
	size_t n;
	int64_t span; /* the window utilization is measured over (s) */
	long rows, skipped;
	int big;
};

/* What happened to one job under one scheduler. */
struct ts_out {
	int64_t start; /* -1: never started */
	int racks;
};

/* Running jobs by end time: a binary min-heap. */
struct ts_end {
	int64_t at;
	size_t job;
};

struct ts_sim {
	const struct ts_trace *tr;
	struct ts_out *out;
	struct ts_end *heap;
	size_t nheap, capheap;
	size_t next; /* next trace job to submit */
	int64_t now;
	int nnodes;
	double busy; /* GPU-seconds within the span */
	long passes;
	size_t maxq; /* longest pending queue a pass saw */
	double pass_us, pass_max_us;
	/* Colossus */
	struct cluster *c;
	struct qos_table *qos;
	struct resv_table *resv;
	struct job **q; /* pending, in priority (age) order */
	size_t nq, capq;
	struct job **run; /* running, by trace job */
	long preempted;
	/* FIFO */
	uint8_t *freeg;	      /* free GPUs per node index */
	int cnt[BL_GPUS + 1]; /* nodes with exactly k free GPUs */
	uint32_t **fnodes;    /* node indexes held, by trace job */
	size_t head;	      /* first job not started (strict order) */
};

struct ts_sched {
	const char *name;
	void (*submit)(struct ts_sim *s, size_t i);
	void (*finish)(struct ts_sim *s, size_t i);
	void (*pass)(struct ts_sim *s);
};

static struct {
	const char *trace;
	int nodes;
	double days;
	int copies, big, interval, seed;
	int64_t tail;
	int64_t drain_after; /* [scheduler] backfill_drain_after */
} ts_opt = { TS_DEFAULT_TRACE, 12544, 2.0, 20, 0, 10, 42, 30 * 86400, 0 };

static uint64_t ts_seed;

/* splitmix64, as placebench: the same stream on every platform. */
static uint64_t ts_rand(void)
{
	uint64_t z = (ts_seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double ts_unit(void)
{
	return (double)(ts_rand() >> 11) / 9007199254740992.0;
}

static int ts_class(uint32_t gpus)
{
	return gpus <= 1 ? 0 : gpus <= 8 ? 1 : gpus <= 64 ? 2 : 3;
}

/* ---- the trace --------------------------------------------------------- */

static void ts_add(struct ts_trace *tr, size_t *cap, int64_t submit,
		   int64_t dur, uint32_t nodes, uint32_t gpn)
{
	struct ts_job *j;

	if (tr->n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		tr->v = xreallocarray(tr->v, *cap, sizeof(*tr->v));
	}
	j = &tr->v[tr->n++];
	j->submit = submit;
	j->dur = dur > 0 ? dur : 1;
	j->nodes = nodes;
	j->gpn = gpn;
	j->cls = ts_class(nodes * gpn);
}

static int ts_job_cmp(const void *a, const void *b)
{
	const struct ts_job *x = a, *y = b;

	return x->submit < y->submit ? -1 : x->submit > y->submit;
}

/*
 * G pre-training gangs spread evenly over the span (the i-th submitted
 * at span * (i + 0.5) / G), sizes log-uniform over 64..12,544 nodes
 * (capped at the cluster), durations uniform over 2-12 hours, from the
 * seed: the trace has no job above 64 GPUs, a training cluster does.
 */
static void ts_big_gangs(struct ts_trace *tr, size_t *cap, int g, int nodes)
{
	double lo = log(64.0), hi = log(nodes < 12544 ? nodes : 12544.0);

	for (int i = 0; i < g; i++) {
		int64_t at = (int64_t)((double)tr->span * (i + 0.5) / g);
		uint32_t n = (uint32_t)lround(exp(lo + ts_unit() * (hi - lo)));
		int64_t dur = 7200 + (int64_t)(ts_unit() * 36000.0);

		ts_add(tr, cap, at, dur, n, BL_GPUS);
	}
	tr->big = g;
}

/* Read the CSV; keep rows submitted in the first --days days, each
 * --copies times; rows that cannot fit the cluster are skipped. */
static void ts_load(struct ts_trace *tr)
{
	FILE *f = fopen(ts_opt.trace, "r");
	int64_t cut = ts_opt.days > 0 ? (int64_t)(ts_opt.days * 86400) : 0;
	int64_t first = TS_INF, last = 0;
	bool beyond = false;
	char line[1024];
	size_t cap = 0;

	memset(tr, 0, sizeof(*tr));
	if (!f) {
		fprintf(stderr, "tracesim: %s: %s\n", ts_opt.trace,
			strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		double t, d;
		unsigned g;
		uint32_t nodes, gpn;

		if (sscanf(line, "%lf,%u,%lf", &t, &g, &d) != 3 || !g ||
		    t < 0 || d < 0)
			continue; /* the header, or not a job */
		tr->rows++;
		if (cut && (int64_t)t >= cut) {
			beyond = true;
			continue;
		}
		nodes = g <= BL_GPUS ? 1 : (g + BL_GPUS - 1) / BL_GPUS;
		gpn = g <= BL_GPUS ? g : BL_GPUS;
		if (nodes > (uint32_t)ts_opt.nodes) {
			tr->skipped++;
			continue;
		}
		if ((int64_t)t < first)
			first = (int64_t)t;
		if ((int64_t)t > last)
			last = (int64_t)t;
		for (int k = 0; k < ts_opt.copies; k++)
			ts_add(tr, &cap, (int64_t)t, (int64_t)lround(d), nodes,
			       gpn);
	}
	fclose(f);
	if (!tr->n) {
		fprintf(stderr, "tracesim: %s: no job in the window\n",
			ts_opt.trace);
		exit(1);
	}
	/* Time 0 is the first job kept: a trace may start anywhere. */
	for (size_t i = 0; i < tr->n; i++)
		tr->v[i].submit -= first;
	tr->span = beyond ? cut - first : last - first + 1;
	ts_big_gangs(tr, &cap, ts_opt.big, ts_opt.nodes);
	qsort(tr->v, tr->n, sizeof(*tr->v), ts_job_cmp);
}

/* ---- the event heap ---------------------------------------------------- */

static void ts_heap_push(struct ts_sim *s, int64_t at, size_t job)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 1024;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof(*s->heap));
	}
	i = s->nheap++;
	while (i > 0 && s->heap[(i - 1) / 2].at > at) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i].at = at;
	s->heap[i].job = job;
}

static size_t ts_heap_pop(struct ts_sim *s)
{
	size_t top = s->heap[0].job, i = 0;
	struct ts_end last = s->heap[--s->nheap];

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= s->nheap)
			break;
		if (k + 1 < s->nheap && s->heap[k + 1].at < s->heap[k].at)
			k++;
		if (s->heap[k].at >= last.at)
			break;
		s->heap[i] = s->heap[k];
		i = k;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* Job i started now on racks racks: it ends after its duration. */
static void ts_started(struct ts_sim *s, size_t i, int racks)
{
	const struct ts_job *j = &s->tr->v[i];
	int64_t end = s->now + j->dur;

	s->out[i].start = s->now;
	s->out[i].racks = racks;
	if (s->now < s->tr->span)
		s->busy += (double)j->nodes * j->gpn *
			   (double)((end < s->tr->span ? end : s->tr->span) -
				    s->now);
	ts_heap_push(s, end, i);
}

/* ---- Colossus: plan_run + place_find ----------------------------------- */

static int ts_hook_start(void *arg, struct job *job,
			 const struct place_result *res)
{
	struct ts_sim *s = arg;
	struct alloc *a = xcalloc(1, sizeof(*a));
	size_t i = (size_t)job->id - 1;

	/* Hold the nodes as the controller's alloc_create does. */
	a->job = job;
	a->job_id = job->id;
	a->nparts = res->n;
	a->parts = xcalloc((size_t)res->n, sizeof(*a->parts));
	for (int k = 0; k < res->n; k++) {
		if (node_use_add(res->nodes[k], a, k, res->masks[k]) < 0) {
			fprintf(stderr, "tracesim: node_use_add on %s\n",
				res->nodes[k]->name);
			exit(1);
		}
		a->parts[k].node = res->nodes[k];
		a->parts[k].gpu_mask = res->masks[k];
	}
	job->alloc = a;
	job->state = JOB_RUNNING;
	job->start_time = TS_T0 + s->now;
	s->run[i] = job;
	ts_started(s, i, res->racks);
	return 0;
}

/* Every job has the same QOS, which preempts only "low": never called. */
static void ts_hook_preempt(void *arg, struct job *victim, struct job *by)
{
	struct ts_sim *s = arg;

	(void)victim;
	(void)by;
	s->preempted++;
}

static void ts_col_submit(struct ts_sim *s, size_t i)
{
	const struct ts_job *j = &s->tr->v[i];
	Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
	struct job *job;

	spec.nodes = j->nodes;
	spec.gpus_per_node = j->gpn;
	spec.ranks_per_node = 1;
	spec.time_limit_sec = (uint64_t)(2 * j->dur);
	spec.qos = (char *)"normal";
	job = job_create(i + 1, "trace", (const uint8_t *)"", 0, &spec);
	job->submit_time = TS_T0 + j->submit;
	/* Submits come in time order, so appending keeps age order (ties
	 * by id, as the controller breaks them). */
	if (s->nq == s->capq) {
		s->capq = s->capq ? s->capq * 2 : 1024;
		s->q = xreallocarray(s->q, s->capq, sizeof(*s->q));
	}
	s->q[s->nq++] = job;
}

static void ts_col_finish(struct ts_sim *s, size_t i)
{
	struct job *job = s->run[i];
	struct alloc *a = job->alloc;

	for (int k = 0; k < a->nparts; k++)
		node_use_remove(a->parts[k].node, a);
	job->alloc = NULL;
	job_destroy(job);
	free(a->parts);
	free(a);
	s->run[i] = NULL;
}

static void ts_col_pass(struct ts_sim *s)
{
	struct plan_cfg cfg = { .bf_depth = 8,
				.bf_horizon_sec = 7 * 86400,
				.claim_sec = 300,
				.drain_after_sec = ts_opt.drain_after,
				.power = NULL };
	struct plan_hooks hooks = { ts_hook_start, ts_hook_preempt, s };
	struct plan_stats st;
	size_t kept = 0;
	double t0, us;

	if (!s->nq)
		return;
	if (s->nq > s->maxq)
		s->maxq = s->nq;
	t0 = bl_now_us();
	plan_run(s->c, s->qos, s->resv, s->q, s->nq, TS_T0 + s->now,
		 (TS_T0 + s->now) * 1000, &cfg, &hooks, &st);
	us = bl_now_us() - t0;
	s->passes++;
	s->pass_us += us;
	if (us > s->pass_max_us)
		s->pass_max_us = us;
	for (size_t k = 0; k < s->nq; k++)
		if (s->q[k]->state == JOB_PENDING)
			s->q[kept++] = s->q[k];
	s->nq = kept;
}

/* ---- first-fit FIFO ---------------------------------------------------- */

static void ts_fifo_take(struct ts_sim *s, uint32_t n, int g)
{
	s->cnt[s->freeg[n]]--;
	s->freeg[n] = (uint8_t)(s->freeg[n] - g);
	s->cnt[s->freeg[n]]++;
}

/* Place the job at the queue's head on the first nodes in index order,
 * or return false. */
static bool ts_fifo_place(struct ts_sim *s, size_t i)
{
	const struct ts_job *j = &s->tr->v[i];
	uint32_t *held = xcalloc(j->nodes, sizeof(*held));
	int have = 0, racks = 0, prev = -1;

	for (int g = j->nodes == 1 ? (int)j->gpn : BL_GPUS; g <= BL_GPUS; g++)
		have += s->cnt[g];
	if ((uint32_t)have < j->nodes) {
		free(held);
		return false;
	}
	have = 0;
	for (int n = 0; n < s->nnodes && (uint32_t)have < j->nodes; n++)
		if (j->nodes == 1 ? s->freeg[n] >= j->gpn
				  : s->freeg[n] == BL_GPUS)
			held[have++] = (uint32_t)n;
	for (int k = 0; k < have; k++) {
		ts_fifo_take(s, held[k], (int)j->gpn);
		racks += (int)held[k] / BL_NODES_PER_RACK != prev;
		prev = (int)held[k] / BL_NODES_PER_RACK;
	}
	s->fnodes[i] = held;
	ts_started(s, i, racks);
	return true;
}

static void ts_fifo_submit(struct ts_sim *s, size_t i)
{
	(void)s;
	(void)i; /* the queue is tr->v[head .. next) */
}

static void ts_fifo_finish(struct ts_sim *s, size_t i)
{
	const struct ts_job *j = &s->tr->v[i];

	for (uint32_t k = 0; k < j->nodes; k++)
		ts_fifo_take(s, s->fnodes[i][k], -(int)j->gpn);
	free(s->fnodes[i]);
	s->fnodes[i] = NULL;
}

static void ts_fifo_pass(struct ts_sim *s)
{
	double t0, us;

	if (s->head == s->next)
		return;
	if (s->next - s->head > s->maxq)
		s->maxq = s->next - s->head;
	t0 = bl_now_us();
	while (s->head < s->next && ts_fifo_place(s, s->head))
		s->head++;
	us = bl_now_us() - t0;
	s->passes++;
	s->pass_us += us;
	if (us > s->pass_max_us)
		s->pass_max_us = us;
}

/* ---- the simulation ---------------------------------------------------- */

/* Run the trace through one scheduler until every job ended or the
 * simulated clock passes the span plus --tail. */
static void ts_run(struct ts_sim *s, const struct ts_sched *sc)
{
	const struct ts_trace *tr = s->tr;
	int64_t last_pass = -(int64_t)ts_opt.interval - 1;
	int64_t stop = tr->span + ts_opt.tail;
	bool dirty = false;

	for (;;) {
		int64_t t = TS_INF;

		if (s->next < tr->n)
			t = tr->v[s->next].submit;
		if (s->nheap && s->heap[0].at < t)
			t = s->heap[0].at;
		if (dirty && last_pass + ts_opt.interval < t)
			t = last_pass + ts_opt.interval;
		if (t == TS_INF || t > stop)
			break;
		if (t > s->now)
			s->now = t;
		while (s->nheap && s->heap[0].at <= s->now) {
			sc->finish(s, ts_heap_pop(s));
			dirty = true;
		}
		while (s->next < tr->n && tr->v[s->next].submit <= s->now) {
			sc->submit(s, s->next++);
			dirty = true;
		}
		if (dirty && s->now >= last_pass + ts_opt.interval) {
			sc->pass(s);
			last_pass = s->now;
			dirty = false;
		}
	}
}

static int ts_i64cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void ts_fmt_s(char *buf, size_t len, double s)
{
	if (s < 100)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 6000)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

/* Each added gang (up to 60): nodes, wait and racks (lower bound). */
static void ts_report_big(const struct ts_sim *s)
{
	const struct ts_trace *tr = s->tr;
	int shown = 0;

	if (!tr->big || tr->big > 60)
		return;
	printf("big gangs:        nodes/wait/racks (lower bound):");
	for (size_t i = 0; i < tr->n; i++) {
		const struct ts_job *j = &tr->v[i];
		char wait[32];

		if (j->cls != 3)
			continue;
		if (s->out[i].start < 0)
			snprintf(wait, sizeof(wait), "not started");
		else
			ts_fmt_s(wait, sizeof(wait),
				 (double)(s->out[i].start - j->submit));
		printf("%s %u/%s/%d(%d)", shown++ % 4 ? "," : "\n ", j->nodes,
		       wait, s->out[i].racks,
		       place_min_racks(j->nodes, BL_NODES_PER_RACK));
	}
	printf("\n");
}

static void ts_report(const struct ts_sim *s, const struct ts_sched *sc,
		      double wall_s)
{
	const struct ts_trace *tr = s->tr;
	int64_t *w = xcalloc(tr->n, sizeof(*w));
	long finished = 0, in_span = 0, gangs = 0, at_lb = 0, running = 0;
	double gpus = (double)s->nnodes * BL_GPUS;

	for (size_t i = 0; i < tr->n; i++) {
		const struct ts_job *j = &tr->v[i];
		const struct ts_out *o = &s->out[i];

		if (o->start < 0)
			continue;
		if (o->start + j->dur <= s->now) {
			finished++;
			in_span += o->start + j->dur <= tr->span;
		} else {
			running++;
		}
		if (j->nodes > 1) {
			gangs++;
			at_lb += o->racks ==
				 place_min_racks(j->nodes, BL_NODES_PER_RACK);
		}
	}
	printf("GPU utilization:  %.1f%% (busy GPU-seconds / (%.0f GPUs x "
	       "%.2f days))\n",
	       100.0 * s->busy / (gpus * (double)tr->span), gpus,
	       (double)tr->span / 86400.0);
	printf("jobs:             %zu submitted, %ld finished within the "
	       "span, %ld by the end (%.2f days), %ld still running, %zu "
	       "never started\n",
	       tr->n, in_span, finished, (double)s->now / 86400.0, running,
	       tr->n - (size_t)finished - (size_t)running);
	printf("%-10s %8s %8s %10s %10s %10s %10s\n", "size", "jobs", "started",
	       "mean wait", "p50", "p99", "max");
	for (int c = 0; c < TS_NCLASS; c++) {
		size_t n = 0, total = 0;
		double sum = 0;
		char m[32], p50[32], p99[32], mx[32];

		for (size_t i = 0; i < tr->n; i++) {
			if (tr->v[i].cls != c)
				continue;
			total++;
			if (s->out[i].start >= 0) {
				w[n] = s->out[i].start - tr->v[i].submit;
				sum += (double)w[n++];
			}
		}
		if (!total)
			continue;
		if (!n) {
			printf("%-10s %8zu %8zu\n", ts_class_name[c], total, n);
			continue;
		}
		qsort(w, n, sizeof(*w), ts_i64cmp);
		ts_fmt_s(m, sizeof(m), sum / (double)n);
		ts_fmt_s(p50, sizeof(p50), (double)w[(n - 1) / 2]);
		ts_fmt_s(p99, sizeof(p99),
			 (double)w[(size_t)((double)(n - 1) * 0.99 + 0.5)]);
		ts_fmt_s(mx, sizeof(mx), (double)w[n - 1]);
		printf("%-10s %8zu %8zu %10s %10s %10s %10s\n",
		       ts_class_name[c], total, n, m, p50, p99, mx);
	}
	ts_report_big(s);
	printf("racks:            %ld of %ld multi-node jobs (%.1f%%) on "
	       "exactly ceil(nodes/8) racks\n",
	       at_lb, gangs, gangs ? 100.0 * (double)at_lb / (double)gangs : 0);
	printf("time:             %.1f s wall for the simulation; %ld passes, "
	       "%s mean %.3f ms, max %.1f ms; up to %zu jobs pending\n",
	       wall_s, s->passes, sc->name,
	       s->passes ? s->pass_us / (double)s->passes / 1000.0 : 0,
	       s->pass_max_us / 1000.0, s->maxq);
	if (s->preempted)
		printf("preemptions:      %ld (unexpected: one QOS)\n",
		       s->preempted);
	free(w);
}

static void ts_sim_init(struct ts_sim *s, const struct ts_trace *tr)
{
	memset(s, 0, sizeof(*s));
	s->tr = tr;
	s->nnodes = ts_opt.nodes;
	s->out = xcalloc(tr->n, sizeof(*s->out));
	for (size_t i = 0; i < tr->n; i++)
		s->out[i].start = -1;
}

static void ts_sim_free(struct ts_sim *s)
{
	free(s->out);
	free(s->heap);
}

static void ts_colossus(const struct ts_trace *tr, struct cluster *c)
{
	static const struct ts_sched sc = { "plan_run", ts_col_submit,
					    ts_col_finish, ts_col_pass };
	struct ts_sim s;
	double t0;

	ts_sim_init(&s, tr);
	s.c = c;
	s.qos = qos_table_create();
	s.resv = resv_table_create();
	bl_qos_defaults(s.qos);
	s.run = xcalloc(tr->n, sizeof(*s.run));
	printf("\n== Colossus: plan_run + place_find (backfill depth 8, "
	       "horizon 7 days, drain after %lld s, age order, time limit 2x "
	       "duration)\n",
	       (long long)ts_opt.drain_after);
	t0 = bl_now_us();
	ts_run(&s, &sc);
	ts_report(&s, &sc, (bl_now_us() - t0) / 1e6);
	/* Leave the cluster empty and free what is left. */
	for (size_t i = 0; i < tr->n; i++)
		if (s.run[i])
			ts_col_finish(&s, i);
	for (size_t i = 0; i < s.nq; i++)
		job_destroy(s.q[i]);
	free(s.q);
	free(s.run);
	resv_table_destroy(s.resv);
	qos_table_destroy(s.qos);
	ts_sim_free(&s);
}

static void ts_fifo(const struct ts_trace *tr)
{
	static const struct ts_sched sc = { "FIFO pass", ts_fifo_submit,
					    ts_fifo_finish, ts_fifo_pass };
	struct ts_sim s;
	double t0;

	ts_sim_init(&s, tr);
	s.freeg = xcalloc((size_t)s.nnodes, sizeof(*s.freeg));
	memset(s.freeg, BL_GPUS, (size_t)s.nnodes);
	s.cnt[BL_GPUS] = s.nnodes;
	s.fnodes = xcalloc(tr->n, sizeof(*s.fnodes));
	printf("\n== first-fit FIFO (submit order, the head blocks the "
	       "queue, first free nodes in index order)\n");
	t0 = bl_now_us();
	ts_run(&s, &sc);
	ts_report(&s, &sc, (bl_now_us() - t0) / 1e6);
	for (size_t i = 0; i < tr->n; i++)
		free(s.fnodes[i]);
	free(s.fnodes);
	free(s.freeg);
	ts_sim_free(&s);
}

/* ---- main -------------------------------------------------------------- */

static void ts_print_setup(const struct ts_trace *tr, const struct cluster *c)
{
	double work = 0;
	long cls[TS_NCLASS] = { 0 };

	for (size_t i = 0; i < tr->n; i++) {
		const struct ts_job *j = &tr->v[i];
		int64_t left = tr->span - j->submit;

		work += (double)j->nodes * j->gpn *
			(double)(j->dur < left ? j->dur : left);
		cls[tr->v[i].cls]++;
	}
	printf("== setup\n");
	bl_print_machine();
	printf("layout:     %d nodes (%d pods of 8 racks of 8 nodes, 49 pods a "
	       "hall, %d hall(s)), %d GPUs, H100\n",
	       cluster_nnodes(c), cluster_npods(c),
	       (cluster_npods(c) + BL_PODS_PER_HALL - 1) / BL_PODS_PER_HALL,
	       cluster_nnodes(c) * BL_GPUS);
	printf("trace:      %s: %ld rows, %s%.2f days kept x %d copies%s "
	       "(%ld rows too big for the cluster skipped)\n",
	       ts_opt.trace, tr->rows, ts_opt.days > 0 ? "first " : "",
	       (double)tr->span / 86400.0, ts_opt.copies,
	       tr->big ? " + big gangs" : "", tr->skipped);
	printf("jobs:       %zu (1 GPU %ld, 2-8 GPUs %ld, 9-64 GPUs %ld, >64 "
	       "GPUs %ld; %d big gangs of 64-12,544 nodes, 2-12 h, seed %d)\n",
	       tr->n, cls[0], cls[1], cls[2], cls[3], tr->big, ts_opt.seed);
	printf("offered:    %.1f%% of the GPU-seconds of the span (the "
	       "utilization if every job started when submitted)\n",
	       100.0 * work /
		       ((double)cluster_nnodes(c) * BL_GPUS *
			(double)tr->span));
	printf("method:     simulated time, a pass at most every %d s after "
	       "a submit or an end; stop when all jobs ended or %.1f days "
	       "after the span\n",
	       ts_opt.interval, (double)ts_opt.tail / 86400.0);
}

static void ts_usage(FILE *f)
{
	fprintf(f,
		"usage: tracesim [--trace CSV] [--nodes N] [--days D] "
		"[--copies K]\n"
		"                [--big-gangs G] [--pass-interval S] "
		"[--tail S] [--seed N]\n"
		"                [--drain-after S]\n"
		"  --trace          CSV submit_s,gpus,duration_s,... (%s)\n"
		"  --nodes          cluster size, a multiple of 64 (12544)\n"
		"  --days           keep the first D days of the trace; 0: "
		"all (2)\n"
		"  --copies         submit each row K times (20)\n"
		"  --big-gangs      add G gangs of 64-12,544 nodes, 2-12 h "
		"(0)\n"
		"  --pass-interval  simulated seconds between passes (10)\n"
		"  --tail           simulate at most S s past the span "
		"(2592000)\n"
		"  --seed           seed of the big gangs (42)\n"
		"  --drain-after    a blocked job drains its reserved nodes "
		"after\n"
		"                   waiting S s, as the controller's\n"
		"                   backfill_drain_after (0: never, the "
		"default)\n",
		TS_DEFAULT_TRACE);
}

static bool ts_num(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !errno && *s && !*end && *v >= min && *v <= max;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trace", required_argument, NULL, 0 },
		{ "nodes", required_argument, NULL, 0 },
		{ "days", required_argument, NULL, 0 },
		{ "copies", required_argument, NULL, 0 },
		{ "big-gangs", required_argument, NULL, 0 },
		{ "pass-interval", required_argument, NULL, 0 },
		{ "tail", required_argument, NULL, 0 },
		{ "seed", required_argument, NULL, 0 },
		{ "drain-after", required_argument, NULL, 0 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Ranges of the numeric options, in opts order from "nodes". */
	static const double lim[][2] = { { 64, 100352 }, { 0, 3650 },
					 { 1, 1000 },	 { 0, 100000 },
					 { 1, 86400 },	 { 0, 3650 * 86400.0 },
					 { 0, 1e9 },	 { 0, 3650 * 86400.0 } };
	struct ts_trace tr;
	struct cluster *c;
	int o, idx;
	double v, t0 = bl_now_us();

	while ((o = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (o == 'h') {
			ts_usage(stdout);
			return 0;
		}
		if (o != 0) {
			ts_usage(stderr);
			return 2;
		}
		if (idx == 0) {
			ts_opt.trace = optarg;
			continue;
		}
		if (!ts_num(optarg, lim[idx - 1][0], lim[idx - 1][1], &v) ||
		    (idx != 2 && v != floor(v)) ||
		    (idx == 1 && (int)v % BL_NODES_PER_POD)) {
			fprintf(stderr, "tracesim: --%s must be %s%g-%g%s\n",
				opts[idx].name, idx == 2 ? "" : "an integer ",
				lim[idx - 1][0], lim[idx - 1][1],
				idx == 1 ? ", a multiple of 64" : "");
			return 2;
		}
		switch (idx) {
		case 1:
			ts_opt.nodes = (int)v;
			break;
		case 2:
			ts_opt.days = v;
			break;
		case 3:
			ts_opt.copies = (int)v;
			break;
		case 4:
			ts_opt.big = (int)v;
			break;
		case 5:
			ts_opt.interval = (int)v;
			break;
		case 6:
			ts_opt.tail = (int64_t)v;
			break;
		case 7:
			ts_opt.seed = (int)v;
			break;
		default:
			ts_opt.drain_after = (int64_t)v;
			break;
		}
	}
	if (optind < argc) {
		ts_usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ts_seed = (uint64_t)ts_opt.seed;
	ts_load(&tr);
	c = bl_build(ts_opt.nodes / BL_NODES_PER_POD, false);
	ts_print_setup(&tr, c);
	ts_colossus(&tr, c);
	ts_fifo(&tr);
	cluster_destroy(c);
	free(tr.v);
	printf("\n== total %.1f s\n", (bl_now_us() - t0) / 1e6);
	return 0;
}
