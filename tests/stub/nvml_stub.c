/*
 * A fake libnvidia-ml.so.1 for tests: a real shared object exporting the
 * NVML symbols the agent resolves, with the ABI of nodeagent/nvml_abi.h
 * (../shared/HEALTH.md section 2), so that the real NVML backend runs
 * unchanged on a machine without a GPU.
 *
 * Built twice.  The default variant exports the versioned names
 * (nvmlInit_v2, nvmlDeviceGetPciInfo_v3, nvmlEventSetWait_v2, ...) and the
 * plain ones, like a current driver.  -DNVML_STUB_OLD builds an old driver:
 * only the plain names of the versioned calls (with their shorter v1
 * structs), nvmlDeviceGetCurrentClocksThrottleReasons instead of
 * ...EventReasons, and no nvmlDeviceGetFieldValues or
 * nvmlDeviceGetNumaNodeId.
 *
 * In the default variant the plain (legacy) names work but are counted;
 * nvml_stub_legacy_calls() returns the count so a test can check that the
 * agent preferred the versioned names.
 *
 * Behaviour is scripted by the file named in $NVML_STUB_SCRIPT, read at
 * every nvmlInit (no variable: 8 healthy H100s).  One directive per line;
 * '#' starts a comment; GPU is an index or "all"; numbers are decimal or
 * 0x-hex; "after_ms N" counts from nvmlInit.
 *
 *   gpus N                        number of GPUs (default 8, at most 16)
 *   init_error CODE               nvmlInit returns CODE (e.g. 18)
 *   driver VERSION                nvmlSystemGetDriverVersion (550.54.15)
 *   set GPU KEY VALUE             a reading or identity, KEY one of:
 *       name (rest of line), uuid, serial, busid    strings
 *       memory_mib minor numa temp slowdown shutdown power_mw
 *       power_limit_mw ecc_sbe_vol ecc_dbe_vol ecc_sbe_agg ecc_dbe_agg
 *       remap_cor remap_unc remap_pending remap_failure pcie_replay
 *       pcie_gen pcie_gen_max pcie_width pcie_width_max throttle nvlinks
 *       nvlink_down (mask) nvlink_replay nvlink_recovery nvlink_crc
 *       sm_clock sm_clock_max recovery processes supported_events
 *     (NVLink counters are reported on link 0; CRC as flit CRC.)
 *   unsupported GPU WHAT          calls for WHAT answer NOT_SUPPORTED:
 *       temp thresholds power ecc remap pcie throttle nvlink
 *       nvlink_counters clocks recovery processes numa events
 *   lost GPU [after_ms N]         every call on the GPU then returns
 *                                 GPU_IS_LOST (its handle still works)
 *   event GPU xid CODE [after_ms N]
 *   event GPU dbe [after_ms N]
 *   event GPU unavailable [after_ms N]
 *   event GPU recovery ACTION [after_ms N]   sets field 230, then signals
 *                                 nvmlEventSetWait delivers each event once,
 *                                 when due, if its type is registered.
 *
 * Defaults per GPU i: "NVIDIA H100 80GB HBM3", 81559 MiB, uuid
 * GPU-abcd000i-1111-2222-3333-00000000000i, serial STUB00000000i, the
 * DGX H100 bus ids 00000000:18:00.0, 2A, 3A, 5D, 9A, AB, BA, DB (then
 * 0x60+i), minor i, NUMA 0 for the first half and 1 for the second,
 * 40 C, slowdown 87, shutdown 92, 100 W of 700 W, no ECC errors or
 * remapped rows, PCIe gen 5 x16, 18 NVLinks up, SM clock 1980/1980 MHz,
 * recovery action 0, no processes.
 *
 * A script error makes nvmlInit return UNKNOWN and prints the line to
 * stderr, so a broken test fails loudly.  Not thread-safe beyond what the
 * agent needs: one thread at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/stub/nvml_stub.h"

struct stub_state stub;

long long stub_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The GPU behind a handle, or NULL (then *rc says why). */
static struct stub_gpu *stub_dev(nvmlDevice_t dev, nvmlReturn_t *rc)
{
	struct stub_gpu *g = (struct stub_gpu *)(void *)dev;

