/*
 * The shepherd process (see shepherd.h).  A plain blocking program: it
 * has no event loop and nothing else to serve.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "common/xalloc.h"
#include "nodeagent/cgroup.h"
#include "nodeagent/proctree.h"
#include "nodeagent/shepherd.h"
#include "nodeagent/wlfiles.h"
#include "proto/rpc.h"

struct shep_rank {
	uint32_t rank;
	uint32_t local_rank;
	pid_t pid;
	bool exited;
};

struct shepherd {
	const char *dir;
	Colossus__LaunchJob *m;
	char cgroup[4096];
	unsigned master_port;
	struct passwd pw;
	char pwbuf[4096];
	char node[256];
	char script_path[4200];
	struct shep_rank *ranks;
	uint32_t nranks;
	uint32_t alive;
	char oom_adj[16]; /* the agent's oom_score_adj, given back to ranks */
};

static void shep_log(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Read (val NULL: no) or write /proc/self/oom_score_adj. */
static int shep_oom_adj(char *cur, size_t len, const char *val)
{
	int fd = open("/proc/self/oom_score_adj",
		      (val ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	if (val)
		n = write(fd, val, strlen(val));
	else
		n = read(fd, cur, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (!val) {
		cur[n] = '\0';
		cur[strcspn(cur, "\n")] = '\0';
	}
	return 0;
}

static void shep_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "colossus-shepherd[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int shepherd_expand_path(const char *pattern, unsigned long long job,
			 unsigned rank, unsigned epoch, const char *node,
			 char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = pattern; *p; p++) {
		char tmp[300];
		const char *add = tmp;

		if (*p != '%') {
			tmp[0] = *p;
			tmp[1] = '\0';
		} else {
			switch (*++p) {
			case 'j':
				snprintf(tmp, sizeof(tmp), "%llu", job);
				break;
			case 'r':
				snprintf(tmp, sizeof(tmp), "%u", rank);
				break;
			case 'e':
				snprintf(tmp, sizeof(tmp), "%u", epoch);
				break;
			case 'n':
				add = node;
				break;
			case '%':
				add = "%";
				break;
			default:
				return -1;
			}
		}
		if (o + strlen(add) >= len)
			return -1;
		memcpy(out + o, add, strlen(add));
		o += strlen(add);
	}
	out[o] = '\0';
	return 0;
}

static void shep_record_exit(struct shepherd *s, struct shep_rank *r,
			     int status, int cause, const char *detail)
{
	Colossus__RankExit x = COLOSSUS__RANK_EXIT__INIT;
	char name[64];
	uint8_t *buf;
	size_t len;

	x.rank = r->rank;
	x.cause = (Colossus__ExitCause)cause;
	if (WIFSIGNALED(status))
		x.signal = WTERMSIG(status);
	else
		x.exit_code = WEXITSTATUS(status);
	x.end_time_ms = util_now_wall_ms();
	x.detail = (char *)(detail ? detail : "");
	len = colossus__rank_exit__get_packed_size(&x);
	buf = xmalloc(len ? len : 1);
	colossus__rank_exit__pack(&x, buf);
	snprintf(name, sizeof(name), WLF_EXIT_PREFIX "%u", r->rank);
	if (wlfile_write(s->dir, name, buf, len) < 0)
		shep_log("cannot record exit of rank %u: %s", r->rank,
			 strerror(errno));
	free(buf);
	r->exited = true;
	s->alive--;
}

/*
 * Add entry ("NAME=value", taken) to env, replacing an earlier entry of
 * the same name: an environment with a name twice means different things
 * to different programs (getenv() takes the first, shells the last).
 */
static void shep_env_put(char **env, size_t *n, char *entry)
{
	size_t len = strcspn(entry, "=");

	for (size_t i = 0; i < *n; i++)
		if (!strncmp(env[i], entry, len + 1)) {
			free(env[i]);
			env[i] = entry;
			return;
		}
	env[(*n)++] = entry;
}

/*
 * Environment of one rank: a clean base (the job may override it), the
 * job's own variables, then ours, which nothing overrides: they describe
 * where the rank really runs, and COLOSSUS_EPOCH is a fencing token.
 */
static char **shep_env(struct shepherd *s, const Colossus__LocalRank *lr)
{
	const Colossus__LaunchJob *m = s->m;
	char **env = xcalloc(m->n_env + 48, sizeof(char *));
	size_t n = 0;
	char cvd[16 * 100] = "";

	shep_env_put(env, &n, xasprintf("PATH=/usr/local/bin:/usr/bin:/bin"));
	shep_env_put(env, &n, xasprintf("HOME=%s", s->pw.pw_dir));
	shep_env_put(env, &n, xasprintf("USER=%s", s->pw.pw_name));
	shep_env_put(env, &n, xasprintf("LOGNAME=%s", s->pw.pw_name));
	shep_env_put(env, &n, xasprintf("SHELL=%s", s->pw.pw_shell));
	for (size_t i = 0; i < m->n_env; i++)
		if (m->env[i] && strchr(m->env[i], '=') && m->env[i][0] != '=')
			shep_env_put(env, &n, xstrdup(m->env[i]));
	for (size_t g = 0; g < lr->n_gpus; g++) {
		unsigned idx = lr->gpus[g];
		const char *id = idx < m->n_gpu_uuids && m->gpu_uuids[idx][0]
					 ? m->gpu_uuids[idx]
					 : NULL;
		size_t used = strlen(cvd);

		snprintf(cvd + used, sizeof(cvd) - used, "%s", g ? "," : "");
		used = strlen(cvd);
		if (id)
			snprintf(cvd + used, sizeof(cvd) - used, "%s", id);
		else
			snprintf(cvd + used, sizeof(cvd) - used, "%u", idx);
	}
#define PUT(...) shep_env_put(env, &n, xasprintf(__VA_ARGS__))
	/* torch.distributed (env://), torchrun and MPI-style variables. */
	PUT("MASTER_ADDR=%s", m->master_addr);
	PUT("MASTER_PORT=%u", s->master_port);
	PUT("WORLD_SIZE=%u", m->world_size);
	PUT("RANK=%u", lr->rank);
	PUT("LOCAL_RANK=%u", lr->local_rank);
	PUT("LOCAL_WORLD_SIZE=%u", m->ranks_per_node);
	PUT("NODE_RANK=%u", m->node_rank);
	PUT("GROUP_RANK=%u", m->node_rank);
	PUT("PMI_RANK=%u", lr->rank);
	PUT("PMI_SIZE=%u", m->world_size);
	PUT("OMPI_COMM_WORLD_RANK=%u", lr->rank);
	PUT("OMPI_COMM_WORLD_SIZE=%u", m->world_size);
	PUT("OMPI_COMM_WORLD_LOCAL_RANK=%u", lr->local_rank);
	PUT("OMPI_COMM_WORLD_LOCAL_SIZE=%u", m->ranks_per_node);
	PUT("CUDA_VISIBLE_DEVICES=%s", cvd);
	PUT("CUDA_DEVICE_ORDER=PCI_BUS_ID");
	PUT("COLOSSUS_JOB_ID=%" PRIu64, m->job_id);
	PUT("COLOSSUS_EPOCH=%u", m->epoch);
	PUT("COLOSSUS_NODELIST=%s", m->nodelist);
	PUT("COLOSSUS_NUM_NODES=%u", m->num_nodes);
	PUT("COLOSSUS_NODE_RANK=%u", m->node_rank);
	PUT("COLOSSUS_NODE_NAME=%s", s->node);
	PUT("COLOSSUS_RANKS_PER_NODE=%u", m->ranks_per_node);
	PUT("COLOSSUS_GPUS=%s", cvd);
#undef PUT
	env[n] = NULL;
	return env;
}

/*
 * Why a rank could not start is either the job's fault (its command, its
 * working directory or output paths do not exist or are not the user's
 * to use: it fails like it would in a shell, as in Slurm) or the node's
 * (cgroup, user database, fork): then the gang is requeued elsewhere.
 * The first byte of the report says which.
 */
#define SHEP_FAULT_JOB 'J'
#define SHEP_FAULT_NODE 'N'

/* Errors of a path the job chose, as opposed to the node failing. */
static bool shep_path_errno_is_jobs(int err)
{
	return err == ENOENT || err == EACCES || err == ENOTDIR ||
	       err == EISDIR || err == ENAMETOOLONG || err == ELOOP ||
	       err == EROFS || err == ENOEXEC || err == EPERM;
}

/* In the child: report why we could not exec, then die. */
static void NORETURN shep_child_fail_as(int errfd, char fault,
					const char *what)
{
	char msg[300];
	int len = snprintf(msg, sizeof(msg), "%c%s: %s", fault, what,
			   strerror(errno));

	if (write(errfd, msg, (size_t)len) < 0) {
		/* nothing more we can do */
	}
	_exit(127);
}

static void NORETURN shep_child_fail(int errfd, const char *what)
{
	shep_child_fail_as(errfd, SHEP_FAULT_NODE, what);
}

/* A path the job named: its fault unless the error is the node's. */
static void NORETURN shep_child_fail_path(int errfd, const char *what)
{
	shep_child_fail_as(errfd,
			   shep_path_errno_is_jobs(errno) ? SHEP_FAULT_JOB
							  : SHEP_FAULT_NODE,
			   what);
}

static int shep_open_output(const char *pattern, struct shepherd *s,
			    const Colossus__LocalRank *lr, char *path,
			    size_t len)
{
	const char *pat = pattern && *pattern ? pattern : "colossus-%j-%r.out";

	if (shepherd_expand_path(pat, (unsigned long long)s->m->job_id,
				 lr->rank, s->m->epoch, s->node, path,
				 len) < 0) {
		errno = EINVAL;
		return -1;
	}
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Everything after fork in the rank's process.  Never returns. */
static void NORETURN shep_child(struct shepherd *s,
				const Colossus__LocalRank *lr, int errfd)
{
	const Colossus__LaunchJob *m = s->m;
	char outpath[4200], errpath[4200];
	char **env;
	int out, errf;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	setpgid(0, 0);
	/* The shepherd shields itself from the OOM killer; ranks must not
	 * inherit that.  Raising the value needs no privilege. */
	if (s->oom_adj[0])
		(void)shep_oom_adj(NULL, 0, s->oom_adj);
	/* Join the job's cgroup while still privileged. */
	if (s->cgroup[0] && cgroup_add_pid(s->cgroup, getpid()) < 0)
		shep_child_fail(errfd, "joining cgroup");
	if (initgroups(s->pw.pw_name, s->pw.pw_gid) < 0)
		shep_child_fail(errfd, "initgroups");
	if (setgid(s->pw.pw_gid) < 0)
		shep_child_fail(errfd, "setgid");
	if (setuid(s->pw.pw_uid) < 0)
		shep_child_fail(errfd, "setuid");
	/* From here on we are the user: files we create are theirs, and we
	 * cannot reach anything the user cannot. */
	if (s->pw.pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		shep_child_fail(errfd, "dropping privileges");
	if (chdir(m->workdir && *m->workdir ? m->workdir : s->pw.pw_dir) < 0) {
		char what[4200];

		snprintf(what, sizeof(what), "chdir %s",
			 m->workdir && *m->workdir ? m->workdir : s->pw.pw_dir);
		shep_child_fail_path(errfd, what);
	}
	out = shep_open_output(m->stdout_path, s, lr, outpath, sizeof(outpath));
	if (out < 0)
		shep_child_fail_path(errfd, "opening output file");
	if (m->stderr_path && *m->stderr_path) {
		errf = shep_open_output(m->stderr_path, s, lr, errpath,
					sizeof(errpath));
		if (errf < 0)
			shep_child_fail_path(errfd, "opening error file");
	} else {
		errf = out;
	}
	{
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull < 0 || dup2(devnull, 0) < 0)
			shep_child_fail(errfd, "stdin");
	}
	if (dup2(out, 1) < 0 || dup2(errf, 2) < 0)
		shep_child_fail(errfd, "redirecting output");
	env = shep_env(s, lr);
	if (m->n_argv > 0) {
		/* protobuf-c arrays are counted, not NULL-terminated. */
		char **argv = xcalloc(m->n_argv + 1, sizeof(char *));

		memcpy(argv, m->argv, m->n_argv * sizeof(char *));
		execvpe(argv[0], argv, env);
		{
			char what[300];

			snprintf(what, sizeof(what), "exec %.200s", m->argv[0]);
			shep_child_fail_path(errfd, what);
		}
	} else {
		char *argv[2] = { s->script_path, NULL };

		execve(s->script_path, argv, env);
		shep_child_fail_path(errfd, "exec batch script");
	}
}

static int shep_write_script(struct shepherd *s)
{
	char dir[4200];
	const char *slash;
	int fd;
	size_t len;

	if (!s->m->script || !*s->m->script)
		return 0;
	/* state_dir/scripts: traversable by all, listable by none. */
	slash = strrchr(s->dir, '/');
	snprintf(dir, sizeof(dir), "%.*s/scripts",
		 (int)(slash ? slash - s->dir : 1), slash ? s->dir : ".");
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return -1;
	snprintf(s->script_path, sizeof(s->script_path),
		 "%s/job-%" PRIu64 "-%u.sh", dir, s->m->job_id, s->m->epoch);
	fd = open(s->script_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0500);
	if (fd < 0)
		return -1;
	len = strlen(s->m->script);
	if (write(fd, s->m->script, len) != (ssize_t)len ||
	    fchown(fd, s->pw.pw_uid, s->pw.pw_gid) < 0 ||
	    fchmod(fd, 0500) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void shep_start_rank(struct shepherd *s, uint32_t i)
{
	const Colossus__LocalRank *lr = s->m->ranks[i];
	struct shep_rank *r = &s->ranks[i];
	char detail[300];
	int pipefd[2], status = 0;
	ssize_t n;
	pid_t pid;

	r->rank = lr->rank;
	r->local_rank = lr->local_rank;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		shep_record_exit(s, r, 127 << 8,
				 COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LAUNCH_FAILED,
				 "pipe failed");
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		shep_record_exit(s, r, 127 << 8,
				 COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LAUNCH_FAILED,
				 "fork failed");
		return;
	}
	if (pid == 0) {
		close(pipefd[0]);
		shep_child(s, lr, pipefd[1]);
	}
	close(pipefd[1]);
	r->pid = pid;
	/* The pipe closes on a successful exec; data means failure. */
	n = read(pipefd[0], detail, sizeof(detail) - 1);
	close(pipefd[0]);
	if (n > 0) {
		detail[n] = '\0';
		waitpid(pid, &status, 0);
		/* The job's fault ends it with 127 like a shell would; the
		 * node's requeues the gang (see SHEP_FAULT_JOB). */
		shep_record_exit(
			s, r, status,
			detail[0] == SHEP_FAULT_JOB
				? COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_NORMAL
				: COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LAUNCH_FAILED,
			detail + 1);
		return;
	}
	{
		char name[64], val[32];
		int len = snprintf(val, sizeof(val), "%d\n", (int)pid);

		snprintf(name, sizeof(name), WLF_PID_PREFIX "%u", r->rank);
		if (wlfile_write(s->dir, name, val, (size_t)len) < 0)
			shep_log("cannot record pid of rank %u", r->rank);
	}
}

/*
 * Kill what the ranks left behind and wait until it is gone.  There is
 * no giving up: the done marker says "nothing is left", and the agent
 * confirms a fence (freeing the GPUs at the controller) on it.  A process
 * stuck in the kernel keeps the job unconfirmed; the agent's
 * kill_timeout then reports the node as needing attention.
 */
static void shep_cleanup(struct shepherd *s)
{
	for (unsigned round = 0;; round++) {
		int left;

		if (s->cgroup[0]) {
			cgroup_kill(s->cgroup);
			left = cgroup_populated(s->cgroup) == 1;
		} else {
			left = proctree_signal_descendants(getpid(), SIGKILL);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0) {
		}
		if (!left)
			break;
		if (round > 0 && round % 600 == 100)
			shep_log("processes of the job survive SIGKILL; still "
				 "trying");
		{
			/* 100 ms for ten seconds, then once a second. */
			struct timespec ts = { round < 100 ? 0 : 1,
					       round < 100 ? 100 * 1000 * 1000
							   : 0 };

			nanosleep(&ts, NULL);
		}
	}
	if (s->cgroup[0] && cgroup_remove(s->cgroup) < 0 && errno != ENOENT)
		shep_log("cannot remove cgroup %s: %s", s->cgroup,
			 strerror(errno));
	if (s->script_path[0])
		unlink(s->script_path);
}

static int shep_load(struct shepherd *s, const char *dir)
{
	struct passwd *res = NULL;
	size_t len;
	char *buf, *cg, *start;

	s->dir = dir;
	buf = wlfile_read(dir, WLF_LAUNCH, 64u << 20, &len);
	if (!buf) {
		shep_log("%s/%s: %s", dir, WLF_LAUNCH, strerror(errno));
		return -1;
	}
	s->m = colossus__launch_job__unpack(NULL, len, (uint8_t *)buf);
	free(buf);
	if (!s->m || s->m->n_ranks == 0) {
		shep_log("%s/%s is not a valid launch order", dir, WLF_LAUNCH);
		return -1;
	}
	cg = wlfile_read(dir, WLF_CGROUP, sizeof(s->cgroup) - 1, NULL);
	if (cg) {
		cg[strcspn(cg, "\n")] = '\0';
		snprintf(s->cgroup, sizeof(s->cgroup), "%s", cg);
		free(cg);
	}
	start = wlfile_read(dir, WLF_START, 64, NULL);
	if (start) {
		s->master_port = (unsigned)strtoul(start, NULL, 10);
		free(start);
	}
	if (getpwnam_r(s->m->user, &s->pw, s->pwbuf, sizeof(s->pwbuf), &res) !=
		    0 ||
	    !res) {
		shep_log("user %s does not exist", s->m->user);
		return -1;
	}
	if (s->m->node_name && *s->m->node_name)
		snprintf(s->node, sizeof(s->node), "%s", s->m->node_name);
	else if (gethostname(s->node, sizeof(s->node)) < 0)
		snprintf(s->node, sizeof(s->node), "localhost");
	return 0;
}

int shepherd_main(const char *dir)
{
	struct shepherd s;
	int status;
	pid_t pid;

	memset(&s, 0, sizeof(s));
	/* Whatever we inherited beyond stdio is not the ranks' business. */
	proctree_close_fds(3);
	/* Our own session: an agent restart or its process group being
	 * signalled must not touch us or the ranks. */
	setsid();
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Orphaned descendants of the ranks are reparented to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/*
	 * If the OOM killer picked the shepherd, the ranks would lose the
	 * process that records their exits and kills their orphans (which,
	 * without cgroups, then escape to init).  It is small; protect it.
	 */
	if (shep_oom_adj(s.oom_adj, sizeof(s.oom_adj), NULL) < 0 ||
	    shep_oom_adj(NULL, 0, "-1000") < 0)
		s.oom_adj[0] = '\0';
	if (shep_load(&s, dir) < 0)
		return 2;
	s.nranks = (uint32_t)s.m->n_ranks;
	s.ranks = xcalloc(s.nranks, sizeof(*s.ranks));
	s.alive = s.nranks;
	if (shep_write_script(&s) < 0)
		shep_log("cannot write batch script: %s", strerror(errno));
	for (uint32_t i = 0; i < s.nranks; i++)
		shep_start_rank(&s, i);
	while (s.alive > 0) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (uint32_t i = 0; i < s.nranks; i++)
			if (s.ranks[i].pid == pid && !s.ranks[i].exited)
				shep_record_exit(
					&s, &s.ranks[i], status,
					COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_NORMAL,
					NULL);
		/* Other pids are orphans we reaped: nothing to record. */
	}
	/* ECHILD with ranks unaccounted for cannot happen; be safe. */
	for (uint32_t i = 0; i < s.nranks; i++)
		if (!s.ranks[i].exited)
			shep_record_exit(&s, &s.ranks[i], 255 << 8,
					 COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LOST,
					 "process vanished");
	shep_cleanup(&s);
	if (wlfile_write(dir, WLF_DONE, "", 0) < 0)
		shep_log("cannot write done marker: %s", strerror(errno));
	colossus__launch_job__free_unpacked(s.m, NULL);
	free(s.ranks);
	return 0;
}
