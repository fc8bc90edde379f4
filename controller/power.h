/*
 * The power model, pure: what a node draws by GPU model (idle, busy, and
 * from its GPUs' own readings), the [power] configuration, watt
 * quantities ("40MW"), the ramp ledger (how much the cluster's draw moved
 * in the last window) and the wave plan of a staggered start or stop.
 * No I/O and no controller state, so every rule is unit tested
 * (tests/unit/test_power.c); powerctl.c applies it to the cluster.
 *
 * Node figures are given for a reference board of ref_gpus GPUs (an HGX
 * board: 8).  A node is split into a fixed part (CPUs, NICs, NVSwitch,
 * fans, power-supply losses) and its GPUs, so nodes with another GPU
 * count and GPU power readings both fit the same model:
 *
 *   fixed_idle = idle - ref_gpus * gpu_idle
 *   fixed_busy = busy - ref_gpus * gpu_max
 *   node(g GPUs, u of them busy) = idle(g) + (busy(g) - idle(g)) * u / g
 *   measured = sum of GPU readings + fixed part interpolated by GPU load
 */
#ifndef CONTROLLER_POWER_H
#define CONTROLLER_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct ctl_config;

#define POWER_MODEL_NAME 32
#define POWER_MAX_MODELS 32

/* One GPU model's node figures, in watts. */
struct power_model {
	char name[POWER_MODEL_NAME]; /* "H100"; "default": any other model */
	double idle_w;		     /* whole node, GPUs idle             */
	double busy_w;		     /* whole node, every GPU at full load */
	unsigned ref_gpus;	     /* GPUs of the board idle/busy describe */
	double gpu_idle_w;	     /* one GPU idle, as its reading shows */
	double gpu_max_w;	     /* one GPU at full load (its TDP)     */
};

/* The [power] section, parsed and validated. */
struct power_cfg {
	struct power_model models[POWER_MAX_MODELS];
	int nmodels;	     /* models[0] is "default"            */
	double site_limit_w; /* 0 = unlimited                     */
	double hall_limit_w; /* default of every hall; 0 = none   */
	double rack_limit_w; /* default of every rack; 0 = none   */
	double ramp_w;	     /* most change per window; 0 = none */
	int64_t ramp_window_ms;
	int64_t stale_ms;    /* readings older than this are unused */
	int64_t settle_ms;   /* ... or taken this soon after a change */
	double drop_event_w; /* unplanned drops recorded from here */
	bool reserve;	     /* a job waiting for power holds its scope */
};

/*
 * "40MW", "2.5 kW", "700W", "0": a power in watts.  A unit is required
 * except for 0.  Returns 0, or -1 with e set.
 */
int power_parse_watts(const char *s, double *w, struct err *e) MUSTCHECK;
/* "41.2 MW", "7.7 kW", "950 W" into buf; returns buf. */
const char *power_format(double w, char *buf, size_t len);

/* The built-in figures (docs/power.md says where they come from). */
void power_cfg_defaults(struct power_cfg *pc);
/*
 * Apply one [power] node_power item: "H100 idle=2.5kW busy=10.2kW
 * gpus=8 gpu_idle=75W gpu_max=700W"; keys not given keep the model's
 * current (or the default model's) figures.  Returns 0 or -1 with e.
 */
int power_cfg_model(struct power_cfg *pc, const char *item,
		    struct err *e) MUSTCHECK;
/* The whole [power] section of cfg.  Returns 0 or -1 with e. */
int power_cfg_from(struct power_cfg *pc, const struct ctl_config *cfg,
		   struct err *e) MUSTCHECK;
/* The model for a GPU model name (case-insensitive), else "default". */
const struct power_model *power_model_find(const struct power_cfg *pc,
					   const char *gpu_model);

/* A node of gpus GPUs: idle, busy, and with used of them busy. */
double power_node_idle(const struct power_model *m, unsigned gpus);
double power_node_busy(const struct power_model *m, unsigned gpus);
double power_node_model(const struct power_model *m, unsigned gpus,
			unsigned used);
/* What busying ngpus of a node of gpus GPUs adds to its draw. */
double power_node_step(const struct power_model *m, unsigned gpus,
		       unsigned ngpus);
/* A node's draw from the sum of its GPUs' readings (all gpus of them). */
double power_node_measured(const struct power_model *m, unsigned gpus,
			   double gpu_sum_w);

/*
 * The ramp ledger: changes of draw in one direction with their times
 * (monotonic ms), to know how much more may change in the current
 * window.  Zero-initialised is empty.
 */
struct power_ramp_ev {
	int64_t t_ms;
	double w;
};

struct power_ramp {
	struct power_ramp_ev *ev;
	int n, cap;
};

void power_ramp_fini(struct power_ramp *r);
/* Record a change of w watts (w > 0) at now. */
void power_ramp_add(struct power_ramp *r, int64_t now, double w);
/* Watts moved in (now - window, now]; drops older entries. */
double power_ramp_used(struct power_ramp *r, int64_t now, int64_t window);
/* When the oldest entry in the window leaves it (INT64_MAX: empty). */
int64_t power_ramp_next_ms(const struct power_ramp *r, int64_t window);

/*
 * How many of the next parts of a gang (steps[i] watts each, in order)
 * may go in this wave: as many as fit in headroom watts, and at least
 * one when nothing moved in the window (idle), so a part larger than the
 * whole ramp still goes, alone.  headroom < 0 means no limit.
 */
int power_wave_admit(const double *steps, int n, double headroom, bool idle);

/* One wave of a plan: when (ms after the first) and how many parts. */
struct power_wave {
	int64_t at_ms;
	int parts;
	double w;
};

/*
 * The waves of n parts of step_w watts each under a ramp of ramp_w per
 * window_ms (ramp_w <= 0: one wave), starting from an empty ledger.
 * Writes at most max waves; returns how many the plan has.
 */
int power_wave_plan(int n, double step_w, double ramp_w, int64_t window_ms,
		    struct power_wave *waves, int max);

#endif
