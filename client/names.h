/*
 * Names the CLI shows and accepts for the protocol's enums (job, node,
 * admin and health states, placement levels, statuses) and for signals.
 *
 * The lower-case names are part of the CLI's stable interface: --json
 * output and --state filters use exactly these (docs/cli.md).  Pure.
 */
#ifndef CLIENT_NAMES_H
#define CLIENT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/util.h"
#include "proto/rpc.h"

/* "pending", "running", ...; "unknown" for values this CLI does not know. */
const char *names_job_state(int state);
/*
 * Parse one job state: the lower-case name in any case, or a Slurm
 * abbreviation (PD, R, CG, CD, F, CA, TO).  Returns the state or -1.
 */
int names_job_state_parse(const char *s);
/*
 * Parse a comma-separated list of states into a new array (*out, *n; the
 * caller frees *out).  Returns 0, or -1 with e set naming the bad item
 * and the valid names.
 */
int names_job_states_parse(const char *list, Colossus__JobState **out,
			   size_t *n, struct err *e) MUSTCHECK;
/* True for completed, failed, cancelled and timeout. */
bool names_job_state_final(int state);

const char *names_node_state(int state);  /* up, down, unknown */
const char *names_admin_state(int state); /* none, draining, drained */
const char *names_health(int health);	  /* ok, degraded, failed */
const char *names_level(int level);	  /* any, rack, pod, hall */
/* Parse a level name (any case).  Returns the level or -1. */
int names_level_parse(const char *s);
/* "invalid", "not_found", ... for a Colossus__Status. */
const char *names_status(int status);

/*
 * Parse a signal: a name with or without "SIG" in any case ("TERM",
 * "sigusr1") or a number 1..64.  Returns 0 with *sig set, or -1 with e
 * set.
 */
int names_signal_parse(const char *s, int *sig, struct err *e) MUSTCHECK;
/* "SIGTERM" for a known signal number, NULL otherwise. */
const char *names_signal(int sig);

#endif
