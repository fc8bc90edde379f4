/*
 * Node and rack service state.  See drain.h.
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
#include "controller/drain.h"
#include "controller/gang.h"
#include "controller/job.h"
#include "controller/node.h"
#include "controller/peer.h"

/* Drains counted in the breaker window: a small ring of timestamps. */
#define BREAKER_RING 4096

struct breaker {
	int64_t node_drains[BREAKER_RING];
	int nn, hn;
	int64_t rack_drains[BREAKER_RING];
	int nr, hr;
	bool open;
	int suppressed;
};

static struct breaker *drain_breaker(struct ctl *ctl)
{
	if (!ctl->breaker)
		ctl->breaker = xcalloc(1, sizeof(struct breaker));
	return ctl->breaker;
}

static int breaker_count(const int64_t *ring, int n, int64_t since)
{
	int c = 0;

	for (int i = 0; i < n && i < BREAKER_RING; i++)
		if (ring[i] >= since)
			c++;
	return c;
}

bool drain_breaker_open(const struct ctl *ctl)
{
	return ctl->breaker && ((struct breaker *)ctl->breaker)->open;
}

/*
 * Would one more automated drain trip the breaker?  A bad policy rollout
 * or a fabric outage must not drain the whole cluster: past the limit,
 * automation stops and a human looks (HEALTH.md 3.1, "circuit breaker").
 */
static bool drain_breaker_allows(struct ctl *ctl, bool rack)
{
	struct breaker *b = drain_breaker(ctl);
	int64_t now = util_now_mono_ms();
	int64_t since = now - (int64_t)ctl->cfg.breaker_window_sec * 1000;
	int nodes = breaker_count(b->node_drains, b->nn, since);
	int racks = breaker_count(b->rack_drains, b->nr, since);
	int total = cluster_nnodes(ctl->cluster);
	int max_nodes = (int)((int64_t)total * ctl->cfg.breaker_node_pct / 100);
	char why[200];

	if (max_nodes < 1)
		max_nodes = 1;
	if (b->open) {
		b->suppressed++;
		return false;
	}
	if ((!rack && nodes + 1 > max_nodes) ||
	    (rack && racks + 1 > ctl->cfg.breaker_racks)) {
		b->open = true;
		b->suppressed = 1;
		snprintf(why, sizeof(why),
			 "automated drains stopped: %d nodes and %d racks "
			 "drained in the last %llu s (limits %d nodes, %lld "
			 "racks); an admin must look, then run colossus "
			 "breaker reset",
			 nodes, racks,
			 (unsigned long long)ctl->cfg.breaker_window_sec,
			 max_nodes, (long long)ctl->cfg.breaker_racks);
		log_err("health: circuit breaker open: %s", why);
		ctl_event(ctl, "breaker_open", "critical", DRAIN_ACTOR_HEALTH,
			  0, 0, 0, why);
		return false;
	}
	if (rack)
		b->rack_drains[b->hr++ % BREAKER_RING] = now, b->nr++;
	else
		b->node_drains[b->hn++ % BREAKER_RING] = now, b->nn++;
	return true;
}

void drain_breaker_reset(struct ctl *ctl, const char *actor)
{
	struct breaker *b = drain_breaker(ctl);
	char why[120];

	snprintf(why, sizeof(why), "reset by %s (%d automated actions were "
		 "held back)", actor, b->suppressed);
	memset(b, 0, sizeof(*b));
	log_info("health: circuit breaker %s", why);
	ctl_event(ctl, "breaker_reset", "info", actor, 0, 0, 0, why);
}

const char *drain_flags_str(unsigned flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", (flags & NODE_FLAG_RMA) ? "rma" : "",
		 (flags & NODE_FLAG_RMA) && (flags & ~NODE_FLAG_RMA) ? "," : "",
		 (flags & NODE_FLAG_LEMON) ? "lemon" : "",
		 (flags & NODE_FLAG_LEMON) && (flags & NODE_FLAG_VALIDATING)
			 ? ","
			 : "",
		 (flags & NODE_FLAG_VALIDATING) ? "validating" : "");
	return buf;
}

unsigned drain_flags_parse(const char *s)
{
	unsigned f = 0;

	if (strstr(s, "rma"))
		f |= NODE_FLAG_RMA;
	if (strstr(s, "lemon"))
		f |= NODE_FLAG_LEMON;
	return f;
}

