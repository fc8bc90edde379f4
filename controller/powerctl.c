/*
 * Power in the controller: draws, budgets, admin limits, explanations and
 * metrics.  See powerctl.h; the waves are in power_wave.c.
 *
 * A node's draw for the budgets is its GPUs' power readings (plus the
 * model's estimate of the rest of the node) when the reading is recent
 * and was taken at least one sample interval after every part on the
 * node was running (told "go" and started) with its current GPUs;
 * otherwise the model for the GPUs it has busy.  A gang prepared in
 * waves and waiting for its "go" thus stays charged in full.  A placement adds the model's step for the
 * GPUs it takes, so a start is charged in full at once, before its ranks
 * draw anything (committed power).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/health.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/powerctl.h"

/* GPU power reading valid (nodeagent/gpu.h enum gpu_field GPU_F_POWER,
 * part of the wire contract of GpuHealth.valid). */
#define POWERCTL_GPU_F_POWER (1u << 1)

int powerctl_create(struct ctl *ctl, struct err *e)
{
	struct powerctl *p = xcalloc(1, sizeof(*p));

	if (power_cfg_from(&p->cfg, &ctl->cfg, e) < 0) {
		free(p);
		return -1;
	}
	p->ctl = ctl;
	p->hall_limits = smap_create();
	p->rack_limits = smap_create();
	ctl->power = p;
	return 0;
}

static struct smap *powerctl_map(struct powerctl *p, int scope)
{
	return scope == POWER_HALL ? p->hall_limits : p->rack_limits;
}

static void powerctl_clear_admin(struct powerctl *p)
{
	for (int i = 0; i < p->nlimits; i++) {
		smap_del(powerctl_map(p, p->limits[i]->scope),
			 p->limits[i]->name);
		free(p->limits[i]);
	}
	free(p->limits);
	p->limits = NULL;
	p->nlimits = 0;
	p->site_admin = false;
	p->site_admin_w = 0;
}

void powerctl_destroy(struct ctl *ctl)
{
	struct powerctl *p = ctl->power;

	if (!p)
		return;
	powerctl_waves_fini(ctl);
	powerctl_clear_admin(p);
	smap_destroy(p->hall_limits);
	smap_destroy(p->rack_limits);
	free(p->nodes);
	free(p->racks);
	free(p->halls);
	free(p);
	ctl->power = NULL;
}

int powerctl_reload(struct ctl *ctl, struct err *e)
{
	struct power_cfg pc;

	if (!ctl->power)
		return 0;
	if (power_cfg_from(&pc, &ctl->cfg, e) < 0)
		return -1;
	ctl->power->cfg = pc;
	memset(ctl->power->by_model, 0, sizeof(ctl->power->by_model));
	ctl->power->refreshed_ms = 0;
	powerctl_kick(ctl);
	return 0;
}

/* ---- limits ---------------------------------------------------------- */

static const char *const powerctl_scopes[] = { "site", "hall", "rack" };

int power_scope_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s && !strcmp(s, powerctl_scopes[i]))
			return i;
	return -1;
}

const char *power_scope_name(int scope)
{
	return scope >= 0 && scope < 3 ? powerctl_scopes[scope] : "?";
}

double powerctl_limit(const struct powerctl *p, int scope, const char *name,
		      bool *admin)
{
	const struct powerctl_limit *l = NULL;
	bool dummy;

	if (!admin)
		admin = &dummy;
	*admin = false;
	switch (scope) {
	case POWER_SITE:
		*admin = p->site_admin;
		return p->site_admin ? p->site_admin_w : p->cfg.site_limit_w;
	case POWER_HALL:
		l = smap_get(p->hall_limits, name);
		*admin = l != NULL;
		return l ? l->w : p->cfg.hall_limit_w;
	case POWER_RACK:
		l = smap_get(p->rack_limits, name);
		*admin = l != NULL;
		return l ? l->w : p->cfg.rack_limit_w;
	default:
		return 0;
	}
}

