/*
 * Process control without cgroups: find and signal every descendant of a
 * process by walking /proc, and recognise a process across PID reuse by
 * its start time.  Used as the fallback where cgroups are not writable,
 * and by the shepherd (a subreaper, so orphans stay below it).
 */
#ifndef NODEAGENT_PROCTREE_H
#define NODEAGENT_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of pid in clock ticks since boot (field 22); 0 if gone. */
uint64_t proctree_starttime(pid_t pid);
/* Is pid alive and the same process (start time matches; 0 = any)? */
bool proctree_alive(pid_t pid, uint64_t starttime);
/*
 * Send sig to every descendant of root (not root itself).  Returns how
 * many processes were signalled.
 */
int proctree_signal_descendants(pid_t root, int sig);
/*
 * Send sig to every process (but the caller) whose initial environment
 * holds every entry of want ("NAME=value", compared whole).  The last
 * resort without cgroups, when a shepherd died and its ranks' orphans
 * went to init: they still carry COLOSSUS_JOB_ID and friends.  Returns
 * how many processes were signalled.
 */
int proctree_signal_environ(const char *const *want, size_t n, int sig);
/* Does pid's initial environment hold every entry of want (n > 0)? */
bool proctree_environ_matches(pid_t pid, const char *const *want, size_t n);
/* Number of live descendants of root. */
int proctree_count_descendants(pid_t root);
/*
 * Close every descriptor >= from.  Async-signal-safe (no allocation), so
 * it may run between fork() and exec() in a process that has threads:
 * nothing the agent holds open (its controller connection, state files)
 * may reach a shepherd or a rank.
 */
void proctree_close_fds(int from);

#endif
