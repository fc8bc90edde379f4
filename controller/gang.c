/*
 * Gang lifecycle.  See gang.h.
 *
 * Callbacks of requests sent to agents never hold pointers to an
 * allocation: it may be gone by the time the answer comes.  They carry
 * (job id, epoch, part index) and look the allocation up again.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
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
#include "controller/peer.h"
#include "controller/powerctl.h"

struct part_ref {
	struct ctl *ctl;
	uint64_t job_id;
	uint32_t epoch;
	int part;
	int node_id;
};

static struct part_ref *part_ref_new(struct ctl *ctl, const struct alloc *a,
				     int part)
{
	struct part_ref *ref = xmalloc(sizeof(*ref));

	ref->ctl = ctl;
	ref->job_id = a->job_id;
	ref->epoch = a->epoch;
	ref->part = part;
	ref->node_id = a->parts[part].node->id;
	return ref;
}

/* The allocation and part a reference points at, if both still exist. */
static struct alloc *part_ref_resolve(const struct part_ref *ref)
{
	struct alloc *a = alloc_find(ref->ctl, ref->job_id, ref->epoch);

	if (!a || ref->part >= a->nparts ||
	    a->parts[ref->part].node->id != ref->node_id)
		return NULL;
	return a;
}

static bool gang_live(const struct alloc *a)
{
	return a->job && a->end == ALLOC_LIVE && a->job->alloc == a;
}

/* ---- stop ---------------------------------------------------------- */

static void gang_send_kill(struct ctl *ctl, struct alloc *a, int i);

static void gang_kill_reply_cb(struct rpcconn *c, const Colossus__Response *resp,
			       const char *why, void *arg)
{
	struct part_ref *ref = arg;
	struct alloc *a = part_ref_resolve(ref);
	struct alloc_part *p;

	(void)c;
	if (!a)
		goto out;
	p = &a->parts[ref->part];
	if (p->state == PART_RELEASED)
		goto out;
	if (resp && resp->status == COLOSSUS__STATUS__STATUS_OK &&
	    (!resp->kill_job || resp->kill_job->clean)) {
		log_sub(LOG_SUB_LAUNCH, "job=%" PRIu64 " epoch=%u node=%s: "
			"fence confirmed", a->job_id, a->epoch, p->node->name);
		alloc_release_part(a, ref->part);
		goto out;
	}
	/*
	 * Not confirmed: the node keeps these GPUs.  Heartbeat
	 * reconciliation retries the kill while the agent still reports
	 * the workload; the part is freed once it is gone.
	 */
	log_warn("job=%" PRIu64 " epoch=%u node=%s: kill not confirmed: %s",
		 a->job_id, a->epoch, p->node->name,
		 resp ? (resp->error && *resp->error ? resp->error
						      : "processes remain")
		      : why);
	p->kill_sent = false;
out:
	free(ref);
}

static void gang_send_kill(struct ctl *ctl, struct alloc *a, int i)
{
	struct alloc_part *p = &a->parts[i];
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kill = COLOSSUS__KILL_JOB__INIT;
	struct part_ref *ref;
	struct err e;

	if (p->kill_sent || !p->node->peer)
		return;
	kill.job_id = a->job_id;
	kill.epoch = a->epoch;
	kill.signal = SIGTERM;
	kill.grace_sec = a->kill_grace_sec ? a->kill_grace_sec
					   : (uint32_t)ctl->cfg.kill_grace_sec;
	kill.reason = a->end_reason;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kill;
	ref = part_ref_new(ctl, a, i);
	if (rpcconn_request(p->node->peer->conn, &req,
			    (kill.grace_sec + 30) * 1000, gang_kill_reply_cb,
			    ref, &e) < 0) {
		log_warn("job=%" PRIu64 " node=%s: cannot send kill: %s",
			 a->job_id, p->node->name, e.msg);
		free(ref);
		return;
	}
	p->kill_sent = true;
	p->kill_sent_ms = util_now_mono_ms();
}

void gang_kill_part(struct ctl *ctl, struct alloc *a, int i)
{
	gang_send_kill(ctl, a, i);
}

