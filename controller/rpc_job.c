/*
 * Job handlers: submit, cancel, list, show.
 *
 * A user acts on their own jobs only; admins on any (DESIGN invariant 6).
 * Submit and cancel are answered only after their change is committed
 * (invariant 1).  Listings are served from memory, never by scanning the
 * database per call.
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
#include "controller/explain.h"
#include "controller/gang.h"
#include "controller/job.h"
#include "controller/jobspec.h"
#include "controller/peer.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/rpc.h"
#include "controller/rpc_acct.h"
#include "controller/submitq.h"

static bool rpc_job_is_admin(const struct rpc_req *r)
{
	return r->peer->id.role == TLS_ROLE_ADMIN;
}

static bool rpc_job_may_touch(const struct rpc_req *r, const struct job *job)
{
	return rpc_job_is_admin(r) || !strcmp(job->user, r->peer->id.name);
}

static bool rpc_job_may_see(const struct rpc_req *r, const struct job *job)
{
	(void)job;
	/* Like squeue: everyone sees the queue; only owners act on jobs. */
	(void)r;
	return true;
}

/*
 * Every string of a request must be UTF-8 (DESIGN invariant 7): refused
 * here with a clear error, it can never reach a text column, where
 * PostgreSQL would refuse it and fail every submission group-committed
 * with it.  Answers INVALID and returns false when a string is not.
 */
static bool rpc_job_strings_ok(struct rpc_req *r, const ProtobufCMessage *m)
{
	struct err e;

	if (jobspec_check_strings(m, &e) == 0)
		return true;
	rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s: %s", r->method,
		  e.msg);
	return false;
}

/* A submit key is a short printable token (the CLI sends 32 hex digits). */
static bool rpc_job_key_valid(const char *key)
{
	size_t n = 0;

	for (; *key; key++, n++)
		if (n >= 64 || (unsigned char)*key < 0x20 || *key == 0x7f)
			return false;
	return true;
}

/*
 * QOS and reservation rules a spec must meet, after validation.  Returns
 * STATUS_OK, or the status to refuse with and e set.
 */
static Colossus__Status
rpc_job_check_policy(struct rpc_req *r, Colossus__JobSpec *spec, struct err *e)
{
	const Colossus__Status bad = COLOSSUS__STATUS__STATUS_INVALID;
	struct ctl *ctl = r->ctl;
	const char *qname = spec->qos && *spec->qos ? spec->qos : "normal";
	const struct qos *q = qos_find(ctl->qos, qname);

	if (!q) {
		err_set(e, "unknown QOS '%.64s' (colossus qos list shows them)",
			qname);
		return bad;
	}
	if (q->max_time_limit_sec) {
		if (spec->time_limit_sec == 0)
			spec->time_limit_sec = q->max_time_limit_sec;
		if (spec->time_limit_sec > q->max_time_limit_sec) {
			err_set(e, "QOS %s allows at most %llu s", q->name,
				(unsigned long long)q->max_time_limit_sec);
			return bad;
		}
	}
	if (q->max_nodes && spec->nodes > q->max_nodes) {
		err_set(e, "QOS %s allows at most %u nodes", q->name,
			q->max_nodes);
		return bad;
	}
	if (spec->reservation && *spec->reservation) {
		const struct resv *rv = resv_find(ctl->resv, spec->reservation);

		if (!rv) {
			err_set(e, "no reservation '%.64s'", spec->reservation);
			return bad;
		}
		if (!rpc_job_is_admin(r) &&
		    !resv_allows(rv, r->peer->id.name, spec->account)) {
			err_set(e, "you may not use reservation '%s'",
				rv->name);
			return COLOSSUS__STATUS__STATUS_PERMISSION;
		}
	}
	return COLOSSUS__STATUS__STATUS_OK;
}

