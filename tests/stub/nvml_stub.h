/*
 * Internals shared by the two halves of the NVML test stub: the exported
 * NVML calls (nvml_stub.c, which documents the script format) and the
 * script parser (nvml_stub_script.c).  Everything here is hidden from the
 * shared object's dynamic symbol table.
 */
#ifndef TESTS_STUB_NVML_STUB_H
#define TESTS_STUB_NVML_STUB_H

#include <stdbool.h>
#include <stddef.h>

#include "nodeagent/nvml_abi.h"

#define STUB_HIDDEN __attribute__((visibility("hidden")))
#define STUB_MAX_GPUS 16
#define STUB_MAX_EVENTS 64
#define STUB_UNSET (~0ULL)

/* Declare each export with the agent's function type: a definition that
 * does not match it is then a compile error. */
#define STUB_EXPORT(type, name) extern __typeof__(*(type)0) name
#define STUB_SUPPORTED_EVENTS                                                  \
	(nvmlEventTypeSingleBitEccError | nvmlEventTypeDoubleBitEccError |     \
	 nvmlEventTypePState | nvmlEventTypeXidCriticalError |                 \
	 nvmlEventTypeClock | nvmlEventTypeGpuUnavailableError |               \
	 nvmlEventTypeGpuRecoveryAction)

enum stub_what {
	W_TEMP,
	W_THRESHOLDS,
	W_POWER,
	W_ECC,
	W_REMAP,
	W_PCIE,
	W_THROTTLE,
	W_NVLINK,
	W_NVLINK_COUNTERS,
	W_CLOCKS,
	W_RECOVERY,
	W_PROCESSES,
	W_NUMA,
	W_EVENTS,
	W_COUNT
};

struct stub_gpu {
	char name[96];
	char uuid[96];
	char serial[32];
	unsigned domain, bus, device;
	long long lost_at_ms; /* -1: never */
	bool unsupported[W_COUNT];
	/* Numeric keys of "set", in the order of stub_keys[]. */
	unsigned long long memory_mib, minor, numa, temp, slowdown, shutdown;
	unsigned long long power_mw, power_limit_mw;
	unsigned long long ecc_sbe_vol, ecc_dbe_vol, ecc_sbe_agg, ecc_dbe_agg;
	unsigned long long remap_cor, remap_unc, remap_pending, remap_failure;
	unsigned long long pcie_replay, pcie_gen, pcie_gen_max, pcie_width;
	unsigned long long pcie_width_max, throttle, nvlinks, nvlink_down;
	unsigned long long nvlink_replay, nvlink_recovery, nvlink_crc;
	unsigned long long sm_clock, sm_clock_max, recovery, processes;
	unsigned long long supported_events;
};

struct stub_event {
	int gpu;
	unsigned long long type;
	unsigned long long data;
	long long at_ms;
	bool delivered;
};

struct stub_evset {
	unsigned long long mask[STUB_MAX_GPUS];
};

struct stub_state {
	bool initialized;
	long long t0_ms;
	unsigned ngpus;
	char driver[80];
	struct stub_gpu gpu[STUB_MAX_GPUS];
	struct stub_event ev[STUB_MAX_EVENTS];
	unsigned nev;
	unsigned legacy_calls;
};

/* The one stub instance; reset by every nvmlInit. */
extern struct stub_state stub STUB_HIDDEN;

/* CLOCK_MONOTONIC in milliseconds. */
long long stub_now_ms(void) STUB_HIDDEN;
/*
 * Reset the state to the defaults and apply $NVML_STUB_SCRIPT.  Returns
 * what nvmlInit must return: SUCCESS, the scripted init_error, or UNKNOWN
 * for a broken script.
 */
nvmlReturn_t stub_load_script(void) STUB_HIDDEN;

#endif
