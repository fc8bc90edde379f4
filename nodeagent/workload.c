/*
 * Workload table and state directories.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/launch.h"
#include "nodeagent/link.h"
#include "nodeagent/proctree.h"
#include "nodeagent/workload.h"
#include "nodeagent/wlfiles.h"

static uint64_t wl_key(uint64_t job_id, uint32_t epoch)
{
	return job_id << 20 | (epoch & 0xfffff);
}

struct workload *workload_find(struct agent *ag, uint64_t job_id,
			       uint32_t epoch)
{
	return hmap_get(ag->wl_index, wl_key(job_id, epoch));
}

static struct workload *workload_by_wd(struct agent *ag, int wd)
{
	for (struct workload *w = ag->workloads; w; w = w->next)
		if (w->wd == wd)
			return w;
	return NULL;
}

static void workload_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;
	char buf[8192]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			struct workload *w = workload_by_wd(ag, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (w)
				workload_scan(w);
		}
	}
}

static void workload_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	workload_scan_all(arg);
}

/* mkdir -p: parents 0755 (like /var/lib/colossus), the last 0711. */
static int workload_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (!*path || util_strlcpy(buf, path, sizeof(buf)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0711) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int workload_table_init(struct agent *ag, struct err *e)
{
	struct timeval tv = { 2, 0 };
	struct stat st;

	ag->wl_index = hmap_create();
	if (workload_mkdirs(ag->cfg.state_dir) < 0)
		return err_set(e, "cannot create state directory %s: %s",
			       ag->cfg.state_dir, strerror(errno));
	/*
	 * Ranks run as other users.  They may traverse (not list) this
	 * directory to reach their own batch script in scripts/; each
	 * workload directory is 0700, so nothing else here is theirs.
	 */
	if (chmod(ag->cfg.state_dir, 0711) < 0)
		return err_set(e, "chmod %s: %s", ag->cfg.state_dir,
			       strerror(errno));
	/* Someone else's directory could hold forged exits or launch
	 * orders that we would re-adopt and run as root's choice. */
	if (stat(ag->cfg.state_dir, &st) < 0 || st.st_uid != geteuid())
		return err_set(e,
			       "state directory %s does not belong to the "
			       "agent's user (uid %u)",
			       ag->cfg.state_dir, (unsigned)geteuid());
	ag->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ag->inotify_fd < 0)
		return err_set(e, "inotify: %s", strerror(errno));
	ag->inotify_ev =
		event_new(ag->base, ag->inotify_fd, EV_READ | EV_PERSIST,
			  workload_inotify_cb, ag);
	event_add(ag->inotify_ev, NULL);
	/* A safety net: shepherds that died without a SIGCHLD to us (they
	 * are not our children after an agent restart). */
	ag->scan_ev = event_new(ag->base, -1, EV_PERSIST, workload_scan_cb, ag);
	event_add(ag->scan_ev, &tv);
	return 0;
}

void workload_table_fini(struct agent *ag)
{
	while (ag->workloads)
		workload_destroy(ag->workloads, false);
	if (ag->inotify_ev)
		event_free(ag->inotify_ev);
	if (ag->scan_ev)
		event_free(ag->scan_ev);
	if (ag->inotify_fd > 0)
		close(ag->inotify_fd);
	hmap_destroy(ag->wl_index);
}

static void workload_link(struct agent *ag, struct workload *w)
{
	w->ag = ag;
	w->wd = inotify_add_watch(ag->inotify_fd, w->dir,
				  IN_MOVED_TO | IN_CLOSE_WRITE);
	if (w->wd < 0)
		log_warn("job=%" PRIu64 ": inotify watch on %s: %s; relying "
			 "on periodic scans",
			 w->job_id, w->dir, strerror(errno));
	w->next = ag->workloads;
	if (ag->workloads)
		ag->workloads->prev = w;
	ag->workloads = w;
	ag->nworkloads++;
	hmap_put(ag->wl_index, wl_key(w->job_id, w->epoch), w);
}

static void workload_fill(struct workload *w, const Colossus__LaunchJob *m)
{
	w->job_id = m->job_id;
	w->epoch = m->epoch;
	w->nranks = (uint32_t)m->n_ranks;
	w->ranks = xcalloc(w->nranks ? w->nranks : 1, sizeof(*w->ranks));
	for (uint32_t i = 0; i < w->nranks; i++) {
		w->ranks[i].rank = m->ranks[i]->rank;
		w->ranks[i].local_rank = m->ranks[i]->local_rank;
		for (size_t g = 0; g < m->ranks[i]->n_gpus; g++)
			if (m->ranks[i]->gpus[g] < 16)
				w->gpu_mask |=
					(uint16_t)(1u << m->ranks[i]->gpus[g]);
	}
	w->time_limit_sec = m->time_limit_sec;
	w->kill_grace_sec = m->kill_grace_sec ? m->kill_grace_sec : 10;
	w->node_rank = m->node_rank;
	w->num_nodes = m->num_nodes;
}

