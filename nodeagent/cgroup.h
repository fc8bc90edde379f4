/*
 * cgroup v2: one cgroup per job incarnation, so that every process of a
 * job, however it forks, is found and killed (cgroup.kill), and CPU and
 * memory limits apply where the controllers are delegated to us.
 */
#ifndef NODEAGENT_CGROUP_H
#define NODEAGENT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct cgroup_env {
	bool usable;
	char base[512]; /* <mount>/<parent>, where job cgroups go   */
	bool has_memory;
	bool has_cpu;
	char why[256]; /* why not usable, or which limits are off  */
};

/*
 * Find the cgroup2 mount ("auto" reads /proc/self/mountinfo), create the
 * parent and enable memory/cpu controllers for it where available.  Never
 * fails: env->usable says whether job cgroups can be used, env->why says
 * why not (the agent then falls back to process trees).
 */
void cgroup_env_init(struct cgroup_env *env, const char *root_setting,
		     const char *parent);
/* mkdir base/name; path receives the full path.  Returns 0 or -1 + e. */
int cgroup_create(const struct cgroup_env *env, const char *name, char *path,
		  size_t len, struct err *e) MUSTCHECK;
/* Set memory.max / cpu.max where available (0 = leave unlimited). */
void cgroup_set_limits(const struct cgroup_env *env, const char *path,
		       uint64_t memory_mib, unsigned cpus);
/* Move pid into the cgroup.  Returns 0 or -1 with errno. */
int cgroup_add_pid(const char *path, pid_t pid);
/* Signal every process in the cgroup; returns how many. */
int cgroup_signal(const char *path, int sig);
/* SIGKILL everything (cgroup.kill, or a loop where that is missing). */
void cgroup_kill(const char *path);
/* 1 if processes remain, 0 if empty, -1 if the cgroup is gone. */
int cgroup_populated(const char *path);
/* Remove an empty cgroup; 0, or -1 with errno (EBUSY while populated). */
int cgroup_remove(const char *path);

#endif