	if (!stub.initialized) {
		*rc = NVML_ERROR_UNINITIALIZED;
		return NULL;
	}
	if (g < stub.gpu || g >= stub.gpu + stub.ngpus) {
		*rc = NVML_ERROR_INVALID_ARGUMENT;
		return NULL;
	}
	if (g->lost_at_ms >= 0 && stub_now_ms() - stub.t0_ms >= g->lost_at_ms) {
		*rc = NVML_ERROR_GPU_IS_LOST;
		return NULL;
	}
	*rc = NVML_SUCCESS;
	return g;
}

/* Look up dev into g, or return the error; then check WHAT support. */
#define STUB_GPU(dev, what)                                                    \
	nvmlReturn_t rc_;                                                      \
	struct stub_gpu *g = stub_dev((dev), &rc_);                            \
	if (!g)                                                                \
		return rc_;                                                    \
	if ((int)(what) >= 0 && g->unsupported[(int)(what)])                   \
	return NVML_ERROR_NOT_SUPPORTED

STUB_EXPORT(nvmlInit_fn, nvmlInit);
STUB_EXPORT(nvmlShutdown_fn, nvmlShutdown);
STUB_EXPORT(nvmlErrorString_fn, nvmlErrorString);
STUB_EXPORT(nvmlSystemGetDriverVersion_fn, nvmlSystemGetDriverVersion);
STUB_EXPORT(nvmlDeviceGetCount_fn, nvmlDeviceGetCount);
STUB_EXPORT(nvmlDeviceGetHandleByIndex_fn, nvmlDeviceGetHandleByIndex);
STUB_EXPORT(nvmlDeviceGetUUID_fn, nvmlDeviceGetUUID);
STUB_EXPORT(nvmlDeviceGetName_fn, nvmlDeviceGetName);
STUB_EXPORT(nvmlDeviceGetSerial_fn, nvmlDeviceGetSerial);
STUB_EXPORT(nvmlDeviceGetPciInfo_fn, nvmlDeviceGetPciInfo);
STUB_EXPORT(nvmlDeviceGetMinorNumber_fn, nvmlDeviceGetMinorNumber);
STUB_EXPORT(nvmlDeviceGetMemoryInfo_fn, nvmlDeviceGetMemoryInfo);
STUB_EXPORT(nvmlDeviceGetTemperature_fn, nvmlDeviceGetTemperature);
STUB_EXPORT(nvmlDeviceGetTemperatureThreshold_fn,
	    nvmlDeviceGetTemperatureThreshold);
STUB_EXPORT(nvmlDeviceGetPowerUsage_fn, nvmlDeviceGetPowerUsage);
STUB_EXPORT(nvmlDeviceGetEnforcedPowerLimit_fn,
	    nvmlDeviceGetEnforcedPowerLimit);
STUB_EXPORT(nvmlDeviceGetTotalEccErrors_fn, nvmlDeviceGetTotalEccErrors);
STUB_EXPORT(nvmlDeviceGetRemappedRows_fn, nvmlDeviceGetRemappedRows);
STUB_EXPORT(nvmlDeviceGetPcieReplayCounter_fn, nvmlDeviceGetPcieReplayCounter);
STUB_EXPORT(nvmlDeviceGetPcieLink_fn, nvmlDeviceGetCurrPcieLinkGeneration);
STUB_EXPORT(nvmlDeviceGetPcieLink_fn, nvmlDeviceGetMaxPcieLinkGeneration);
STUB_EXPORT(nvmlDeviceGetPcieLink_fn, nvmlDeviceGetCurrPcieLinkWidth);
STUB_EXPORT(nvmlDeviceGetPcieLink_fn, nvmlDeviceGetMaxPcieLinkWidth);
STUB_EXPORT(nvmlDeviceGetCurrentClocksEventReasons_fn,
	    nvmlDeviceGetCurrentClocksThrottleReasons);
STUB_EXPORT(nvmlDeviceGetNvLinkState_fn, nvmlDeviceGetNvLinkState);
STUB_EXPORT(nvmlDeviceGetNvLinkErrorCounter_fn,
	    nvmlDeviceGetNvLinkErrorCounter);
STUB_EXPORT(nvmlDeviceGetClockInfo_fn, nvmlDeviceGetClockInfo);
STUB_EXPORT(nvmlDeviceGetClockInfo_fn, nvmlDeviceGetMaxClockInfo);
STUB_EXPORT(nvmlDeviceGetComputeRunningProcesses_fn,
	    nvmlDeviceGetComputeRunningProcesses);
