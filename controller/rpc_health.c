/*
 * Health handlers: agent health reports, rack monitor readings, admin
 * drain/resume (committed before acknowledged, DESIGN invariant 1), the
 * circuit breaker, event listings and per-node health.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/drain.h"
#include "controller/health.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "controller/rpc.h"

void rpc_health_report(struct rpc_req *r, const Colossus__Request *msg)
{
	struct node *n = r->peer->node;

	if (!n) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "health report before registration");
		return;
	}
	if (msg->health_report->n_gpus > HEALTH_MAX_GPUS ||
	    msg->health_report->n_events > 4096 ||
	    msg->health_report->n_nics > HEALTH_MAX_NICS) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "health report too large");
		return;
	}
	node_renew_lease(r->ctl, n);
	health_node_report(r->ctl, n, msg->health_report);
	rpc_ok(r);
}

void rpc_health_rack_readings(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__ReportRackReadings *m = msg->rack_readings;

	if (m->n_racks > 10000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "too many racks in one report");
		return;
	}
	for (size_t i = 0; i < m->n_racks; i++) {
		struct rack *rk = m->racks[i]->rack
					  ? cluster_rack(r->ctl->cluster,
							 m->racks[i]->rack)
					  : NULL;

		if (!rk) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
				  "unknown rack '%.64s'",
				  m->racks[i]->rack ? m->racks[i]->rack : "");
			return;
		}
	}
	for (size_t i = 0; i < m->n_racks; i++)
		health_rack_readings(r->ctl,
				     cluster_rack(r->ctl->cluster,
						  m->racks[i]->rack),
				     m->racks[i]);
	rpc_ok(r);
}

/* ---- drain and resume --------------------------------------------------- */

struct drain_ctx {
	struct rpc_req *r;
	bool resume, now, repaired;
	char *reason;
	int *node_ids;
	int nnodes;
	int *rack_ids;
	int nracks;
	char **labels; /* one per target, for the reply */
	uint32_t *counts;
	int ntargets;
};

static void drain_ctx_free(struct drain_ctx *dx)
{
	for (int i = 0; i < dx->ntargets; i++)
		free(dx->labels[i]);
	free(dx->labels);
	free(dx->counts);
	free(dx->node_ids);
	free(dx->rack_ids);
	free(dx->reason);
	free(dx);
}

static char *rpc_int_array(const int *v, int n)
{
	size_t cap = (size_t)n * 12 + 3, used = 0;
	char *s = xmalloc(cap);

	s[used++] = '{';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%d",
					 i ? "," : "", v[i]);
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

static void rpc_drain_done(const struct pgq_result *res, void *arg)
{
	struct drain_ctx *dx = arg;
	struct ctl *ctl = dx->r->ctl;
	const char *actor = dx->r->peer->id.name;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__DrainNodesReply reply = COLOSSUS__DRAIN_NODES_REPLY__INIT;
	Colossus__DrainResult *rs;
	Colossus__DrainResult **ptrs;
	uint32_t requeued = 0;

	if (!res->ok) {
		rpc_error(dx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "not recorded: %s", res->error);
		drain_ctx_free(dx);
		return;
	}
	/* Recorded: act in memory (drain/resume persist again: harmless). */
	for (int i = 0; i < dx->nracks; i++) {
		struct rack *rk = NULL;

		for (int k = 0; k < cluster_nracks(ctl->cluster) && !rk; k++)
			if (cluster_rack_at(ctl->cluster, k)->id == dx->rack_ids[i])
				rk = cluster_rack_at(ctl->cluster, k);
		if (!rk)
			continue;
		if (dx->resume)
			drain_resume_rack(ctl, rk, actor);
		else
			requeued += (uint32_t)drain_rack(ctl, rk, actor,
							 dx->reason, dx->now,
							 false);
	}
	for (int i = 0; i < dx->nnodes; i++) {
		struct node *n = cluster_node_by_id(ctl->cluster,
						    dx->node_ids[i]);

		if (!n)
			continue;
		if (dx->resume)
			drain_resume_node(ctl, n, actor, dx->repaired);
		else
			requeued += (uint32_t)drain_node(ctl, n, actor,
							 dx->reason, dx->now,
							 false);
	}
	rs = xcalloc((size_t)dx->ntargets + 1, sizeof(*rs));
	ptrs = xcalloc((size_t)dx->ntargets + 1, sizeof(*ptrs));
	for (int i = 0; i < dx->ntargets; i++) {
		colossus__drain_result__init(&rs[i]);
		rs[i].target = dx->labels[i];
		rs[i].nodes = dx->counts[i];
		ptrs[i] = &rs[i];
	}
	if (dx->ntargets)
		rs[0].jobs_requeued = requeued;
	reply.n_results = (size_t)dx->ntargets;
	reply.results = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_DRAIN_NODES;
	resp.drain_nodes = &reply;
	rpc_respond(dx->r, &resp);
	free(rs);
	free(ptrs);
	drain_ctx_free(dx);
}

