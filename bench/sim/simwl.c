/*
 * Simulated workload table: every function of nodeagent/workload.h,
 * without state directories, inotify or shepherds.  A workload lives in
 * memory only; a rank's exit is set by simlaunch.c (end of its run, a
 * kill, a fault) and reported through the real link_report_exits().
 *
 * The contract link.c relies on is kept exactly: a workload whose last
 * exits are in flight (final_sent) is left out of heartbeats; exits are
 * listed in registrations until acknowledged; a finished workload whose
 * exits are all acknowledged is forgotten.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/sim/sim.h"
#include "bench/sim/simwl.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/launch.h"
#include "nodeagent/link.h"
#include "nodeagent/workload.h"

int workload_table_init(struct agent *ag, struct err *e)
{
	(void)e;
	ag->workloads = NULL;
	ag->nworkloads = 0;
	ag->inotify_fd = -1;
	return 0;
}

void workload_table_fini(struct agent *ag)
{
	while (ag->workloads)
		workload_destroy(ag->workloads, false);
}

struct workload *workload_find(struct agent *ag, uint64_t job_id,
			       uint32_t epoch)
{
	/* A node holds a handful of workloads: a list beats a hash. */
	for (struct workload *w = ag->workloads; w; w = w->next)
		if (w->job_id == job_id && w->epoch == epoch)
			return w;
	return NULL;
}

/*
 * Seconds from "N", "Ns", "Nm", "Nh" or "Nd" (as sleep(1) takes them);
 * -1 if s is not such a number.
 */
static double simwl_seconds(const char *s)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	default:
		return -1;
	}
	if (*end && end[1] && !isspace((unsigned char)end[1]))
		return -1;
	return v;
}

/*
 * How long the ranks run and how they end.  Convention (bench/README.md):
 * COLOSSUS_SIM_DURATION=N in the job's environment, else a command
 * "sleep N" (also the first "sleep N" of a batch script), else the
 * simulator's --default-run; 0 means run until killed.
 * COLOSSUS_SIM_EXIT=CODE makes every rank exit with CODE at the end.
 */
static void simwl_duration(struct sim_wl *sw, const Colossus__LaunchJob *m,
			   const struct sim *sim)
{
	double secs = -1;

	sw->exit_code = 0;
	for (size_t i = 0; i < m->n_env; i++) {
		const char *v = m->env[i];

		if (!strncmp(v, "COLOSSUS_SIM_DURATION=", 22))
			secs = simwl_seconds(v + 22);
		else if (!strncmp(v, "COLOSSUS_SIM_EXIT=", 18))
			sw->exit_code = atoi(v + 18) & 255;
	}
	if (secs < 0 && m->n_argv >= 2) {
		const char *slash = strrchr(m->argv[0], '/');
		const char *cmd = slash ? slash + 1 : m->argv[0];

		if (!strcmp(cmd, "sleep"))
			secs = simwl_seconds(m->argv[1]);
	}
	if (secs < 0 && m->script) {
		const char *p = strstr(m->script, "sleep ");

		if (p) {
			char word[32];

			if (sscanf(p + 6, "%31s", word) == 1)
				secs = simwl_seconds(word);
		}
	}
	if (secs < 0)
		secs = sim->opt.default_run;
	sw->run_ms = (int64_t)(secs * 1000.0 / sim->opt.time_scale);
	if (secs > 0 && sw->run_ms < 1)
		sw->run_ms = 1;
	sw->limit_ms = (int64_t)((double)m->time_limit_sec * 1000.0 /
				 sim->opt.time_scale);
	if (m->time_limit_sec && sw->limit_ms < 1)
		sw->limit_ms = 1;
}

struct workload *workload_create(struct agent *ag, const Colossus__LaunchJob *m,
				 struct err *e)
{
	struct sim_node *node = sim_node_of(ag);
	struct sim_wl *sw = xcalloc(1, sizeof(*sw));
	struct workload *w = &sw->w;

