/*
 * Health reporting to the controller.  See health.h.
 *
 * Every report is a request, so the agent knows whether it arrived:
 * events stay queued until the controller acknowledged them (a report
 * lost with a connection is sent again after the next registration),
 * while samples, readings and probe output are state, not history: a
 * lost one is simply replaced by the next.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/health.h"
#include "nodeagent/nic.h"
#include "nodeagent/nicwatch.h"

/* The controller refuses reports with more (controller/health.h). */
#define HEALTH_NICS_MAX 16
#define HEALTH_SAMPLE_DEFAULT_MS 60000
/* Reading changes are reported at most this often. */
#define HEALTH_CHANGE_GAP_MS 1000
#define HEALTH_NIC_CHECK_MS 500
#define HEALTH_RETRY_MS 1000
#define HEALTH_REPLY_TIMEOUT_MS 30000

enum report_kind {
	REPORT_EVENTS,
	REPORT_SAMPLE,	 /* periodic: every reading, kept as history  */
	REPORT_READINGS, /* early: a discrete state changed            */
	REPORT_PROBE,
};

struct health {
	struct agent *ag;
	/* Events waiting (ring); the first nfly of them are in flight. */
	struct health_event q[HEALTH_QUEUE_MAX];
	size_t q_head, q_len, nfly;
	bool events_flying;
	unsigned dropped;
	/* Replies from an earlier connection are ignored. */
	uint64_t gen;
	bool sample_flying;
	uint32_t interval_ms;
	struct event *flush_ev, *retry_ev, *sample_ev, *nic_ev, *change_ev;
	bool flush_scheduled;
	/* Readings as last sent, to notice discrete changes. */
	uint64_t sig[GPU_MAX];
	bool have_sig;
	int64_t last_readings_ms; /* monotonic */
	/* NIC states as last reported. */
	bool nic_known;
	bool nic_up[NIC_MAX];
	uint64_t events_sent, samples_sent, readings_sent, probes_sent;
};

struct report_ref {
	struct agent *ag;
	uint64_t gen;
	enum report_kind kind;
};

static void health_flush(struct health *h);

/* ---- building reports -------------------------------------------------- */

static void health_fill_gpu(Colossus__GpuHealth *g, const struct gpu_sample *s,
			    const struct gpu_inventory *inv)
{
	colossus__gpu_health__init(g);
	g->index = s->index;
	g->uuid = s->index < inv->count ? (char *)inv->gpus[s->index].uuid
					: (char *)"";
	g->valid = s->valid;
	g->temp_c = s->temp_c;
	g->slowdown_temp_c = s->slowdown_temp_c;
	g->shutdown_temp_c = s->shutdown_temp_c;
	g->power_mw = s->power_mw;
	g->power_limit_mw = s->power_limit_mw;
	g->ecc_sbe_volatile = s->ecc_sbe_volatile;
	g->ecc_dbe_volatile = s->ecc_dbe_volatile;
	g->ecc_sbe_aggregate = s->ecc_sbe_aggregate;
	g->ecc_dbe_aggregate = s->ecc_dbe_aggregate;
	g->remap_correctable = s->remap_correctable;
	g->remap_uncorrectable = s->remap_uncorrectable;
	g->remap_pending = s->remap_pending;
	g->remap_failure = s->remap_failure;
	g->pcie_replay = s->pcie_replay;
	g->pcie_width = s->pcie_width;
	g->pcie_width_max = s->pcie_width_max;
	g->pcie_gen = s->pcie_gen;
	g->pcie_gen_max = s->pcie_gen_max;
	g->throttle_reasons = s->throttle_reasons;
	g->nvlink_count = s->nvlink_count;
	g->nvlink_down_mask = s->nvlink_down_mask;
	g->nvlink_replay = s->nvlink_replay;
	g->nvlink_recovery = s->nvlink_recovery;
	g->nvlink_crc = s->nvlink_crc;
	g->sm_clock_mhz = s->sm_clock_mhz;
	g->sm_clock_max_mhz = s->sm_clock_max_mhz;
	g->recovery_action = s->recovery_action;
	g->lost = s->lost;
	g->processes = s->processes;
}

/*
 * The discrete part of a reading: what a reading-based rule may act on
 * at once (not counters, whose rates need regular samples).  Equal
 * signatures mean nothing worth an early report changed.
 */
