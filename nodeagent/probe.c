/*
 * The site probe.  See probe.h.
 *
 * A run's output is state, not history: readings that cannot be sent
 * (the controller is away) are dropped and the next run replaces them.
 * Its events go through health_push, which keeps them until the
 * controller has them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/health.h"
#include "nodeagent/health_exec.h"
#include "nodeagent/health_json.h"
#include "nodeagent/probe.h"

/* The first run, soon after start (the link is usually up by then). */
#define PROBE_FIRST_MS 2000

struct probe {
	struct agent *ag;
	struct event *timer;
	struct health_exec *run;
	uint64_t runs, failures;
	bool failing; /* in a failure episode: one event per episode */
};

/* ---- parsing ---------------------------------------------------------- */

struct probe_walk {
	struct probe_result *r;
	char why[160];
};

static void probe_bad(struct probe_walk *w, const char *path, const char *what)
{
	if (!w->why[0])
		snprintf(w->why, sizeof(w->why), "%.100s: %s", path, what);
}

static bool probe_num(struct probe_walk *w, const struct health_json_item *it,
		      double *v)
{
	if (it->type != HEALTH_JSON_NUMBER ||
	    health_json_number(it->raw, it->len, v) < 0 || !isfinite(*v)) {
		probe_bad(w, it->path, "expected a number");
		return false;
	}
	return true;
}

static bool probe_count(struct probe_walk *w, const struct health_json_item *it,
			unsigned *v)
{
	double d;

	if (!probe_num(w, it, &d))
		return false;
	if (d < 0 || d > 1e6 || d != floor(d)) {
		probe_bad(w, it->path, "expected a count");
		return false;
	}
	*v = (unsigned)d;
	return true;
}

static void probe_rack_item(struct probe_walk *w,
			    const struct health_json_item *it, const char *key)
{
	struct probe_result *r = w->r;
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{ "coolant_flow_lpm", offsetof(struct probe_result, flow) },
		{ "supply_temp_c", offsetof(struct probe_result, supply) },
		{ "return_temp_c", offsetof(struct probe_result, ret) },
		{ "pressure_delta_kpa",
		  offsetof(struct probe_result, pressure) },
		{ "power_kw", offsetof(struct probe_result, power_kw) },
	}, counts[] = {
		{ "pumps_ok", offsetof(struct probe_result, pumps_ok) },
		{ "pumps_total", offsetof(struct probe_result, pumps_total) },
		{ "fans_ok", offsetof(struct probe_result, fans_ok) },
		{ "fans_total", offsetof(struct probe_result, fans_total) },
	};

	r->have_rack = true;
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++)
		if (!strcmp(key, nums[i].key)) {
			probe_num(w, it, (double *)((char *)r + nums[i].off));
			return;
		}
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++)
		if (!strcmp(key, counts[i].key)) {
			probe_count(w, it,
				    (unsigned *)((char *)r + counts[i].off));
			return;
		}
	if (!strcmp(key, "leak")) {
		if (it->type != HEALTH_JSON_STRING ||
		    health_json_unquote(it->raw, it->len, r->leak,
					sizeof(r->leak)) < 0 ||
		    (strcmp(r->leak, "none") && strcmp(r->leak, "warning") &&
		     strcmp(r->leak, "critical"))) {
			probe_bad(w, it->path,
				  "expected \"none\", \"warning\" or "
				  "\"critical\"");
			snprintf(r->leak, sizeof(r->leak), "none");
		}
		return;
	}
	if (!strcmp(key, "power_lost")) {
		if (it->type != HEALTH_JSON_TRUE &&
		    it->type != HEALTH_JSON_FALSE)
			probe_bad(w, it->path, "expected true or false");
		r->power_lost = it->type == HEALTH_JSON_TRUE;
	}
}

static bool probe_kind_ok(const char *k)
{
	static const char *const kinds[] = { "xid",	 "dbe",	     "gpu_lost",
					     "recovery", "nic_down", "probe" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(k, kinds[i]))
			return true;
	return false;
}

