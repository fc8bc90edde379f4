/*
 * /proc walking.  Reads are small and bounded by the process count; they
 * run only when a job is being killed, never per heartbeat.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "nodeagent/proctree.h"

struct proc_entry {
	pid_t pid;
	pid_t ppid;
};

/* Parse /proc/PID/stat: ppid is field 4, starttime field 22. */
static int proctree_stat(pid_t pid, pid_t *ppid, uint64_t *start)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the
	 * last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2; /* now at field 3 (state) */
	for (field = 3; field < 22 && *p; field++) {
		if (field == 4 && ppid)
			*ppid = (pid_t)strtol(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (start)
		*start = strtoull(p, NULL, 10);
	return 0;
}

uint64_t proctree_starttime(pid_t pid)
{
	uint64_t start = 0;

	if (pid <= 0 || proctree_stat(pid, NULL, &start) < 0)
		return 0;
	return start;
}

bool proctree_alive(pid_t pid, uint64_t starttime)
{
	uint64_t now = proctree_starttime(pid);

	if (!now)
		return false;
	return starttime == 0 || now == starttime;
}

static struct proc_entry *proctree_snapshot(size_t *count)
{
	DIR *d = opendir("/proc");
	struct proc_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*count = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		pid_t ppid = 0;

		if (*end || pid <= 0)
			continue;
		if (proctree_stat((pid_t)pid, &ppid, NULL) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].pid = (pid_t)pid;
		v[n].ppid = ppid;
		n++;
	}
	closedir(d);
	*count = n;
	return v;
}

/* Mark descendants of root in the snapshot; returns their count. */
static size_t proctree_mark(const struct proc_entry *v, size_t n, pid_t root,
			    bool *mark)
{
	size_t found = 0;
	bool changed = true;

	memset(mark, 0, n * sizeof(*mark));
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (mark[i])
				continue;
			if (v[i].ppid == root) {
				mark[i] = true;
				changed = true;
				found++;
				continue;
			}
			for (size_t j = 0; j < n; j++)
				if (mark[j] && v[j].pid == v[i].ppid) {
					mark[i] = true;
					changed = true;
					found++;
					break;
				}
		}
	}
	return found;
}

int proctree_signal_descendants(pid_t root, int sig)
{
	size_t n, found;
	struct proc_entry *v = proctree_snapshot(&n);
	bool *mark;
	int sent = 0;

	if (!v)
		return 0;
	mark = xcalloc(n + 1, sizeof(*mark));
	found = proctree_mark(v, n, root, mark);
	for (size_t i = 0; i < n && found; i++)
		if (mark[i] && kill(v[i].pid, sig) == 0)
			sent++;
	free(mark);
	free(v);
	return sent;
}

/* Does the NUL-separated environment buf hold entry? */
static bool proctree_env_has(const char *buf, size_t len, const char *entry)
{
	size_t elen = strlen(entry);

	for (size_t i = 0; i < len;) {
		size_t l = strnlen(buf + i, len - i);

		if (l == elen && !memcmp(buf + i, entry, elen))
			return true;
		i += l + 1;
	}
	return false;
}

enum { PROCTREE_ENV_MAX = 256 * 1024 };

/* Does pid's environment hold every entry of want?  buf is scratch. */
static bool proctree_env_match(pid_t pid, const char *const *want, size_t n,
			       char *buf)
{
	char path[64];
	size_t len = 0;
	int fd;

	if (n == 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (len < PROCTREE_ENV_MAX) {
		ssize_t r = read(fd, buf + len, PROCTREE_ENV_MAX - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	for (size_t i = 0; i < n; i++)
		if (!proctree_env_has(buf, len, want[i]))
			return false;
	return true;
}

bool proctree_environ_matches(pid_t pid, const char *const *want, size_t n)
{
	char *buf = xmalloc(PROCTREE_ENV_MAX);
	bool match = pid > 0 && proctree_env_match(pid, want, n, buf);

	free(buf);
	return match;
}

int proctree_signal_environ(const char *const *want, size_t n, int sig)
{
	DIR *d = opendir("/proc");
	char *buf = xmalloc(PROCTREE_ENV_MAX);
	struct dirent *de;
	int sent = 0;

	if (!d) {
		free(buf);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if (proctree_env_match((pid_t)pid, want, n, buf) &&
		    kill((pid_t)pid, sig) == 0)
			sent++;
	}
	closedir(d);
	free(buf);
	return sent;
}

int proctree_count_descendants(pid_t root)
{
	size_t n, found;
	struct proc_entry *v = proctree_snapshot(&n);
	bool *mark;

	if (!v)
		return 0;
	mark = xcalloc(n + 1, sizeof(*mark));
	found = proctree_mark(v, n, root, mark);
	free(mark);
	free(v);
	return (int)found;
}

void proctree_close_fds(int from)
{
	struct rlimit rl;
	long max = 65536;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)from, ~0u, 0u) == 0)
		return;
#endif
	/* Kernels before 5.9: close one by one up to the limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)(1 << 20))
		max = (long)rl.rlim_cur;
	for (long fd = from; fd < max; fd++)
		close((int)fd);
}