void gang_stop(struct ctl *ctl, struct alloc *a, const char *reason)
{
	if (a->end == ALLOC_LIVE) {
		a->end = ALLOC_ENDING;
		alloc_set_end_reason(a, reason);
		/* A whole running gang may have to stop in power waves. */
		powerctl_stopping(ctl, a);
	}
	if (a->timer)
		event_del(a->timer);
	/* Walk backwards: releasing the last part frees the allocation. */
	for (int i = a->nparts - 1; i >= 0; i--) {
		struct alloc_part *p = &a->parts[i];
		int remaining = a->nparts - a->parts_released;

		if (p->state == PART_RELEASED)
			continue;
		if (p->exits_done || p->state == PART_NEW ||
		    p->node->state == NODE_DOWN) {
			alloc_release_part(a, i);
			if (remaining == 1)
				return; /* a is freed */
			continue;
		}
		if (!a->kill_held)
			gang_send_kill(ctl, a, i);
	}
}

/* ---- requeue and finish ------------------------------------------------ */

static void gang_detach(struct ctl *ctl, struct job *job, const char *reason)
{
	struct alloc *a = job->alloc;

	if (!a)
		return;
	job->alloc = NULL;
	a->job = NULL;
	gang_stop(ctl, a, reason);
}

void gang_requeue(struct ctl *ctl, struct job *job, const char *reason,
		  struct node *culprit)
{
	char why[400];
	int64_t backoff;

	if (culprit)
		job_exclude(job, culprit->id);
	if (job->restarts >= job->max_restarts) {
		snprintf(why, sizeof(why), "restart limit (%u) reached: %s",
			 job->max_restarts, reason);
		gang_finish(ctl, job, JOB_FAILED, why, false, 0);
		return;
	}
	job->restarts++;
	gang_detach(ctl, job, reason);
	/*
	 * The first restart is immediate: one fault, with the culprit
	 * excluded, should cost the job nothing more (issue 5: replacement
	 * launch orders within a second of a fatal XID).  A job that keeps
	 * failing backs off from the second restart, doubling each time.
	 */
	backoff = 0;
	if (job->restarts >= 2) {
		backoff = ctl->cfg.requeue_backoff_sec * 1000;
		for (uint32_t i = 2; i < job->restarts && backoff < 300000;
		     i++)
			backoff *= 2;
	}
	job->eligible_mono_ms = util_now_mono_ms() + backoff;
	snprintf(why, sizeof(why), "requeued (attempt %u): %s",
		 job->restarts + 1, reason);
	ctl->stats.jobs_requeued++;
	if (job_set_state(ctl, job, JOB_PENDING, why) == 0)
		ctl_sched_soon(ctl);
}

void gang_preempt(struct ctl *ctl, struct job *job, const char *reason,
		  uint32_t grace_sec, bool cancel)
{
	char why[300];

	if (job->alloc)
		job->alloc->kill_grace_sec = grace_sec ? grace_sec : 1;
	if (cancel) {
		gang_finish(ctl, job, JOB_CANCELLED, reason, false, 0);
		return;
	}
	/* Requeued without spending a restart: it keeps its place (its
	 * priority comes from its submit time, which does not change). */
	gang_detach(ctl, job, reason);
	snprintf(why, sizeof(why), "requeued: %s", reason);
	job->preempted = false;
	if (job_set_state(ctl, job, JOB_PENDING, why) == 0)
		ctl_sched_soon(ctl);
}

void gang_finish(struct ctl *ctl, struct job *job, int state,
		 const char *reason, bool has_exit, int exit_code)
{
	if (job_state_final(job->state))
		return;
	if (has_exit) {
		job->has_exit_code = true;
		job->exit_code = exit_code;
	}
	if (job->alloc)
		alloc_set_end_reason(job->alloc, reason);
	gang_detach(ctl, job, reason);
	job_set_state(ctl, job, (enum job_state)state, reason);
}

/* ---- phase 2: start ------------------------------------------------- */

static void gang_start_reply_cb(struct rpcconn *c, const Colossus__Response *resp,
				const char *why, void *arg)
{
	struct part_ref *ref = arg;
	struct alloc *a = part_ref_resolve(ref);
	struct ctl *ctl = ref->ctl;
	struct alloc_part *p;
	char reason[300];

	(void)c;
	if (!a || !gang_live(a))
		goto out;
	p = &a->parts[ref->part];
	if (resp && resp->status == COLOSSUS__STATUS__STATUS_OK) {
		if (p->state == PART_STARTING) {
			p->state = PART_RUNNING;
			a->parts_running++;
		}
		goto out;
	}
	snprintf(reason, sizeof(reason), "node %s failed to start its ranks: %s",
		 p->node->name,
		 resp ? (resp->error ? resp->error : "error") : why);
	gang_requeue(ctl, a->job, reason, p->node);
out:
	free(ref);
}