static struct job *rpc_job_new(struct rpc_req *r, const Colossus__SubmitJob *m,
			       const Colossus__JobSpec *spec)
{
	struct ctl *ctl = r->ctl;
	size_t len = colossus__job_spec__get_packed_size(spec);
	uint8_t *packed = xmalloc(len ? len : 1);
	struct job *job;

	/* Store the normalised spec: defaults are part of the record. */
	colossus__job_spec__pack(spec, packed);
	job = job_create(job_table_next_id(ctl->jobs), r->peer->id.name, packed,
			 len, spec);
	free(packed);
	job->submit_time = util_now_wall_s();
	job_resolve_excludes(job, ctl->cluster, spec);
	if (spec->hold) {
		job->state = JOB_HELD;
		job_set_reason(job, "held at submission");
	} else {
		job_set_reason(job, "waiting for a scheduling pass");
	}
	(void)m;
	return job;
}

static void rpc_job_create_and_queue(struct rpc_req *r,
				     const Colossus__SubmitJob *m,
				     const Colossus__JobSpec *spec)
{
	struct job **jobs;
	uint32_t *tasks = NULL, limit = 0;
	size_t ntasks = 1;
	struct err e;

	if (spec->array && *spec->array) {
		if (jobspec_parse_array(spec->array, &tasks, &ntasks, &limit,
					&e) < 0) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s",
				  e.msg);
			return;
		}
	}
	jobs = xcalloc(ntasks, sizeof(*jobs));
	for (size_t i = 0; i < ntasks; i++) {
		jobs[i] = rpc_job_new(r, m, spec);
		if (tasks) {
			jobs[i]->array_job_id = jobs[0]->id;
			jobs[i]->array_task = tasks[i];
			jobs[i]->array_limit = limit;
		}
	}
	/* The retry key belongs to the submission: its first job. */
	if (m->submit_key && *m->submit_key)
		jobs[0]->submit_key = xstrdup(m->submit_key);
	submitq_add(r->ctl->submitq, r, jobs, (int)ntasks);
	free(jobs);
	free(tasks);
}

void rpc_job_submit(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__SubmitJob *m = msg->submit_job;
	Colossus__Status status;
	struct ctl *ctl = r->ctl;
	struct jobspec_limits lim;
	Colossus__JobSpec *spec;
	uint8_t *packed;
	size_t len;
	struct job *job;
	struct err e;

	if (!m->spec) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "no job spec");
		return;
	}
	if (!rpc_job_strings_ok(r, &m->base))
		return;
	if (m->submit_key && *m->submit_key) {
		int in_flight = 0;

		if (!rpc_job_key_valid(m->submit_key)) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
				  "submit key longer than 64 characters or "
				  "with control characters");
			return;
		}
		job = submitq_find_key(ctl->submitq, r->peer->id.name,
				       m->submit_key, &in_flight);
		if (job && in_flight) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
				  "job %" PRIu64 " with this submit key is "
				  "still being recorded; retry",
				  job->id);
			return;
		}
		if (job) {
			Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
			Colossus__SubmitJobReply reply =
				COLOSSUS__SUBMIT_JOB_REPLY__INIT;

			reply.job_id = job->id;
			resp.body_case = COLOSSUS__RESPONSE__BODY_SUBMIT_JOB;
			resp.submit_job = &reply;
			rpc_respond(r, &resp);
			return;
		}
	}
	if (!ctl->db_up) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "database unavailable; retry shortly");
		return;
	}
	if (!strcmp(r->peer->id.name, "root") && !ctl->cfg.allow_root_jobs) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_PERMISSION,
			  "jobs may not run as root on this cluster");
		return;
	}
	/* Validate a private copy: the request is freed after we return. */
	len = colossus__job_spec__get_packed_size(m->spec);
	packed = xmalloc(len ? len : 1);
	colossus__job_spec__pack(m->spec, packed);
	spec = colossus__job_spec__unpack(NULL, len, packed);
	free(packed);
	if (!spec) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "job spec does not decode");
		return;
	}
	memset(&lim, 0, sizeof(lim));
	lim.cluster_nodes = (uint32_t)cluster_nnodes(ctl->cluster);
	lim.gpus_per_node = 8;
	lim.default_time_limit = ctl->cfg.default_time_limit_sec;
	lim.max_time_limit = ctl->cfg.max_time_limit_sec;
	lim.default_max_restarts = (uint32_t)ctl->cfg.max_restarts;
	lim.next_job_id = job_table_peek_next_id(ctl->jobs);
	lim.is_admin = rpc_job_is_admin(r);
	if (jobspec_validate(spec, &lim, &e) < 0) {
		colossus__job_spec__free_unpacked(spec, NULL);
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s", e.msg);
		return;
	}
	status = rpc_job_check_policy(r, spec, &e);
	if (status != COLOSSUS__STATUS__STATUS_OK) {
		colossus__job_spec__free_unpacked(spec, NULL);
		rpc_error(r, status, "%s", e.msg);
		return;
	}
	rpc_job_create_and_queue(r, m, spec);
	colossus__job_spec__free_unpacked(spec, NULL);
}

