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
#include "controller/jobspec.h"
#include "controller/metrics.h"
#include "controller/peer.h"
#include "controller/ratelimit.h"
#include "controller/rpc.h"

#define ROLE(r) (1u << (r))
#define R_NODE (ROLE(TLS_ROLE_NODE) | ROLE(TLS_ROLE_SIM))
#define R_USER ROLE(TLS_ROLE_USER)
#define R_ADMIN ROLE(TLS_ROLE_ADMIN)
#define R_MONITOR ROLE(TLS_ROLE_MONITOR)
#define R_PEOPLE (R_USER | R_ADMIN | R_MONITOR)
#define REQ_CASE(x) COLOSSUS__REQUEST__BODY_##x

/* Besides while active, a handler may run ... */
#define RUN_IN_BLIP 1u /* ... while the leader waits for its database  */
#define RUN_ALWAYS 2u  /* ... even loading or standing by             */

struct rpc_handler {
	int body_case;
	const char *method;
	unsigned roles;
	/* When may it run besides while active (see rpc_gate)? */
	unsigned when;
	rpc_handler_fn fn;
};

/*
 * Who may call what.  Finer rules (a user may cancel only their own jobs)
 * live in the handlers and are listed in docs/security.md.
 */
static const struct rpc_handler rpc_table[] = {
	{ REQ_CASE(REGISTER_NODE), "register_node", R_NODE, 0,
	  rpc_node_register },
	{ REQ_CASE(HEARTBEAT), "heartbeat", R_NODE, RUN_IN_BLIP,
	  rpc_node_heartbeat },
	{ REQ_CASE(RANK_EXITS), "rank_exits", R_NODE, 0, rpc_node_rank_exits },
	{ REQ_CASE(HEALTH_REPORT), "health_report", R_NODE, 0,
	  rpc_health_report },
	{ REQ_CASE(SUBMIT_JOB), "submit_job", R_USER | R_ADMIN, 0,
	  rpc_job_submit },
	{ REQ_CASE(CANCEL_JOB), "cancel_job", R_USER | R_ADMIN, 0,
	  rpc_job_cancel },
	{ REQ_CASE(LIST_JOBS), "list_jobs", R_PEOPLE, RUN_IN_BLIP,
	  rpc_job_list },
	{ REQ_CASE(SHOW_JOB), "show_job", R_PEOPLE, RUN_IN_BLIP, rpc_job_show },
	{ REQ_CASE(LIST_NODES), "list_nodes", R_PEOPLE, RUN_IN_BLIP,
	  rpc_node_list },
	{ REQ_CASE(WHOAMI), "whoami", R_PEOPLE | R_NODE, RUN_ALWAYS,
	  rpc_admin_whoami },
	{ REQ_CASE(HOLD_JOB), "hold_job", R_USER | R_ADMIN, 0, rpc_sched_hold },
	{ REQ_CASE(LIST_QOS), "list_qos", R_PEOPLE, RUN_IN_BLIP,
	  rpc_sched_list_qos },
	{ REQ_CASE(LIST_RESERVATIONS), "list_reservations", R_PEOPLE,
	  RUN_IN_BLIP, rpc_sched_list_resv },
	{ REQ_CASE(LIST_RACKS), "list_racks", R_PEOPLE, RUN_IN_BLIP,
	  rpc_node_list_racks },
	{ REQ_CASE(HISTORY), "history", R_PEOPLE, 0, rpc_acct_history },
	{ REQ_CASE(REPORT), "report", R_PEOPLE, 0, rpc_acct_report },
	{ REQ_CASE(APPLY_TOPOLOGY), "apply_topology", R_ADMIN, 0,
	  rpc_admin_apply_topology },
	{ REQ_CASE(SET_QOS), "set_qos", R_ADMIN, 0, rpc_sched_set_qos },
	{ REQ_CASE(CREATE_RESERVATION), "create_reservation", R_ADMIN, 0,
	  rpc_sched_create_resv },
	{ REQ_CASE(DELETE_RESERVATION), "delete_reservation", R_ADMIN, 0,
	  rpc_sched_delete_resv },
	{ REQ_CASE(SET_JOB_PRIORITY), "set_job_priority", R_ADMIN, 0,
	  rpc_sched_set_priority },
	{ REQ_CASE(DRAIN_NODES), "drain_nodes", R_ADMIN, 0, rpc_health_drain },
	{ REQ_CASE(RESET_BREAKER), "reset_breaker", R_ADMIN, 0,
	  rpc_health_reset_breaker },
	{ REQ_CASE(LIST_EVENTS), "list_events", R_PEOPLE, 0,
	  rpc_health_events },
	{ REQ_CASE(GET_HEALTH), "get_health", R_PEOPLE, RUN_IN_BLIP,
	  rpc_health_get },
	{ REQ_CASE(RACK_READINGS), "rack_readings", R_MONITOR | R_ADMIN, 0,
	  rpc_health_rack_readings },
	{ REQ_CASE(GET_POWER), "get_power", R_PEOPLE, RUN_IN_BLIP,
	  rpc_power_get },
	{ REQ_CASE(SET_POWER_LIMIT), "set_power_limit", R_ADMIN, 0,
	  rpc_power_set_limit },
};

/*
 * Whether a request may run while this controller is not active, and
 * the reply when it may not.  A standby says NOT_ACTIVE so clients and
 * agents move to the next address.  A leader that lost its database
 * session (a blip, or PostgreSQL restarting) keeps answering from memory
 * what needs no write, and tracks heartbeats, for at most half a lease;
 * everything else gets UNAVAILABLE, never a false success.
 */
