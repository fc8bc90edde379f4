/*
 * Handlers for agents (register, heartbeat, rank exits) and for listing
 * nodes.  An agent speaks only for the node named in its certificate
 * (DESIGN invariant 6); a simulator certificate, accepted only when the
 * controller is configured for benchmarks, may name any node.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/drain.h"
#include "controller/gang.h"
#include "controller/jobspec.h"
#include "controller/metrics.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "controller/rpc.h"

static void rpc_node_take_inventory(struct node *n, struct peer *p,
				    const Colossus__NodeInventory *inv)
{
	const char *addr =
		inv && inv->address && *inv->address ? inv->address : NULL;
	char peer_ip[64];

	if (!addr) {
		/* Fall back to the address the connection came from. */
		char *colon;

		snprintf(peer_ip, sizeof(peer_ip), "%s", p->addr);
		colon = strrchr(peer_ip, ':');
		if (colon)
			*colon = '\0';
		addr = peer_ip;
	}
	if (util_strlcpy(n->address, addr, sizeof(n->address)) < 0)
		n->address[0] = '\0';
	if (inv) {
		if (inv->boot_id && util_strlcpy(n->boot_id, inv->boot_id,
						 sizeof(n->boot_id)) < 0)
			n->boot_id[0] = '\0';
		n->agent_gpus = (unsigned)inv->n_gpus;
	}
}

static bool rpc_node_inventory_valid(const Colossus__NodeInventory *inv,
				     char *why, size_t len)
{
	struct err e;

	if (!inv)
		return true;
	/* Inventory strings go to text columns and logs: UTF-8 only. */
	if (jobspec_check_strings(&inv->base, &e) < 0) {
		snprintf(why, len, "inventory %s", e.msg);
		return false;
	}
	if (inv->n_gpus > NODE_MAX_GPUS) {
		snprintf(why, len, "inventory lists %zu GPUs (at most %d)",
			 inv->n_gpus, NODE_MAX_GPUS);
		return false;
	}
	for (size_t i = 0; i < inv->n_gpus; i++) {
		const Colossus__GpuInfo *g = inv->gpus[i];

		if (g->index >= NODE_MAX_GPUS || !g->uuid ||
		    strlen(g->uuid) > 95 || !g->model ||
		    strlen(g->model) > 63 ||
		    (g->pci_bus_id && strlen(g->pci_bus_id) > 31) ||
		    (g->serial && strlen(g->serial) > 31)) {
			snprintf(why, len, "inventory GPU %zu is malformed", i);
			return false;
		}
	}
	if ((inv->boot_id && strlen(inv->boot_id) > 63) ||
	    (inv->address && strlen(inv->address) > 63)) {
		snprintf(why, len, "inventory boot id or address too long");
		return false;
	}
	return true;
}

#define RPC_NODE_GPUS_MISSING "agent sees "

/*
 * An agent that sees fewer GPUs than the topology gives its node (one
 * fell off the bus, a driver problem, NVML broken) must not be offered
 * the missing ones: its launches would fail and requeue gang after gang.
 * The node is unhealthy until an agent registers with all of them again
 * (level-triggered, so a controller restart or a repaired node needs no
 * admin).  Only this check marks a node failed with this reason prefix.
 */
static void rpc_node_check_gpus(struct ctl *ctl, struct node *n)
{
	char why[160];

	if (n->agent_gpus < n->gpus) {
		if (n->health == HEALTH_FAILED)
			return;
		snprintf(why, sizeof(why),
			 RPC_NODE_GPUS_MISSING "%u of the %u GPUs of the "
					       "topology",
			 n->agent_gpus, n->gpus);
		n->health = HEALTH_FAILED;
		snprintf(n->agent_problem, sizeof(n->agent_problem), "%s", why);
		if (n->admin_state == ADMIN_NONE)
			node_set_reason(n, why);
		node_recount(n);
		log_warn("node=%s health=failed reason=\"%s\"", n->name, why);
		ctl_event(ctl, "node_gpus_missing", "error", "controller", 0,
			  n->id, n->rack->id, why);
		node_persist(ctl, n);
	} else if (n->health == HEALTH_FAILED &&
		   (n->agent_problem[0] ||
		    (n->reason && !strncmp(n->reason, RPC_NODE_GPUS_MISSING,
					   strlen(RPC_NODE_GPUS_MISSING))))) {
		snprintf(why, sizeof(why), "agent sees all %u GPUs again",
			 n->agent_gpus);
		n->health = HEALTH_OK;
		n->agent_problem[0] = '\0';
		if (n->admin_state == ADMIN_NONE)
			node_set_reason(n, NULL);
		node_recount(n);
		log_info("node=%s health=ok (%s)", n->name, why);
		ctl_event(ctl, "node_healthy", "info", "controller", 0, n->id,
			  n->rack->id, why);
		node_persist(ctl, n);
	}
}

