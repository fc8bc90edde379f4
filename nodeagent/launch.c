/*
 * Launching and stopping ranks.  See launch.h.
 *
 * Blocking work stays out of the loop: the agent only forks and execs
 * the shepherd (which does the slow per-rank set-up), and learns about
 * exits from the shepherd's files.  getpwnam_r() in prepare is the one
 * exception: it is fast with local accounts; sites with slow directory
 * services should run nscd or sssd's cache.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/health_exec.h"
#include "nodeagent/launch.h"
#include "nodeagent/link.h"
#include "nodeagent/proctree.h"
#include "nodeagent/workload.h"
#include "nodeagent/wlfiles.h"

static void launch_reply_error(struct rpcconn *c, uint64_t id, int status,
			       const char *fmt, ...) PRINTF_LIKE(4, 5);
static void launch_reply_error(struct rpcconn *c, uint64_t id, int status,
			       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("launch: %s", msg);
	if (id)
		rpcconn_respond_error(c, id, status, "%s", msg);
}

static void launch_reply_ok(struct rpcconn *c, uint64_t id,
			    Colossus__Response *resp)
{
	Colossus__Response empty = COLOSSUS__RESPONSE__INIT;
	struct err e;

	if (!id)
		return;
	if (!resp)
		resp = &empty;
	resp->id = id;
	if (rpcconn_respond(c, resp, &e) < 0)
		log_sub(LOG_SUB_LAUNCH, "reply dropped: %s", e.msg);
}

/* A free TCP port for the rendezvous (MASTER_PORT), or 0. */
static unsigned launch_pick_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned port = 0;

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* GPUs held by other live workloads. */
static uint16_t launch_gpus_busy(struct agent *ag, const struct workload *self)
{
	uint16_t busy = 0;

	for (struct workload *w = ag->workloads; w; w = w->next)
		if (w != self && !workload_finished(w))
			busy |= w->gpu_mask;
	return busy;
}