void powerctl_set_limit(struct ctl *ctl, int scope, const char *name, double w)
{
	struct powerctl *p = ctl->power;
	struct powerctl_limit *l;
	struct smap *m;

	if (scope == POWER_SITE) {
		p->site_admin = w >= 0;
		p->site_admin_w = w >= 0 ? w : 0;
		return;
	}
	m = powerctl_map(p, scope);
	l = smap_get(m, name);
	if (w < 0) {
		if (!l)
			return;
		smap_del(m, l->name);
		for (int i = 0; i < p->nlimits; i++)
			if (p->limits[i] == l) {
				p->limits[i] = p->limits[--p->nlimits];
				break;
			}
		free(l);
		return;
	}
	if (!l) {
		l = xcalloc(1, sizeof(*l));
		l->scope = scope;
		snprintf(l->name, sizeof(l->name), "%s", name);
		p->limits = xreallocarray(p->limits, (size_t)p->nlimits + 1,
					  sizeof(*p->limits));
		p->limits[p->nlimits++] = l;
		smap_put(m, l->name, l);
	}
	l->w = w;
}

void powerctl_load_limits(struct ctl *ctl, const struct pgq_result *r, int q)
{
	int count = pgq_ntuples(r, q);

	powerctl_clear_admin(ctl->power);
	for (int i = 0; i < count; i++) {
		int scope = power_scope_parse(pgq_value(r, q, i, 0));
		const char *name = pgq_value(r, q, i, 1);
		const char *w = pgq_value(r, q, i, 2);

		if (scope < 0 || !name || !w) {
			log_warn("load: power limit row %d is malformed; "
				 "skipped",
				 i);
			continue;
		}
		powerctl_set_limit(ctl, scope, name, strtod(w, NULL));
	}
	if (count)
		log_info("load: %d power limits set by admins", count);
}

/* Does any budget apply (else the planner needs no hook)? */
static bool powerctl_any_limit(const struct powerctl *p)
{
	return p->cfg.site_limit_w > 0 || p->cfg.hall_limit_w > 0 ||
	       p->cfg.rack_limit_w > 0 || p->site_admin || p->nlimits > 0;
}

/* ---- draws ------------------------------------------------------------ */

static const struct power_model *powerctl_model(struct powerctl *p,
						const struct cluster *c,
						const struct node *n)
{
	int id = n->model_id;

	if (id < 0 || id >= (int)ARRAY_SIZE(p->by_model))
		return power_model_find(&p->cfg, n->gpu_model);
	if (!p->by_model[id])
		p->by_model[id] =
			power_model_find(&p->cfg, cluster_model_name(c, id));
	return p->by_model[id];
}

static unsigned powerctl_busy_gpus(const struct node *n)
{
	return (unsigned)__builtin_popcount(
		(unsigned)(n->gpu_used | n->gpu_fencing));
}

/* The node's reading in watts, or -1 when there is none to trust. */
static double powerctl_reading(const struct powerctl *p, const struct node *n,
			       const struct power_model *m, int64_t changed,
			       int64_t now)
{
	Colossus__NodeHealthInfo info = COLOSSUS__NODE_HEALTH_INFO__INIT;
	Colossus__GpuHealth *g[HEALTH_MAX_GPUS];
	Colossus__NicHealth nics[HEALTH_MAX_NICS], *np[HEALTH_MAX_NICS];
	double sum = 0;

	if (!n->hs || n->gpus == 0)
		return -1;
	health_node_readings(n, &info, g, nics, np);
	if (!info.sample_ms || info.sample_ms < changed + p->cfg.settle_ms ||
	    now - info.sample_ms > p->cfg.stale_ms || info.n_gpus != n->gpus)
		return -1;
	for (size_t i = 0; i < info.n_gpus; i++) {
		if (!(info.gpus[i]->valid & POWERCTL_GPU_F_POWER))
			return -1;
		sum += info.gpus[i]->power_mw / 1000.0;
	}
	return power_node_measured(m, n->gpus, sum);
}

/*
 * Is every part on n running (its ranks started), so that its readings
 * show what its work draws?  An idle node is.  Fenced GPUs hold work we
 * do not know: not running as far as the budget is concerned.
 */
static bool powerctl_node_running(const struct node *n)
{
	if (n->gpu_fencing)
		return false;
	for (int u = 0; u < n->nuses; u++) {
		const struct alloc *a = n->uses[u].alloc;
		const struct alloc_part *pt = &a->parts[n->uses[u].part];

		if (pt->state == PART_RELEASED || pt->exits_done)
			continue;
		if (pt->state != PART_RUNNING || a->end != ALLOC_LIVE)
			return false;
	}
	return true;
}

