/*
 * The NVML backend: libnvidia-ml.so.1 opened with dlopen, never linked, so
 * the agent starts (with no GPUs and a clear problem text) on a node whose
 * driver is missing, broken or mismatched (../shared/HEALTH.md section 2).
 *
 * Every symbol is resolved on its own, newest versioned name first; a
 * missing optional symbol only leaves its metric's valid bit clear.
 * Init, inventory and event registration run in gpu_backend_open() on the
 * loop thread, before the worker exists.  From then on only the worker
 * thread calls NVML: it waits for events (nvmlEventSetWait, at most one
 * second at a time, so close() is prompt) and polls telemetry every
 * poll_interval_ms, handing results to the core queue and sample array.
 * Shutdown and dlclose run in close() after the worker has been joined.
 */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/gpu_int.h"
#include "nodeagent/nvml_abi.h"

#define NVML_DEFAULT_LIBRARY "libnvidia-ml.so.1"
/* Without the link-count field, probe links 0..17 (H100 SXM has 18). */
#define NVML_PROBE_LINKS 18
#define NVML_MAX_LINKS 64 /* bits in gpu_sample.nvlink_down_mask */

/* Events we act on; always ANDed with what each GPU supports. */
#define NVML_EVENT_MASK                                                        \
	(nvmlEventTypeXidCriticalError | nvmlEventTypeDoubleBitEccError |      \
	 nvmlEventTypeGpuUnavailableError | nvmlEventTypeGpuRecoveryAction)

struct nvml_syms {
	nvmlInit_fn init;
	nvmlShutdown_fn shutdown;
	nvmlErrorString_fn error_string;
	nvmlSystemGetDriverVersion_fn driver_version;
	nvmlDeviceGetCount_fn count;
	nvmlDeviceGetHandleByIndex_fn handle_by_index;
	nvmlDeviceGetUUID_fn uuid;
	nvmlDeviceGetName_fn name;
	nvmlDeviceGetSerial_fn serial;
	nvmlDeviceGetPciInfo_fn pci_info;
	nvmlDeviceGetMinorNumber_fn minor;
	nvmlDeviceGetMemoryInfo_fn memory;
	nvmlDeviceGetNumaNodeId_fn numa;
	nvmlDeviceGetTemperature_fn temperature;
	nvmlDeviceGetTemperatureThreshold_fn temp_threshold;
	nvmlDeviceGetPowerUsage_fn power;
	nvmlDeviceGetEnforcedPowerLimit_fn power_limit;
	nvmlDeviceGetTotalEccErrors_fn ecc;
	nvmlDeviceGetRemappedRows_fn remapped_rows;
	nvmlDeviceGetPcieReplayCounter_fn pcie_replay;
	nvmlDeviceGetPcieLink_fn pcie_gen;
	nvmlDeviceGetPcieLink_fn pcie_gen_max;
	nvmlDeviceGetPcieLink_fn pcie_width;
	nvmlDeviceGetPcieLink_fn pcie_width_max;
	nvmlDeviceGetCurrentClocksEventReasons_fn clock_reasons;
	nvmlDeviceGetFieldValues_fn field_values;
	nvmlDeviceGetNvLinkState_fn nvlink_state;
	nvmlDeviceGetNvLinkErrorCounter_fn nvlink_errors;
	nvmlDeviceGetClockInfo_fn clock;
	nvmlDeviceGetClockInfo_fn clock_max;
	nvmlDeviceGetComputeRunningProcesses_fn processes;
	nvmlEventSetCreate_fn evset_create;
	nvmlDeviceGetSupportedEventTypes_fn event_types;
	nvmlDeviceRegisterEvents_fn register_events;
	nvmlEventSetWait_fn evset_wait;
	nvmlEventSetFree_fn evset_free;
};

/* dlsym names to try for one slot of struct nvml_syms, newest first. */
struct nvml_sym_spec {
	size_t offset;
	const char *names[3];
};

#define NVML_SYM(field, ...)                                                   \
	{                                                                      \
		offsetof(struct nvml_syms, field),                             \
		{                                                              \
			__VA_ARGS__                                            \
		}                                                              \
	}

