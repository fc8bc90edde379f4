/*
 * Power in the controller: the model of power.c applied to the cluster.
 *
 * powerctl.c keeps every node's current draw (its GPUs' readings where
 * recent, the model elsewhere) and the sums per rack, hall and site;
 * checks each placement against the rack, hall and site limits (the
 * planner's power hook, plan.h); holds the admin limits (colossus power
 * limit, table power_limits); explains waits (colossus job why); renders
 * the power metrics.
 *
 * power_wave.c holds the ramp ledgers and sends the LaunchJob orders of
 * a gang (and the KillJob orders of a planned stop) in waves that keep
 * the change of the cluster's draw within [power] ramp per ramp_window.
 * The ranks are told "go" together once every wave is prepared (gang.c),
 * so the job sees one start.
 */
#ifndef CONTROLLER_POWERCTL_H
#define CONTROLLER_POWERCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "controller/plan.h"
#include "controller/power.h"

struct ctl;
struct alloc;
struct event;
struct evbuffer;
struct hall;
struct job;
struct place_result;
struct pgq_result;
struct rack;
struct smap;

enum power_scope {
	POWER_SITE = 0,
	POWER_HALL,
	POWER_RACK,
};

/* Draw of one node (by node index), as of the last refresh. */
struct powerctl_node {
	double cur_w;	    /* the budget's figure: reading, else model */
	double model_w;	    /* the model alone                          */
	uint16_t seen_used; /* GPUs busy when last looked at        */
	bool measured;	    /* cur_w is a reading                   */
	int64_t changed_ms; /* wall ms its work last changed        */
	int64_t running_ms; /* wall ms every part on it ran; 0: not  */
};

/* Sums over a rack, a hall or the site. */
struct powerctl_sum {
	double cur_w, model_w, meas_w, idle_w;
	int nodes, nmeas;
	uint64_t held_by; /* job holding its headroom this pass (0: none) */
};

/* One gang waiting for its next wave (by job id and epoch). */
struct powerctl_item {
	uint64_t job_id;
	uint32_t epoch;
	int waves;	  /* sent so far                        */
	int parts;	  /* parts sent so far                  */
	double w;	  /* watts moved so far                 */
	int64_t since_ms; /* monotonic, first wave              */
};

struct powerctl_queue {
	struct powerctl_item *v;
	int n, cap;
};

/* A limit set by an admin (table power_limits). */
struct powerctl_limit {
	int scope; /* enum power_scope */
	double w;  /* 0 = unlimited */
	char name[64];
};

struct powerctl {
	struct ctl *ctl;
	struct power_cfg cfg;
	/* Admin limits: owned in limits[], found by name in the maps
	 * (keyed by each entry's name); the site's is site_admin. */
	struct powerctl_limit **limits;
	int nlimits;
	struct smap *hall_limits, *rack_limits;
	bool site_admin;
	double site_admin_w;

	/* Draws, rebuilt by powerctl_refresh. */
	struct powerctl_node *nodes;
	struct powerctl_sum *racks, *halls, site;
	int nnodes, nracks, nhalls;
	uint64_t generation; /* the cluster's, when arrays were sized */
	int64_t refreshed_ms;
	const struct power_model *by_model[64]; /* by cluster model id */

	/* The planner's hook, and what the job being checked needs. */
	struct plan_power_hook hook;
	uint64_t check_job;
	double check_need_w;
	int fail_halls[8], nfail_halls;
	bool fail_site;

	/* Ramp ledgers and wave queues (power_wave.c). */
	struct power_ramp up, down;
	struct powerctl_queue launches, kills;
	struct event *timer;
	bool seeded;

	/* Counters for metrics. */
	uint64_t launch_waves, kill_waves;
	uint64_t staggered_starts, staggered_stops;
	uint64_t drops;
	double drop_w;
	uint64_t blocked; /* placements refused by a budget */
};

/* Create ctl->power from ctl->cfg.  0, or -1 with e. */
int powerctl_create(struct ctl *ctl, struct err *e) MUSTCHECK;
void powerctl_destroy(struct ctl *ctl);
/* The configuration was reloaded: take the new [power] section. */
int powerctl_reload(struct ctl *ctl, struct err *e) MUSTCHECK;

/* ---- limits ---- */
int power_scope_parse(const char *s);
const char *power_scope_name(int scope);
/* Effective limit (0 = unlimited); *admin says whether an admin set it. */
double powerctl_limit(const struct powerctl *p, int scope, const char *name,
		      bool *admin);
/* Set an admin limit (w >= 0, 0 = unlimited) or remove it (w < 0). */
void powerctl_set_limit(struct ctl *ctl, int scope, const char *name, double w);
/* Forget every admin limit, then take the rows of result q (load.c). */
void powerctl_load_limits(struct ctl *ctl, const struct pgq_result *r, int q);

/* ---- draws ---- */
/* Recompute every draw now (cheap enough once a second). */
void powerctl_refresh(struct ctl *ctl);
/* The same, unless it was done less than max_age_ms ago. */
void powerctl_refresh_if_older(struct ctl *ctl, int64_t max_age_ms);
const struct powerctl_sum *powerctl_hall_sum(const struct ctl *ctl,
					     const struct hall *h);
const struct powerctl_sum *powerctl_rack_sum(const struct ctl *ctl,
					     const struct rack *r);
/* Pending jobs whose reason is a power wait. */
int powerctl_jobs_waiting(struct ctl *ctl);

/* ---- the scheduler ---- */
/* Before planning: refresh draws, clear holds (not for a pass over new
 * jobs only), set pcfg->power. */
void powerctl_begin_pass(struct ctl *ctl, struct plan_cfg *pcfg);
/* A placement was made: count its draw at once. */
void powerctl_started(struct ctl *ctl, const struct place_result *res);
/* "power: site 38.8 MW of its 40.0 MW limit; ..." for colossus job why. */
void powerctl_explain(struct ctl *ctl, const struct job *job, char *buf,
		      size_t len);
/* Append the power metrics (metrics.c). */
void powerctl_metrics(struct ctl *ctl, struct evbuffer *out);

/* ---- waves (power_wave.c) ---- */
/*
 * A committed allocation is to be launched: how many of its parts may
 * go now (every part without a ramp).  The rest follow in waves.
 */
int powerctl_launch(struct ctl *ctl, struct alloc *a);
/* Parts of a's gang are launchable again (PART_NEW): send them in waves. */
void powerctl_relaunch(struct ctl *ctl, struct alloc *a);
/*
 * A is being stopped (gang_stop, before any kill): a whole running gang
 * whose drop exceeds the ramp headroom stops in waves (a->kill_held);
 * a broken one is recorded as a power event.
 */
void powerctl_stopping(struct ctl *ctl, struct alloc *a);
/* The model is loaded (load.c): continue waves a restart interrupted. */
void powerctl_loaded(struct ctl *ctl);
/* Watts moved in the current window, each direction. */
double powerctl_ramp_used(struct ctl *ctl, bool up);
/* Gangs waiting for a launch or kill wave. */
int powerctl_queued(const struct ctl *ctl, bool kills);
/* Internal (power_wave.c): run the queues now or soon. */
void powerctl_kick(struct ctl *ctl);
void powerctl_waves_fini(struct ctl *ctl);

#endif
