/*
 * Node and rack service state: drains (graceful, or --now with a
 * requeue of what runs there), degrade, resume, the circuit breaker that
 * stops automated drains when too many happen at once, and return to
 * service after a repair (validate first, flag for replacement if it
 * fails again soon).  Every change is persisted and recorded as an event
 * with who and why.
 */
#ifndef CONTROLLER_DRAIN_H
#define CONTROLLER_DRAIN_H

#include <stdbool.h>

struct ctl;
struct node;
struct rack;

#define DRAIN_ACTOR_HEALTH "health"

/*
 * Drain a node.  automated: by the health policy (counted by the circuit
 * breaker, refused while it is open; returns -1 then).  now: requeue its
 * jobs at once.  Returns the number of jobs requeued.
 */
int drain_node(struct ctl *ctl, struct node *n, const char *actor,
	       const char *reason, bool now, bool automated);
int drain_rack(struct ctl *ctl, struct rack *r, const char *actor,
	       const char *reason, bool now, bool automated);
/* Mark degraded (automation); false if the breaker stopped it. */
bool drain_degrade_node(struct ctl *ctl, struct node *n, const char *reason);
bool drain_degrade_rack(struct ctl *ctl, struct rack *r, const char *reason);
/* Back to service (admin). repaired: validate before returning. */
void drain_resume_node(struct ctl *ctl, struct node *n, const char *actor,
		       bool repaired);
void drain_resume_rack(struct ctl *ctl, struct rack *r, const char *actor);
/* Requeue every job with a rank on the node / the rack. */
int drain_requeue_node(struct ctl *ctl, struct node *n, const char *reason);
/* DRAINING -> DRAINED once idle; breaker window housekeeping. */
void drain_sweep(struct ctl *ctl);
/* A node drained by automation re-registered: validate it if rebooted. */
void drain_node_registered(struct ctl *ctl, struct node *n,
			   const char *old_boot_id);
bool drain_breaker_open(const struct ctl *ctl);
void drain_breaker_reset(struct ctl *ctl, const char *actor);
/* Persist a rack's state row. */
void drain_persist_rack(struct ctl *ctl, struct rack *r);
/* "rma,lemon" for the flags column / display. */
const char *drain_flags_str(unsigned flags, char *buf, size_t len);
unsigned drain_flags_parse(const char *s);

#endif