void rpc_node_register(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__RegisterNode *m = msg->register_node;
	struct ctl *ctl = r->ctl;
	struct peer *p = r->peer;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__RegisterNodeReply reply = COLOSSUS__REGISTER_NODE_REPLY__INIT;
	Colossus__WorkloadRef **fence = NULL;
	const char *name;
	struct node *n;
	size_t nfence;
	char why[160], old_boot[64];

	if (p->id.role == TLS_ROLE_SIM) {
		name = m->node;
	} else {
		name = p->id.name;
		if (m->node && *m->node && strcmp(m->node, p->id.name)) {
			char esc[80];

			log_warn("conn %s: certificate for node %s tried to "
				 "register as %s",
				 p->addr, p->id.name,
				 log_escape(m->node, esc, sizeof(esc)));
			rpc_error(r, COLOSSUS__STATUS__STATUS_PERMISSION,
				  "certificate is for node '%s', not '%s'",
				  p->id.name, esc);
			rpcconn_close(p->conn, "node identity mismatch");
			return;
		}
	}
	if (!name || !*name || !(n = cluster_node(ctl->cluster, name))) {
		char esc[80];

		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
			  "unknown node '%s': add it to the topology first",
			  log_escape(name ? name : "", esc, sizeof(esc)));
		rpcconn_close(p->conn, "unknown node");
		return;
	}
	if (p->node && p->node != n) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "this connection is already registered as %s",
			  p->node->name);
		return;
	}
	if (!rpc_node_inventory_valid(m->inventory, why, sizeof(why))) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s", why);
		return;
	}
	if (n->peer && n->peer != p) {
		struct peer *old = n->peer;

		log_info("node=%s: new agent connection replaces %s", n->name,
			 old->addr);
		node_disconnected(ctl, n, old, "replaced");
		rpcconn_close(old->conn, "replaced by a newer connection");
	}
	n->peer = p;
	p->node = n;
	node_registered(ctl);
	snprintf(old_boot, sizeof(old_boot), "%s", n->boot_id);
	rpc_node_take_inventory(n, p, m->inventory);
	nfence = gang_reconcile(ctl, n, m->workloads, m->n_workloads, true,
				&fence);
	node_mark_up(ctl, n);
	if (m->inventory)
		node_persist_inventory(ctl, n, m->inventory);
	if (m->inventory)
		rpc_node_check_gpus(ctl, n);
	/* A node short of GPUs is not returned to service by validation. */
	if (n->agent_gpus >= n->gpus || !m->inventory)
		drain_node_registered(ctl, n, old_boot);
	log_info("node=%s registered from %s: %zu GPUs, %zu workloads, %zu "
		 "fenced",
		 n->name, p->addr, m->inventory ? m->inventory->n_gpus : 0,
		 m->n_workloads, nfence);
	reply.heartbeat_interval_ms =
		(uint32_t)ctl->cfg.heartbeat_interval_sec * 1000;
	reply.lease_ms = (uint32_t)ctl->cfg.lease_sec * 1000;
	reply.health_sample_interval_ms =
		(uint32_t)ctl->cfg.sample_interval_sec * 1000;
	reply.n_fence = nfence;
	reply.fence = fence;
	reply.controller_id = ctl->id;
	reply.topology_gpus = n->gpus;
	resp.body_case = COLOSSUS__RESPONSE__BODY_REGISTER_NODE;
	resp.register_node = &reply;
	rpc_respond(r, &resp);
	for (size_t i = 0; i < nfence; i++)
		free(fence[i]);
	free(fence);
	ctl_sched_soon(ctl);
}

