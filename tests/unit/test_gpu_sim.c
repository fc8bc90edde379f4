/*
 * Unit tests for the sim and none GPU backends: inventory, healthy
 * baseline, every fault-injection command and its events (read through
 * the event fd as the loop would), bad commands, the kernel log path and
 * the bounded event queue.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodeagent/gpu.h"
#include "tests/lib/tap.h"

#define WAIT_MS 10000 /* generous: a failure, never a timing assertion */

static struct gpu_backend *open_sim(const char *model, unsigned n,
				    const char *node, const char *kmsg)
{
	struct gpu_backend_cfg cfg;
	struct err e;
	struct gpu_backend *b;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = "sim";
	cfg.sim_model = model;
	cfg.sim_gpus = n;
	cfg.sim_node = node;
	cfg.kmsg_path = kmsg;
	err_clear(&e);
	b = gpu_backend_open(&cfg, &e);
	if (!b)
		diag("open sim: %s", e.msg);
	return b;
}

static bool readable(struct gpu_backend *b, int ms)
{
	struct pollfd pfd = { .fd = gpu_backend_event_fd(b), .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* Run a command that must succeed. */
static void cmd_ok(struct gpu_backend *b, const char *line)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = gpu_backend_command(b, line, &e);
	ok(rc == 0, "command '%s' -> %s", line, e.msg);
}

/* Run a command that must fail with a message containing want. */
static void cmd_bad(struct gpu_backend *b, const char *line, const char *want)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = gpu_backend_command(b, line, &e);
	ok(rc == -1 && strstr(e.msg, want) != NULL,
	   "bad command '%s' -> '%s' (want '%s')", line, e.msg, want);
}

static struct gpu_sample sample(struct gpu_backend *b, unsigned i)
{
	struct gpu_sample s[GPU_MAX];
	struct gpu_sample none;
	size_t n = gpu_backend_samples(b, s, GPU_MAX);

	if (i < n)
		return s[i];
	memset(&none, 0, sizeof(none));
	return none;
}

/* Drain events, waiting for at least one through the fd. */
static size_t events(struct gpu_backend *b, struct gpu_event *ev, size_t max)
{
	if (!readable(b, 0))
		return 0;
	return gpu_backend_drain_events(b, ev, max);
}