static void probe_event_item(struct probe_walk *w,
			     const struct health_json_item *it, unsigned idx,
			     const char *key)
{
	struct probe_result *r = w->r;
	struct health_event *ev;
	unsigned v;

	if (idx >= PROBE_MAX_EVENTS)
		return;
	while (r->nevents <= idx) {
		ev = &r->events[r->nevents++];
		memset(ev, 0, sizeof(*ev));
		ev->gpu_index = -1;
		snprintf(ev->source, sizeof(ev->source), "probe");
	}
	ev = &r->events[idx];
	if (!strcmp(key, "kind")) {
		if (it->type != HEALTH_JSON_STRING ||
		    health_json_unquote(it->raw, it->len, ev->kind,
					sizeof(ev->kind)) < 0 ||
		    !probe_kind_ok(ev->kind))
			probe_bad(w, it->path,
				  "expected xid, dbe, gpu_lost, recovery, "
				  "nic_down or probe");
	} else if (!strcmp(key, "gpu")) {
		if (probe_count(w, it, &v)) {
			if (v >= GPU_MAX)
				probe_bad(w, it->path, "no such GPU");
			else
				ev->gpu_index = (int)v;
		}
	} else if (!strcmp(key, "code")) {
		if (probe_count(w, it, &v))
			ev->code = v;
	} else if (!strcmp(key, "detail") || !strcmp(key, "nic")) {
		char *dst = key[0] == 'd' ? ev->detail : ev->nic;
		size_t n = key[0] == 'd' ? sizeof(ev->detail) : sizeof(ev->nic);

		/* A long detail is cut, not refused. */
		if (it->type != HEALTH_JSON_STRING)
			probe_bad(w, it->path, "expected a string");
		else if (health_json_unquote(it->raw, it->len, dst, n) < 0 &&
			 dst == ev->nic)
			probe_bad(w, it->path, "too long");
	}
}

static void probe_walk_cb(const struct health_json_item *it, void *arg)
{
	struct probe_walk *w = arg;
	unsigned idx;
	int used = 0;

	if (!strncmp(it->path, "rack.", 5) && !strchr(it->path + 5, '.')) {
		probe_rack_item(w, it, it->path + 5);
		return;
	}
	if (sscanf(it->path, "events.%u.%n", &idx, &used) == 1 && used > 0 &&
	    !strchr(it->path + used, '.'))
		probe_event_item(w, it, idx, it->path + used);
}

int probe_parse(const char *text, size_t len, struct probe_result *r, char *why,
		size_t wlen)
{
	struct health_event *evs = r->events;
	struct probe_walk w;
	struct err e;

	memset(r, 0, sizeof(*r));
	r->events = evs;
	/* "Not measured", as the controller reads RackReadings. */
	r->flow = r->pressure = r->power_kw = -1;
	r->supply = r->ret = -1000;
	snprintf(r->leak, sizeof(r->leak), "none");
	memset(&w, 0, sizeof(w));
	w.r = r;
	if (health_json_walk(text, len, probe_walk_cb, &w, &e) < 0) {
		snprintf(why, wlen, "not a JSON object: %s", e.msg);
		r->have_rack = false;
		r->nevents = 0;
		return -1;
	}
	for (size_t i = 0; i < r->nevents && !w.why[0]; i++)
		if (!r->events[i].kind[0])
			snprintf(w.why, sizeof(w.why),
				 "events.%zu: no \"kind\"", i);
	if (w.why[0]) {
		snprintf(why, wlen, "%s", w.why);
		r->have_rack = false;
		r->nevents = 0;
		return -1;
	}
	return 0;
}

/* ---- running ------------------------------------------------------------ */

static void probe_arm(struct probe *p, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->timer, &tv);
}

