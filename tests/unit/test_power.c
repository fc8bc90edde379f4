/*
 * Power (issue 11): the node model and its readings, the [power]
 * configuration, the ramp ledger, the wave plan of a staggered start,
 * the budgets the planner enforces (site, hall and rack limits, with
 * placements that avoid a full hall or rack, and the reserve that keeps
 * a big job from starving), admin limits, and which stops are staggered
 * and which are recorded as power drops.  Protects DESIGN invariant 4
 * (a gang starts whole: waves change when parts are launched, never
 * which parts belong to the gang) and the budgets of issue 11.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/hmap.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/power.h"
#include "controller/powerctl.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/settings.h"
#include "tests/lib/tap.h"

#define NOW 1000000

static bool near(double a, double b)
{
	return fabs(a - b) < 0.01;
}

/* ---- quantities, model, configuration ---------------------------------- */

static void test_watts(void)
{
	struct err e;
	double w = -1;
	char b[32];

	ok(power_parse_watts("40MW", &w, &e) == 0 && near(w, 40e6), "40MW");
	ok(power_parse_watts(" 2.5 kW", &w, &e) == 0 && near(w, 2500),
	   "2.5 kW");
	ok(power_parse_watts("700W", &w, &e) == 0 && near(w, 700), "700W");
	ok(power_parse_watts("0", &w, &e) == 0 && w == 0, "0 needs no unit");
	ok(power_parse_watts("20", &w, &e) < 0 && strstr(e.msg, "unit"),
	   "a number without a unit is refused: %s", e.msg);
	ok(power_parse_watts("1mW", &w, &e) < 0, "mW is refused (ambiguous)");
	ok(power_parse_watts("-1MW", &w, &e) < 0, "negative refused");
	ok(power_parse_watts("lots", &w, &e) < 0, "text refused");
	is_str(power_format(41.2e6, b, sizeof(b)), "41.2 MW", "MW format");
	is_str(power_format(7700, b, sizeof(b)), "7.7 kW", "kW format");
	is_str(power_format(950, b, sizeof(b)), "950 W", "W format");
}

static void test_model(void)
{
	struct power_cfg pc;
	const struct power_model *h100, *b200;
	struct err e;

	power_cfg_defaults(&pc);
	h100 = power_model_find(&pc, "h100");
	is_str(h100->name, "H100", "models are found in any case");
	ok(near(power_node_model(h100, 8, 0), 2500), "H100 node idle 2.5 kW");
	ok(near(power_node_model(h100, 8, 8), 10200), "busy 10.2 kW");
	ok(near(power_node_model(h100, 8, 4), 6350), "half busy in between");
	ok(near(power_node_step(h100, 8, 1), 962.5), "one GPU adds 962.5 W");
	ok(near(power_node_idle(h100, 4), 1900 + 4 * 75) &&
		   near(power_node_busy(h100, 4), 4600 + 4 * 700),
	   "a 4-GPU node: the fixed part plus 4 GPUs");
	is_str(power_model_find(&pc, "MI300X")->name, "default",
	       "an unknown model gets the default figures");
	ok(near(power_node_measured(h100, 8, 600), 2500),
	   "readings at GPU idle: the idle figure");
	ok(near(power_node_measured(h100, 8, 5600), 10200),
	   "readings at TDP: the busy figure");
	ok(near(power_node_measured(h100, 8, 800), 800 + 1900 + 0.04 * 2700),
	   "in between, the rest of the node follows the GPUs' load");
	ok(power_cfg_model(&pc, "B200 idle=3kW busy=14.3kW gpu_max=1000W",
			   &e) == 0,
	   "a new model from a config item");
	b200 = power_model_find(&pc, "B200");
	ok(near(b200->busy_w, 14300) && near(b200->gpu_max_w, 1000) &&
		   near(b200->gpu_idle_w, 75) && b200->ref_gpus == 8,
	   "its figures, the rest from the default model");
	ok(power_cfg_model(&pc, "H100 idle=2.6kW", &e) == 0 &&
		   near(power_model_find(&pc, "H100")->idle_w, 2600) &&
		   near(power_model_find(&pc, "H100")->busy_w, 10200),
	   "an existing model changes only what is given");
	ok(power_cfg_model(&pc, "H100 watts=3kW", &e) < 0 &&
		   strstr(e.msg, "unknown key"),
	   "unknown key: %s", e.msg);
	ok(power_cfg_model(&pc, "H100 idle=11kW", &e) < 0 &&
		   near(power_model_find(&pc, "H100")->idle_w, 2600),
	   "idle above busy is refused and changes nothing: %s", e.msg);
	ok(power_cfg_model(&pc, "idle=3kW", &e) < 0, "the model comes first");
	ok(power_cfg_model(&pc, "H100 gpus=0", &e) < 0, "gpus must be >= 1");
}