static const struct nvml_sym_spec nvml_sym_table[] = {
	NVML_SYM(init, "nvmlInit_v2", "nvmlInit"),
	NVML_SYM(shutdown, "nvmlShutdown"),
	NVML_SYM(error_string, "nvmlErrorString"),
	NVML_SYM(driver_version, "nvmlSystemGetDriverVersion"),
	NVML_SYM(count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"),
	NVML_SYM(handle_by_index, "nvmlDeviceGetHandleByIndex_v2",
		 "nvmlDeviceGetHandleByIndex"),
	NVML_SYM(uuid, "nvmlDeviceGetUUID"),
	NVML_SYM(name, "nvmlDeviceGetName"),
	NVML_SYM(serial, "nvmlDeviceGetSerial"),
	NVML_SYM(pci_info, "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2",
		 "nvmlDeviceGetPciInfo"),
	NVML_SYM(minor, "nvmlDeviceGetMinorNumber"),
	NVML_SYM(memory, "nvmlDeviceGetMemoryInfo"),
	NVML_SYM(numa, "nvmlDeviceGetNumaNodeId"),
	NVML_SYM(temperature, "nvmlDeviceGetTemperature"),
	NVML_SYM(temp_threshold, "nvmlDeviceGetTemperatureThreshold"),
	NVML_SYM(power, "nvmlDeviceGetPowerUsage"),
	NVML_SYM(power_limit, "nvmlDeviceGetEnforcedPowerLimit"),
	NVML_SYM(ecc, "nvmlDeviceGetTotalEccErrors"),
	NVML_SYM(remapped_rows, "nvmlDeviceGetRemappedRows"),
	NVML_SYM(pcie_replay, "nvmlDeviceGetPcieReplayCounter"),
	NVML_SYM(pcie_gen, "nvmlDeviceGetCurrPcieLinkGeneration"),
	NVML_SYM(pcie_gen_max, "nvmlDeviceGetMaxPcieLinkGeneration"),
	NVML_SYM(pcie_width, "nvmlDeviceGetCurrPcieLinkWidth"),
	NVML_SYM(pcie_width_max, "nvmlDeviceGetMaxPcieLinkWidth"),
	NVML_SYM(clock_reasons, "nvmlDeviceGetCurrentClocksEventReasons",
		 "nvmlDeviceGetCurrentClocksThrottleReasons"),
	NVML_SYM(field_values, "nvmlDeviceGetFieldValues"),
	NVML_SYM(nvlink_state, "nvmlDeviceGetNvLinkState"),
	NVML_SYM(nvlink_errors, "nvmlDeviceGetNvLinkErrorCounter"),
	NVML_SYM(clock, "nvmlDeviceGetClockInfo"),
	NVML_SYM(clock_max, "nvmlDeviceGetMaxClockInfo"),
	NVML_SYM(processes, "nvmlDeviceGetComputeRunningProcesses_v3",
		 "nvmlDeviceGetComputeRunningProcesses_v2",
		 "nvmlDeviceGetComputeRunningProcesses"),
	NVML_SYM(evset_create, "nvmlEventSetCreate"),
	NVML_SYM(event_types, "nvmlDeviceGetSupportedEventTypes"),
	NVML_SYM(register_events, "nvmlDeviceRegisterEvents"),
	NVML_SYM(evset_wait, "nvmlEventSetWait_v2", "nvmlEventSetWait"),
	NVML_SYM(evset_free, "nvmlEventSetFree"),
};

struct nvml_gpu {
	nvmlDevice_t dev; /* NULL: no handle, no readings */
	bool lost;	  /* GPU_IS_LOST seen; reported once */
	int nvlinks;	  /* -1 until counted */
	bool recovery_known;
	unsigned recovery;
};

struct nvml {
	void *dl;
	struct nvml_syms sym;
	const char *init_name;
	bool pci_v1; /* plain GetPciInfo: the short v1 struct */
	bool initialized;
	struct nvml_gpu gpu[GPU_MAX];
	nvmlEventSet_t evset;
	int64_t next_poll_ms;
	nvmlReturn_t last_wait_err;
};

static const char *nvml_code_name(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS:
		return "SUCCESS";
	case NVML_ERROR_UNINITIALIZED:
		return "UNINITIALIZED";
	case NVML_ERROR_INVALID_ARGUMENT:
		return "INVALID_ARGUMENT";
	case NVML_ERROR_NOT_SUPPORTED:
		return "NOT_SUPPORTED";
	case NVML_ERROR_NO_PERMISSION:
		return "NO_PERMISSION";
	case NVML_ERROR_INSUFFICIENT_SIZE:
		return "INSUFFICIENT_SIZE";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "DRIVER_NOT_LOADED";
	case NVML_ERROR_TIMEOUT:
		return "TIMEOUT";
	case NVML_ERROR_LIBRARY_NOT_FOUND:
		return "LIBRARY_NOT_FOUND";
	case NVML_ERROR_FUNCTION_NOT_FOUND:
		return "FUNCTION_NOT_FOUND";
	case NVML_ERROR_CORRUPTED_INFOROM:
		return "CORRUPTED_INFOROM";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU_IS_LOST";
	case NVML_ERROR_RESET_REQUIRED:
		return "RESET_REQUIRED";
	case NVML_ERROR_OPERATING_SYSTEM:
		return "OPERATING_SYSTEM";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return "LIB_RM_VERSION_MISMATCH";
	case NVML_ERROR_UNKNOWN:
		return "UNKNOWN";
	default:
		return "ERROR";
	}
}

/*
 * Text for a person.  Our own wording for the codes an operator must act
 * on (stable, and testable against the stub); the library's otherwise.
 */