static int launch_validate(struct agent *ag, const Colossus__LaunchJob *m,
			   struct passwd *pw, char *pwbuf, size_t pwlen,
			   char *why, size_t len)
{
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	struct passwd *res = NULL;
	uint16_t want = 0;

	if (m->job_id == 0 || m->epoch == 0 || m->n_ranks == 0 ||
	    m->n_ranks > 256) {
		snprintf(why, len, "malformed launch order");
		return COLOSSUS__STATUS__STATUS_INVALID;
	}
	if (m->n_argv == 0 && (!m->script || !*m->script)) {
		snprintf(why, len, "launch order has no command");
		return COLOSSUS__STATUS__STATUS_INVALID;
	}
	for (size_t i = 0; i < m->n_ranks; i++)
		for (size_t g = 0; g < m->ranks[i]->n_gpus; g++) {
			unsigned idx = m->ranks[i]->gpus[g];

			/* A node whose GPUs cannot be seen (NVML missing or
			 * broken) has none to give, whatever the topology
			 * says: running there would hand out devices blind. */
			if (idx >= 16 || idx >= inv->count) {
				snprintf(why, len,
					 "GPU %u requested but this node has "
					 "%u%s%.200s",
					 idx, inv->count,
					 inv->problem[0] ? ": " : "",
					 inv->problem);
				return COLOSSUS__STATUS__STATUS_INVALID;
			}
			want |= (uint16_t)(1u << idx);
		}
	if (want & launch_gpus_busy(ag, NULL)) {
		snprintf(why, len, "GPUs 0x%x are still held by another job",
			 want & launch_gpus_busy(ag, NULL));
		return COLOSSUS__STATUS__STATUS_CONFLICT;
	}
	if (!m->user || !util_valid_name(m->user, 63) ||
	    getpwnam_r(m->user, pw, pwbuf, pwlen, &res) != 0 || !res) {
		snprintf(why, len, "user '%.64s' does not exist on node %s",
			 m->user ? m->user : "", ag->node);
		return COLOSSUS__STATUS__STATUS_NOT_FOUND;
	}
	if (pw->pw_uid == 0 && !(m->allow_root && ag->cfg.allow_root)) {
		snprintf(why, len, "refusing to run a job as root on %s",
			 ag->node);
		return COLOSSUS__STATUS__STATUS_PERMISSION;
	}
	if (m->workdir && *m->workdir) {
		struct stat st;

		if (stat(m->workdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			snprintf(
				why, len,
				"working directory %.200s does not exist on %s",
				m->workdir, ag->node);
			return COLOSSUS__STATUS__STATUS_NOT_FOUND;
		}
	}
	return COLOSSUS__STATUS__STATUS_OK;
}

void launch_prepare(struct agent *ag, struct rpcconn *c,
		    const Colossus__Request *req)
{
	const Colossus__LaunchJob *m = req->launch_job;
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	Colossus__LaunchJob copy;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__LaunchJobReply reply = COLOSSUS__LAUNCH_JOB_REPLY__INIT;
	char *uuids[GPU_MAX];
	struct workload *w;
	struct passwd pw;
	char pwbuf[4096], why[400], cgname[96];
	int status;
	struct err e;

	w = workload_find(ag, m->job_id, m->epoch);
	if (w && w->state == WL_PREPARED) {
		/* A retried order: same answer, same port. */
		reply.master_port = w->master_port;
		resp.body_case = COLOSSUS__RESPONSE__BODY_LAUNCH_JOB;
		resp.launch_job = &reply;
		launch_reply_ok(c, req->id, &resp);
		return;
	}
	if (w) {
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_CONFLICT,
				   "job %" PRIu64 " epoch %u already started",
				   m->job_id, m->epoch);
		return;
	}
	status = launch_validate(ag, m, &pw, pwbuf, sizeof(pwbuf), why,
				 sizeof(why));
	if (status != COLOSSUS__STATUS__STATUS_OK) {
		launch_reply_error(c, req->id, status, "job %" PRIu64 ": %s",
				   m->job_id, why);
		return;
	}
	/* Tell the shepherd each GPU's UUID for CUDA_VISIBLE_DEVICES. */
	copy = *m;
	for (unsigned i = 0; i < inv->count && i < GPU_MAX; i++)
		uuids[i] = (char *)inv->gpus[i].uuid;
	copy.n_gpu_uuids = inv->count;
	copy.gpu_uuids = uuids;
	copy.node_name = ag->node;
	w = workload_create(ag, &copy, &e);
	if (!w) {
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_INTERNAL,
				   "job %" PRIu64 ": %s", m->job_id, e.msg);
		return;
	}
	w->uid = pw.pw_uid;
	if (ag->cg.usable) {
		snprintf(cgname, sizeof(cgname), "job-%" PRIu64 "-%u",
			 m->job_id, m->epoch);
		if (cgroup_create(&ag->cg, cgname, w->cgroup, sizeof(w->cgroup),
				  &e) < 0) {
			log_warn("job=%" PRIu64 ": %s; using process groups",
				 m->job_id, e.msg);
			w->cgroup[0] = '\0';
		} else {
			cgroup_set_limits(&ag->cg, w->cgroup, m->memory_mib,
					  m->cpus);
		}
	}
	if (wlfile_write(w->dir, WLF_CGROUP, w->cgroup, strlen(w->cgroup)) <
	    0) {
		workload_destroy(w, true);
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_INTERNAL,
				   "job %" PRIu64 ": cannot write state: %s",
				   m->job_id, strerror(errno));
		return;
	}
	if (m->node_rank == 0) {
		char port[16];
		int len;

		/* Remembered, so a retried order gets the same port. */
		errno = 0;
		w->master_port = launch_pick_port();
		len = snprintf(port, sizeof(port), "%u\n", w->master_port);
		if (!w->master_port ||
		    wlfile_write(w->dir, WLF_PORT, port, (size_t)len) < 0) {
			if (w->cgroup[0])
				cgroup_remove(w->cgroup);
			workload_destroy(w, true);
			launch_reply_error(
				c, req->id, COLOSSUS__STATUS__STATUS_INTERNAL,
				"job %" PRIu64 ": no rendezvous port: %s",
				m->job_id,
				errno ? strerror(errno) : "none free");
			return;
		}
		reply.master_port = w->master_port;
	}
	log_info("job=%" PRIu64 " epoch=%u prepared: %zu ranks, gpus 0x%x, "
		 "user %s%s",
		 m->job_id, m->epoch, m->n_ranks, w->gpu_mask, m->user,
		 w->cgroup[0] ? "" : " (no cgroup)");
	resp.body_case = COLOSSUS__RESPONSE__BODY_LAUNCH_JOB;
	resp.launch_job = &reply;
	launch_reply_ok(c, req->id, &resp);
}

static void launch_timer_cb(evutil_socket_t fd, short what, void *arg);