int drain_requeue_node(struct ctl *ctl, struct node *n, const char *reason)
{
	int requeued = 0;

	/* Each requeue stops its gang and may release uses: rescan. */
	for (int guard = 0; guard < NODE_MAX_ALLOCS * 2; guard++) {
		struct job *job = NULL;

		for (int u = 0; u < n->nuses && !job; u++) {
			struct alloc *a = n->uses[u].alloc;

			if (a->job && a->end == ALLOC_LIVE && a->job->alloc == a)
				job = a->job;
		}
		if (!job)
			break;
		gang_requeue(ctl, job, reason, n);
		requeued++;
	}
	return requeued;
}

int drain_node(struct ctl *ctl, struct node *n, const char *actor,
	       const char *reason, bool now, bool automated)
{
	int requeued = 0;
	char why[300];

	if (automated) {
		/* Returned to service and failing again soon: hardware. */
		if (n->returned_at &&
		    util_now_wall_s() - n->returned_at <
			    (int64_t)ctl->cfg.return_window_sec &&
		    !(n->flags & NODE_FLAG_RMA)) {
			n->flags |= NODE_FLAG_RMA;
			snprintf(why, sizeof(why),
				 "failed again within %llu days of returning "
				 "to service: flagged for hardware replacement "
				 "(%s)",
				 (unsigned long long)ctl->cfg.return_window_sec /
					 86400,
				 reason);
			ctl_event(ctl, "node_rma", "error", actor, 0, n->id,
				  n->rack->id, why);
		}
		if (n->admin_state == ADMIN_NONE &&
		    !drain_breaker_allows(ctl, false)) {
			log_warn("node=%s: breaker open, not drained (%s)",
				 n->name, reason);
			return now ? drain_requeue_node(ctl, n, reason) : -1;
		}
	}
	if (now)
		requeued = drain_requeue_node(ctl, n, reason);
	if (n->admin_state == ADMIN_NONE) {
		n->admin_state = n->nuses ? ADMIN_DRAINING : ADMIN_DRAINED;
		snprintf(n->drained_by, sizeof(n->drained_by), "%s", actor);
		if (automated)
			snprintf(n->drain_boot_id, sizeof(n->drain_boot_id),
				 "%s", n->boot_id);
		node_set_reason(n, reason);
		node_recount(n);
		snprintf(why, sizeof(why), "%s (by %s%s)", reason, actor,
			 now ? ", now" : "");
		log_info("node=%s admin=%s reason=\"%s\"", n->name,
			 admin_state_name(n->admin_state), why);
		ctl_event(ctl, "node_drain", automated ? "warning" : "info",
			  actor, 0, n->id, n->rack->id, why);
	}
	node_persist(ctl, n);
	ctl_sched_soon(ctl);
	return requeued;
}

