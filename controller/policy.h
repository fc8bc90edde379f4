/*
 * The health policy: rules that map signals (XIDs, readings, link state,
 * rack cooling) to actions (record, degrade, drain, requeue the affected
 * jobs, drain the rack, ask for a reboot or an RMA).
 *
 * File format (docs/health.md), one rule per line, '#' comments:
 *
 *   <signal> [<op> <value>] [for <duration>] -> <action>... [: <reason>]
 *
 *   xid 48,95,140                 -> requeue drain reset : uncorrectable ECC
 *   temp >= shutdown-2            -> requeue drain
 *   temp >= slowdown-5 for 10m    -> drain
 *   nic_down for 30s              -> requeue drain
 *   rack_leak critical            -> requeue rack_drain alert
 *
 * Pure: parsing and matching only; health.c applies the actions.
 */
#ifndef CONTROLLER_POLICY_H
#define CONTROLLER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum policy_signal {
	SIG_XID = 1,	     /* event: XID codes in the list */
	SIG_GPU_LOST,	     /* event: fallen off the bus / GPU_IS_LOST */
	SIG_DBE,	     /* event or reading: uncorrectable ECC */
	SIG_RECOVERY,	     /* reading: NVML recovery action in the list */
	SIG_TEMP,	     /* reading: GPU temperature (C), relative or absolute */
	SIG_ECC_DBE,	     /* reading: volatile DBE count */
	SIG_ECC_SBE_RATE,    /* reading: SBEs per hour */
	SIG_REMAP_PENDING,   /* reading */
	SIG_REMAP_FAILURE,   /* reading */
	SIG_NVLINK_DOWN,     /* reading: links inactive */
	SIG_NVLINK_ERRORS,   /* reading: replay+recovery per minute */
	SIG_NVLINK_CRC,	     /* reading: CRC errors per second */
	SIG_PCIE_DEGRADED,   /* reading: width or generation below max */
	SIG_THROTTLE,	     /* reading: throttle reason in the list */
	SIG_SM_CLOCK,	     /* reading: % of max SM clock */
	SIG_NIC_DOWN,	     /* reading: a watched NIC is down */
	SIG_NIC_FLAPS,	     /* reading: transitions within the window */
	SIG_HANG,	     /* event: a job stopped making progress */
	SIG_RACK_LEAK,	     /* rack: leak level (1 warning, 2 critical) */
	SIG_RACK_FLOW,	     /* rack: coolant flow l/min */
	SIG_RACK_SUPPLY_TEMP, /* rack: supply temperature C */
	SIG_RACK_PUMPS_FAILED, /* rack: pumps not ok */
	SIG_RACK_FANS_FAILED,  /* rack: fans not ok */
	SIG_RACK_POWER_LOST,   /* rack: power lost */
	SIG_COUNT
};

enum policy_action {
	ACT_NONE = 1 << 0,	   /* record only */
	ACT_DEGRADE = 1 << 1,	   /* avoid for large gangs */
	ACT_DRAIN = 1 << 2,	   /* no new work; running jobs finish */
	ACT_REQUEUE = 1 << 3,	   /* fence and requeue the affected jobs */
	ACT_RACK_DRAIN = 1 << 4,   /* drain the whole rack */
	ACT_RACK_DEGRADE = 1 << 5, /* degrade the whole rack */
	ACT_RESET = 1 << 6,	   /* remediation: reset the GPU */
	ACT_REBOOT = 1 << 7,	   /* remediation: reboot the node */
	ACT_RMA = 1 << 8,	   /* flag for hardware replacement */
	ACT_ALERT = 1 << 9,	   /* page a human (an alarm event) */
	ACT_RACK_REQUEUE = 1 << 10, /* requeue every job on the rack */
};

enum policy_op {
	OP_ANY = 0, /* presence (events, flags) */
	OP_GE,
	OP_GT,
	OP_LE,
	OP_LT,
	OP_EQ,
};

/* Temperature thresholds may be relative to the GPU's own limits. */
enum policy_base {
	BASE_ABS = 0,
	BASE_SLOWDOWN,
	BASE_SHUTDOWN,
};

#define POLICY_MAX_CODES 32

struct policy_rule {
	enum policy_signal signal;
	unsigned codes[POLICY_MAX_CODES]; /* XIDs, recovery actions, throttle bits */
	int ncodes;
	enum policy_op op;
	double value;
	enum policy_base base;
	uint64_t for_sec;    /* condition must hold this long */
	uint64_t within_sec; /* window for rates (nic_flaps) */
	unsigned actions;    /* enum policy_action bits */
	char reason[128];
	unsigned line;
};

struct policy {
	struct policy_rule *rules;
	int nrules;
	char source[256];
};

/* Parse policy text; errors name the file and line.  0 or -1 + e. */
int policy_parse(const char *text, const char *name, struct policy *out,
		 struct err *e) MUSTCHECK;
int policy_load(const char *path, struct policy *out, struct err *e)
	MUSTCHECK;
void policy_free(struct policy *p);
/* The built-in default policy (NVIDIA's XID guidance, HEALTH.md 3.1). */
const char *policy_default_text(void);

/* Severity order used to pick the worst of several matches. */
int policy_severity(unsigned actions);
const char *policy_signal_name(enum policy_signal s);
/* "requeue drain reset" for logs and events. */
const char *policy_actions_str(unsigned actions, char *buf, size_t len);

/* Does a reading value satisfy the rule's comparison? */
bool policy_compare(const struct policy_rule *r, double value,
		    double slowdown, double shutdown);
/* Does an event code (XID, recovery action, throttle bit) match? */
bool policy_code_match(const struct policy_rule *r, unsigned code);

#endif
