/*
 * Power waves: the ramp ledgers, and the gangs whose launch or planned
 * stop is spread over several ramp windows.  See powerctl.h.
 *
 * A committed allocation goes to powerctl_launch(), which lets through
 * as many of its parts as the up ledger allows in the current window (all
 * of them without a ramp limit, or when they fit).  The rest wait in a
 * FIFO queue, by (job id, epoch), and a timer sends the next wave when
 * the oldest change leaves the window.  Each wave's LaunchJob requests
 * carry their own prepare timeout, so later waves are timed from their
 * own launch.  gang.c sends "go" once every part is prepared.
 *
 * A stop works the same way with the down ledger: a whole running gang
 * whose drop exceeds the headroom is marked kill_held and its KillJob
 * orders go out wave by wave.  A gang that broke (a rank failed, a node
 * was lost) is stopped at once: its draw already fell when it stalled,
 * and it must be replaced fast; the drop is charged to the ledger and
 * recorded as a power_drop event.
 *
 * After a controller restart (powerctl_loaded): a gang that was still
 * starting comes back with its parts "launching"; a node whose agent
 * does not hold its part is launched again (gang_reconcile), through
 * the waves, keeping the epoch.  A gang that was stopping in waves comes
 * back as an ending allocation and its remaining kills continue in
 * waves as the agents reconnect.  The ledgers are memory only, so when
 * such waves were in progress the new controller counts the window as
 * full once (it cannot know what its predecessor sent last).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/gang.h"
#include "controller/job.h"
#include "controller/peer.h"
#include "controller/powerctl.h"

/* Kills waiting for a node to reconnect are retried this often. */
#define POWER_WAVE_RETRY_MS 1000

static void power_wave_timer_cb(evutil_socket_t fd, short what, void *arg);

static bool power_wave_ramp(const struct powerctl *p)
{
	return p->cfg.ramp_w > 0;
}

double powerctl_ramp_used(struct ctl *ctl, bool up)
{
	struct powerctl *p = ctl->power;

	return power_ramp_used(up ? &p->up : &p->down, util_now_mono_ms(),
			       p->cfg.ramp_window_ms);
}

int powerctl_queued(const struct ctl *ctl, bool kills)
{
	const struct powerctl *p = ctl->power;

	return kills ? p->kills.n : p->launches.n;
}

void powerctl_waves_fini(struct ctl *ctl)
{
	struct powerctl *p = ctl->power;

	if (p->timer)
		event_free(p->timer);
	p->timer = NULL;
	free(p->launches.v);
	free(p->kills.v);
	memset(&p->launches, 0, sizeof(p->launches));
	memset(&p->kills, 0, sizeof(p->kills));
	power_ramp_fini(&p->up);
	power_ramp_fini(&p->down);
}

/* ---- queues ------------------------------------------------------------ */

static struct powerctl_item *power_wave_find(struct powerctl_queue *q,
					     const struct alloc *a)
{
	for (int i = 0; i < q->n; i++)
		if (q->v[i].job_id == a->job_id && q->v[i].epoch == a->epoch)
			return &q->v[i];
	return NULL;
}

static struct powerctl_item *power_wave_push(struct powerctl_queue *q,
					     const struct alloc *a)
{
	struct powerctl_item *it = power_wave_find(q, a);

	if (it)
		return it;
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = xreallocarray(q->v, (size_t)q->cap, sizeof(*q->v));
	}
	it = &q->v[q->n++];
	memset(it, 0, sizeof(*it));
	it->job_id = a->job_id;
	it->epoch = a->epoch;
	it->since_ms = util_now_mono_ms();
	return it;
}

static void power_wave_pop(struct powerctl_queue *q, int i)
{
	memmove(q->v + i, q->v + i + 1, (size_t)(q->n - i - 1) * sizeof(*q->v));
	q->n--;
}

static void power_wave_arm(struct powerctl *p, int64_t delay_ms)
{
	struct timeval tv;

	if (!p->timer)
		p->timer = evtimer_new(p->ctl->base, power_wave_timer_cb, p);
	if (!p->timer)
		return;
	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
}

void powerctl_kick(struct ctl *ctl)
{
	struct powerctl *p = ctl->power;

	if (p && ctl->base && (p->launches.n || p->kills.n))
		power_wave_arm(p, 0);
}

