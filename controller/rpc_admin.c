/*
 * Admin and informational handlers: whoami and topology changes.
 *
 * A topology change is validated against the model in memory, written in
 * one transaction, and only then added to the model, so a running
 * controller grows without a restart and never holds an object the
 * database does not.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/peer.h"
#include "controller/rpc.h"

void rpc_admin_whoami(struct rpc_req *r, const Colossus__Request *msg)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__WhoAmIReply reply = COLOSSUS__WHO_AM_IREPLY__INIT;

	(void)msg;
	reply.name = r->peer->id.name;
	reply.role = (char *)tlsctx_role_name(r->peer->id.role);
	reply.controller_version = (char *)PACKAGE_VERSION;
	reply.protocol_version = RPC_VERSION;
	reply.controller_id = r->ctl->id;
	reply.active = r->ctl->active;
	resp.body_case = COLOSSUS__RESPONSE__BODY_WHOAMI;
	resp.whoami = &reply;
	rpc_respond(r, &resp);
}

/* A growable "{a,b,c}" text[] or int[] literal (elements need no quoting:
 * names are [A-Za-z0-9._-] and checked before). */
struct arr {
	char *s;
	size_t len, cap;
	int n;
};

static void arr_add(struct arr *a, const char *v)
{
	size_t vl = strlen(v);

	if (a->len + vl + 4 > a->cap) {
		a->cap = (a->cap + vl + 4) * 2;
		a->s = xrealloc(a->s, a->cap);
	}
	if (a->len == 0)
		a->s[a->len++] = '{';
	else
		a->s[a->len++] = ',';
	memcpy(a->s + a->len, v, vl);
	a->len += vl;
	a->s[a->len] = '\0';
	a->n++;
}

static const char *arr_done(struct arr *a)
{
	if (a->len == 0) {
		a->cap = 4;
		a->s = xrealloc(a->s, a->cap);
		memcpy(a->s, "{}", 3);
		return a->s;
	}
	a->s[a->len] = '}';
	a->s[a->len + 1] = '\0';
	return a->s;
}

#define TOPO_ARRAYS 10

struct topo_ctx {
	struct rpc_req *r;
	Colossus__ApplyTopology *msg; /* private copy */
	int nodes_updated;
};