static const char *nvml_describe(const struct nvml *n, nvmlReturn_t r)
{
	const char *s;

	switch (r) {
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "NVIDIA kernel driver not loaded";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return "driver/library version mismatch; reboot or reload "
		       "the driver after an upgrade";
	case NVML_ERROR_NO_PERMISSION:
		return "no permission";
	case NVML_ERROR_OPERATING_SYSTEM:
		return "blocked by the operating system";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		break;
	}
	s = n->sym.error_string ? n->sym.error_string(r) : NULL;
	return s && *s ? s : "error";
}

/* Resolve every symbol of the table; missing ones stay NULL. */
static void nvml_resolve(struct nvml *n)
{

	for (size_t i = 0; i < ARRAY_SIZE(nvml_sym_table); i++) {
		const struct nvml_sym_spec *spec = &nvml_sym_table[i];
		void *p = NULL;
		size_t k;

		for (k = 0; k < ARRAY_SIZE(spec->names) && spec->names[k]; k++)
			if ((p = dlsym(n->dl, spec->names[k])))
				break;
		if (!p) {
			log_sub(LOG_SUB_HEALTH, "nvml: %s not available",
				spec->names[0]);
			continue;
		}
		/* POSIX: a data pointer from dlsym converts to a function. */
		memcpy((char *)&n->sym + spec->offset, &p, sizeof(p));
		if (k > 0)
			log_sub(LOG_SUB_HEALTH, "nvml: using %s instead of %s",
				spec->names[k], spec->names[0]);
		if (spec->offset == offsetof(struct nvml_syms, init))
			n->init_name = spec->names[k];
		if (!strcmp(spec->names[k], "nvmlDeviceGetPciInfo"))
			n->pci_v1 = true;
	}
}

static void nvml_problem(struct gpu_backend *b, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
static void nvml_problem(struct gpu_backend *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(b->inv.problem, sizeof(b->inv.problem), fmt, ap) < 0)
		gpu_copy(b->inv.problem, sizeof(b->inv.problem), "NVML error");
	va_end(ap);
}

/* dlopen, resolve and nvmlInit.  -1 with inv.problem set on failure. */
static int nvml_load(struct gpu_backend *b, const char *lib)
{
	struct nvml *n = b->priv;
	nvmlReturn_t r;
	const char *why;
	size_t liblen = strlen(lib);

	n->dl = dlopen(lib, RTLD_LAZY | RTLD_GLOBAL);
	if (!n->dl) {
		why = dlerror();
		if (!why)
			why = "unknown error";
		/* dlerror() repeats the path as "path: reason". */
		if (!strncmp(why, lib, liblen) &&
		    !strncmp(why + liblen, ": ", 2))
			why += liblen + 2;
		/* "not found" is what an operator greps for; say it when so. */
		nvml_problem(b, "NVML library %s %s: %s", lib,
			     strstr(why, "No such file") ? "not found"
							 : "not loadable",
			     why);
		return -1;
	}
	nvml_resolve(n);
	if (!n->sym.init) {
		nvml_problem(b, "NVML: %s has neither nvmlInit_v2 nor nvmlInit",
			     lib);
		return -1;
	}
	r = n->sym.init();
	if (r != NVML_SUCCESS) {
		nvml_problem(b, "NVML: %s failed with %s: %s", n->init_name,
			     nvml_code_name(r), nvml_describe(n, r));
		return -1;
	}
	n->initialized = true;
	if (!n->sym.count || !n->sym.handle_by_index) {
		nvml_problem(b,
			     "NVML: %s lacks nvmlDeviceGetCount or "
			     "nvmlDeviceGetHandleByIndex",
			     lib);
		return -1;
	}
	if (n->sym.driver_version &&
	    n->sym.driver_version(b->inv.driver_version,
				  sizeof(b->inv.driver_version)) !=
		    NVML_SUCCESS)
		b->inv.driver_version[0] = '\0';
	b->inv.driver_version[sizeof(b->inv.driver_version) - 1] = '\0';
	return 0;
}

/*
 * Note GPU_IS_LOST: the GPU is marked lost and one GPU_LOST event is
 * raised; it is not asked anything again.  Returns r == NVML_SUCCESS.
 */
static bool nvml_check(struct gpu_backend *b, unsigned i, nvmlReturn_t r,
		       const char *what)
{
	struct nvml *n = b->priv;

	if (r == NVML_ERROR_GPU_IS_LOST && !n->gpu[i].lost) {
		n->gpu[i].lost = true;
		gpu_core_event(b, (int)i, GPU_EVENT_GPU_LOST, GPU_LOST_XID,
			       GPU_SRC_NVML, "NVML: %s: GPU_IS_LOST", what);
	}
	return r == NVML_SUCCESS;
}

/* Fallback when NVML has no NUMA call: the kernel knows the PCI device. */
static int nvml_sysfs_numa(const nvmlPciInfo_t *pci)
{
	char path[128];
	char buf[16];
	ssize_t got;
	int node;
	int fd;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%04x:%02x:%02x.0/numa_node", pci->domain,
		 pci->bus & 0xff, pci->device & 0x1f);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	node = atoi(buf);
	return node >= 0 ? node : -1;
}