static void gang_start(struct ctl *ctl, struct alloc *a)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__StartJob start = COLOSSUS__START_JOB__INIT;
	struct job *job = a->job;

	start.job_id = a->job_id;
	start.epoch = a->epoch;
	start.master_port = a->master_port;
	req.body_case = COLOSSUS__REQUEST__BODY_START_JOB;
	req.start_job = &start;
	for (int i = 0; i < a->nparts; i++) {
		struct alloc_part *p = &a->parts[i];
		struct part_ref *ref;
		struct err e;

		if (!p->node->peer) {
			char reason[200];

			snprintf(reason, sizeof(reason),
				 "node %s disconnected before start",
				 p->node->name);
			gang_requeue(ctl, job, reason, p->node);
			return;
		}
		ref = part_ref_new(ctl, a, i);
		if (rpcconn_request(p->node->peer->conn, &req,
				    (unsigned)ctl->cfg.prepare_timeout_sec * 1000,
				    gang_start_reply_cb, ref, &e) < 0) {
			char reason[300];

			free(ref);
			snprintf(reason, sizeof(reason),
				 "cannot send start to node %s: %s",
				 p->node->name, e.msg);
			gang_requeue(ctl, job, reason, p->node);
			return;
		}
		p->state = PART_STARTING;
	}
	job_set_state(ctl, job, JOB_RUNNING, "");
	ctl->stats.jobs_started++;
	log_sub(LOG_SUB_LAUNCH, "job=%" PRIu64 " epoch=%u: go sent to %d nodes "
		"(%.1f ms after placement)", a->job_id, a->epoch, a->nparts,
		(double)(util_now_mono_ms() - a->created_mono_ms));
}

/* ---- phase 1: prepare ------------------------------------------------ */

static void gang_part_prepared(struct ctl *ctl, struct alloc *a, int i)
{
	struct alloc_part *p = &a->parts[i];

	if (p->state != PART_LAUNCHING)
		return;
	p->state = PART_PREPARED;
	a->parts_prepared++;
	if (a->parts_prepared == a->nparts && a->job &&
	    a->job->state == JOB_STARTING)
		gang_start(ctl, a);
}

static void gang_launch_reply_cb(struct rpcconn *c,
				 const Colossus__Response *resp,
				 const char *why, void *arg)
{
	struct part_ref *ref = arg;
	struct alloc *a = part_ref_resolve(ref);
	struct ctl *ctl = ref->ctl;
	struct alloc_part *p;
	char reason[300];

	(void)c;
	if (!a || !gang_live(a))
		goto out;
	p = &a->parts[ref->part];
	if (resp && resp->status == COLOSSUS__STATUS__STATUS_OK) {
		if (ref->part == 0 && resp->launch_job &&
		    resp->launch_job->master_port)
			a->master_port = resp->launch_job->master_port;
		gang_part_prepared(ctl, a, ref->part);
		goto out;
	}
	snprintf(reason, sizeof(reason), "node %s failed to prepare: %s",
		 p->node->name,
		 resp ? (resp->error && *resp->error ? resp->error : "error")
		      : why);
	gang_requeue(ctl, a->job, reason, p->node);
out:
	free(ref);
}

/* Everything every node of the gang gets the same. */
struct launch_common {
	Colossus__JobSpec *spec;
	char *nodelist;
	char *script;
	const char *master_addr;
	char default_out[64];
};

