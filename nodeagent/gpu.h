/*
 * GPU backends: where the agent learns what GPUs it has, how they are
 * doing, and which faults they raise.
 *
 *   nvml  libnvidia-ml.so.1 loaded at run time with dlopen (never linked);
 *         versioned symbols resolved one by one, a missing symbol only
 *         disables its metric.  Blocking NVML calls (event waits, polls)
 *         run on a worker thread that hands results to the event loop
 *         through event_fd (see ../shared/HEALTH.md section 2).
 *   sim   an inventory from the config (8 x H100 by default) with fault
 *         injection through gpu_backend_command(), for tests, demos and
 *         the cluster simulator.
 *   none  no GPUs (also what nvml degrades to when the library is absent).
 *
 * XIDs are also read from the kernel log (/dev/kmsg "NVRM: Xid" lines);
 * events from both sources are de-duplicated before they reach the caller.
 *
 * All functions are called from the agent's event loop thread only.
 */
#ifndef NODEAGENT_GPU_H
#define NODEAGENT_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define GPU_MAX 16
#define GPU_UUID_LEN 96
#define GPU_MODEL_LEN 64
#define GPU_BUSID_LEN 32
#define GPU_SERIAL_LEN 32

struct gpu_dev {
	unsigned index;
	char uuid[GPU_UUID_LEN];
	char model[GPU_MODEL_LEN]; /* short name: "H100", "H200" */
	uint64_t memory_mib;
	char pci_bus_id[GPU_BUSID_LEN]; /* "00000000:18:00.0" */
	int numa_node;			/* -1 if unknown */
	char serial[GPU_SERIAL_LEN];
	unsigned minor; /* /dev/nvidia<minor> */
};

struct gpu_inventory {
	unsigned count;
	struct gpu_dev gpus[GPU_MAX];
	char driver_version[80];
	char backend[16]; /* "nvml", "sim", "none" */
	/*
	 * Empty when the backend works.  Otherwise why it gave no GPUs, e.g.
	 * "libnvidia-ml.so.1 not found" or "NVML: driver/library version
	 * mismatch (LIB_RM_VERSION_MISMATCH)": the controller shows the node
	 * as config-degraded, not as a hardware fault.
	 */
	char problem[256];
};

/* Bits of gpu_sample.valid: which readings the backend could take. */
enum gpu_field {
	GPU_F_TEMP = 1 << 0,
	GPU_F_POWER = 1 << 1,
	GPU_F_ECC = 1 << 2,
	GPU_F_REMAP = 1 << 3,
	GPU_F_PCIE = 1 << 4,
	GPU_F_THROTTLE = 1 << 5,
	GPU_F_NVLINK = 1 << 6,
	GPU_F_CLOCKS = 1 << 7,
	GPU_F_RECOVERY = 1 << 8,
	GPU_F_THRESHOLDS = 1 << 9,
	GPU_F_PROCESSES = 1 << 10,
};

/* NVML clock event (throttle) reason bits, as in nvml.h. */
#define GPU_THROTTLE_HW_SLOWDOWN 0x8ull
#define GPU_THROTTLE_SW_THERMAL 0x20ull
#define GPU_THROTTLE_HW_THERMAL 0x40ull
#define GPU_THROTTLE_HW_POWER_BRAKE 0x80ull

/* NVML_FI_DEV_GET_GPU_RECOVERY_ACTION values. */
enum gpu_recovery_action {
	GPU_RECOVERY_NONE = 0,
	GPU_RECOVERY_GPU_RESET = 1,
	GPU_RECOVERY_NODE_REBOOT = 2,
	GPU_RECOVERY_DRAIN_P2P = 3,
	GPU_RECOVERY_DRAIN_AND_RESET = 4,
};