static uint64_t health_signature(const struct gpu_sample *s)
{
	const uint64_t throttles =
		GPU_THROTTLE_HW_SLOWDOWN | GPU_THROTTLE_SW_THERMAL |
		GPU_THROTTLE_HW_THERMAL | GPU_THROTTLE_HW_POWER_BRAKE;
	int slow = s->slowdown_temp_c > 0 ? s->slowdown_temp_c : 87;
	int shut = s->shutdown_temp_c > 0 ? s->shutdown_temp_c : 92;
	uint64_t v[12];
	uint64_t hash = 0xcbf29ce484222325ULL;

	v[0] = s->valid;
	v[1] = s->lost;
	v[2] = (uint64_t)s->remap_pending | (uint64_t)s->remap_failure << 1;
	v[3] = s->nvlink_down_mask;
	v[4] = s->recovery_action;
	v[5] = s->throttle_reasons & throttles;
	v[6] = s->pcie_width;
	v[7] = s->pcie_gen;
	v[8] = s->ecc_dbe_volatile;
	v[9] = (s->valid & GPU_F_TEMP) ? (s->temp_c >= shut - 2	  ? 2
					  : s->temp_c >= slow - 5 ? 1
								  : 0)
				       : 0;
	v[10] = (s->valid & GPU_F_CLOCKS) && s->sm_clock_max_mhz &&
		s->sm_clock_mhz * 10 < s->sm_clock_max_mhz * 9;
	v[11] = s->index;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		hash ^= v[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

/* Every NIC, up to what the controller accepts.  Returns how many. */
static size_t health_fill_nics(struct agent *ag, Colossus__NicHealth *nics,
			       Colossus__NicHealth **ptrs)
{
	const struct nic *nw = nicwatch_links(ag);
	size_t n = 0;

	for (size_t i = 0; nw && i < nic_count(nw) && n < HEALTH_NICS_MAX;
	     i++) {
		const struct nic_link *l = nic_get(nw, i);

		colossus__nic_health__init(&nics[n]);
		nics[n].name = (char *)l->name;
		nics[n].up = l->up;
		nics[n].speed_mbps = l->speed_mbps;
		nics[n].transitions = l->transitions;
		ptrs[n] = &nics[n];
		n++;
	}
	return n;
}

/* ---- sending ---------------------------------------------------------- */

static void health_schedule_flush(struct health *h)
{
	if (h->flush_scheduled)
		return;
	h->flush_scheduled = true;
	event_active(h->flush_ev, EV_TIMEOUT, 0);
}

static void health_retry_later(struct health *h)
{
	struct timeval tv = { HEALTH_RETRY_MS / 1000,
			      (HEALTH_RETRY_MS % 1000) * 1000 };

	evtimer_add(h->retry_ev, &tv);
}

static void health_reply_cb(struct rpcconn *c, const Colossus__Response *resp,
			    const char *why, void *arg)
{
	struct report_ref *ref = arg;
	struct health *h = ref->ag->health;
	bool ok = resp && resp->status == COLOSSUS__STATUS__STATUS_OK;
	bool again = !resp ||
		     resp->status == COLOSSUS__STATUS__STATUS_UNAVAILABLE ||
		     resp->status == COLOSSUS__STATUS__STATUS_NOT_ACTIVE;

	(void)c;
	if (!h || ref->gen != h->gen) {
		free(ref);
		return;
	}
	if (!ok)
		log_sub(LOG_SUB_HEALTH, "health report not taken: %s",
			resp ? (resp->error ? resp->error : "error") : why);
	if (ref->kind == REPORT_SAMPLE)
		h->sample_flying = false;
	if (ref->kind != REPORT_EVENTS) {
		free(ref);
		return;
	}
	h->events_flying = false;
	if (ok || !again) {
		if (!ok)
			log_warn("%zu health events refused by the controller: "
				 "%s",
				 h->nfly, resp->error ? resp->error : "error");
		else
			h->events_sent += h->nfly;
		h->q_head = (h->q_head + h->nfly) % HEALTH_QUEUE_MAX;
		h->q_len -= h->nfly;
		h->nfly = 0;
		if (h->q_len)
			health_schedule_flush(h);
	} else {
		/* Kept at the head of the queue: retried while connected,
		 * or after the next registration. */
		h->nfly = 0;
		if (ref->ag->registered)
			health_retry_later(h);
	}
	free(ref);
}

/* Send report (filled by the caller); false if it could not be queued. */
static bool health_send(struct health *h, Colossus__HealthReport *m,
			enum report_kind kind)
{
	struct agent *ag = h->ag;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	struct report_ref *ref;
	struct err e;

	if (!ag->registered || !ag->conn)
		return false;
	req.body_case = COLOSSUS__REQUEST__BODY_HEALTH_REPORT;
	req.health_report = m;
	ref = xcalloc(1, sizeof(*ref));
	ref->ag = ag;
	ref->gen = h->gen;
	ref->kind = kind;
	if (rpcconn_request(ag->conn, &req, HEALTH_REPLY_TIMEOUT_MS,
			    health_reply_cb, ref, &e) < 0) {
		log_sub(LOG_SUB_HEALTH, "health report not sent: %s", e.msg);
		free(ref);
		return false;
	}
	return true;
}

static void health_flush(struct health *h)
{
	Colossus__HealthReport m = COLOSSUS__HEALTH_REPORT__INIT;
	Colossus__HealthEvent evs[HEALTH_BATCH_MAX];
	Colossus__HealthEvent *eptrs[HEALTH_BATCH_MAX];
	Colossus__NicHealth nics[HEALTH_NICS_MAX];
	Colossus__NicHealth *nptrs[HEALTH_NICS_MAX];
	size_t n = MIN(h->q_len, (size_t)HEALTH_BATCH_MAX);

	if (!n || h->events_flying || !h->ag->registered)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct health_event *ev =
			&h->q[(h->q_head + i) % HEALTH_QUEUE_MAX];
		Colossus__HealthEvent *p = &evs[i];

		colossus__health_event__init(p);
		p->gpu_index = ev->gpu_index;
		p->kind = (char *)ev->kind;
		p->code = ev->code;
		p->time_ms = ev->time_ms;
		p->source = (char *)ev->source;
		p->detail = (char *)ev->detail;
		p->nic = (char *)ev->nic;
		p->job_id = ev->job_id;
		p->epoch = ev->epoch;
		eptrs[i] = p;
	}
	m.n_events = n;
	m.events = eptrs;
	/* Link states ride along: a NIC event is judged with them. */
	m.n_nics = health_fill_nics(h->ag, nics, nptrs);
	m.nics = nptrs;
	if (!health_send(h, &m, REPORT_EVENTS))
		return;
	h->events_flying = true;
	h->nfly = n;
	if (h->dropped) {
		log_warn("%u health events were dropped while the queue was "
			 "full",
			 h->dropped);
		h->dropped = 0;
	}
}

static void health_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;

	(void)fd;
	(void)what;
	h->flush_scheduled = false;
	health_flush(h);
}

