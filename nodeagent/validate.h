/*
 * The return-to-service check (RunValidation, controller -> agent).
 *
 * A node drained by automation that comes back (a new boot id) or that
 * an admin resumes as repaired is returned to service only if this
 * passes.  It runs [health] validation_command when one is configured
 * (exit 0 = pass; its last output line is the detail), bounded by the
 * request's timeout_sec; otherwise the agent's own GPU self-check: the
 * backend works, every GPU answers (and at least [health] expected_gpus
 * and the topology's count from the registration reply are visible), no
 * GPU is lost, has a row remap pending or failed,
 * volatile double-bit ECC errors, an NVLink down, a PCIe link trained
 * down, a recovery action pending or a temperature at its slowdown
 * threshold.
 *
 * The loop never waits: the command runs through health_exec, and the
 * self-check, when the backend has no readings yet, looks again every
 * half second until they come (or the time is up).  Requests that
 * arrive while a check runs get its result.
 */
#ifndef NODEAGENT_VALIDATE_H
#define NODEAGENT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/rpcconn.h"

struct agent;

/* Handle a RunValidation request; the reply comes when the check ends. */
void validate_request(struct agent *ag, struct rpcconn *c,
		      const Colossus__Request *req);
/*
 * The built-in GPU self-check on the current readings: 1 pass, 0 fail
 * (detail says why), -1 no readings yet.  Also used by tests.
 */
int validate_selfcheck(struct agent *ag, char *detail, size_t len);
/* Cancel a running check (agent shutdown); waiters get no reply. */
void validate_stop(struct agent *ag);

#endif
