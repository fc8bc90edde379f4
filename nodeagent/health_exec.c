/*
 * Running site commands for the health layer.  See health_exec.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/health_exec.h"
#include "nodeagent/proctree.h"

#define HEXEC_MAX_ENV 16

struct health_exec {
	struct agent *ag;
	struct health_exec *next;
	pid_t pid;
	int fd; /* read end of the output pipe; -1 once closed */
	struct event *read_ev;
	struct event *timer;
	char *out;
	size_t len, max;
	bool eof, reaped, timed_out, too_much;
	int status;
	health_exec_fn cb;
	void *arg;
};

static void hexec_unlink(struct health_exec *x)
{
	for (struct health_exec **p = &x->ag->execs; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			return;
		}
}

static void hexec_close_pipe(struct health_exec *x)
{
	if (x->read_ev) {
		event_free(x->read_ev);
		x->read_ev = NULL;
	}
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
}

static void hexec_free(struct health_exec *x)
{
	hexec_close_pipe(x);
	if (x->timer)
		event_free(x->timer);
	hexec_unlink(x);
	free(x->out);
	free(x);
}

/* Read what the pipe holds now; false once it is closed (EOF or limit). */
static bool hexec_read(struct health_exec *x)
{
	char buf[4096];

	while (x->fd >= 0) {
		ssize_t n = read(x->fd, buf, sizeof(buf));
		size_t room;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			x->eof = true;
			hexec_close_pipe(x);
			return false;
		}
		room = x->max - x->len;
		memcpy(x->out + x->len, buf, MIN(room, (size_t)n));
		x->len += MIN(room, (size_t)n);
		x->out[x->len] = '\0';
		if ((size_t)n > room) {
			/* A runaway command must not fill the agent's memory
			 * or keep it reading: kill it, the output is invalid. */
			x->too_much = true;
			kill(-x->pid, SIGKILL);
			hexec_close_pipe(x);
			return false;
		}
	}
	return false;
}

static void hexec_maybe_finish(struct health_exec *x)
{
	struct health_exec_result r;

	if (!x->reaped || x->fd >= 0)
		return;
	memset(&r, 0, sizeof(r));
	r.status = x->status;
	r.timed_out = x->timed_out;
	r.too_much = x->too_much;
	r.out = x->out;
	r.len = x->len;
	x->cb(&r, x->arg);
	hexec_free(x);
}

static bool hexec_try_reap(struct health_exec *x);

static void hexec_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_exec *x = arg;

	(void)fd;
	(void)what;
	if (hexec_read(x))
		return;
	/* The output ended: usually the command has exited too. */
	if (!x->reaped)
		hexec_try_reap(x);
	else
		hexec_maybe_finish(x);
}

/*
 * Reap x if it has exited.  ECHILD means another waitpid(-1) of the
 * agent took it first: its status is lost, but it is gone.  Returns true
 * if x was finished and freed.
 */
static bool hexec_try_reap(struct health_exec *x)
{
	int status;
	pid_t r;

	if (x->reaped)
		return false;
	do
		r = waitpid(x->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0 || (r < 0 && errno != ECHILD))
		return false;
	return health_exec_reaped(x->ag, x->pid, r < 0 ? -1 : status);
}

static void hexec_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_exec *x = arg;
	struct timeval tv = { 1, 0 };

	(void)fd;
	(void)what;
	if (x->reaped)
		return;
	if (!x->timed_out) {
		x->timed_out = true;
		kill(-x->pid, SIGKILL);
	}
	/* Normally SIGCHLD reaps it; look again in case it was missed. */
	if (!hexec_try_reap(x))
		evtimer_add(x->timer, &tv);
}

struct health_exec *health_exec_start(struct agent *ag, const char *cmd,
				      const char *const *env,
				      unsigned timeout_ms, size_t max_out,
				      health_exec_fn cb, void *arg,
				      struct err *e)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	char *envp[HEXEC_MAX_ENV + 2];
	struct health_exec *x;
	struct timeval tv;
	int pfd[2], n = 0;
	pid_t pid;

	envp[n++] = (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			    "/usr/bin:/sbin:/bin";
	for (size_t i = 0; env && env[i] && n < HEXEC_MAX_ENV + 1; i++)
		envp[n++] = (char *)env[i];
	envp[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
		return NULL;
	}
	/* The loop has other threads (the GPU worker): only
	 * async-signal-safe calls between fork and exec. */
	pid = fork();
	if (pid < 0) {
		err_set(e, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		sigset_t none;

		/* Its own session: a timeout kills everything it started. */
		setsid();
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		proctree_close_fds(3);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	x = xcalloc(1, sizeof(*x));
	x->ag = ag;
	x->pid = pid;
	x->fd = pfd[0];
	x->max = max_out;
	x->out = xmalloc(max_out + 1);
	x->out[0] = '\0';
	x->status = -1;
	x->cb = cb;
	x->arg = arg;
	fcntl(x->fd, F_SETFL, fcntl(x->fd, F_GETFL) | O_NONBLOCK);
	x->read_ev = event_new(ag->base, x->fd, EV_READ | EV_PERSIST,
			       hexec_read_cb, x);
	event_add(x->read_ev, NULL);
	x->timer = evtimer_new(ag->base, hexec_timer_cb, x);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(x->timer, &tv);
	x->next = ag->execs;
	ag->execs = x;
	log_sub(LOG_SUB_HEALTH, "started '%s' (pid %d, limit %u ms)", cmd,
		(int)pid, timeout_ms);
	return x;
}

void health_exec_cancel(struct health_exec *x)
{
	if (!x)
		return;
	if (!x->reaped) {
		/* Reaped later by launch_reap, which ignores unknown pids. */
		kill(-x->pid, SIGKILL);
	}
	hexec_free(x);
}

void health_exec_reap(struct agent *ag)
{
	/* A callback may start or cancel runs: rescan after each one. */
	for (int guard = 0; guard < 1024; guard++) {
		struct health_exec *x;

		for (x = ag->execs; x; x = x->next)
			if (hexec_try_reap(x))
				break;
		if (!x)
			return;
	}
}

bool health_exec_reaped(struct agent *ag, pid_t pid, int status)
{
	struct health_exec *x;

	for (x = ag->execs; x; x = x->next)
		if (x->pid == pid)
			break;
	if (!x || x->reaped)
		return x != NULL;
	x->reaped = true;
	x->status = status;
	evtimer_del(x->timer);
	/* What it wrote before exiting is in the pipe; a descendant that
	 * still holds the pipe open is killed rather than waited for. */
	if (hexec_read(x)) {
		kill(-x->pid, SIGKILL);
		hexec_close_pipe(x);
	}
	hexec_maybe_finish(x);
	return true;
}

void health_exec_stop_all(struct agent *ag)
{
	while (ag->execs)
		health_exec_cancel(ag->execs);
}

const char *health_exec_describe(const struct health_exec_result *r,
				 unsigned timeout_ms, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "timed out after %u s", timeout_ms / 1000);
	else if (r->too_much)
		snprintf(buf, len, "killed: output longer than the limit");
	else if (r->status < 0)
		snprintf(buf, len, "exit status unknown");
	else if (WIFEXITED(r->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(r->status));
	else if (WIFSIGNALED(r->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(r->status));
	else
		snprintf(buf, len, "wait status %d", r->status);
	return buf;
}