/* ---- cancel ----------------------------------------------------------- */

struct cancel_ctx {
	struct rpc_req *r;
	uint64_t *ids;
	Colossus__Status *status;
	char **errors;
	size_t n;
	uint64_t *committing; /* ids whose cancel is in the transaction */
	size_t ncommitting;
};

static void rpc_job_cancel_reply(struct cancel_ctx *cx)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__CancelJobReply reply = COLOSSUS__CANCEL_JOB_REPLY__INIT;
	Colossus__CancelResult *res = xcalloc(cx->n + 1, sizeof(*res));
	Colossus__CancelResult **ptrs = xcalloc(cx->n + 1, sizeof(*ptrs));

	for (size_t i = 0; i < cx->n; i++) {
		colossus__cancel_result__init(&res[i]);
		res[i].job_id = cx->ids[i];
		res[i].status = cx->status[i];
		res[i].error = cx->errors[i] ? cx->errors[i] : (char *)"";
		ptrs[i] = &res[i];
	}
	reply.n_results = cx->n;
	reply.results = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_CANCEL_JOB;
	resp.cancel_job = &reply;
	rpc_respond(cx->r, &resp);
	free(res);
	free(ptrs);
}

static void rpc_job_cancel_free(struct cancel_ctx *cx)
{
	for (size_t i = 0; i < cx->n; i++)
		free(cx->errors[i]);
	free(cx->errors);
	free(cx->ids);
	free(cx->status);
	free(cx->committing);
	free(cx);
}

static void rpc_job_cancel_done(const struct pgq_result *res, void *arg)
{
	struct cancel_ctx *cx = arg;
	struct ctl *ctl = cx->r->ctl;
	char reason[128];

	snprintf(reason, sizeof(reason), "cancelled by %s",
		 cx->r->peer->id.name);
	for (size_t k = 0; k < cx->ncommitting; k++) {
		struct job *job = job_table_get(ctl->jobs, cx->committing[k]);

		if (!job)
			continue;
		job->cancel_pending = false;
		if (!res->ok) {
			for (size_t i = 0; i < cx->n; i++)
				if (cx->ids[i] == job->id) {
					cx->status[i] =
						COLOSSUS__STATUS__STATUS_UNAVAILABLE;
					cx->errors[i] =
						xasprintf("not cancelled: %s",
							  res->error);
				}
			continue;
		}
		/* Recorded: now act on it (idempotent if it ended meanwhile). */
		if (!job_state_final(job->state))
			gang_finish(ctl, job, JOB_CANCELLED, reason, false, 0);
	}
	rpc_job_cancel_reply(cx);
	rpc_job_cancel_free(cx);
}

static bool rpc_job_matches_filter(const Colossus__CancelJob *m,
				   const struct job *job)
{
	if (m->user && *m->user && strcmp(m->user, job->user))
		return false;
	if (m->name && *m->name && strcmp(m->name, job->name))
		return false;
	if (m->n_states) {
		bool any = false;

		for (size_t i = 0; i < m->n_states; i++)
			if ((int)m->states[i] == (int)job->state)
				any = true;
		if (!any)
			return false;
	}
	return true;
}