static void powerctl_size(struct powerctl *p, const struct cluster *c,
			  int64_t now)
{
	int nn = cluster_nnodes(c), nr = cluster_nracks(c),
	    nh = cluster_nhalls(c);

	if (p->generation == cluster_generation(c) && p->nnodes == nn &&
	    p->nracks == nr && p->nhalls == nh && p->nodes)
		return;
	/* Topology changed: node indexes moved.  Start over; a reading is
	 * used again after the node's next sample. */
	free(p->nodes);
	free(p->racks);
	free(p->halls);
	p->nodes = xcalloc((size_t)nn + 1, sizeof(*p->nodes));
	p->racks = xcalloc((size_t)nr + 1, sizeof(*p->racks));
	p->halls = xcalloc((size_t)nh + 1, sizeof(*p->halls));
	p->nnodes = nn;
	p->nracks = nr;
	p->nhalls = nh;
	for (int i = 0; i < nn; i++) {
		p->nodes[i].seen_used = cluster_node_at(c, i)->gpu_used;
		p->nodes[i].changed_ms = now;
	}
	p->generation = cluster_generation(c);
	memset(p->by_model, 0, sizeof(p->by_model));
}

static void powerctl_sum_add(struct powerctl_sum *s,
			     const struct powerctl_node *pn, double idle)
{
	s->cur_w += pn->cur_w;
	s->model_w += pn->model_w;
	s->idle_w += idle;
	s->nodes++;
	if (pn->measured) {
		s->meas_w += pn->cur_w;
		s->nmeas++;
	}
}

static void powerctl_sum_reset(struct powerctl_sum *s)
{
	uint64_t held = s->held_by;

	memset(s, 0, sizeof(*s));
	s->held_by = held;
}

void powerctl_refresh(struct ctl *ctl)
{
	struct powerctl *p = ctl->power;
	const struct cluster *c = ctl->cluster;
	int64_t now = util_now_wall_ms();

	powerctl_size(p, c, now);
	for (int i = 0; i < p->nracks; i++)
		powerctl_sum_reset(&p->racks[i]);
	for (int i = 0; i < p->nhalls; i++)
		powerctl_sum_reset(&p->halls[i]);
	powerctl_sum_reset(&p->site);
	for (int i = 0; i < p->nnodes; i++) {
		const struct node *n = cluster_node_at(c, i);
		struct powerctl_node *pn = &p->nodes[i];
		const struct power_model *m = powerctl_model(p, c, n);
		uint16_t used = (uint16_t)(n->gpu_used | n->gpu_fencing);
		double meas, idle = power_node_idle(m, n->gpus);

		if (used != pn->seen_used) {
			pn->seen_used = used;
			pn->changed_ms = now;
			pn->running_ms = 0;
		}
		if (!powerctl_node_running(n))
			pn->running_ms = 0;
		else if (!pn->running_ms)
			pn->running_ms =
				now > pn->changed_ms ? now : pn->changed_ms;
		pn->model_w =
			power_node_model(m, n->gpus, powerctl_busy_gpus(n));
		meas = pn->running_ms
			       ? powerctl_reading(p, n, m, pn->running_ms, now)
			       : -1;
		pn->measured = meas >= 0;
		pn->cur_w = pn->measured ? meas : pn->model_w;
		powerctl_sum_add(&p->racks[n->rack->index], pn, idle);
		powerctl_sum_add(&p->halls[n->rack->pod->hall->index], pn,
				 idle);
		powerctl_sum_add(&p->site, pn, idle);
	}
	p->refreshed_ms = util_now_mono_ms();
}

void powerctl_refresh_if_older(struct ctl *ctl, int64_t max_age_ms)
{
	struct powerctl *p = ctl->power;

	if (!p->refreshed_ms ||
	    util_now_mono_ms() - p->refreshed_ms >= max_age_ms ||
	    p->generation != cluster_generation(ctl->cluster))
		powerctl_refresh(ctl);
}

const struct powerctl_sum *powerctl_hall_sum(const struct ctl *ctl,
					     const struct hall *h)
{
	const struct powerctl *p = ctl->power;

	return h->index < p->nhalls ? &p->halls[h->index] : NULL;
}

const struct powerctl_sum *powerctl_rack_sum(const struct ctl *ctl,
					     const struct rack *r)
{
	const struct powerctl *p = ctl->power;

	return r->index < p->nracks ? &p->racks[r->index] : NULL;
}