static void test_inventory(void)
{
	struct gpu_backend *b = open_sim(NULL, 0, "node17", NULL);
	struct gpu_backend *b2, *b3;
	const struct gpu_inventory *inv;
	static const char *const buses[8] = {
		"00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0",
		"00000000:5D:00.0", "00000000:9A:00.0", "00000000:AB:00.0",
		"00000000:BA:00.0", "00000000:DB:00.0",
	};
	bool distinct = true, same = true, differ = true;
	bool numa_ok = true, bus_ok = true, model_ok = true;

	ok(b != NULL, "default sim opens");
	if (!b)
		return;
	inv = gpu_backend_inventory(b);
	is_int(inv->count, 8, "8 GPUs by default");
	is_str(inv->backend, "sim", "backend name");
	is_str(inv->problem, "", "no problem");
	ok(inv->driver_version[0] != '\0', "driver version set");
	for (unsigned i = 0; i < inv->count; i++) {
		const struct gpu_dev *d = &inv->gpus[i];

		model_ok &= !strcmp(d->model, "H100") &&
			    d->memory_mib == 81559 && d->index == i &&
			    d->minor == i && d->serial[0];
		numa_ok &= d->numa_node == (i < 4 ? 0 : 1);
		bus_ok &= !strcmp(d->pci_bus_id, buses[i]);
		distinct &=
			!strncmp(d->uuid, "GPU-", 4) && strlen(d->uuid) == 40;
		for (unsigned j = 0; j < i; j++)
			distinct &= strcmp(d->uuid, inv->gpus[j].uuid) != 0;
	}
	ok(model_ok, "H100, 81559 MiB, index, minor, serial");
	ok(numa_ok, "GPUs 0-3 on NUMA 0, 4-7 on NUMA 1");
	ok(bus_ok, "HGX bus ids");
	ok(distinct, "UUIDs look like GPU-8-4-4-4-12 and are distinct");
	diag("uuid[0] = %s", inv->gpus[0].uuid);

	b2 = open_sim("H100", 8, "node17", NULL);
	b3 = open_sim("H100", 8, "node18", NULL);
	for (unsigned i = 0; b2 && b3 && i < 8; i++) {
		same &= !strcmp(inv->gpus[i].uuid,
				gpu_backend_inventory(b2)->gpus[i].uuid);
		differ &= strcmp(inv->gpus[i].uuid,
				 gpu_backend_inventory(b3)->gpus[i].uuid) != 0;
	}
	ok(b2 && b3 && same, "UUIDs are stable for a node name");
	ok(b2 && b3 && differ, "and differ between nodes");
	gpu_backend_close(b2);
	gpu_backend_close(b3);

	b2 = open_sim("H200", 4, NULL, NULL);
	ok(b2 != NULL, "H200 x4 opens");
	if (b2) {
		inv = gpu_backend_inventory(b2);
		is_int(inv->count, 4, "4 GPUs");
		is_str(inv->gpus[0].model, "H200", "model H200");
		is_int(inv->gpus[0].memory_mib, 143771, "H200 memory");
		ok(inv->gpus[1].numa_node == 0 && inv->gpus[2].numa_node == 1,
		   "half per NUMA node with 4 GPUs");
	}
	gpu_backend_close(b2);
	gpu_backend_close(b);
}

static void test_bad_config(void)
{
	struct gpu_backend_cfg cfg;
	struct err e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = "sim";
	cfg.sim_model = "A100";
	ok(gpu_backend_open(&cfg, &e) == NULL, "unknown sim model rejected");
	ok(strstr(e.msg, "A100") != NULL, "says which: %s", e.msg);
	cfg.sim_model = "H100";
	cfg.sim_gpus = GPU_MAX + 1;
	ok(gpu_backend_open(&cfg, &e) == NULL, "too many sim GPUs rejected");
	cfg.sim_gpus = 0;
	cfg.kind = "cuda";
	ok(gpu_backend_open(&cfg, &e) == NULL, "unknown backend rejected");
	ok(strstr(e.msg, "cuda") != NULL, "says which: %s", e.msg);
	cfg.kind = NULL;
	ok(gpu_backend_open(&cfg, &e) == NULL, "no backend kind rejected");
}

static void test_baseline(struct gpu_backend *b)
{
	struct gpu_sample s[GPU_MAX];
	unsigned all = GPU_F_TEMP | GPU_F_POWER | GPU_F_ECC | GPU_F_REMAP |
		       GPU_F_PCIE | GPU_F_THROTTLE | GPU_F_NVLINK |
		       GPU_F_CLOCKS | GPU_F_RECOVERY | GPU_F_THRESHOLDS |
		       GPU_F_PROCESSES;
	size_t n = gpu_backend_samples(b, s, GPU_MAX);
	bool healthy = true;

	is_int(n, 8, "8 samples");
	for (size_t i = 0; i < n; i++) {
		healthy &= s[i].index == i && s[i].valid == all && !s[i].lost;
		healthy &= s[i].temp_c >= 35 && s[i].temp_c <= 45;
		healthy &= s[i].slowdown_temp_c == 87 &&
			   s[i].shutdown_temp_c == 92;
		healthy &= s[i].power_mw >= 90000 && s[i].power_mw <= 110000;
		healthy &= s[i].power_limit_mw == 700000;
		healthy &= !s[i].ecc_sbe_volatile && !s[i].ecc_dbe_volatile &&
			   !s[i].ecc_sbe_aggregate && !s[i].ecc_dbe_aggregate;
		healthy &= !s[i].remap_pending && !s[i].remap_failure;
		healthy &= s[i].pcie_gen == 5 && s[i].pcie_gen_max == 5 &&
			   s[i].pcie_width == 16 && s[i].pcie_width_max == 16;
		healthy &= s[i].nvlink_count == 18 && !s[i].nvlink_down_mask;
		healthy &= !s[i].throttle_reasons && !s[i].recovery_action;
		healthy &= s[i].sm_clock_mhz == s[i].sm_clock_max_mhz &&
			   s[i].sm_clock_mhz > 0;
		healthy &= s[i].time_ms > 0;
	}
	ok(healthy, "healthy baseline on every GPU");
	is_int(gpu_backend_samples(b, s, 3), 3, "samples respects max");
}

