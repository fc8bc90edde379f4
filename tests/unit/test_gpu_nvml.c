/*
 * Unit tests for the real NVML backend (nodeagent/gpu_nvml.c) running
 * against the stub libraries in $top_builddir/tests/stub/ (see
 * tests/stub/nvml_stub.c for the script format): inventory, readings,
 * events through the event fd, the failure modes (no library, no
 * nvmlInit, init errors), the old-driver fallbacks, GPU_IS_LOST, and
 * de-duplication against the kernel log.
 *
 * Waits use poll() with generous limits; nothing asserts on timing.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodeagent/gpu.h"
#include "nodeagent/gpu_int.h"
#include "tests/lib/tap.h"

#define WAIT_MS 20000
#define MAX_EVENTS 64

static char stub_new[PATH_MAX];
static char stub_old[PATH_MAX];
static char tmpdir[] = "/tmp/test_gpu_nvml.XXXXXX";

/* The build dir: $top_builddir, else two levels above this binary. */
static void find_stubs(void)
{
	const char *top = getenv("top_builddir");
	char exe[PATH_MAX];
	const char *dir;
	ssize_t len;

	if (top && *top) {
		snprintf(stub_new, sizeof(stub_new),
			 "%s/tests/stub/libnvidia-ml.so.1", top);
		snprintf(stub_old, sizeof(stub_old),
			 "%s/tests/stub/old/libnvidia-ml.so.1", top);
		return;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	/* .../tests/unit/test_gpu_nvml -> .../tests/stub/... */
	dir = dirname(exe);
	snprintf(stub_new, sizeof(stub_new), "%s/../stub/libnvidia-ml.so.1",
		 dir);
	snprintf(stub_old, sizeof(stub_old), "%s/../stub/old/libnvidia-ml.so.1",
		 dir);
}

static void script(const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/script", tmpdir);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0)
		diag("cannot write %s: %s", path, strerror(errno));
	if (f)
		fclose(f);
	setenv("NVML_STUB_SCRIPT", path, 1);
}

static struct gpu_backend *open_nvml(const char *lib, const char *kmsg)
{
	struct gpu_backend_cfg cfg;
	struct gpu_backend *b;
	struct err e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = "nvml";
	cfg.nvml_library = lib;
	cfg.kmsg_path = kmsg ? kmsg : ""; /* never the host's /dev/kmsg */
	cfg.poll_interval_ms = 100;
	err_clear(&e);
	b = gpu_backend_open(&cfg, &e);
	if (!b)
		diag("open nvml: %s", e.msg);
	return b;
}

/* Everything seen so far, so checks can look back. */
struct seen {
	size_t n;
	struct gpu_event ev[MAX_EVENTS];
};

static void drain(struct gpu_backend *b, struct seen *s)
{
	struct gpu_event ev[16];
	size_t n = gpu_backend_drain_events(b, ev, 16);

	for (size_t i = 0; i < n; i++) {
		diag("event gpu=%d kind=%d code=%u src=%d bus=%s text=%s",
		     ev[i].gpu_index, ev[i].kind, ev[i].code, ev[i].source,
		     ev[i].pci_bus_id, ev[i].text);
		if (s->n < MAX_EVENTS)
			s->ev[s->n++] = ev[i];
	}
}

static const struct gpu_event *find_event(const struct seen *s, int gpu,
					  enum gpu_event_kind kind,
					  unsigned code)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ev[i].gpu_index == gpu && s->ev[i].kind == kind &&
		    s->ev[i].code == code)
			return &s->ev[i];
	return NULL;
}

static size_t count_events(const struct seen *s, int gpu,
			   enum gpu_event_kind kind, unsigned code)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->ev[i].gpu_index == gpu && s->ev[i].kind == kind &&
		     s->ev[i].code == code;
	return n;
}

static size_t count_kind(const struct seen *s, enum gpu_event_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->ev[i].kind == kind;
	return n;
}

