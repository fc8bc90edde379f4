/*
 * Simulated launcher: every function of nodeagent/launch.h, with no
 * processes.  Prepare checks the order as the real agent does (except
 * the Unix account and working directory, which do not exist here) and
 * records the workload; start lets its ranks "run" for the duration the
 * job asks for (simwl.c); kills make them die kill_delay_ms after the
 * signal; a KillJob is answered only when nothing is left, as the real
 * agent does.
 *
 * One timer per workload carries its next step: prepare expiry, end of
 * the run, time limit, or the death of its ranks after a signal.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
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

static void simlaunch_reply_error(struct agent *ag, struct rpcconn *c,
				  uint64_t id, int status, const char *fmt, ...)
	PRINTF_LIKE(5, 6);
static void simlaunch_reply_error(struct agent *ag, struct rpcconn *c,
				  uint64_t id, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_node_of(ag)->sim->c.refused++;
	log_warn("node=%s launch: %s", ag->node, msg);
	if (id)
		rpcconn_respond_error(c, id, status, "%s", msg);
}

static void simlaunch_reply_ok(struct rpcconn *c, uint64_t id,
			       Colossus__Response *resp)
{
	Colossus__Response empty = COLOSSUS__RESPONSE__INIT;
	struct err e;

	if (!id)
		return;
	if (!resp)
		resp = &empty;
	resp->id = id;
	if (rpcconn_respond(c, resp, &e) < 0)
		log_sub(LOG_SUB_LAUNCH, "reply dropped: %s", e.msg);
}

static void simlaunch_timer_cb(evutil_socket_t fd, short what, void *arg);

static void simlaunch_arm(struct workload *w, int64_t ms)
{
	struct timeval tv;

	if (!w->timer)
		w->timer = evtimer_new(w->ag->base, simlaunch_timer_cb, w);
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

/* The next step of a running workload: end of its run or its limit. */
static void simlaunch_arm_running(struct workload *w)
{
	struct sim_wl *sw = sim_wl_of(w);
	int64_t now = util_now_mono_ms() - sw->started_mono_ms, next = -1;

	if (sw->run_ms)
		next = sw->run_ms;
	if (sw->limit_ms && (next < 0 || sw->limit_ms < next))
		next = sw->limit_ms;
	if (next >= 0)
		simlaunch_arm(w, next - now);
	else if (w->timer)
		evtimer_del(w->timer);
}

static int simlaunch_validate(struct agent *ag, const Colossus__LaunchJob *m,
			      char *why, size_t len)
{
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	uint16_t want = 0, busy = 0;

	if (m->job_id == 0 || m->epoch == 0 || m->n_ranks == 0 ||
	    m->n_ranks > 256) {
		snprintf(why, len, "malformed launch order");
		return COLOSSUS__STATUS__STATUS_INVALID;
	}
	if (m->n_argv == 0 && (!m->script || !*m->script)) {
		snprintf(why, len, "launch order has no command");
		return COLOSSUS__STATUS__STATUS_INVALID;
	}
	for (size_t i = 0; i < m->n_ranks; i++)
		for (size_t g = 0; g < m->ranks[i]->n_gpus; g++) {
			unsigned idx = m->ranks[i]->gpus[g];

			if (idx >= 16 || (inv->count && idx >= inv->count)) {
				snprintf(why, len,
					 "GPU %u requested but this node has "
					 "%u",
					 idx, inv->count);
				return COLOSSUS__STATUS__STATUS_INVALID;
			}
			want |= (uint16_t)(1u << idx);
		}
	for (struct workload *w = ag->workloads; w; w = w->next)
		if (!workload_finished(w))
			busy |= w->gpu_mask;
	if (want & busy) {
		snprintf(why, len, "GPUs 0x%x are still held by another job",
			 want & busy);
		return COLOSSUS__STATUS__STATUS_CONFLICT;
	}
	/* No accounts here: a valid name stands for an existing user. */
	if (!m->user || !util_valid_name(m->user, 63)) {
		snprintf(why, len, "user '%.64s' does not exist on node %s",
			 m->user ? m->user : "", ag->node);
		return COLOSSUS__STATUS__STATUS_NOT_FOUND;
	}
	if (!strcmp(m->user, "root") && !m->allow_root) {
		snprintf(why, len, "refusing to run a job as root on %s",
			 ag->node);
		return COLOSSUS__STATUS__STATUS_PERMISSION;
	}
	return COLOSSUS__STATUS__STATUS_OK;
}

