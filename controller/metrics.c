/*
 * Controller metrics: the counters and histograms the hooks feed, and the
 * Prometheus text exposition (format 0.0.4) built at scrape time from
 * them and from memory (cluster model, job table, connections, ctl->stats,
 * pgq statistics).  See metrics.h for what is counted where.
 *
 * Every family is written with its HELP and TYPE lines, even when it has
 * no samples yet, and label sets that describe the cluster (node state x
 * admin state x health) are written in full with zeros, so dashboards and
 * alerts see a 0 rather than an absent series.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/hmap.h"
#include "common/pgq.h"
#include "common/tlsctx.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/http.h"
#include "controller/job.h"
#include "controller/metrics.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "controller/powerctl.h"

#define M_STATUS_SLOTS 12 /* protocol statuses 0..10, then "other" */
#define M_JOB_SLOTS 16	  /* enum job_state values */
#define M_MAX_HEALTH 512  /* (kind, xid) series kept; more go to "other" */
#define M_MAX_HTTP 64
#define M_KIND_LEN 32

struct mhist {
	const double *le;
	int nle;
	uint64_t *counts; /* nle + 1: the last is above every bound */
	uint64_t count;
	double sum;
};

struct mrpc {
	const char *method; /* static string from the dispatch table */
	uint64_t by_status[M_STATUS_SLOTS];
	struct mhist dur;
};

struct mhealth {
	char kind[M_KIND_LEN];
	int xid;
	uint64_t n;
};

struct mhttp {
	const char *handler; /* static string */
	int code;
	uint64_t n;
};

struct metrics {
	int64_t start_wall_s;
	/* Jobs placed at or after this wall second are not yet observed in
	 * the queue wait histogram (see metrics_observe_waits). */
	int64_t qwait_from_s;
	struct mhist qwait, sched, hb_lag;
	struct mrpc *rpc;
	int nrpc;
	struct mhealth *health;
	int nhealth;
	uint64_t health_other;
	struct mhttp http[M_MAX_HTTP];
	int nhttp;
};

/* Bucket bounds, in seconds. */
static const double qwait_le[] = { 0.5,	 1,	2,     5,     10,    30,
				   60,	 120,	300,   600,   1800,  3600,
				   7200, 14400, 43200, 86400, 259200 };
static const double sched_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
				   0.005,  0.01,    0.025,  0.05,  0.1,
				   0.25,   0.5,	    1,	    2.5,   5 };
static const double rpc_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
				 0.01,	 0.025,	  0.05,	  0.1,	 0.25,	 0.5,
				 1,	 2.5,	  5,	  10 };
static const double lag_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				 0.25,	0.5,	1,     2.5,  5,	    10 };

static const char *const status_names[M_STATUS_SLOTS] = {
	"ok",	       "invalid",    "not_found",   "permission",
	"unavailable", "conflict",   "unsupported", "version",
	"busy",	       "not_active", "internal",    "other",
};

static void mhist_init(struct mhist *h, const double *le, int nle)
{
	h->le = le;
	h->nle = nle;
	h->counts = xcalloc((size_t)nle + 1, sizeof(*h->counts));
}

static void mhist_fini(struct mhist *h)
{
	free(h->counts);
}

