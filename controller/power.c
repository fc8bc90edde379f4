/*
 * The power model, configuration, ramp ledger and wave plan.  See
 * power.h; where the default figures come from is in docs/power.md.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "common/xalloc.h"
#include "controller/power.h"
#include "controller/settings.h"

/*
 * Built-in node figures.  HGX/DGX H100 and H200: 10.2 kW maximum system
 * power (NVIDIA DGX H100 and DGX H200 datasheets), 700 W per SXM GPU at
 * full load (H100 SXM5 and H200 SXM TDP).  Idle: about 2.5 kW per node
 * and 75 W per GPU, typical readings of such nodes with nothing running
 * (an estimate, not a datasheet figure: measure and configure yours).
 * Unknown models get the H100 figures, the largest we know.
 */
static const struct power_model power_builtin[] = {
	{ "default", 2500, 10200, 8, 75, 700 },
	{ "H100", 2500, 10200, 8, 75, 700 },
	{ "H200", 2500, 10200, 8, 75, 700 },
};

/* ---- quantities ---------------------------------------------------- */

int power_parse_watts(const char *s, double *w, struct err *e)
{
	const char *p;
	char *end;
	double v, scale = 0;

	if (!s)
		return err_set(e, "no power given");
	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return err_set(e,
			       "'%.32s' is not a power (e.g. 40MW, 2.5kW, "
			       "700W)",
			       s);
	p = end;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		scale = v == 0 ? 1 : 0;
	else if (!strcmp(p, "W") || !strcmp(p, "w"))
		scale = 1;
	else if (!strcmp(p, "kW") || !strcmp(p, "kw") || !strcmp(p, "KW"))
		scale = 1e3;
	else if (!strcmp(p, "MW"))
		scale = 1e6;
	if (scale == 0)
		return err_set(e, "'%.32s': give a unit: W, kW or MW", s);
	*w = v * scale;
	if (*w > 1e12)
		return err_set(e, "'%.32s' is more than a terawatt", s);
	return 0;
}

const char *power_format(double w, char *buf, size_t len)
{
	double a = fabs(w);

	if (a >= 1e6)
		snprintf(buf, len, "%.1f MW", w / 1e6);
	else if (a >= 1e3)
		snprintf(buf, len, "%.1f kW", w / 1e3);
	else
		snprintf(buf, len, "%.0f W", w);
	return buf;
}

/* ---- configuration ------------------------------------------------- */

void power_cfg_defaults(struct power_cfg *pc)
{
	memset(pc, 0, sizeof(*pc));
	memcpy(pc->models, power_builtin, sizeof(power_builtin));
	pc->nmodels = (int)ARRAY_SIZE(power_builtin);
	pc->ramp_window_ms = 10000;
	pc->stale_ms = 180000;
	pc->settle_ms = 60000;
	pc->drop_event_w = 1e6;
	pc->reserve = true;
}

static struct power_model *power_model_slot(struct power_cfg *pc,
					    const char *name, size_t len)
{
	for (int i = 0; i < pc->nmodels; i++)
		if (strlen(pc->models[i].name) == len &&
		    !strncasecmp(pc->models[i].name, name, len))
			return &pc->models[i];
	if (pc->nmodels == POWER_MAX_MODELS || len >= POWER_MODEL_NAME)
		return NULL;
	/* A new model starts from the default figures. */
	pc->models[pc->nmodels] = pc->models[0];
	memcpy(pc->models[pc->nmodels].name, name, len);
	pc->models[pc->nmodels].name[len] = '\0';
	return &pc->models[pc->nmodels++];
}