static void test_config(void)
{
	struct ctl_config cfg;
	struct power_cfg pc;
	struct err e;

	memset(&cfg, 0, sizeof(cfg));
	if (cfg_defaults(ctl_config_table, &cfg, &e) < 0)
		diag("defaults: %s", e.msg);
	ok(power_cfg_from(&pc, &cfg, &e) == 0 && pc.site_limit_w == 0 &&
		   pc.ramp_w == 0 && pc.reserve,
	   "defaults: no limits, no ramp, reserve on");
	ok(cfg_load_string(ctl_config_table, &cfg, "t.conf",
			   "[power]\n"
			   "node_power = H200 idle=2.7kW busy=10.2kW, "
			   "GB200 idle=4kW busy=14kW gpus=4 gpu_max=1200W\n"
			   "site_limit = 150MW\nhall_limit = 40 MW\n"
			   "ramp = 20MW\nramp_window = 10s\n"
			   "stale_samples = 2\n",
			   &e) == 0,
	   "a [power] section parses");
	ok(power_cfg_from(&pc, &cfg, &e) == 0, "and validates");
	ok(near(pc.site_limit_w, 150e6) && near(pc.hall_limit_w, 40e6) &&
		   near(pc.ramp_w, 20e6) && pc.ramp_window_ms == 10000,
	   "limits and ramp");
	is_int(pc.stale_ms, 2 * 60 * 1000,
	       "readings expire after 2 sample intervals");
	is_int(pc.settle_ms, 60 * 1000,
	       "a reading counts one sample interval after the work ran");
	ok(near(power_model_find(&pc, "gb200")->busy_w, 14000) &&
		   power_model_find(&pc, "GB200")->ref_gpus == 4,
	   "per-model figures from node_power");
	cfg_free(ctl_config_table, &cfg);
	memset(&cfg, 0, sizeof(cfg));
	if (cfg_defaults(ctl_config_table, &cfg, &e) < 0)
		diag("defaults: %s", e.msg);
	if (cfg_set(ctl_config_table, &cfg, "power.ramp", "20", &e) < 0)
		diag("set: %s", e.msg);
	ok(power_cfg_from(&pc, &cfg, &e) < 0 && strstr(e.msg, "ramp"),
	   "a ramp without a unit names the key: %s", e.msg);
	cfg_free(ctl_config_table, &cfg);
}

/* ---- ramp ledger and waves ---------------------------------------------- */