static void launch_arm(struct workload *w, int64_t ms)
{
	struct timeval tv;

	if (!w->timer)
		w->timer = evtimer_new(w->ag->base, launch_timer_cb, w);
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

static void launch_arm_limit(struct workload *w)
{
	int64_t left;

	if (!w->time_limit_sec || w->killing)
		return;
	left = (w->start_wall + (int64_t)w->time_limit_sec) * 1000 -
	       util_now_wall_ms();
	launch_arm(w, left);
}

void launch_start(struct agent *ag, struct rpcconn *c,
		  const Colossus__Request *req)
{
	const Colossus__StartJob *m = req->start_job;
	struct workload *w = workload_find(ag, m->job_id, m->epoch);
	char port[16], shep[96], logpath[PATH_MAX + 32];
	uint32_t master_port;
	int len;
	pid_t pid;

	if (!w) {
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_NOT_FOUND,
				   "job %" PRIu64 " epoch %u was not prepared "
				   "on %s",
				   m->job_id, m->epoch, ag->node);
		return;
	}
	if (w->state != WL_PREPARED) {
		launch_reply_ok(c, req->id, NULL);
		return;
	}
	master_port = m->master_port;
	if (!master_port && w->num_nodes <= 1)
		master_port = w->master_port; /* ours is the only one */
	if (!master_port) {
		/* Ranks on other nodes could never find node-rank 0: refuse,
		 * so the gang is stopped and requeued, not left hanging. */
		launch_reply_error(c, req->id, COLOSSUS__STATUS__STATUS_INVALID,
				   "job %" PRIu64 " epoch %u: start order "
				   "without a rendezvous port",
				   m->job_id, m->epoch);
		return;
	}
	len = snprintf(port, sizeof(port), "%u\n", master_port);
	if (wlfile_write(w->dir, WLF_START, port, (size_t)len) < 0) {
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_INTERNAL,
				   "job %" PRIu64 ": cannot write state: %s",
				   m->job_id, strerror(errno));
		return;
	}
	snprintf(logpath, sizeof(logpath), "%s/shepherd.log", w->dir);
	pid = fork();
	if (pid < 0) {
		launch_reply_error(c, req->id,
				   COLOSSUS__STATUS__STATUS_INTERNAL,
				   "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* Child: a fresh image, so no TLS keys or loop state leak. */
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int devnull = open("/dev/null", O_RDWR);
		char *argv[] = { (char *)"colossus-nodeagent",
				 (char *)"--shepherd", w->dir, NULL };
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (fd >= 0)
			dup2(fd, 2);
		/* Not everything the agent opens is close-on-exec (libevent's
		 * sockets, libraries' descriptors): close it all. */
		proctree_close_fds(3);
		execv(ag->self_exe, argv);
		_exit(126);
	}
	w->shepherd = pid;
	w->shepherd_start = proctree_starttime(pid);
	w->start_wall = util_now_wall_s();
	w->state = WL_RUNNING;
	len = snprintf(shep, sizeof(shep), "%d %llu %" PRId64 "\n", (int)pid,
		       (unsigned long long)w->shepherd_start, w->start_wall);
	if (wlfile_write(w->dir, WLF_SHEPHERD, shep, (size_t)len) < 0)
		log_err("job=%" PRIu64 ": cannot record shepherd: %s",
			w->job_id, strerror(errno));
	launch_arm_limit(w);
	log_info("job=%" PRIu64 " epoch=%u started (shepherd %d, master port "
		 "%u)",
		 w->job_id, w->epoch, (int)pid, master_port);
	launch_reply_ok(c, req->id, NULL);
}

/* Send sig to every process of the workload. */
static int launch_signal_all(struct workload *w, int sig)
{
	if (w->cgroup[0] && cgroup_populated(w->cgroup) >= 0)
		return cgroup_signal(w->cgroup, sig);
	/* Without a cgroup, the shepherd's subtree is the job (it is the
	 * ranks' subreaper, so orphans stay below it). */
	return w->shepherd > 0 && proctree_alive(w->shepherd, w->shepherd_start)
		       ? proctree_signal_descendants(w->shepherd, sig)
		       : 0;
}

/*
 * Without a cgroup, processes of a job whose shepherd is gone are known
 * by the variables every rank inherits: job, epoch and node (several
 * agents may share a host in tests and the simulator).
 */
struct launch_env_id {
	char job[64], epoch[64], node[128];
	const char *want[3];
};

