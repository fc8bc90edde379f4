/*
 * GPU backend core: gpu_backend_open() dispatch, the "none" backend, and
 * the machinery every backend shares (see gpu_int.h): event queue with
 * de-duplication, latest samples, the wake-up eventfd, the kernel log
 * reader and the worker thread.
 *
 * Why one worker thread and not the loop: NVML's event wait blocks and
 * its calls are not all thread-safe, so they get one dedicated thread.
 * /dev/kmsg is read on the same thread, between NVML waits (which return
 * at least once a second), because the loop can only watch the one fd
 * gpu.h exports; a kernel log line therefore reaches the loop within about
 * a second, inside the detection budget of HEALTH.md section 3.2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/gpu_int.h"

void gpu_copy(char *dst, size_t size, const char *src)
{
	size_t len;

	if (size == 0)
		return;
	len = src ? strlen(src) : 0;
	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

void gpu_model_short(const char *name, char *out, size_t outlen)
{
	static const char *const known[] = { "H100", "H200" };
	const char *p = name;
	size_t len;

	while (*p) {
		size_t tok;

		while (*p == ' ')
			p++;
		tok = strcspn(p, " ");
		for (size_t k = 0; k < ARRAY_SIZE(known); k++) {
			size_t kl = strlen(known[k]);

			/* "H100", "H100-SXM5-80GB"; not "H1000" or "GH200". */
			if (tok >= kl && !memcmp(p, known[k], kl) &&
			    (tok == kl || !isalnum((unsigned char)p[kl]))) {
				gpu_copy(out, outlen, known[k]);
				return;
			}
		}
		p += tok;
	}
	while (isspace((unsigned char)*name))
		name++;
	len = strlen(name);
	while (len > 0 && isspace((unsigned char)name[len - 1]))
		len--;
	if (outlen == 0)
		return;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, name, len);
	out[len] = '\0';
}

struct gpu_backend *gpu_core_create(const char *backend,
				    const struct gpu_backend_ops *ops,
				    unsigned poll_interval_ms, struct err *e)
{
	struct gpu_backend *b = xcalloc(1, sizeof(*b));

	b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->stop_fd =
		b->wake_fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_fd < 0) {
		err_set(e, "gpu: eventfd: %s", strerror(errno));
		if (b->wake_fd >= 0)
			close(b->wake_fd);
		free(b);
		return NULL;
	}
	b->ops = ops;
	gpu_copy(b->inv.backend, sizeof(b->inv.backend), backend);
	b->poll_interval_ms =
		poll_interval_ms ? poll_interval_ms : GPU_POLL_DEFAULT_MS;
	atomic_init(&b->stop, false);
	pthread_mutex_init(&b->lock, NULL);
	xid_dedup_init(&b->dedup, XID_DEDUP_WINDOW_MS);
	return b;
}

void gpu_core_inventory_done(struct gpu_backend *b)
{
	for (unsigned i = 0; i < b->inv.count; i++) {
		if (kmsg_busid_normalize(b->inv.gpus[i].pci_bus_id,
					 b->busid_norm[i],
					 sizeof(b->busid_norm[i])) < 0)
			b->busid_norm[i][0] = '\0';
		b->latest[i].index = i;
	}
}

int gpu_core_gpu_by_busid(const struct gpu_backend *b, const char *norm)
{
	if (!norm || !*norm)
		return -1;
	for (unsigned i = 0; i < b->inv.count; i++)
		if (!strcmp(b->busid_norm[i], norm))
			return (int)i;
	return -1;
}

bool gpu_core_stopping(struct gpu_backend *b)
{
	return atomic_load(&b->stop);
}

