/*
 * The scheduling pass: order pending jobs, place those that fit, commit
 * every placement of the pass in one transaction, and only then send the
 * launch orders (DESIGN invariants 1 and 4).
 */
#ifndef CONTROLLER_SCHED_H
#define CONTROLLER_SCHED_H

struct ctl;

/* A full pass over every pending job. */
void sched_pass(struct ctl *ctl);
/* A pass over the jobs committed since the last full pass
 * (ctl->sched_fresh), around the last full pass's reservations. */
void sched_pass_new(struct ctl *ctl);

#endif