static void nvml_inventory_pci(struct gpu_backend *b, unsigned i)
{
	struct nvml *n = b->priv;
	struct gpu_dev *d = &b->inv.gpus[i];
	nvmlDevice_t dev = n->gpu[i].dev;
	nvmlPciInfo_t pci;
	unsigned node;

	memset(&pci, 0, sizeof(pci));
	if (!n->sym.pci_info || !nvml_check(b, i, n->sym.pci_info(dev, &pci),
					    "nvmlDeviceGetPciInfo"))
		return;
	pci.busId[sizeof(pci.busId) - 1] = '\0';
	/*
	 * v1 wrote the short legacy struct: busId[] is not there, but the
	 * numbers are at the same offsets.  GPUs are always function 0.
	 */
	if (!n->pci_v1 && pci.busId[0])
		gpu_copy(d->pci_bus_id, sizeof(d->pci_bus_id), pci.busId);
	else
		snprintf(d->pci_bus_id, sizeof(d->pci_bus_id),
			 "%08X:%02X:%02X.0", pci.domain, pci.bus & 0xff,
			 pci.device & 0x1f);
	if (n->sym.numa && nvml_check(b, i, n->sym.numa(dev, &node),
				      "nvmlDeviceGetNumaNodeId"))
		d->numa_node = node > 4096 ? -1 : (int)node;
	else
		d->numa_node = nvml_sysfs_numa(&pci);
}

static void nvml_inventory_gpu(struct gpu_backend *b, unsigned i)
{
	struct nvml *n = b->priv;
	struct gpu_dev *d = &b->inv.gpus[i];
	char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	nvmlDevice_t dev = NULL;
	nvmlMemory_t mem;
	nvmlReturn_t r;
	unsigned minor;

	d->index = i;
	d->numa_node = -1;
	gpu_copy(d->model, sizeof(d->model), "unknown");
	n->gpu[i].nvlinks = -1;
	r = n->sym.handle_by_index(i, &dev);
	if (!nvml_check(b, i, r, "nvmlDeviceGetHandleByIndex")) {
		if (r != NVML_ERROR_GPU_IS_LOST)
			gpu_core_event(b, (int)i, GPU_EVENT_BACKEND_ERROR, r,
				       GPU_SRC_NVML,
				       "NVML: no handle for GPU %u: %s (%s)", i,
				       nvml_describe(n, r), nvml_code_name(r));
		return;
	}
	n->gpu[i].dev = dev;
	if (n->sym.uuid && nvml_check(b, i, n->sym.uuid(dev, buf, sizeof(buf)),
				      "nvmlDeviceGetUUID")) {
		buf[sizeof(buf) - 1] = '\0';
		gpu_copy(d->uuid, sizeof(d->uuid), buf);
	}
	if (n->sym.name && nvml_check(b, i, n->sym.name(dev, buf, sizeof(buf)),
				      "nvmlDeviceGetName")) {
		buf[sizeof(buf) - 1] = '\0';
		gpu_model_short(buf, d->model, sizeof(d->model));
	}
	memset(&mem, 0, sizeof(mem));
	if (n->sym.memory && nvml_check(b, i, n->sym.memory(dev, &mem),
					"nvmlDeviceGetMemoryInfo"))
		d->memory_mib = mem.total >> 20;
	nvml_inventory_pci(b, i);
	if (n->sym.serial &&
	    nvml_check(b, i,
		       n->sym.serial(dev, buf, NVML_DEVICE_SERIAL_BUFFER_SIZE),
		       "nvmlDeviceGetSerial")) {
		buf[NVML_DEVICE_SERIAL_BUFFER_SIZE - 1] = '\0';
		gpu_copy(d->serial, sizeof(d->serial), buf);
	}
	if (n->sym.minor && nvml_check(b, i, n->sym.minor(dev, &minor),
				       "nvmlDeviceGetMinorNumber"))
		d->minor = minor;
}

static int nvml_inventory(struct gpu_backend *b)
{
	struct nvml *n = b->priv;
	unsigned count = 0;
	nvmlReturn_t r;

	r = n->sym.count(&count);
	if (r != NVML_SUCCESS) {
		nvml_problem(b, "NVML: nvmlDeviceGetCount failed: %s (%s)",
			     nvml_describe(n, r), nvml_code_name(r));
		return -1;
	}
	if (count == 0) {
		nvml_problem(b, "NVML: driver loaded but reports no GPUs");
		return -1;
	}
	if (count > GPU_MAX) {
		log_warn("gpu: NVML reports %u GPUs; using the first %d", count,
			 GPU_MAX);
		count = GPU_MAX;
	}
	/* Indices stay NVML's: a GPU we cannot read keeps its slot. */
	b->inv.count = count;
	for (unsigned i = 0; i < count; i++)
		nvml_inventory_gpu(b, i);
	return 0;
}