void launch_prepare(struct agent *ag, struct rpcconn *c,
		    const Colossus__Request *req)
{
	struct sim_node *node = sim_node_of(ag);
	const Colossus__LaunchJob *m = req->launch_job;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__LaunchJobReply reply = COLOSSUS__LAUNCH_JOB_REPLY__INIT;
	struct workload *w;
	char why[400];
	int status;
	struct err e;

	if (node->silent)
		return;
	w = workload_find(ag, m->job_id, m->epoch);
	if (w && w->state == WL_PREPARED) {
		simlaunch_reply_ok(c, req->id, NULL);
		return;
	}
	if (w) {
		simlaunch_reply_error(
			ag, c, req->id, COLOSSUS__STATUS__STATUS_CONFLICT,
			"job %" PRIu64 " epoch %u already started", m->job_id,
			m->epoch);
		return;
	}
	status = simlaunch_validate(ag, m, why, sizeof(why));
	if (status != COLOSSUS__STATUS__STATUS_OK) {
		simlaunch_reply_error(ag, c, req->id, status,
				      "job %" PRIu64 ": %s", m->job_id, why);
		return;
	}
	w = workload_create(ag, m, &e);
	simlaunch_arm(w, (int64_t)ag->cfg.prepare_expiry_sec * 1000);
	node->sim->c.launches++;
	simjob_launch(node->sim, m);
	/* A made-up rendezvous port: nothing listens on it. */
	if (m->node_rank == 0)
		reply.master_port = 20000 + (uint32_t)(m->job_id % 30000);
	log_sub(LOG_SUB_LAUNCH, "node=%s job=%" PRIu64 " epoch=%u prepared",
		ag->node, m->job_id, m->epoch);
	resp.body_case = COLOSSUS__RESPONSE__BODY_LAUNCH_JOB;
	resp.launch_job = &reply;
	simlaunch_reply_ok(c, req->id, &resp);
}

void launch_start(struct agent *ag, struct rpcconn *c,
		  const Colossus__Request *req)
{
	struct sim_node *node = sim_node_of(ag);
	const Colossus__StartJob *m = req->start_job;
	struct workload *w;

	if (node->silent)
		return;
	w = workload_find(ag, m->job_id, m->epoch);
	if (!w) {
		simlaunch_reply_error(ag, c, req->id,
				      COLOSSUS__STATUS__STATUS_NOT_FOUND,
				      "job %" PRIu64 " epoch %u was not "
				      "prepared on %s",
				      m->job_id, m->epoch, ag->node);
		return;
	}
	if (w->state != WL_PREPARED) {
		simlaunch_reply_ok(c, req->id, NULL);
		return;
	}
	w->state = WL_RUNNING;
	w->start_wall = util_now_wall_s();
	sim_wl_of(w)->started_mono_ms = util_now_mono_ms();
	simlaunch_arm_running(w);
	node->sim->c.starts++;
	simjob_start(node->sim, m->job_id, m->epoch);
	simlaunch_reply_ok(c, req->id, NULL);
}

