/*
 * Hang detection.  A training loop that stops making progress (a hung
 * collective, a deadlocked data loader) holds every GPU of its gang and
 * wastes all of them, so a job may ask for a progress limit
 * (`colossus submit --progress-timeout 10m`, LaunchJob's
 * progress_timeout_sec) and touch a file each step:
 *
 *   COLOSSUS_PROGRESS_FILE  state_dir/progress/job-<job>-<epoch>
 *
 * set in every rank's environment (by the agent, on every job: touching
 * it is harmless without a limit).  The file is created at prepare,
 * before any rank runs, owned by the job's user (mode 0600) in a
 * directory only root can write (0711), so no other user can create,
 * replace or hold it.  Its modification time is the job's last
 * progress; the ranks' start counts as progress too.  When a running
 * workload with a limit has made none for longer than the limit, the
 * agent reports a "hang" event (job, epoch) once per incarnation; the
 * controller's policy (hang -> requeue) kills and requeues the whole
 * gang like a failed one.  Every node of a gang judges its own file: a
 * job touches it from at least one rank per node.
 *
 * Loop thread only.  The real agent only (not the simulator).
 */
#ifndef NODEAGENT_PROGRESS_H
#define NODEAGENT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/rpcconn.h"

struct agent;

#define PROGRESS_ENV "COLOSSUS_PROGRESS_FILE"
#define PROGRESS_DIR "progress"

/*
 * Create state_dir/progress (0711), start the checks, and route
 * LaunchJob through progress_launch_prepare.  Returns 0 or -1 with e.
 */
int progress_start(struct agent *ag, struct err *e) MUSTCHECK;
void progress_stop(struct agent *ag);
/*
 * LaunchJob: launch_prepare with COLOSSUS_PROGRESS_FILE added to the
 * order's environment (after the job's own variables, so it wins), then
 * the file created for the job's user.
 */
void progress_launch_prepare(struct agent *ag, struct rpcconn *c,
			     const Colossus__Request *req);
/* The progress file of an incarnation, in buf.  Returns buf. */
const char *progress_path(const struct agent *ag, uint64_t job_id,
			  uint32_t epoch, char *buf, size_t len);

#endif
