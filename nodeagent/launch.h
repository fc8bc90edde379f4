/*
 * Launching and stopping job ranks on this node: the agent's side of the
 * two-phase gang start (prepare, then start), kills with a grace period,
 * time limits, and fence confirmation ("nothing is left").
 */
#ifndef NODEAGENT_LAUNCH_H
#define NODEAGENT_LAUNCH_H

#include <stdint.h>

#include "common/rpcconn.h"
#include "nodeagent/agent.h"

/* Request handlers (the reply may come later, for kills). */
void launch_prepare(struct agent *ag, struct rpcconn *c,
		    const Colossus__Request *req);
void launch_start(struct agent *ag, struct rpcconn *c,
		  const Colossus__Request *req);
void launch_kill_request(struct agent *ag, struct rpcconn *c,
			 const Colossus__Request *req);
/* Kill a workload the controller does not recognise (no reply). */
void launch_fence(struct agent *ag, uint64_t job_id, uint32_t epoch);
/* Stop: first signal now, SIGKILL after grace seconds. */
void launch_stop(struct workload *w, enum wl_cause cause, int sig,
		 unsigned grace);
/* SIGKILL every process of the workload (shepherd lost, cleanup). */
void launch_kill_leftovers(struct workload *w);
/* Called after a scan found progress: completes pending kills. */
void launch_workload_progress(struct workload *w);
/* The workload is being destroyed: answer pending kills. */
void launch_workload_gone(struct workload *w);
/* Expire prepared workloads that were never started. */
void launch_check_prepared(struct workload *w);
/* After re-adoption: re-arm time limits and unfinished kills. */
void launch_rearm(struct workload *w);
/* SIGCHLD: reap shepherds. */
void launch_reap(struct agent *ag);

#endif