/* Wait (through the fd, as the loop does) until the event was seen. */
static const struct gpu_event *wait_event(struct gpu_backend *b, struct seen *s,
					  int gpu, enum gpu_event_kind kind,
					  unsigned code)
{
	int64_t end = util_now_mono_ms() + WAIT_MS;
	const struct gpu_event *ev;

	while (!(ev = find_event(s, gpu, kind, code)) &&
	       util_now_mono_ms() < end) {
		struct pollfd pfd = { gpu_backend_event_fd(b), POLLIN, 0 };

		if (poll(&pfd, 1, 500) == 1)
			drain(b, s);
	}
	return ev;
}

/* Wait until every GPU has a sample taken after since_ms. */
static bool wait_samples(struct gpu_backend *b, struct gpu_sample *out,
			 struct seen *s, int64_t since_ms)
{
	int64_t end = util_now_mono_ms() + WAIT_MS;
	size_t count = gpu_backend_inventory(b)->count;

	while (util_now_mono_ms() < end) {
		struct pollfd pfd = { gpu_backend_event_fd(b), POLLIN, 0 };
		size_t n, fresh = 0;

		if (poll(&pfd, 1, 500) == 1)
			drain(b, s);
		n = gpu_backend_samples(b, out, GPU_MAX);
		for (size_t i = 0; i < n; i++)
			fresh += out[i].time_ms > since_ms;
		if (n == count && fresh == count)
			return true;
	}
	return false;
}

static unsigned legacy_calls(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
	unsigned (*fn)(void);
	unsigned n = 999;

	if (!h)
		return 998;
	*(void **)&fn = dlsym(h, "nvml_stub_legacy_calls");
	if (fn)
		n = fn();
	dlclose(h);
	return n;
}

static void test_model_short(void)
{
	static const char *const cases[][2] = {
		{ "NVIDIA H100 80GB HBM3", "H100" },
		{ "NVIDIA H200", "H200" },
		{ "NVIDIA H100-SXM5-80GB", "H100" },
		{ "NVIDIA H100 NVL", "H100" },
		{ "  NVIDIA A100-SXM4-80GB  ", "NVIDIA A100-SXM4-80GB" },
		{ "NVIDIA GH200 480GB", "NVIDIA GH200 480GB" },
		{ "NVIDIA H1000", "NVIDIA H1000" },
		{ "", "" },
	};
	char out[GPU_MODEL_LEN];
	char tiny[5];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		gpu_model_short(cases[i][0], out, sizeof(out));
		is_str(out, cases[i][1], "model of '%s'", cases[i][0]);
	}
	gpu_model_short("NVIDIA A100", tiny, sizeof(tiny));
	is_str(tiny, "NVID", "truncated to the buffer");
}

