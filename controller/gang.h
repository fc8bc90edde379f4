/*
 * Gang lifecycle: the two-phase start of every rank of an allocation, its
 * stop (kill and fence), rank exits, node loss, and reconciliation with
 * what agents report.  A gang is all or nothing (DESIGN invariant 4): if
 * any node fails to prepare or start, or any node of a running gang is
 * lost, every rank is stopped and the job requeued.
 */
#ifndef CONTROLLER_GANG_H
#define CONTROLLER_GANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/rpc.h"

struct ctl;
struct alloc;
struct job;
struct node;

/*
 * Send phase 1 (LaunchJob) to every node; the allocation is committed.
 * Under a ramp limit later waves follow from powerctl.c.
 */
void gang_launch(struct ctl *ctl, struct alloc *a);
/*
 * Send LaunchJob to the next max parts not launched yet (one power
 * wave).  Returns how many were sent, or -1 when the gang was requeued
 * or failed instead (a may then be gone).
 */
int gang_launch_parts(struct ctl *ctl, struct alloc *a, int max);
/* Send part i its KillJob now (one part of a power wave of kills). */
void gang_kill_part(struct ctl *ctl, struct alloc *a, int i);
/*
 * The job's incarnation failed for an infrastructure reason: stop it and
 * requeue the job (new epoch at its next placement), avoiding culprit,
 * or fail it when the restart limit is reached.
 */
void gang_requeue(struct ctl *ctl, struct job *job, const char *reason,
		  struct node *culprit);
/*
 * Stop a job to make room for another: requeue it (keeping its place,
 * not counting a restart) or cancel it; its ranks get SIGTERM and
 * grace_sec to checkpoint before SIGKILL.
 */
void gang_preempt(struct ctl *ctl, struct job *job, const char *reason,
		  uint32_t grace_sec, bool cancel);
/* End the job in a final state, stopping whatever still runs. */
void gang_finish(struct ctl *ctl, struct job *job, int state,
		 const char *reason, bool has_exit, int exit_code);
/* Stop every remaining part of an allocation the job no longer owns. */
void gang_stop(struct ctl *ctl, struct alloc *a, const char *reason);
/* An agent reported rank exits. */
void gang_rank_exits(struct ctl *ctl, struct node *n,
		     const Colossus__RankExits *m);
/* The node is down: release its parts and requeue the affected jobs. */
void gang_node_lost(struct ctl *ctl, struct node *n, const char *reason);
/*
 * Compare what an agent holds with what the controller expects.
 * Unknown or stale workloads are fenced: listed in fence (when
 * registering; the agent kills them) or sent a KillJob.  Expected ranks
 * that vanished fail their gang.  Returns the number of fenced workloads.
 */
size_t gang_reconcile(struct ctl *ctl, struct node *n,
		      Colossus__Workload *const *w, size_t nw, bool registering,
		      Colossus__WorkloadRef ***fence);
/* Periodic checks: controller-side time limits (backstop for agents). */
void gang_sweep(struct ctl *ctl);

#endif