struct workload *workload_create(struct agent *ag, const Colossus__LaunchJob *m,
				 struct err *e)
{
	struct workload *w = xcalloc(1, sizeof(*w));
	uint8_t *buf;
	size_t len;

	workload_fill(w, m);
	w->state = WL_PREPARED;
	w->prepared_mono_ms = util_now_mono_ms();
	snprintf(w->dir, sizeof(w->dir), "%s/w-%" PRIu64 "-%u",
		 ag->cfg.state_dir, m->job_id, m->epoch);
	if (mkdir(w->dir, 0700) < 0 && errno != EEXIST) {
		err_set(e, "cannot create %s: %s", w->dir, strerror(errno));
		goto fail;
	}
	len = colossus__launch_job__get_packed_size(m);
	buf = xmalloc(len ? len : 1);
	colossus__launch_job__pack(m, buf);
	if (wlfile_write(w->dir, WLF_LAUNCH, buf, len) < 0) {
		err_set(e, "cannot write %s/%s: %s", w->dir, WLF_LAUNCH,
			strerror(errno));
		free(buf);
		wlfile_remove_dir(w->dir);
		goto fail;
	}
	free(buf);
	workload_link(ag, w);
	return w;
fail:
	free(w->ranks);
	free(w);
	return NULL;
}

void workload_destroy(struct workload *w, bool remove_files)
{
	struct agent *ag = w->ag;

	launch_workload_gone(w);
	if (w->wd >= 0 && ag->inotify_fd > 0)
		inotify_rm_watch(ag->inotify_fd, w->wd);
	if (w->prev)
		w->prev->next = w->next;
	else
		ag->workloads = w->next;
	if (w->next)
		w->next->prev = w->prev;
	ag->nworkloads--;
	hmap_del(ag->wl_index, wl_key(w->job_id, w->epoch));
	if (remove_files && wlfile_remove_dir(w->dir) < 0)
		log_warn("job=%" PRIu64 " epoch=%u: cannot remove %s: %s",
			 w->job_id, w->epoch, w->dir, strerror(errno));
	if (w->timer)
		event_free(w->timer);
	free(w->ranks);
	free(w);
}

bool workload_finished(const struct workload *w)
{
	if (w->state == WL_PREPARED)
		return false;
	for (uint32_t i = 0; i < w->nranks; i++)
		if (!w->ranks[i].exited)
			return false;
	return w->done_marker;
}

bool workload_exits_reportable(const struct workload *w)
{
	bool all = w->state != WL_PREPARED;

	for (uint32_t i = 0; i < w->nranks && all; i++)
		all = w->ranks[i].exited;
	/*
	 * The last exit frees the node's GPUs at the controller, so it waits
	 * until the shepherd has killed whatever the ranks left behind.
	 */
	return !all || w->done_marker;
}

static bool workload_all_acked(const struct workload *w)
{
	for (uint32_t i = 0; i < w->nranks; i++)
		if (!w->ranks[i].acked)
			return false;
	return true;
}

void workload_set_cause(struct workload *w, enum wl_cause cause)
{
	char val[64];
	int len;

	if (w->cause != WL_CAUSE_NONE)
		return;
	w->cause = cause;
	w->kill_started_ms = util_now_wall_ms();
	len = snprintf(val, sizeof(val), "%d %" PRId64 "\n", (int)cause,
		       w->kill_started_ms);
	if (wlfile_write(w->dir, WLF_KILL, val, (size_t)len) < 0)
		log_warn("job=%" PRIu64 ": cannot record kill cause: %s",
			 w->job_id, strerror(errno));
}