/* What the part adds (or sheds) at full load, by the model. */
static double power_wave_step(const struct powerctl *p, const struct alloc *a,
			      int i)
{
	const struct node *n = a->parts[i].node;

	return power_node_step(
		power_model_find(&p->cfg, n->gpu_model), n->gpus,
		(unsigned)__builtin_popcount(a->parts[i].gpu_mask));
}

/* Headroom in a ledger (-1: no ramp limit) and whether it is idle. */
static double power_wave_headroom(struct powerctl *p, struct power_ramp *r,
				  int64_t now, bool *idle)
{
	double used = power_ramp_used(r, now, p->cfg.ramp_window_ms);

	*idle = used <= 0;
	if (!power_wave_ramp(p))
		return -1;
	return used >= p->cfg.ramp_w ? 0 : p->cfg.ramp_w - used;
}

static void power_wave_done(struct powerctl *p, const struct powerctl_item *it,
			    bool kill)
{
	char w[24], r[24], why[300];
	double sec = (double)(util_now_mono_ms() - it->since_ms) / 1000.0;

	if (it->waves < 2)
		return;
	if (kill)
		p->staggered_stops++;
	else
		p->staggered_starts++;
	snprintf(why, sizeof(why),
		 "%s in %d waves: %d nodes, %s over %.1f s (ramp %s per %.0f "
		 "s)",
		 kill ? "stopped" : "launched", it->waves, it->parts,
		 power_format(it->w, w, sizeof(w)), sec,
		 power_format(p->cfg.ramp_w, r, sizeof(r)),
		 (double)p->cfg.ramp_window_ms / 1000.0);
	log_info("power: job=%" PRIu64 " epoch=%u %s", it->job_id, it->epoch,
		 why);
	ctl_event(p->ctl, "power_ramp", "info", "scheduler", it->job_id, 0, 0,
		  why);
}

/* ---- launch waves ------------------------------------------------------- */

/* Parts not launched yet (PART_NEW), in rank order, and their steps. */
static int power_wave_pending_launch(const struct powerctl *p,
				     const struct alloc *a, double *steps)
{
	int n = 0;

	for (int i = 0; i < a->nparts; i++)
		if (a->parts[i].state == PART_NEW)
			steps[n++] = power_wave_step(p, a, i);
	return n;
}

static bool power_wave_launchable(const struct alloc *a)
{
	return a && a->job && a->job->alloc == a && a->end == ALLOC_LIVE &&
	       a->job->state == JOB_STARTING && a->committed;
}

/*
 * One wave of a: how many parts may go now, charged to the ledger and
 * logged.  Returns 0 when none may.
 */
static int power_wave_admit_launch(struct powerctl *p, struct alloc *a,
				   struct powerctl_item *it, int64_t now,
				   int *pending, bool queued)
{
	double *steps = xcalloc((size_t)a->nparts + 1, sizeof(double));
	double head, w = 0;
	bool idle;
	int k;

	*pending = power_wave_pending_launch(p, a, steps);
	head = power_wave_headroom(p, &p->up, now, &idle);
	k = power_wave_admit(steps, *pending, head, idle);
	for (int i = 0; i < k; i++)
		w += steps[i];
	free(steps);
	if (k == 0)
		return 0;
	power_ramp_add(&p->up, now, w);
	it->waves++;
	it->parts += k;
	it->w += w;
	if (queued || k < *pending) {
		char a1[24], a2[24];

		p->launch_waves++;
		log_info("power: job=%" PRIu64 " epoch=%u launch wave %d: %d "
			 "nodes, +%s (%d of %d nodes launched; ramp %s per "
			 "%.0f s)",
			 a->job_id, a->epoch, it->waves, k,
			 power_format(w, a1, sizeof(a1)),
			 a->nparts - *pending + k, a->nparts,
			 power_format(p->cfg.ramp_w, a2, sizeof(a2)),
			 (double)p->cfg.ramp_window_ms / 1000.0);
	}
	return k;
}

int powerctl_launch(struct ctl *ctl, struct alloc *a)
{
	struct powerctl *p = ctl->power;
	struct powerctl_item one, *it;
	int k, pending;

	if (!p || (!power_wave_ramp(p) && !p->launches.n))
		return a->nparts;
	/* First come, first served: a big gang's next wave is not
	 * overtaken by later starts that would use up the window. */
	if (p->launches.n) {
		power_wave_push(&p->launches, a);
		powerctl_kick(ctl);
		return 0;
	}
	memset(&one, 0, sizeof(one));
	one.job_id = a->job_id;
	one.epoch = a->epoch;
	one.since_ms = util_now_mono_ms();
	k = power_wave_admit_launch(p, a, &one, one.since_ms, &pending, false);
	if (k == pending)
		return k;
	it = power_wave_push(&p->launches, a);
	*it = one;
	power_wave_arm(p, power_ramp_next_ms(&p->up, p->cfg.ramp_window_ms) -
				  util_now_mono_ms());
	return k;
}