/* Every GPU reading and NIC: a periodic sample or an early report. */
static void health_send_readings(struct health *h, enum report_kind kind)
{
	struct agent *ag = h->ag;
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	Colossus__HealthReport m = COLOSSUS__HEALTH_REPORT__INIT;
	struct gpu_sample s[GPU_MAX];
	Colossus__GpuHealth gpus[GPU_MAX];
	Colossus__GpuHealth *gptrs[GPU_MAX];
	Colossus__NicHealth nics[HEALTH_NICS_MAX];
	Colossus__NicHealth *nptrs[HEALTH_NICS_MAX];
	size_t n = gpu_backend_samples(ag->gpu, s, GPU_MAX);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		/* No reading yet (NVML polls in the background). */
		if (!s[i].time_ms && !s[i].lost)
			continue;
		health_fill_gpu(&gpus[k], &s[i], inv);
		gptrs[k] = &gpus[k];
		k++;
	}
	m.n_gpus = k;
	m.gpus = gptrs;
	m.n_nics = health_fill_nics(ag, nics, nptrs);
	m.nics = nptrs;
	m.sample = kind == REPORT_SAMPLE;
	if (!k && !m.n_nics && kind != REPORT_SAMPLE)
		return;
	if (!health_send(h, &m, kind))
		return;
	for (size_t i = 0; i < n && i < GPU_MAX; i++)
		h->sig[i] = health_signature(&s[i]);
	h->have_sig = true;
	h->last_readings_ms = util_now_mono_ms();
	if (kind == REPORT_SAMPLE) {
		h->sample_flying = true;
		h->samples_sent++;
	} else {
		h->readings_sent++;
	}
}