/* Register for XID/DBE/lost/recovery events; without them we only poll. */
static void nvml_events_setup(struct gpu_backend *b)
{
	struct nvml *n = b->priv;
	const struct nvml_syms *s = &n->sym;
	unsigned registered = 0;
	nvmlReturn_t r;

	if (!s->evset_create || !s->event_types || !s->register_events ||
	    !s->evset_wait || !s->evset_free)
		return;
	r = s->evset_create(&n->evset);
	if (r != NVML_SUCCESS) {
		n->evset = NULL;
		gpu_core_event(
			b, -1, GPU_EVENT_BACKEND_ERROR, r, GPU_SRC_NVML,
			"NVML: nvmlEventSetCreate: %s (%s); polling only",
			nvml_describe(n, r), nvml_code_name(r));
		return;
	}
	for (unsigned i = 0; i < b->inv.count; i++) {
		struct nvml_gpu *g = &n->gpu[i];
		unsigned long long types = 0;

		if (!g->dev || g->lost)
			continue;
		if (!nvml_check(b, i, s->event_types(g->dev, &types),
				"nvmlDeviceGetSupportedEventTypes"))
			continue;
		types &= NVML_EVENT_MASK;
		if (types &&
		    nvml_check(b, i,
			       s->register_events(g->dev, types, n->evset),
			       "nvmlDeviceRegisterEvents"))
			registered++;
	}
	if (!registered) {
		s->evset_free(n->evset);
		n->evset = NULL;
	}
}

static int nvml_gpu_by_handle(const struct gpu_backend *b, nvmlDevice_t dev)
{
	const struct nvml *n = b->priv;

	for (unsigned i = 0; dev && i < b->inv.count; i++)
		if (n->gpu[i].dev == dev)
			return (int)i;
	return -1;
}

static uint64_t nvml_field_u64(const nvmlFieldValue_t *fv)
{
	switch (fv->valueType) {
	case NVML_VALUE_TYPE_DOUBLE:
		return fv->value.dVal > 0 ? (uint64_t)fv->value.dVal : 0;
	case NVML_VALUE_TYPE_UNSIGNED_INT:
		return fv->value.uiVal;
	case NVML_VALUE_TYPE_UNSIGNED_LONG:
		return fv->value.ulVal;
	case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
		return fv->value.ullVal;
	case NVML_VALUE_TYPE_SIGNED_LONG_LONG:
		return fv->value.sllVal > 0 ? (uint64_t)fv->value.sllVal : 0;
	case NVML_VALUE_TYPE_SIGNED_INT:
		return fv->value.siVal > 0 ? (uint64_t)fv->value.siVal : 0;
	case NVML_VALUE_TYPE_UNSIGNED_SHORT:
		return fv->value.usVal;
	default:
		return 0;
	}
}

/* Read one field; returns true with *v set if the GPU supports it. */
static bool nvml_field(struct gpu_backend *b, unsigned i, unsigned field,
		       unsigned scope, uint64_t *v)
{
	struct nvml *n = b->priv;
	nvmlFieldValue_t fv;

	if (!n->sym.field_values)
		return false;
	memset(&fv, 0, sizeof(fv));
	fv.fieldId = field;
	fv.scopeId = scope;
	if (!nvml_check(b, i, n->sym.field_values(n->gpu[i].dev, 1, &fv),
			"nvmlDeviceGetFieldValues") ||
	    fv.nvmlReturn != NVML_SUCCESS)
		return false;
	*v = nvml_field_u64(&fv);
	return true;
}

/*
 * The recovery action the driver publishes (field 230, R570+).  Raises a
 * GPU_EVENT_RECOVERY when it changes to something other than NONE.
 */
static void nvml_read_recovery(struct gpu_backend *b, unsigned i,
			       struct gpu_sample *s)
{
	struct nvml_gpu *g = &((struct nvml *)b->priv)->gpu[i];
	uint64_t v;

	if (!nvml_field(b, i, NVML_FI_DEV_GET_GPU_RECOVERY_ACTION, 0, &v))
		return;
	if (s) {
		s->recovery_action = (unsigned)v;
		s->valid |= GPU_F_RECOVERY;
	}
	if (v != GPU_RECOVERY_NONE && (!g->recovery_known || v != g->recovery))
		gpu_core_event(b, (int)i, GPU_EVENT_RECOVERY, (unsigned)v,
			       GPU_SRC_NVML, "NVML: recovery action %u",
			       (unsigned)v);
	g->recovery = (unsigned)v;
	g->recovery_known = true;
}

static void nvml_handle_event(struct gpu_backend *b, const nvmlEventData_t *ev)
{
	int gpu = nvml_gpu_by_handle(b, ev->device);
	unsigned long long type = ev->eventType;

	if (type & nvmlEventTypeXidCriticalError) {
		unsigned code = (unsigned)ev->eventData;

		if (code == NVML_XID_UNKNOWN)
			gpu_core_event(b, gpu, GPU_EVENT_XID, code,
				       GPU_SRC_NVML, "NVML: unknown Xid");
		else
			gpu_core_event(b, gpu, GPU_EVENT_XID, code,
				       GPU_SRC_NVML, "NVML: Xid %u", code);
	}
	if (type & nvmlEventTypeDoubleBitEccError)
		gpu_core_event(b, gpu, GPU_EVENT_DBE, 0, GPU_SRC_NVML,
			       "NVML: double-bit ECC error");
	if (type & nvmlEventTypeGpuUnavailableError) {
		if (gpu >= 0)
			nvml_check(b, (unsigned)gpu, NVML_ERROR_GPU_IS_LOST,
				   "GpuUnavailableError event");
		else
			gpu_core_event(b, -1, GPU_EVENT_GPU_LOST, GPU_LOST_XID,
				       GPU_SRC_NVML,
				       "NVML: GpuUnavailableError event");
	}
	if ((type & nvmlEventTypeGpuRecoveryAction) && gpu >= 0)
		nvml_read_recovery(b, (unsigned)gpu, NULL);
}

