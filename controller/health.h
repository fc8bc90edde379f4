/*
 * Health: what agents and rack monitors report, judged by the policy
 * (policy.c) into actions on nodes, racks and jobs (drain.c, gang.c).
 * Finds the smallest broken unit: a GPU's job, a node, a rack, a switch
 * (correlated link failures), and keeps automation from running away
 * (the circuit breaker in drain.c).
 */
#ifndef CONTROLLER_HEALTH_H
#define CONTROLLER_HEALTH_H

#include "common/err.h"
#include "proto/rpc.h"

struct ctl;
struct node;
struct rack;

/* Load the policy ([health] policy_file or the default).  0 or -1 + e. */
int health_init(struct ctl *ctl, struct err *e) MUSTCHECK;
/* Reload the policy (SIGHUP); keeps the old one on error. */
int health_reload(struct ctl *ctl, struct err *e) MUSTCHECK;
void health_fini(struct ctl *ctl);
/* An agent's report: events at once, samples periodically. */
void health_node_report(struct ctl *ctl, struct node *n,
			const Colossus__HealthReport *m);
/* A rack monitor's readings. */
void health_rack_readings(struct ctl *ctl, struct rack *r,
			  const Colossus__RackReadings *m);
/* A node went down: is it the whole rack? */
void health_node_down(struct ctl *ctl, struct node *n);
/* Periodic: flush samples, manage partitions, rack timers. */
void health_sweep(struct ctl *ctl);
/*
 * Fill the latest readings of a node (GetHealth); strings borrowed; the
 * caller gives storage for HEALTH_MAX_GPUS / HEALTH_MAX_NICS entries.
 */
#define HEALTH_MAX_GPUS 16
#define HEALTH_MAX_NICS 16
void health_node_readings(const struct node *n, Colossus__NodeHealthInfo *info,
			  Colossus__GpuHealth **gptrs, Colossus__NicHealth *nics,
			  Colossus__NicHealth **nptrs);
const Colossus__RackReadings *health_rack_latest(const struct rack *r);
/* Number of policy rules (for status). */
int health_rule_count(const struct ctl *ctl);

#endif