static void test_commands(struct gpu_backend *b)
{
	struct gpu_event ev[8];
	struct gpu_sample s;
	struct err e;
	size_t n;

	/* Drain anything pending so the fd starts quiet. */
	while (events(b, ev, 8))
		;
	ok(!readable(b, 0), "event fd quiet at start");

	err_clear(&e);
	ok(gpu_backend_command(b, "xid 3 79", &e) == 0, "xid 3 79");
	ok(!strncmp(e.msg, "ok: xid 3 79", 12), "reply: %s", e.msg);
	ok(readable(b, WAIT_MS), "event fd readable after xid");
	n = gpu_backend_drain_events(b, ev, 8);
	is_int(n, 1, "one event");
	is_int(ev[0].kind, GPU_EVENT_XID, "kind XID");
	is_int(ev[0].code, 79, "code 79");
	is_int(ev[0].gpu_index, 3, "GPU 3");
	is_int(ev[0].source, GPU_SRC_SIM, "source sim");
	is_str(ev[0].pci_bus_id, "00000000:5D:00.0", "bus id of GPU 3");
	ok(ev[0].time_ms > 0, "timestamped");
	ok(!readable(b, 0), "fd quiet after drain");
	cmd_ok(b, "xid 3 79");
	is_int(events(b, ev, 8), 0, "the same XID again is de-duplicated");
	cmd_ok(b, "xid 3 48");
	is_int(events(b, ev, 8), 1, "another XID on the same GPU is new");
	ok(gpu_backend_command(b, "xid 3 13", NULL) == 0, "NULL err is fine");
	is_int(events(b, ev, 8), 1, "and raises its event");

	cmd_ok(b, "temp 2 91");
	is_int(sample(b, 2).temp_c, 91, "temp 2 91");
	cmd_ok(b, "power 1 650");
	is_int(sample(b, 1).power_mw, 650000, "power in mW");

	cmd_ok(b, "ecc 0 sbe 5");
	s = sample(b, 0);
	ok(s.ecc_sbe_volatile == 5 && s.ecc_sbe_aggregate == 5,
	   "sbe added to volatile and aggregate");
	is_int(events(b, ev, 8), 0, "sbe raises no event");
	cmd_ok(b, "ecc 0 dbe 2");
	cmd_ok(b, "ecc 0 sbe 1");
	s = sample(b, 0);
	ok(s.ecc_dbe_volatile == 2 && s.ecc_dbe_aggregate == 2 &&
		   s.ecc_sbe_volatile == 6,
	   "dbe added, sbe accumulates");
	n = events(b, ev, 8);
	ok(n == 1 && ev[0].kind == GPU_EVENT_DBE && ev[0].gpu_index == 0,
	   "dbe raises a DBE event");

	cmd_ok(b, "remap 5 pending");
	s = sample(b, 5);
	ok(s.remap_pending && s.remap_uncorrectable == 1 && !s.remap_failure,
	   "remap pending");
	cmd_ok(b, "remap 5 failure");
	ok(sample(b, 5).remap_failure, "remap failure");
	cmd_ok(b, "remap 5 clear");
	s = sample(b, 5);
	ok(!s.remap_pending && !s.remap_failure && !s.remap_uncorrectable,
	   "remap clear");

	cmd_ok(b, "nvlink 1 down 4");
	cmd_ok(b, "nvlink 1 down 17");
	is_int(sample(b, 1).nvlink_down_mask, (1 << 4) | (1 << 17),
	       "links 4 and 17 down");
	cmd_ok(b, "nvlink 1 up 4");
	is_int(sample(b, 1).nvlink_down_mask, 1 << 17, "link 4 back up");
	cmd_ok(b, "nvlink 1 errors replay 3");
	cmd_ok(b, "nvlink 1 errors recovery 2");
	cmd_ok(b, "nvlink 1 errors crc 150");
	cmd_ok(b, "nvlink 1 errors crc 1");
	s = sample(b, 1);
	ok(s.nvlink_replay == 3 && s.nvlink_recovery == 2 &&
		   s.nvlink_crc == 151,
	   "NVLink error counters add up");

	cmd_ok(b, "throttle 6 hw_thermal");
	is_int(sample(b, 6).throttle_reasons, GPU_THROTTLE_HW_THERMAL,
	       "hw_thermal");
	cmd_ok(b, "throttle 6 hw_power_brake");
	is_int(sample(b, 6).throttle_reasons,
	       GPU_THROTTLE_HW_THERMAL | GPU_THROTTLE_HW_POWER_BRAKE,
	       "reasons combine");
	cmd_ok(b, "throttle 6 none");
	is_int(sample(b, 6).throttle_reasons, 0, "none clears");
	cmd_ok(b, "throttle 6 hw_slowdown");
	cmd_ok(b, "throttle 6 sw_thermal");
	is_int(sample(b, 6).throttle_reasons,
	       GPU_THROTTLE_HW_SLOWDOWN | GPU_THROTTLE_SW_THERMAL,
	       "hw_slowdown and sw_thermal");

	cmd_ok(b, "clock 7 1200");
	is_int(sample(b, 7).sm_clock_mhz, 1200, "SM clock");
	cmd_ok(b, "pcie 4 width 8");
	cmd_ok(b, "pcie 4 gen 3");
	cmd_ok(b, "pcie 4 replay 12");
	s = sample(b, 4);
	ok(s.pcie_width == 8 && s.pcie_width_max == 16 && s.pcie_gen == 3 &&
		   s.pcie_replay == 12,
	   "PCIe width, gen and replay");
	cmd_ok(b, "processes 3 2");
	is_int(sample(b, 3).processes, 2, "process count");

	cmd_ok(b, "recovery 2 reboot");
	is_int(sample(b, 2).recovery_action, GPU_RECOVERY_NODE_REBOOT,
	       "recovery action in the sample");
	n = events(b, ev, 8);
	ok(n == 1 && ev[0].kind == GPU_EVENT_RECOVERY &&
		   ev[0].code == GPU_RECOVERY_NODE_REBOOT &&
		   ev[0].gpu_index == 2,
	   "recovery raises a RECOVERY event");
	cmd_ok(b, "recovery 2 drain_and_reset");
	n = events(b, ev, 8);
	ok(n == 1 && ev[0].code == GPU_RECOVERY_DRAIN_AND_RESET,
	   "another action, another event");
	cmd_ok(b, "recovery 2 reset");
	cmd_ok(b, "recovery 2 drain_p2p");
	is_int(events(b, ev, 8), 2, "reset and drain_p2p events");
	cmd_ok(b, "recovery 2 none");
	is_int(events(b, ev, 8), 0, "none is not news");
	is_int(sample(b, 2).recovery_action, GPU_RECOVERY_NONE, "back to none");

	cmd_ok(b, "lost 0");
	n = events(b, ev, 8);
	ok(n == 1 && ev[0].kind == GPU_EVENT_GPU_LOST && ev[0].code == 79 &&
		   ev[0].gpu_index == 0,
	   "lost raises GPU_LOST (code 79)");
	s = sample(b, 0);
	ok(s.lost && s.valid == 0 && s.temp_c == 0 && s.index == 0,
	   "a lost GPU returns no readings");
	cmd_ok(b, "temp all 50");
	ok(sample(b, 0).lost && sample(b, 1).temp_c == 50 &&
		   sample(b, 7).temp_c == 50,
	   "'all' applies to every GPU");

	cmd_ok(b, "clear 0");
	s = sample(b, 0);
	ok(!s.lost && s.valid != 0 && s.ecc_dbe_volatile == 0 &&
		   s.temp_c >= 35 && s.temp_c <= 45,
	   "clear restores the healthy readings");
	cmd_ok(b, "lost 0");
	is_int(events(b, ev, 8), 1,
	       "after clear the same fault is reported again");
	cmd_ok(b, "clear all");
	test_baseline(b);
}

