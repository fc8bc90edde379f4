/*
 * The health engine.  See health.h and docs/health.md.
 *
 * Events (XIDs, lost GPUs, hangs) act at once; one fault emits a burst
 * of XIDs, so events on a node within burst_window form one incident:
 * its first event opens it, later ones only escalate to a more severe
 * action.  Readings are judged at each sample; a rule with "for D" fires
 * once its condition has held D, and once per episode.  A degraded node
 * clears after clear_samples healthy samples in a row (hysteresis).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/drain.h"
#include "controller/gang.h"
#include "controller/health.h"
#include "controller/metrics.h"
#include "controller/job.h"
#include "controller/node.h"
#include "controller/policy.h"

#define HS_GPUS 16
#define HS_NICS 16
#define HS_SLOTS (HS_GPUS + HS_NICS + 1) /* per rule: GPUs, NICs, node */
#define HS_LEMON 32
#define HS_FLAPS 16
#define RAIL_RING 256
#define SAMPLE_BATCH 500

struct nic_state {
	char name[32];
	bool up;
	bool known;
	uint64_t transitions;
	int64_t down_since_ms;
	int64_t flaps[HS_FLAPS];
	int nflaps;
	bool switch_fault; /* down as part of a correlated rail failure */
};

struct node_health {
	int64_t sample_ms;
	int ngpus;
	Colossus__GpuHealth gpus[HS_GPUS];
	char uuids[HS_GPUS][96];
	int nnics;
	struct nic_state nics[HS_NICS];
	/* Per rule and slot: when the condition became true (0 = false),
	 * and whether it fired in this episode. */
	int64_t *since;
	uint8_t *fired;
	int nrules;
	/* XID burst = incident. */
	int64_t incident_until_ms;
	unsigned incident_actions;
	/* Application-class XIDs: (time, job) for lemon detection. */
	struct {
		int64_t t;
		uint64_t job;
	} app[HS_LEMON];
	int napp;
	int healthy_samples;
	bool power_brake;
	uint64_t prev_sbe[HS_GPUS];
	uint64_t prev_nvl[HS_GPUS], prev_crc[HS_GPUS];
	int64_t prev_ms;
};

struct rack_health {
	Colossus__RackReadings latest;
	char leak[16];
	char rack_name[64];
	bool have;
	int64_t *since;
	uint8_t *fired;
	int nrules;
	bool power_event;
	int64_t lost_event_ms;
};

/* Correlated link failures: NIC name, time, node. */
struct rail_hit {
	char nic[32];
	int64_t t;
	int node_id;
};

struct health {
	struct policy policy;
	struct rail_hit rail[RAIL_RING];
	int nrail;
	int64_t rail_event_ms;
	char rail_event_nic[32];
	/* Readings history waiting to be written. */
	struct sample_row *samples;
	int nsamples, cap;
	int64_t last_flush_ms;
	int64_t last_partition_ms;
};

struct sample_row {
	int node_id;
	int64_t at_s;
	char *temp, *power, *clock, *sbe, *dbe, *nvl, *thr, *nics;
};

/* ---- policy loading ---------------------------------------------------- */

int health_init(struct ctl *ctl, struct err *e)
{
	struct health *h = xcalloc(1, sizeof(*h));
	const char *path = ctl->cfg.policy_file;

	if (path && *path) {
		if (policy_load(path, &h->policy, e) < 0) {
			free(h);
			return -1;
		}
	} else if (policy_parse(policy_default_text(), "default policy",
				&h->policy, e) < 0) {
		free(h);
		return -1;
	}
	ctl->health = h;
	log_info("health: %d policy rules from %s", h->policy.nrules,
		 h->policy.source);
	return 0;
}

static void health_reset_timers(struct ctl *ctl)
{
	struct cluster *c = ctl->cluster;

	/* Rule indexes changed: forget per-rule timers. */
	for (int i = 0; i < cluster_nnodes(c); i++) {
		struct node_health *hs = cluster_node_at(c, i)->hs;

		if (!hs)
			continue;
		free(hs->since);
		free(hs->fired);
		hs->since = NULL;
		hs->fired = NULL;
		hs->nrules = 0;
	}
	for (int i = 0; i < cluster_nracks(c); i++) {
		struct rack_health *rh = cluster_rack_at(c, i)->hs;

		if (!rh)
			continue;
		free(rh->since);
		free(rh->fired);
		rh->since = NULL;
		rh->fired = NULL;
		rh->nrules = 0;
	}
}

int health_reload(struct ctl *ctl, struct err *e)
{
	struct policy fresh;
	const char *path = ctl->cfg.policy_file;

	if (path && *path) {
		if (policy_load(path, &fresh, e) < 0)
			return -1;
	} else if (policy_parse(policy_default_text(), "default policy", &fresh,
				e) < 0) {
		return -1;
	}
	policy_free(&ctl->health->policy);
	ctl->health->policy = fresh;
	health_reset_timers(ctl);
	log_info("health: reloaded %d policy rules from %s", fresh.nrules,
		 fresh.source);
	return 0;
}

static void health_free_samples(struct health *h)
{
	for (int i = 0; i < h->nsamples; i++) {
		struct sample_row *s = &h->samples[i];

		free(s->temp);
		free(s->power);
		free(s->clock);
		free(s->sbe);
		free(s->dbe);
		free(s->nvl);
		free(s->thr);
		free(s->nics);
	}
	h->nsamples = 0;
}