int power_cfg_model(struct power_cfg *pc, const char *item, struct err *e)
{
	const char *p = item;
	struct power_model *m, save;
	size_t len;

	while (isspace((unsigned char)*p))
		p++;
	len = strcspn(p, " \t");
	if (!len || memchr(p, '=', len))
		return err_set(e,
			       "node_power '%.60s': start with the GPU "
			       "model (H100 idle=2.5kW busy=10.2kW)",
			       item);
	m = power_model_slot(pc, p, len);
	if (!m)
		return err_set(e,
			       "node_power '%.60s': too many models or "
			       "name too long",
			       item);
	save = *m;
	p += len;
	for (;;) {
		char key[16], val[32];
		size_t kl, vl;
		double w;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		kl = strcspn(p, "=");
		vl = p[kl] ? strcspn(p + kl + 1, " \t") : 0;
		if (!p[kl] || kl >= sizeof(key) || !vl || vl >= sizeof(val)) {
			*m = save;
			return err_set(e,
				       "node_power '%.60s': expected "
				       "key=value",
				       item);
		}
		memcpy(key, p, kl);
		key[kl] = '\0';
		memcpy(val, p + kl + 1, vl);
		val[vl] = '\0';
		p += kl + 1 + vl;
		if (!strcmp(key, "gpus")) {
			char *end;
			long g = strtol(val, &end, 10);

			if (*end || g < 1 || g > 64) {
				*m = save;
				return err_set(e,
					       "node_power %s: gpus=%s is "
					       "not 1-64",
					       m->name, val);
			}
			m->ref_gpus = (unsigned)g;
			continue;
		}
		if (power_parse_watts(val, &w, e) < 0) {
			*m = save;
			return err_prefix(e, "node_power %s %s", m->name, key);
		}
		if (!strcmp(key, "idle"))
			m->idle_w = w;
		else if (!strcmp(key, "busy"))
			m->busy_w = w;
		else if (!strcmp(key, "gpu_idle"))
			m->gpu_idle_w = w;
		else if (!strcmp(key, "gpu_max"))
			m->gpu_max_w = w;
		else {
			*m = save;
			return err_set(e,
				       "node_power %s: unknown key '%s' "
				       "(idle, busy, gpus, gpu_idle, gpu_max)",
				       m->name, key);
		}
	}
	if (m->busy_w < m->idle_w || m->gpu_max_w < m->gpu_idle_w ||
	    m->busy_w <= 0) {
		char a[24], b[24];

		err_set(e,
			"node_power %s: busy (%s) must be above idle (%s), "
			"and gpu_max above gpu_idle",
			m->name, power_format(m->busy_w, a, sizeof(a)),
			power_format(m->idle_w, b, sizeof(b)));
		*m = save;
		return -1;
	}
	return 0;
}

static int power_cfg_watts(const char *key, const char *s, double *w,
			   struct err *e)
{
	if (power_parse_watts(s && *s ? s : "0", w, e) < 0)
		return err_prefix(e, "[power] %s", key);
	return 0;
}

int power_cfg_from(struct power_cfg *pc, const struct ctl_config *cfg,
		   struct err *e)
{
	power_cfg_defaults(pc);
	for (size_t i = 0; i < cfg->node_power.n; i++)
		if (power_cfg_model(pc, cfg->node_power.items[i], e) < 0)
			return err_prefix(e, "[power]");
	if (power_cfg_watts("site_limit", cfg->power_site_limit,
			    &pc->site_limit_w, e) < 0 ||
	    power_cfg_watts("hall_limit", cfg->power_hall_limit,
			    &pc->hall_limit_w, e) < 0 ||
	    power_cfg_watts("rack_limit", cfg->power_rack_limit,
			    &pc->rack_limit_w, e) < 0 ||
	    power_cfg_watts("ramp", cfg->power_ramp, &pc->ramp_w, e) < 0 ||
	    power_cfg_watts("drop_event", cfg->power_drop_event,
			    &pc->drop_event_w, e) < 0)
		return -1;
	pc->ramp_window_ms = (int64_t)cfg->power_ramp_window_sec * 1000;
	if (pc->ramp_window_ms <= 0)
		pc->ramp_window_ms = 10000;
	pc->stale_ms =
		cfg->power_stale_samples *
		(int64_t)(cfg->sample_interval_sec ? cfg->sample_interval_sec
						   : 60) *
		1000;
	/*
	 * A reading counts once the node's work has run for one sample
	 * interval: a rank loading data or waiting for its gang's "go"
	 * draws far less than it will, and budgeting with that would let
	 * other starts take power the job is about to use.
	 */
	pc->settle_ms =
		(int64_t)(cfg->sample_interval_sec ? cfg->sample_interval_sec
						   : 60) *
		1000;
	if (pc->settle_ms < 2000)
		pc->settle_ms = 2000;
	pc->reserve = cfg->power_reserve;
	return 0;
}

const struct power_model *power_model_find(const struct power_cfg *pc,
					   const char *gpu_model)
{
	for (int i = 1; gpu_model && i < pc->nmodels; i++)
		if (!strcasecmp(pc->models[i].name, gpu_model))
			return &pc->models[i];
	return &pc->models[0];
}

/* ---- node figures --------------------------------------------------- */

static double power_fixed_idle(const struct power_model *m)
{
	double f = m->idle_w - m->ref_gpus * m->gpu_idle_w;

	return f > 0 ? f : 0;
}

