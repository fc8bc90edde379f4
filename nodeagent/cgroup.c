/*
 * cgroup v2 helpers.  Small synchronous reads and writes of cgroupfs
 * files; they do not block on anything but the kernel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "nodeagent/cgroup.h"

static int cgroup_write(const char *dir, const char *file, const char *val)
{
	char path[700];
	int fd, rc = 0;
	size_t len = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, val, len) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

static int cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[700];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* The cgroup2 mount point from mountinfo, or "" if none. */
static void cgroup_find_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* ... mountpoint ... - fstype source opts */
		char *dash = strstr(line, " - cgroup2 ");
		char *p = line;
		int field;

		if (!dash)
			continue;
		for (field = 0; field < 4 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		*strchrnul(p, ' ') = '\0';
		if (util_strlcpy(out, p, len) < 0)
			out[0] = '\0';
		break;
	}
	fclose(f);
}

void cgroup_env_init(struct cgroup_env *env, const char *root_setting,
		     const char *parent)
{
	char mount[400], ctrls[256];

	memset(env, 0, sizeof(*env));
	if (!strcmp(root_setting, "none")) {
		snprintf(env->why, sizeof(env->why),
			 "cgroups disabled by configuration");
		return;
	}
	if (!strcmp(root_setting, "auto"))
		cgroup_find_mount(mount, sizeof(mount));
	else if (util_strlcpy(mount, root_setting, sizeof(mount)) < 0)
		mount[0] = '\0';
	if (!mount[0]) {
		snprintf(env->why, sizeof(env->why), "no cgroup2 mount found");
		return;
	}
	snprintf(env->base, sizeof(env->base), "%s/%s", mount, parent);
	if (mkdir(env->base, 0755) < 0 && errno != EEXIST) {
		snprintf(env->why, sizeof(env->why), "cannot create %s: %s",
			 env->base, strerror(errno));
		return;
	}
	env->usable = true;
	/* Limits need the controllers delegated down to our parent. */
	if (cgroup_read(mount, "cgroup.controllers", ctrls, sizeof(ctrls)) >=
	    0) {
		if (strstr(ctrls, "memory") &&
		    cgroup_write(mount, "cgroup.subtree_control", "+memory") ==
			    0 &&
		    cgroup_write(env->base, "cgroup.subtree_control",
				 "+memory") == 0)
			env->has_memory = true;
		if (strstr(ctrls, "cpu") &&
		    cgroup_write(mount, "cgroup.subtree_control", "+cpu") ==
			    0 &&
		    cgroup_write(env->base, "cgroup.subtree_control", "+cpu") ==
			    0)
			env->has_cpu = true;
	}
	if (!env->has_memory || !env->has_cpu)
		snprintf(env->why, sizeof(env->why),
			 "cgroup %s: %s limits not available", env->base,
			 !env->has_memory && !env->has_cpu ? "memory and cpu"
			 : env->has_memory		   ? "cpu"
							   : "memory");
}

int cgroup_create(const struct cgroup_env *env, const char *name, char *path,
		  size_t len, struct err *e)
{
	if (!env->usable)
		return err_set(e, "cgroups not usable: %s", env->why);
	if ((size_t)snprintf(path, len, "%s/%s", env->base, name) >= len)
		return err_set(e, "cgroup path too long");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(e, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

void cgroup_set_limits(const struct cgroup_env *env, const char *path,
		       uint64_t memory_mib, unsigned cpus)
{
	char val[64];

	if (memory_mib && env->has_memory) {
		snprintf(val, sizeof(val), "%llu",
			 (unsigned long long)memory_mib * 1024 * 1024);
		(void)cgroup_write(path, "memory.max", val);
	}
	if (cpus && env->has_cpu) {
		snprintf(val, sizeof(val), "%u 100000", cpus * 100000);
		(void)cgroup_write(path, "cpu.max", val);
	}
}

int cgroup_add_pid(const char *path, pid_t pid)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	return cgroup_write(path, "cgroup.procs", val);
}

int cgroup_signal(const char *path, int sig)
{
	char procs[700];
	FILE *f;
	int pid, sent = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	f = fopen(procs, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && kill(pid, sig) == 0)
			sent++;
	fclose(f);
	return sent;
}

void cgroup_kill(const char *path)
{
	/* cgroup.kill (Linux 5.14+) kills atomically, forks included. */
	if (cgroup_write(path, "cgroup.kill", "1") == 0)
		return;
	for (int i = 0; i < 10 && cgroup_signal(path, SIGKILL) > 0; i++) {
	}
}

int cgroup_populated(const char *path)
{
	char buf[256];
	char *p;

	if (cgroup_read(path, "cgroup.events", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "populated ");
	if (!p)
		return -1;
	return p[10] == '1';
}

int cgroup_remove(const char *path)
{
	return rmdir(path);
}