void health_fini(struct ctl *ctl)
{
	struct health *h = ctl->health;
	struct cluster *c = ctl->cluster;

	if (!h)
		return;
	for (int i = 0; c && i < cluster_nnodes(c); i++) {
		struct node *n = cluster_node_at(c, i);

		if (n->hs) {
			free(n->hs->since);
			free(n->hs->fired);
			free(n->hs);
			n->hs = NULL;
		}
	}
	for (int i = 0; c && i < cluster_nracks(c); i++) {
		struct rack *r = cluster_rack_at(c, i);

		if (r->hs) {
			free(r->hs->since);
			free(r->hs->fired);
			free(r->hs);
			r->hs = NULL;
		}
	}
	health_free_samples(h);
	free(h->samples);
	policy_free(&h->policy);
	free(h);
	ctl->health = NULL;
}

int health_rule_count(const struct ctl *ctl)
{
	return ctl->health ? ctl->health->policy.nrules : 0;
}

/* ---- acting ---------------------------------------------------------------- */

static struct node_health *health_of(struct ctl *ctl, struct node *n)
{
	int nr = ctl->health->policy.nrules;

	if (!n->hs)
		n->hs = xcalloc(1, sizeof(*n->hs));
	if (n->hs->nrules != nr) {
		free(n->hs->since);
		free(n->hs->fired);
		n->hs->since = xcalloc((size_t)nr * HS_SLOTS + 1,
				       sizeof(int64_t));
		n->hs->fired = xcalloc((size_t)nr * HS_SLOTS + 1, 1);
		n->hs->nrules = nr;
	}
	return n->hs;
}

/* The jobs using GPU gpu (or any GPU, gpu < 0) of a node. */
static int health_requeue_gpu(struct ctl *ctl, struct node *n, int gpu,
			      const char *reason)
{
	int requeued = 0;

	for (int guard = 0; guard < NODE_MAX_ALLOCS * 2; guard++) {
		struct job *job = NULL;

		for (int u = 0; u < n->nuses && !job; u++) {
			struct alloc *a = n->uses[u].alloc;

			if (!a->job || a->end != ALLOC_LIVE ||
			    a->job->alloc != a)
				continue;
			if (gpu >= 0 && !(n->uses[u].gpu_mask & (1u << gpu)))
				continue;
			job = a->job;
		}
		if (!job)
			break;
		gang_requeue(ctl, job, reason, n);
		requeued++;
	}
	return requeued;
}

/*
 * Apply a rule's actions to a node.  Every action is idempotent: a node
 * already drained stays drained, a job already requeued is not running.
 */
static void health_apply(struct ctl *ctl, struct node *n, int gpu,
			 unsigned actions, const char *reason, bool quiet)
{
	char acts[96], why[300];

	if (gpu >= 0)
		snprintf(why, sizeof(why), "GPU %d: %s", gpu, reason);
	else
		snprintf(why, sizeof(why), "%s", reason);
	if (!quiet) {
		log_warn("node=%s health: %s -> %s", n->name, why,
			 policy_actions_str(actions, acts, sizeof(acts)));
		ctl_event(ctl, "health", (actions & (ACT_REQUEUE | ACT_DRAIN))
					       ? "error"
					       : "warning",
			  DRAIN_ACTOR_HEALTH, 0, n->id, n->rack->id, why);
	}
	if (actions & ACT_REQUEUE)
		health_requeue_gpu(ctl, n, gpu, why);
	if (actions & ACT_RACK_REQUEUE)
		for (int i = 0; i < n->rack->nnodes; i++)
			drain_requeue_node(ctl, n->rack->nodes[i], why);
	if (actions & ACT_DRAIN)
		drain_node(ctl, n, DRAIN_ACTOR_HEALTH, why, false, true);
	if (actions & ACT_DEGRADE)
		drain_degrade_node(ctl, n, why);
	if (actions & ACT_RACK_DRAIN)
		drain_rack(ctl, n->rack, DRAIN_ACTOR_HEALTH, why, false, true);
	if (actions & ACT_RACK_DEGRADE)
		drain_degrade_rack(ctl, n->rack, why);
	if (actions & ACT_RMA) {
		n->flags |= NODE_FLAG_RMA;
		node_persist(ctl, n);
	}
	if (actions & (ACT_RESET | ACT_REBOOT | ACT_RMA)) {
		snprintf(why, sizeof(why), "remediation requested: %s%s%s (%s)",
			 (actions & ACT_RESET) ? "GPU reset " : "",
			 (actions & ACT_REBOOT) ? "node reboot " : "",
			 (actions & ACT_RMA) ? "hardware replacement" : "",
			 reason);
		ctl_event(ctl, "remediation", "warning", DRAIN_ACTOR_HEALTH, 0,
			  n->id, n->rack->id, why);
	}
	if (actions & ACT_ALERT)
		ctl_event(ctl, "alarm", "critical", DRAIN_ACTOR_HEALTH, 0,
			  n->id, n->rack->id, reason);
}

static const char *health_reason(const struct policy_rule *r, char *buf,
				 size_t len)
{
	if (r->reason[0])
		return r->reason;
	snprintf(buf, len, "%s (policy line %u)", policy_signal_name(r->signal),
		 r->line);
	return buf;
}

/* ---- events ------------------------------------------------------------------ */

static uint64_t health_job_on_gpu(const struct node *n, int gpu)
{
	for (int u = 0; u < n->nuses; u++)
		if (n->uses[u].alloc->job &&
		    (gpu < 0 || (n->uses[u].gpu_mask & (1u << gpu))))
			return n->uses[u].alloc->job_id;
	return 0;
}

