/*
 * Site commands run by the agent's health layer: the return-to-service
 * validation command and the periodic probe.  A command runs as
 * "/bin/sh -c COMMAND" in its own session with a clean environment, its
 * output (stdout and stderr together) captured up to a limit, and a time
 * limit after which its whole process group is killed.
 *
 * Nothing blocks the loop: the output is read from a non-blocking pipe
 * and the exit status comes from the agent's SIGCHLD handler, which
 * calls health_exec_reap() before launch_reap() reaps the shepherds
 * (and a timer looks again, for a child that launch_reap took first).  The callback runs once, from the loop, when the
 * command has exited and its output was read; then the run is freed.
 */
#ifndef NODEAGENT_HEALTH_EXEC_H
#define NODEAGENT_HEALTH_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

struct agent;
struct health_exec;

struct health_exec_result {
	int status;	 /* wait status; -1 when it could not be known */
	bool timed_out;	 /* killed at the time limit                 */
	bool too_much;	 /* killed: output beyond the limit           */
	const char *out; /* captured output, NUL-terminated (borrowed) */
	size_t len;
};

typedef void (*health_exec_fn)(const struct health_exec_result *r, void *arg);

/*
 * Start cmd.  env: extra "NAME=value" entries (NULL-terminated, may be
 * NULL) added to a minimal PATH.  timeout_ms > 0; max_out bytes of
 * output are kept (more kills the command).  Returns the run, or NULL
 * with e set (fork or pipe failed); cb is then never called.
 */
struct health_exec *health_exec_start(struct agent *ag, const char *cmd,
				      const char *const *env,
				      unsigned timeout_ms, size_t max_out,
				      health_exec_fn cb, void *arg,
				      struct err *e);
/* Kill the command and free the run without calling back.  NULL: no-op. */
void health_exec_cancel(struct health_exec *x);
/*
 * SIGCHLD: reap every run that has exited (waitpid on their pids only);
 * callbacks may run before this returns.
 */
void health_exec_reap(struct agent *ag);
/*
 * SIGCHLD: pid exited with status.  Returns true if it was one of ours
 * (the callback may run before this returns).
 */
bool health_exec_reaped(struct agent *ag, pid_t pid, int status);
/* Kill and free every run (agent shutdown); no callbacks. */
void health_exec_stop_all(struct agent *ag);
/* "exit 3", "signal 9", "timed out after 30 s", ... for messages. */
const char *health_exec_describe(const struct health_exec_result *r,
				 unsigned timeout_ms, char *buf, size_t len);

#endif