	(void)e;
	w->ag = ag;
	w->job_id = m->job_id;
	w->epoch = m->epoch;
	w->state = WL_PREPARED;
	w->wd = -1;
	w->nranks = (uint32_t)m->n_ranks;
	w->ranks = xcalloc(w->nranks ? w->nranks : 1, sizeof(*w->ranks));
	sw->rank_gpus =
		xcalloc(w->nranks ? w->nranks : 1, sizeof(*sw->rank_gpus));
	for (uint32_t i = 0; i < w->nranks; i++) {
		w->ranks[i].rank = m->ranks[i]->rank;
		w->ranks[i].local_rank = m->ranks[i]->local_rank;
		for (size_t g = 0; g < m->ranks[i]->n_gpus; g++)
			if (m->ranks[i]->gpus[g] < 16)
				sw->rank_gpus[i] |=
					(uint16_t)(1u << m->ranks[i]->gpus[g]);
		w->gpu_mask |= sw->rank_gpus[i];
	}
	w->time_limit_sec = m->time_limit_sec;
	w->kill_grace_sec = m->kill_grace_sec ? m->kill_grace_sec : 10;
	w->prepared_mono_ms = util_now_mono_ms();
	simwl_duration(sw, m, node->sim);
	w->next = ag->workloads;
	if (ag->workloads)
		ag->workloads->prev = w;
	ag->workloads = w;
	ag->nworkloads++;
	return w;
}

void workload_readopt(struct agent *ag)
{
	/* Simulated workloads do not outlive the simulator. */
	(void)ag;
}

void workload_scan(struct workload *w)
{
	bool all = w->state != WL_PREPARED;

	for (uint32_t i = 0; i < w->nranks && all; i++)
		all = w->ranks[i].exited;
	/* The simulated shepherd cleans up at once. */
	if (all && !w->done_marker) {
		w->done_marker = true;
		w->state = WL_DONE;
	}
	launch_workload_progress(w);
	link_report_exits(w->ag, w);
}

void workload_scan_all(struct agent *ag)
{
	struct workload *w, *next;

	for (w = ag->workloads; w; w = next) {
		next = w->next;
		if (w->state != WL_PREPARED)
			workload_scan(w);
		else
			launch_check_prepared(w);
	}
}

static void simwl_rank_exit(struct workload *w, struct wl_rank *r, int code,
			    int sig, int cause, const char *detail)
{
	struct sim *sim = sim_node_of(w->ag)->sim;

	r->exited = true;
	r->exit_code = code;
	r->signal = sig;
	r->cause = cause;
	r->end_time_ms = util_now_wall_ms();
	snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
	sim->c.exits++;
}

void simwl_ranks_exit(struct workload *w, int code, int sig, int cause,
		      const char *detail)
{
	for (uint32_t i = 0; i < w->nranks; i++)
		if (!w->ranks[i].exited)
			simwl_rank_exit(w, &w->ranks[i], code, sig, cause,
					detail);
	workload_scan(w);
}

void simwl_gpu_ranks_exit(struct workload *w, unsigned gpu, int code,
			  const char *detail)
{
	struct sim_wl *sw = sim_wl_of(w);
	bool any = false;

	for (uint32_t i = 0; i < w->nranks; i++) {
		struct wl_rank *r = &w->ranks[i];

		if (r->exited || !(sw->rank_gpus[i] & (1u << gpu)))
			continue;
		simwl_rank_exit(w, r, code, 0,
				COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_NORMAL,
				detail);
		any = true;
	}
	if (any)
		workload_scan(w);
}

void workload_exits_acked(struct workload *w, const uint32_t *ranks, size_t n)
{
	bool all = true;

	for (size_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < w->nranks; i++)
			if (w->ranks[i].rank == ranks[k]) {
				w->ranks[i].acked = true;
				w->ranks[i].sent = false;
			}
	for (uint32_t i = 0; i < w->nranks && all; i++)
		all = w->ranks[i].acked;
	if (all && workload_finished(w))
		workload_destroy(w, true);
}