static void nvml_wait_event(struct gpu_backend *b, unsigned ms)
{
	struct nvml *n = b->priv;
	nvmlEventData_t ev;
	nvmlReturn_t r;

	/* v1 fills only the first three members: zero the rest. */
	memset(&ev, 0, sizeof(ev));
	r = n->sym.evset_wait(n->evset, &ev, ms);
	if (r == NVML_SUCCESS) {
		n->last_wait_err = NVML_SUCCESS;
		nvml_handle_event(b, &ev);
		return;
	}
	if (r == NVML_ERROR_TIMEOUT)
		return;
	/* One report per kind of failure, then back off instead of spinning. */
	if (r != n->last_wait_err)
		gpu_core_event(b, -1, GPU_EVENT_BACKEND_ERROR, r, GPU_SRC_NVML,
			       "NVML: nvmlEventSetWait: %s (%s)",
			       nvml_describe(n, r), nvml_code_name(r));
	n->last_wait_err = r;
	gpu_core_wait(b, GPU_WAIT_MAX_MS);
}

/* Links present: the link-count field, else probing 0..17. */
static unsigned nvml_link_count(struct gpu_backend *b, unsigned i)
{
	struct nvml *n = b->priv;
	struct nvml_gpu *g = &n->gpu[i];
	unsigned link;
	uint64_t v;

	if (g->nvlinks >= 0)
		return (unsigned)g->nvlinks;
	if (nvml_field(b, i, NVML_FI_DEV_NVLINK_LINK_COUNT, 0, &v)) {
		g->nvlinks = (int)MIN(v, (uint64_t)NVML_MAX_LINKS);
		return (unsigned)g->nvlinks;
	}
	if (!n->sym.nvlink_state || g->lost)
		return 0;
	for (link = 0; link < NVML_PROBE_LINKS; link++) {
		int active;
		nvmlReturn_t r = n->sym.nvlink_state(g->dev, link, &active);

		if (r == NVML_ERROR_NOT_SUPPORTED ||
		    r == NVML_ERROR_INVALID_ARGUMENT)
			break;
		if (!nvml_check(b, i, r, "nvmlDeviceGetNvLinkState") && g->lost)
			return 0; /* not cached: unknown, not zero */
	}
	g->nvlinks = (int)link;
	return link;
}

/* Per-link error counter, from the call or (Hopper+) the field. */
static uint64_t nvml_link_counter(struct gpu_backend *b, unsigned i,
				  unsigned link, int counter, unsigned field)
{
	struct nvml *n = b->priv;
	unsigned long long c = 0;
	uint64_t v;

	if (n->sym.nvlink_errors &&
	    n->sym.nvlink_errors(n->gpu[i].dev, link, counter, &c) ==
		    NVML_SUCCESS)
		return c;
	if (field && nvml_field(b, i, field, link, &v))
		return v;
	return 0;
}

static void nvml_read_nvlink(struct gpu_backend *b, unsigned i,
			     struct gpu_sample *s)
{
	struct nvml *n = b->priv;
	struct nvml_gpu *g = &n->gpu[i];
	unsigned count = nvml_link_count(b, i);
	unsigned readable = 0;

	if (!count || !n->sym.nvlink_state)
		return;
	s->nvlink_count = count;
	for (unsigned link = 0; link < count && !g->lost; link++) {
		int active = 0;

		if (!nvml_check(b, i,
				n->sym.nvlink_state(g->dev, link, &active),
				"nvmlDeviceGetNvLinkState"))
			continue;
		readable++;
		if (active != NVML_FEATURE_ENABLED)
			s->nvlink_down_mask |= 1ULL << link;
		s->nvlink_replay += nvml_link_counter(
			b, i, link, NVML_NVLINK_ERROR_DL_REPLAY,
			NVML_FI_DEV_NVLINK_ERROR_DL_REPLAY);
		s->nvlink_recovery += nvml_link_counter(
			b, i, link, NVML_NVLINK_ERROR_DL_RECOVERY,
			NVML_FI_DEV_NVLINK_ERROR_DL_RECOVERY);
		/* Flit and data CRC are both "CRC errors" for the policy. */
		s->nvlink_crc += nvml_link_counter(
			b, i, link, NVML_NVLINK_ERROR_DL_CRC_FLIT,
			NVML_FI_DEV_NVLINK_ERROR_DL_CRC);
		s->nvlink_crc += nvml_link_counter(
			b, i, link, NVML_NVLINK_ERROR_DL_CRC_DATA, 0);
	}
	if (readable)
		s->valid |= GPU_F_NVLINK;
}

