/*
 * A simulated workload: the real struct workload (which link.c reads)
 * plus what the simulated ranks need to "run": how long, with what exit
 * code, on which GPUs.  Shared by simwl.c (the workload.h functions) and
 * simlaunch.c (the launch.h functions).
 */
#ifndef BENCH_SIM_SIMWL_H
#define BENCH_SIM_SIMWL_H

#include <stdint.h>

#include "nodeagent/agent.h"

struct sim_wl {
	struct workload w; /* first: see sim_wl_of() */
	int64_t run_ms;	   /* 0 = until killed */
	int64_t limit_ms;  /* 0 = no time limit */
	int64_t started_mono_ms;
	int exit_code;	     /* at the end of run_ms */
	int stop_sig;	     /* what the ranks die of once stopped */
	uint16_t *rank_gpus; /* per rank: GPUs it uses */
};

static inline struct sim_wl *sim_wl_of(struct workload *w)
{
	return (struct sim_wl *)(void *)w;
}

/*
 * Every rank still alive exits now (code or signal, with cause); the
 * workload is finished and its exits are reported.  May destroy w (when
 * the controller acknowledged everything already): do not touch it after.
 */
void simwl_ranks_exit(struct workload *w, int code, int sig, int cause,
		      const char *detail);
/* The same for the ranks using GPU gpu only. */
void simwl_gpu_ranks_exit(struct workload *w, unsigned gpu, int code,
			  const char *detail);

#endif