struct gpu_sample {
	unsigned index;
	unsigned valid; /* enum gpu_field bits */
	int temp_c;
	int slowdown_temp_c; /* NVML threshold; 0 if unknown */
	int shutdown_temp_c;
	unsigned power_mw;
	unsigned power_limit_mw;
	uint64_t ecc_sbe_volatile;
	uint64_t ecc_dbe_volatile;
	uint64_t ecc_sbe_aggregate;
	uint64_t ecc_dbe_aggregate;
	unsigned remap_correctable;
	unsigned remap_uncorrectable;
	bool remap_pending;
	bool remap_failure;
	unsigned pcie_replay;
	unsigned pcie_width, pcie_width_max;
	unsigned pcie_gen, pcie_gen_max;
	uint64_t throttle_reasons;
	unsigned nvlink_count;	   /* links present */
	uint64_t nvlink_down_mask; /* bit i = link i inactive */
	uint64_t nvlink_replay;	   /* summed over links */
	uint64_t nvlink_recovery;
	uint64_t nvlink_crc;
	unsigned sm_clock_mhz;
	unsigned sm_clock_max_mhz;
	unsigned recovery_action; /* enum gpu_recovery_action */
	unsigned processes;	  /* running compute processes */
	/* Added: the GPU is gone (GPU_IS_LOST, "lost" command); valid is 0. */
	bool lost;
	int64_t time_ms; /* added: wall clock of the reading; 0 = none yet */
};

enum gpu_event_kind {
	GPU_EVENT_XID = 1, /* code = XID number */
	GPU_EVENT_DBE = 2, /* double-bit ECC error */
	/* Fallen off the bus / GPU_IS_LOST (== XID 79); code = 79. */
	GPU_EVENT_GPU_LOST = 3,
	GPU_EVENT_RECOVERY = 4, /* code = enum gpu_recovery_action */
	/* The backend itself failed; text says why. */
	GPU_EVENT_BACKEND_ERROR = 5,
};

enum gpu_event_source {
	GPU_SRC_NVML = 1,
	GPU_SRC_KMSG = 2,
	GPU_SRC_SIM = 3,
};

struct gpu_event {
	int gpu_index; /* -1 when the GPU could not be identified */
	enum gpu_event_kind kind;
	unsigned code;
	int64_t time_ms; /* wall clock when observed */
	enum gpu_event_source source;
	char pci_bus_id[GPU_BUSID_LEN];
	char text[160];
};

struct gpu_backend_cfg {
	const char *kind;	  /* "nvml", "sim" or "none" */
	const char *nvml_library; /* default "libnvidia-ml.so.1" */
	/*
	 * Kernel log to scan for XIDs.  NULL: "/dev/kmsg" for nvml, nothing
	 * for sim and none (a simulated node must not pick up the host's
	 * real faults); "" = do not read.
	 */
	const char *kmsg_path;
	unsigned poll_interval_ms; /* telemetry poll; 0 = 5000 */
	/* sim: */
	const char *sim_model; /* default "H100" */
	unsigned sim_gpus;     /* default 8 */
	const char *sim_node;  /* used to derive stable fake UUIDs */
};

struct gpu_backend;

/*
 * Open a backend.  Never fails for "nvml" because NVML is missing: it
 * returns a backend with no GPUs whose inventory.problem says why.
 * Returns NULL with e set only for an invalid configuration.
 */
struct gpu_backend *gpu_backend_open(const struct gpu_backend_cfg *cfg,
				     struct err *e);
/* Stops the worker thread, unloads the library.  No-op on NULL. */
void gpu_backend_close(struct gpu_backend *b);
const struct gpu_inventory *gpu_backend_inventory(const struct gpu_backend *b);
/*
 * A file descriptor that becomes readable when new events or samples are
 * ready; the loop then calls gpu_backend_drain_events().  -1 if none.
 */
int gpu_backend_event_fd(const struct gpu_backend *b);
/* Move up to max de-duplicated events into out; returns how many. */
size_t gpu_backend_drain_events(struct gpu_backend *b, struct gpu_event *out,
				size_t max);
/* Copy the latest sample of every GPU into out (max entries); returns count. */
size_t gpu_backend_samples(struct gpu_backend *b, struct gpu_sample *out,
			   size_t max);
/*
 * Fault injection and scripted readings (sim backend only), one command
 * per call, e.g. "xid 3 79", "temp 2 91", "ecc 0 dbe 1", "nvlink 1 down 4",
 * "remap 5 pending", "clear 3".  See docs/gpu-backends.md.  Returns 0 and
 * writes a short reply into e->msg (e may be NULL), or -1 with e set
 * (unknown command, bad GPU index or number, not the sim backend).
 * Events it raises are queued before it returns and wake the event fd.
 */
int gpu_backend_command(struct gpu_backend *b, const char *line,
			struct err *e) MUSTCHECK;

#endif
