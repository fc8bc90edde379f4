/*
 * Node liveness and node state persistence.
 *
 * A fresh controller treats every node it has not heard from as UNKNOWN
 * and grants it a full lease before declaring it down, so a controller
 * restart never kills healthy jobs ("Node liveness and fencing" in
 * DESIGN.md).
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
#include "controller/drain.h"
#include "controller/ctl.h"
#include "controller/gang.h"
#include "controller/health.h"
#include "controller/job.h"
#include "controller/node.h"
#include "controller/nodewrite.h"
#include "controller/peer.h"

static void node_write_done(const struct pgq_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		log_warn("db: node state write failed: %s", r->error);
}

void node_state_stmt(struct pgq_txn *t, const struct node *n)
{
	char id[16], flags[64], returned[24];
	const char *vals[9];

	snprintf(id, sizeof(id), "%d", n->id);
	snprintf(returned, sizeof(returned), "%lld", (long long)n->returned_at);
	{
		char tmp[48];

		/* "{rma,lemon}": flag names need no quoting. */
		snprintf(flags, sizeof(flags), "{%s}",
			 drain_flags_str(n->flags & ~(unsigned)NODE_FLAG_VALIDATING,
					 tmp, sizeof(tmp)));
	}
	vals[0] = id;
	vals[1] = node_state_name(n->state);
	vals[2] = admin_state_name(n->admin_state);
	vals[3] = health_state_name(n->health);
	vals[4] = n->reason ? n->reason : "";
	vals[5] = n->drained_by;
	vals[6] = n->drain_boot_id;
	vals[7] = flags;
	vals[8] = n->returned_at ? returned : NULL;
	pgq_txn_add(t,
		    "UPDATE nodes SET state = $2, admin_state = $3, "
		    "health = $4, health_reason = CASE WHEN $4 = 'ok' THEN "
		    "'' ELSE $5 END, admin_reason = CASE WHEN $3 = 'none' "
		    "THEN '' ELSE $5 END, drained_by = $6, drain_boot_id = "
		    "$7, flags = $8, returned_at = to_timestamp($9) "
		    "WHERE id = $1",
		    9, vals);
}