static void health_sample_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;

	(void)fd;
	(void)what;
	/* A controller too slow to take the last one gets no backlog. */
	if (h->sample_flying)
		return;
	health_send_readings(h, REPORT_SAMPLE);
}

static void health_change_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;

	(void)fd;
	(void)what;
	health_send_readings(h, REPORT_READINGS);
}

/* Report the readings early if a discrete state changed. */
static void health_check_changes(struct health *h)
{
	struct gpu_sample s[GPU_MAX];
	size_t n = gpu_backend_samples(h->ag->gpu, s, GPU_MAX);
	bool changed = false;
	int64_t wait;

	if (!h->ag->registered || !h->have_sig)
		return;
	for (size_t i = 0; i < n && !changed; i++)
		changed = (s[i].time_ms || s[i].lost) &&
			  health_signature(&s[i]) != h->sig[i];
	if (!changed || evtimer_pending(h->change_ev, NULL))
		return;
	wait = h->last_readings_ms + HEALTH_CHANGE_GAP_MS - util_now_mono_ms();
	if (wait <= 0) {
		health_send_readings(h, REPORT_READINGS);
	} else {
		struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };

		evtimer_add(h->change_ev, &tv);
	}
}

/* ---- events ------------------------------------------------------------- */

void health_push(struct agent *ag, const struct health_event *ev)
{
	struct health *h = ag->health;
	struct health_event *slot;

	if (!h)
		return;
	if (h->q_len == HEALTH_QUEUE_MAX) {
		/* Keep the oldest: the first fault is the cause, later ones
		 * are mostly its echo. */
		h->dropped++;
		return;
	}
	slot = &h->q[(h->q_head + h->q_len) % HEALTH_QUEUE_MAX];
	*slot = *ev;
	if (!slot->time_ms)
		slot->time_ms = util_now_wall_ms();
	h->q_len++;
	if (ag->registered)
		health_schedule_flush(h);
}

static const char *health_kind_name(enum gpu_event_kind k)
{
	switch (k) {
	case GPU_EVENT_XID:
		return "xid";
	case GPU_EVENT_DBE:
		return "dbe";
	case GPU_EVENT_GPU_LOST:
		return "gpu_lost";
	case GPU_EVENT_RECOVERY:
		return "recovery";
	case GPU_EVENT_BACKEND_ERROR:
		return "backend_error";
	}
	return "unknown";
}

static const char *health_source_name(enum gpu_event_source s)
{
	switch (s) {
	case GPU_SRC_NVML:
		return "nvml";
	case GPU_SRC_KMSG:
		return "kmsg";
	case GPU_SRC_SIM:
		return "sim";
	}
	return "unknown";
}

void health_gpu_wake(struct agent *ag)
{
	struct gpu_event evs[32];
	size_t n;

	while ((n = gpu_backend_drain_events(ag->gpu, evs, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct health_event ev;
			char text[sizeof(evs[i].text) * 2];

			log_warn("gpu=%d event kind=%s code=%u source=%s %s",
				 evs[i].gpu_index,
				 health_kind_name(evs[i].kind), evs[i].code,
				 health_source_name(evs[i].source),
				 log_escape(evs[i].text, text, sizeof(text)));
			memset(&ev, 0, sizeof(ev));
			ev.gpu_index = evs[i].gpu_index;
			snprintf(ev.kind, sizeof(ev.kind), "%s",
				 health_kind_name(evs[i].kind));
			ev.code = evs[i].code;
			ev.time_ms = evs[i].time_ms;
			snprintf(ev.source, sizeof(ev.source), "%s",
				 health_source_name(evs[i].source));
			snprintf(ev.detail, sizeof(ev.detail), "%s",
				 evs[i].text);
			health_push(ag, &ev);
		}
	}
	if (ag->health)
		health_check_changes(ag->health);
}

/* NIC links: an event for each change of the effective state. */
static void health_nic_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	const struct nic *nw = nicwatch_links(h->ag);

	(void)fd;
	(void)what;
	for (size_t i = 0; nw && i < nic_count(nw) && i < NIC_MAX; i++) {
		const struct nic_link *l = nic_get(nw, i);
		struct health_event ev;

		if (h->nic_known && l->up == h->nic_up[i])
			continue;
		h->nic_up[i] = l->up;
		if (!h->nic_known)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.gpu_index = -1;
		snprintf(ev.kind, sizeof(ev.kind), "%s",
			 l->up ? "nic_up" : "nic_down");
		snprintf(ev.source, sizeof(ev.source), "sysfs");
		snprintf(ev.nic, sizeof(ev.nic), "%s", l->name);
		snprintf(ev.detail, sizeof(ev.detail),
			 "operstate %s, carrier %d%s",
			 l->operstate[0] ? l->operstate : "?", l->carrier,
			 l->override != NIC_OVERRIDE_NONE ? ", forced" : "");
		health_push(h->ag, &ev);
	}
	h->nic_known = true;
}