static void test_bad_commands(struct gpu_backend *b)
{
	char longline[400];

	cmd_bad(b, "", "empty");
	cmd_bad(b, "   ", "empty");
	cmd_bad(b, "reboot 1", "unknown gpu command 'reboot'");
	cmd_bad(b, "xid 8 79", "out of range");
	cmd_bad(b, "xid 99 79", "out of range");
	cmd_bad(b, "xid x 79", "bad GPU index");
	cmd_bad(b, "xid -1 79", "bad GPU index");
	cmd_bad(b, "xid 1 0", "bad XID");
	cmd_bad(b, "xid 1 79x", "not a number");
	cmd_bad(b, "xid 1", "usage: xid GPU CODE");
	cmd_bad(b, "xid 1 79 80", "usage");
	cmd_bad(b, "temp 1 hot", "not a number");
	cmd_bad(b, "temp 1 999", "must be");
	cmd_bad(b, "power 1", "usage");
	cmd_bad(b, "ecc 1 tbe 3", "bad ECC kind");
	cmd_bad(b, "ecc 1 dbe 0", "must be");
	cmd_bad(b, "remap 1 maybe", "bad remap state");
	cmd_bad(b, "nvlink 1 down 18", "bad link");
	cmd_bad(b, "nvlink 1 sideways 3", "usage");
	cmd_bad(b, "nvlink 1 errors flits 3", "bad NVLink counter");
	cmd_bad(b, "nvlink 1 down", "usage");
	cmd_bad(b, "throttle 1 fast", "bad throttle reason");
	cmd_bad(b, "clock 1 -5", "not a number");
	cmd_bad(b, "pcie 1 width 32", "must be 0..16");
	cmd_bad(b, "pcie 1 lanes 8", "bad PCIe field");
	cmd_bad(b, "recovery 1 pray", "bad recovery action");
	cmd_bad(b, "lost", "usage: lost GPU");
	cmd_bad(b, "clear 1 now", "usage");
	cmd_bad(b, "a b c d e f g", "too many words");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	cmd_bad(b, longline, "too long");
}