static double power_fixed_busy(const struct power_model *m)
{
	double f = m->busy_w - m->ref_gpus * m->gpu_max_w;

	return f > 0 ? f : 0;
}

double power_node_idle(const struct power_model *m, unsigned gpus)
{
	if (gpus == m->ref_gpus)
		return m->idle_w;
	return power_fixed_idle(m) + gpus * m->gpu_idle_w;
}

double power_node_busy(const struct power_model *m, unsigned gpus)
{
	double b;

	if (gpus == m->ref_gpus)
		return m->busy_w;
	b = power_fixed_busy(m) + gpus * m->gpu_max_w;
	return b > power_node_idle(m, gpus) ? b : power_node_idle(m, gpus);
}

double power_node_step(const struct power_model *m, unsigned gpus,
		       unsigned ngpus)
{
	if (!gpus)
		return 0;
	if (ngpus > gpus)
		ngpus = gpus;
	return (power_node_busy(m, gpus) - power_node_idle(m, gpus)) * ngpus /
	       gpus;
}

double power_node_model(const struct power_model *m, unsigned gpus,
			unsigned used)
{
	return power_node_idle(m, gpus) + power_node_step(m, gpus, used);
}

double power_node_measured(const struct power_model *m, unsigned gpus,
			   double gpu_sum_w)
{
	double lo = gpus * m->gpu_idle_w, hi = gpus * m->gpu_max_w, f;
	double fi = power_fixed_idle(m), fb = power_fixed_busy(m);

	/* The fixed part follows the GPUs' load: fans, CPUs feeding them. */
	f = hi > lo ? (gpu_sum_w - lo) / (hi - lo) : 0;
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return gpu_sum_w + fi + f * (fb - fi);
}

/* ---- ramp ledger ------------------------------------------------------ */

void power_ramp_fini(struct power_ramp *r)
{
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

void power_ramp_add(struct power_ramp *r, int64_t now, double w)
{
	if (w <= 0)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->ev = xreallocarray(r->ev, (size_t)r->cap, sizeof(*r->ev));
	}
	r->ev[r->n].t_ms = now;
	r->ev[r->n].w = w;
	r->n++;
}

double power_ramp_used(struct power_ramp *r, int64_t now, int64_t window)
{
	double used = 0;
	int drop = 0;

	while (drop < r->n && r->ev[drop].t_ms <= now - window)
		drop++;
	if (drop) {
		memmove(r->ev, r->ev + drop,
			(size_t)(r->n - drop) * sizeof(*r->ev));
		r->n -= drop;
	}
	for (int i = 0; i < r->n; i++)
		used += r->ev[i].w;
	return used;
}

int64_t power_ramp_next_ms(const struct power_ramp *r, int64_t window)
{
	return r->n ? r->ev[0].t_ms + window : INT64_MAX;
}

/* ---- waves ------------------------------------------------------------- */

int power_wave_admit(const double *steps, int n, double headroom, bool idle)
{
	double sum = 0;
	int k = 0;

	if (headroom < 0)
		return n;
	/* Rounding must not leave the last part of an exact fit behind. */
	headroom *= 1 + 1e-9;
	while (k < n && sum + steps[k] <= headroom)
		sum += steps[k++];
	if (k == 0 && idle && n > 0)
		k = 1;
	return k;
}

int power_wave_plan(int n, double step_w, double ramp_w, int64_t window_ms,
		    struct power_wave *waves, int max)
{
	struct power_ramp r = { NULL, 0, 0 };
	double *steps = xcalloc((size_t)n + 1, sizeof(double));
	int64_t now = 0;
	int done = 0, nw = 0;

	for (int i = 0; i < n; i++)
		steps[i] = step_w;
	while (done < n) {
		double used =
			ramp_w > 0 ? power_ramp_used(&r, now, window_ms) : 0;
		double head = ramp_w <= 0     ? -1
			      : used < ramp_w ? ramp_w - used
					      : 0;
		int k = power_wave_admit(steps + done, n - done, head,
					 used <= 0);

		if (k == 0) {
			now = power_ramp_next_ms(&r, window_ms);
			continue;
		}
		if (nw < max) {
			waves[nw].at_ms = now;
			waves[nw].parts = k;
			waves[nw].w = k * step_w;
		}
		nw++;
		power_ramp_add(&r, now, k * step_w);
		done += k;
	}
	power_ramp_fini(&r);
	free(steps);
	return nw;
}
