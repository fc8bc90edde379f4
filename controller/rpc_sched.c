/*
 * Scheduler handlers: hold and release, the admin priority override, and
 * QOS and reservation administration.  Every change is committed before
 * it is acknowledged (DESIGN invariant 1) and only then applied in
 * memory.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/peer.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/rpc.h"

static bool rpc_sched_admin(const struct rpc_req *r)
{
	return r->peer->id.role == TLS_ROLE_ADMIN;
}

/* ---- hold and release ------------------------------------------------- */

struct hold_ctx {
	struct rpc_req *r;
	bool release;
	uint64_t *ids;
	Colossus__Status *status;
	char **errors;
	size_t n;
};

static void rpc_hold_reply(struct hold_ctx *hx)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__HoldJobReply reply = COLOSSUS__HOLD_JOB_REPLY__INIT;
	Colossus__CancelResult *res = xcalloc(hx->n + 1, sizeof(*res));
	Colossus__CancelResult **ptrs = xcalloc(hx->n + 1, sizeof(*ptrs));

	for (size_t i = 0; i < hx->n; i++) {
		colossus__cancel_result__init(&res[i]);
		res[i].job_id = hx->ids[i];
		res[i].status = hx->status[i];
		res[i].error = hx->errors[i] ? hx->errors[i] : (char *)"";
		ptrs[i] = &res[i];
	}
	reply.n_results = hx->n;
	reply.results = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_HOLD_JOB;
	resp.hold_job = &reply;
	rpc_respond(hx->r, &resp);
	for (size_t i = 0; i < hx->n; i++)
		free(hx->errors[i]);
	free(res);
	free(ptrs);
	free(hx->ids);
	free(hx->status);
	free(hx->errors);
	free(hx);
}

static void rpc_hold_done(const struct pgq_result *res, void *arg)
{
	struct hold_ctx *hx = arg;
	struct ctl *ctl = hx->r->ctl;
	char reason[128];

	snprintf(reason, sizeof(reason), "%s by %s",
		 hx->release ? "released" : "held", hx->r->peer->id.name);
	for (size_t i = 0; i < hx->n; i++) {
		struct job *job;

		if (hx->status[i] != COLOSSUS__STATUS__STATUS_OK)
			continue;
		job = job_table_get(ctl->jobs, hx->ids[i]);
		if (!res->ok) {
			hx->status[i] = COLOSSUS__STATUS__STATUS_UNAVAILABLE;
			hx->errors[i] = xasprintf("not recorded: %s",
						  res->error);
			continue;
		}
		/* Recorded; the job may have moved on meanwhile. */
		if (job && job->state == (hx->release ? JOB_HELD : JOB_PENDING))
			job_set_state(ctl, job,
				      hx->release ? JOB_PENDING : JOB_HELD,
				      reason);
	}
	if (res->ok)
		ctl_sched_soon(ctl);
	rpc_hold_reply(hx);
}

void rpc_sched_hold(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__HoldJob *m = msg->hold_job;
	struct ctl *ctl = r->ctl;
	struct hold_ctx *hx;
	struct pgq_txn *t;
	int changes = 0;
	struct err e;

	if (m->n_job_ids == 0 || m->n_job_ids > 100000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "give between 1 and 100,000 job ids");
		return;
	}
	hx = xcalloc(1, sizeof(*hx));
	hx->r = r;
	hx->release = m->release;
	hx->n = m->n_job_ids;
	hx->ids = xcalloc(hx->n, sizeof(*hx->ids));
	hx->status = xcalloc(hx->n, sizeof(*hx->status));
	hx->errors = xcalloc(hx->n, sizeof(*hx->errors));
	t = pgq_txn_begin(ctl->db);
	for (size_t i = 0; i < hx->n; i++) {
		struct job *job = job_table_get(ctl->jobs, m->job_ids[i]);
		enum job_state want = m->release ? JOB_HELD : JOB_PENDING;
		char id[24];
		const char *vals[2];

		hx->ids[i] = m->job_ids[i];
		if (!job) {
			hx->status[i] = COLOSSUS__STATUS__STATUS_NOT_FOUND;
			hx->errors[i] = xasprintf("no job %" PRIu64,
						  m->job_ids[i]);
			continue;
		}
		if (!rpc_sched_admin(r) && strcmp(job->user, r->peer->id.name)) {
			hx->status[i] = COLOSSUS__STATUS__STATUS_PERMISSION;
			hx->errors[i] = xasprintf("job %" PRIu64 " belongs to "
						  "%s",
						  job->id, job->user);
			continue;
		}
		if (job->state != want || job->cancel_pending) {
			hx->status[i] = COLOSSUS__STATUS__STATUS_CONFLICT;
			hx->errors[i] = xasprintf("job %" PRIu64 " is %s, not "
						  "%s",
						  job->id,
						  job_state_name(job->state),
						  job_state_name(want));
			continue;
		}
		snprintf(id, sizeof(id), "%" PRIu64, job->id);
		vals[0] = id;
		vals[1] = m->release ? "pending" : "held";
		pgq_txn_add(t, "UPDATE jobs SET state = $2 WHERE id = $1", 2,
			    vals);
		changes++;
	}
	if (!changes) {
		pgq_txn_abort(t);
		rpc_hold_reply(hx);
		return;
	}
	if (pgq_txn_commit(t, rpc_hold_done, hx, &e) < 0) {
		struct pgq_result res = { .ok = false, .error = e.msg };

		rpc_hold_done(&res, hx);
	}
}