STUB_EXPORT(nvmlEventSetCreate_fn, nvmlEventSetCreate);
STUB_EXPORT(nvmlDeviceGetSupportedEventTypes_fn,
	    nvmlDeviceGetSupportedEventTypes);
STUB_EXPORT(nvmlDeviceRegisterEvents_fn, nvmlDeviceRegisterEvents);
STUB_EXPORT(nvmlEventSetWait_fn, nvmlEventSetWait);
STUB_EXPORT(nvmlEventSetFree_fn, nvmlEventSetFree);
#ifndef NVML_STUB_OLD
STUB_EXPORT(nvmlInit_fn, nvmlInit_v2);
STUB_EXPORT(nvmlDeviceGetCount_fn, nvmlDeviceGetCount_v2);
STUB_EXPORT(nvmlDeviceGetHandleByIndex_fn, nvmlDeviceGetHandleByIndex_v2);
STUB_EXPORT(nvmlDeviceGetPciInfo_fn, nvmlDeviceGetPciInfo_v3);
STUB_EXPORT(nvmlDeviceGetPciInfo_fn, nvmlDeviceGetPciInfo_v2);
STUB_EXPORT(nvmlDeviceGetNumaNodeId_fn, nvmlDeviceGetNumaNodeId);
STUB_EXPORT(nvmlDeviceGetCurrentClocksEventReasons_fn,
	    nvmlDeviceGetCurrentClocksEventReasons);
STUB_EXPORT(nvmlDeviceGetFieldValues_fn, nvmlDeviceGetFieldValues);
STUB_EXPORT(nvmlDeviceGetComputeRunningProcesses_fn,
	    nvmlDeviceGetComputeRunningProcesses_v3);
STUB_EXPORT(nvmlDeviceGetComputeRunningProcesses_fn,
	    nvmlDeviceGetComputeRunningProcesses_v2);
STUB_EXPORT(nvmlEventSetWait_fn, nvmlEventSetWait_v2);
unsigned nvml_stub_legacy_calls(void);
#endif

/* Plain names of versioned calls: counted in the current variant. */
#ifdef NVML_STUB_OLD
#define STUB_LEGACY()
#else
#define STUB_LEGACY() stub.legacy_calls++

unsigned nvml_stub_legacy_calls(void)
{
	return stub.legacy_calls;
}
#endif

static nvmlReturn_t stub_init(void)
{
	nvmlReturn_t rc = stub_load_script();

	stub.t0_ms = stub_now_ms();
	stub.initialized = rc == NVML_SUCCESS;
	return rc;
}

nvmlReturn_t nvmlInit(void)
{
	nvmlReturn_t rc = stub_init();

	STUB_LEGACY();
	return rc;
}

nvmlReturn_t nvmlShutdown(void)
{
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	stub.initialized = false;
	return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_TIMEOUT:
		return "Timeout";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return "RM has detected an NVML/RM version mismatch.";
	default:
		return "Stub error";
	}
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned length)
{
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (strlen(stub.driver) >= length)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(version, stub.driver);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned *count)
{
	STUB_LEGACY();
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	*count = stub.ngpus;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned index, nvmlDevice_t *dev)
{
	STUB_LEGACY();
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= stub.ngpus)
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = (nvmlDevice_t)(void *)&stub.gpu[index];
	return NVML_SUCCESS;
}