/* ---- probe ---------------------------------------------------------------- */

void health_send_rack(struct agent *ag, const Colossus__RackReadings *rack)
{
	struct health *h = ag->health;
	Colossus__HealthReport m = COLOSSUS__HEALTH_REPORT__INIT;

	if (!h)
		return;
	m.rack = (Colossus__RackReadings *)rack;
	if (health_send(h, &m, REPORT_PROBE))
		h->probes_sent++;
	else
		log_sub(LOG_SUB_HEALTH, "probe readings not sent: not "
					"registered");
}

/* ---- life cycle ----------------------------------------------------------- */

int health_start(struct agent *ag, struct err *e)
{
	struct health *h = xcalloc(1, sizeof(*h));
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	struct timeval tv = { 0, HEALTH_NIC_CHECK_MS * 1000 };

	(void)e;
	h->ag = ag;
	h->flush_ev = event_new(ag->base, -1, 0, health_flush_cb, h);
	h->retry_ev = evtimer_new(ag->base, health_flush_cb, h);
	h->sample_ev = event_new(ag->base, -1, EV_PERSIST, health_sample_cb, h);
	h->change_ev = evtimer_new(ag->base, health_change_cb, h);
	h->nic_ev = event_new(ag->base, -1, EV_PERSIST, health_nic_cb, h);
	ag->health = h;
	health_nic_cb(-1, 0, h);
	event_add(h->nic_ev, &tv);
	if (inv->problem[0]) {
		/* The controller shows a config problem, not a GPU fault. */
		struct health_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.gpu_index = -1;
		snprintf(ev.kind, sizeof(ev.kind), "backend_error");
		snprintf(ev.source, sizeof(ev.source), "%.7s", inv->backend);
		snprintf(ev.detail, sizeof(ev.detail), "GPU backend %s: %s",
			 inv->backend, inv->problem);
		health_push(ag, &ev);
	}
	return 0;
}

void health_stop(struct agent *ag)
{
	struct health *h = ag->health;

	if (!h)
		return;
	event_free(h->flush_ev);
	event_free(h->retry_ev);
	event_free(h->sample_ev);
	event_free(h->change_ev);
	event_free(h->nic_ev);
	free(h);
	ag->health = NULL;
}

void health_registered(struct agent *ag, uint32_t interval_ms)
{
	struct health *h = ag->health;
	struct timeval tv;

	if (!h)
		return;
	/* Replies still due on the old connection no longer count. */
	h->gen++;
	h->events_flying = false;
	h->sample_flying = false;
	h->nfly = 0;
	h->interval_ms = interval_ms ? interval_ms : HEALTH_SAMPLE_DEFAULT_MS;
	tv.tv_sec = h->interval_ms / 1000;
	tv.tv_usec = (h->interval_ms % 1000) * 1000;
	event_del(h->sample_ev);
	event_add(h->sample_ev, &tv);
	health_send_readings(h, REPORT_SAMPLE);
	health_schedule_flush(h);
}

void health_describe(const struct agent *ag, char *buf, size_t len)
{
	const struct health *h = ag->health;

	if (!h) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len,
		 "events_sent=%" PRIu64 " events_queued=%zu samples=%" PRIu64
		 " readings=%" PRIu64 " probes=%" PRIu64,
		 h->events_sent, h->q_len, h->samples_sent, h->readings_sent,
		 h->probes_sent);
}