static int topo_check(struct ctl *ctl, const Colossus__ApplyTopology *m,
		      int *nodes_updated, char *why, size_t len)
{
	struct cluster *c = ctl->cluster;

	*nodes_updated = 0;
	for (size_t i = 0; i < m->n_halls; i++)
		if (!util_valid_name(m->halls[i]->name, NAME_MAX_LEN - 1)) {
			snprintf(why, len, "invalid hall name");
			return -1;
		}
	for (size_t i = 0; i < m->n_pods; i++) {
		const Colossus__TopoPod *p = m->pods[i];
		struct pod *old = util_valid_name(p->name, NAME_MAX_LEN - 1)
					  ? cluster_pod(c, p->name)
					  : NULL;
		bool hall_known = cluster_hall(c, p->hall) != NULL;

		if (!util_valid_name(p->name, NAME_MAX_LEN - 1)) {
			snprintf(why, len, "invalid pod name");
			return -1;
		}
		for (size_t h = 0; h < m->n_halls && !hall_known; h++)
			hall_known = !strcmp(m->halls[h]->name, p->hall);
		if (!hall_known) {
			snprintf(why, len, "pod %s: unknown hall '%.64s'",
				 p->name, p->hall);
			return -1;
		}
		if (old && strcmp(old->hall->name, p->hall)) {
			snprintf(why, len, "pod %s is in hall %s, not %.64s "
				 "(moving pods is not supported)",
				 p->name, old->hall->name, p->hall);
			return -1;
		}
	}
	for (size_t i = 0; i < m->n_racks; i++) {
		const Colossus__TopoRack *rk = m->racks[i];
		struct rack *old;
		bool pod_known;

		if (!util_valid_name(rk->name, NAME_MAX_LEN - 1)) {
			snprintf(why, len, "invalid rack name");
			return -1;
		}
		old = cluster_rack(c, rk->name);
		pod_known = cluster_pod(c, rk->pod) != NULL;
		for (size_t p = 0; p < m->n_pods && !pod_known; p++)
			pod_known = !strcmp(m->pods[p]->name, rk->pod);
		if (!pod_known) {
			snprintf(why, len, "rack %s: unknown pod '%.64s'",
				 rk->name, rk->pod);
			return -1;
		}
		if (old && strcmp(old->pod->name, rk->pod)) {
			snprintf(why, len, "rack %s is in pod %s, not %.64s "
				 "(moving racks is not supported)",
				 rk->name, old->pod->name, rk->pod);
			return -1;
		}
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		const Colossus__TopoNode *n = m->nodes[i];
		struct node *old;
		bool rack_known;

		if (!util_valid_name(n->name, NAME_MAX_LEN - 1) ||
		    !util_valid_name(n->gpu_model && *n->gpu_model
					     ? n->gpu_model
					     : "H100",
				     31) ||
		    n->gpus > NODE_MAX_GPUS) {
			snprintf(why, len, "node %.64s: invalid name, model or "
				 "GPU count", n->name);
			return -1;
		}
		for (size_t f = 0; f < n->n_features; f++)
			if (!util_valid_name(n->features[f], 63)) {
				snprintf(why, len, "node %s: invalid feature",
					 n->name);
				return -1;
			}
		old = cluster_node(c, n->name);
		rack_known = cluster_rack(c, n->rack) != NULL;
		for (size_t r = 0; r < m->n_racks && !rack_known; r++)
			rack_known = !strcmp(m->racks[r]->name, n->rack);
		if (!rack_known) {
			snprintf(why, len, "node %s: unknown rack '%.64s'",
				 n->name, n->rack);
			return -1;
		}
		if (old && strcmp(old->rack->name, n->rack)) {
			snprintf(why, len, "node %s is in rack %s, not %.64s "
				 "(moving nodes is not supported)",
				 n->name, old->rack->name, n->rack);
			return -1;
		}
		if (old)
			(*nodes_updated)++;
	}
	return 0;
}

static void topo_apply_memory(struct ctl *ctl, struct topo_ctx *tx,
			      const struct pgq_result *res,
			      Colossus__ApplyTopologyReply *reply)
{
	struct cluster *c = ctl->cluster;
	const Colossus__ApplyTopology *m = tx->msg;
	struct err e;

	/* Results 0..3: RETURNING id, name of halls, pods, racks, nodes. */
	for (int i = 0; i < pgq_ntuples(res, 0); i++) {
		const char *name = pgq_value(res, 0, i, 1);

		if (!cluster_hall(c, name) &&
		    cluster_add_hall(c, atoi(pgq_value(res, 0, i, 0)), name,
				     &e))
			reply->halls_added++;
	}
	for (int i = 0; i < pgq_ntuples(res, 1); i++) {
		const char *name = pgq_value(res, 1, i, 1);

		if (!cluster_pod(c, name) &&
		    cluster_add_pod(c, atoi(pgq_value(res, 1, i, 0)), name,
				    pgq_value(res, 1, i, 2), &e))
			reply->pods_added++;
	}
	for (int i = 0; i < pgq_ntuples(res, 2); i++) {
		const char *name = pgq_value(res, 2, i, 1);

		if (!cluster_rack(c, name) &&
		    cluster_add_rack(c, atoi(pgq_value(res, 2, i, 0)), name,
				     pgq_value(res, 2, i, 2), &e))
			reply->racks_added++;
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		const Colossus__TopoNode *tn = m->nodes[i];
		struct node *n = cluster_node(c, tn->name);
		const char *model = tn->gpu_model && *tn->gpu_model
					    ? tn->gpu_model
					    : "H100";
		unsigned gpus = tn->gpus ? tn->gpus : 8;

		if (n) {
			n->gpus = gpus;
			if (util_strlcpy(n->gpu_model, model,
					 sizeof(n->gpu_model)) < 0)
				n->gpu_model[0] = '\0';
			node_set_features(n, tn->features, (int)tn->n_features);
			continue;
		}
		for (int k = 0; k < pgq_ntuples(res, 3); k++) {
			if (strcmp(pgq_value(res, 3, k, 1), tn->name))
				continue;
			n = cluster_add_node(c, atoi(pgq_value(res, 3, k, 0)),
					     tn->name, tn->rack, (int)tn->slot,
					     gpus, model, &e);
			if (n) {
				node_set_features(n, tn->features,
						  (int)tn->n_features);
				/* A new node gets a lease to register in. */
				n->lease_expires_ms =
					util_now_mono_ms() +
					(int64_t)ctl->cfg.lease_sec * 1000;
				reply->nodes_added++;
			} else {
				log_err("topology: %s", e.msg);
			}
			break;
		}
	}
	cluster_finish(c);
	reply->nodes_updated = (uint32_t)tx->nodes_updated;
}