void rpc_job_cancel(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__CancelJob *m = msg->cancel_job;
	struct ctl *ctl = r->ctl;
	struct cancel_ctx *cx;
	struct pgq_txn *t;
	struct err e;

	if (!rpc_job_strings_ok(r, &m->base))
		return;
	if (m->n_job_ids == 0 && !(m->user && *m->user) &&
	    !(m->name && *m->name) && m->n_states == 0) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "give job ids or a filter (user, name, state)");
		return;
	}
	if (m->n_job_ids > 100000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "too many job ids in one request");
		return;
	}
	if (m->signal < 0 || m->signal > 64) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "signal %d out of range", m->signal);
		return;
	}
	cx = xcalloc(1, sizeof(*cx));
	cx->r = r;
	if (m->n_job_ids) {
		cx->n = m->n_job_ids;
		cx->ids = xcalloc(cx->n, sizeof(*cx->ids));
		memcpy(cx->ids, m->job_ids, cx->n * sizeof(*cx->ids));
	} else {
		/* Filter: a user's filter only ever reaches their own jobs. */
		size_t pos = 0, cap = 0;
		struct job *job;

		while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
			if (job_state_final(job->state) ||
			    !rpc_job_matches_filter(m, job) ||
			    !rpc_job_may_touch(r, job))
				continue;
			if (cx->n == cap) {
				cap = cap ? cap * 2 : 64;
				cx->ids = xreallocarray(cx->ids, cap,
							sizeof(*cx->ids));
			}
			cx->ids[cx->n++] = job->id;
		}
	}
	cx->status = xcalloc(cx->n + 1, sizeof(*cx->status));
	cx->errors = xcalloc(cx->n + 1, sizeof(*cx->errors));
	cx->committing = xcalloc(cx->n + 1, sizeof(*cx->committing));
	t = pgq_txn_begin(ctl->db);
	for (size_t i = 0; i < cx->n; i++) {
		struct job *job = job_table_get(ctl->jobs, cx->ids[i]);
		char id[24];
		const char *vals[2];

		if (!job) {
			cx->status[i] = COLOSSUS__STATUS__STATUS_NOT_FOUND;
			cx->errors[i] =
				xasprintf("no job %" PRIu64, cx->ids[i]);
			continue;
		}
		if (!rpc_job_may_touch(r, job)) {
			cx->status[i] = COLOSSUS__STATUS__STATUS_PERMISSION;
			cx->errors[i] = xasprintf("job %" PRIu64 " belongs to "
						  "%s",
						  job->id, job->user);
			continue;
		}
		if (job_state_final(job->state)) {
			cx->status[i] = COLOSSUS__STATUS__STATUS_CONFLICT;
			cx->errors[i] =
				xasprintf("job %" PRIu64 " already "
					  "%s",
					  job->id, job_state_name(job->state));
			continue;
		}
		if (job->cancel_pending) {
			cx->status[i] = COLOSSUS__STATUS__STATUS_OK;
			continue;
		}
		/*
		 * Record the cancellation first; gang_finish in the commit
		 * callback then writes the full final row (end time, ...).
		 */
		snprintf(id, sizeof(id), "%" PRIu64, job->id);
		vals[0] = id;
		vals[1] = r->peer->id.name;
		pgq_txn_add(t,
			    "UPDATE jobs SET state = 'cancelled', "
			    "reason = 'cancelled by ' || $2, "
			    "end_time = now() WHERE id = $1",
			    2, vals);
		job->cancel_pending = true;
		cx->committing[cx->ncommitting++] = job->id;
	}
	if (cx->ncommitting == 0) {
		pgq_txn_abort(t);
		rpc_job_cancel_reply(cx);
		rpc_job_cancel_free(cx);
		return;
	}
	if (pgq_txn_commit(t, rpc_job_cancel_done, cx, &e) < 0) {
		struct pgq_result res = { .ok = false, .error = e.msg };

		rpc_job_cancel_done(&res, cx);
	}
}

