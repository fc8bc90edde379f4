/*
 * Power handlers: colossus power (draws, limits, ramp) for everyone, and
 * colossus power limit for admins, committed to power_limits before it
 * is acknowledged and applied (DESIGN invariant 1).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/peer.h"
#include "controller/powerctl.h"
#include "controller/rpc.h"

static void rpc_power_scope(struct ctl *ctl, Colossus__PowerScope *ps,
			    int scope, const char *name, const char *parent,
			    const struct powerctl_sum *s)
{
	bool admin;

	colossus__power_scope__init(ps);
	ps->scope = (char *)power_scope_name(scope);
	ps->name = (char *)name;
	ps->parent = (char *)parent;
	ps->limit_w = powerctl_limit(ctl->power, scope, name, &admin);
	ps->limit_admin = admin;
	if (!s)
		return;
	ps->predicted_w = s->cur_w;
	ps->model_w = s->model_w;
	ps->measured_w = s->meas_w;
	ps->nodes = (uint32_t)s->nodes;
	ps->nodes_measured = (uint32_t)s->nmeas;
	ps->idle_w = s->idle_w;
}

void rpc_power_get(struct rpc_req *r, const Colossus__Request *msg)
{
	struct ctl *ctl = r->ctl;
	const struct cluster *c = ctl->cluster;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__GetPowerReply reply = COLOSSUS__GET_POWER_REPLY__INIT;
	Colossus__PowerRamp ramp = COLOSSUS__POWER_RAMP__INIT;
	Colossus__PowerScope site, *halls, **hp, *racks = NULL, **rp = NULL;
	int nh = cluster_nhalls(c),
	    nr = msg->get_power->racks ? cluster_nracks(c) : 0;

	powerctl_refresh_if_older(ctl, 1000);
	rpc_power_scope(ctl, &site, POWER_SITE, "", "", &ctl->power->site);
	halls = xcalloc((size_t)nh + 1, sizeof(*halls));
	hp = xcalloc((size_t)nh + 1, sizeof(*hp));
	for (int i = 0; i < nh; i++) {
		const struct hall *h = cluster_hall_at(c, i);

		rpc_power_scope(ctl, &halls[i], POWER_HALL, h->name, "",
				powerctl_hall_sum(ctl, h));
		hp[i] = &halls[i];
	}
	if (nr) {
		racks = xcalloc((size_t)nr, sizeof(*racks));
		rp = xcalloc((size_t)nr, sizeof(*rp));
		for (int i = 0; i < nr; i++) {
			const struct rack *rk = cluster_rack_at(c, i);

			rpc_power_scope(ctl, &racks[i], POWER_RACK, rk->name,
					rk->pod->hall->name,
					powerctl_rack_sum(ctl, rk));
			rp[i] = &racks[i];
		}
	}
	ramp.limit_w = ctl->power->cfg.ramp_w;
	ramp.window_ms = (uint32_t)ctl->power->cfg.ramp_window_ms;
	ramp.up_used_w = powerctl_ramp_used(ctl, true);
	ramp.down_used_w = powerctl_ramp_used(ctl, false);
	ramp.launching = (uint32_t)powerctl_queued(ctl, false);
	ramp.stopping = (uint32_t)powerctl_queued(ctl, true);
	reply.site = &site;
	reply.n_halls = (size_t)nh;
	reply.halls = hp;
	reply.n_racks = (size_t)nr;
	reply.racks = rp;
	reply.ramp = &ramp;
	reply.jobs_waiting = (uint32_t)powerctl_jobs_waiting(ctl);
	resp.body_case = COLOSSUS__RESPONSE__BODY_GET_POWER;
	resp.get_power = &reply;
	rpc_respond(r, &resp);
	free(halls);
	free(hp);
	free(racks);
	free(rp);
}

struct power_limit_ctx {
	struct rpc_req *r;
	int scope;
	char name[NAME_MAX_LEN];
	double w; /* < 0: back to the default */
};

static void rpc_power_limit_done(const struct pgq_result *res, void *arg)
{
	struct power_limit_ctx *px = arg;
	struct ctl *ctl = px->r->ctl;
	char why[200], w[24];

	if (!res->ok) {
		rpc_error(px->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "not recorded: %s", res->error);
		free(px);
		return;
	}
	powerctl_set_limit(ctl, px->scope, px->name, px->w);
	snprintf(why, sizeof(why), "%s%s%s power limit %s",
		 power_scope_name(px->scope), *px->name ? " " : "", px->name,
		 px->w < 0    ? "back to the configured default"
		 : px->w == 0 ? "set to unlimited"
			      : "set to ");
	if (px->w > 0)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s",
			 power_format(px->w, w, sizeof(w)));
	log_info("power: %s by %s", why, px->r->peer->id.name);
	ctl_event(ctl, "power_limit", "info", px->r->peer->id.name, 0, 0, 0,
		  why);
	/* Effective from the next pass: a lower limit holds starts back. */
	ctl_sched_soon(ctl);
	rpc_ok(px->r);
	free(px);
}

void rpc_power_set_limit(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__SetPowerLimit *m = msg->set_power_limit;
	struct ctl *ctl = r->ctl;
	struct power_limit_ctx *px;
	int scope = power_scope_parse(m->scope);
	const char *name = m->name ? m->name : "";
	char w[32];
	const char *vals[4];
	struct err e;
	int rc;

	if (scope < 0) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "scope must be site, hall or rack");
		return;
	}
	if (scope == POWER_SITE && *name) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "the site limit takes no name");
		return;
	}
	if ((scope == POWER_HALL && !cluster_hall(ctl->cluster, name)) ||
	    (scope == POWER_RACK && !cluster_rack(ctl->cluster, name))) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_NOT_FOUND,
			  "no %s '%.64s'", power_scope_name(scope), name);
		return;
	}
	if (!m->clear &&
	    (!isfinite(m->limit_w) || m->limit_w < 0 || m->limit_w > 1e12)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "a limit is between 0 (unlimited) and 1 TW");
		return;
	}
	px = xcalloc(1, sizeof(*px));
	px->r = r;
	px->scope = scope;
	snprintf(px->name, sizeof(px->name), "%s", name);
	px->w = m->clear ? -1 : m->limit_w;
	snprintf(w, sizeof(w), "%.3f", m->limit_w);
	vals[0] = power_scope_name(scope);
	vals[1] = px->name;
	vals[2] = w;
	vals[3] = r->peer->id.name;
	if (m->clear)
		rc = pgq_submit(ctl->db,
				"DELETE FROM power_limits WHERE scope = $1 "
				"AND name = $2",
				2, vals, rpc_power_limit_done, px, &e);
	else
		rc = pgq_submit(ctl->db,
				"INSERT INTO power_limits (scope, name, "
				"limit_w, set_by) VALUES ($1, $2, $3, $4) "
				"ON CONFLICT (scope, name) DO UPDATE SET "
				"limit_w = EXCLUDED.limit_w, set_by = "
				"EXCLUDED.set_by, set_at = now()",
				4, vals, rpc_power_limit_done, px, &e);
	if (rc < 0) {
		free(px);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE, "%s", e.msg);
	}
}