static void test_inventory_and_readings(void)
{
	static const char *const buses[8] = {
		"00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0",
		"00000000:5D:00.0", "00000000:9A:00.0", "00000000:AB:00.0",
		"00000000:BA:00.0", "00000000:DB:00.0",
	};
	unsigned all = GPU_F_TEMP | GPU_F_POWER | GPU_F_ECC | GPU_F_REMAP |
		       GPU_F_PCIE | GPU_F_THROTTLE | GPU_F_NVLINK |
		       GPU_F_CLOCKS | GPU_F_RECOVERY | GPU_F_THRESHOLDS |
		       GPU_F_PROCESSES;
	const struct gpu_inventory *inv;
	struct gpu_sample s[GPU_MAX];
	const struct gpu_event *ev;
	struct seen seen = { 0 };
	struct gpu_backend *b;
	bool ids = true, valid = true;
	int64_t t0 = util_now_wall_ms() - 1;

	script("# readings per GPU\n"
	       "set 0 power_mw 250000\n"
	       "set 1 sm_clock 1500\n"
	       "set 1 processes 3\n"
	       "set 2 temp 77\n"
	       "set 3 ecc_sbe_vol 12\n"
	       "set 3 ecc_dbe_agg 1\n"
	       "set 4 remap_pending 1\n"
	       "set 4 remap_unc 2\n"
	       "set 5 throttle 0x40\n"
	       "set 6 nvlink_down 0x11\n"
	       "set 6 nvlink_replay 7\n"
	       "set 6 nvlink_crc 150\n"
	       "set 7 pcie_width 8\n"
	       "set 7 name NVIDIA H200\n"
	       "set 7 memory_mib 143771\n"
	       "event 2 xid 79 after_ms 200\n"
	       "event 5 dbe after_ms 300\n"
	       "event 3 xid 999 after_ms 300\n");
	b = open_nvml(stub_new, NULL);
	ok(b != NULL, "nvml backend opens on the stub");
	if (!b)
		return;
	inv = gpu_backend_inventory(b);
	is_str(inv->problem, "", "no problem");
	is_int(inv->count, 8, "8 GPUs");
	is_str(inv->backend, "nvml", "backend nvml");
	is_str(inv->driver_version, "550.54.15", "driver version");
	is_int(legacy_calls(stub_new), 0,
	       "versioned names preferred: no legacy call");
	for (unsigned i = 0; i < inv->count; i++) {
		const struct gpu_dev *d = &inv->gpus[i];
		char uuid[GPU_UUID_LEN], serial[GPU_SERIAL_LEN];

		snprintf(uuid, sizeof(uuid),
			 "GPU-abcd%04x-1111-2222-3333-%012x", i, i);
		snprintf(serial, sizeof(serial), "STUB%09u", i);
		ids &= d->index == i && !strcmp(d->uuid, uuid) &&
		       !strcmp(d->serial, serial) && d->minor == i &&
		       !strcmp(d->pci_bus_id, buses[i]) &&
		       d->numa_node == (i < 4 ? 0 : 1);
		if (i < 7)
			ids &= !strcmp(d->model, "H100") &&
			       d->memory_mib == 81559;
	}
	ok(ids, "UUIDs, serials, minors, bus ids, NUMA, H100 models");
	is_str(inv->gpus[7].model, "H200", "GPU 7 renamed to H200");
	is_int(inv->gpus[7].memory_mib, 143771, "GPU 7 memory");

	ok(wait_samples(b, s, &seen, t0), "fresh samples for every GPU");
	for (unsigned i = 0; i < 8; i++)
		valid &= s[i].valid == all && !s[i].lost && s[i].index == i;
	ok(valid, "every metric valid on every GPU");
	ok(s[0].power_mw == 250000 && s[0].power_limit_mw == 700000,
	   "power and limit");
	ok(s[0].temp_c == 40 && s[2].temp_c == 77, "temperatures");
	ok(s[2].slowdown_temp_c == 87 && s[2].shutdown_temp_c == 92,
	   "thresholds");
	ok(s[1].sm_clock_mhz == 1500 && s[1].sm_clock_max_mhz == 1980,
	   "SM clocks");
	is_int(s[1].processes, 3, "3 processes counted");
	is_int(s[0].processes, 0, "no processes");
	ok(s[3].ecc_sbe_volatile == 12 && s[3].ecc_dbe_aggregate == 1 &&
		   s[3].ecc_dbe_volatile == 0,
	   "ECC counters");
	ok(s[4].remap_pending && s[4].remap_uncorrectable == 2 &&
		   !s[4].remap_failure,
	   "remapped rows");
	is_int(s[5].throttle_reasons, GPU_THROTTLE_HW_THERMAL,
	       "clock event reasons");
	ok(s[6].nvlink_count == 18 && s[6].nvlink_down_mask == 0x11 &&
		   s[6].nvlink_replay == 7 && s[6].nvlink_crc == 150,
	   "NVLink state and counters");
	ok(s[7].pcie_width == 8 && s[7].pcie_width_max == 16 &&
		   s[7].pcie_gen == 5 && s[7].pcie_gen_max == 5,
	   "PCIe width and generation");
	is_int(s[0].recovery_action, GPU_RECOVERY_NONE, "recovery none");

	ev = wait_event(b, &seen, 2, GPU_EVENT_XID, 79);
	ok(ev != NULL, "XID 79 on GPU 2 arrives through the event fd");
	if (ev) {
		is_int(ev->source, GPU_SRC_NVML, "from NVML");
		is_str(ev->pci_bus_id, "00000000:3A:00.0", "with its bus id");
	}
	ok(wait_event(b, &seen, 5, GPU_EVENT_DBE, 0) != NULL,
	   "DBE event on GPU 5");
	ok(wait_event(b, &seen, 3, GPU_EVENT_XID, 999) != NULL,
	   "unknown XID reported as 999");
	is_int(count_kind(&seen, GPU_EVENT_BACKEND_ERROR) +
		       count_kind(&seen, GPU_EVENT_GPU_LOST),
	       0, "no backend errors, no lost GPUs");
	gpu_backend_close(b);
}