static void gang_fill_ranks(const struct alloc *a, int i, const struct job *job,
			    Colossus__LaunchJob *m, Colossus__LocalRank *ranks,
			    Colossus__LocalRank **rank_ptrs, uint32_t *gpu_store)
{
	uint16_t mask = a->parts[i].gpu_mask;
	uint32_t gpus[16];
	unsigned ngpus = 0, rpn = a->ranks_per_node, per_rank;

	for (unsigned g = 0; g < 16; g++)
		if (mask & (1u << g))
			gpus[ngpus++] = g;
	/*
	 * Split the node's GPUs evenly between its ranks when they divide;
	 * otherwise every rank sees all of them.
	 */
	per_rank = (rpn && ngpus % rpn == 0) ? ngpus / rpn : ngpus;
	for (unsigned r = 0; r < rpn; r++) {
		Colossus__LocalRank *lr = &ranks[r];

		colossus__local_rank__init(lr);
		lr->rank = (uint32_t)i * rpn + r;
		lr->local_rank = r;
		lr->gpus = gpu_store + r * 16;
		if (per_rank == ngpus) {
			memcpy(lr->gpus, gpus, ngpus * sizeof(uint32_t));
			lr->n_gpus = ngpus;
		} else {
			memcpy(lr->gpus, gpus + r * per_rank,
			       per_rank * sizeof(uint32_t));
			lr->n_gpus = per_rank;
		}
		rank_ptrs[r] = lr;
	}
	m->n_ranks = rpn;
	m->ranks = rank_ptrs;
	(void)job;
}

void gang_launch(struct ctl *ctl, struct alloc *a)
{
	/* The ramp limit may hold later waves back (powerctl.c). */
	int now = powerctl_launch(ctl, a);

	if (now > 0)
		gang_launch_parts(ctl, a, now);
}

int gang_launch_parts(struct ctl *ctl, struct alloc *a, int max)
{
	struct job *job = a->job;
	struct launch_common lc;
	Colossus__LaunchJob m = COLOSSUS__LAUNCH_JOB__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	unsigned rpn = a->ranks_per_node;
	Colossus__LocalRank *ranks = xcalloc(rpn, sizeof(*ranks));
	Colossus__LocalRank **rank_ptrs = xcalloc(rpn, sizeof(*rank_ptrs));
	uint32_t *gpu_store = xcalloc((size_t)rpn * 16, sizeof(uint32_t));
	char **env = NULL, *array_id = NULL, *array_task = NULL;
	size_t nenv = 0;
	int sent = 0;
	int64_t t0 = util_now_mono_us();

	memset(&lc, 0, sizeof(lc));
	lc.spec = colossus__job_spec__unpack(NULL, job->spec_len, job->spec);
	if (!lc.spec) {
		/* The spec was validated at submit; a bad row is a bug. */
		gang_finish(ctl, job, JOB_FAILED, "stored job spec is corrupt",
			    false, 0);
		sent = -1;
		goto out;
	}
	lc.nodelist = alloc_nodelist(a);
	lc.master_addr = a->parts[0].node->address[0]
				 ? a->parts[0].node->address
				 : a->parts[0].node->name;
	m.job_id = a->job_id;
	m.epoch = a->epoch;
	m.user = job->user;
	m.n_argv = lc.spec->n_argv;
	m.argv = lc.spec->argv;
	/* The job's own environment plus its array task, if any. */
	env = xcalloc(lc.spec->n_env + 3, sizeof(char *));
	if (lc.spec->n_env)
		memcpy(env, lc.spec->env, lc.spec->n_env * sizeof(char *));
	nenv = lc.spec->n_env;
	if (job->array_job_id) {
		env[nenv++] = array_id =
			xasprintf("COLOSSUS_ARRAY_JOB_ID=%" PRIu64,
				  job->array_job_id);
		env[nenv++] = array_task =
			xasprintf("COLOSSUS_ARRAY_TASK_ID=%u", job->array_task);
	}
	m.n_env = nenv;
	m.env = env;
	m.workdir = lc.spec->workdir;
	m.stdout_path = lc.spec->stdout_path;
	m.stderr_path = lc.spec->stderr_path;
	m.world_size = (uint32_t)a->nparts * rpn;
	m.num_nodes = (uint32_t)a->nparts;
	m.ranks_per_node = rpn;
	m.master_addr = (char *)lc.master_addr;
	m.nodelist = lc.nodelist;
	m.time_limit_sec = job->time_limit_sec;
	m.memory_mib = lc.spec->memory_mib;
	m.cpus = lc.spec->cpus_per_node;
	m.script = lc.spec->script;
	m.progress_timeout_sec = lc.spec->progress_timeout_sec;
	m.allow_root = ctl->cfg.allow_root_jobs;
	m.kill_grace_sec = (uint32_t)ctl->cfg.kill_grace_sec;
	req.body_case = COLOSSUS__REQUEST__BODY_LAUNCH_JOB;
	req.launch_job = &m;
	for (int i = 0; i < a->nparts && sent < max; i++) {
		struct alloc_part *p = &a->parts[i];
		struct part_ref *ref;
		struct err e;
		char reason[300];

		if (p->state != PART_NEW)
			continue; /* an earlier wave */
		if (!p->node->peer) {
			snprintf(reason, sizeof(reason),
				 "node %s is not connected", p->node->name);
			gang_requeue(ctl, job, reason, p->node);
			sent = -1;
			break;
		}
		m.node_rank = (uint32_t)i;
		gang_fill_ranks(a, i, job, &m, ranks, rank_ptrs, gpu_store);
		ref = part_ref_new(ctl, a, i);
		if (rpcconn_request(p->node->peer->conn, &req,
				    (unsigned)ctl->cfg.prepare_timeout_sec * 1000,
				    gang_launch_reply_cb, ref, &e) < 0) {
			free(ref);
			snprintf(reason, sizeof(reason),
				 "cannot send launch to node %s: %s",
				 p->node->name, e.msg);
			gang_requeue(ctl, job, reason, p->node);
			sent = -1;
			break;
		}
		p->state = PART_LAUNCHING;
		sent++;
	}
	log_sub(LOG_SUB_LAUNCH, "job=%" PRIu64 " epoch=%u: LaunchJob queued "
		"for %d nodes in %.1f ms", a->job_id, a->epoch, sent,
		(double)(util_now_mono_us() - t0) / 1000.0);
out:
	if (lc.spec)
		colossus__job_spec__free_unpacked(lc.spec, NULL);
	free(lc.nodelist);
	free(env);
	free(array_id);
	free(array_task);
	free(ranks);
	free(rank_ptrs);
	free(gpu_store);
	return sent;
}