void workload_destroy(struct workload *w, bool remove_files)
{
	struct agent *ag = w->ag;
	struct sim_node *node = sim_node_of(ag);

	(void)remove_files;
	launch_workload_gone(w);
	if (w->prev)
		w->prev->next = w->next;
	else
		ag->workloads = w->next;
	if (w->next)
		w->next->prev = w->prev;
	ag->nworkloads--;
	simjob_ended(node->sim, w->job_id, w->epoch);
	if (w->timer)
		event_free(w->timer);
	free(sim_wl_of(w)->rank_gpus);
	free(w->ranks);
	free(sim_wl_of(w));
}

bool workload_finished(const struct workload *w)
{
	if (w->state == WL_PREPARED)
		return false;
	for (uint32_t i = 0; i < w->nranks; i++)
		if (!w->ranks[i].exited)
			return false;
	return w->done_marker;
}

bool workload_exits_reportable(const struct workload *w)
{
	bool all = w->state != WL_PREPARED;

	for (uint32_t i = 0; i < w->nranks && all; i++)
		all = w->ranks[i].exited;
	return !all || w->done_marker;
}

uint32_t workload_running_ranks(const struct agent *ag)
{
	uint32_t n = 0;

	for (const struct workload *w = ag->workloads; w; w = w->next)
		if (w->state == WL_RUNNING)
			for (uint32_t i = 0; i < w->nranks; i++)
				n += !w->ranks[i].exited;
	return n;
}

void workload_set_cause(struct workload *w, enum wl_cause cause)
{
	if (w->cause != WL_CAUSE_NONE)
		return;
	w->cause = cause;
	w->kill_started_ms = util_now_wall_ms();
}

static Colossus__Workload *simwl_describe(const struct workload *w,
					  bool with_exits)
{
	Colossus__Workload *d = xmalloc(sizeof(*d));

	colossus__workload__init(d);
	d->job_id = w->job_id;
	d->epoch = w->epoch;
	d->ranks = w->nranks;
	d->gpu_mask = w->gpu_mask;
	if (w->state == WL_PREPARED)
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_PREPARED;
	else if (w->killing && !workload_finished(w))
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_KILLING;
	else if (workload_finished(w))
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_EXITED;
	else
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_RUNNING;
	if (!with_exits || !workload_exits_reportable(w))
		return d;
	d->exits = xcalloc(w->nranks + 1, sizeof(*d->exits));
	for (uint32_t i = 0; i < w->nranks; i++) {
		const struct wl_rank *r = &w->ranks[i];
		Colossus__RankExit *x;

		if (!r->exited || r->acked)
			continue;
		x = xmalloc(sizeof(*x));
		colossus__rank_exit__init(x);
		x->rank = r->rank;
		x->exit_code = r->exit_code;
		x->signal = r->signal;
		x->cause = (Colossus__ExitCause)r->cause;
		x->end_time_ms = r->end_time_ms;
		x->detail = (char *)r->detail;
		d->exits[d->n_exits++] = x;
	}
	return d;
}

size_t workload_list(struct agent *ag, bool for_register,
		     Colossus__Workload ***out)
{
	struct sim_node *node = sim_node_of(ag);
	Colossus__Workload **list =
		xcalloc((size_t)ag->nworkloads + 1, sizeof(*list));
	size_t n = 0;

	/* Called once per heartbeat and per registration: count them. */
	if (!for_register) {
		node->sim->c.heartbeats++;
		/* A lost node's heartbeat timer may have been re-armed by a
		 * registration reply in flight: this one is its last. */
		if (node->silent)
			event_del(ag->hb_ev);
	}
	for (struct workload *w = ag->workloads; w; w = w->next) {
		if (!for_register && w->final_sent)
			continue;
		list[n++] = simwl_describe(w, for_register);
	}
	*out = list;
	return n;
}

void workload_list_free(Colossus__Workload **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < list[i]->n_exits; k++)
			free(list[i]->exits[k]);
		free(list[i]->exits);
		free(list[i]);
	}
	free(list);
}
