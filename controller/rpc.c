/*
 * The dispatch table and request lifecycle.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/metrics.h"
#include "controller/peer.h"
#include "controller/rpc.h"

#define ROLE(r) (1u << (r))
#define R_NODE (ROLE(TLS_ROLE_NODE) | ROLE(TLS_ROLE_SIM))
#define R_USER ROLE(TLS_ROLE_USER)
#define R_ADMIN ROLE(TLS_ROLE_ADMIN)
#define R_MONITOR ROLE(TLS_ROLE_MONITOR)
#define R_PEOPLE (R_USER | R_ADMIN | R_MONITOR)
#define REQ_CASE(x) COLOSSUS__REQUEST__BODY_##x

struct rpc_handler {
	int body_case;
	const char *method;
	unsigned roles;
	/* May it run while the controller is loading or standby? */
	bool when_inactive;
	rpc_handler_fn fn;
};

/*
 * Who may call what.  Finer rules (a user may cancel only their own jobs)
 * live in the handlers and are listed in docs/security.md.
 */
static const struct rpc_handler rpc_table[] = {
	{ REQ_CASE(REGISTER_NODE), "register_node", R_NODE, false,
	  rpc_node_register },
	{ REQ_CASE(HEARTBEAT), "heartbeat", R_NODE, false,
	  rpc_node_heartbeat },
	{ REQ_CASE(RANK_EXITS), "rank_exits", R_NODE, false,
	  rpc_node_rank_exits },
	{ REQ_CASE(SUBMIT_JOB), "submit_job", R_USER | R_ADMIN, false,
	  rpc_job_submit },
	{ REQ_CASE(CANCEL_JOB), "cancel_job", R_USER | R_ADMIN, false,
	  rpc_job_cancel },
	{ REQ_CASE(LIST_JOBS), "list_jobs", R_PEOPLE, false, rpc_job_list },
	{ REQ_CASE(SHOW_JOB), "show_job", R_PEOPLE, false, rpc_job_show },
	{ REQ_CASE(LIST_NODES), "list_nodes", R_PEOPLE, false, rpc_node_list },
	{ REQ_CASE(WHOAMI), "whoami", R_PEOPLE | R_NODE, true,
	  rpc_admin_whoami },
	{ REQ_CASE(HOLD_JOB), "hold_job", R_USER | R_ADMIN, false,
	  rpc_sched_hold },
	{ REQ_CASE(LIST_QOS), "list_qos", R_PEOPLE, false, rpc_sched_list_qos },
	{ REQ_CASE(LIST_RESERVATIONS), "list_reservations", R_PEOPLE, false,
	  rpc_sched_list_resv },
	{ REQ_CASE(APPLY_TOPOLOGY), "apply_topology", R_ADMIN, false,
	  rpc_admin_apply_topology },
	{ REQ_CASE(SET_QOS), "set_qos", R_ADMIN, false, rpc_sched_set_qos },
	{ REQ_CASE(CREATE_RESERVATION), "create_reservation", R_ADMIN, false,
	  rpc_sched_create_resv },
	{ REQ_CASE(DELETE_RESERVATION), "delete_reservation", R_ADMIN, false,
	  rpc_sched_delete_resv },
	{ REQ_CASE(SET_JOB_PRIORITY), "set_job_priority", R_ADMIN, false,
	  rpc_sched_set_priority },
};

static const struct rpc_handler *rpc_lookup(int body_case)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpc_table); i++)
		if (rpc_table[i].body_case == body_case)
			return &rpc_table[i];
	return NULL;
}

static void rpc_finish(struct rpc_req *r)
{
	r->peer->inflight--;
	peer_unref(r->peer);
	free(r);
}

void rpc_respond(struct rpc_req *r, Colossus__Response *resp)
{
	struct err e;

	metrics_rpc(r->ctl, r->method, (int)resp->status,
		    util_now_mono_us() - r->start_us);
	if (r->id && !r->peer->closed) {
		resp->id = r->id;
		if (rpcconn_respond(r->peer->conn, resp, &e) < 0)
			log_sub(LOG_SUB_RPC, "conn %s: %s reply dropped: %s",
				r->peer->addr, r->method, e.msg);
	}
	rpc_finish(r);
}

void rpc_ok(struct rpc_req *r)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;

	rpc_respond(r, &resp);
}

void rpc_error(struct rpc_req *r, Colossus__Status status, const char *fmt,
	       ...)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->ctl->stats.rpc_errors++;
	if (!r->id) {
		char esc[600];

		log_warn("conn %s (%s): %s: %s", r->peer->addr,
			 r->peer->id.name, r->method,
			 log_escape(msg, esc, sizeof(esc)));
	}
	resp.status = status;
	resp.error = msg;
	rpc_respond(r, &resp);
}

void rpc_dispatch(struct peer *p, const Colossus__Request *msg)
{
	struct ctl *ctl = p->ctl;
	const struct rpc_handler *h;
	struct rpc_req *r;

	ctl->stats.rpc_requests++;
	if (!p->identified) {
		/* The handshake finished but identity failed: ignore. */
		return;
	}
	h = rpc_lookup((int)msg->body_case);
	if (!h) {
		log_sub(LOG_SUB_RPC, "conn %s: unsupported request body %d",
			p->addr, (int)msg->body_case);
		if (msg->id)
			rpcconn_respond_error(
				p->conn, msg->id,
				COLOSSUS__STATUS__STATUS_UNSUPPORTED,
				"unsupported request (body %d): this controller "
				"speaks protocol %d.%d",
				(int)msg->body_case, RPC_VERSION_MAJOR,
				RPC_VERSION_MINOR);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->ctl = ctl;
	r->peer = p;
	r->id = msg->id;
	r->method = h->method;
	r->start_us = util_now_mono_us();
	peer_ref(p);
	p->inflight++;
	if (!(h->roles & ROLE(p->id.role))) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_PERMISSION,
			  "%s: not allowed for role %s", h->method,
			  tlsctx_role_name(p->id.role));
		return;
	}
	if (p->inflight > (unsigned)ctl->cfg.max_pending_per_conn) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_BUSY,
			  "too many requests pending on this connection "
			  "(limit %lld)",
			  (long long)ctl->cfg.max_pending_per_conn);
		return;
	}
	if (!ctl->active && !h->when_inactive) {
		/* A standby says so, and clients move to the next address. */
		if (ctl->loaded || ctl->standby)
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_ACTIVE,
				  "controller %s is not the active one",
				  ctl->id);
		else
			rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
				  "controller is loading its state; retry "
				  "shortly");
		return;
	}
	log_sub(LOG_SUB_RPC, "conn %s (%s): %s id=%llu", p->addr, p->id.name,
		h->method, (unsigned long long)msg->id);
	h->fn(r, msg);
}