static void test_queue(void)
{
	struct gpu_backend *b = open_sim(NULL, 0, "q", NULL);
	struct gpu_event ev[600];
	char line[32];
	size_t n;
	bool overflow;

	if (!b) {
		ok(0, "open for the queue test");
		return;
	}
	for (int i = 1; i <= 3; i++) {
		snprintf(line, sizeof(line), "xid 0 %d", i);
		cmd_ok(b, line);
	}
	is_int(gpu_backend_drain_events(b, ev, 1), 1, "drain max 1");
	ok(readable(b, 0), "fd still readable with events left");
	is_int(gpu_backend_drain_events(b, ev, 8), 2, "the other two");
	ok(!readable(b, 0), "then quiet");

	for (int i = 1; i <= 300; i++) {
		snprintf(line, sizeof(line), "xid 1 %d", i);
		if (gpu_backend_command(b, line, NULL) < 0)
			break;
	}
	n = gpu_backend_drain_events(b, ev, 600);
	overflow = n > 0 && ev[0].kind == GPU_EVENT_BACKEND_ERROR &&
		   strstr(ev[0].text, "44 events dropped");
	is_int(n, 257, "bounded queue: 256 events and an overflow notice");
	ok(overflow, "overflow notice first: '%s'", n ? ev[0].text : "");
	ok(n > 1 && ev[1].code == 1 && ev[n - 1].code == 256,
	   "the oldest events are kept");
	gpu_backend_close(b);
}

