/*
 * The files of a workload directory (state_dir/w-<job>-<epoch>/), shared
 * by the agent and the shepherd.  Each file is written once, atomically
 * (write to a temporary name, then rename), by the side named:
 *
 *   launch.pb     agent     the LaunchJob order (packed protobuf)
 *   cgroup        agent     cgroup path of the job, or empty
 *   port          agent     MASTER_PORT picked at prepare (node-rank 0)
 *   start         agent     MASTER_PORT chosen for the rendezvous
 *   shepherd      agent     "<pid> <starttime>" of the shepherd
 *   kill          agent     why the job is being stopped (1 killed, 2 timeout)
 *   pid.<rank>    shepherd  the rank's process id
 *   exit.<rank>   shepherd  the rank's exit (packed RankExit)
 *   acked.<rank>  agent     the controller has that exit
 *   done          shepherd  every rank exited and leftovers were killed
 */
#ifndef NODEAGENT_WLFILES_H
#define NODEAGENT_WLFILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WLF_LAUNCH "launch.pb"
#define WLF_CGROUP "cgroup"
#define WLF_PORT "port"
#define WLF_START "start"
#define WLF_SHEPHERD "shepherd"
#define WLF_KILL "kill"
#define WLF_DONE "done"
#define WLF_PID_PREFIX "pid."
#define WLF_EXIT_PREFIX "exit."
#define WLF_ACKED_PREFIX "acked."

/* Write data to dir/name atomically.  Returns 0 or -1 with errno. */
int wlfile_write(const char *dir, const char *name, const void *data,
		 size_t len);
/*
 * Read dir/name into a new buffer (NUL-terminated; *len excludes the
 * NUL).  Returns NULL with errno (ENOENT when absent).  max bounds the size.
 */
char *wlfile_read(const char *dir, const char *name, size_t max, size_t *len);
int wlfile_exists(const char *dir, const char *name);
/* Remove the directory and everything in it (one level deep). */
int wlfile_remove_dir(const char *dir);

#endif
