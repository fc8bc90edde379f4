/*
 * Internals shared by the GPU backends (gpu.c, gpu_nvml.c, gpu_sim.c);
 * not for other modules, which use gpu.h.
 *
 * The core owns what every backend needs: the inventory, the wake-up fd
 * the loop watches, a bounded event queue with de-duplication, the latest
 * samples, the kernel log reader and the optional worker thread.
 *
 * Threading: the worker thread (if any) and the loop thread share only the
 * fields under "lock" and the stop flag.  The worker calls ops->work and
 * reads kmsg; the loop drains.  Backends never call into the loop.
 */
#ifndef NODEAGENT_GPU_INT_H
#define NODEAGENT_GPU_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "nodeagent/gpu.h"
#include "nodeagent/kmsg.h"
#include "nodeagent/xid_dedup.h"

/* Events waiting for the loop; more are dropped (and counted). */
#define GPU_QUEUE_LEN 256
/* Longest a worker step may block, which bounds gpu_backend_close(). */
#define GPU_WAIT_MAX_MS 1000
#define GPU_POLL_DEFAULT_MS 5000
/* The code carried by GPU_EVENT_GPU_LOST: it is XID 79 by another name. */
#define GPU_LOST_XID 79

struct gpu_backend_ops {
	/*
	 * Worker thread: one step of blocking work, returning within about
	 * GPU_WAIT_MAX_MS or as soon as gpu_core_stopping() turns true.
	 * NULL: the worker only waits for kernel log records.
	 */
	void (*work)(struct gpu_backend *b);
	/* Loop thread: current samples.  NULL: the last published ones. */
	size_t (*samples)(struct gpu_backend *b, struct gpu_sample *out,
			  size_t max);
	/* Loop thread: fault injection.  NULL: not supported. */
	int (*command)(struct gpu_backend *b, const char *line, struct err *e);
	/* After the worker was joined: release priv.  May be NULL. */
	void (*fini)(struct gpu_backend *b);
};

struct gpu_backend {
	const struct gpu_backend_ops *ops;
	void *priv;
	struct gpu_inventory inv;
	/* inv.gpus[i].pci_bus_id normalised, to map kmsg lines to GPUs. */
	char busid_norm[GPU_MAX][KMSG_BUSID_LEN];
	unsigned poll_interval_ms;

	int wake_fd; /* eventfd: readable when the loop has work */
	int stop_fd; /* eventfd: readable when the worker must exit */
	atomic_bool stop;
	bool worker_started;
	pthread_t worker;
	struct kmsg_reader *kmsg; /* used by the worker only once started */

	pthread_mutex_t lock; /* protects the fields below */
	struct gpu_event queue[GPU_QUEUE_LEN];
	size_t q_head;
	size_t q_len;
	unsigned q_dropped;
	struct xid_dedup dedup;
	struct gpu_sample latest[GPU_MAX];
};

/*
 * Allocate a backend with no GPUs; backend is "nvml", "sim" or "none".
 * poll_interval_ms 0 selects GPU_POLL_DEFAULT_MS.  NULL with e set only
 * when no eventfd can be created.  Free with gpu_backend_close().
 */
struct gpu_backend *gpu_core_create(const char *backend,
				    const struct gpu_backend_ops *ops,
				    unsigned poll_interval_ms, struct err *e);
/*
 * Call once inv.gpus[] is filled: derives the normalised bus ids and the
 * empty sample slots.
 */
void gpu_core_inventory_done(struct gpu_backend *b);
/*
 * Open the kernel log reader (kmsg_path NULL or "": none) and start the
 * worker when the backend has blocking work or a kernel log to read.  An
 * unreadable kernel log is logged and skipped: NVML events still work.
 * Returns 0, or -1 with e set if the thread could not be created.
 */
int gpu_core_start(struct gpu_backend *b, const char *kmsg_path,
		   struct err *e) MUSTCHECK;

/* Either thread.  True once gpu_backend_close() asked the worker to stop. */
bool gpu_core_stopping(struct gpu_backend *b);
/*
 * Worker: sleep up to ms, returning early when stopping or when the
 * kernel log has a record.  Returns gpu_core_stopping().
 */
bool gpu_core_wait(struct gpu_backend *b, int ms);
/* Either thread: make the wake-up fd readable. */
void gpu_core_signal(struct gpu_backend *b);
/*
 * Either thread: queue an event unless it is a duplicate, and wake the
 * loop.  Fills time_ms (if 0) and pci_bus_id (if empty and the GPU is
 * known).
 */
void gpu_core_push_event(struct gpu_backend *b, const struct gpu_event *ev);
/* Build and push an event; text is printf-formatted. */
void gpu_core_event(struct gpu_backend *b, int gpu, enum gpu_event_kind kind,
		    unsigned code, enum gpu_event_source src, const char *fmt,
		    ...) PRINTF_LIKE(6, 7);
/* Either thread: forget de-duplication state of one GPU. */
void gpu_core_forget_gpu(struct gpu_backend *b, int gpu);
/* Worker: publish the latest samples (n entries, by index) and wake. */
void gpu_core_publish(struct gpu_backend *b, const struct gpu_sample *s,
		      size_t n);
/* GPU index of a normalised bus id, or -1. */
int gpu_core_gpu_by_busid(const struct gpu_backend *b, const char *norm);

/*
 * Short model name from NVML's product name: "NVIDIA H100 80GB HBM3" ->
 * "H100", likewise H200; any other name is copied with surrounding
 * blanks trimmed.
 */
void gpu_model_short(const char *name, char *out, size_t outlen);

/* Copy a string that may be truncated (names, texts); never fails. */
void gpu_copy(char *dst, size_t size, const char *src);

/* Backend constructors: see gpu_backend_open(). */
struct gpu_backend *gpu_nvml_open(const struct gpu_backend_cfg *cfg,
				  struct err *e);
struct gpu_backend *gpu_sim_open(const struct gpu_backend_cfg *cfg,
				 struct err *e);

#endif