static void test_failures(void)
{
	struct gpu_backend *b;
	const struct gpu_inventory *inv;
	struct gpu_sample s[4];
	struct gpu_event ev[4];

	b = open_nvml("/nonexistent/libnvidia-ml.so.1", NULL);
	ok(b != NULL, "missing library: still a backend");
	if (b) {
		inv = gpu_backend_inventory(b);
		is_int(inv->count, 0, "missing library: 0 GPUs");
		ok(strstr(inv->problem, "/nonexistent/libnvidia-ml.so.1") &&
			   strstr(inv->problem, "not found"),
		   "problem names the library: %s", inv->problem);
		is_str(inv->backend, "nvml", "backend still nvml");
		is_int(gpu_backend_samples(b, s, 4), 0, "no samples");
		is_int(gpu_backend_drain_events(b, ev, 4), 0, "no events");
		gpu_backend_close(b);
	}

	b = open_nvml("libm.so.6", NULL);
	ok(b != NULL, "a library without NVML: still a backend");
	if (b) {
		inv = gpu_backend_inventory(b);
		is_int(inv->count, 0, "no nvmlInit: 0 GPUs");
		ok(strstr(inv->problem, "neither nvmlInit_v2 nor nvmlInit") !=
			   NULL,
		   "problem: %s", inv->problem);
		gpu_backend_close(b);
	}

	script("init_error 18\n");
	b = open_nvml(stub_new, NULL);
	ok(b != NULL, "version mismatch: still a backend");
	if (b) {
		inv = gpu_backend_inventory(b);
		is_int(inv->count, 0, "mismatch: 0 GPUs");
		ok(strstr(inv->problem, "LIB_RM_VERSION_MISMATCH") &&
			   strstr(inv->problem, "mismatch") &&
			   strstr(inv->problem, "nvmlInit_v2"),
		   "problem: %s", inv->problem);
		gpu_backend_close(b);
	}

	script("init_error 9\n");
	b = open_nvml(stub_new, NULL);
	ok(b && gpu_backend_inventory(b)->count == 0 &&
		   strstr(gpu_backend_inventory(b)->problem,
			  "DRIVER_NOT_LOADED"),
	   "driver not loaded: %s", b ? gpu_backend_inventory(b)->problem : "");
	gpu_backend_close(b);

	script("gpus 0\n");
	b = open_nvml(stub_new, NULL);
	ok(b && gpu_backend_inventory(b)->count == 0 &&
		   strstr(gpu_backend_inventory(b)->problem, "no GPUs"),
	   "zero GPUs: %s", b ? gpu_backend_inventory(b)->problem : "");
	gpu_backend_close(b);
}