/* Application-class XIDs from several jobs make a lemon suspect. */
static void health_lemon(struct ctl *ctl, struct node *n, int gpu, unsigned xid)
{
	struct node_health *hs = n->hs;
	int64_t now = util_now_mono_ms();
	int64_t since = now - (int64_t)ctl->cfg.lemon_window_sec * 1000;
	uint64_t jobs[HS_LEMON];
	int count = 0, njobs = 0;
	char why[160];

	hs->app[hs->napp % HS_LEMON].t = now;
	hs->app[hs->napp % HS_LEMON].job = health_job_on_gpu(n, gpu);
	hs->napp++;
	for (int i = 0; i < HS_LEMON && i < hs->napp; i++) {
		bool seen = false;

		if (hs->app[i].t < since)
			continue;
		count++;
		for (int k = 0; k < njobs; k++)
			seen |= jobs[k] == hs->app[i].job;
		if (!seen && hs->app[i].job)
			jobs[njobs++] = hs->app[i].job;
	}
	if (count >= ctl->cfg.lemon_count && njobs >= ctl->cfg.lemon_jobs &&
	    !(n->flags & NODE_FLAG_LEMON)) {
		n->flags |= NODE_FLAG_LEMON;
		snprintf(why, sizeof(why),
			 "lemon suspect: %d application XIDs (last %u) from %d "
			 "jobs within %llu h",
			 count, xid, njobs,
			 (unsigned long long)ctl->cfg.lemon_window_sec / 3600);
		ctl_event(ctl, "node_lemon", "warning", DRAIN_ACTOR_HEALTH, 0,
			  n->id, n->rack->id, why);
		drain_degrade_node(ctl, n, why);
		node_persist(ctl, n);
	}
}

static enum policy_signal health_event_signal(const Colossus__HealthEvent *ev)
{
	if (!ev->kind)
		return 0;
	if (!strcmp(ev->kind, "xid"))
		return SIG_XID;
	if (!strcmp(ev->kind, "gpu_lost"))
		return SIG_GPU_LOST;
	if (!strcmp(ev->kind, "dbe"))
		return SIG_DBE;
	if (!strcmp(ev->kind, "recovery"))
		return SIG_RECOVERY;
	if (!strcmp(ev->kind, "hang"))
		return SIG_HANG;
	return 0;
}

static void health_event(struct ctl *ctl, struct node *n,
			 const Colossus__HealthEvent *ev)
{
	struct node_health *hs = health_of(ctl, n);
	const struct policy *p = &ctl->health->policy;
	enum policy_signal sig = health_event_signal(ev);
	int64_t now = util_now_mono_ms();
	unsigned actions = 0;
	const struct policy_rule *worst = NULL;
	bool app_class = false, new_incident;
	char buf[160], why[300];

	if (!sig) {
		if (ev->kind && !strcmp(ev->kind, "backend_error"))
			ctl_event(ctl, "gpu_backend", "warning", n->name, 0,
				  n->id, n->rack->id,
				  ev->detail ? ev->detail : "");
		/* From the site probe: it failed (once per failure
		 * episode: the site's monitoring of the node went blind),
		 * or it reported something to record. */
		if (ev->kind && !strcmp(ev->kind, "probe"))
			ctl_event(ctl, "probe", "warning", n->name, 0, n->id,
				  n->rack->id, ev->detail ? ev->detail : "");
		return;
	}
	if (sig == SIG_HANG) {
		/* A hung collective wastes the whole gang: that gang only. */
		struct job *job = job_table_get(ctl->jobs, ev->job_id);

		for (int i = 0; i < p->nrules; i++)
			if (p->rules[i].signal == SIG_HANG)
				actions |= p->rules[i].actions;
		snprintf(why, sizeof(why), "job stopped making progress on %s%s%s",
			 n->name, ev->detail && *ev->detail ? ": " : "",
			 ev->detail ? ev->detail : "");
		ctl_event(ctl, "job_hang", "error", n->name, ev->job_id, n->id,
			  n->rack->id, why);
		/* Only a node of that incarnation may say it hangs: an
		 * agent speaks for its own node (DESIGN invariant 6). */
		if ((actions & ACT_REQUEUE) && job && job->alloc &&
		    job->epoch == ev->epoch && job->state == JOB_RUNNING &&
		    alloc_part_index(job->alloc, n) >= 0)
			gang_requeue(ctl, job, why, NULL);
		return;
	}
	for (int i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->signal != sig)
			continue;
		if ((sig == SIG_XID || sig == SIG_RECOVERY) &&
		    !policy_code_match(r, ev->code))
			continue;
		actions |= r->actions;
		if (!worst || policy_severity(r->actions) >
				      policy_severity(worst->actions))
			worst = r;
		if (sig == SIG_XID && r->actions == ACT_NONE)
			app_class = true;
	}
	if (sig == SIG_XID)
		snprintf(why, sizeof(why), "XID %u (%s)", ev->code,
			 worst ? health_reason(worst, buf, sizeof(buf))
			       : "not in the policy");
	else
		snprintf(why, sizeof(why), "%s",
			 worst ? health_reason(worst, buf, sizeof(buf))
			       : ev->kind);
	if (app_class && actions == ACT_NONE) {
		/* The application's fault: record, count, never drain. */
		ctl_event(ctl, "xid", "info", n->name,
			  health_job_on_gpu(n, ev->gpu_index), n->id,
			  n->rack->id, why);
		health_lemon(ctl, n, ev->gpu_index, ev->code);
		return;
	}
	if (!worst) {
		ctl_event(ctl, "xid", "warning", n->name, 0, n->id, n->rack->id,
			  why);
		return;
	}
	new_incident = now >= hs->incident_until_ms;
	/* An incident that drained the node is over once the node is back
	 * in service (validated after a reboot, or resumed): a fault after
	 * that is a new one, however soon. */
	if (!new_incident && (hs->incident_actions & ACT_DRAIN) &&
	    n->admin_state == ADMIN_NONE)
		new_incident = true;
	hs->incident_until_ms = now + (int64_t)ctl->cfg.burst_window_sec * 1000;
	if (!new_incident &&
	    policy_severity(actions) <= policy_severity(hs->incident_actions)) {
		/* Part of the burst already handled. */
		log_sub(LOG_SUB_HEALTH, "node=%s: %s (same incident)", n->name,
			why);
		return;
	}
	hs->incident_actions |= actions;
	if (new_incident)
		hs->incident_actions = actions;
	health_apply(ctl, n, ev->gpu_index, actions, why, false);
}