/* Read exit.<rank> for ranks not yet known to have exited. */
static bool workload_read_exits(struct workload *w)
{
	bool any = false;

	for (uint32_t i = 0; i < w->nranks; i++) {
		struct wl_rank *r = &w->ranks[i];
		char name[64];
		Colossus__RankExit *x;
		size_t len;
		char *buf;

		if (r->exited)
			continue;
		snprintf(name, sizeof(name), WLF_EXIT_PREFIX "%u", r->rank);
		buf = wlfile_read(w->dir, name, 65536, &len);
		if (!buf)
			continue;
		x = colossus__rank_exit__unpack(NULL, len, (uint8_t *)buf);
		free(buf);
		if (!x) {
			log_err("job=%" PRIu64 ": %s/%s is corrupt; reporting "
				"the rank as lost",
				w->job_id, w->dir, name);
			r->cause = COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LOST;
			r->exit_code = 255;
			r->end_time_ms = util_now_wall_ms();
		} else {
			r->exit_code = x->exit_code;
			r->signal = x->signal;
			r->cause = (int)x->cause;
			r->end_time_ms = x->end_time_ms;
			snprintf(r->detail, sizeof(r->detail), "%s",
				 x->detail ? x->detail : "");
			colossus__rank_exit__free_unpacked(x, NULL);
		}
		/* A rank that died after we started stopping it was killed,
		 * whatever the signal says. */
		if (r->cause == COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_NORMAL &&
		    w->cause != WL_CAUSE_NONE &&
		    r->end_time_ms >= w->kill_started_ms)
			r->cause =
				w->cause == WL_CAUSE_TIMEOUT
					? COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_TIMEOUT
					: COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_KILLED;
		r->exited = true;
		any = true;
		log_sub(LOG_SUB_LAUNCH,
			"job=%" PRIu64 " epoch=%u rank=%u exited code=%d "
			"signal=%d cause=%d",
			w->job_id, w->epoch, r->rank, r->exit_code, r->signal,
			r->cause);
	}
	return any;
}

/* The shepherd died without finishing: its ranks are lost. */
static void workload_shepherd_lost(struct workload *w)
{
	log_err("job=%" PRIu64 " epoch=%u: shepherd %d died; killing what is "
		"left and reporting the remaining ranks as lost",
		w->job_id, w->epoch, (int)w->shepherd);
	launch_kill_leftovers(w);
	for (uint32_t i = 0; i < w->nranks; i++) {
		struct wl_rank *r = &w->ranks[i];

		if (r->exited)
			continue;
		r->exited = true;
		r->exit_code = 255;
		r->cause = COLOSSUS__EXIT_CAUSE__EXIT_CAUSE_LOST;
		r->end_time_ms = util_now_wall_ms();
		snprintf(r->detail, sizeof(r->detail), "shepherd process died");
	}
	w->done_marker = true;
}

void workload_scan(struct workload *w)
{
	bool changed = workload_read_exits(w);

	if (!w->done_marker && wlfile_exists(w->dir, WLF_DONE)) {
		w->done_marker = true;
		changed = true;
	}
	if (w->state == WL_RUNNING && !w->done_marker && w->shepherd > 0 &&
	    !proctree_alive(w->shepherd, w->shepherd_start)) {
		/* Maybe it finished between our two reads. */
		workload_read_exits(w);
		if (wlfile_exists(w->dir, WLF_DONE))
			w->done_marker = true;
		else
			workload_shepherd_lost(w);
		changed = true;
	}
	if (w->done_marker && w->state == WL_RUNNING)
		w->state = WL_DONE;
	if (changed) {
		launch_workload_progress(w);
		link_report_exits(w->ag, w);
	}
}

void workload_scan_all(struct agent *ag)
{
	struct workload *w, *next;

	for (w = ag->workloads; w; w = next) {
		next = w->next;
		if (w->state != WL_PREPARED) {
			workload_scan(w);
			/* Exits whose report failed to go out (or was refused)
			 * are retried here rather than at the next change. */
			link_report_exits(ag, w);
		} else {
			launch_check_prepared(w);
		}
	}
}

void workload_exits_acked(struct workload *w, const uint32_t *ranks, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < w->nranks; i++) {
			struct wl_rank *r = &w->ranks[i];
			char name[64];

			if (r->rank != ranks[k] || r->acked)
				continue;
			r->acked = true;
			r->sent = false;
			snprintf(name, sizeof(name), WLF_ACKED_PREFIX "%u",
				 r->rank);
			if (wlfile_write(w->dir, name, "", 0) < 0)
				log_warn("job=%" PRIu64 ": cannot record ack: "
					 "%s",
					 w->job_id, strerror(errno));
		}
	if (workload_finished(w) && workload_all_acked(w)) {
		log_sub(LOG_SUB_LAUNCH,
			"job=%" PRIu64 " epoch=%u: finished "
			"and acknowledged; forgetting it",
			w->job_id, w->epoch);
		workload_destroy(w, true);
	}
}

uint32_t workload_running_ranks(const struct agent *ag)
{
	uint32_t n = 0;

	for (const struct workload *w = ag->workloads; w; w = w->next)
		if (w->state == WL_RUNNING)
			for (uint32_t i = 0; i < w->nranks; i++)
				n += !w->ranks[i].exited;
	return n;
}