static void simlaunch_answer_kills(struct workload *w, bool clean,
				   const char *detail)
{
	while (w->kill_waits) {
		struct wl_kill_wait *kw = w->kill_waits;
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__KillJobReply reply = COLOSSUS__KILL_JOB_REPLY__INIT;
		struct err e;

		w->kill_waits = kw->next;
		reply.clean = clean;
		reply.detail = (char *)(detail ? detail : "");
		resp.id = kw->req_id;
		resp.body_case = COLOSSUS__RESPONSE__BODY_KILL_JOB;
		resp.kill_job = &reply;
		if (!rpcconn_is_closed(kw->conn) &&
		    rpcconn_respond(kw->conn, &resp, &e) < 0)
			log_sub(LOG_SUB_LAUNCH, "kill reply dropped: %s",
				e.msg);
		rpcconn_unref(kw->conn);
		free(kw);
	}
}

static void simlaunch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workload *w = arg;
	struct sim_wl *sw = sim_wl_of(w);
	int64_t ran;

	(void)fd;
	(void)what;
	if (workload_finished(w))
		return;
	if (w->state == WL_PREPARED) {
		launch_check_prepared(w);
		return;
	}
	if (w->killing) {
		/* The ranks die of the signal they were sent. */
		simwl_ranks_exit(
			w, 0, sw->stop_sig,
			w->cause == WL_CAUSE_TIMEOUT
				? COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_TIMEOUT
				: COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_KILLED,
			"");
		return;
	}
	ran = util_now_mono_ms() - sw->started_mono_ms;
	if (sw->limit_ms && ran >= sw->limit_ms &&
	    (!sw->run_ms || sw->run_ms > sw->limit_ms)) {
		log_sub(LOG_SUB_LAUNCH,
			"node=%s job=%" PRIu64 " epoch=%u: time limit reached",
			w->ag->node, w->job_id, w->epoch);
		launch_stop(w, WL_CAUSE_TIMEOUT, SIGTERM, w->kill_grace_sec);
		return;
	}
	if (sw->run_ms && ran >= sw->run_ms) {
		simwl_ranks_exit(w, sw->exit_code, 0,
				 COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_NORMAL,
				 sw->exit_code ? "simulated failure" : "");
		return;
	}
	simlaunch_arm_running(w);
}

void launch_stop(struct workload *w, enum wl_cause cause, int sig,
		 unsigned grace)
{
	struct sim *sim = sim_node_of(w->ag)->sim;
	struct sim_wl *sw = sim_wl_of(w);
	int64_t delay;

	if (w->state == WL_PREPARED) {
		simlaunch_answer_kills(w, true, "");
		workload_destroy(w, true);
		return;
	}
	if (workload_finished(w)) {
		simlaunch_answer_kills(w, true, "");
		return;
	}
	workload_set_cause(w, cause);
	if (w->killing && sig != SIGKILL)
		return; /* already under way */
	w->killing = true;
	/*
	 * The ranks take kill_delay_ms to die of the signal; past the
	 * grace period SIGKILL gets them.
	 */
	delay = sim->opt.kill_delay_ms;
	if (sig == SIGKILL || grace == 0) {
		w->sigkill_sent = true;
		sw->stop_sig = SIGKILL;
		delay = 0;
	} else if (delay > (int64_t)grace * 1000) {
		sw->stop_sig = SIGKILL;
		delay = (int64_t)grace * 1000;
	} else {
		sw->stop_sig = sig;
	}
	simlaunch_arm(w, delay);
}