void drain_persist_rack(struct ctl *ctl, struct rack *r)
{
	char id[16];
	const char *vals[5];
	struct err e;

	snprintf(id, sizeof(id), "%d", r->id);
	vals[0] = id;
	vals[1] = admin_state_name(r->admin_state);
	vals[2] = health_state_name(r->health);
	vals[3] = r->reason ? r->reason : "";
	vals[4] = r->drained_by;
	if (pgq_submit(ctl->db,
		       "UPDATE racks SET admin_state = $2, health = $3, "
		       "admin_reason = CASE WHEN $2 = 'none' THEN '' ELSE $4 "
		       "END, health_reason = CASE WHEN $3 = 'ok' THEN '' ELSE "
		       "$4 END, drained_by = $5 WHERE id = $1",
		       5, vals, NULL, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "rack=%s: state not written: %s", r->name,
			e.msg);
}

static void drain_rack_recount(struct rack *r)
{
	for (int i = 0; i < r->nnodes; i++)
		node_recount(r->nodes[i]);
}

int drain_rack(struct ctl *ctl, struct rack *r, const char *actor,
	       const char *reason, bool now, bool automated)
{
	int requeued = 0;
	char why[300];

	if (automated && r->admin_state == ADMIN_NONE &&
	    !drain_breaker_allows(ctl, true)) {
		log_warn("rack=%s: breaker open, not drained (%s)", r->name,
			 reason);
		if (now)
			for (int i = 0; i < r->nnodes; i++)
				requeued += drain_requeue_node(ctl, r->nodes[i],
							       reason);
		return requeued;
	}
	if (now)
		for (int i = 0; i < r->nnodes; i++)
			requeued += drain_requeue_node(ctl, r->nodes[i], reason);
	if (r->admin_state == ADMIN_NONE) {
		int busy = 0;

		for (int i = 0; i < r->nnodes; i++)
			busy += r->nodes[i]->nuses;
		r->admin_state = busy ? ADMIN_DRAINING : ADMIN_DRAINED;
		snprintf(r->drained_by, sizeof(r->drained_by), "%s", actor);
		free(r->reason);
		r->reason = xstrdup(reason);
		drain_rack_recount(r);
		snprintf(why, sizeof(why), "%s (by %s%s)", reason, actor,
			 now ? ", now" : "");
		log_info("rack=%s admin=%s reason=\"%s\"", r->name,
			 admin_state_name(r->admin_state), why);
		ctl_event(ctl, "rack_drain", automated ? "warning" : "info",
			  actor, 0, 0, r->id, why);
		drain_persist_rack(ctl, r);
	}
	ctl_sched_soon(ctl);
	return requeued;
}

bool drain_degrade_node(struct ctl *ctl, struct node *n, const char *reason)
{
	if (n->health != HEALTH_OK)
		return true;
	if (drain_breaker_open(ctl))
		return false;
	n->health = HEALTH_DEGRADED;
	if (n->admin_state == ADMIN_NONE)
		node_set_reason(n, reason);
	node_recount(n);
	log_info("node=%s health=degraded reason=\"%s\"", n->name, reason);
	ctl_event(ctl, "node_degraded", "warning", DRAIN_ACTOR_HEALTH, 0, n->id,
		  n->rack->id, reason);
	node_persist(ctl, n);
	return true;
}

bool drain_degrade_rack(struct ctl *ctl, struct rack *r, const char *reason)
{
	if (r->health != HEALTH_OK)
		return true;
	if (drain_breaker_open(ctl))
		return false;
	r->health = HEALTH_DEGRADED;
	free(r->reason);
	r->reason = xstrdup(reason);
	log_info("rack=%s health=degraded reason=\"%s\"", r->name, reason);
	ctl_event(ctl, "rack_degraded", "warning", DRAIN_ACTOR_HEALTH, 0, 0,
		  r->id, reason);
	drain_persist_rack(ctl, r);
	return true;
}

static void drain_return(struct ctl *ctl, struct node *n, const char *actor,
			 const char *why)
{
	/*
	 * Only a return from a fault starts the window in which failing
	 * again flags the node for replacement; an admin's maintenance
	 * drain says nothing about the hardware.
	 */
	if (n->health != HEALTH_OK ||
	    !strcmp(n->drained_by, DRAIN_ACTOR_HEALTH))
		n->returned_at = util_now_wall_s();
	n->admin_state = ADMIN_NONE;
	n->health = HEALTH_OK;
	n->drained_by[0] = '\0';
	n->drain_boot_id[0] = '\0';
	n->flags &= ~(unsigned)NODE_FLAG_VALIDATING;
	node_set_reason(n, NULL);
	node_recount(n);
	log_info("node=%s back in service (%s)", n->name, why);
	ctl_event(ctl, "node_resume", "info", actor, 0, n->id, n->rack->id,
		  why);
	node_persist(ctl, n);
	ctl_sched_soon(ctl);
}

struct validate_ref {
	struct ctl *ctl;
	int node_id;
	char actor[64];
};

static void drain_validate_cb(struct rpcconn *c, const Colossus__Response *resp,
			      const char *why, void *arg)
{
	struct validate_ref *ref = arg;
	struct ctl *ctl = ref->ctl;
	struct node *n = cluster_node_by_id(ctl->cluster, ref->node_id);
	const Colossus__ValidationResult *v;
	char msg[300];

	(void)c;
	if (!n)
		goto out;
	n->flags &= ~(unsigned)NODE_FLAG_VALIDATING;
	v = resp && resp->status == COLOSSUS__STATUS__STATUS_OK
		    ? resp->run_validation
		    : NULL;
	if (v && v->ok) {
		snprintf(msg, sizeof(msg), "validation passed%s%s",
			 v->detail && *v->detail ? ": " : "",
			 v->detail ? v->detail : "");
		drain_return(ctl, n, ref->actor, msg);
		goto out;
	}
	snprintf(msg, sizeof(msg), "validation failed: %s",
		 v ? (v->detail ? v->detail : "")
		   : resp ? (resp->error ? resp->error : "error") : why);
	log_warn("node=%s %s; stays drained", n->name, msg);
	ctl_event(ctl, "node_validation_failed", "error", ref->actor, 0, n->id,
		  n->rack->id, msg);
	node_set_reason(n, msg);
	node_persist(ctl, n);
out:
	free(ref);
}

static void drain_validate(struct ctl *ctl, struct node *n, const char *actor)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__RunValidation v = COLOSSUS__RUN_VALIDATION__INIT;
	struct validate_ref *ref;
	struct err e;

	if (!n->peer || (n->flags & NODE_FLAG_VALIDATING))
		return;
	v.reason = n->reason ? n->reason : (char *)"return to service";
	v.timeout_sec = (uint32_t)ctl->cfg.validation_timeout_sec;
	req.body_case = COLOSSUS__REQUEST__BODY_RUN_VALIDATION;
	req.run_validation = &v;
	ref = xcalloc(1, sizeof(*ref));
	ref->ctl = ctl;
	ref->node_id = n->id;
	snprintf(ref->actor, sizeof(ref->actor), "%s", actor);
	if (rpcconn_request(n->peer->conn, &req,
			    ((unsigned)ctl->cfg.validation_timeout_sec + 30) *
				    1000,
			    drain_validate_cb, ref, &e) < 0) {
		log_warn("node=%s: cannot start validation: %s", n->name,
			 e.msg);
		free(ref);
		return;
	}
	n->flags |= NODE_FLAG_VALIDATING;
	log_info("node=%s: validating before returning it to service",
		 n->name);
	ctl_event(ctl, "node_validating", "info", actor, 0, n->id, n->rack->id,
		  "return-to-service check started");
}