/* ---- samples --------------------------------------------------------------- */

static bool health_gpu_value(const struct policy_rule *r,
			     const Colossus__GpuHealth *g, double rate_sbe,
			     double rate_nvl, double rate_crc, double *v)
{
	switch (r->signal) {
	case SIG_TEMP:
		*v = g->temp_c;
		return g->valid & (1 << 0);
	case SIG_ECC_DBE:
		*v = (double)g->ecc_dbe_volatile;
		return g->valid & (1 << 2);
	case SIG_ECC_SBE_RATE:
		*v = rate_sbe;
		return (g->valid & (1 << 2)) && rate_sbe >= 0;
	case SIG_REMAP_PENDING:
		*v = g->remap_pending;
		return g->valid & (1 << 3);
	case SIG_REMAP_FAILURE:
		*v = g->remap_failure;
		return g->valid & (1 << 3);
	case SIG_NVLINK_DOWN:
		*v = g->nvlink_down_mask != 0;
		return g->valid & (1 << 6);
	case SIG_NVLINK_ERRORS:
		*v = rate_nvl;
		return (g->valid & (1 << 6)) && rate_nvl >= 0;
	case SIG_NVLINK_CRC:
		*v = rate_crc;
		return (g->valid & (1 << 6)) && rate_crc >= 0;
	case SIG_PCIE_DEGRADED:
		*v = (g->pcie_width_max && g->pcie_width < g->pcie_width_max) ||
		     (g->pcie_gen_max && g->pcie_gen < g->pcie_gen_max);
		return g->valid & (1 << 4);
	case SIG_THROTTLE:
		*v = policy_code_match(r, (unsigned)g->throttle_reasons);
		return g->valid & (1 << 5);
	case SIG_SM_CLOCK:
		if (!g->sm_clock_max_mhz || !(g->valid & (1 << 7)))
			return false;
		*v = 100.0 * g->sm_clock_mhz / g->sm_clock_max_mhz;
		return true;
	case SIG_RECOVERY:
		*v = policy_code_match(r, g->recovery_action);
		return (g->valid & (1 << 8)) && g->recovery_action != 0;
	default:
		return false;
	}
}

/*
 * One rule on one slot: track how long its condition holds, fire once
 * it held for_sec.  Returns true when it fires now.
 */
static bool health_timer(struct node_health *hs, int rule, int slot,
			 bool cond, uint64_t for_sec, int64_t now)
{
	int64_t *since = &hs->since[rule * HS_SLOTS + slot];
	uint8_t *fired = &hs->fired[rule * HS_SLOTS + slot];

	if (!cond) {
		*since = 0;
		*fired = 0;
		return false;
	}
	if (!*since)
		*since = now;
	if (*fired || now - *since < (int64_t)for_sec * 1000)
		return false;
	*fired = 1;
	return true;
}

static void health_samples_gpus(struct ctl *ctl, struct node *n,
				const Colossus__HealthReport *m, int64_t now,
				bool *any_bad)
{
	struct node_health *hs = n->hs;
	const struct policy *p = &ctl->health->policy;
	double dt = hs->prev_ms ? (double)(now - hs->prev_ms) / 1000.0 : 0;

	hs->power_brake = false;
	for (size_t k = 0; k < m->n_gpus && k < HS_GPUS; k++) {
		const Colossus__GpuHealth *g = m->gpus[k];
		int gi = (int)(g->index < HS_GPUS ? g->index : k);
		double sbe = -1, nvl = -1, crc = -1;

		if (dt > 0) {
			sbe = (double)(g->ecc_sbe_volatile - hs->prev_sbe[gi]) /
			      dt * 3600.0;
			nvl = (double)(g->nvlink_replay + g->nvlink_recovery -
				       hs->prev_nvl[gi]) /
			      dt * 60.0;
			crc = (double)(g->nvlink_crc - hs->prev_crc[gi]) / dt;
		}
		hs->prev_sbe[gi] = g->ecc_sbe_volatile;
		hs->prev_nvl[gi] = g->nvlink_replay + g->nvlink_recovery;
		hs->prev_crc[gi] = g->nvlink_crc;
		if (g->throttle_reasons & 0x80)
			hs->power_brake = true;
		if (g->lost) {
			Colossus__HealthEvent ev = COLOSSUS__HEALTH_EVENT__INIT;

			ev.gpu_index = gi;
			ev.kind = (char *)"gpu_lost";
			ev.code = 79;
			health_event(ctl, n, &ev);
			*any_bad = true;
			continue;
		}
		for (int r = 0; r < p->nrules; r++) {
			const struct policy_rule *rule = &p->rules[r];
			double v;
			bool cond;
			char buf[160];

			if (!health_gpu_value(rule, g, sbe, nvl, crc, &v))
				continue;
			if (rule->signal == SIG_THROTTLE ||
			    rule->signal == SIG_RECOVERY ||
			    rule->op == OP_ANY)
				cond = v != 0;
			else
				cond = policy_compare(rule, v,
						      g->slowdown_temp_c,
						      g->shutdown_temp_c);
			if (cond && rule->actions != ACT_NONE)
				*any_bad = true;
			if (!health_timer(hs, r, gi, cond, rule->for_sec, now))
				continue;
			/* A rack-wide power event is the rack's fault. */
			if (rule->signal == SIG_THROTTLE && n->rack->hs &&
			    n->rack->hs->power_event)
				continue;
			health_apply(ctl, n, gi, rule->actions,
				     health_reason(rule, buf, sizeof(buf)),
				     false);
		}
	}
	hs->prev_ms = now;
}