static void probe_failed(struct probe *p, const char *why)
{
	struct health_event ev;

	p->failures++;
	if (p->failing)
		return;
	p->failing = true;
	log_warn("health probe failed: %s", why);
	memset(&ev, 0, sizeof(ev));
	ev.gpu_index = -1;
	snprintf(ev.kind, sizeof(ev.kind), "probe");
	snprintf(ev.source, sizeof(ev.source), "probe");
	snprintf(ev.detail, sizeof(ev.detail), "probe failed: %s", why);
	health_push(p->ag, &ev);
}

static void probe_done_cb(const struct health_exec_result *res, void *arg)
{
	struct probe *p = arg;
	struct agent *ag = p->ag;
	struct health_event evs[PROBE_MAX_EVENTS];
	struct probe_result r;
	char how[64], why[300];
	bool ok = !res->timed_out && !res->too_much && res->status >= 0 &&
		  WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0;

	p->run = NULL;
	if (!ok) {
		health_exec_describe(res,
				     (unsigned)ag->cfg.probe_timeout_sec * 1000,
				     how, sizeof(how));
		probe_failed(p, how);
		return;
	}
	r.events = evs;
	if (probe_parse(res->out, res->len, &r, why, sizeof(why)) < 0) {
		probe_failed(p, why);
		return;
	}
	if (p->failing) {
		p->failing = false;
		log_info("health probe works again");
	}
	for (size_t i = 0; i < r.nevents; i++)
		health_push(ag, &r.events[i]);
	if (r.have_rack) {
		Colossus__RackReadings rk = COLOSSUS__RACK_READINGS__INIT;

		rk.rack = (char *)"";
		rk.coolant_flow_lpm = r.flow;
		rk.supply_temp_c = r.supply;
		rk.return_temp_c = r.ret;
		rk.pressure_delta_kpa = r.pressure;
		rk.pumps_ok = r.pumps_ok;
		rk.pumps_total = r.pumps_total;
		rk.fans_ok = r.fans_ok;
		rk.fans_total = r.fans_total;
		rk.leak = r.leak;
		rk.power_kw = r.power_kw;
		rk.power_lost = r.power_lost;
		rk.time_ms = util_now_wall_ms();
		health_send_rack(ag, &rk);
	}
}

static void probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct agent *ag = p->ag;
	char node[96];
	const char *env[] = { node, NULL };
	struct err e;

	(void)fd;
	(void)what;
	probe_arm(p, (int64_t)ag->cfg.probe_interval_sec * 1000);
	if (p->run) {
		/* Still running: its time limit ends it. */
		return;
	}
	snprintf(node, sizeof(node), "COLOSSUS_NODE_NAME=%s", ag->node);
	p->runs++;
	p->run = health_exec_start(ag, ag->cfg.probe_command, env,
				   (unsigned)ag->cfg.probe_timeout_sec * 1000,
				   (size_t)ag->cfg.probe_max_kib * 1024,
				   probe_done_cb, p, &e);
	if (!p->run)
		probe_failed(p, e.msg);
}

void probe_start(struct agent *ag)
{
	struct probe *p;

	if (!ag->cfg.probe_command || !*ag->cfg.probe_command)
		return;
	p = xcalloc(1, sizeof(*p));
	p->ag = ag;
	p->timer = evtimer_new(ag->base, probe_timer_cb, p);
	ag->probe = p;
	probe_arm(p, PROBE_FIRST_MS);
	log_info("health probe every %" PRIu64 " s: %s",
		 ag->cfg.probe_interval_sec, ag->cfg.probe_command);
}

void probe_stop(struct agent *ag)
{
	struct probe *p = ag->probe;

	if (!p)
		return;
	health_exec_cancel(p->run);
	event_free(p->timer);
	free(p);
	ag->probe = NULL;
}

void probe_describe(const struct agent *ag, char *buf, size_t len)
{
	const struct probe *p = ag->probe;

	if (!p)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "runs=%" PRIu64 " failures=%" PRIu64,
			 p->runs, p->failures);
}