static void test_ramp(void)
{
	struct power_ramp r = { NULL, 0, 0 };
	double steps[4] = { 7700, 7700, 7700, 7700 };
	struct power_wave w[8];
	int n, total = 0;

	power_ramp_add(&r, 0, 5e6);
	power_ramp_add(&r, 3000, 10e6);
	ok(near(power_ramp_used(&r, 5000, 10000), 15e6),
	   "both changes in the window");
	is_int(power_ramp_next_ms(&r, 10000), 10000,
	       "the first leaves the window at 10 s");
	ok(near(power_ramp_used(&r, 10000, 10000), 10e6),
	   "at 10 s only the second counts");
	ok(near(power_ramp_used(&r, 13000, 10000), 0), "at 13 s nothing");
	is_int(power_ramp_next_ms(&r, 10000), INT64_MAX, "the ledger is empty");
	power_ramp_fini(&r);

	is_int(power_wave_admit(steps, 4, 16000, false), 2,
	       "16 kW of headroom: 2 nodes of 7.7 kW");
	is_int(power_wave_admit(steps, 4, 15400, false), 2,
	       "an exact fit goes");
	is_int(power_wave_admit(steps, 4, 0, false), 0, "no headroom: nothing");
	is_int(power_wave_admit(steps, 4, 5000, true), 1,
	       "an idle window lets one part through even if it is too big");
	is_int(power_wave_admit(steps, 4, -1, false), 4, "no ramp: all");

	n = power_wave_plan(12544, 7700, 20e6, 10000, w, 8);
	is_int(n, 5, "a 12,544-node H100 gang under 20 MW per 10 s: 5 waves");
	for (int i = 0; i < n && i < 8; i++)
		total += w[i].parts;
	is_int(total, 12544, "every node in exactly one wave");
	ok(w[0].at_ms == 0 && w[1].at_ms == 10000 && w[4].at_ms == 40000,
	   "one wave per window: the last one 40 s after the first");
	ok(w[0].parts == 2597 && w[0].w <= 20e6,
	   "no wave moves more than the "
	   "ramp (%d nodes, %.1f MW)",
	   w[0].parts, w[0].w / 1e6);
	is_int(power_wave_plan(12544, 7700, 0, 10000, w, 8), 1,
	       "without a ramp: one wave");
	is_int(power_wave_plan(3, 30000, 20000, 1000, w, 8), 3,
	       "parts bigger than the ramp go one per window");
}

/* ---- the controller's budgets --------------------------------------------- */

struct rig {
	struct ctl ctl;
	struct qos_table *qos;
	struct resv_table *resv;
	struct alloc *fake[64];
	int nfake;
	struct job *started[64];
	int nstarted;
};

static struct cluster *build(int halls, int racks_per_hall, int nodes)
{
	struct cluster *c = cluster_create();
	char name[64], parent[64];
	int id = 1, rk = 0;
	struct err e;