void node_persist(struct ctl *ctl, struct node *n)
{
	struct pgq_txn *t;
	struct err e;

	if (ctl->nodewrite) {
		nodewrite_state(ctl->nodewrite, n);
		return;
	}
	if (!ctl->db)
		return;
	t = pgq_txn_begin(ctl->db);
	node_state_stmt(t, n);
	if (pgq_txn_commit(t, node_write_done, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "node=%s: state not written: %s", n->name,
			e.msg);
}

void node_persist_inventory(struct ctl *ctl, struct node *n,
			    const Colossus__NodeInventory *inv)
{
	/* With the next batch of node rows (nodewrite.h), or alone. */
	struct pgq_txn *t = ctl->nodewrite ? nodewrite_txn(ctl->nodewrite)
					   : NULL;
	bool own = false;
	char id[16];
	const char *vals[8];
	struct err e;

	if (!t) {
		if (!ctl->db)
			return;
		t = pgq_txn_begin(ctl->db);
		own = true;
	}
	snprintf(id, sizeof(id), "%d", n->id);
	vals[0] = id;
	vals[1] = n->boot_id;
	vals[2] = n->address;
	pgq_txn_add(t,
		    "UPDATE nodes SET boot_id = $2, address = $3, "
		    "last_register = now() WHERE id = $1",
		    3, vals);
	pgq_txn_add(t, "DELETE FROM gpus WHERE node_id = $1", 1, vals);
	for (size_t i = 0; i < inv->n_gpus && i < NODE_MAX_GPUS; i++) {
		const Colossus__GpuInfo *g = inv->gpus[i];
		char idx[8], mem[24], numa[8];

		snprintf(idx, sizeof(idx), "%u", g->index);
		snprintf(mem, sizeof(mem), "%" PRIu64, g->memory_mib);
		snprintf(numa, sizeof(numa), "%d", g->numa_node);
		vals[1] = idx;
		vals[2] = g->uuid ? g->uuid : "";
		vals[3] = g->model ? g->model : "";
		vals[4] = mem;
		vals[5] = g->pci_bus_id ? g->pci_bus_id : "";
		vals[6] = numa;
		vals[7] = g->serial ? g->serial : "";
		pgq_txn_add(t,
			    "INSERT INTO gpus (node_id, idx, uuid, model, "
			    "memory_mib, pci_bus_id, numa_node, serial) "
			    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			    8, vals);
	}
	if (own && pgq_txn_commit(t, node_write_done, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "node=%s: inventory not written: %s",
			n->name, e.msg);
}

void node_renew_lease(struct ctl *ctl, struct node *n)
{
	int64_t now = util_now_mono_ms();

	n->last_heartbeat_ms = now;
	n->last_heartbeat_wall = util_now_wall_s();
	n->lease_expires_ms = now + (int64_t)ctl->cfg.lease_sec * 1000;
}

void node_mark_up(struct ctl *ctl, struct node *n)
{
	enum node_state was = n->state;

	node_renew_lease(ctl, n);
	if (was == NODE_UP)
		return;
	n->state = NODE_UP;
	n->up_since_mono_ms = util_now_mono_ms();
	node_recount(n);
	log_info("node=%s state=up from=%s", n->name, node_state_name(was));
	if (was == NODE_DOWN)
		ctl_event(ctl, "node_up", "info", "controller", 0, n->id,
			  n->rack->id, "agent registered");
	node_persist(ctl, n);
	ctl_sched_soon(ctl);
}

void node_mark_down(struct ctl *ctl, struct node *n, const char *reason)
{
	if (n->state == NODE_DOWN)
		return;
	/*
	 * Only a node that was working, for a full lease at least, can be
	 * "lost" for rack correlation: agents that register and drop
	 * together while the controller is swamped (a connect storm) say
	 * nothing about the rack's power or switch.
	 */
	n->lost_mono_ms =
		n->state == NODE_UP &&
				util_now_mono_ms() - n->up_since_mono_ms >=
					(int64_t)ctl->cfg.lease_sec * 1000
			? util_now_mono_ms()
			: 0;
	n->state = NODE_DOWN;
	node_recount(n);
	log_warn("node=%s state=down reason=\"%s\"", n->name, reason);
	ctl_event(ctl, "node_down", "warning", "controller", 0, n->id,
		  n->rack->id, reason);
	node_persist(ctl, n);
	/* Its stale-workload GPUs are re-learned when it comes back. */
	n->gpu_fencing = 0;
	node_recount(n);
	gang_node_lost(ctl, n, reason);
	health_node_down(ctl, n);
}

void node_disconnected(struct ctl *ctl, struct node *n, struct peer *p,
		       const char *why)
{
	(void)ctl;
	if (n->peer != p)
		return;
	n->peer = NULL;
	p->node = NULL;
	/*
	 * Not down yet: an agent restart or a network blip reconnects
	 * within the lease, and its ranks keep running meanwhile.
	 */
	log_info("node=%s agent disconnected (%s); lease runs for %.1fs",
		 n->name, why,
		 (double)(n->lease_expires_ms - util_now_mono_ms()) / 1000.0);
}

void node_grace_begin(struct ctl *ctl)
{
	int64_t now = util_now_mono_ms();

	ctl->grace_start_mono_ms = now;
	ctl->last_register_mono_ms = now;
	ctl->grace_until_mono_ms = now + (int64_t)ctl->cfg.lease_sec * 1000;
}

void node_registered(struct ctl *ctl)
{
	ctl->last_register_mono_ms = util_now_mono_ms();
}

/*
 * After a start or a takeover every agent reconnects at once, and the
 * rate at which one controller completes TLS handshakes and
 * registrations bounds how soon the last one is back: thousands of
 * agents can take longer than a lease.  A node still waiting its turn
 * is not dead, and declaring it down would requeue healthy gangs, which
 * is exactly what a takeover must not do (DESIGN "Node liveness and
 * fencing").  So the first lease is always granted, and after it nodes
 * that have not registered keep waiting as long as registrations are
 * still arriving (one within the last lease), up to restart_grace_max.
 * Once registrations stop, whoever is missing gets one more lease.
 */
bool node_restart_grace(const struct ctl *ctl, int64_t now)
{
	int64_t lease = (int64_t)ctl->cfg.lease_sec * 1000;

	if (now < ctl->grace_until_mono_ms)
		return true;
	if (now >= ctl->grace_start_mono_ms +
			   (int64_t)ctl->cfg.restart_grace_max_sec * 1000)
		return false;
	return now - ctl->last_register_mono_ms < lease;
}

void node_sweep(struct ctl *ctl)
{
	int64_t now = util_now_mono_ms();
	int count = cluster_nnodes(ctl->cluster);
	bool settling;

	if (now < ctl->grace_until_mono_ms)
		return;
	settling = node_restart_grace(ctl, now);
	for (int i = 0; i < count; i++) {
		struct node *n = cluster_node_at(ctl->cluster, i);

		if (n->state == NODE_DOWN)
			continue;
		/* A node never seen since start (or since it was added) has
		 * a lease too: from the start, or from when it was added. */
		if (n->lease_expires_ms < now) {
			if (n->state == NODE_UNKNOWN && (n->peer || settling))
				continue;
			node_mark_down(ctl, n,
				       n->state == NODE_UNKNOWN
					       ? "agent did not register after "
						 "controller start"
					       : "heartbeat lease expired");
		}
	}
}

void node_to_info(const struct node *n, Colossus__NodeInfo *info,
		  uint64_t *jobs)
{
	size_t nj = 0;

	info->name = (char *)n->name;
	info->rack = (char *)n->rack->name;
	info->pod = (char *)n->rack->pod->name;
	info->hall = (char *)n->rack->pod->hall->name;
	info->state = (Colossus__NodeState)n->state;
	info->admin_state = (Colossus__AdminState)(
		n->rack->admin_state > n->admin_state ? n->rack->admin_state
						      : n->admin_state);
	info->health = (Colossus__HealthState)n->health;
	info->reason = n->reason ? n->reason : (char *)"";
	info->gpus = n->gpus;
	info->gpus_free = (uint32_t)__builtin_popcount(node_free_mask(n));
	info->gpu_model = (char *)n->gpu_model;
	for (int i = 0; i < n->nuses; i++) {
		const struct alloc *a = n->uses[i].alloc;

		if (a->job)
			jobs[nj++] = a->job_id;
	}
	info->n_jobs = nj;
	info->jobs = jobs;
	info->last_heartbeat = n->last_heartbeat_wall;
	info->n_features = (size_t)n->nfeatures;
	info->features = n->features;
}