/* ---- exits ------------------------------------------------------------ */

static const char *gang_signal_name(int sig, char *buf, size_t len)
{
	const char *s = sigabbrev_np(sig);

	if (s)
		snprintf(buf, len, "SIG%s", s);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

void gang_rank_exits(struct ctl *ctl, struct node *n,
		     const Colossus__RankExits *m)
{
	struct alloc *a = alloc_find(ctl, m->job_id, m->epoch);
	struct alloc_part *p;
	int i;
	char reason[400];
	enum { NONE, INFRA, APP, TIMEOUT } fail = NONE;
	int fail_code = 0;

	reason[0] = '\0';
	if (!a || (i = alloc_part_index(a, n)) < 0) {
		log_sub(LOG_SUB_LAUNCH, "node=%s: exits for unknown job=%" PRIu64
			" epoch=%u ignored", n->name, m->job_id, m->epoch);
		return;
	}
	p = &a->parts[i];
	if (p->state == PART_RELEASED)
		return;
	for (size_t k = 0; k < m->n_exits; k++) {
		const Colossus__RankExit *x = m->exits[k];
		char sig[32];

		if (p->ranks_exited < a->ranks_per_node)
			p->ranks_exited++;
		switch (x->cause) {
		case COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LAUNCH_FAILED:
		case COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LOST:
			if (fail < INFRA) {
				fail = INFRA;
				snprintf(reason, sizeof(reason),
					 "rank %u on node %s could not run: %s",
					 x->rank, n->name,
					 x->detail ? x->detail : "");
			}
			break;
		case COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_TIMEOUT:
			if (fail < TIMEOUT) {
				fail = TIMEOUT;
				snprintf(reason, sizeof(reason),
					 "time limit reached");
			}
			break;
		case COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_KILLED:
			break;
		default:
			if ((x->exit_code != 0 || x->signal != 0) &&
			    fail < APP) {
				fail = APP;
				fail_code = x->signal ? 128 + x->signal
						      : x->exit_code;
				if (x->signal)
					snprintf(reason, sizeof(reason),
						 "rank %u on node %s killed by "
						 "%s",
						 x->rank, n->name,
						 gang_signal_name(x->signal, sig,
								  sizeof(sig)));
				else
					snprintf(reason, sizeof(reason),
						 "rank %u on node %s exited "
						 "with code %d%s%s",
						 x->rank, n->name, x->exit_code,
						 x->detail && *x->detail ? ": "
									 : "",
						 x->detail ? x->detail : "");
			}
			break;
		}
	}
	if (!p->exits_done && p->ranks_exited >= a->ranks_per_node) {
		p->exits_done = true;
		a->parts_exited++;
	}
	if (gang_live(a)) {
		struct job *job = a->job;

		if (fail == INFRA) {
			gang_requeue(ctl, job, reason, n);
		} else if (fail == TIMEOUT) {
			gang_finish(ctl, job, JOB_TIMEOUT, reason, false, 0);
		} else if (fail == APP) {
			Colossus__JobSpec *spec = colossus__job_spec__unpack(
				NULL, job->spec_len, job->spec);
			bool requeue = spec && spec->requeue_on_failure;

			if (spec)
				colossus__job_spec__free_unpacked(spec, NULL);
			if (requeue)
				gang_requeue(ctl, job, reason, NULL);
			else
				gang_finish(ctl, job, JOB_FAILED, reason, true,
					    fail_code);
		} else if (a->parts_exited == a->nparts) {
			gang_finish(ctl, job, JOB_COMPLETED, "", true, 0);
		}
	}
	/* The allocation may have been freed by a stop above. */
	a = alloc_find(ctl, m->job_id, m->epoch);
	if (a && a->parts[i].exits_done)
		alloc_release_part(a, i);
}

/* ---- node loss and reconciliation -------------------------------------- */

void gang_node_lost(struct ctl *ctl, struct node *n, const char *reason)
{
	char why[300];

	snprintf(why, sizeof(why), "node %s lost: %s", n->name, reason);
	/* Each step may release uses; restart the scan after each. */
	while (n->nuses > 0) {
		struct alloc *a = n->uses[0].alloc;
		int part = n->uses[0].part;

		if (gang_live(a))
			gang_requeue(ctl, a->job, why, n);
		/* Requeue stops the gang; the down node's part is released
		 * there, unless it was not yet marked down. */
		a = n->nuses > 0 && n->uses[0].alloc == a ? a : NULL;
		if (a)
			alloc_release_part(a, part);
	}
}

static Colossus__WorkloadRef *gang_fence_ref(const Colossus__Workload *w)
{
	Colossus__WorkloadRef *ref = xmalloc(sizeof(*ref));

	colossus__workload_ref__init(ref);
	ref->job_id = w->job_id;
	ref->epoch = w->epoch;
	return ref;
}

static void gang_fence_kill_cb(struct rpcconn *c, const Colossus__Response *resp,
			       const char *why, void *arg)
{
	(void)c;
	(void)resp;
	(void)why;
	(void)arg;
}

static void gang_fence_now(struct ctl *ctl, struct node *n,
			   const Colossus__Workload *w)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kill = COLOSSUS__KILL_JOB__INIT;
	struct err e;

	kill.job_id = w->job_id;
	kill.epoch = w->epoch;
	kill.signal = SIGKILL;
	kill.reason = "stale incarnation (fenced)";
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kill;
	if (n->peer &&
	    rpcconn_request(n->peer->conn, &req,
			    (unsigned)(ctl->cfg.kill_grace_sec + 30) * 1000,
			    gang_fence_kill_cb, NULL, &e) < 0)
		log_warn("node=%s: cannot fence job=%" PRIu64 " epoch=%u: %s",
			 n->name, w->job_id, w->epoch, e.msg);
}