static void drain_add_rack(struct drain_ctx *dx, const struct rack *rk)
{
	dx->rack_ids = xreallocarray(dx->rack_ids, (size_t)dx->nracks + 1,
				     sizeof(int));
	dx->rack_ids[dx->nracks++] = rk->id;
}

static void drain_add_label(struct drain_ctx *dx, const char *label,
			    uint32_t nodes)
{
	dx->labels = xreallocarray(dx->labels, (size_t)dx->ntargets + 1,
				   sizeof(char *));
	dx->counts = xreallocarray(dx->counts, (size_t)dx->ntargets + 1,
				   sizeof(uint32_t));
	dx->labels[dx->ntargets] = xstrdup(label);
	dx->counts[dx->ntargets++] = nodes;
}

/* Resolve targets at the level into node or rack ids.  0 or -1 + e. */
static int drain_resolve(struct ctl *ctl, const Colossus__DrainNodes *m,
			 struct drain_ctx *dx, struct err *e)
{
	const char *level = m->level && *m->level ? m->level : "node";
	struct cluster *c = ctl->cluster;

	for (size_t t = 0; t < m->n_targets; t++) {
		const char *name = m->targets[t];

		if (!strcmp(level, "node")) {
			struct hostlist *hl = hostlist_create();

			if (hostlist_parse(hl, name, 200000, e) < 0) {
				hostlist_destroy(hl);
				return -1;
			}
			for (size_t i = 0; i < hostlist_count(hl); i++) {
				struct node *n = cluster_node(c,
							      hostlist_nth(hl, i));

				if (!n) {
					err_set(e, "unknown node '%s'",
						hostlist_nth(hl, i));
					hostlist_destroy(hl);
					return -1;
				}
				dx->node_ids = xreallocarray(
					dx->node_ids, (size_t)dx->nnodes + 1,
					sizeof(int));
				dx->node_ids[dx->nnodes++] = n->id;
			}
			drain_add_label(dx, name, (uint32_t)hostlist_count(hl));
			hostlist_destroy(hl);
		} else if (!strcmp(level, "rack")) {
			struct rack *rk = cluster_rack(c, name);

			if (!rk)
				return err_set(e, "unknown rack '%.64s'", name);
			drain_add_rack(dx, rk);
			drain_add_label(dx, name, (uint32_t)rk->nnodes);
		} else if (!strcmp(level, "pod") || !strcmp(level, "hall")) {
			bool pod = !strcmp(level, "pod");
			uint32_t count = 0;

			if (pod ? !cluster_pod(c, name) : !cluster_hall(c, name))
				return err_set(e, "unknown %s '%.64s'", level,
					       name);
			for (int k = 0; k < cluster_nracks(c); k++) {
				struct rack *rk = cluster_rack_at(c, k);

				if (strcmp(pod ? rk->pod->name
					       : rk->pod->hall->name,
					   name))
					continue;
				drain_add_rack(dx, rk);
				count += (uint32_t)rk->nnodes;
			}
			drain_add_label(dx, name, count);
		} else {
			return err_set(e, "level must be node, rack, pod or "
				       "hall, not '%.16s'",
				       level);
		}
	}
	return 0;
}

void rpc_health_drain(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__DrainNodes *m = msg->drain_nodes;
	struct ctl *ctl = r->ctl;
	struct drain_ctx *dx;
	struct pgq_txn *t;
	char *ids;
	const char *vals[4];
	struct err e;

	if (m->n_targets == 0 || m->n_targets > 10000) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "give between 1 and 10,000 targets");
		return;
	}
	if (!m->resume && (!m->reason || !*m->reason)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "a drain needs a reason (--reason)");
		return;
	}
	if (m->reason && strlen(m->reason) > 256) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "reason longer than 256 characters");
		return;
	}
	dx = xcalloc(1, sizeof(*dx));
	dx->r = r;
	dx->resume = m->resume;
	dx->now = m->now;
	dx->repaired = m->repaired;
	dx->reason = xstrdup(m->reason ? m->reason : "");
	if (drain_resolve(ctl, m, dx, &e) < 0) {
		drain_ctx_free(dx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND, "%s", e.msg);
		return;
	}
	t = pgq_txn_begin(ctl->db);
	vals[1] = m->resume ? "" : r->peer->id.name;
	vals[2] = m->resume ? "" : dx->reason;
	vals[3] = m->resume ? "none" : "draining";
	if (dx->nnodes) {
		ids = rpc_int_array(dx->node_ids, dx->nnodes);
		vals[0] = ids;
		pgq_txn_add(t,
			    "UPDATE nodes SET admin_state = CASE WHEN $4 = "
			    "'none' THEN 'none' WHEN admin_state = 'drained' "
			    "THEN 'drained' ELSE $4 END, drained_by = $2, "
			    "admin_reason = $3 WHERE id = ANY($1::int[])",
			    4, vals);
		free(ids);
	}
	if (dx->nracks) {
		ids = rpc_int_array(dx->rack_ids, dx->nracks);
		vals[0] = ids;
		pgq_txn_add(t,
			    "UPDATE racks SET admin_state = CASE WHEN $4 = "
			    "'none' THEN 'none' WHEN admin_state = 'drained' "
			    "THEN 'drained' ELSE $4 END, drained_by = $2, "
			    "admin_reason = $3 WHERE id = ANY($1::int[])",
			    4, vals);
		free(ids);
	}
	if (pgq_txn_commit(t, rpc_drain_done, dx, &e) < 0) {
		struct pgq_result res = { .ok = false, .error = e.msg };

		rpc_drain_done(&res, dx);
	}
}