void powerctl_relaunch(struct ctl *ctl, struct alloc *a)
{
	struct powerctl *p = ctl->power;

	if (!p)
		return;
	power_wave_push(&p->launches, a);
	powerctl_kick(ctl);
}

static void power_wave_run_launches(struct powerctl *p, int64_t now)
{
	struct ctl *ctl = p->ctl;

	while (p->launches.n) {
		struct powerctl_item *it = &p->launches.v[0];
		struct alloc *a = alloc_find(ctl, it->job_id, it->epoch);
		int k, pending, sent;

		if (!power_wave_launchable(a)) {
			power_wave_pop(&p->launches, 0);
			continue;
		}
		k = power_wave_admit_launch(p, a, it, now, &pending, true);
		if (pending == 0) {
			power_wave_done(p, it, false);
			power_wave_pop(&p->launches, 0);
			continue;
		}
		if (k == 0)
			return;
		sent = gang_launch_parts(ctl, a, k);
		/* The gang may have been requeued (a gone); the queue is
		 * only changed here and by launches, which are deferred. */
		if (sent < 0 || k == pending) {
			if (sent >= 0)
				power_wave_done(p, &p->launches.v[0], false);
			power_wave_pop(&p->launches, 0);
			continue;
		}
		return; /* the window is used up */
	}
}

/* ---- kill waves ------------------------------------------------------------ */

/* Does part i still need its kill? */
static bool power_wave_needs_kill(const struct alloc_part *pt)
{
	return pt->state != PART_RELEASED && !pt->kill_sent &&
	       !pt->exits_done && pt->node->state != NODE_DOWN;
}

/*
 * One kill wave of a.  Returns the parts still waiting (for the window
 * or for their node to reconnect); 0 when every kill went out.
 */
static int power_wave_kill(struct powerctl *p, struct alloc *a,
			   struct powerctl_item *it, int64_t now, bool *full)
{
	int *idx = xcalloc((size_t)a->nparts + 1, sizeof(int));
	double *steps = xcalloc((size_t)a->nparts + 1, sizeof(double));
	int n = 0, away = 0, k;
	double head, w = 0;
	bool idle;

	*full = false;
	for (int i = 0; i < a->nparts; i++) {
		if (!power_wave_needs_kill(&a->parts[i]))
			continue;
		if (!a->parts[i].node->peer) {
			away++; /* sent when it is back, or released down */
			continue;
		}
		idx[n] = i;
		steps[n++] = power_wave_step(p, a, i);
	}
	head = power_wave_headroom(p, &p->down, now, &idle);
	k = power_wave_admit(steps, n, head, idle);
	for (int i = 0; i < k; i++)
		w += steps[i];
	if (k > 0) {
		char a1[24];

		power_ramp_add(&p->down, now, w);
		it->waves++;
		it->parts += k;
		it->w += w;
		p->kill_waves++;
		log_info("power: job=%" PRIu64 " epoch=%u kill wave %d: %d "
			 "nodes, -%s (%d waiting)",
			 a->job_id, a->epoch, it->waves, k,
			 power_format(w, a1, sizeof(a1)), n - k + away);
		for (int i = 0; i < k; i++)
			gang_kill_part(p->ctl, a, idx[i]);
	}
	*full = k < n;
	free(idx);
	free(steps);
	return n - k + away;
}

static void power_wave_run_kills(struct powerctl *p, int64_t now)
{
	struct ctl *ctl = p->ctl;

	for (int i = 0; i < p->kills.n;) {
		struct powerctl_item *it = &p->kills.v[i];
		struct alloc *a = alloc_find(ctl, it->job_id, it->epoch);
		bool full;

		if (!a) {
			power_wave_pop(&p->kills, i);
			continue;
		}
		if (power_wave_kill(p, a, it, now, &full) == 0) {
			/* Every kill is out: retries of unconfirmed ones go
			 * back to heartbeat reconciliation. */
			a->kill_held = false;
			power_wave_done(p, it, true);
			power_wave_pop(&p->kills, i);
			continue;
		}
		if (full)
			return; /* first come, first served */
		i++;
	}
}