/*
 * Call an optional per-GPU symbol if the library has it; true on success.
 * Expects the locals every reader has: b, i, n and dev.
 */
#define NVML_CALL(fn, what, ...)                                               \
	(n->sym.fn && nvml_check(b, i, n->sym.fn(dev, __VA_ARGS__), (what)))

static void nvml_read_thermal_power(struct gpu_backend *b, unsigned i,
				    struct gpu_sample *s)
{
	struct nvml *n = b->priv;
	nvmlDevice_t dev = n->gpu[i].dev;
	unsigned v;

	if (NVML_CALL(temperature, "nvmlDeviceGetTemperature",
		      NVML_TEMPERATURE_GPU, &v)) {
		s->temp_c = (int)v;
		s->valid |= GPU_F_TEMP;
	}
	if (NVML_CALL(temp_threshold, "nvmlDeviceGetTemperatureThreshold",
		      NVML_TEMPERATURE_THRESHOLD_SLOWDOWN, &v)) {
		s->slowdown_temp_c = (int)v;
		s->valid |= GPU_F_THRESHOLDS;
	}
	if (NVML_CALL(temp_threshold, "nvmlDeviceGetTemperatureThreshold",
		      NVML_TEMPERATURE_THRESHOLD_SHUTDOWN, &v)) {
		s->shutdown_temp_c = (int)v;
		s->valid |= GPU_F_THRESHOLDS;
	}
	if (NVML_CALL(power, "nvmlDeviceGetPowerUsage", &v)) {
		s->power_mw = v;
		s->valid |= GPU_F_POWER;
	}
	if (NVML_CALL(power_limit, "nvmlDeviceGetEnforcedPowerLimit", &v))
		s->power_limit_mw = v;
}

static void nvml_read_memory_health(struct gpu_backend *b, unsigned i,
				    struct gpu_sample *s)
{
	struct nvml *n = b->priv;
	nvmlDevice_t dev = n->gpu[i].dev;
	unsigned long long c;
	unsigned cor, unc, pending, failure;

	/* ECC off (or not an ECC part) answers NOT_SUPPORTED: no bit. */
	if (NVML_CALL(ecc, "nvmlDeviceGetTotalEccErrors",
		      NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_VOLATILE_ECC,
		      &c)) {
		s->ecc_sbe_volatile = c;
		if (NVML_CALL(ecc, "nvmlDeviceGetTotalEccErrors",
			      NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
			      NVML_VOLATILE_ECC, &c)) {
			s->ecc_dbe_volatile = c;
			s->valid |= GPU_F_ECC;
		}
		if (NVML_CALL(ecc, "nvmlDeviceGetTotalEccErrors",
			      NVML_MEMORY_ERROR_TYPE_CORRECTED,
			      NVML_AGGREGATE_ECC, &c))
			s->ecc_sbe_aggregate = c;
		if (NVML_CALL(ecc, "nvmlDeviceGetTotalEccErrors",
			      NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
			      NVML_AGGREGATE_ECC, &c))
			s->ecc_dbe_aggregate = c;
	}
	if (NVML_CALL(remapped_rows, "nvmlDeviceGetRemappedRows", &cor, &unc,
		      &pending, &failure)) {
		s->remap_correctable = cor;
		s->remap_uncorrectable = unc;
		s->remap_pending = pending != 0;
		s->remap_failure = failure != 0;
		s->valid |= GPU_F_REMAP;
	}
}

static void nvml_read_pcie_clocks(struct gpu_backend *b, unsigned i,
				  struct gpu_sample *s)
{
	struct nvml *n = b->priv;
	nvmlDevice_t dev = n->gpu[i].dev;
	unsigned long long reasons;
	unsigned v, gen, width;

	if (NVML_CALL(pcie_gen, "nvmlDeviceGetCurrPcieLinkGeneration", &gen) &&
	    NVML_CALL(pcie_width, "nvmlDeviceGetCurrPcieLinkWidth", &width)) {
		s->pcie_gen = gen;
		s->pcie_width = width;
		s->valid |= GPU_F_PCIE;
		if (NVML_CALL(pcie_gen_max,
			      "nvmlDeviceGetMaxPcieLinkGeneration", &v))
			s->pcie_gen_max = v;
		if (NVML_CALL(pcie_width_max, "nvmlDeviceGetMaxPcieLinkWidth",
			      &v))
			s->pcie_width_max = v;
		if (NVML_CALL(pcie_replay, "nvmlDeviceGetPcieReplayCounter",
			      &v))
			s->pcie_replay = v;
	}
	if (NVML_CALL(clock_reasons, "nvmlDeviceGetCurrentClocksEventReasons",
		      &reasons)) {
		s->throttle_reasons = reasons;
		s->valid |= GPU_F_THROTTLE;
	}
	if (NVML_CALL(clock, "nvmlDeviceGetClockInfo", NVML_CLOCK_SM, &v)) {
		s->sm_clock_mhz = v;
		s->valid |= GPU_F_CLOCKS;
		if (NVML_CALL(clock_max, "nvmlDeviceGetMaxClockInfo",
			      NVML_CLOCK_SM, &v))
			s->sm_clock_max_mhz = v;
	}
}