void rpc_health_reset_breaker(struct rpc_req *r, const Colossus__Request *msg)
{
	(void)msg;
	drain_breaker_reset(r->ctl, r->peer->id.name);
	rpc_ok(r);
}

/* ---- events ------------------------------------------------------------------- */

static void rpc_events_done(const struct pgq_result *res, void *arg)
{
	struct rpc_req *r = arg;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ListEventsReply reply = COLOSSUS__LIST_EVENTS_REPLY__INIT;
	int n = pgq_ntuples(res, 0);
	Colossus__Event *ev;
	Colossus__Event **ptrs;

	if (!res->ok) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "database: %s", res->error);
		return;
	}
	ev = xcalloc((size_t)n + 1, sizeof(*ev));
	ptrs = xcalloc((size_t)n + 1, sizeof(*ptrs));
	for (int i = 0; i < n; i++) {
		const char *v;

		colossus__event__init(&ev[i]);
		ev[i].id = strtoull(pgq_value(res, 0, i, 0), NULL, 10);
		ev[i].at_ms = strtoll(pgq_value(res, 0, i, 1), NULL, 10);
		ev[i].kind = (char *)pgq_value(res, 0, i, 2);
		ev[i].severity = (char *)pgq_value(res, 0, i, 3);
		ev[i].actor = (char *)pgq_value(res, 0, i, 4);
		v = pgq_value(res, 0, i, 5);
		ev[i].job_id = v ? strtoull(v, NULL, 10) : 0;
		v = pgq_value(res, 0, i, 6);
		ev[i].node = (char *)(v ? v : "");
		v = pgq_value(res, 0, i, 7);
		ev[i].rack = (char *)(v ? v : "");
		ev[i].reason = (char *)pgq_value(res, 0, i, 8);
		ptrs[i] = &ev[i];
	}
	reply.n_events = (size_t)n;
	reply.events = ptrs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_LIST_EVENTS;
	resp.list_events = &reply;
	rpc_respond(r, &resp);
	free(ev);
	free(ptrs);
}

void rpc_health_events(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__ListEvents *m = msg->list_events;
	char job[24], since[24], until[24], after[24], limit[16];
	const char *vals[8];
	struct err e;

	snprintf(job, sizeof(job), "%" PRIu64, m->job_id);
	snprintf(since, sizeof(since), "%lld", (long long)m->since_ms);
	snprintf(until, sizeof(until), "%lld", (long long)m->until_ms);
	snprintf(after, sizeof(after), "%" PRIu64, m->after_id);
	snprintf(limit, sizeof(limit), "%u",
		 m->limit ? (m->limit > 10000 ? 10000 : m->limit) : 100);
	vals[0] = m->node && *m->node ? m->node : NULL;
	vals[1] = m->rack && *m->rack ? m->rack : NULL;
	vals[2] = m->job_id ? job : NULL;
	vals[3] = m->kind && *m->kind ? m->kind : NULL;
	vals[4] = since;
	vals[5] = after;
	vals[6] = limit;
	vals[7] = m->until_ms > 0 ? until : NULL;
	/* Newest first, unless following (after_id): oldest new first. */
	if (pgq_submit(r->ctl->db,
		       "SELECT * FROM (SELECT e.id, (extract(epoch from e.at) * "
		       "1000)::bigint, e.kind, e.severity, e.actor, e.job_id, "
		       "n.name, rk.name, e.reason FROM events e "
		       "LEFT JOIN nodes n ON n.id = e.node_id "
		       "LEFT JOIN racks rk ON rk.id = coalesce(e.rack_id, "
		       "n.rack_id) WHERE ($1::text IS NULL OR n.name = $1) "
		       "AND ($2::text IS NULL OR rk.name = $2) "
		       "AND ($3::bigint IS NULL OR e.job_id = $3) "
		       "AND ($4::text IS NULL OR starts_with(e.kind, $4)) "
		       "AND e.at >= to_timestamp($5::bigint / 1000.0) "
		       "AND e.id > $6::bigint "
		       "AND ($8::bigint IS NULL OR "
		       "e.at < to_timestamp($8::bigint / 1000.0)) "
		       "ORDER BY CASE WHEN $6::bigint > 0 THEN e.id ELSE -e.id "
		       "END LIMIT $7::int) s",
		       8, vals, rpc_events_done, r, &e) < 0)
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
}