int powerctl_jobs_waiting(struct ctl *ctl)
{
	size_t pos = 0;
	struct job *job;
	int n = 0;

	while ((job = job_table_next(ctl->jobs, &pos)) != NULL)
		if (job->state == JOB_PENDING && job->reason &&
		    !strncmp(job->reason, "waiting for power", 17))
			n++;
	return n;
}

/* ---- budgets ---------------------------------------------------------- */

static void powerctl_verdict(struct plan_power_verdict *v, const char *what,
			     double would, double limit)
{
	char a[24], b[24];

	snprintf(v->why, sizeof(v->why),
		 "waiting for power: %s would draw %s of its %s limit", what,
		 power_format(would, a, sizeof(a)),
		 power_format(limit, b, sizeof(b)));
}

static void powerctl_held(struct plan_power_verdict *v, const char *what,
			  uint64_t by)
{
	snprintf(v->why, sizeof(v->why),
		 "waiting for power: %s's headroom is held for job %" PRIu64
		 " (higher priority, waiting for power)",
		 what, by);
}

static void powerctl_fail_hall(struct powerctl *p, int index)
{
	for (int i = 0; i < p->nfail_halls; i++)
		if (p->fail_halls[i] == index)
			return;
	if (p->nfail_halls < (int)ARRAY_SIZE(p->fail_halls))
		p->fail_halls[p->nfail_halls++] = index;
}

static int powerctl_check(void *arg, const struct job *job,
			  const struct place_result *res,
			  struct plan_power_verdict *v)
{
	struct powerctl *p = arg;
	struct ctl *ctl = p->ctl;
	const struct cluster *c = ctl->cluster;
	double site_d = 0, *hall_d, *rack_d, lim;
	int *racks, nr = 0, rc = -1;
	char what[96];