static void nvml_read_processes(struct gpu_backend *b, unsigned i,
				struct gpu_sample *s)
{
	struct nvml *n = b->priv;
	unsigned count = 0;
	nvmlReturn_t r;

	if (!n->sym.processes)
		return;
	/*
	 * Count only: with *count = 0 NVML answers SUCCESS (none running) or
	 * INSUFFICIENT_SIZE with the count, and never touches the buffer,
	 * so the v1/v2 process-info layouts do not matter.
	 */
	r = n->sym.processes(n->gpu[i].dev, &count, NULL);
	if (r == NVML_ERROR_INSUFFICIENT_SIZE ||
	    nvml_check(b, i, r, "nvmlDeviceGetComputeRunningProcesses")) {
		s->processes = r == NVML_SUCCESS ? 0 : count;
		s->valid |= GPU_F_PROCESSES;
	}
}

static void nvml_poll_gpu(struct gpu_backend *b, unsigned i,
			  struct gpu_sample *s)
{
	struct nvml_gpu *g = &((struct nvml *)b->priv)->gpu[i];

	memset(s, 0, sizeof(*s));
	s->index = i;
	if (g->dev && !g->lost) {
		nvml_read_thermal_power(b, i, s);
		nvml_read_memory_health(b, i, s);
		nvml_read_pcie_clocks(b, i, s);
		nvml_read_nvlink(b, i, s);
		nvml_read_recovery(b, i, s);
		nvml_read_processes(b, i, s);
	}
	if (g->lost) {
		/* Whatever was read before it went is not to be trusted. */
		memset(s, 0, sizeof(*s));
		s->index = i;
		s->lost = true;
	}
	s->time_ms = util_now_wall_ms();
}

static void nvml_poll(struct gpu_backend *b)
{
	struct gpu_sample s[GPU_MAX];

	for (unsigned i = 0; i < b->inv.count; i++)
		nvml_poll_gpu(b, i, &s[i]);
	gpu_core_publish(b, s, b->inv.count);
}

/* Worker: one telemetry poll when due, then wait for an event. */
static void nvml_work(struct gpu_backend *b)
{
	struct nvml *n = b->priv;
	int64_t now = util_now_mono_ms();
	int64_t wait;

	if (now >= n->next_poll_ms) {
		nvml_poll(b);
		n->next_poll_ms = now + b->poll_interval_ms;
		/* A poll slower than the interval must not starve events. */
		if (n->next_poll_ms <= util_now_mono_ms())
			n->next_poll_ms =
				util_now_mono_ms() + b->poll_interval_ms;
	}
	wait = n->next_poll_ms - util_now_mono_ms();
	wait = MAX(0, MIN(wait, (int64_t)GPU_WAIT_MAX_MS));
	if (n->evset)
		nvml_wait_event(b, (unsigned)wait);
	else
		gpu_core_wait(b, (int)wait);
}

static void nvml_fini(struct gpu_backend *b)
{
	struct nvml *n = b->priv;

	if (!n)
		return;
	if (n->evset)
		n->sym.evset_free(n->evset);
	if (n->initialized && n->sym.shutdown)
		n->sym.shutdown();
	if (n->dl)
		dlclose(n->dl);
	free(n);
	b->priv = NULL;
}

static const struct gpu_backend_ops nvml_ops = {
	.work = nvml_work,
	.fini = nvml_fini,
};

/* NVML unusable: no GPUs, no worker unless the kernel log is read. */
static const struct gpu_backend_ops nvml_failed_ops = {
	.fini = nvml_fini,
};

struct gpu_backend *gpu_nvml_open(const struct gpu_backend_cfg *cfg,
				  struct err *e)
{
	const char *lib = cfg->nvml_library && *cfg->nvml_library
				  ? cfg->nvml_library
				  : NVML_DEFAULT_LIBRARY;
	const char *kmsg = cfg->kmsg_path ? cfg->kmsg_path : "/dev/kmsg";
	struct gpu_backend *b;
	struct nvml *n;

	b = gpu_core_create("nvml", &nvml_ops, cfg->poll_interval_ms, e);
	if (!b)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	b->priv = n;
	if (nvml_load(b, lib) < 0 || nvml_inventory(b) < 0) {
		/* Release the library now: the node runs without it. */
		nvml_fini(b);
		b->ops = &nvml_failed_ops;
		b->inv.count = 0;
	} else {
		nvml_events_setup(b);
	}
	gpu_core_inventory_done(b);
	if (gpu_core_start(b, kmsg, e) < 0) {
		gpu_backend_close(b);
		return NULL;
	}
	return b;
}
