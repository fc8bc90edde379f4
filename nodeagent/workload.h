/*
 * Workloads: the job incarnations this node holds, their directories
 * under state_dir, exits read from the shepherd's files (inotify), and
 * re-adoption of everything still there when the agent starts.
 */
#ifndef NODEAGENT_WORKLOAD_H
#define NODEAGENT_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodeagent/agent.h"

int workload_table_init(struct agent *ag, struct err *e) MUSTCHECK;
void workload_table_fini(struct agent *ag);
struct workload *workload_find(struct agent *ag, uint64_t job_id,
			       uint32_t epoch);
/*
 * Create a workload for a launch order and write its directory.  ranks
 * and GPUs come from m; the caller fills cgroup and uid.  Returns NULL
 * with e set.
 */
struct workload *workload_create(struct agent *ag, const Colossus__LaunchJob *m,
				 struct err *e);
/* Re-adopt every workload directory found under state_dir. */
void workload_readopt(struct agent *ag);
/* Read new exits, the done marker and shepherd liveness; report. */
void workload_scan(struct workload *w);
/* Scan every workload (periodic safety net and after SIGCHLD). */
void workload_scan_all(struct agent *ag);
/*
 * Describe every workload for a heartbeat (for_register false: finished
 * ones whose exits are in flight are left out) or a registration (with
 * unacknowledged exits).  Free with workload_list_free.
 */
size_t workload_list(struct agent *ag, bool for_register,
		     Colossus__Workload ***out);
void workload_list_free(Colossus__Workload **list, size_t n);
/* Exits of these ranks reached the controller. */
void workload_exits_acked(struct workload *w, const uint32_t *ranks, size_t n);
/* Forget the workload: free memory; remove_files also deletes its dir. */
void workload_destroy(struct workload *w, bool remove_files);
/* Every rank exited and the shepherd cleaned up (or never started). */
bool workload_finished(const struct workload *w);
/*
 * May exits be reported now?  Not while every rank has exited but the
 * shepherd has not finished cleaning up: the last exit frees the GPUs.
 */
bool workload_exits_reportable(const struct workload *w);
/* Number of ranks still alive on this node. */
uint32_t workload_running_ranks(const struct agent *ag);
/* Record why the job is being stopped (persisted for restarts). */
void workload_set_cause(struct workload *w, enum wl_cause cause);

#endif
