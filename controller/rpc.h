/*
 * RPC dispatch: one table maps each request body to its handler and the
 * roles allowed to call it, so the whole authorization policy is visible
 * in rpc.c (and documented in docs/security.md).
 *
 * A handler gets a struct rpc_req and must finish it exactly once with
 * rpc_respond() or rpc_error(), right away or later from a database
 * callback.  For notifications (request id 0) nothing is sent back, but
 * the handler still finishes the request.
 */
#ifndef CONTROLLER_RPC_H
#define CONTROLLER_RPC_H

#include <stdint.h>

#include "proto/rpc.h"
#include "common/util.h"

struct ctl;
struct peer;

struct rpc_req {
	struct ctl *ctl;
	struct peer *peer; /* holds a reference */
	uint64_t id;
	const char *method;
	int64_t start_us;
};

typedef void (*rpc_handler_fn)(struct rpc_req *r, const Colossus__Request *msg);

void rpc_dispatch(struct peer *p, const Colossus__Request *msg);
/* Send resp (its id is set here) and finish r. */
void rpc_respond(struct rpc_req *r, Colossus__Response *resp);
/* Send an empty OK and finish r. */
void rpc_ok(struct rpc_req *r);
/* Send an error and finish r. */
void rpc_error(struct rpc_req *r, Colossus__Status status, const char *fmt,
	       ...) PRINTF_LIKE(3, 4);

/* Handlers, by module. */
void rpc_node_register(struct rpc_req *r, const Colossus__Request *msg);
void rpc_node_heartbeat(struct rpc_req *r, const Colossus__Request *msg);
void rpc_node_rank_exits(struct rpc_req *r, const Colossus__Request *msg);
void rpc_node_list(struct rpc_req *r, const Colossus__Request *msg);
void rpc_node_list_racks(struct rpc_req *r, const Colossus__Request *msg);
void rpc_job_submit(struct rpc_req *r, const Colossus__Request *msg);
void rpc_job_cancel(struct rpc_req *r, const Colossus__Request *msg);
void rpc_job_list(struct rpc_req *r, const Colossus__Request *msg);
void rpc_job_show(struct rpc_req *r, const Colossus__Request *msg);
void rpc_admin_whoami(struct rpc_req *r, const Colossus__Request *msg);
void rpc_admin_apply_topology(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_report(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_rack_readings(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_drain(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_reset_breaker(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_events(struct rpc_req *r, const Colossus__Request *msg);
void rpc_health_get(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_hold(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_set_priority(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_list_qos(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_set_qos(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_list_resv(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_create_resv(struct rpc_req *r, const Colossus__Request *msg);
void rpc_sched_delete_resv(struct rpc_req *r, const Colossus__Request *msg);
void rpc_acct_history(struct rpc_req *r, const Colossus__Request *msg);
void rpc_acct_report(struct rpc_req *r, const Colossus__Request *msg);
void rpc_power_get(struct rpc_req *r, const Colossus__Request *msg);
void rpc_power_set_limit(struct rpc_req *r, const Colossus__Request *msg);

#endif