/* Several nodes losing the same NIC at once: a switch, not the nodes. */
static bool health_rail(struct ctl *ctl, struct node *n, const char *nic,
			int64_t now)
{
	struct health *h = ctl->health;
	int count = 0;
	char why[200];

	snprintf(h->rail[h->nrail % RAIL_RING].nic,
		 sizeof(h->rail[0].nic), "%s", nic);
	h->rail[h->nrail % RAIL_RING].t = now;
	h->rail[h->nrail % RAIL_RING].node_id = n->id;
	h->nrail++;
	for (int i = 0; i < RAIL_RING && i < h->nrail; i++)
		if (!strcmp(h->rail[i].nic, nic) && now - h->rail[i].t < 10000)
			count++;
	if (count < ctl->cfg.rail_nodes)
		return false;
	if (now - h->rail_event_ms > 60000 || strcmp(h->rail_event_nic, nic)) {
		h->rail_event_ms = now;
		snprintf(h->rail_event_nic, sizeof(h->rail_event_nic), "%s",
			 nic);
		snprintf(why, sizeof(why),
			 "%d nodes lost %s within 10 s: switch domain fault "
			 "(nodes not drained; their gangs are requeued)",
			 count, nic);
		log_err("health: %s", why);
		ctl_event(ctl, "switch_fault", "critical", DRAIN_ACTOR_HEALTH,
			  0, 0, 0, why);
	}
	return true;
}

static void health_samples_nics(struct ctl *ctl, struct node *n,
				const Colossus__HealthReport *m, int64_t now,
				bool *any_bad)
{
	struct node_health *hs = n->hs;
	const struct policy *p = &ctl->health->policy;

	for (size_t k = 0; k < m->n_nics && k < HS_NICS; k++) {
		const Colossus__NicHealth *ni = m->nics[k];
		struct nic_state *s = NULL;
		int slot;

		for (int i = 0; i < hs->nnics; i++)
			if (!strcmp(hs->nics[i].name, ni->name))
				s = &hs->nics[i];
		if (!s) {
			if (hs->nnics == HS_NICS)
				continue;
			s = &hs->nics[hs->nnics++];
			snprintf(s->name, sizeof(s->name), "%s", ni->name);
		}
		slot = HS_GPUS + (int)(s - hs->nics);
		if (s->known && ni->transitions > s->transitions)
			for (uint64_t t = s->transitions; t < ni->transitions;
			     t++)
				s->flaps[s->nflaps++ % HS_FLAPS] = now;
		if (s->known && s->up && !ni->up)
			s->switch_fault = health_rail(ctl, n, ni->name, now);
		if (ni->up)
			s->switch_fault = false;
		s->transitions = ni->transitions;
		s->up = ni->up;
		s->known = true;
		if (!ni->up && !s->down_since_ms)
			s->down_since_ms = now;
		if (ni->up)
			s->down_since_ms = 0;
		for (int r = 0; r < p->nrules; r++) {
			const struct policy_rule *rule = &p->rules[r];
			bool cond = false;
			unsigned actions = rule->actions;
			char why[200];

			if (rule->signal == SIG_NIC_DOWN) {
				cond = !ni->up;
			} else if (rule->signal == SIG_NIC_FLAPS) {
				int c = 0;

				for (int f = 0; f < HS_FLAPS && f < s->nflaps; f++)
					if (now - s->flaps[f] <
					    (int64_t)rule->within_sec * 1000)
						c++;
				cond = policy_compare(rule, c, 0, 0);
			} else {
				continue;
			}
			if (cond && actions != ACT_NONE)
				*any_bad = true;
			if (!health_timer(hs, r, slot, cond, rule->for_sec, now))
				continue;
			/* A switch fault requeues gangs but drains no node. */
			if (s->switch_fault)
				actions &= ~(unsigned)(ACT_DRAIN | ACT_DEGRADE);
			snprintf(why, sizeof(why), "NIC %s: %s", ni->name,
				 rule->reason[0] ? rule->reason : "link");
			health_apply(ctl, n, -1, actions, why, false);
		}
	}
}

/* A rack whose nodes all brake power at once: a rack power event. */
static void health_rack_power(struct ctl *ctl, struct rack *r)
{
	int braking = 0, nodes = 0;
	char why[160];

	if (!r->hs)
		r->hs = xcalloc(1, sizeof(*r->hs));
	for (int i = 0; i < r->nnodes; i++) {
		if (!r->nodes[i]->hs)
			continue;
		nodes++;
		braking += r->nodes[i]->hs->power_brake;
	}
	if (!nodes || r->hs->power_event ||
	    braking * 100 < ctl->cfg.rack_power_pct * r->nnodes)
		return;
	r->hs->power_event = true;
	snprintf(why, sizeof(why),
		 "rack power event: %d of %d nodes in power brake (facility "
		 "alerted; no new work placed here)",
		 braking, r->nnodes);
	log_err("rack=%s %s", r->name, why);
	ctl_event(ctl, "rack_power", "critical", DRAIN_ACTOR_HEALTH, 0, 0, r->id,
		  why);
	drain_rack(ctl, r, DRAIN_ACTOR_HEALTH, why, false, true);
}