static void launch_env_id(const struct workload *w, struct launch_env_id *id)
{
	snprintf(id->job, sizeof(id->job), "COLOSSUS_JOB_ID=%" PRIu64,
		 w->job_id);
	snprintf(id->epoch, sizeof(id->epoch), "COLOSSUS_EPOCH=%u", w->epoch);
	snprintf(id->node, sizeof(id->node), "COLOSSUS_NODE_NAME=%s",
		 w->ag->node);
	id->want[0] = id->job;
	id->want[1] = id->epoch;
	id->want[2] = id->node;
}

void launch_kill_leftovers(struct workload *w)
{
	struct launch_env_id id;
	int n;

	if (w->cgroup[0] && cgroup_populated(w->cgroup) >= 0) {
		cgroup_kill(w->cgroup);
		return;
	}
	/*
	 * Shepherd gone: its orphans went to init.  A rank still running
	 * leads its process group; its pid is checked against the job's
	 * environment first, because a rank that exited unseen may have
	 * left its pid to a stranger.
	 */
	launch_env_id(w, &id);
	for (uint32_t i = 0; i < w->nranks; i++) {
		char name[64], *buf;
		pid_t pid;

		if (w->ranks[i].exited)
			continue;
		snprintf(name, sizeof(name), WLF_PID_PREFIX "%u",
			 w->ranks[i].rank);
		buf = wlfile_read(w->dir, name, 64, NULL);
		if (!buf)
			continue;
		pid = (pid_t)atoi(buf);
		free(buf);
		if (pid > 0 && proctree_environ_matches(pid, id.want, 3)) {
			proctree_signal_descendants(pid, SIGKILL);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	/* Orphans that left the ranks' process groups and trees. */
	n = proctree_signal_environ(id.want, 3, SIGKILL);
	if (n > 0)
		log_warn("job=%" PRIu64 " epoch=%u: killed %d leftover "
			 "processes found by their environment",
			 w->job_id, w->epoch, n);
}

static void launch_answer_kills(struct workload *w, bool clean,
				const char *detail)
{
	while (w->kill_waits) {
		struct wl_kill_wait *kw = w->kill_waits;
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__KillJobReply reply = COLOSSUS__KILL_JOB_REPLY__INIT;
		struct err e;

		w->kill_waits = kw->next;
		reply.clean = clean;
		reply.detail = (char *)(detail ? detail : "");
		resp.id = kw->req_id;
		resp.body_case = COLOSSUS__RESPONSE__BODY_KILL_JOB;
		resp.kill_job = &reply;
		if (!rpcconn_is_closed(kw->conn) &&
		    rpcconn_respond(kw->conn, &resp, &e) < 0)
			log_sub(LOG_SUB_LAUNCH, "kill reply dropped: %s",
				e.msg);
		rpcconn_unref(kw->conn);
		free(kw);
	}
}

static void launch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workload *w = arg;

	(void)fd;
	(void)what;
	if (workload_finished(w))
		return;
	if (!w->killing) {
		/* The time limit. */
		log_info("job=%" PRIu64 " epoch=%u: time limit of %" PRIu64
			 "s reached",
			 w->job_id, w->epoch, w->time_limit_sec);
		launch_stop(w, WL_CAUSE_TIMEOUT, SIGTERM, w->kill_grace_sec);
		return;
	}
	if (!w->sigkill_sent) {
		/* Grace is over. */
		w->sigkill_sent = true;
		if (w->cgroup[0])
			cgroup_kill(w->cgroup);
		else
			launch_signal_all(w, SIGKILL);
		launch_arm(w, (int64_t)w->ag->cfg.kill_timeout_sec * 1000);
		return;
	}
	/* SIGKILL did not finish it: processes stuck (D state?). */
	log_err("job=%" PRIu64 " epoch=%u: processes remain %" PRIu64 "s after "
		"SIGKILL; the fence cannot be confirmed",
		w->job_id, w->epoch, w->ag->cfg.kill_timeout_sec);
	launch_answer_kills(w, false, "processes remain after SIGKILL");
	launch_arm(w, (int64_t)w->ag->cfg.kill_timeout_sec * 1000);
}

void launch_stop(struct workload *w, enum wl_cause cause, int sig,
		 unsigned grace)
{
	if (w->state == WL_PREPARED) {
		/* Nothing runs yet: forget it. */
		log_info("job=%" PRIu64 " epoch=%u: prepared job dropped",
			 w->job_id, w->epoch);
		if (w->cgroup[0])
			cgroup_remove(w->cgroup);
		launch_answer_kills(w, true, "");
		workload_destroy(w, true);
		return;
	}
	if (workload_finished(w)) {
		launch_answer_kills(w, true, "");
		return;
	}
	workload_set_cause(w, cause);
	if (w->killing && sig != SIGKILL)
		return; /* already under way */
	w->killing = true;
	log_info("job=%" PRIu64 " epoch=%u: stopping (%s), signal %d, grace "
		 "%us",
		 w->job_id, w->epoch,
		 cause == WL_CAUSE_TIMEOUT ? "time limit" : "killed", sig,
		 grace);
	if (sig == SIGKILL || grace == 0) {
		w->sigkill_sent = true;
		if (w->cgroup[0])
			cgroup_kill(w->cgroup);
		else
			launch_signal_all(w, SIGKILL);
		launch_arm(w, (int64_t)w->ag->cfg.kill_timeout_sec * 1000);
	} else {
		launch_signal_all(w, sig);
		launch_arm(w, (int64_t)grace * 1000);
	}
}

void launch_kill_request(struct agent *ag, struct rpcconn *c,
			 const Colossus__Request *req)
{
	const Colossus__KillJob *m = req->kill_job;
	int sig = m->signal > 0 && m->signal < 65 ? m->signal : SIGTERM;
	unsigned grace = m->grace_sec ? m->grace_sec : 10;
	struct workload *w, *next;
	bool any = false;

	for (w = ag->workloads; w; w = next) {
		next = w->next;
		if (w->job_id != m->job_id ||
		    (m->epoch && w->epoch != m->epoch))
			continue;
		any = true;
		if (m->epoch && req->id) {
			struct wl_kill_wait *kw = xcalloc(1, sizeof(*kw));

			kw->conn = c;
			kw->req_id = req->id;
			rpcconn_ref(c);
			kw->next = w->kill_waits;
			w->kill_waits = kw;
		}
		w->kill_grace_sec = grace;
		launch_stop(w, WL_CAUSE_KILLED, sig, grace);
	}
	/* Nothing (left) to kill, or every epoch: answer now. */
	if (!any || !m->epoch) {
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__KillJobReply reply = COLOSSUS__KILL_JOB_REPLY__INIT;

		reply.clean = !any;
		reply.detail = any ? (char *)"stopping" : (char *)"";
		resp.body_case = COLOSSUS__RESPONSE__BODY_KILL_JOB;
		resp.kill_job = &reply;
		launch_reply_ok(c, req->id, &resp);
	}
}

void launch_fence(struct agent *ag, uint64_t job_id, uint32_t epoch)
{
	struct workload *w = workload_find(ag, job_id, epoch);

	if (!w)
		return;
	log_warn("job=%" PRIu64 " epoch=%u: fenced by the controller (stale "
		 "incarnation)",
		 job_id, epoch);
	launch_stop(w, WL_CAUSE_KILLED, SIGKILL, 0);
}

void launch_workload_progress(struct workload *w)
{
	if (!workload_finished(w))
		return;
	if (w->timer)
		evtimer_del(w->timer);
	launch_answer_kills(w, true, "");
}

void launch_workload_gone(struct workload *w)
{
	launch_answer_kills(w, workload_finished(w) || w->state == WL_PREPARED,
			    "");
}

void launch_check_prepared(struct workload *w)
{
	int64_t age = util_now_mono_ms() - w->prepared_mono_ms;

	if (w->state != WL_PREPARED ||
	    age < (int64_t)w->ag->cfg.prepare_expiry_sec * 1000)
		return;
	log_warn("job=%" PRIu64 " epoch=%u: prepared but never started; "
		 "dropping it",
		 w->job_id, w->epoch);
	if (w->cgroup[0])
		cgroup_remove(w->cgroup);
	workload_destroy(w, true);
}

void launch_rearm(struct workload *w)
{
	if (w->killing) {
		/* We were stopping it when the agent went away. */
		launch_stop(w, w->cause ? w->cause : WL_CAUSE_KILLED, SIGKILL,
			    0);
		return;
	}
	launch_arm_limit(w);
}

void launch_reap(struct agent *ag)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* A site command (probe, validation) keeps its exit status. */
		if (health_exec_reaped(ag, pid, status))
			continue;
		for (struct workload *w = ag->workloads; w; w = w->next) {
			if (w->shepherd != pid)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				log_err("job=%" PRIu64 ": shepherd exited with "
					"status %d (see %s/shepherd.log)",
					w->job_id, WEXITSTATUS(status), w->dir);
			workload_scan(w);
			break;
		}
	}
}