static void test_kmsg_file(void)
{
	char path[] = "/tmp/test_gpu_sim_kmsg.XXXXXX";
	const char *text =
		"6,1,1,-;NVRM: Xid (PCI:0000:2a:00): 48, pid=1, name=x, DBE\n"
		"6,2,2,-;nvidia-nvswitch0: SXid (PCI:0000:05:00.0): 24007, "
		"Fatal\n"
		"6,3,3,-;NVRM: Xid (PCI:0000:77:00): 13, pid=2, name=y, x\n";
	struct gpu_event ev[8];
	struct gpu_event all[8];
	size_t got = 0;
	struct gpu_backend *b;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		ok(0, "write kmsg file: %s", strerror(errno));
		return;
	}
	close(fd);
	b = open_sim(NULL, 0, "k", path);
	ok(b != NULL, "sim with a kernel log file");
	while (b && got < 2 && readable(b, WAIT_MS)) {
		size_t n = gpu_backend_drain_events(b, ev, 8);

		for (size_t i = 0; i < n && got < 8; i++)
			all[got++] = ev[i];
	}
	is_int(got, 2, "two GPU events from the file (SXid ignored)");
	if (got == 2) {
		ok(all[0].kind == GPU_EVENT_XID && all[0].code == 48 &&
			   all[0].gpu_index == 1 &&
			   all[0].source == GPU_SRC_KMSG,
		   "XID 48 mapped to GPU 1 by bus id");
		is_str(all[0].pci_bus_id, "00000000:2A:00.0",
		       "inventory bus id filled in");
		ok(all[1].gpu_index == -1 && all[1].code == 13,
		   "unknown bus: GPU -1");
		is_str(all[1].pci_bus_id, "0000:77:00", "with the kmsg bus id");
	}
	gpu_backend_close(b);
	unlink(path);
}

static void test_none(void)
{
	struct gpu_backend_cfg cfg;
	struct gpu_sample s[4];
	struct gpu_event ev[4];
	struct gpu_backend *b;
	struct err e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = "none";
	b = gpu_backend_open(&cfg, &e);
	ok(b != NULL, "none backend opens");
	if (!b)
		return;
	is_int(gpu_backend_inventory(b)->count, 0, "no GPUs");
	is_str(gpu_backend_inventory(b)->backend, "none", "backend none");
	is_int(gpu_backend_samples(b, s, 4), 0, "no samples");
	is_int(gpu_backend_drain_events(b, ev, 4), 0, "no events");
	ok(gpu_backend_command(b, "xid 0 79", &e) < 0 &&
		   strstr(e.msg, "sim backend"),
	   "commands need sim: %s", e.msg);
	gpu_backend_close(b);
	gpu_backend_close(NULL);
}

int main(void)
{
	struct gpu_backend *b;

	test_inventory();
	test_bad_config();
	b = open_sim("H100", 8, "cmd", NULL);
	ok(b != NULL, "sim for the command tests");
	if (b) {
		ok(gpu_backend_event_fd(b) >= 0, "event fd");
		test_baseline(b);
		test_commands(b);
		test_bad_commands(b);
		gpu_backend_close(b);
	}
	test_queue();
	test_kmsg_file();
	test_none();
	return done_testing();
}