void gpu_core_signal(struct gpu_backend *b)
{
	uint64_t one = 1;

	if (write(b->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so it is readable. */
	}
}

bool gpu_core_wait(struct gpu_backend *b, int ms)
{
	struct pollfd pfd[2];
	nfds_t n = 0;

	pfd[n].fd = b->stop_fd;
	pfd[n++].events = POLLIN;
	if (kmsg_reader_pollable(b->kmsg)) {
		pfd[n].fd = kmsg_reader_fd(b->kmsg);
		pfd[n++].events = POLLIN;
	}
	if (ms > 0 && !gpu_core_stopping(b) && poll(pfd, n, ms) < 0) {
		/* EINTR: the caller simply loops again. */
	}
	return gpu_core_stopping(b);
}

static bool gpu_core_dedup_kind(enum gpu_event_kind kind)
{
	return kind == GPU_EVENT_XID || kind == GPU_EVENT_DBE ||
	       kind == GPU_EVENT_GPU_LOST || kind == GPU_EVENT_RECOVERY;
}

void gpu_core_push_event(struct gpu_backend *b, const struct gpu_event *in)
{
	struct gpu_event ev = *in;
	char norm[KMSG_BUSID_LEN];
	bool queued = false;

	if (!ev.time_ms)
		ev.time_ms = util_now_wall_ms();
	if (ev.gpu_index >= (int)b->inv.count)
		ev.gpu_index = -1;
	if (!ev.pci_bus_id[0] && ev.gpu_index >= 0)
		gpu_copy(ev.pci_bus_id, sizeof(ev.pci_bus_id),
			 b->inv.gpus[ev.gpu_index].pci_bus_id);
	if (kmsg_busid_normalize(ev.pci_bus_id, norm, sizeof(norm)) < 0)
		norm[0] = '\0';

	pthread_mutex_lock(&b->lock);
	if (!gpu_core_dedup_kind(ev.kind) ||
	    xid_dedup_admit(&b->dedup, ev.gpu_index, norm, (int)ev.kind,
			    ev.code, ev.time_ms)) {
		if (b->q_len < GPU_QUEUE_LEN) {
			b->queue[(b->q_head + b->q_len) % GPU_QUEUE_LEN] = ev;
			b->q_len++;
		} else {
			/*
			 * Keep the oldest: the first event of a burst is the
			 * one closest to the root cause.
			 */
			b->q_dropped++;
		}
		queued = true;
	}
	pthread_mutex_unlock(&b->lock);
	if (queued)
		gpu_core_signal(b);
}

void gpu_core_event(struct gpu_backend *b, int gpu, enum gpu_event_kind kind,
		    unsigned code, enum gpu_event_source src, const char *fmt,
		    ...)
{
	struct gpu_event ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	ev.gpu_index = gpu;
	ev.kind = kind;
	ev.code = code;
	ev.source = src;
	va_start(ap, fmt);
	if (vsnprintf(ev.text, sizeof(ev.text), fmt, ap) < 0)
		ev.text[0] = '\0';
	va_end(ap);
	gpu_core_push_event(b, &ev);
}

void gpu_core_forget_gpu(struct gpu_backend *b, int gpu)
{
	pthread_mutex_lock(&b->lock);
	xid_dedup_forget_gpu(&b->dedup, gpu);
	pthread_mutex_unlock(&b->lock);
}

void gpu_core_publish(struct gpu_backend *b, const struct gpu_sample *s,
		      size_t n)
{
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++)
		if (s[i].index < GPU_MAX)
			b->latest[s[i].index] = s[i];
	pthread_mutex_unlock(&b->lock);
	gpu_core_signal(b);
}

static void gpu_core_kmsg_cb(const struct kmsg_record *rec, void *arg)
{
	struct gpu_backend *b = arg;
	struct gpu_event ev;

	memset(&ev, 0, sizeof(ev));
	switch (rec->kind) {
	case KMSG_XID:
		ev.kind = GPU_EVENT_XID;
		ev.code = rec->code;
		break;
	case KMSG_GPU_LOST:
		ev.kind = GPU_EVENT_GPU_LOST;
		ev.code = GPU_LOST_XID;
		break;
	default:
		/* SXid: an NVSwitch fault, not one of our GPUs'. */
		return;
	}
	ev.source = GPU_SRC_KMSG;
	ev.gpu_index = gpu_core_gpu_by_busid(b, rec->bus_id);
	if (ev.gpu_index < 0)
		gpu_copy(ev.pci_bus_id, sizeof(ev.pci_bus_id), rec->bus_id);
	gpu_copy(ev.text, sizeof(ev.text), rec->text);
	gpu_core_push_event(b, &ev);
}

static void *gpu_core_worker(void *arg)
{
	struct gpu_backend *b = arg;

	while (!gpu_core_stopping(b)) {
		if (b->ops->work)
			b->ops->work(b);
		else
			gpu_core_wait(b, GPU_WAIT_MAX_MS);
		if (b->kmsg &&
		    kmsg_reader_read(b->kmsg, gpu_core_kmsg_cb, b) < 0) {
			/*
			 * Report once and stop reading: a broken fd would stay
			 * readable and make gpu_core_wait() spin.  NVML events
			 * keep working without it.
			 */
			gpu_core_event(b, -1, GPU_EVENT_BACKEND_ERROR, 0,
				       GPU_SRC_KMSG, "kernel log read: %s",
				       strerror(errno));
			kmsg_reader_close(b->kmsg);
			b->kmsg = NULL;
		}
	}
	return NULL;
}