void rpc_node_heartbeat(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__Heartbeat *m = msg->heartbeat;
	struct node *n = r->peer->node;
	struct ctl *ctl = r->ctl;

	if (!n) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "heartbeat before registration");
		return;
	}
	ctl->stats.heartbeats++;
	if (m->sent_ms > 0)
		metrics_heartbeat_lag(ctl, util_now_wall_ms() - m->sent_ms);
	if (!ctl->active) {
		/*
		 * The database is away (rpc.c lets only heartbeats through):
		 * keep the node's lease, act on nothing.  The workload list is
		 * level-triggered, so the first heartbeat after the lock is
		 * retaken reconciles everything.
		 */
		if (n->state == NODE_UP)
			node_renew_lease(ctl, n);
		rpc_ok(r);
		return;
	}
	if (n->state != NODE_UP)
		node_mark_up(ctl, n);
	else
		node_renew_lease(ctl, n);
	gang_reconcile(ctl, n, m->workloads, m->n_workloads, false, NULL);
	rpc_ok(r);
}

void rpc_node_rank_exits(struct rpc_req *r, const Colossus__Request *msg)
{
	struct node *n = r->peer->node;

	if (!n) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "rank exits before registration");
		return;
	}
	node_renew_lease(r->ctl, n);
	gang_rank_exits(r->ctl, n, msg->rank_exits);
	rpc_ok(r);
}

static bool rpc_node_is_problem(const struct node *n)
{
	return n->state != NODE_UP || n->admin_state != ADMIN_NONE ||
	       n->health != HEALTH_OK || n->rack->admin_state != ADMIN_NONE;
}

void rpc_node_list(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__ListNodes *m = msg->list_nodes;
	struct ctl *ctl = r->ctl;
	int total = cluster_nnodes(ctl->cluster);
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListNodesReply reply = COLOSSUS__LIST_NODES_REPLY__INIT;
	Colossus__NodeInfo *infos, **ptrs;
	uint64_t *jobs;
	struct hostlist *want = NULL;
	struct node **sel;
	size_t nsel = 0;
	struct err e;

	if (m->n_names) {
		want = hostlist_create();
		for (size_t i = 0; i < m->n_names; i++) {
			if (hostlist_parse(want, m->names[i], 200000, &e) < 0) {
				hostlist_destroy(want);
				rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
					  "bad node list: %s", e.msg);
				return;
			}
		}
	}
	sel = xcalloc((size_t)total + 1, sizeof(*sel));
	if (want) {
		for (size_t i = 0; i < hostlist_count(want); i++) {
			struct node *n = cluster_node(ctl->cluster,
						      hostlist_nth(want, i));

			if (!n) {
				char esc[80];

				log_escape(hostlist_nth(want, i), esc,
					   sizeof(esc));
				hostlist_destroy(want);
				free(sel);
				rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
					  "unknown node '%s'", esc);
				return;
			}
			if (!m->problems_only || rpc_node_is_problem(n))
				sel[nsel++] = n;
		}
		hostlist_destroy(want);
	} else {
		for (int i = 0; i < total; i++) {
			struct node *n = cluster_node_at(ctl->cluster, i);

			if (!m->problems_only || rpc_node_is_problem(n))
				sel[nsel++] = n;
		}
	}
	infos = xcalloc(nsel + 1, sizeof(*infos));
	ptrs = xcalloc(nsel + 1, sizeof(*ptrs));
	jobs = xcalloc((nsel + 1) * NODE_MAX_ALLOCS, sizeof(*jobs));
	for (size_t i = 0; i < nsel; i++) {
		colossus__node_info__init(&infos[i]);
		node_to_info(sel[i], &infos[i], jobs + i * NODE_MAX_ALLOCS);
		ptrs[i] = &infos[i];
	}
	reply.n_nodes = nsel;
	reply.nodes = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_NODES;
	resp.list_nodes = &reply;
	rpc_respond(r, &resp);
	free(infos);
	free(ptrs);
	free(jobs);
	free(sel);
}

/* ---- racks ---------------------------------------------------------- */

/*
 * One rack's summary.  The state word follows the web rack map
 * (http_api.c), worst first, so both views colour a rack alike.
 */