/* ---- priority override --------------------------------------------------- */

struct boost_ctx {
	struct rpc_req *r;
	uint64_t id;
	int32_t boost;
};

static void rpc_boost_done(const struct pgq_result *res, void *arg)
{
	struct boost_ctx *bx = arg;
	struct job *job = job_table_get(bx->r->ctl->jobs, bx->id);

	if (!res->ok) {
		rpc_error(bx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "not recorded: %s", res->error);
	} else {
		if (job)
			job->boost = bx->boost;
		ctl_sched_soon(bx->r->ctl);
		rpc_ok(bx->r);
	}
	free(bx);
}

void rpc_sched_set_priority(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__SetJobPriority *m = msg->set_job_priority;
	struct job *job = job_table_get(r->ctl->jobs, m->job_id);
	struct boost_ctx *bx;
	char id[24], boost[16];
	const char *vals[2] = { id, boost };
	struct err e;

	if (!job) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
			  "no job %" PRIu64, m->job_id);
		return;
	}
	if (m->boost < -10000000 || m->boost > 10000000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "priority boost out of range (+-10,000,000)");
		return;
	}
	snprintf(id, sizeof(id), "%" PRIu64, m->job_id);
	snprintf(boost, sizeof(boost), "%d", m->boost);
	bx = xmalloc(sizeof(*bx));
	bx->r = r;
	bx->id = m->job_id;
	bx->boost = m->boost;
	if (pgq_submit(r->ctl->db,
		       "UPDATE jobs SET priority_boost = $2 WHERE id = $1", 2,
		       vals, rpc_boost_done, bx, &e) < 0) {
		free(bx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
	}
}

/* ---- QOS --------------------------------------------------------------------- */

void rpc_sched_list_qos(struct rpc_req *r, const Colossus__Request *msg)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListQosReply reply = COLOSSUS__LIST_QOS_REPLY__INIT;
	int n = qos_count(r->ctl->qos);
	Colossus__Qos *v = xcalloc((size_t)n + 1, sizeof(*v));
	Colossus__Qos **p = xcalloc((size_t)n + 1, sizeof(*p));

	(void)msg;
	for (int i = 0; i < n; i++) {
		qos_to_proto(qos_at(r->ctl->qos, i), &v[i]);
		p[i] = &v[i];
	}
	reply.n_qos = (size_t)n;
	reply.qos = p;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_QOS;
	resp.list_qos = &reply;
	rpc_respond(r, &resp);
	free(v);
	free(p);
}

struct qos_ctx {
	struct rpc_req *r;
	Colossus__Qos *q; /* private copy */
	bool remove;
};

static void rpc_qos_done(const struct pgq_result *res, void *arg)
{
	struct qos_ctx *qx = arg;
	struct ctl *ctl = qx->r->ctl;
	struct err e;

	if (!res->ok) {
		rpc_error(qx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "not recorded: %s", res->error);
	} else if (qx->remove) {
		qos_remove(ctl->qos, qx->q->name);
		ctl_event(ctl, "qos_removed", "info", qx->r->peer->id.name, 0,
			  0, 0, qx->q->name);
		rpc_ok(qx->r);
	} else if (qos_put(ctl->qos, qx->q, &e) < 0) {
		rpc_error(qx->r, COLOSSUS__STATUS__STATUS_INTERNAL, "%s", e.msg);
	} else {
		ctl_event(ctl, "qos_set", "info", qx->r->peer->id.name, 0, 0, 0,
			  qx->q->name);
		ctl_sched_soon(ctl);
		rpc_ok(qx->r);
	}
	colossus__qos__free_unpacked(qx->q, NULL);
	free(qx);
}

