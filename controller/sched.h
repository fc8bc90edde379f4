/*
 * The scheduling pass: order pending jobs, place those that fit, commit
 * every placement of the pass in one transaction, and only then send the
 * launch orders (DESIGN invariants 1 and 4).
 */
#ifndef CONTROLLER_SCHED_H
#define CONTROLLER_SCHED_H

struct ctl;

void sched_pass(struct ctl *ctl);

#endif