static void rpc_node_rack_info(const struct cluster *c, const struct rack *rk,
			       Colossus__RackInfo *ri)
{
	const struct alloc *seen[NODE_MAX_ALLOCS * 8];
	int nseen = 0, up_drain = 0, up_draining = 0;
	bool failed = rk->health == HEALTH_FAILED;

	colossus__rack_info__init(ri);
	ri->name = (char *)rk->name;
	ri->pod = (char *)rk->pod->name;
	ri->hall = (char *)rk->pod->hall->name;
	ri->admin_state = (Colossus__AdminState)rk->admin_state;
	ri->health = (Colossus__HealthState)rk->health;
	ri->reason = rk->reason ? rk->reason : (char *)"";
	ri->gpu_model = rk->model_id >= 0
				? (char *)cluster_model_name(c, rk->model_id)
				: (char *)"mixed";
	for (int i = 0; i < rk->nnodes; i++) {
		const struct node *n = rk->nodes[i];

		ri->nodes++;
		ri->gpus += n->gpus;
		ri->gpus_used += (uint32_t)__builtin_popcount(n->gpu_used |
							      n->gpu_fencing);
		if (n->state == NODE_UP)
			ri->nodes_up++;
		else if (n->state == NODE_DOWN)
			ri->nodes_down++;
		else
			ri->nodes_unknown++;
		if (n->admin_state == ADMIN_DRAINING)
			ri->nodes_draining++;
		else if (n->admin_state == ADMIN_DRAINED)
			ri->nodes_drained++;
		if (n->state == NODE_UP && n->admin_state != ADMIN_NONE) {
			up_drain++;
			up_draining += n->admin_state == ADMIN_DRAINING;
		}
		if (n->health != HEALTH_OK)
			ri->nodes_unhealthy++;
		failed |= n->health == HEALTH_FAILED;
		ri->problems += n->state == NODE_DOWN ||
				n->admin_state != ADMIN_NONE ||
				n->health != HEALTH_OK;
		/* Distinct allocations: few per rack, a linear scan does. */
		for (int u = 0; u < n->nuses; u++) {
			const struct alloc *a = n->uses[u].alloc;
			int k = 0;

			if (!a->job)
				continue;
			while (k < nseen && seen[k] != a)
				k++;
			if (k == nseen && nseen < (int)ARRAY_SIZE(seen))
				seen[nseen++] = a;
		}
	}
	ri->jobs = (uint32_t)nseen;
	if (rk->admin_state == ADMIN_DRAINED)
		ri->state = (char *)"drained";
	else if (rk->admin_state == ADMIN_DRAINING)
		ri->state = (char *)"draining";
	else if (ri->nodes_up == 0)
		ri->state = ri->nodes_down ? (char *)"down" : (char *)"unknown";
	else if (failed || rk->health != HEALTH_OK)
		ri->state = (char *)"unhealthy";
	else if (up_drain == (int)ri->nodes_up)
		ri->state =
			up_draining ? (char *)"draining" : (char *)"drained";
	else if (ri->gpus_used)
		ri->state = (char *)"busy";
	else
		ri->state = (char *)"idle";
}

void rpc_node_list_racks(struct rpc_req *r, const Colossus__Request *msg)
{
	const struct cluster *c = r->ctl->cluster;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListRacksReply reply = COLOSSUS__LIST_RACKS_REPLY__INIT;
	int n = cluster_nracks(c);
	Colossus__RackInfo *infos = xcalloc((size_t)n + 1, sizeof(*infos));
	Colossus__RackInfo **ptrs = xcalloc((size_t)n + 1, sizeof(*ptrs));

	int k = 0;

	(void)msg;
	/* Hall by hall, pod by pod: the order the map is drawn in. */
	for (int h = 0; h < cluster_nhalls(c); h++) {
		const struct hall *hl = cluster_hall_at(c, h);

		for (int p = 0; p < hl->npods; p++)
			for (int i = 0; i < hl->pods[p]->nracks && k < n; i++) {
				rpc_node_rack_info(c, hl->pods[p]->racks[i],
						   &infos[k]);
				ptrs[k] = &infos[k];
				k++;
			}
	}
	reply.n_racks = (size_t)k;
	reply.racks = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_RACKS;
	resp.list_racks = &reply;
	rpc_respond(r, &resp);
	free(infos);
	free(ptrs);
}