static bool rpc_gate(struct rpc_req *r, const struct rpc_handler *h)
{
	struct ctl *ctl = r->ctl;

	if (h->when & RUN_ALWAYS)
		return true;
	if (ctl->standby || !ctl->model_loaded) {
		if (ctl->standby)
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_ACTIVE,
				  "controller %s is a standby; another "
				  "controller is active",
				  ctl->id);
		else
			rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
				  "controller %s is starting; retry shortly",
				  ctl->id);
		return false;
	}
	if (ctl->leader && !ctl->loaded) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "controller %s is loading its state; retry shortly",
			  ctl->id);
		return false;
	}
	if ((h->when & RUN_IN_BLIP) && !ctl->blip_agents_released)
		return true;
	rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
		  "controller %s: database unavailable; %s: retry shortly",
		  ctl->id, h->method);
	return false;
}

/*
 * Listings are served from memory, but a user polling in a tight loop
 * still costs the loop CPU, and history and report each run a query:
 * per-identity token buckets keep one caller from crowding out the rest.
 * Figures suit people and scripts polling every second or so.  The
 * buckets are module state (they outlive connections, since a polling
 * CLI reconnects each time) and are freed at exit.
 */
#define RPC_LIST_RATE 20.0 /* listing requests per second */
#define RPC_LIST_BURST 100.0
#define RPC_ACCT_RATE 2.0 /* history and report (database queries) */
#define RPC_ACCT_BURST 30.0

static struct ratelimit *rpc_list_limit, *rpc_acct_limit;

static void __attribute__((destructor)) rpc_limits_free(void)
{
	ratelimit_destroy(rpc_list_limit);
	ratelimit_destroy(rpc_acct_limit);
	rpc_list_limit = rpc_acct_limit = NULL;
}

/* The bucket set for a method, or NULL when it is not rate limited. */
static struct ratelimit *rpc_limit_for(int body_case, double *rate)
{
	switch (body_case) {
	case REQ_CASE(LIST_JOBS):
	case REQ_CASE(SHOW_JOB):
	case REQ_CASE(LIST_NODES):
	case REQ_CASE(LIST_RACKS):
		if (!rpc_list_limit)
			rpc_list_limit =
				ratelimit_create(RPC_LIST_RATE, RPC_LIST_BURST);
		*rate = RPC_LIST_RATE;
		return rpc_list_limit;
	case REQ_CASE(HISTORY):
	case REQ_CASE(REPORT):
		if (!rpc_acct_limit)
			rpc_acct_limit =
				ratelimit_create(RPC_ACCT_RATE, RPC_ACCT_BURST);
		*rate = RPC_ACCT_RATE;
		return rpc_acct_limit;
	default:
		return NULL;
	}
}

/* Answers BUSY and returns true when the caller is over its rate. */
static bool rpc_rate_limited(struct rpc_req *r, int body_case)
{
	double rate = 0;
	struct ratelimit *rl = rpc_limit_for(body_case, &rate);
	int64_t retry_ms = 0;

	if (!rl ||
	    ratelimit_take(rl, r->peer->id.name, util_now_mono_ms(), &retry_ms))
		return false;
	rpc_error(r, COLOSSUS__STATUS__STATUS_BUSY,
		  "%s: rate limit for %s exceeded (%.0f requests per second); "
		  "retry in %.1f s, and poll less often",
		  r->method, r->peer->id.name, rate, (double)retry_ms / 1000.0);
	return true;
}

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

void rpc_error(struct rpc_req *r, Colossus__Status status, const char *fmt, ...)
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

/* The request's body (the set member of its oneof), so that field paths
 * in errors read "spec.name", not "submit_job.spec.name". */
static const ProtobufCMessage *rpc_body(const Colossus__Request *msg)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(
			msg->base.descriptor, (unsigned)msg->body_case);

	if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(const ProtobufCMessage *const *)(const void *)((const char *)
									msg +
								f->offset);
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
				"unsupported request (body %d): this "
				"controller "
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
	/*
	 * proto3 strings must be UTF-8 and protobuf-c does not check:
	 * refuse bad ones here, once for every method, before they reach a
	 * text column or a log line.  Heartbeats (25,000 a second, nothing
	 * in them is stored as text) are left out for cost.
	 */
	if (msg->body_case != COLOSSUS__REQUEST__BODY_HEARTBEAT) {
		struct err e;

		if (jobspec_check_strings(rpc_body(msg), &e) < 0) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s: %s",
				  h->method, e.msg);
			return;
		}
	}
	if (msg->body_case == COLOSSUS__REQUEST__BODY_SUBMIT_JOB) {
		double retry;

		if (!peer_submit_allowed(p, &retry)) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_BUSY,
				  "submit rate limit: %s may submit %lld jobs "
				  "per second (bursts of %lld); retry in "
				  "%.1f s",
				  p->id.name, (long long)ctl->cfg.submit_rate,
				  (long long)ctl->cfg.submit_burst,
				  retry < 0.1 ? 0.1 : retry);
			return;
		}
	}
	if (!ctl->active && !rpc_gate(r, h))
		return;
	if (rpc_rate_limited(r, (int)msg->body_case))
		return;
	log_sub(LOG_SUB_RPC, "conn %s (%s): %s id=%llu", p->addr, p->id.name,
		h->method, (unsigned long long)msg->id);
	h->fn(r, msg);
}