static nvmlReturn_t stub_string(const char *s, char *out, unsigned length)
{
	if (strlen(s) >= length)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	strcpy(out, s);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned length)
{
	STUB_GPU(dev, -1);
	return stub_string(g->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned length)
{
	STUB_GPU(dev, -1);
	return stub_string(g->name, name, length);
}

nvmlReturn_t nvmlDeviceGetSerial(nvmlDevice_t dev, char *serial,
				 unsigned length)
{
	STUB_GPU(dev, -1);
	return stub_string(g->serial, serial, length);
}

/* The v1 struct of the plain call: 52 bytes, no 32-byte busId. */
struct stub_pci_v1 {
	char busId[16];
	unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
	unsigned reserved[4];
};

nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t dev, nvmlPciInfo_t *pci)
{
	struct stub_pci_v1 v1;

	STUB_LEGACY();
	STUB_GPU(dev, -1);
	memset(&v1, 0, sizeof(v1));
	snprintf(v1.busId, sizeof(v1.busId), "%04X:%02X:%02X.0",
		 g->domain & 0xffff, g->bus & 0xff, g->device & 0x1f);
	v1.domain = g->domain;
	v1.bus = g->bus;
	v1.device = g->device;
	v1.pciDeviceId = 0x233010de;
	/* Exactly sizeof(v1) bytes, as an old driver would. */
	memcpy(pci, &v1, sizeof(v1));
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t dev, unsigned *minor)
{
	STUB_GPU(dev, -1);
	*minor = (unsigned)g->minor;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *mem)
{
	STUB_GPU(dev, -1);
	mem->total = g->memory_mib << 20;
	mem->used = 512ULL << 20;
	mem->free = mem->total - mem->used;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t dev, int sensor,
				      unsigned *temp)
{
	STUB_GPU(dev, W_TEMP);
	if (sensor != NVML_TEMPERATURE_GPU)
		return NVML_ERROR_INVALID_ARGUMENT;
	*temp = (unsigned)g->temp;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperatureThreshold(nvmlDevice_t dev, int which,
					       unsigned *temp)
{
	STUB_GPU(dev, W_THRESHOLDS);
	if (which == NVML_TEMPERATURE_THRESHOLD_SHUTDOWN)
		*temp = (unsigned)g->shutdown;
	else if (which == NVML_TEMPERATURE_THRESHOLD_SLOWDOWN)
		*temp = (unsigned)g->slowdown;
	else
		return NVML_ERROR_NOT_SUPPORTED;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned *mw)
{
	STUB_GPU(dev, W_POWER);
	*mw = (unsigned)g->power_mw;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t dev, unsigned *mw)
{
	STUB_GPU(dev, W_POWER);
	*mw = (unsigned)g->power_limit_mw;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t dev, int type,
					 int counter, unsigned long long *n)
{
	bool unc = type == NVML_MEMORY_ERROR_TYPE_UNCORRECTED;
	bool agg = counter == NVML_AGGREGATE_ECC;

	STUB_GPU(dev, W_ECC);
	*n = unc ? (agg ? g->ecc_dbe_agg : g->ecc_dbe_vol)
		 : (agg ? g->ecc_sbe_agg : g->ecc_sbe_vol);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t dev, unsigned *corr,
				       unsigned *unc, unsigned *pending,
				       unsigned *failure)
{
	STUB_GPU(dev, W_REMAP);
	*corr = (unsigned)g->remap_cor;
	*unc = (unsigned)g->remap_unc;
	*pending = (unsigned)g->remap_pending;
	*failure = (unsigned)g->remap_failure;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPcieReplayCounter(nvmlDevice_t dev, unsigned *v)
{
	STUB_GPU(dev, W_PCIE);
	*v = (unsigned)g->pcie_replay;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t dev, unsigned *v)
{
	STUB_GPU(dev, W_PCIE);
	*v = (unsigned)g->pcie_gen;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t dev, unsigned *v)
{
	STUB_GPU(dev, W_PCIE);
	*v = (unsigned)g->pcie_gen_max;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t dev, unsigned *v)
{
	STUB_GPU(dev, W_PCIE);
	*v = (unsigned)g->pcie_width;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t dev, unsigned *v)
{
	STUB_GPU(dev, W_PCIE);
	*v = (unsigned)g->pcie_width_max;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t dev,
					  unsigned long long *reasons)
{
	STUB_GPU(dev, W_THROTTLE);
	*reasons = g->throttle;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetNvLinkState(nvmlDevice_t dev, unsigned link,
				      int *active)
{
	STUB_GPU(dev, W_NVLINK);
	if (link >= g->nvlinks)
		return NVML_ERROR_INVALID_ARGUMENT;
	*active = (g->nvlink_down >> link) & 1 ? NVML_FEATURE_DISABLED
					       : NVML_FEATURE_ENABLED;
	return NVML_SUCCESS;
}

static unsigned long long stub_link_counter(const struct stub_gpu *g,
					    unsigned link, int counter)
{
	if (link != 0)
		return 0;
	switch (counter) {
	case NVML_NVLINK_ERROR_DL_REPLAY:
		return g->nvlink_replay;
	case NVML_NVLINK_ERROR_DL_RECOVERY:
		return g->nvlink_recovery;
	case NVML_NVLINK_ERROR_DL_CRC_FLIT:
		return g->nvlink_crc;
	default:
		return 0;
	}
}

nvmlReturn_t nvmlDeviceGetNvLinkErrorCounter(nvmlDevice_t dev, unsigned link,
					     int counter,
					     unsigned long long *value)
{
	STUB_GPU(dev, W_NVLINK);
	if (g->unsupported[W_NVLINK_COUNTERS])
		return NVML_ERROR_NOT_SUPPORTED;
	if (link >= g->nvlinks)
		return NVML_ERROR_INVALID_ARGUMENT;
	*value = stub_link_counter(g, link, counter);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t dev, int type, unsigned *mhz)
{
	STUB_GPU(dev, W_CLOCKS);
	if (type != NVML_CLOCK_SM)
		return NVML_ERROR_NOT_SUPPORTED;
	*mhz = (unsigned)g->sm_clock;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t dev, int type,
				       unsigned *mhz)
{
	STUB_GPU(dev, W_CLOCKS);
	if (type != NVML_CLOCK_SM)
		return NVML_ERROR_NOT_SUPPORTED;
	*mhz = (unsigned)g->sm_clock_max;
	return NVML_SUCCESS;
}

/* Counting only: infos are never filled (the agent passes NULL). */
static nvmlReturn_t stub_processes(nvmlDevice_t dev, unsigned *count)
{
	STUB_GPU(dev, W_PROCESSES);
	if (*count < g->processes) {
		*count = (unsigned)g->processes;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	*count = (unsigned)g->processes;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t dev,
						  unsigned *count, void *infos)
{
	STUB_LEGACY();
	return stub_processes(dev, count);
}

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set)
{
	struct stub_evset *s;

	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NVML_ERROR_MEMORY;
	*set = (nvmlEventSet_t)(void *)s;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t dev,
					      unsigned long long *types)
{
	STUB_GPU(dev, W_EVENTS);
	*types = g->supported_events;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t dev,
				      unsigned long long types,
				      nvmlEventSet_t set)
{
	struct stub_evset *s = (struct stub_evset *)(void *)set;

	STUB_GPU(dev, W_EVENTS);
	if (!s || (types & ~g->supported_events))
		return NVML_ERROR_NOT_SUPPORTED;
	s->mask[g - stub.gpu] |= types;
	return NVML_SUCCESS;
}

/* Wait for the next due, registered event; fill the v2 layout. */
static nvmlReturn_t stub_wait(nvmlEventSet_t set, nvmlEventData_t *data,
			      unsigned timeout_ms, bool v2)
{
	struct stub_evset *s = (struct stub_evset *)(void *)set;
	long long deadline = stub_now_ms() + timeout_ms;

	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (!s)
		return NVML_ERROR_INVALID_ARGUMENT;
	for (;;) {
		long long now = stub_now_ms() - stub.t0_ms;
		struct stub_event *next = NULL;
		long long until;
		struct timespec ts;

		for (unsigned i = 0; i < stub.nev; i++) {
			struct stub_event *e = &stub.ev[i];

			if (e->delivered || !(s->mask[e->gpu] & e->type))
				continue;
			if (!next || e->at_ms < next->at_ms)
				next = e;
		}
		if (next && next->at_ms <= now) {
			struct stub_gpu *g = &stub.gpu[next->gpu];

			next->delivered = true;
			if (next->type == nvmlEventTypeGpuRecoveryAction)
				g->recovery = next->data;
			data->device = (nvmlDevice_t)(void *)g;
			data->eventType = next->type;
			data->eventData =
				next->type == nvmlEventTypeXidCriticalError
					? next->data
					: 0;
			if (v2) {
				data->gpuInstanceId = 0xffffffffu;
				data->computeInstanceId = 0xffffffffu;
			}
			return NVML_SUCCESS;
		}
		until = deadline - stub.t0_ms;
		if (next && next->at_ms < until)
			until = next->at_ms;
		if (until <= now)
			return NVML_ERROR_TIMEOUT;
		ts.tv_sec = (until - now) / 1000;
		ts.tv_nsec = ((until - now) % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* The v1 event struct: no instance ids. */
struct stub_event_v1 {
	nvmlDevice_t device;
	unsigned long long eventType;
	unsigned long long eventData;
};

nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t *data,
			      unsigned timeout_ms)
{
	nvmlEventData_t full;
	struct stub_event_v1 v1;
	nvmlReturn_t rc;

	STUB_LEGACY();
	memset(&full, 0, sizeof(full));
	rc = stub_wait(set, &full, timeout_ms, false);
	if (rc == NVML_SUCCESS) {
		v1.device = full.device;
		v1.eventType = full.eventType;
		v1.eventData = full.eventData;
		/* Exactly sizeof(v1) bytes, as an old driver would. */
		memcpy(data, &v1, sizeof(v1));
	}
	return rc;
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set)
{
	free((void *)set);
	return NVML_SUCCESS;
}

#ifndef NVML_STUB_OLD
nvmlReturn_t nvmlInit_v2(void)
{
	return stub_init();
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count)
{
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	*count = stub.ngpus;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, nvmlDevice_t *dev)
{
	if (!stub.initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= stub.ngpus)
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = (nvmlDevice_t)(void *)&stub.gpu[index];
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t dev, nvmlPciInfo_t *pci)
{
	STUB_GPU(dev, -1);
	memset(pci, 0, sizeof(*pci));
	snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0",
		 g->domain & 0xffff, g->bus & 0xff, g->device & 0x1f);
	snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0", g->domain,
		 g->bus & 0xff, g->device & 0x1f);
	pci->domain = g->domain;
	pci->bus = g->bus;
	pci->device = g->device;
	pci->pciDeviceId = 0x233010de;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t dev, nvmlPciInfo_t *pci)
{
	return nvmlDeviceGetPciInfo_v3(dev, pci);
}

nvmlReturn_t nvmlDeviceGetNumaNodeId(nvmlDevice_t dev, unsigned *node)
{
	STUB_GPU(dev, W_NUMA);
	*node = (unsigned)g->numa;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t dev,
						    unsigned long long *reasons)
{
	STUB_GPU(dev, W_THROTTLE);
	*reasons = g->throttle;
	return NVML_SUCCESS;
}

static void stub_field(const struct stub_gpu *g, nvmlFieldValue_t *fv)
{
	fv->nvmlReturn = NVML_SUCCESS;
	fv->timestamp = stub_now_ms() * 1000;
	switch (fv->fieldId) {
	case NVML_FI_DEV_NVLINK_LINK_COUNT:
		if (g->unsupported[W_NVLINK])
			break;
		fv->valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
		fv->value.uiVal = (unsigned)g->nvlinks;
		return;
	case NVML_FI_DEV_GET_GPU_RECOVERY_ACTION:
		if (g->unsupported[W_RECOVERY])
			break;
		fv->valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
		fv->value.uiVal = (unsigned)g->recovery;
		return;
	case NVML_FI_DEV_NVLINK_ERROR_DL_REPLAY:
	case NVML_FI_DEV_NVLINK_ERROR_DL_RECOVERY:
	case NVML_FI_DEV_NVLINK_ERROR_DL_CRC:
		if (g->unsupported[W_NVLINK] || fv->scopeId >= g->nvlinks)
			break;
		fv->valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
		fv->value.ullVal = stub_link_counter(
			g, fv->scopeId,
			(int)(fv->fieldId -
			      NVML_FI_DEV_NVLINK_ERROR_DL_REPLAY));
		return;
	default:
		break;
	}
	fv->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t dev, int count,
				      nvmlFieldValue_t *values)
{
	STUB_GPU(dev, -1);
	if (count < 0 || (count > 0 && !values))
		return NVML_ERROR_INVALID_ARGUMENT;
	for (int i = 0; i < count; i++)
		stub_field(g, &values[i]);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t dev,
						     unsigned *count,
						     void *infos)
{
	return stub_processes(dev, count);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t dev,
						     unsigned *count,
						     void *infos)
{
	return stub_processes(dev, count);
}

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data,
				 unsigned timeout_ms)
{
	return stub_wait(set, data, timeout_ms, true);
}
#endif