/* ---- health of a node or rack -------------------------------------------------- */

void rpc_health_get(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__GetHealth *m = msg->get_health;
	struct ctl *ctl = r->ctl;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__GetHealthReply reply = COLOSSUS__GET_HEALTH_REPLY__INIT;
	struct node *nodes[256];
	int nn = 0;
	struct rack *rk = NULL;
	Colossus__NodeHealthInfo *infos;
	Colossus__NodeHealthInfo **ptrs;
	Colossus__GpuHealth **gptrs;
	Colossus__NicHealth *nics, **nptrs;
	char (*flags)[48];
	char *save;

	if (m->node && *m->node) {
		struct node *n = cluster_node(ctl->cluster, m->node);

		if (!n) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
				  "unknown node '%.64s'", m->node);
			return;
		}
		nodes[nn++] = n;
	} else if (m->rack && *m->rack) {
		rk = cluster_rack(ctl->cluster, m->rack);
		if (!rk) {
			rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
				  "unknown rack '%.64s'", m->rack);
			return;
		}
		for (int i = 0; i < rk->nnodes && nn < 256; i++)
			nodes[nn++] = rk->nodes[i];
	} else {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "give a node or a rack");
		return;
	}
	infos = xcalloc((size_t)nn, sizeof(*infos));
	ptrs = xcalloc((size_t)nn, sizeof(*ptrs));
	gptrs = xcalloc((size_t)nn * HEALTH_MAX_GPUS, sizeof(*gptrs));
	nics = xcalloc((size_t)nn * HEALTH_MAX_NICS, sizeof(*nics));
	nptrs = xcalloc((size_t)nn * HEALTH_MAX_NICS, sizeof(*nptrs));
	flags = xcalloc((size_t)nn, sizeof(*flags));
	for (int i = 0; i < nn; i++) {
		struct node *n = nodes[i];
		char *fl[4], *w;
		int nf = 0;

		colossus__node_health_info__init(&infos[i]);
		infos[i].node = n->name;
		infos[i].state = (char *)node_state_name(n->state);
		infos[i].admin_state = (char *)admin_state_name(
			n->rack->admin_state > n->admin_state
				? n->rack->admin_state
				: n->admin_state);
		infos[i].health = (char *)health_state_name(n->health);
		infos[i].rack = n->rack->name;
		infos[i].rack_admin_state =
			(char *)admin_state_name(n->rack->admin_state);
		infos[i].reason = n->reason ? n->reason
				  : n->rack->reason ? n->rack->reason
						    : (char *)"";
		health_node_readings(n, &infos[i], gptrs + i * HEALTH_MAX_GPUS,
				     nics + i * HEALTH_MAX_NICS,
				     nptrs + i * HEALTH_MAX_NICS);
		/* One word per flag, so clients need not parse a list. */
		drain_flags_str(n->flags, flags[i], sizeof(flags[i]));
		for (w = strtok_r(flags[i], ",", &save); w && nf < 4;
		     w = strtok_r(NULL, ",", &save))
			fl[nf++] = w;
		/* Whoever drained what admin_state shows: node or rack. */
		infos[i].drained_by = n->rack->admin_state > n->admin_state
					      ? n->rack->drained_by
					      : n->drained_by;
		infos[i].n_flags = (size_t)nf;
		infos[i].flags = nf ? xcalloc((size_t)nf, sizeof(char *))
				    : NULL;
		for (int k = 0; k < nf; k++)
			infos[i].flags[k] = fl[k];
		ptrs[i] = &infos[i];
	}
	reply.n_nodes = (size_t)nn;
	reply.nodes = ptrs;
	if (rk) {
		reply.rack = (Colossus__RackReadings *)health_rack_latest(rk);
		reply.rack_state = (char *)admin_state_name(rk->admin_state);
		reply.rack_reason = rk->reason ? rk->reason : (char *)"";
	}
	resp.body_case = COLOSSUS__RESPONSE__BODY_GET_HEALTH;
	resp.get_health = &reply;
	rpc_respond(r, &resp);
	for (int i = 0; i < nn; i++)
		free(infos[i].flags);
	free(infos);
	free(ptrs);
	free(gptrs);
	free(nics);
	free(nptrs);
	free(flags);
}
