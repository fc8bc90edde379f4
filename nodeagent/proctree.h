/*
 * Process control without cgroups: find and signal every descendant of a
 * process by walking /proc, and recognise a process across PID reuse by
 * its start time.  Used as the fallback where cgroups are not writable,
 * and by the shepherd (a subreaper, so orphans stay below it).
 */
#ifndef NODEAGENT_PROCTREE_H
#define NODEAGENT_PROCTREE_H

#include <stdbool.h>
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
/* Number of live descendants of root. */
int proctree_count_descendants(pid_t root);

#endif