static Colossus__Workload *workload_describe(const struct workload *w,
					     bool with_exits)
{
	Colossus__Workload *d = xmalloc(sizeof(*d));

	colossus__workload__init(d);
	d->job_id = w->job_id;
	d->epoch = w->epoch;
	d->ranks = w->nranks;
	d->gpu_mask = w->gpu_mask;
	if (w->state == WL_PREPARED)
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_PREPARED;
	else if (w->killing && !workload_finished(w))
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_KILLING;
	else if (workload_finished(w))
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_EXITED;
	else
		d->state = COLOSSUS__WORKLOAD_STATE__WORKLOAD_STATE_RUNNING;
	if (!with_exits)
		return d;
	d->exits = xcalloc(w->nranks + 1, sizeof(*d->exits));
	for (uint32_t i = 0; i < w->nranks && workload_exits_reportable(w);
	     i++) {
		const struct wl_rank *r = &w->ranks[i];
		Colossus__RankExit *x;

		if (!r->exited || r->acked)
			continue;
		x = xmalloc(sizeof(*x));
		colossus__rank_exit__init(x);
		x->rank = r->rank;
		x->exit_code = r->exit_code;
		x->signal = r->signal;
		x->cause = (Colossus__ExitCause)r->cause;
		x->end_time_ms = r->end_time_ms;
		x->detail = (char *)r->detail;
		d->exits[d->n_exits++] = x;
	}
	return d;
}

size_t workload_list(struct agent *ag, bool for_register,
		     Colossus__Workload ***out)
{
	Colossus__Workload **list =
		xcalloc((size_t)ag->nworkloads + 1, sizeof(*list));
	size_t n = 0;

	for (struct workload *w = ag->workloads; w; w = w->next) {
		if (!for_register && w->final_sent)
			continue;
		list[n++] = workload_describe(w, for_register);
	}
	*out = list;
	return n;
}

void workload_list_free(Colossus__Workload **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < list[i]->n_exits; k++)
			free(list[i]->exits[k]);
		free(list[i]->exits);
		free(list[i]);
	}
	free(list);
}

/* Rebuild one workload from its directory (agent restart). */
static void workload_readopt_one(struct agent *ag, const char *name)
{
	struct workload *w = xcalloc(1, sizeof(*w));
	Colossus__LaunchJob *m = NULL;
	char *buf;
	size_t len;

	snprintf(w->dir, sizeof(w->dir), "%s/%s", ag->cfg.state_dir, name);
	buf = wlfile_read(w->dir, WLF_LAUNCH, 64u << 20, &len);
	if (buf)
		m = colossus__launch_job__unpack(NULL, len, (uint8_t *)buf);
	free(buf);
	if (!m) {
		log_err("state: %s has no readable launch order; removing it",
			w->dir);
		wlfile_remove_dir(w->dir);
		free(w);
		return;
	}
	workload_fill(w, m);
	colossus__launch_job__free_unpacked(m, NULL);
	buf = wlfile_read(w->dir, WLF_CGROUP, sizeof(w->cgroup) - 1, NULL);
	if (buf) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(w->cgroup, sizeof(w->cgroup), "%s", buf);
		free(buf);
	}
	buf = wlfile_read(w->dir, WLF_PORT, 64, NULL);
	if (buf) {
		w->master_port = (uint32_t)strtoul(buf, NULL, 10);
		free(buf);
	}
	buf = wlfile_read(w->dir, WLF_SHEPHERD, 128, NULL);
	if (buf) {
		unsigned long long start = 0;
		int pid = 0;

		if (sscanf(buf, "%d %llu %" SCNd64, &pid, &start,
			   &w->start_wall) >= 2) {
			w->shepherd = pid;
			w->shepherd_start = start;
		}
		free(buf);
	}
	buf = wlfile_read(w->dir, WLF_KILL, 128, NULL);
	if (buf) {
		int cause = 0;

		if (sscanf(buf, "%d %" SCNd64, &cause, &w->kill_started_ms) >=
		    1)
			w->cause = (enum wl_cause)cause;
		w->killing = true;
		free(buf);
	}
	w->state = wlfile_exists(w->dir, WLF_START) ? WL_RUNNING : WL_PREPARED;
	w->prepared_mono_ms = util_now_mono_ms();
	for (uint32_t i = 0; i < w->nranks; i++) {
		char acked[64];

		snprintf(acked, sizeof(acked), WLF_ACKED_PREFIX "%u",
			 w->ranks[i].rank);
		w->ranks[i].acked = wlfile_exists(w->dir, acked);
	}
	workload_link(ag, w);
	log_info("job=%" PRIu64 " epoch=%u: re-adopted (%s, shepherd %d)",
		 w->job_id, w->epoch,
		 w->state == WL_RUNNING ? "running" : "prepared",
		 (int)w->shepherd);
	if (w->state == WL_RUNNING) {
		workload_scan(w);
		if (!workload_finished(w))
			launch_rearm(w);
	}
}

void workload_readopt(struct agent *ag)
{
	DIR *d = opendir(ag->cfg.state_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, "w-", 2))
			workload_readopt_one(ag, de->d_name);
	closedir(d);
}