	if (job->id != p->check_job) {
		p->check_job = job->id;
		p->nfail_halls = 0;
		p->fail_site = false;
	}
	hall_d = xcalloc((size_t)p->nhalls + 1, sizeof(double));
	rack_d = xcalloc((size_t)p->nracks + 1, sizeof(double));
	racks = xcalloc((size_t)res->n + 1, sizeof(int));
	for (int i = 0; i < res->n; i++) {
		const struct node *n = res->nodes[i];
		const struct power_model *m = powerctl_model(p, c, n);
		double d = power_node_step(
			m, n->gpus,
			(unsigned)__builtin_popcount(res->masks[i]));

		if (n->index >= p->nnodes)
			continue; /* added since the refresh: next pass */
		if (rack_d[n->rack->index] == 0)
			racks[nr++] = n->rack->index;
		rack_d[n->rack->index] += d;
		hall_d[n->rack->pod->hall->index] += d;
		site_d += d;
	}
	p->check_need_w = site_d;
	if (p->site.held_by && p->site.held_by != job->id) {
		powerctl_held(v, "the site", p->site.held_by);
		goto out;
	}
	lim = powerctl_limit(p, POWER_SITE, "", NULL);
	if (lim > 0 && p->site.cur_w + site_d > lim) {
		powerctl_verdict(v, "the site", p->site.cur_w + site_d, lim);
		p->fail_site = true;
		goto out;
	}
	for (int h = 0; h < p->nhalls; h++) {
		const struct hall *hall = cluster_hall_at(c, h);
		const struct powerctl_sum *s = &p->halls[h];

		if (hall_d[h] <= 0)
			continue;
		snprintf(what, sizeof(what), "hall %s", hall->name);
		if (s->held_by && s->held_by != job->id) {
			powerctl_held(v, what, s->held_by);
			v->avoid_hall = hall;
			goto out;
		}
		lim = powerctl_limit(p, POWER_HALL, hall->name, NULL);
		if (lim > 0 && s->cur_w + hall_d[h] > lim) {
			powerctl_verdict(v, what, s->cur_w + hall_d[h], lim);
			v->avoid_hall = hall;
			powerctl_fail_hall(p, h);
			goto out;
		}
	}
	for (int i = 0; i < nr; i++) {
		const struct rack *r = cluster_rack_at(c, racks[i]);
		const struct powerctl_sum *s = &p->racks[racks[i]];

		lim = powerctl_limit(p, POWER_RACK, r->name, NULL);
		if (lim > 0 && s->cur_w + rack_d[racks[i]] > lim) {
			snprintf(what, sizeof(what), "rack %s", r->name);
			powerctl_verdict(v, what, s->cur_w + rack_d[racks[i]],
					 lim);
			v->avoid_rack = r;
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		p->blocked++;
	free(hall_d);
	free(rack_d);
	free(racks);
	return rc;
}

/*
 * The job found no placement within the budgets.  With [power] reserve
 * it holds the headroom of the site or halls that refused it, so that
 * smaller, lower-priority jobs do not keep it waiting for ever, unless it
 * could not fit there even with every other node idle.
 */
static void powerctl_blocked(void *arg, const struct job *job)
{
	struct powerctl *p = arg;
	double lim;

	if (!p->cfg.reserve || job->id != p->check_job)
		return;
	if (p->fail_site) {
		lim = powerctl_limit(p, POWER_SITE, "", NULL);
		if (!p->site.held_by && p->site.idle_w + p->check_need_w <= lim)
			p->site.held_by = job->id;
	}
	for (int i = 0; i < p->nfail_halls; i++) {
		struct powerctl_sum *s = &p->halls[p->fail_halls[i]];
		const struct hall *h =
			cluster_hall_at(p->ctl->cluster, p->fail_halls[i]);

		lim = powerctl_limit(p, POWER_HALL, h->name, NULL);
		if (!s->held_by && s->idle_w + p->check_need_w <= lim)
			s->held_by = job->id;
	}
}

void powerctl_begin_pass(struct ctl *ctl, struct plan_cfg *pcfg)
{
	struct powerctl *p = ctl->power;

	pcfg->power = NULL;
	if (!p || !powerctl_any_limit(p))
		return;
	/* Readings move once per sample; starts are added as they are
	 * made, ends show at the next refresh (an overestimate meanwhile). */
	powerctl_refresh_if_older(ctl, 1000);
	/* A pass over new jobs keeps the full pass's holds: the jobs that
	 * hold headroom are not in it, and the new ones must not take it. */
	if (!pcfg->new_jobs_only) {
		p->site.held_by = 0;
		for (int i = 0; i < p->nhalls; i++)
			p->halls[i].held_by = 0;
	}
	p->check_job = 0;
	p->hook.check = powerctl_check;
	p->hook.blocked = powerctl_blocked;
	p->hook.arg = p;
	pcfg->power = &p->hook;
}

void powerctl_started(struct ctl *ctl, const struct place_result *res)
{
	struct powerctl *p = ctl->power;
	const struct cluster *c = ctl->cluster;
	int64_t now = util_now_wall_ms();

	if (!p || !p->nodes)
		return;
	for (int i = 0; i < res->n; i++) {
		const struct node *n = res->nodes[i];
		struct powerctl_node *pn;
		double d;

		if (n->index >= p->nnodes)
			continue;
		pn = &p->nodes[n->index];
		d = power_node_step(
			powerctl_model(p, c, n), n->gpus,
			(unsigned)__builtin_popcount(res->masks[i]));
		/* Its reading predates the work: the model until the next. */
		if (pn->measured) {
			double drop = pn->cur_w - pn->model_w;

			p->racks[n->rack->index].meas_w -= pn->cur_w;
			p->racks[n->rack->index].nmeas--;
			p->halls[n->rack->pod->hall->index].meas_w -= pn->cur_w;
			p->halls[n->rack->pod->hall->index].nmeas--;
			p->site.meas_w -= pn->cur_w;
			p->site.nmeas--;
			pn->measured = false;
			pn->cur_w = pn->model_w;
			p->racks[n->rack->index].cur_w -= drop;
			p->halls[n->rack->pod->hall->index].cur_w -= drop;
			p->site.cur_w -= drop;
		}
		pn->cur_w += d;
		pn->model_w += d;
		pn->seen_used = (uint16_t)(n->gpu_used | n->gpu_fencing);
		pn->changed_ms = now;
		pn->running_ms = 0;
		p->racks[n->rack->index].cur_w += d;
		p->racks[n->rack->index].model_w += d;
		p->halls[n->rack->pod->hall->index].cur_w += d;
		p->halls[n->rack->pod->hall->index].model_w += d;
		p->site.cur_w += d;
		p->site.model_w += d;
	}
}

/* ---- explanations ------------------------------------------------------ */

static size_t powerctl_scope_text(char *buf, size_t len, const char *what,
				  double cur, double lim)
{
	char a[24], b[24], h[24];
	int n;

	n = snprintf(buf, len, "%s %s of its %s limit (%s headroom)", what,
		     power_format(cur, a, sizeof(a)),
		     power_format(lim, b, sizeof(b)),
		     power_format(lim > cur ? lim - cur : 0, h, sizeof(h)));
	return n < 0 ? 0 : (size_t)n;
}

void powerctl_explain(struct ctl *ctl, const struct job *job, char *buf,
		      size_t len)
{
	struct powerctl *p = ctl->power;
	const struct cluster *c = ctl->cluster;
	const struct power_model *m;
	size_t used = 0;
	double lim, step, need;
	char a[24], b[24];
	unsigned gpus = job->gpus_per_node ? job->gpus_per_node : 8;

	buf[0] = '\0';
	if (!p || len < 2)
		return;
	powerctl_refresh_if_older(ctl, 1000);
	m = power_model_find(&p->cfg, *job->gpu_model ? job->gpu_model : NULL);
	step = power_node_step(m, gpus > m->ref_gpus ? gpus : m->ref_gpus,
			       gpus);
	need = step * job->nodes;
	used += (size_t)snprintf(buf, len,
				 "power: the job adds about %s (%u x "
				 "%s)",
				 power_format(need, a, sizeof(a)), job->nodes,
				 power_format(step, b, sizeof(b)));
	lim = powerctl_limit(p, POWER_SITE, "", NULL);
	if (lim > 0 && used + 2 < len) {
		used += (size_t)snprintf(buf + used, len - used, "; ");
		if (used < len)
			used += powerctl_scope_text(buf + used, len - used,
						    "site", p->site.cur_w, lim);
	}
	for (int h = 0; h < cluster_nhalls(c) && h < p->nhalls && used < len;
	     h++) {
		const struct hall *hall = cluster_hall_at(c, h);
		char what[80];

		lim = powerctl_limit(p, POWER_HALL, hall->name, NULL);
		if (lim <= 0 || used + 2 >= len)
			continue;
		snprintf(what, sizeof(what), "hall %s", hall->name);
		used += (size_t)snprintf(buf + used, len - used, "; ");
		if (used < len)
			used += powerctl_scope_text(buf + used, len - used,
						    what, p->halls[h].cur_w,
						    lim);
	}
	/* Said already when it is the reason the job waits. */
	if (p->site.held_by && p->site.held_by != job->id &&
	    !strstr(job->reason, "headroom is held") && used + 2 < len)
		used += (size_t)snprintf(buf + used, len - used,
					 "; the site's headroom is held for "
					 "job %" PRIu64,
					 p->site.held_by);
	if (used >= len)
		buf[len - 1] = '\0';
}

/* ---- metrics ------------------------------------------------------------- */

static void powerctl_fam(struct evbuffer *o, const char *name, const char *type,
			 const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

/* Hall names are plain names ([A-Za-z0-9._-]): no label escaping. */
static void powerctl_scope_series(struct evbuffer *o, const char *name,
				  struct ctl *ctl, int what)
{
	struct powerctl *p = ctl->power;
	const struct cluster *c = ctl->cluster;

	for (int h = -1; h < p->nhalls && h < cluster_nhalls(c); h++) {
		const struct powerctl_sum *s = h < 0 ? &p->site : &p->halls[h];
		const char *scope = h < 0 ? "site" : "hall";
		const char *hn = h < 0 ? "" : cluster_hall_at(c, h)->name;
		double v;

		switch (what) {
		case 0:
			v = powerctl_limit(p, h < 0 ? POWER_SITE : POWER_HALL,
					   hn, NULL);
			break;
		case 1:
			v = s->cur_w;
			break;
		case 2:
			v = s->model_w;
			break;
		case 3:
			v = s->meas_w;
			break;
		default:
			v = s->nmeas;
			break;
		}
		evbuffer_add_printf(o, "%s{scope=\"%s\",name=\"%s\"} %.0f\n",
				    name, scope, hn, v);
	}
}

void powerctl_metrics(struct ctl *ctl, struct evbuffer *o)
{
	struct powerctl *p = ctl->power;

	if (!p)
		return;
	powerctl_refresh_if_older(ctl, 1000);
	powerctl_fam(o, "colossus_power_limit_watts", "gauge",
		     "Power limit of the site and each hall (0 = unlimited).");
	powerctl_scope_series(o, "colossus_power_limit_watts", ctl, 0);
	powerctl_fam(o, "colossus_power_predicted_watts", "gauge",
		     "Draw the scheduler budgets with: GPU readings where "
		     "recent, the model elsewhere, new starts in full.");
	powerctl_scope_series(o, "colossus_power_predicted_watts", ctl, 1);
	powerctl_fam(o, "colossus_power_model_watts", "gauge",
		     "Draw by the model alone (idle nodes, busy GPUs).");
	powerctl_scope_series(o, "colossus_power_model_watts", ctl, 2);
	powerctl_fam(o, "colossus_power_measured_watts", "gauge",
		     "Sum of recent readings (nodes with one only).");
	powerctl_scope_series(o, "colossus_power_measured_watts", ctl, 3);
	powerctl_fam(o, "colossus_power_measured_nodes", "gauge",
		     "Nodes whose draw is a recent reading.");
	powerctl_scope_series(o, "colossus_power_measured_nodes", ctl, 4);
	powerctl_fam(o, "colossus_power_ramp_limit_watts", "gauge",
		     "Most the draw may change per ramp window (0 = none).");
	evbuffer_add_printf(o, "colossus_power_ramp_limit_watts %.0f\n",
			    p->cfg.ramp_w);
	powerctl_fam(o, "colossus_power_ramp_window_seconds", "gauge",
		     "The ramp window.");
	evbuffer_add_printf(o, "colossus_power_ramp_window_seconds %.3f\n",
			    (double)p->cfg.ramp_window_ms / 1000.0);
	powerctl_fam(o, "colossus_power_ramp_used_watts", "gauge",
		     "Change of draw in the current window, by direction.");
	evbuffer_add_printf(o,
			    "colossus_power_ramp_used_watts{direction=\"up\"} "
			    "%.0f\n"
			    "colossus_power_ramp_used_watts{direction=\"down\"}"
			    " %.0f\n",
			    powerctl_ramp_used(ctl, true),
			    powerctl_ramp_used(ctl, false));
	powerctl_fam(o, "colossus_power_waves_total", "counter",
		     "Launch and kill waves sent.");
	evbuffer_add_printf(o,
			    "colossus_power_waves_total{kind=\"launch\"} %llu\n"
			    "colossus_power_waves_total{kind=\"kill\"} %llu\n",
			    (unsigned long long)p->launch_waves,
			    (unsigned long long)p->kill_waves);
	powerctl_fam(o, "colossus_power_staggered_total", "counter",
		     "Gangs started or stopped in more than one wave.");
	evbuffer_add_printf(
		o,
		"colossus_power_staggered_total{kind=\"start\"} %llu\n"
		"colossus_power_staggered_total{kind=\"stop\"} %llu\n",
		(unsigned long long)p->staggered_starts,
		(unsigned long long)p->staggered_stops);
	powerctl_fam(o, "colossus_power_wave_queue", "gauge",
		     "Gangs waiting for their next wave.");
	evbuffer_add_printf(o,
			    "colossus_power_wave_queue{kind=\"launch\"} %d\n"
			    "colossus_power_wave_queue{kind=\"kill\"} %d\n",
			    powerctl_queued(ctl, false),
			    powerctl_queued(ctl, true));
	powerctl_fam(o, "colossus_power_drops_total", "counter",
		     "Running gangs that stopped at once (failed, lost a "
		     "node, or ended by themselves mid-run).");
	evbuffer_add_printf(o, "colossus_power_drops_total %llu\n",
			    (unsigned long long)p->drops);
	powerctl_fam(o, "colossus_power_drop_watts_total", "counter",
		     "Estimated draw those stops dropped.");
	evbuffer_add_printf(o, "colossus_power_drop_watts_total %.0f\n",
			    p->drop_w);
	powerctl_fam(o, "colossus_power_blocked_total", "counter",
		     "Placements refused by a power budget.");
	evbuffer_add_printf(o, "colossus_power_blocked_total %llu\n",
			    (unsigned long long)p->blocked);
	powerctl_fam(o, "colossus_power_jobs_waiting", "gauge",
		     "Pending jobs waiting for power.");
	evbuffer_add_printf(o, "colossus_power_jobs_waiting %d\n",
			    powerctl_jobs_waiting(ctl));
}