	for (int h = 0; h < halls; h++) {
		snprintf(name, sizeof(name), "h%d", h + 1);
		cluster_add_hall(c, h + 1, name, &e);
		snprintf(parent, sizeof(parent), "p%03d", h + 1);
		cluster_add_pod(c, h + 1, parent, name, &e);
		for (int r = 0; r < racks_per_hall; r++, rk++) {
			char rack[64];

			snprintf(rack, sizeof(rack), "r%04d", rk + 1);
			cluster_add_rack(c, rk + 1, rack, parent, &e);
			for (int n = 0; n < nodes; n++, id++) {
				snprintf(name, sizeof(name), "n%05d", id);
				cluster_add_node(c, id, name, rack, n, 8,
						 "H100", &e);
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

static void rig_init(struct rig *g, const char *const *sets)
{
	struct err e;

	memset(g, 0, sizeof(*g));
	if (cfg_defaults(ctl_config_table, &g->ctl.cfg, &e) < 0)
		diag("defaults: %s", e.msg);
	for (int i = 0; sets && sets[i]; i += 2)
		if (cfg_set(ctl_config_table, &g->ctl.cfg, sets[i], sets[i + 1],
			    &e) < 0)
			diag("set %s: %s", sets[i], e.msg);
	g->ctl.base = event_base_new();
	g->ctl.cluster = build(2, 2, 4); /* 2 halls x 2 racks x 4 nodes */
	g->ctl.jobs = job_table_create();
	g->ctl.alloc_index = hmap_create();
	g->ctl.active = true;
	if (powerctl_create(&g->ctl, &e) < 0)
		diag("powerctl: %s", e.msg);
	g->qos = qos_table_create();
	g->resv = resv_table_create();
}

static void rig_fini(struct rig *g)
{
	struct cluster *c = g->ctl.cluster;

	for (int i = 0; i < g->nfake; i++) {
		for (int k = 0; k < cluster_nnodes(c); k++)
			node_use_remove(cluster_node_at(c, k), g->fake[i]);
		if (g->fake[i]->job)
			g->fake[i]->job->alloc = NULL;
		free(g->fake[i]);
	}
	powerctl_destroy(&g->ctl);
	alloc_destroy_all(&g->ctl);
	job_table_destroy(g->ctl.jobs);
	hmap_destroy(g->ctl.alloc_index);
	cluster_destroy(c);
	qos_table_destroy(g->qos);
	resv_table_destroy(g->resv);
	event_base_free(g->ctl.base);
	ctl_config_free(&g->ctl.cfg);
}

static struct job *mkjob(struct rig *g, uint64_t id, uint32_t nodes,
			 uint32_t gpus)
{
	Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
	struct job *job;

	spec.nodes = nodes;
	spec.gpus_per_node = gpus;
	spec.ranks_per_node = 1;
	spec.time_limit_sec = 3600;
	spec.qos = (char *)"normal";
	job = job_create(id, "alice", (const uint8_t *)"", 0, &spec);
	job->submit_time = NOW - 10;
	job_table_add(g->ctl.jobs, job);
	return job;
}

/* The scheduler's start hook, as sched.c does it, without a database. */
static int hook_start(void *arg, struct job *job,
		      const struct place_result *res)
{
	struct rig *g = arg;
	struct alloc *a = xcalloc(1, sizeof(*a));

	a->job = job;
	a->job_id = job->id;
	for (int i = 0; i < res->n; i++)
		if (node_use_add(res->nodes[i], a, i, res->masks[i]) < 0)
			diag("node_use_add failed on %s", res->nodes[i]->name);
	powerctl_started(&g->ctl, res);
	job->alloc = a;
	job->start_time = NOW;
	job->state = JOB_RUNNING;
	g->fake[g->nfake++] = a;
	g->started[g->nstarted++] = job;
	return 0;
}

static bool started(const struct rig *g, const struct job *job)
{
	for (int i = 0; i < g->nstarted; i++)
		if (g->started[i] == job)
			return true;
	return false;
}

static void run_pass(struct rig *g, struct job **jobs, size_t n)
{
	struct plan_cfg cfg = { .bf_depth = 8,
				.bf_horizon_sec = 86400,
				.claim_sec = 300 };
	struct plan_hooks hooks = { hook_start, NULL, g };
	struct plan_stats st;

	powerctl_begin_pass(&g->ctl, &cfg);
	plan_run(g->ctl.cluster, g->qos, g->resv, jobs, n, NOW, 5000, &cfg,
		 &hooks, &st);
}

/* The hall of the first node of job's allocation, by scanning uses. */
static const char *job_hall(struct rig *g, const struct job *job)
{
	const struct cluster *c = g->ctl.cluster;
	const char *hall = NULL;

	for (int i = 0; i < cluster_nnodes(c); i++) {
		const struct node *n = cluster_node_at(c, i);

		for (int u = 0; u < n->nuses; u++) {
			if (n->uses[u].alloc != job->alloc)
				continue;
			if (hall && strcmp(hall, n->rack->pod->hall->name))
				return "several";
			hall = n->rack->pod->hall->name;
		}
	}
	return hall ? hall : "none";
}

static const char *job_rack(struct rig *g, const struct job *job)
{
	const struct cluster *c = g->ctl.cluster;
	const char *rack = NULL;

	for (int i = 0; i < cluster_nnodes(c); i++) {
		const struct node *n = cluster_node_at(c, i);

		for (int u = 0; u < n->nuses; u++) {
			if (n->uses[u].alloc != job->alloc)
				continue;
			if (rack && strcmp(rack, n->rack->name))
				return "several";
			rack = n->rack->name;
		}
	}
	return rack ? rack : "none";
}

static void test_site_limit(void)
{
	/* 16 idle nodes draw 40 kW; 100 kW leaves room for 7 busy nodes. */
	const char *const sets[] = { "power.site_limit", "100kW", NULL };
	struct rig g;
	struct job *jobs[3];
	char why[512];

	rig_init(&g, sets);
	jobs[0] = mkjob(&g, 1, 4, 8);
	jobs[1] = mkjob(&g, 2, 4, 8);
	jobs[2] = mkjob(&g, 3, 1, 8);
	run_pass(&g, jobs, 3);
	ok(started(&g, jobs[0]), "the first 4-node job fits (70.8 kW)");
	ok(!started(&g, jobs[1]), "the second would take the site over");
	is_str(jobs[1]->reason,
	       "waiting for power: the site would draw 101.6 kW of its "
	       "100.0 kW limit",
	       "it says so, with the numbers");
	ok(!started(&g, jobs[2]),
	   "a smaller, lower-priority job does not take the headroom the "
	   "waiting job needs (reserve)");
	ok(strstr(jobs[2]->reason, "held for job 2") != NULL, "why: %s",
	   jobs[2]->reason);
	powerctl_explain(&g.ctl, jobs[1], why, sizeof(why));
	ok(strstr(why,
		  "site 70.8 kW of its 100.0 kW limit (29.2 kW headroom)") !=
		   NULL,
	   "job why shows the budget: %s", why);
	ok(strstr(why, "adds about 30.8 kW (4 x 7.7 kW)") != NULL,
	   "and what the job adds");
	is_int(powerctl_jobs_waiting(&g.ctl), 2,
	       "two jobs are counted as waiting for power");

	/* An admin raises the limit: the waiting job starts. */
	powerctl_set_limit(&g.ctl, POWER_SITE, "", 200e3);
	jobs[1]->state = JOB_PENDING;
	run_pass(&g, jobs + 1, 2);
	ok(started(&g, jobs[1]) && started(&g, jobs[2]),
	   "a raised admin limit lets both start");
	powerctl_set_limit(&g.ctl, POWER_SITE, "", -1);
	ok(near(powerctl_limit(g.ctl.power, POWER_SITE, "", NULL), 100e3),
	   "default: back to the configured limit");
	rig_fini(&g);
}

static void test_no_reserve_and_never_fits(void)
{
	const char *const sets[] = { "power.site_limit", "50kW",
				     "power.reserve", "false", NULL };
	const char *const sets2[] = { "power.site_limit", "50kW", NULL };
	struct rig g;
	struct job *jobs[2];

	rig_init(&g, sets);
	jobs[0] = mkjob(&g, 1, 2, 8); /* 40 + 15.4 > 50 */
	jobs[1] = mkjob(&g, 2, 1, 8); /* 40 + 7.7 fits */
	run_pass(&g, jobs, 2);
	ok(!started(&g, jobs[0]) && started(&g, jobs[1]),
	   "reserve = false: the smaller job uses the headroom");
	rig_fini(&g);

	rig_init(&g, sets2);
	jobs[0] = mkjob(&g, 1, 2, 8);
	jobs[1] = mkjob(&g, 2, 1, 8);
	run_pass(&g, jobs, 2);
	ok(!started(&g, jobs[0]) && started(&g, jobs[1]),
	   "a job that cannot fit even with the site idle holds nothing");
	rig_fini(&g);
}

static void test_hall_and_rack_limits(void)
{
	/* Hall h1: 8 idle nodes = 20 kW; 45 kW leaves 3 busy nodes. */
	const char *const sets[] = { "power.hall_limit", "0", NULL };
	const char *const sets2[] = { "power.rack_limit", "25kW", NULL };
	struct rig g;
	struct job *jobs[2];

	rig_init(&g, sets);
	powerctl_set_limit(&g.ctl, POWER_HALL, "h1", 45e3);
	jobs[0] = mkjob(&g, 1, 4, 8);
	run_pass(&g, jobs, 1);
	ok(started(&g, jobs[0]), "a 4-node job starts");
	is_str(job_hall(&g, jobs[0]), "h2",
	       "in hall h2: h1 would exceed its 45 kW limit");
	jobs[1] = mkjob(&g, 2, 4, 8);
	powerctl_set_limit(&g.ctl, POWER_HALL, "h2", 45e3);
	run_pass(&g, jobs + 1, 1);
	ok(!started(&g, jobs[1]), "with both halls limited it waits");
	ok(strstr(jobs[1]->reason, "waiting for power: hall h") ==
			   jobs[1]->reason &&
		   strstr(jobs[1]->reason, "of its 45.0 kW limit"),
	   "naming the hall: %s", jobs[1]->reason);
	rig_fini(&g);

	/* Racks of 4 idle nodes = 10 kW; 25 kW leaves one busy node. */
	rig_init(&g, sets2);
	powerctl_set_limit(&g.ctl, POWER_RACK, "r0001", 0);
	jobs[0] = mkjob(&g, 1, 4, 8);
	run_pass(&g, jobs, 1);
	ok(started(&g, jobs[0]) && !strcmp(job_rack(&g, jobs[0]), "r0001"),
	   "rack r0001, exempted by an admin (0 = unlimited), takes a "
	   "whole-rack job");
	jobs[1] = mkjob(&g, 2, 4, 8);
	run_pass(&g, jobs + 1, 1);
	ok(!started(&g, jobs[1]) &&
		   strstr(jobs[1]->reason, "rack r000") != NULL,
	   "the other racks are limited to 25 kW: %s", jobs[1]->reason);
	rig_fini(&g);
}

/* ---- waves and stops ------------------------------------------------------- */

static struct alloc *mkalloc(struct rig *g, struct job *job, int first,
			     int count)
{
	struct node *nodes[16];
	uint16_t masks[16];
	struct alloc *a;

	for (int i = 0; i < count; i++) {
		nodes[i] = cluster_node_at(g->ctl.cluster, first + i);
		masks[i] = 0xff;
	}
	a = alloc_create(&g->ctl, job, 1, nodes, masks, count);
	a->committed = true;
	job->alloc = a;
	job->epoch = 1;
	job->state = JOB_STARTING;
	return a;
}

static void test_waves(void)
{
	/* 16 kW per window: two 7.7 kW nodes per wave. */
	const char *const sets[] = { "power.ramp", "16kW", "power.ramp_window",
				     "1h", NULL };
	struct rig g;
	struct job *j1, *j2, *j3;
	struct alloc *a1, *a2, *a3;
	uint64_t drops;

	rig_init(&g, sets);
	j1 = mkjob(&g, 1, 4, 8);
	a1 = mkalloc(&g, j1, 0, 4);
	is_int(powerctl_launch(&g.ctl, a1), 2,
	       "a 4-node gang over a 16 kW ramp: 2 nodes in the first wave");
	is_int(powerctl_queued(&g.ctl, false), 1,
	       "the rest waits for the next window");
	ok(near(powerctl_ramp_used(&g.ctl, true), 15400),
	   "the wave is charged to the window");
	j2 = mkjob(&g, 2, 1, 8);
	a2 = mkalloc(&g, j2, 4, 1);
	is_int(powerctl_launch(&g.ctl, a2), 0,
	       "a later start queues behind it (first come, first served)");
	is_int(powerctl_queued(&g.ctl, false), 2, "two gangs waiting");

	/* Stops: a whole running gang is staggered, a broken one is not. */
	j3 = mkjob(&g, 3, 4, 8);
	a3 = mkalloc(&g, j3, 8, 4);
	for (int i = 0; i < 4; i++)
		a3->parts[i].state = PART_RUNNING;
	powerctl_stopping(&g.ctl, a3);
	ok(a3->kill_held && powerctl_queued(&g.ctl, true) == 1,
	   "a whole running gang dropping 30.8 kW stops in kill waves");
	for (int i = 0; i < 4; i++)
		a1->parts[i].state = PART_RUNNING;
	a1->parts[2].ranks_exited = 1;
	drops = g.ctl.power->drops;
	powerctl_stopping(&g.ctl, a1);
	ok(!a1->kill_held && g.ctl.power->drops == drops + 1,
	   "a gang with a failed rank stops at once, recorded as a drop");
	a2->parts[0].state = PART_LAUNCHING;
	powerctl_stopping(&g.ctl, a2);
	ok(!a2->kill_held, "a gang never told to go just stops");
	rig_fini(&g);
}

int main(void)
{
	test_watts();
	test_model();
	test_config();
	test_ramp();
	test_site_limit();
	test_no_reserve_and_never_fits();
	test_hall_and_rack_limits();
	test_waves();
	return done_testing();
}
