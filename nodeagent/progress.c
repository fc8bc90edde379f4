/*
 * Hang detection.  See progress.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/health.h"
#include "nodeagent/launch.h"
#include "nodeagent/progress.h"
#include "nodeagent/wlfiles.h"
#include "nodeagent/workload.h"

#define PROGRESS_CHECK_MS 1000
/* Files of workloads that are gone are removed this often. */
#define PROGRESS_SWEEP_MS 60000
/* Largest launch order read back after an agent restart. */
#define PROGRESS_ORDER_MAX (8u << 20)

struct progress {
	struct agent *ag;
	struct event *timer;
	int64_t last_sweep_ms;
	uint64_t hangs;
};

const char *progress_path(const struct agent *ag, uint64_t job_id,
			  uint32_t epoch, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" PROGRESS_DIR "/job-%" PRIu64 "-%u",
		 ag->cfg.state_dir, job_id, epoch);
	return buf;
}

/*
 * Create (or, for a retried order, keep) the file, owned by uid.  The
 * directory is root's, so the name cannot be a link someone planted;
 * O_NOFOLLOW anyway.
 */
static void progress_create(const char *path, uid_t uid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		log_warn("%s: %s; hang detection cannot see this job's "
			 "progress",
			 path, strerror(errno));
		return;
	}
	if (uid != geteuid() && fchown(fd, uid, (gid_t)-1) < 0)
		log_warn("%s: chown to uid %u: %s", path, (unsigned)uid,
			 strerror(errno));
	close(fd);
}

void progress_launch_prepare(struct agent *ag, struct rpcconn *c,
			     const Colossus__Request *req)
{
	const Colossus__LaunchJob *m = req->launch_job;
	Colossus__Request r2;
	Colossus__LaunchJob m2;
	struct workload *w;
	char path[PATH_MAX], *entry, **env;

	if (!m) {
		launch_prepare(ag, c, req);
		return;
	}
	progress_path(ag, m->job_id, m->epoch, path, sizeof(path));
	entry = xasprintf(PROGRESS_ENV "=%s", path);
	env = xcalloc(m->n_env + 1, sizeof(*env));
	if (m->n_env)
		memcpy(env, m->env, m->n_env * sizeof(*env));
	env[m->n_env] = entry;
	m2 = *m;
	m2.env = env;
	m2.n_env = m->n_env + 1;
	r2 = *req;
	r2.launch_job = &m2;
	launch_prepare(ag, c, &r2);
	free(env);
	free(entry);
	/* Prepared (now, or by an earlier copy of this order): the file
	 * must exist before StartJob lets any rank run. */
	w = workload_find(ag, m->job_id, m->epoch);
	if (!w || w->state != WL_PREPARED)
		return;
	w->progress_timeout_sec = m->progress_timeout_sec;
	w->progress_loaded = true;
	progress_create(path, w->uid);
}

/* After an agent restart: the limit is in the order on disk. */
static void progress_load(struct workload *w)
{
	Colossus__LaunchJob *m;
	size_t len;
	char *buf;

	w->progress_loaded = true;
	buf = wlfile_read(w->dir, WLF_LAUNCH, PROGRESS_ORDER_MAX, &len);
	if (!buf)
		return;
	m = colossus__launch_job__unpack(NULL, len, (const uint8_t *)buf);
	if (m) {
		w->progress_timeout_sec = m->progress_timeout_sec;
		colossus__launch_job__free_unpacked(m, NULL);
	}
	free(buf);
}

static void progress_check(struct progress *p, struct workload *w,
			   int64_t now_ms)
{
	struct agent *ag = p->ag;
	char path[PATH_MAX];
	int64_t last_ms, idle_ms;
	struct stat st;
	struct health_event ev;
	bool touched;

	if (w->state != WL_RUNNING || w->killing || w->hang_reported)
		return;
	if (!w->progress_loaded)
		progress_load(w);
	if (!w->progress_timeout_sec || !w->start_wall)
		return;
	progress_path(ag, w->job_id, w->epoch, path, sizeof(path));
	last_ms = w->start_wall * 1000;
	touched = stat(path, &st) == 0 &&
		  (int64_t)st.st_mtim.tv_sec * 1000 +
				  st.st_mtim.tv_nsec / 1000000 >
			  last_ms;
	if (touched)
		last_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
			  st.st_mtim.tv_nsec / 1000000;
	idle_ms = now_ms - last_ms;
	if (idle_ms <= (int64_t)w->progress_timeout_sec * 1000)
		return;
	w->hang_reported = true;
	p->hangs++;
	memset(&ev, 0, sizeof(ev));
	ev.gpu_index = -1;
	snprintf(ev.kind, sizeof(ev.kind), "hang");
	snprintf(ev.source, sizeof(ev.source), "agent");
	ev.job_id = w->job_id;
	ev.epoch = w->epoch;
	snprintf(ev.detail, sizeof(ev.detail),
		 "no progress for %" PRId64 " s (limit %u s; %s)",
		 idle_ms / 1000, w->progress_timeout_sec,
		 touched ? "progress file last touched then"
			 : "progress file never touched since the start");
	log_warn("job=%" PRIu64 " epoch=%u: hung: %s", w->job_id, w->epoch,
		 ev.detail);
	health_push(ag, &ev);
}

/* Remove the files of incarnations this node no longer holds. */
static void progress_sweep(struct progress *p)
{
	struct agent *ag = p->ag;
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/" PROGRESS_DIR, ag->cfg.state_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		uint64_t job;
		unsigned epoch;
		int used = 0;

		if (sscanf(de->d_name, "job-%" SCNu64 "-%u%n", &job, &epoch,
			   &used) != 2 ||
		    de->d_name[used] || workload_find(ag, job, epoch))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT)
			log_sub(LOG_SUB_HEALTH, "%s: %s", path,
				strerror(errno));
	}
	closedir(d);
}

static void progress_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct progress *p = arg;
	int64_t now = util_now_wall_ms(), mono = util_now_mono_ms();

	(void)fd;
	(void)what;
	for (struct workload *w = p->ag->workloads; w; w = w->next)
		progress_check(p, w, now);
	if (mono - p->last_sweep_ms >= PROGRESS_SWEEP_MS) {
		p->last_sweep_ms = mono;
		progress_sweep(p);
	}
}

int progress_start(struct agent *ag, struct err *e)
{
	struct progress *p;
	char dir[PATH_MAX];
	struct timeval tv = { PROGRESS_CHECK_MS / 1000,
			      (PROGRESS_CHECK_MS % 1000) * 1000 };
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/" PROGRESS_DIR, ag->cfg.state_dir);
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return err_set(e, "%s: %s", dir, strerror(errno));
	/* Ranks may reach their file but not list, create or replace. */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || chmod(dir, 0711) < 0)
		return err_set(e, "%s must be a directory of the agent's user",
			       dir);
	p = xcalloc(1, sizeof(*p));
	p->ag = ag;
	p->timer = event_new(ag->base, -1, EV_PERSIST, progress_timer_cb, p);
	event_add(p->timer, &tv);
	ag->progress = p;
	ag->prepare_fn = progress_launch_prepare;
	return 0;
}

void progress_stop(struct agent *ag)
{
	struct progress *p = ag->progress;

	if (!p)
		return;
	ag->prepare_fn = NULL;
	event_free(p->timer);
	free(p);
	ag->progress = NULL;
}