static void topo_done(const struct pgq_result *res, void *arg)
{
	struct topo_ctx *tx = arg;
	struct ctl *ctl = tx->r->ctl;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ApplyTopologyReply reply =
		COLOSSUS__APPLY_TOPOLOGY_REPLY__INIT;

	if (!res->ok) {
		rpc_error(tx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "topology not recorded: %s", res->error);
	} else {
		char why[200];

		topo_apply_memory(ctl, tx, res, &reply);
		snprintf(why, sizeof(why),
			 "by %s: +%u halls, +%u pods, +%u racks, +%u nodes, "
			 "%u nodes updated",
			 tx->r->peer->id.name, reply.halls_added,
			 reply.pods_added, reply.racks_added,
			 reply.nodes_added, reply.nodes_updated);
		log_info("topology changed %s", why);
		ctl_event(ctl, "topology_changed", "info", tx->r->peer->id.name,
			  0, 0, 0, why);
		resp.body_case = COLOSSUS__RESPONSE__BODY_APPLY_TOPOLOGY;
		resp.apply_topology = &reply;
		rpc_respond(tx->r, &resp);
		ctl_sched_soon(ctl);
	}
	colossus__apply_topology__free_unpacked(tx->msg, NULL);
	free(tx);
}

void rpc_admin_apply_topology(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__ApplyTopology *m = msg->apply_topology;
	struct ctl *ctl = r->ctl;
	struct arr a[TOPO_ARRAYS];
	struct topo_ctx *tx;
	struct pgq_txn *t;
	const char *vals[6];
	char why[300];
	int updated;
	uint8_t *buf;
	size_t len;
	struct err e;

	if (m->n_nodes > 200000 || m->n_racks > 50000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "topology too large");
		return;
	}
	if (topo_check(ctl, m, &updated, why, sizeof(why)) < 0) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID, "%s", why);
		return;
	}
	memset(a, 0, sizeof(a));
	for (size_t i = 0; i < m->n_halls; i++)
		arr_add(&a[0], m->halls[i]->name);
	for (size_t i = 0; i < m->n_pods; i++) {
		arr_add(&a[1], m->pods[i]->name);
		arr_add(&a[2], m->pods[i]->hall);
	}
	for (size_t i = 0; i < m->n_racks; i++) {
		arr_add(&a[3], m->racks[i]->name);
		arr_add(&a[4], m->racks[i]->pod);
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		const Colossus__TopoNode *n = m->nodes[i];
		char num[16], feat[1024];
		size_t fl = 0;

		arr_add(&a[5], n->name);
		arr_add(&a[6], n->rack);
		snprintf(num, sizeof(num), "%u", n->slot);
		arr_add(&a[7], num);
		snprintf(num, sizeof(num), "%u", n->gpus ? n->gpus : 8);
		arr_add(&a[8], num);
		feat[0] = '\0';
		for (size_t f = 0; f < n->n_features && fl + 66 < sizeof(feat);
		     f++)
			fl += (size_t)snprintf(feat + fl, sizeof(feat) - fl,
					       "%s%s", f ? ":" : "",
					       n->features[f]);
		/* model and feature list travel as "model/f1:f2". */
		{
			char mf[1100];

			snprintf(mf, sizeof(mf), "%s/%s",
				 n->gpu_model && *n->gpu_model ? n->gpu_model
							       : "H100",
				 feat);
			arr_add(&a[9], mf);
		}
	}
	t = pgq_txn_begin(ctl->db);
	vals[0] = arr_done(&a[0]);
	pgq_txn_add(t,
		    "INSERT INTO halls (name) SELECT unnest($1::text[]) "
		    "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name "
		    "RETURNING id, name",
		    1, vals);
	vals[0] = arr_done(&a[1]);
	vals[1] = arr_done(&a[2]);
	pgq_txn_add(t,
		    "INSERT INTO pods (hall_id, name) SELECT h.id, u.name FROM "
		    "unnest($1::text[], $2::text[]) AS u(name, hall) "
		    "JOIN halls h ON h.name = u.hall ON CONFLICT (name) DO "
		    "UPDATE SET name = EXCLUDED.name RETURNING id, name, "
		    "(SELECT name FROM halls WHERE id = hall_id)",
		    2, vals);
	vals[0] = arr_done(&a[3]);
	vals[1] = arr_done(&a[4]);
	pgq_txn_add(t,
		    "INSERT INTO racks (pod_id, name) SELECT p.id, u.name FROM "
		    "unnest($1::text[], $2::text[]) AS u(name, pod) "
		    "JOIN pods p ON p.name = u.pod ON CONFLICT (name) DO "
		    "UPDATE SET name = EXCLUDED.name RETURNING id, name, "
		    "(SELECT name FROM pods WHERE id = pod_id)",
		    2, vals);
	vals[0] = arr_done(&a[5]);
	vals[1] = arr_done(&a[6]);
	vals[2] = arr_done(&a[7]);
	vals[3] = arr_done(&a[8]);
	vals[4] = arr_done(&a[9]);
	pgq_txn_add(t,
		    "INSERT INTO nodes (rack_id, name, slot, gpus, gpu_model, "
		    "features) SELECT r.id, u.name, u.slot, u.gpus, "
		    "split_part(u.mf, '/', 1), "
		    "coalesce(string_to_array(nullif(split_part(u.mf, '/', 2), "
		    "''), ':'), '{}') FROM unnest($1::text[], $2::text[], "
		    "$3::int[], $4::int[], $5::text[]) AS u(name, rack, slot, "
		    "gpus, mf) JOIN racks r ON r.name = u.rack "
		    "ON CONFLICT (name) DO UPDATE SET gpus = EXCLUDED.gpus, "
		    "gpu_model = EXCLUDED.gpu_model, features = "
		    "EXCLUDED.features RETURNING id, name",
		    5, vals);
	for (int i = 0; i < TOPO_ARRAYS; i++)
		free(a[i].s);
	/* Keep a private copy of the request for the commit callback. */
	len = colossus__apply_topology__get_packed_size(m);
	buf = xmalloc(len ? len : 1);
	colossus__apply_topology__pack(m, buf);
	tx = xcalloc(1, sizeof(*tx));
	tx->r = r;
	tx->msg = colossus__apply_topology__unpack(NULL, len, buf);
	tx->nodes_updated = updated;
	free(buf);
	if (!tx->msg) {
		pgq_txn_abort(t);
		free(tx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_INTERNAL,
			  "cannot copy topology request");
		return;
	}
	if (pgq_txn_commit(t, topo_done, tx, &e) < 0) {
		struct pgq_result res = { .ok = false, .error = e.msg };

		topo_done(&res, tx);
	}
}