void drain_resume_node(struct ctl *ctl, struct node *n, const char *actor,
		       bool repaired)
{
	char why[160];

	if (repaired) {
		/* A repair clears the replacement flag, but proves nothing:
		 * the node runs its check first. */
		n->flags &= ~(unsigned)NODE_FLAG_RMA;
		if (n->peer) {
			drain_validate(ctl, n, actor);
			return;
		}
	}
	snprintf(why, sizeof(why), "resumed by %s", actor);
	drain_return(ctl, n, actor, why);
}

void drain_resume_rack(struct ctl *ctl, struct rack *r, const char *actor)
{
	char why[160];

	r->admin_state = ADMIN_NONE;
	r->health = HEALTH_OK;
	r->drained_by[0] = '\0';
	free(r->reason);
	r->reason = NULL;
	drain_rack_recount(r);
	snprintf(why, sizeof(why), "resumed by %s", actor);
	log_info("rack=%s back in service (%s)", r->name, why);
	ctl_event(ctl, "rack_resume", "info", actor, 0, 0, r->id, why);
	drain_persist_rack(ctl, r);
	ctl_sched_soon(ctl);
}

void drain_node_registered(struct ctl *ctl, struct node *n,
			   const char *old_boot_id)
{
	(void)old_boot_id;
	/*
	 * Drained by automation, not waiting for a replacement, and it has
	 * rebooted since (a new boot id): no admin should have to clear
	 * routine drains by hand, so check it and return it.
	 */
	if (n->admin_state == ADMIN_NONE ||
	    strcmp(n->drained_by, DRAIN_ACTOR_HEALTH) ||
	    (n->flags & NODE_FLAG_RMA) || !n->boot_id[0] ||
	    !strcmp(n->boot_id, n->drain_boot_id))
		return;
	drain_validate(ctl, n, DRAIN_ACTOR_HEALTH);
}

void drain_sweep(struct ctl *ctl)
{
	struct cluster *c = ctl->cluster;

	for (int i = 0; i < cluster_nnodes(c); i++) {
		struct node *n = cluster_node_at(c, i);

		if (n->admin_state != ADMIN_DRAINING || n->nuses)
			continue;
		n->admin_state = ADMIN_DRAINED;
		log_info("node=%s admin=drained (idle)", n->name);
		ctl_event(ctl, "node_drained", "info", "controller", 0, n->id,
			  n->rack->id, n->reason ? n->reason : "");
		node_persist(ctl, n);
	}
	for (int i = 0; i < cluster_nracks(c); i++) {
		struct rack *r = cluster_rack_at(c, i);
		int busy = 0;

		if (r->admin_state != ADMIN_DRAINING)
			continue;
		for (int k = 0; k < r->nnodes; k++)
			busy += r->nodes[k]->nuses;
		if (busy)
			continue;
		r->admin_state = ADMIN_DRAINED;
		ctl_event(ctl, "rack_drained", "info", "controller", 0, 0, r->id,
			  r->reason ? r->reason : "");
		drain_persist_rack(ctl, r);
	}
}