static void test_old_driver(void)
{
	const struct gpu_inventory *inv;
	struct gpu_sample s[GPU_MAX];
	struct seen seen = { 0 };
	struct gpu_backend *b;
	char numa_path[128];
	int want_numa = -1;
	int64_t t0 = util_now_wall_ms() - 1;

	script("set 3 throttle 0x80\n"
	       "set 2 processes 2\n"
	       "set 5 nvlink_down 0x4\n"
	       "event 1 xid 48 after_ms 100\n");
	b = open_nvml(stub_old, NULL);
	ok(b != NULL, "old driver stub opens");
	if (!b)
		return;
	inv = gpu_backend_inventory(b);
	is_str(inv->problem, "", "old driver: no problem");
	is_int(inv->count, 8, "old driver: 8 GPUs via nvmlInit/GetCount");
	is_str(inv->gpus[1].pci_bus_id, "00000000:2A:00.0",
	       "bus id built from the v1 PciInfo fields");
	is_str(inv->gpus[1].uuid, "GPU-abcd0001-1111-2222-3333-000000000001",
	       "UUID");
	is_str(inv->gpus[0].model, "H100", "model");
	/* No nvmlDeviceGetNumaNodeId: sysfs, which has no such device here. */
	snprintf(numa_path, sizeof(numa_path),
		 "/sys/bus/pci/devices/0000:18:00.0/numa_node");
	if (access(numa_path, R_OK) == 0)
		want_numa = inv->gpus[0].numa_node; /* a real device there */
	is_int(inv->gpus[0].numa_node, want_numa, "NUMA from sysfs or -1");

	ok(wait_samples(b, s, &seen, t0), "old driver: fresh samples");
	ok((s[0].valid & GPU_F_RECOVERY) == 0,
	   "no field values: recovery action not valid");
	ok((s[3].valid & GPU_F_THROTTLE) && s[3].throttle_reasons == 0x80,
	   "throttle via ...ThrottleReasons fallback");
	ok((s[2].valid & GPU_F_PROCESSES) && s[2].processes == 2,
	   "processes via the plain symbol");
	ok((s[5].valid & GPU_F_NVLINK) && s[5].nvlink_count == 18 &&
		   s[5].nvlink_down_mask == 0x4,
	   "NVLink count found by probing links");
	ok((s[0].valid & (GPU_F_TEMP | GPU_F_ECC | GPU_F_PCIE)) ==
		   (GPU_F_TEMP | GPU_F_ECC | GPU_F_PCIE),
	   "the other metrics still valid");
	ok(wait_event(b, &seen, 1, GPU_EVENT_XID, 48) != NULL,
	   "XID 48 through nvmlEventSetWait (v1)");
	gpu_backend_close(b);
}