static void mhist_observe(struct mhist *h, double v)
{
	int i = 0;

	while (i < h->nle && v > h->le[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

struct metrics *metrics_create(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->start_wall_s = util_now_wall_s();
	m->qwait_from_s = m->start_wall_s;
	mhist_init(&m->qwait, qwait_le, (int)ARRAY_SIZE(qwait_le));
	mhist_init(&m->sched, sched_le, (int)ARRAY_SIZE(sched_le));
	mhist_init(&m->hb_lag, lag_le, (int)ARRAY_SIZE(lag_le));
	return m;
}

void metrics_destroy(struct metrics *m)
{
	if (!m)
		return;
	mhist_fini(&m->qwait);
	mhist_fini(&m->sched);
	mhist_fini(&m->hb_lag);
	for (int i = 0; i < m->nrpc; i++)
		mhist_fini(&m->rpc[i].dur);
	free(m->rpc);
	free(m->health);
	free(m);
}

static struct metrics *metrics_of(const struct ctl *ctl)
{
	return ctl && ctl->http ? http_metrics(ctl->http) : NULL;
}

static struct mrpc *metrics_rpc_entry(struct metrics *m, const char *method)
{
	struct mrpc *r;

	/* Method names are the table's static strings: pointers first. */
	for (int i = 0; i < m->nrpc; i++)
		if (m->rpc[i].method == method)
			return &m->rpc[i];
	for (int i = 0; i < m->nrpc; i++)
		if (!strcmp(m->rpc[i].method, method))
			return &m->rpc[i];
	m->rpc = xreallocarray(m->rpc, (size_t)m->nrpc + 1, sizeof(*m->rpc));
	r = &m->rpc[m->nrpc++];
	memset(r, 0, sizeof(*r));
	r->method = method;
	mhist_init(&r->dur, rpc_le, (int)ARRAY_SIZE(rpc_le));
	return r;
}

void metrics_rpc(struct ctl *ctl, const char *method, int status,
		 int64_t duration_us)
{
	struct metrics *m = metrics_of(ctl);
	struct mrpc *r;

	if (!m || !method)
		return;
	r = metrics_rpc_entry(m, method);
	if (status < 0 || status >= M_STATUS_SLOTS - 1)
		status = M_STATUS_SLOTS - 1;
	r->by_status[status]++;
	mhist_observe(&r->dur,
		      (double)(duration_us < 0 ? 0 : duration_us) / 1e6);
}

void metrics_health_event(struct ctl *ctl, const char *kind, int xid)
{
	struct metrics *m = metrics_of(ctl);
	struct mhealth *h;
	char k[M_KIND_LEN];

	if (!m)
		return;
	if (util_strlcpy(k, kind ? kind : "", sizeof(k)) < 0 || !*k) {
		m->health_other++;
		return;
	}
	for (int i = 0; i < m->nhealth; i++) {
		if (m->health[i].xid == xid && !strcmp(m->health[i].kind, k)) {
			m->health[i].n++;
			return;
		}
	}
	if (m->nhealth >= M_MAX_HEALTH) {
		/* Bounded: a flood of odd codes cannot grow the scrape. */
		m->health_other++;
		return;
	}
	m->health = xreallocarray(m->health, (size_t)m->nhealth + 1,
				  sizeof(*m->health));
	h = &m->health[m->nhealth++];
	memcpy(h->kind, k, sizeof(h->kind));
	h->xid = xid;
	h->n = 1;
}

void metrics_heartbeat_lag(struct ctl *ctl, int64_t lag_ms)
{
	struct metrics *m = metrics_of(ctl);

	if (m)
		mhist_observe(&m->hb_lag,
			      (double)(lag_ms < 0 ? 0 : lag_ms) / 1000.0);
}

void metrics_sched_pass(struct ctl *ctl, int64_t duration_us)
{
	struct metrics *m = metrics_of(ctl);

	if (m)
		mhist_observe(&m->sched,
			      (double)(duration_us < 0 ? 0 : duration_us) /
				      1e6);
}

void metrics_http(struct metrics *m, const char *handler, int code)
{
	if (!m)
		return;
	for (int i = 0; i < m->nhttp; i++) {
		if (m->http[i].code == code &&
		    !strcmp(m->http[i].handler, handler)) {
			m->http[i].n++;
			return;
		}
	}
	if (m->nhttp == M_MAX_HTTP)
		return;
	m->http[m->nhttp].handler = handler;
	m->http[m->nhttp].code = code;
	m->http[m->nhttp].n = 1;
	m->nhttp++;
}

/* ---- exposition helpers ---- */

void metrics_label_value(struct evbuffer *out, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '"')
			esc = "\\\"";
		else if (*s == '\n')
			esc = "\\n";
		if (!esc)
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		evbuffer_add(out, esc, strlen(esc));
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
}

static void fam(struct evbuffer *o, const char *name, const char *type,
		const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

static void one_u(struct evbuffer *o, const char *name, const char *type,
		  const char *help, uint64_t v)
{
	fam(o, name, type, help);
	evbuffer_add_printf(o, "%s %llu\n", name, (unsigned long long)v);
}

static void one_d(struct evbuffer *o, const char *name, const char *type,
		  const char *help, double v)
{
	fam(o, name, type, help);
	evbuffer_add_printf(o, "%s %.6f\n", name, v);
}

/*
 * The samples of one histogram; labels is "" or a rendered, escaped
 * label list without braces (method="x").
 */
static void hist_samples(struct evbuffer *o, const char *name,
			 const char *labels, const struct mhist *h)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0;

	for (int i = 0; i < h->nle; i++) {
		cum += h->counts[i];
		evbuffer_add_printf(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
				    labels, sep, h->le[i],
				    (unsigned long long)cum);
	}
	evbuffer_add_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
			    labels, sep, (unsigned long long)h->count);
	if (*labels) {
		evbuffer_add_printf(o, "%s_sum{%s} %.6f\n", name, labels,
				    h->sum);
		evbuffer_add_printf(o, "%s_count{%s} %llu\n", name, labels,
				    (unsigned long long)h->count);
	} else {
		evbuffer_add_printf(o, "%s_sum %.6f\n", name, h->sum);
		evbuffer_add_printf(o, "%s_count %llu\n", name,
				    (unsigned long long)h->count);
	}
}

/* ---- controller and process ---- */

static void render_process(struct metrics *m, struct evbuffer *o)
{
	struct rusage ru;
	struct rlimit rl;
	char buf[128];
	long size = 0, pages = 0;
	ssize_t n;
	int fd;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		one_d(o, "process_cpu_seconds_total", "counter",
		      "User and system CPU time spent in seconds.",
		      (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			      (double)(ru.ru_utime.tv_usec +
				       ru.ru_stime.tv_usec) /
				      1e6);
	/* procfs answers from memory: this read never waits on a disk. */
	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%ld %ld", &size, &pages) == 2)
				one_u(o, "process_resident_memory_bytes",
				      "gauge", "Resident memory size in bytes.",
				      (uint64_t)pages *
					      (uint64_t)sysconf(_SC_PAGESIZE));
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		one_u(o, "process_max_fds", "gauge",
		      "Maximum number of open file descriptors.",
		      (uint64_t)rl.rlim_cur);
	one_u(o, "process_start_time_seconds", "gauge",
	      "Start time of the process since unix epoch in seconds.",
	      (uint64_t)m->start_wall_s);
}

static void render_controller(struct ctl *ctl, struct evbuffer *o)
{
	fam(o, "colossus_controller_info", "gauge",
	    "Controller version and name (always 1).");
	evbuffer_add_printf(o, "colossus_controller_info{version=\"%s\",id=\"",
			    PACKAGE_VERSION);
	metrics_label_value(o, ctl->id);
	evbuffer_add_printf(o, "\"} 1\n");
	one_u(o, "colossus_controller_active", "gauge",
	      "1 when this controller serves (loaded, not standby).",
	      ctl->active);
	one_u(o, "colossus_controller_standby", "gauge",
	      "1 while this controller waits for the HA lock.", ctl->standby);
	one_u(o, "colossus_controller_loaded", "gauge",
	      "1 once the model was rebuilt from the database.", ctl->loaded);
	one_u(o, "colossus_controller_lease_grace", "gauge",
	      "1 while nodes that have not re-registered since start may not "
	      "be declared down.",
	      ctl->active && node_restart_grace(ctl, util_now_mono_ms()));
}

/* ---- jobs ---- */

struct macct {
	const char *name; /* borrowed from a job, valid during the render */
	uint64_t n[M_JOB_SLOTS];
};

static int macct_cmp(const void *a, const void *b)
{
	const struct macct *x = *(struct macct *const *)a;
	const struct macct *y = *(struct macct *const *)b;

	return strcmp(x->name, y->name);
}

/*
 * Jobs placed since the previous scrape: a job placed at wall second S
 * is observed by the first scrape that runs after S has ended, and only
 * by it (S >= the previous scrape's second, S < this one's).  A requeued
 * job is observed again at each new placement.
 */
static void metrics_observe_wait(struct metrics *m, const struct job *job,
				 int64_t now_s)
{
	if (job->start_time >= m->qwait_from_s && job->start_time < now_s &&
	    job->start_time >= job->submit_time)
		mhist_observe(&m->qwait,
			      (double)(job->start_time - job->submit_time));
}

static void render_jobs(struct metrics *m, struct ctl *ctl, struct evbuffer *o)
{
	struct smap *index = smap_create();
	struct macct **accts = NULL;
	size_t nacct = 0, pos = 0;
	int64_t now_s = util_now_wall_s();
	struct job *job;

	while (ctl->jobs && (job = job_table_next(ctl->jobs, &pos)) != NULL) {
		const char *name = job->account ? job->account : "";
		struct macct *a = smap_get(index, name);

		if (!a) {
			a = xcalloc(1, sizeof(*a));
			a->name = name;
			smap_put(index, name, a);
			accts = xreallocarray(accts, nacct + 1, sizeof(*accts));
			accts[nacct++] = a;
		}
		if ((unsigned)job->state < M_JOB_SLOTS)
			a->n[job->state]++;
		metrics_observe_wait(m, job, now_s);
	}
	if (now_s > m->qwait_from_s)
		m->qwait_from_s = now_s;
	if (nacct)
		qsort(accts, nacct, sizeof(*accts), macct_cmp);
	fam(o, "colossus_jobs", "gauge",
	    "Jobs held in memory by state and account (finished jobs stay "
	    "for jobs.finished_retention).");
	for (size_t i = 0; i < nacct; i++) {
		for (int s = 1; s < M_JOB_SLOTS; s++) {
			const char *sn = job_state_name((enum job_state)s);

			if (!strcmp(sn, "unknown"))
				continue;
			evbuffer_add_printf(o,
					    "colossus_jobs{state=\"%s\","
					    "account=\"",
					    sn);
			metrics_label_value(o, accts[i]->name);
			evbuffer_add_printf(o, "\"} %llu\n",
					    (unsigned long long)accts[i]->n[s]);
		}
		free(accts[i]);
	}
	free(accts);
	smap_destroy(index);

	one_u(o, "colossus_jobs_submitted_total", "counter",
	      "Jobs accepted (committed) since the controller started.",
	      ctl->stats.jobs_submitted);
	one_u(o, "colossus_jobs_started_total", "counter",
	      "Job incarnations whose every rank was told to start.",
	      ctl->stats.jobs_started);
	one_u(o, "colossus_jobs_finished_total", "counter",
	      "Jobs that reached a final state.", ctl->stats.jobs_finished);
	one_u(o, "colossus_jobs_requeued_total", "counter",
	      "Infrastructure requeues (node lost, gang start failed).",
	      ctl->stats.jobs_requeued);
	fam(o, "colossus_job_queue_wait_seconds", "histogram",
	    "Time from submission to placement, per placement.");
	hist_samples(o, "colossus_job_queue_wait_seconds", "", &m->qwait);
	one_u(o, "colossus_placements_total", "counter",
	      "Allocations made by the scheduler.", ctl->stats.placements);
	one_u(o, "colossus_sched_passes_total", "counter",
	      "Scheduling passes run.", ctl->stats.sched_passes);
	one_u(o, "colossus_sched_new_job_passes_total", "counter",
	      "Of those, passes over newly submitted jobs only.",
	      ctl->stats.sched_new_passes);
	fam(o, "colossus_sched_pass_duration_seconds", "histogram",
	    "Time one scheduling pass spent on the event loop.");
	hist_samples(o, "colossus_sched_pass_duration_seconds", "", &m->sched);
	one_d(o, "colossus_sched_pass_max_seconds", "gauge",
	      "Longest scheduling pass with work since the controller started.",
	      (double)ctl->stats.sched_max_us / 1e6);
}

/* ---- cluster ---- */

#define NS 3 /* node states, admin states, health states */

static int clamp3(int v)
{
	return v < 0 ? 0 : v > 2 ? 2 : v;
}

static void render_cluster(struct ctl *ctl, struct evbuffer *o)
{
	uint64_t nodes[NS][NS][NS], gpus[NS][NS][NS], racks[NS][NS];
	uint64_t used = 0, fencing = 0, free_ok = 0, late = 0, drained = 0;
	int64_t now = util_now_mono_ms(), age_max = 0;
	int64_t late_ms = (int64_t)ctl->cfg.heartbeat_interval_sec * 2000;
	int nn = ctl->cluster ? cluster_nnodes(ctl->cluster) : 0;
	int nr = ctl->cluster ? cluster_nracks(ctl->cluster) : 0;

	memset(nodes, 0, sizeof(nodes));
	memset(gpus, 0, sizeof(gpus));
	memset(racks, 0, sizeof(racks));
	for (int i = 0; i < nn; i++) {
		const struct node *n = cluster_node_at(ctl->cluster, i);
		int s = clamp3(n->state), h = clamp3(n->health);
		int a = clamp3(
			MAX((int)n->admin_state, (int)n->rack->admin_state));

		nodes[s][a][h]++;
		gpus[s][a][h] += n->gpus;
		used += (uint64_t)__builtin_popcount(n->gpu_used);
		fencing += (uint64_t)__builtin_popcount(n->gpu_fencing);
		if (node_schedulable(n))
			free_ok +=
				(uint64_t)__builtin_popcount(node_free_mask(n));
		if (n->state == NODE_UP && n->last_heartbeat_ms > 0) {
			int64_t age = now - n->last_heartbeat_ms;

			age_max = MAX(age_max, age);
			if (age > late_ms)
				late++;
		}
	}
	for (int i = 0; i < nr; i++) {
		const struct rack *r = cluster_rack_at(ctl->cluster, i);

		racks[clamp3(r->admin_state)][clamp3(r->health)]++;
		if (r->admin_state == ADMIN_DRAINED)
			drained++;
	}
	fam(o, "colossus_nodes", "gauge",
	    "Nodes by liveness, admin state (the node's or its rack's, "
	    "whichever is further) and health.");
	for (int s = 0; s < NS; s++)
		for (int a = 0; a < NS; a++)
			for (int h = 0; h < NS; h++)
				evbuffer_add_printf(
					o,
					"colossus_nodes{state=\"%s\",admin=\"%s"
					"\",health=\"%s\"} %llu\n",
					node_state_name((enum node_state)s),
					admin_state_name((enum admin_state)a),
					health_state_name((enum health_state)h),
					(unsigned long long)nodes[s][a][h]);
	fam(o, "colossus_gpus", "gauge",
	    "GPUs (from the topology) by their node's liveness, admin state "
	    "and health.");
	for (int s = 0; s < NS; s++)
		for (int a = 0; a < NS; a++)
			for (int h = 0; h < NS; h++)
				evbuffer_add_printf(
					o,
					"colossus_gpus{state=\"%s\",admin=\"%s"
					"\",health=\"%s\"} %llu\n",
					node_state_name((enum node_state)s),
					admin_state_name((enum admin_state)a),
					health_state_name((enum health_state)h),
					(unsigned long long)gpus[s][a][h]);
	one_u(o, "colossus_gpus_allocated", "gauge",
	      "GPUs held by allocations (running, starting or being stopped).",
	      used);
	one_u(o, "colossus_gpus_fencing", "gauge",
	      "GPUs held by workloads being fenced (unknown or stale epoch).",
	      fencing);
	one_u(o, "colossus_gpus_free_schedulable", "gauge",
	      "Free GPUs on nodes that may receive new work.", free_ok);
	fam(o, "colossus_racks", "gauge", "Racks by admin state and health.");
	for (int a = 0; a < NS; a++)
		for (int h = 0; h < NS; h++)
			evbuffer_add_printf(
				o,
				"colossus_racks{admin=\"%s\",health=\"%s\"} "
				"%llu\n",
				admin_state_name((enum admin_state)a),
				health_state_name((enum health_state)h),
				(unsigned long long)racks[a][h]);
	one_u(o, "colossus_racks_drained", "gauge",
	      "Racks whose drain is complete.", drained);
	one_u(o, "colossus_heartbeats_total", "counter",
	      "Heartbeats received from agents.", ctl->stats.heartbeats);
	one_d(o, "colossus_heartbeat_age_max_seconds", "gauge",
	      "Longest time since the last heartbeat of any node that is up.",
	      (double)age_max / 1000.0);
	one_u(o, "colossus_nodes_heartbeat_late", "gauge",
	      "Nodes up whose last heartbeat is older than two intervals.",
	      late);
}

/* ---- connections, RPC, health, HTTP ---- */

static void render_conns(struct metrics *m, struct ctl *ctl, struct evbuffer *o)
{
	static const enum tls_role roles[] = {
		TLS_ROLE_NODE,	  TLS_ROLE_USER,       TLS_ROLE_ADMIN,
		TLS_ROLE_MONITOR, TLS_ROLE_CONTROLLER, TLS_ROLE_SIM,
	};
	uint64_t by_role[TLS_ROLE_SIM + 1], handshake = 0, agents = 0;

	memset(by_role, 0, sizeof(by_role));
	for (const struct peer *p = ctl->peers; p; p = p->next) {
		if (!p->identified)
			handshake++;
		else if ((unsigned)p->id.role <= TLS_ROLE_SIM)
			by_role[p->id.role]++;
		if (p->node)
			agents++;
	}
	one_u(o, "colossus_agent_connections", "gauge",
	      "Agents connected and registered for their node.", agents);
	fam(o, "colossus_connections", "gauge",
	    "Open connections by the role in the peer's certificate "
	    "(handshake: not identified yet).");
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		evbuffer_add_printf(o,
				    "colossus_connections{role=\"%s\"} %llu\n",
				    tlsctx_role_name(roles[i]),
				    (unsigned long long)by_role[roles[i]]);
	evbuffer_add_printf(o,
			    "colossus_connections{role=\"handshake\"} %llu\n",
			    (unsigned long long)handshake);
	one_u(o, "colossus_connections_accepted_total", "counter",
	      "TCP connections accepted.", ctl->stats.conns_accepted);
	one_u(o, "colossus_connections_refused_total", "counter",
	      "Connections refused (limit, bad or unknown certificate).",
	      ctl->stats.conns_refused);
	fam(o, "colossus_heartbeat_lag_seconds", "histogram",
	    "Heartbeat receive time minus the agent's send time (includes "
	    "clock skew).");
	hist_samples(o, "colossus_heartbeat_lag_seconds", "", &m->hb_lag);

	one_u(o, "colossus_rpc_received_total", "counter",
	      "Requests received, including unsupported ones.",
	      ctl->stats.rpc_requests);
	fam(o, "colossus_rpc_requests_total", "counter",
	    "Requests answered, by method and status.");
	for (int i = 0; i < m->nrpc; i++)
		for (int s = 0; s < M_STATUS_SLOTS; s++) {
			if (!m->rpc[i].by_status[s] && s)
				continue;
			evbuffer_add_printf(o, "colossus_rpc_requests_total{"
					       "method=\"");
			metrics_label_value(o, m->rpc[i].method);
			evbuffer_add_printf(
				o, "\",status=\"%s\"} %llu\n", status_names[s],
				(unsigned long long)m->rpc[i].by_status[s]);
		}
	fam(o, "colossus_rpc_errors_total", "counter",
	    "Requests answered with an error status, by method.");
	for (int i = 0; i < m->nrpc; i++) {
		uint64_t errs = 0;

		for (int s = 1; s < M_STATUS_SLOTS; s++)
			errs += m->rpc[i].by_status[s];
		evbuffer_add_printf(o, "colossus_rpc_errors_total{method=\"");
		metrics_label_value(o, m->rpc[i].method);
		evbuffer_add_printf(o, "\"} %llu\n", (unsigned long long)errs);
	}
	fam(o, "colossus_rpc_duration_seconds", "histogram",
	    "Time from receiving a request to answering it, by method.");
	for (int i = 0; i < m->nrpc; i++) {
		struct evbuffer *lb = evbuffer_new();
		char *labels;
		size_t len;

		evbuffer_add_printf(lb, "method=\"");
		metrics_label_value(lb, m->rpc[i].method);
		evbuffer_add(lb, "\"", 2); /* with the NUL */
		len = evbuffer_get_length(lb);
		labels = xmalloc(len);
		evbuffer_remove(lb, labels, len);
		evbuffer_free(lb);
		hist_samples(o, "colossus_rpc_duration_seconds", labels,
			     &m->rpc[i].dur);
		free(labels);
	}

	fam(o, "colossus_health_events_total", "counter",
	    "Health events reported, by kind and XID code (0 when not an "
	    "XID).");
	for (int i = 0; i < m->nhealth; i++) {
		evbuffer_add_printf(o, "colossus_health_events_total{kind=\"");
		metrics_label_value(o, m->health[i].kind);
		evbuffer_add_printf(o, "\",xid=\"%d\"} %llu\n",
				    m->health[i].xid,
				    (unsigned long long)m->health[i].n);
	}
	if (m->health_other)
		evbuffer_add_printf(o,
				    "colossus_health_events_total{kind="
				    "\"other\",xid=\"0\"} %llu\n",
				    (unsigned long long)m->health_other);

	fam(o, "colossus_http_requests_total", "counter",
	    "HTTP requests served by this endpoint, by handler and code.");
	for (int i = 0; i < m->nhttp; i++)
		evbuffer_add_printf(o,
				    "colossus_http_requests_total{handler="
				    "\"%s\",code=\"%d\"} %llu\n",
				    m->http[i].handler, m->http[i].code,
				    (unsigned long long)m->http[i].n);
}

static void render_db(struct ctl *ctl, struct evbuffer *o)
{
	struct pgq_stats st;

	memset(&st, 0, sizeof(st));
	if (ctl->db)
		pgq_get_stats(ctl->db, &st);
	one_u(o, "colossus_db_up", "gauge",
	      "1 while the connection to PostgreSQL is up.", ctl->db_up);
	one_u(o, "colossus_db_transactions_total", "counter",
	      "Transactions finished (committed, failed or lost).", st.txns);
	one_u(o, "colossus_db_errors_total", "counter",
	      "Transactions that failed with an error.", st.errors);
	one_u(o, "colossus_db_lost_total", "counter",
	      "Transactions whose outcome is unknown (connection lost).",
	      st.lost);
	one_u(o, "colossus_db_reconnects_total", "counter",
	      "Reconnections to PostgreSQL.", st.reconnects);
	one_u(o, "colossus_db_inflight", "gauge",
	      "Transactions sent and not yet answered.", st.inflight);
	fam(o, "colossus_db_commit_latency_seconds", "summary",
	    "Time from submitting a transaction to its commit, committed "
	    "transactions only.");
	evbuffer_add_printf(
		o,
		"colossus_db_commit_latency_seconds_sum %.6f\n"
		"colossus_db_commit_latency_seconds_count %llu\n",
		(double)st.latency_us_sum / 1e6,
		(unsigned long long)(st.txns - st.errors - st.lost));
	one_d(o, "colossus_db_commit_latency_max_seconds", "gauge",
	      "Longest commit since the controller started.",
	      (double)st.latency_us_max / 1e6);
}

void metrics_render(struct metrics *m, struct ctl *ctl, struct evbuffer *out)
{
	render_controller(ctl, out);
	render_jobs(m, ctl, out);
	render_cluster(ctl, out);
	render_conns(m, ctl, out);
	render_db(ctl, out);
	powerctl_metrics(ctl, out);
	render_process(m, out);
}