void launch_kill_request(struct agent *ag, struct rpcconn *c,
			 const Colossus__Request *req)
{
	struct sim_node *node = sim_node_of(ag);
	const Colossus__KillJob *m = req->kill_job;
	int sig = m->signal > 0 && m->signal < 65 ? m->signal : SIGTERM;
	unsigned grace = m->grace_sec ? m->grace_sec : 10;
	struct workload *w, *next;
	bool any = false;

	if (node->silent)
		return;
	node->sim->c.kills++;
	for (w = ag->workloads; w; w = next) {
		next = w->next;
		if (w->job_id != m->job_id ||
		    (m->epoch && w->epoch != m->epoch))
			continue;
		any = true;
		if (m->epoch && req->id) {
			struct wl_kill_wait *kw = xcalloc(1, sizeof(*kw));

			kw->conn = c;
			kw->req_id = req->id;
			rpcconn_ref(c);
			kw->next = w->kill_waits;
			w->kill_waits = kw;
		}
		w->kill_grace_sec = grace;
		launch_stop(w, WL_CAUSE_KILLED, sig, grace);
	}
	/* Nothing (left) to kill, or every epoch: answer now. */
	if (!any || !m->epoch) {
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__KillJobReply reply = COLOSSUS__KILL_JOB_REPLY__INIT;

		reply.clean = !any;
		reply.detail = any ? (char *)"stopping" : (char *)"";
		resp.body_case = COLOSSUS__RESPONSE__BODY_KILL_JOB;
		resp.kill_job = &reply;
		simlaunch_reply_ok(c, req->id, &resp);
	}
}

void launch_fence(struct agent *ag, uint64_t job_id, uint32_t epoch)
{
	struct workload *w = workload_find(ag, job_id, epoch);

	if (!w)
		return;
	sim_node_of(ag)->sim->c.fences++;
	log_sub(LOG_SUB_LAUNCH, "node=%s job=%" PRIu64 " epoch=%u: fenced",
		ag->node, job_id, epoch);
	launch_stop(w, WL_CAUSE_KILLED, SIGKILL, 0);
}

void launch_kill_leftovers(struct workload *w)
{
	/* Simulated ranks leave nothing behind. */
	(void)w;
}

void launch_workload_progress(struct workload *w)
{
	if (!workload_finished(w))
		return;
	if (w->timer)
		evtimer_del(w->timer);
	simlaunch_answer_kills(w, true, "");
}

void launch_workload_gone(struct workload *w)
{
	simlaunch_answer_kills(
		w, workload_finished(w) || w->state == WL_PREPARED, "");
}

void launch_check_prepared(struct workload *w)
{
	int64_t age = util_now_mono_ms() - w->prepared_mono_ms;

	if (w->state != WL_PREPARED ||
	    age < (int64_t)w->ag->cfg.prepare_expiry_sec * 1000)
		return;
	log_warn("node=%s job=%" PRIu64 " epoch=%u: prepared but never "
		 "started; dropping it",
		 w->ag->node, w->job_id, w->epoch);
	workload_destroy(w, true);
}

void launch_rearm(struct workload *w)
{
	if (w->killing) {
		launch_stop(w, w->cause ? w->cause : WL_CAUSE_KILLED, SIGKILL,
			    0);
		return;
	}
	if (w->state == WL_RUNNING)
		simlaunch_arm_running(w);
}

void launch_reap(struct agent *ag)
{
	/* No children. */
	(void)ag;
}

void simlaunch_node_lost(struct sim_node *node)
{
	struct agent *ag = &node->ag;

	/*
	 * The server is gone and its ranks with it.  Nothing is answered:
	 * pending kills are dropped without a reply, as a dead node would.
	 */
	while (ag->workloads) {
		struct workload *w = ag->workloads;

		while (w->kill_waits) {
			struct wl_kill_wait *kw = w->kill_waits;

			w->kill_waits = kw->next;
			rpcconn_unref(kw->conn);
			free(kw);
		}
		workload_destroy(w, true);
	}
}

void simlaunch_gpu_fault(struct sim_node *node, unsigned gpu, unsigned code)
{
	struct workload *w, *next;
	char detail[80];

	snprintf(detail, sizeof(detail), "simulated XID %u on GPU %u", code,
		 gpu);
	for (w = node->ag.workloads; w; w = next) {
		next = w->next;
		if (w->state != WL_RUNNING || w->killing ||
		    !(w->gpu_mask & (1u << gpu)))
			continue;
		/* A CUDA error ends the process with status 1. */
		simwl_gpu_ranks_exit(w, gpu, 1, detail);
	}
}