static void test_lost_and_unsupported(void)
{
	const struct gpu_inventory *inv;
	struct gpu_sample s[GPU_MAX];
	struct seen seen = { 0 };
	const struct gpu_event *ev;
	struct gpu_backend *b;
	int64_t t0;

	script("lost 6\n"
	       "lost 4 after_ms 300\n"
	       "unsupported 2 ecc\n"
	       "unsupported 2 recovery\n"
	       "unsupported 3 nvlink_counters\n"
	       "set 3 nvlink_replay 9\n"
	       "event 0 recovery 2 after_ms 100\n");
	b = open_nvml(stub_new, NULL);
	ok(b != NULL, "open with lost GPUs");
	if (!b)
		return;
	inv = gpu_backend_inventory(b);
	is_int(inv->count, 8, "a lost GPU keeps its slot");
	is_str(inv->gpus[6].uuid, "", "lost at start: no UUID");
	ev = wait_event(b, &seen, 6, GPU_EVENT_GPU_LOST, 79);
	ok(ev != NULL, "GPU_IS_LOST during inventory -> GPU_LOST");
	ok(wait_event(b, &seen, 4, GPU_EVENT_GPU_LOST, 79) != NULL,
	   "GPU_IS_LOST while polling -> GPU_LOST on GPU 4");
	ok(wait_event(b, &seen, 0, GPU_EVENT_RECOVERY,
		      GPU_RECOVERY_NODE_REBOOT) != NULL,
	   "recovery action event read from field 230");
	t0 = util_now_wall_ms();
	ok(wait_samples(b, s, &seen, t0), "samples after the loss");
	ok(s[4].lost && s[4].valid == 0 && s[4].temp_c == 0,
	   "lost GPU 4: no readings");
	ok(s[6].lost && s[6].valid == 0, "lost GPU 6: no readings");
	ok(!s[5].lost && (s[5].valid & GPU_F_TEMP), "GPU 5 unaffected");
	ok((s[2].valid & (GPU_F_ECC | GPU_F_RECOVERY)) == 0 &&
		   (s[2].valid & GPU_F_TEMP),
	   "unsupported ECC and recovery: bits clear, the rest valid");
	ok((s[3].valid & GPU_F_NVLINK) && s[3].nvlink_replay == 9,
	   "NVLink counters from field values when the call is unsupported");
	is_int(s[0].recovery_action, GPU_RECOVERY_NODE_REBOOT,
	       "recovery action in the sample");
	is_int(count_events(&seen, 4, GPU_EVENT_GPU_LOST, 79), 1,
	       "GPU_LOST reported once");
	gpu_backend_close(b);
}

static void test_kmsg_dedup(void)
{
	char kmsg[PATH_MAX];
	struct seen seen = { 0 };
	struct gpu_backend *b;
	FILE *f;

	snprintf(kmsg, sizeof(kmsg), "%s/kmsg", tmpdir);
	f = fopen(kmsg, "w");
	if (!f) {
		ok(0, "write kmsg file");
		return;
	}
	fprintf(f, "6,10,100,-;NVRM: Xid (PCI:0000:18:00): 79, pid=1234, "
		   "name=python, GPU has fallen off the bus.\n"
		   "6,11,101,-;NVRM: Xid (PCI:0000:9a:00): 13, pid=5, "
		   "name=x, Graphics Exception\n"
		   "6,12,102,-;NVRM: GPU 0000:db:00.0: GPU has fallen off "
		   "the bus.\n");
	fclose(f);
	script("event 0 xid 79\n"
	       "event 7 xid 31 after_ms 1500\n");
	b = open_nvml(stub_new, kmsg);
	ok(b != NULL, "nvml with a kernel log file");
	if (!b)
		return;
	/* XID 31 comes last: by then both XID 79 reports were handled. */
	ok(wait_event(b, &seen, 7, GPU_EVENT_XID, 31) != NULL,
	   "sentinel XID 31 seen");
	ok(wait_event(b, &seen, 4, GPU_EVENT_XID, 13) != NULL,
	   "kmsg XID 13 mapped to GPU 4 by bus id");
	ok(wait_event(b, &seen, 7, GPU_EVENT_GPU_LOST, 79) != NULL,
	   "kmsg 'fallen off the bus' -> GPU_LOST on GPU 7");
	is_int(count_events(&seen, 0, GPU_EVENT_XID, 79), 1,
	       "XID 79 from NVML and kmsg reported once");
	gpu_backend_close(b);
	unlink(kmsg);
}

int main(void)
{
	char path[PATH_MAX];

	find_stubs();
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot create a temp dir\n");
		return 0;
	}
	if (access(stub_new, R_OK) || access(stub_old, R_OK)) {
		diag("stubs not found: %s, %s", stub_new, stub_old);
		ok(0, "NVML stub libraries built");
		return done_testing();
	}
	diag("stub: %s", stub_new);
	test_model_short();
	test_inventory_and_readings();
	test_failures();
	test_old_driver();
	test_lost_and_unsupported();
	test_kmsg_dedup();
	snprintf(path, sizeof(path), "%s/script", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return done_testing();
}