/* ---- list and show ------------------------------------------------------ */

static bool rpc_job_list_match(const Colossus__ListJobs *m,
			       const struct job *job, const struct node *node)
{
	if (m->n_states) {
		bool any = false;

		for (size_t i = 0; i < m->n_states; i++)
			if ((int)m->states[i] == (int)job->state)
				any = true;
		if (!any)
			return false;
	} else if (!m->all && job_state_final(job->state)) {
		return false;
	}
	if (m->user && *m->user && strcmp(m->user, job->user))
		return false;
	if (m->account && *m->account && strcmp(m->account, job->account))
		return false;
	if (m->name && *m->name && strcmp(m->name, job->name))
		return false;
	if (node) {
		bool on = false;

		for (int i = 0; i < node->nuses; i++)
			if (node->uses[i].alloc->job == job)
				on = true;
		if (!on)
			return false;
	}
	return true;
}

static int rpc_job_id_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void rpc_job_list(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__ListJobs *m = msg->list_jobs;
	struct ctl *ctl = r->ctl;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListJobsReply reply = COLOSSUS__LIST_JOBS_REPLY__INIT;
	size_t total = job_table_count(ctl->jobs), n = 0, pos = 0;
	struct job **sel = xcalloc(total + 1, sizeof(*sel));
	Colossus__JobInfo *infos;
	Colossus__JobInfo **ptrs;
	struct node *node = NULL;
	struct job *job;

	if (m->node && *m->node) {
		node = cluster_node(ctl->cluster, m->node);
		if (!node) {
			free(sel);
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
				  "unknown node '%.64s'", m->node);
			return;
		}
	}
	while ((job = job_table_next(ctl->jobs, &pos)) != NULL)
		if (rpc_job_may_see(r, job) && rpc_job_list_match(m, job, node))
			sel[n++] = job;
	qsort(sel, n, sizeof(*sel), rpc_job_id_cmp);
	if (m->limit && n > m->limit)
		n = m->limit;
	infos = xcalloc(n + 1, sizeof(*infos));
	ptrs = xcalloc(n + 1, sizeof(*ptrs));
	for (size_t i = 0; i < n; i++) {
		colossus__job_info__init(&infos[i]);
		job_to_info(sel[i], &infos[i], NULL);
		ptrs[i] = &infos[i];
	}
	reply.n_jobs = n;
	reply.jobs = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_JOBS;
	resp.list_jobs = &reply;
	rpc_respond(r, &resp);
	free(infos);
	free(ptrs);
	free(sel);
}

/*
 * The spec shown to a caller: the environment and batch script may hold
 * secrets, so only the owner and admins see them.  Redaction works on a
 * shallow copy (the unpacked message must stay intact to be freed).
 */
static Colossus__JobSpec *rpc_job_redact(Colossus__JobSpec *spec,
					 Colossus__JobSpec *shown, bool full)
{
	if (!spec || full)
		return spec;
	*shown = *spec;
	shown->n_env = 0;
	shown->env = NULL;
	shown->script = (char *)"";
	return shown;
}

/*
 * Show a job held in memory, with the attempts read from the database
 * (NULL when they could not be read: the rest is still worth showing).
 */
static void rpc_job_show_memory(struct rpc_req *r, struct job *job,
				const Colossus__JobInfo *db)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ShowJobReply reply = COLOSSUS__SHOW_JOB_REPLY__INIT;
	Colossus__JobInfo info = COLOSSUS__JOB_INFO__INIT;
	Colossus__JobSpec *spec, shown;
	Colossus__PriorityFactors pf;
	char why[1024];

	job_to_info(job, &info, &pf);
	explain_job(r->ctl, job, why, sizeof(why));
	info.why = why;
	if (db) {
		info.n_attempts = db->n_attempts;
		info.attempts = db->attempts;
	}
	spec = colossus__job_spec__unpack(NULL, job->spec_len, job->spec);
	info.spec = rpc_job_redact(spec, &shown, rpc_job_may_touch(r, job));
	reply.job = &info;
	resp.body_case = COLOSSUS__RESPONSE__BODY_SHOW_JOB;
	resp.show_job = &reply;
	rpc_respond(r, &resp);
	if (spec)
		colossus__job_spec__free_unpacked(spec, NULL);
}