size_t gang_reconcile(struct ctl *ctl, struct node *n,
		      Colossus__Workload *const *w, size_t nw, bool registering,
		      Colossus__WorkloadRef ***fence)
{
	uint16_t fencing = 0;
	size_t nfence = 0;
	bool seen[NODE_MAX_ALLOCS] = { false };

	if (fence)
		*fence = NULL;
	for (size_t k = 0; k < nw; k++) {
		struct alloc *a = alloc_find(ctl, w[k]->job_id, w[k]->epoch);
		int i = a ? alloc_part_index(a, n) : -1;

		if (i < 0 || a->parts[i].state == PART_RELEASED) {
			/* Not ours (any more): fence it (invariant 3). */
			fencing |= (uint16_t)w[k]->gpu_mask;
			log_info("node=%s job=%" PRIu64 " epoch=%u: fencing "
				 "stale workload",
				 n->name, w[k]->job_id, w[k]->epoch);
			if (registering && fence) {
				*fence = xreallocarray(*fence, nfence + 1,
						       sizeof(**fence));
				(*fence)[nfence++] = gang_fence_ref(w[k]);
			} else {
				gang_fence_now(ctl, n, w[k]);
			}
			continue;
		}
		for (int u = 0; u < n->nuses; u++)
			if (n->uses[u].alloc == a)
				seen[u] = true;
		if (w[k]->n_exits) {
			Colossus__RankExits ex = COLOSSUS__RANK_EXITS__INIT;

			ex.job_id = w[k]->job_id;
			ex.epoch = w[k]->epoch;
			ex.n_exits = w[k]->n_exits;
			ex.exits = w[k]->exits;
			gang_rank_exits(ctl, n, &ex);
			a = alloc_find(ctl, w[k]->job_id, w[k]->epoch);
			if (!a || a->parts[i].state == PART_RELEASED)
				continue;
		}
		if (registering && a->parts[i].state == PART_LAUNCHING &&
		    w[k]->state ==
			    COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_PREPARED) {
			/*
			 * Node-rank 0 chose the rendezvous port when it
			 * prepared; a restarted controller does not know it:
			 * ask again (a repeated LaunchJob gets the same
			 * answer, and the same port).
			 */
			if (i == 0 && !a->master_port && gang_live(a) &&
			    a->job->state == JOB_STARTING) {
				a->parts[i].state = PART_NEW;
				powerctl_relaunch(ctl, a);
			} else {
				gang_part_prepared(ctl, a, i);
			}
		}
		if (a->end == ALLOC_ENDING && !a->parts[i].kill_sent &&
		    !a->kill_held)
			gang_send_kill(ctl, a, i);
	}
	if (n->gpu_fencing != fencing) {
		n->gpu_fencing = fencing;
		node_recount(n);
	}
	/*
	 * Expected parts the agent no longer holds.  Ranks report their
	 * exits before their workload leaves the agent's list, so a part
	 * that vanished without exits was lost.  A part still being
	 * launched is normal, except at registration: the agent just told
	 * us everything it has.
	 */
	for (int u = n->nuses - 1; u >= 0; u--) {
		struct alloc *a;
		struct alloc_part *p;
		char why[200];

		if (u >= n->nuses || seen[u])
			continue;
		a = n->uses[u].alloc;
		p = &a->parts[n->uses[u].part];
		if (p->state == PART_RELEASED || p->exits_done)
			continue;
		/* A later power wave: not launched yet, nothing to hold. */
		if (p->state == PART_NEW)
			continue;
		if (!registering && p->state == PART_LAUNCHING)
			continue;
		if (a->end == ALLOC_ENDING) {
			/* Being stopped and already gone: done. */
			alloc_release_part(a, n->uses[u].part);
			continue;
		}
		/*
		 * Launched (as far as we know) but not held, and no rank of
		 * the gang told to go: a wave the previous controller never
		 * sent, or a prepared workload the agent lost.  Launch it
		 * again, within the ramp, rather than requeue the gang.
		 */
		if (p->state == PART_LAUNCHING && gang_live(a) &&
		    a->job->state == JOB_STARTING) {
			p->state = PART_NEW;
			powerctl_relaunch(ctl, a);
			continue;
		}
		snprintf(why, sizeof(why), "ranks vanished from node %s",
			 n->name);
		if (gang_live(a))
			gang_requeue(ctl, a->job, why, n);
		/* The stop sent a kill; the agent has nothing: release. */
		for (int v = 0; v < n->nuses; v++)
			if (n->uses[v].alloc == a) {
				alloc_release_part(a, n->uses[v].part);
				break;
			}
	}
	return nfence;
}

void gang_sweep(struct ctl *ctl)
{
	int64_t now = util_now_wall_s();
	struct alloc *a, *next;

	for (a = ctl->allocs; a; a = next) {
		struct job *job = a->job;

		next = a->next;
		if (!job || !gang_live(a) || job->state != JOB_RUNNING ||
		    !job->time_limit_sec || !job->start_time)
			continue;
		/* Agents enforce limits; this catches an agent that did not. */
		if (now > job->start_time + (int64_t)job->time_limit_sec +
				  (int64_t)ctl->cfg.kill_grace_sec + 60) {
			gang_finish(ctl, job, JOB_TIMEOUT,
				    "time limit reached (controller)", false, 0);
			/* next may have been freed only if it was a's; the
			 * list is singly walked, so restart from the head. */
			next = ctl->allocs;
		}
	}
}