static char *rpc_text_array(char *const *v, size_t n)
{
	size_t cap = 3, used = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		cap += strlen(v[i]) + 1;
	s = xmalloc(cap);
	s[used++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[used++] = ',';
		/* Only validated names ([A-Za-z0-9._-]) come here. */
		memcpy(s + used, v[i], strlen(v[i]));
		used += strlen(v[i]);
	}
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

void rpc_sched_set_qos(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__SetQos *m = msg->set_qos;
	struct qos_ctx *qx;
	uint8_t *buf;
	size_t len;
	struct err e;
	int rc;

	if (!m->qos || qos_validate(r->ctl->qos, m->qos, &e) < 0) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s",
			  m->qos ? e.msg : "no QOS given");
		return;
	}
	if (m->remove && !qos_find(r->ctl->qos, m->qos->name)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND, "no QOS '%s'",
			  m->qos->name);
		return;
	}
	if (m->remove && !strcmp(m->qos->name, "normal")) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_CONFLICT,
			  "QOS normal is the default and cannot be removed");
		return;
	}
	qx = xcalloc(1, sizeof(*qx));
	qx->r = r;
	qx->remove = m->remove;
	len = colossus__qos__get_packed_size(m->qos);
	buf = xmalloc(len ? len : 1);
	colossus__qos__pack(m->qos, buf);
	qx->q = colossus__qos__unpack(NULL, len, buf);
	free(buf);
	if (m->remove) {
		const char *vals[1] = { m->qos->name };

		rc = pgq_submit(r->ctl->db, "DELETE FROM qos WHERE name = $1", 1,
				vals, rpc_qos_done, qx, &e);
	} else {
		char prio[16], grace[16], maxt[24], maxn[16];
		char *pre = rpc_text_array(m->qos->preempt, m->qos->n_preempt);
		const char *vals[8] = { m->qos->name, prio, pre,
					m->qos->preempt_mode &&
							*m->qos->preempt_mode
						? m->qos->preempt_mode
						: "requeue",
					grace, maxt, maxn,
					m->qos->description
						? m->qos->description
						: "" };

		snprintf(prio, sizeof(prio), "%d", m->qos->priority);
		snprintf(grace, sizeof(grace), "%u", m->qos->grace_sec);
		snprintf(maxt, sizeof(maxt), "%llu",
			 (unsigned long long)m->qos->max_time_limit_sec);
		snprintf(maxn, sizeof(maxn), "%u", m->qos->max_nodes);
		rc = pgq_submit(r->ctl->db,
				"INSERT INTO qos (name, priority, preempt, "
				"preempt_mode, grace_sec, max_time_limit_sec, "
				"max_nodes, description) VALUES ($1, $2, $3, "
				"$4, $5, $6, $7, $8) ON CONFLICT (name) DO "
				"UPDATE SET priority = EXCLUDED.priority, "
				"preempt = EXCLUDED.preempt, preempt_mode = "
				"EXCLUDED.preempt_mode, grace_sec = "
				"EXCLUDED.grace_sec, max_time_limit_sec = "
				"EXCLUDED.max_time_limit_sec, max_nodes = "
				"EXCLUDED.max_nodes, description = "
				"EXCLUDED.description",
				8, vals, rpc_qos_done, qx, &e);
		free(pre);
	}
	if (rc < 0) {
		colossus__qos__free_unpacked(qx->q, NULL);
		free(qx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
	}
}

/* ---- reservations --------------------------------------------------------------- */

void rpc_sched_list_resv(struct rpc_req *r, const Colossus__Request *msg)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListReservationsReply reply =
		COLOSSUS__LIST_RESERVATIONS_REPLY__INIT;
	int n = resv_count(r->ctl->resv);
	Colossus__Reservation *v = xcalloc((size_t)n + 1, sizeof(*v));
	Colossus__Reservation **p = xcalloc((size_t)n + 1, sizeof(*p));

	(void)msg;
	for (int i = 0; i < n; i++) {
		resv_to_proto(resv_at(r->ctl->resv, i), &v[i]);
		p[i] = &v[i];
	}
	reply.n_reservations = (size_t)n;
	reply.reservations = p;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_RESERVATIONS;
	resp.list_reservations = &reply;
	rpc_respond(r, &resp);
	free(v);
	free(p);
}

struct resv_ctx {
	struct rpc_req *r;
	Colossus__Reservation *m; /* private copy */
	int *ids;
	int nids;
	bool remove;
};