struct show_ctx {
	struct rpc_req *r;
	uint64_t id;
};

/*
 * The job row and its attempts (RPC_ACCT_COLUMNS, one row per attempt
 * and node rank), then the packed spec on the first row only.
 */
static void rpc_job_show_db_done(const struct pgq_result *res, void *arg)
{
	struct show_ctx *sx = arg;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ShowJobReply reply = COLOSSUS__SHOW_JOB_REPLY__INIT;
	Colossus__JobInfo *info;
	Colossus__JobSpec *spec = NULL, shown;
	struct job *job = job_table_get(sx->r->ctl->jobs, sx->id);
	struct rpc_acct_jobs rows = { NULL, 0 };
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	const char *v;

	if (res->ok)
		rpc_acct_parse(res, &rows);
	if (job) {
		/* Memory is fresher; the database adds the attempts. */
		rpc_job_show_memory(sx->r, job, rows.n ? rows.jobs[0] : NULL);
		goto out;
	}
	if (!res->ok) {
		rpc_error(sx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "database error: %s", res->error);
		goto out;
	}
	if (rows.n == 0) {
		rpc_error(sx->r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
			  "no job %" PRIu64, sx->id);
		goto out;
	}
	info = rows.jobs[0];
	v = pgq_value(res, 0, 0, RPC_ACCT_NCOLS);
	if (v)
		raw = PQunescapeBytea((const unsigned char *)v, &rawlen);
	if (raw)
		spec = colossus__job_spec__unpack(NULL, rawlen, raw);
	if (spec && spec->reservation && *spec->reservation)
		info->reservation = spec->reservation;
	info->spec = rpc_job_redact(
		spec, &shown,
		sx->r->peer->id.role == TLS_ROLE_ADMIN ||
			!strcmp(info->user, sx->r->peer->id.name));
	reply.job = info;
	resp.body_case = COLOSSUS__RESPONSE__BODY_SHOW_JOB;
	resp.show_job = &reply;
	rpc_respond(sx->r, &resp);
	/* Borrowed from spec: detach before freeing the parsed rows. */
	info->spec = NULL;
	if (spec && info->reservation == spec->reservation)
		info->reservation = (char *)protobuf_c_empty_string;
	if (spec)
		colossus__job_spec__free_unpacked(spec, NULL);
	if (raw)
		PQfreemem(raw);
out:
	rpc_acct_jobs_free(&rows);
	free(sx);
}

void rpc_job_show(struct rpc_req *r, const Colossus__Request *msg)
{
	uint64_t id = msg->show_job->job_id;
	struct job *job = job_table_get(r->ctl->jobs, id);
	struct show_ctx *sx;
	char ids[24];
	const char *vals[1] = { ids };
	struct err e;

	/*
	 * One indexed read (by job id) for the attempts, or for the whole
	 * job when it finished long ago; never a scan.
	 */
	sx = xmalloc(sizeof(*sx));
	sx->r = r;
	sx->id = id;
	snprintf(ids, sizeof(ids), "%" PRIu64, id);
	if (pgq_submit(r->ctl->db,
		       "SELECT " RPC_ACCT_COLUMNS ", CASE WHEN row_number() "
		       "OVER (ORDER BY a.epoch, n.node_rank) = 1 THEN j.spec "
		       "END FROM jobs j" RPC_ACCT_JOINS " WHERE j.id = $1 "
		       "ORDER BY a.epoch, n.node_rank",
		       1, vals, rpc_job_show_db_done, sx, &e) < 0) {
		free(sx);
		if (job) {
			rpc_job_show_memory(r, job, NULL);
			return;
		}
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "job %" PRIu64 " is not in memory and the database "
			  "is unavailable: %s",
			  id, e.msg);
	}
}