static char *health_array(const Colossus__HealthReport *m, int what)
{
	size_t cap = 24 * (m->n_gpus + 1) + 3, used = 0;
	char *s = xmalloc(cap);

	s[used++] = '{';
	for (size_t i = 0; i < m->n_gpus && i < HS_GPUS; i++) {
		const Colossus__GpuHealth *g = m->gpus[i];
		long long v = 0;

		switch (what) {
		case 0:
			v = g->temp_c;
			break;
		case 1:
			v = g->power_mw / 1000;
			break;
		case 2:
			v = g->sm_clock_mhz;
			break;
		case 3:
			v = (long long)g->ecc_sbe_volatile;
			break;
		case 4:
			v = (long long)g->ecc_dbe_volatile;
			break;
		case 5:
			v = (long long)g->nvlink_down_mask;
			break;
		default:
			v = (long long)g->throttle_reasons;
			break;
		}
		used += (size_t)snprintf(s + used, cap - used, "%s%lld",
					 i ? "," : "", v);
	}
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

static void health_keep_sample(struct ctl *ctl, struct node *n,
			       const Colossus__HealthReport *m)
{
	struct health *h = ctl->health;
	struct sample_row *row;
	size_t cap = 3, used = 0;
	char *nics;

	/* The database is away for long: keep a bounded backlog. */
	if (h->nsamples >= 100000)
		return;
	if (h->nsamples == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->samples = xreallocarray(h->samples, (size_t)h->cap,
					   sizeof(*h->samples));
	}
	for (size_t i = 0; i < m->n_nics; i++)
		cap += strlen(m->nics[i]->name) + 1;
	nics = xmalloc(cap);
	nics[used++] = '{';
	for (size_t i = 0; i < m->n_nics; i++) {
		const char *name = m->nics[i]->name;

		/* Interface names are [A-Za-z0-9_.-]: no quoting needed. */
		if (m->nics[i]->up || !util_valid_name(name, 31))
			continue;
		if (used > 1)
			nics[used++] = ',';
		memcpy(nics + used, name, strlen(name));
		used += strlen(name);
	}
	nics[used++] = '}';
	nics[used] = '\0';
	row = &h->samples[h->nsamples++];
	row->node_id = n->id;
	row->at_s = util_now_wall_s();
	row->temp = health_array(m, 0);
	row->power = health_array(m, 1);
	row->clock = health_array(m, 2);
	row->sbe = health_array(m, 3);
	row->dbe = health_array(m, 4);
	row->nvl = health_array(m, 5);
	row->thr = health_array(m, 6);
	row->nics = nics;
}

void health_node_report(struct ctl *ctl, struct node *n,
			const Colossus__HealthReport *m)
{
	struct node_health *hs;
	int64_t now = util_now_mono_ms();
	bool any_bad = false;

	if (!ctl->health)
		return;
	hs = health_of(ctl, n);
	for (size_t i = 0; i < m->n_events; i++) {
		const Colossus__HealthEvent *ev = m->events[i];

		metrics_health_event(ctl, ev->kind,
				     ev->kind && !strcmp(ev->kind, "xid")
					     ? (int)ev->code
					     : 0);
		health_event(ctl, n, ev);
	}
	if (m->n_gpus) {
		hs->ngpus = (int)(m->n_gpus < HS_GPUS ? m->n_gpus : HS_GPUS);
		for (int i = 0; i < hs->ngpus; i++) {
			hs->gpus[i] = *m->gpus[i];
			snprintf(hs->uuids[i], sizeof(hs->uuids[i]), "%s",
				 m->gpus[i]->uuid ? m->gpus[i]->uuid : "");
			hs->gpus[i].uuid = hs->uuids[i];
			hs->gpus[i].base.unknown_fields = NULL;
			hs->gpus[i].base.n_unknown_fields = 0;
		}
		hs->sample_ms = util_now_wall_ms();
		health_samples_gpus(ctl, n, m, now, &any_bad);
		health_rack_power(ctl, n->rack);
	}
	if (m->n_nics)
		health_samples_nics(ctl, n, m, now, &any_bad);
	/* The site probe's view of the node's own rack (its CDU): an agent
	 * speaks for its own rack only, whatever name it sends. */
	if (m->rack)
		health_rack_readings(ctl, n->rack, m->rack);
	if (m->sample) {
		health_keep_sample(ctl, n, m);
		/* Hysteresis: a degraded node clears only after several
		 * healthy samples in a row, so flapping does not churn. */
		if (!any_bad && n->health == HEALTH_DEGRADED &&
		    !(n->flags & NODE_FLAG_LEMON) &&
		    ++hs->healthy_samples >= ctl->cfg.clear_samples &&
		    !strcmp(n->drained_by, "")) {
			n->health = HEALTH_OK;
			if (n->admin_state == ADMIN_NONE)
				node_set_reason(n, NULL);
			node_recount(n);
			ctl_event(ctl, "node_healthy", "info", DRAIN_ACTOR_HEALTH,
				  0, n->id, n->rack->id,
				  "healthy samples in a row");
			node_persist(ctl, n);
		}
		if (any_bad)
			hs->healthy_samples = 0;
	}
}

/* ---- racks ----------------------------------------------------------------- */

static bool health_rack_value(const struct policy_rule *rule,
			      const Colossus__RackReadings *m, double *v)
{
	switch (rule->signal) {
	case SIG_RACK_LEAK:
		*v = !m->leak ? 0
		     : !strcmp(m->leak, "critical") ? 2
		     : !strcmp(m->leak, "warning")  ? 1
						     : 0;
		return true;
	case SIG_RACK_FLOW:
		*v = m->coolant_flow_lpm;
		return m->coolant_flow_lpm >= 0;
	case SIG_RACK_SUPPLY_TEMP:
		*v = m->supply_temp_c;
		return m->supply_temp_c > -100;
	case SIG_RACK_PUMPS_FAILED:
		*v = m->pumps_total > m->pumps_ok ? m->pumps_total - m->pumps_ok
						  : 0;
		return m->pumps_total > 0;
	case SIG_RACK_FANS_FAILED:
		*v = m->fans_total > m->fans_ok ? m->fans_total - m->fans_ok : 0;
		return m->fans_total > 0;
	case SIG_RACK_POWER_LOST:
		*v = m->power_lost;
		return true;
	default:
		return false;
	}
}

void health_rack_readings(struct ctl *ctl, struct rack *r,
			  const Colossus__RackReadings *m)
{
	const struct policy *p = &ctl->health->policy;
	struct rack_health *rh;
	int64_t now = util_now_mono_ms();

	if (!r->hs)
		r->hs = xcalloc(1, sizeof(*r->hs));
	rh = r->hs;
	if (rh->nrules != p->nrules) {
		free(rh->since);
		free(rh->fired);
		rh->since = xcalloc((size_t)p->nrules + 1, sizeof(int64_t));
		rh->fired = xcalloc((size_t)p->nrules + 1, 1);
		rh->nrules = p->nrules;
	}
	rh->latest = *m;
	snprintf(rh->leak, sizeof(rh->leak), "%s", m->leak ? m->leak : "none");
	snprintf(rh->rack_name, sizeof(rh->rack_name), "%s", r->name);
	rh->latest.leak = rh->leak;
	rh->latest.rack = rh->rack_name;
	rh->latest.base.unknown_fields = NULL;
	rh->latest.base.n_unknown_fields = 0;
	rh->have = true;
	for (int i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		double v;
		bool cond;
		char why[200];
		unsigned a = rule->actions;

		if (!health_rack_value(rule, m, &v))
			continue;
		cond = rule->op == OP_ANY ? v != 0
					  : policy_compare(rule, v, 0, 0);
		if (!cond) {
			rh->since[i] = 0;
			rh->fired[i] = 0;
			continue;
		}
		if (!rh->since[i])
			rh->since[i] = now;
		if (rh->fired[i] ||
		    now - rh->since[i] < (int64_t)rule->for_sec * 1000)
			continue;
		rh->fired[i] = 1;
		snprintf(why, sizeof(why), "rack %s: %s", r->name,
			 rule->reason[0] ? rule->reason
					 : policy_signal_name(rule->signal));
		log_err("%s", why);
		ctl_event(ctl, "rack_health", "critical", DRAIN_ACTOR_HEALTH, 0,
			  0, r->id, why);
		if (a & (ACT_RACK_REQUEUE | ACT_REQUEUE))
			for (int k = 0; k < r->nnodes; k++)
				drain_requeue_node(ctl, r->nodes[k], why);
		if (a & (ACT_RACK_DRAIN | ACT_DRAIN))
			drain_rack(ctl, r, DRAIN_ACTOR_HEALTH, why, false, true);
		if (a & (ACT_RACK_DEGRADE | ACT_DEGRADE))
			drain_degrade_rack(ctl, r, why);
		if (a & ACT_ALERT)
			ctl_event(ctl, "alarm", "critical", DRAIN_ACTOR_HEALTH,
				  0, 0, r->id, why);
	}
}

const Colossus__RackReadings *health_rack_latest(const struct rack *r)
{
	return r->hs && r->hs->have ? &r->hs->latest : NULL;
}

void health_node_down(struct ctl *ctl, struct node *n)
{
	struct rack *r = n->rack;
	int64_t now = util_now_mono_ms();
	int lost = 0;
	char why[160];

	/*
	 * Every node of the rack lost together (within a minute of each
	 * other), each having been up: a rack event.  Nodes whose agents
	 * never registered (a rack not yet installed, agents started after
	 * the topology) are not a fault of the rack.
	 */
	for (int i = 0; i < r->nnodes; i++) {
		const struct node *m = r->nodes[i];

		lost += m->state == NODE_DOWN && m->lost_mono_ms &&
			now - m->lost_mono_ms < 60000;
	}
	if (lost < 2 || lost < r->nnodes)
		return;
	if (!r->hs)
		r->hs = xcalloc(1, sizeof(*r->hs));
	if (r->hs->lost_event_ms && now - r->hs->lost_event_ms < 600000)
		return;
	r->hs->lost_event_ms = now;
	/* Every node of a rack at once: power or the top-of-rack switch. */
	snprintf(why, sizeof(why),
		 "rack event: all %d nodes lost (power or top-of-rack switch)",
		 r->nnodes);
	log_err("rack=%s %s", r->name, why);
	ctl_event(ctl, "rack_lost", "critical", DRAIN_ACTOR_HEALTH, 0, 0, r->id,
		  why);
	drain_rack(ctl, r, DRAIN_ACTOR_HEALTH, why, false, true);
}

void health_node_readings(const struct node *n, Colossus__NodeHealthInfo *info,
			  Colossus__GpuHealth **gptrs, Colossus__NicHealth *nics,
			  Colossus__NicHealth **nptrs)
{
	const struct node_health *hs = n->hs;

	if (!hs)
		return;
	for (int i = 0; i < hs->ngpus; i++)
		gptrs[i] = (Colossus__GpuHealth *)&hs->gpus[i];
	info->n_gpus = (size_t)hs->ngpus;
	info->gpus = gptrs;
	for (int i = 0; i < hs->nnics; i++) {
		colossus__nic_health__init(&nics[i]);
		nics[i].name = (char *)hs->nics[i].name;
		nics[i].up = hs->nics[i].up;
		nics[i].transitions = hs->nics[i].transitions;
		nptrs[i] = &nics[i];
	}
	info->n_nics = (size_t)hs->nnics;
	info->nics = nptrs;
	info->sample_ms = hs->sample_ms;
}

/* ---- the readings history ----------------------------------------------------- */

static void health_sql_done(const struct pgq_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		log_sub(LOG_SUB_DB, "health history: %s", r->error);
}

static void health_flush(struct ctl *ctl)
{
	struct health *h = ctl->health;
	int n = h->nsamples < SAMPLE_BATCH ? h->nsamples : SAMPLE_BATCH;
	size_t cap = 200 + (size_t)n * 90, used;
	char *sql;
	const char **vals;
	char (*ids)[16], (*ats)[24];
	struct err e;

	if (!n || !ctl->db_up)
		return;
	sql = xmalloc(cap);
	vals = xcalloc((size_t)n * 10, sizeof(char *));
	ids = xcalloc((size_t)n, sizeof(*ids));
	ats = xcalloc((size_t)n, sizeof(*ats));
	used = (size_t)snprintf(sql, cap,
				"INSERT INTO node_samples (node_id, at, temp_c, "
				"power_w, sm_clock_mhz, ecc_sbe, ecc_dbe, "
				"nvlink_down, throttle, nics_down) VALUES ");
	for (int i = 0; i < n; i++) {
		struct sample_row *s = &h->samples[i];
		int b = i * 10;

		snprintf(ids[i], sizeof(ids[i]), "%d", s->node_id);
		snprintf(ats[i], sizeof(ats[i]), "%lld", (long long)s->at_s);
		vals[b] = ids[i];
		vals[b + 1] = ats[i];
		vals[b + 2] = s->temp;
		vals[b + 3] = s->power;
		vals[b + 4] = s->clock;
		vals[b + 5] = s->sbe;
		vals[b + 6] = s->dbe;
		vals[b + 7] = s->nvl;
		vals[b + 8] = s->thr;
		vals[b + 9] = s->nics;
		used += (size_t)snprintf(sql + used, cap - used,
					 "%s($%d,to_timestamp($%d),$%d,$%d,$%d,"
					 "$%d,$%d,$%d,$%d,$%d)",
					 i ? "," : "", b + 1, b + 2, b + 3,
					 b + 4, b + 5, b + 6, b + 7, b + 8,
					 b + 9, b + 10);
	}
	if (pgq_submit(ctl->db, sql, n * 10, vals, health_sql_done, NULL, &e) <
	    0)
		log_sub(LOG_SUB_DB, "health history: %s", e.msg);
	free(sql);
	free(vals);
	free(ids);
	free(ats);
	{
		/* Drop the written rows (or those we failed to write: the
		 * history is best effort, the events are the record). */
		int left = h->nsamples - n;
		struct sample_row tmp;

		for (int i = 0; i < n; i++) {
			tmp = h->samples[i];
			free(tmp.temp);
			free(tmp.power);
			free(tmp.clock);
			free(tmp.sbe);
			free(tmp.dbe);
			free(tmp.nvl);
			free(tmp.thr);
			free(tmp.nics);
		}
		memmove(h->samples, h->samples + n,
			(size_t)left * sizeof(*h->samples));
		h->nsamples = left;
	}
}

/*
 * Daily partitions of the history: today and tomorrow exist, days past
 * the retention are dropped.  The DDL cannot take parameters; the names
 * and bounds are formatted from our own clock, never from input.
 */
static void health_partitions(struct ctl *ctl)
{
	int64_t now = util_now_wall_s();
	int keep = (int)(ctl->cfg.samples_retention_sec / 86400) + 1;

	for (int d = 0; d <= 1; d++) {
		for (int t = 0; t < 2; t++) {
			time_t a = (time_t)((now / 86400 + d) * 86400);
			time_t b = a + 86400;
			struct tm ta, tb;
			char sql[400], sa[16], sb[16];
			const char *table = t ? "rack_samples" : "node_samples";
			struct err e;

			gmtime_r(&a, &ta);
			gmtime_r(&b, &tb);
			strftime(sa, sizeof(sa), "%Y%m%d", &ta);
			strftime(sb, sizeof(sb), "%Y%m%d", &tb);
			snprintf(sql, sizeof(sql),
				 "CREATE TABLE IF NOT EXISTS %s_%s PARTITION "
				 "OF %s FOR VALUES FROM ('%s') TO ('%s')",
				 table, sa, table, sa, sb);
			if (pgq_submit(ctl->db, sql, 0, NULL, health_sql_done,
				       NULL, &e) < 0)
				return;
		}
	}
	for (int d = keep; d < keep + 7; d++) {
		for (int t = 0; t < 2; t++) {
			time_t a = (time_t)((now / 86400 - d) * 86400);
			struct tm ta;
			char sql[200], sa[16];
			const char *table = t ? "rack_samples" : "node_samples";
			struct err e;

			gmtime_r(&a, &ta);
			strftime(sa, sizeof(sa), "%Y%m%d", &ta);
			snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s_%s",
				 table, sa);
			if (pgq_submit(ctl->db, sql, 0, NULL, health_sql_done,
				       NULL, &e) < 0)
				return;
		}
	}
}

void health_sweep(struct ctl *ctl)
{
	struct health *h = ctl->health;
	int64_t now = util_now_mono_ms();

	if (!h || !ctl->db_up)
		return;
	if (!h->last_partition_ms || now - h->last_partition_ms > 3600000) {
		h->last_partition_ms = now;
		health_partitions(ctl);
	}
	if (h->nsamples >= SAMPLE_BATCH || now - h->last_flush_ms > 10000) {
		h->last_flush_ms = now;
		/* Each flush writes (or drops) up to SAMPLE_BATCH rows. */
		for (int i = 0; i < 100 && h->nsamples; i++)
			health_flush(ctl);
	}
}