static void rpc_resv_done(const struct pgq_result *res, void *arg)
{
	struct resv_ctx *rx = arg;
	struct ctl *ctl = rx->r->ctl;
	char why[200];

	if (!res->ok) {
		rpc_error(rx->r, res->sqlstate && !strcmp(res->sqlstate, "23505")
					 ? COLOSSUS__STATUS__STATUS_CONFLICT
					 : COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "not recorded: %s", res->error);
		free(rx->ids);
	} else if (rx->remove) {
		resv_remove(ctl->resv, rx->m->name);
		ctl_event(ctl, "reservation_deleted", "info",
			  rx->r->peer->id.name, 0, 0, 0, rx->m->name);
		ctl_sched_soon(ctl);
		rpc_ok(rx->r);
	} else {
		resv_add(ctl->resv, rx->m, rx->ids, rx->nids);
		snprintf(why, sizeof(why), "%s: %d nodes%s", rx->m->name,
			 rx->nids, rx->m->maintenance ? " (maintenance)" : "");
		ctl_event(ctl, "reservation_created", "info",
			  rx->r->peer->id.name, 0, 0, 0, why);
		log_info("reservation %s", why);
		ctl_sched_soon(ctl);
		rpc_ok(rx->r);
	}
	colossus__reservation__free_unpacked(rx->m, NULL);
	free(rx);
}

static Colossus__Reservation *rpc_resv_copy(const Colossus__Reservation *m)
{
	size_t len = colossus__reservation__get_packed_size(m);
	uint8_t *buf = xmalloc(len ? len : 1);
	Colossus__Reservation *copy;

	colossus__reservation__pack(m, buf);
	copy = colossus__reservation__unpack(NULL, len, buf);
	free(buf);
	return copy;
}

void rpc_sched_create_resv(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__Reservation *m = msg->create_reservation->reservation;
	struct resv_ctx *rx;
	char start[24], end[24], *ids_s, *users, *accts;
	const char *vals[10];
	int *ids, nids;
	struct err e;

	if (!m || resv_validate(r->ctl->resv, r->ctl->cluster, m,
				util_now_wall_s(), &ids, &nids, &e) < 0) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s",
			  m ? e.msg : "no reservation given");
		return;
	}
	rx = xcalloc(1, sizeof(*rx));
	rx->r = r;
	rx->m = rpc_resv_copy(m);
	free(rx->m->created_by);
	rx->m->created_by = xstrdup(r->peer->id.name);
	rx->ids = ids;
	rx->nids = nids;
	{
		size_t cap = (size_t)nids * 12 + 3, used = 0;

		ids_s = xmalloc(cap);
		ids_s[used++] = '{';
		for (int i = 0; i < nids; i++)
			used += (size_t)snprintf(ids_s + used, cap - used,
						 "%s%d", i ? "," : "", ids[i]);
		ids_s[used++] = '}';
		ids_s[used] = '\0';
	}
	users = rpc_text_array(m->users, m->n_users);
	accts = rpc_text_array(m->accounts, m->n_accounts);
	snprintf(start, sizeof(start), "%lld", (long long)m->start_time);
	snprintf(end, sizeof(end), "%lld", (long long)m->end_time);
	vals[0] = m->name;
	vals[1] = m->nodes;
	vals[2] = ids_s;
	vals[3] = start;
	vals[4] = end;
	vals[5] = users;
	vals[6] = accts;
	vals[7] = m->maintenance ? "true" : "false";
	vals[8] = m->reason ? m->reason : "";
	vals[9] = r->peer->id.name;
	if (pgq_submit(r->ctl->db,
		       "INSERT INTO reservations (name, nodes, node_ids, "
		       "start_time, end_time, users, accounts, maintenance, "
		       "reason, created_by) VALUES ($1, $2, $3, "
		       "to_timestamp($4), to_timestamp($5), $6, $7, $8, $9, "
		       "$10)",
		       10, vals, rpc_resv_done, rx, &e) < 0) {
		free(rx->ids);
		colossus__reservation__free_unpacked(rx->m, NULL);
		free(rx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
	}
	free(ids_s);
	free(users);
	free(accts);
}

void rpc_sched_delete_resv(struct rpc_req *r, const Colossus__Request *msg)
{
	const char *name = msg->delete_reservation->name;
	const struct resv *rv = name ? resv_find(r->ctl->resv, name) : NULL;
	Colossus__Reservation tmp = COLOSSUS__RESERVATION__INIT;
	struct resv_ctx *rx;
	const char *vals[1];
	struct err e;

	if (!rv) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
			  "no reservation '%.64s'", name ? name : "");
		return;
	}
	tmp.name = (char *)rv->name;
	rx = xcalloc(1, sizeof(*rx));
	rx->r = r;
	rx->remove = true;
	rx->m = rpc_resv_copy(&tmp);
	vals[0] = rv->name;
	if (pgq_submit(r->ctl->db, "DELETE FROM reservations WHERE name = $1",
		       1, vals, rpc_resv_done, rx, &e) < 0) {
		colossus__reservation__free_unpacked(rx->m, NULL);
		free(rx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
	}
}