int gpu_core_start(struct gpu_backend *b, const char *kmsg_path, struct err *e)
{
	sigset_t all, old;
	int rc;

	if (kmsg_path && *kmsg_path) {
		struct err ke;

		b->kmsg = kmsg_reader_open(kmsg_path, &ke);
		if (!b->kmsg)
			log_warn("gpu: kernel log not read: %s", ke.msg);
	}
	if (!b->ops->work && !b->kmsg)
		return 0;
	/* The worker must never take the loop's signals (SIGCHLD, ...). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&b->worker, NULL, gpu_core_worker, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return err_set(e, "cannot start the GPU worker thread: %s",
			       strerror(rc));
	b->worker_started = true;
	return 0;
}

/* The "none" backend: no GPUs, no commands; kmsg only if asked for. */
static const struct gpu_backend_ops gpu_none_ops = { 0 };

static struct gpu_backend *gpu_none_open(const struct gpu_backend_cfg *cfg,
					 struct err *e)
{
	struct gpu_backend *b = gpu_core_create("none", &gpu_none_ops,
						cfg->poll_interval_ms, e);

	if (!b)
		return NULL;
	gpu_core_inventory_done(b);
	if (gpu_core_start(b, cfg->kmsg_path, e) < 0) {
		gpu_backend_close(b);
		return NULL;
	}
	return b;
}

struct gpu_backend *gpu_backend_open(const struct gpu_backend_cfg *cfg,
				     struct err *e)
{
	const char *kind = cfg->kind;

	if (!kind || !*kind) {
		err_set(e, "gpu backend not set (nvml, sim or none)");
		return NULL;
	}
	if (!strcmp(kind, "nvml"))
		return gpu_nvml_open(cfg, e);
	if (!strcmp(kind, "sim"))
		return gpu_sim_open(cfg, e);
	if (!strcmp(kind, "none"))
		return gpu_none_open(cfg, e);
	err_set(e, "unknown gpu backend '%.32s' (nvml, sim or none)", kind);
	return NULL;
}

void gpu_backend_close(struct gpu_backend *b)
{
	int saved = errno;

	if (!b)
		return;
	if (b->worker_started) {
		uint64_t one = 1;

		atomic_store(&b->stop, true);
		if (write(b->stop_fd, &one, sizeof(one)) < 0) {
			/* Saturated counter: already readable. */
		}
		pthread_join(b->worker, NULL);
	}
	/* Single-threaded from here on: the backend may call its library. */
	if (b->ops->fini)
		b->ops->fini(b);
	kmsg_reader_close(b->kmsg);
	close(b->wake_fd);
	close(b->stop_fd);
	pthread_mutex_destroy(&b->lock);
	free(b);
	errno = saved;
}

const struct gpu_inventory *gpu_backend_inventory(const struct gpu_backend *b)
{
	return &b->inv;
}

int gpu_backend_event_fd(const struct gpu_backend *b)
{
	return b->wake_fd;
}

size_t gpu_backend_drain_events(struct gpu_backend *b, struct gpu_event *out,
				size_t max)
{
	uint64_t count;
	size_t n = 0;
	bool more;

	/* Reset the eventfd first so a push racing with us re-arms it. */
	if (read(b->wake_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing signalled; the queue decides anyway. */
	}
	pthread_mutex_lock(&b->lock);
	if (b->q_dropped && n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].gpu_index = -1;
		out[n].kind = GPU_EVENT_BACKEND_ERROR;
		out[n].time_ms = util_now_wall_ms();
		out[n].source = strcmp(b->inv.backend, "sim") ? GPU_SRC_NVML
							      : GPU_SRC_SIM;
		snprintf(out[n].text, sizeof(out[n].text),
			 "gpu event queue overflow: %u events dropped",
			 b->q_dropped);
		b->q_dropped = 0;
		n++;
	}
	while (n < max && b->q_len) {
		out[n++] = b->queue[b->q_head];
		b->q_head = (b->q_head + 1) % GPU_QUEUE_LEN;
		b->q_len--;
	}
	more = b->q_len || b->q_dropped;
	pthread_mutex_unlock(&b->lock);
	if (more)
		gpu_core_signal(b);
	return n;
}

size_t gpu_backend_samples(struct gpu_backend *b, struct gpu_sample *out,
			   size_t max)
{
	size_t n;

	if (b->ops->samples)
		return b->ops->samples(b, out, max);
	pthread_mutex_lock(&b->lock);
	n = MIN((size_t)b->inv.count, max);
	memcpy(out, b->latest, n * sizeof(*out));
	pthread_mutex_unlock(&b->lock);
	return n;
}

int gpu_backend_command(struct gpu_backend *b, const char *line, struct err *e)
{
	if (!b->ops->command)
		return err_set(e,
			       "gpu commands need the sim backend (this is %s)",
			       b->inv.backend);
	return b->ops->command(b, line, e);
}