static void power_wave_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct powerctl *p = arg;
	int64_t now = util_now_mono_ms(), next = INT64_MAX;

	(void)fd;
	(void)what;
	if (!p->ctl->active) {
		/* Loading, a standby, or stopping: nothing is sent yet. */
		if (p->launches.n || p->kills.n)
			power_wave_arm(p, POWER_WAVE_RETRY_MS);
		return;
	}
	power_wave_run_kills(p, now);
	power_wave_run_launches(p, now);
	if (p->launches.n) {
		int64_t t = power_ramp_next_ms(&p->up, p->cfg.ramp_window_ms);

		next = t < now + POWER_WAVE_RETRY_MS
			       ? t
			       : now + POWER_WAVE_RETRY_MS;
	}
	if (p->kills.n) {
		int64_t t = power_ramp_next_ms(&p->down, p->cfg.ramp_window_ms);

		if (t > now + POWER_WAVE_RETRY_MS)
			t = now + POWER_WAVE_RETRY_MS;
		if (t < next)
			next = t;
	}
	if (next != INT64_MAX)
		power_wave_arm(p, next - now);
}

/* ---- stops --------------------------------------------------------------- */

void powerctl_stopping(struct ctl *ctl, struct alloc *a)
{
	struct powerctl *p = ctl->power;
	bool running = false, whole = true;
	double drop = 0, head;
	int64_t now = util_now_mono_ms();
	bool idle;

	if (!p)
		return;
	for (int i = 0; i < a->nparts; i++) {
		const struct alloc_part *pt = &a->parts[i];

		if (pt->state == PART_RELEASED)
			continue;
		if (pt->state == PART_STARTING || pt->state == PART_RUNNING)
			running = true;
		else
			whole = false;
		if (pt->exits_done || pt->ranks_exited ||
		    pt->node->state == NODE_DOWN)
			whole = false;
		if (!pt->exits_done)
			drop += power_wave_step(p, a, i);
	}
	if (!running || drop <= 0)
		return; /* never told to go: it drew next to nothing */
	if (!whole) {
		char w[24], why[400];

		/* It broke: stopped at once, recorded. */
		power_ramp_add(&p->down, now, drop);
		if (a->parts_exited == a->nparts)
			return;
		p->drops++;
		p->drop_w += drop;
		if (drop < p->cfg.drop_event_w)
			return;
		snprintf(why, sizeof(why),
			 "unplanned stop of a running gang (%d nodes) dropped "
			 "about %s at once: %s",
			 a->nparts - a->parts_released,
			 power_format(drop, w, sizeof(w)), a->end_reason);
		log_warn("power: job=%" PRIu64 " epoch=%u %s", a->job_id,
			 a->epoch, why);
		ctl_event(ctl, "power_drop", "warning", "controller", a->job_id,
			  0, 0, why);
		return;
	}
	head = power_wave_headroom(p, &p->down, now, &idle);
	if (head < 0 || (drop <= head && !p->kills.n)) {
		power_ramp_add(&p->down, now, drop);
		return; /* within the ramp: every kill goes now */
	}
	a->kill_held = true;
	power_wave_push(&p->kills, a);
	powerctl_kick(ctl);
}

/* ---- after a restart -------------------------------------------------- */

void powerctl_loaded(struct ctl *ctl)
{
	struct powerctl *p = ctl->power;
	int64_t now = util_now_mono_ms();
	bool starting = false;
	int stopping = 0;

	if (!p || !power_wave_ramp(p))
		return;
	for (struct alloc *a = ctl->allocs; a; a = a->next) {
		if (a->job && a->job->alloc == a &&
		    a->job->state == JOB_STARTING) {
			starting = true;
			continue;
		}
		if (a->end != ALLOC_ENDING)
			continue;
		a->kill_held = true;
		power_wave_push(&p->kills, a);
		stopping++;
	}
	/* What the previous controller sent in its last window is not
	 * known: count the window as used, once, where waves continue. */
	if (starting)
		power_ramp_add(&p->up, now, p->cfg.ramp_w);
	if (stopping)
		power_ramp_add(&p->down, now, p->cfg.ramp_w);
	if (starting || stopping)
		log_info("power: after the restart %s%s%s continue within the "
			 "ramp",
			 starting ? "gangs still starting" : "",
			 starting && stopping ? " and " : "",
			 stopping ? "stops" : "");
	powerctl_kick(ctl);
}
