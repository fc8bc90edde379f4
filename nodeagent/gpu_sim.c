/*
 * The simulated GPU backend: an HGX-like inventory built from the config
 * (8 x H100 by default), healthy readings, and fault injection through
 * gpu_backend_command().  Tests, demos and the cluster simulator use it
 * to produce exactly the faults the health policy must handle
 * (../shared/HEALTH.md section 3.3) without a GPU.
 *
 * Everything runs on the loop thread: commands change the state and push
 * events straight into the core queue, and samples are computed on demand.
 * There is no worker unless a kernel log file was configured.
 *
 * Command language (one command per call, words separated by blanks, GPU
 * is an index or "all"); see docs/gpu-backends.md for the full table:
 *
 *   xid GPU CODE                  temp GPU CELSIUS      power GPU WATTS
 *   ecc GPU sbe|dbe COUNT         remap GPU pending|failure|clear
 *   nvlink GPU down|up LINK       nvlink GPU errors replay|recovery|crc N
 *   throttle GPU hw_thermal|hw_power_brake|hw_slowdown|sw_thermal|none
 *   clock GPU MHZ                 pcie GPU width|gen|replay N
 *   processes GPU N               lost GPU
 *   recovery GPU none|reset|reboot|drain_p2p|drain_and_reset
 *   clear GPU
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "nodeagent/gpu_int.h"

#define SIM_MAX_WORDS 6
#define SIM_NVLINKS 18

struct sim_model {
	const char *name;
	uint64_t memory_mib;
	unsigned power_limit_w;
	unsigned sm_clock_max_mhz;
};

static const struct sim_model sim_models[] = {
	{ "H100", 81559, 700, 1980 },
	{ "H200", 143771, 700, 1980 },
};

/* PCI buses of an HGX H100 board (DGX H100), then made-up ones. */
static const unsigned sim_buses[GPU_MAX] = {
	0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb,
	0x19, 0x2b, 0x3b, 0x5e, 0x9b, 0xac, 0xbb, 0xdc,
};

struct sim_gpu {
	struct gpu_sample cur;
	struct gpu_sample healthy; /* what "clear" goes back to */
};

struct sim {
	struct sim_gpu gpu[GPU_MAX];
};

struct sim_cmd {
	const char *name;
	int min_args; /* after the GPU argument */
	int max_args;
	const char *usage;
	int (*fn)(struct gpu_backend *b, unsigned gpu, char **argv, int argc,
		  struct err *e);
};

/*
 * FNV-1a over "node/index/salt", then a splitmix64 finaliser so that the
 * salts give unrelated bits: stable fake identities.
 */
static uint64_t sim_hash(const char *node, unsigned index, unsigned salt)
{
	char buf[256];
	uint64_t h = 0xcbf29ce484222325ULL;
	int len = snprintf(buf, sizeof(buf), "%s/%u/%u", node, index, salt);

	for (int i = 0; i < len && i < (int)sizeof(buf); i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static void sim_fill_gpu(struct gpu_dev *d, struct gpu_sample *s,
			 const struct sim_model *m, const char *node,
			 unsigned i, unsigned n)
{
	uint64_t h1 = sim_hash(node, i, 1);
	uint64_t h2 = sim_hash(node, i, 2);

	d->index = i;
	snprintf(d->uuid, sizeof(d->uuid), "GPU-%08x-%04x-%04x-%04x-%012llx",
		 (unsigned)(h1 >> 32), (unsigned)(h1 >> 16) & 0xffff,
		 (unsigned)h1 & 0xffff, (unsigned)(h2 >> 48),
		 (unsigned long long)(h2 & 0xffffffffffffULL));
	gpu_copy(d->model, sizeof(d->model), m->name);
	d->memory_mib = m->memory_mib;
	snprintf(d->pci_bus_id, sizeof(d->pci_bus_id), "00000000:%02X:00.0",
		 sim_buses[i]);
	/* Half the GPUs on each socket, as on HGX boards. */
	d->numa_node = (int)(i * 2 / n);
	snprintf(d->serial, sizeof(d->serial), "%013llu",
		 (unsigned long long)(h2 % 10000000000000ULL));
	d->minor = i;

	memset(s, 0, sizeof(*s));
	s->index = i;
	s->valid = GPU_F_TEMP | GPU_F_POWER | GPU_F_ECC | GPU_F_REMAP |
		   GPU_F_PCIE | GPU_F_THROTTLE | GPU_F_NVLINK | GPU_F_CLOCKS |
		   GPU_F_RECOVERY | GPU_F_THRESHOLDS | GPU_F_PROCESSES;
	s->temp_c = 35 + (int)(h1 % 11);
	s->slowdown_temp_c = 87;
	s->shutdown_temp_c = 92;
	s->power_mw = 95000 + (unsigned)((h1 >> 8) % 10001);
	s->power_limit_mw = m->power_limit_w * 1000;
	s->pcie_width = s->pcie_width_max = 16;
	s->pcie_gen = s->pcie_gen_max = 5;
	s->nvlink_count = SIM_NVLINKS;
	s->sm_clock_mhz = s->sm_clock_max_mhz = m->sm_clock_max_mhz;
	s->recovery_action = GPU_RECOVERY_NONE;
}

static struct sim_gpu *sim_gpu(struct gpu_backend *b, unsigned i)
{
	struct sim *sim = b->priv;

	return &sim->gpu[i];
}

/* Parse an unsigned decimal in [lo, hi]. */
static int sim_number(const char *s, unsigned long lo, unsigned long hi,
		      const char *what, unsigned long *out, struct err *e)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return err_set(e, "bad %s '%.32s': not a number", what, s);
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return err_set(e, "bad %s '%.32s': not a number", what, s);
	if (v < lo || v > hi)
		return err_set(e, "bad %s %lu: must be %lu..%lu", what, v, lo,
			       hi);
	*out = v;
	return 0;
}

static int sim_cmd_xid(struct gpu_backend *b, unsigned gpu, char **argv,
		       int argc, struct err *e)
{
	unsigned long code;

	if (sim_number(argv[0], 1, 65535, "XID", &code, e) < 0)
		return -1;
	gpu_core_event(b, (int)gpu, GPU_EVENT_XID, (unsigned)code, GPU_SRC_SIM,
		       "sim: Xid %lu", code);
	return 0;
}

static int sim_cmd_temp(struct gpu_backend *b, unsigned gpu, char **argv,
			int argc, struct err *e)
{
	unsigned long c;

	if (sim_number(argv[0], 0, 200, "temperature", &c, e) < 0)
		return -1;
	sim_gpu(b, gpu)->cur.temp_c = (int)c;
	return 0;
}

static int sim_cmd_power(struct gpu_backend *b, unsigned gpu, char **argv,
			 int argc, struct err *e)
{
	unsigned long w;

	if (sim_number(argv[0], 0, 4000, "power", &w, e) < 0)
		return -1;
	sim_gpu(b, gpu)->cur.power_mw = (unsigned)w * 1000;
	return 0;
}

static int sim_cmd_ecc(struct gpu_backend *b, unsigned gpu, char **argv,
		       int argc, struct err *e)
{
	struct gpu_sample *s = &sim_gpu(b, gpu)->cur;
	unsigned long n;
	bool dbe;

	if (!strcmp(argv[0], "sbe"))
		dbe = false;
	else if (!strcmp(argv[0], "dbe"))
		dbe = true;
	else
		return err_set(e, "bad ECC kind '%.32s' (sbe or dbe)", argv[0]);
	if (sim_number(argv[1], 1, 1000000000UL, "ECC count", &n, e) < 0)
		return -1;
	if (dbe) {
		s->ecc_dbe_volatile += n;
		s->ecc_dbe_aggregate += n;
		gpu_core_event(b, (int)gpu, GPU_EVENT_DBE, 0, GPU_SRC_SIM,
			       "sim: %lu double-bit ECC errors", n);
	} else {
		s->ecc_sbe_volatile += n;
		s->ecc_sbe_aggregate += n;
	}
	return 0;
}

static int sim_cmd_remap(struct gpu_backend *b, unsigned gpu, char **argv,
			 int argc, struct err *e)
{
	struct gpu_sample *s = &sim_gpu(b, gpu)->cur;

	if (!strcmp(argv[0], "pending")) {
		s->remap_pending = true;
		s->remap_uncorrectable++;
	} else if (!strcmp(argv[0], "failure")) {
		s->remap_failure = true;
	} else if (!strcmp(argv[0], "clear")) {
		s->remap_pending = s->remap_failure = false;
		s->remap_correctable = s->remap_uncorrectable = 0;
	} else {
		return err_set(e,
			       "bad remap state '%.32s' (pending, failure or "
			       "clear)",
			       argv[0]);
	}
	return 0;
}

static int sim_cmd_nvlink(struct gpu_backend *b, unsigned gpu, char **argv,
			  int argc, struct err *e)
{
	struct gpu_sample *s = &sim_gpu(b, gpu)->cur;
	unsigned long v;

	if (!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) {
		if (argc != 2)
			return err_set(e, "usage: nvlink GPU down|up LINK");
		if (sim_number(argv[1], 0, s->nvlink_count - 1, "link", &v, e) <
		    0)
			return -1;
		if (argv[0][0] == 'd')
			s->nvlink_down_mask |= 1ULL << v;
		else
			s->nvlink_down_mask &= ~(1ULL << v);
		return 0;
	}
	if (strcmp(argv[0], "errors") || argc != 3)
		return err_set(e, "usage: nvlink GPU down|up LINK, or nvlink "
				  "GPU errors replay|recovery|crc COUNT");
	if (sim_number(argv[2], 0, 1000000000UL, "error count", &v, e) < 0)
		return -1;
	if (!strcmp(argv[1], "replay"))
		s->nvlink_replay += v;
	else if (!strcmp(argv[1], "recovery"))
		s->nvlink_recovery += v;
	else if (!strcmp(argv[1], "crc"))
		s->nvlink_crc += v;
	else
		return err_set(e,
			       "bad NVLink counter '%.32s' (replay, recovery "
			       "or crc)",
			       argv[1]);
	return 0;
}

static int sim_cmd_throttle(struct gpu_backend *b, unsigned gpu, char **argv,
			    int argc, struct err *e)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} reasons[] = {
		{ "hw_thermal", GPU_THROTTLE_HW_THERMAL },
		{ "hw_power_brake", GPU_THROTTLE_HW_POWER_BRAKE },
		{ "hw_slowdown", GPU_THROTTLE_HW_SLOWDOWN },
		{ "sw_thermal", GPU_THROTTLE_SW_THERMAL },
		{ "none", 0 },
	};
	struct gpu_sample *s = &sim_gpu(b, gpu)->cur;

	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		if (strcmp(argv[0], reasons[i].name))
			continue;
		/* Reasons add up, as in NVML's bit mask; "none" clears. */
		if (reasons[i].bit)
			s->throttle_reasons |= reasons[i].bit;
		else
			s->throttle_reasons = 0;
		return 0;
	}
	return err_set(e,
		       "bad throttle reason '%.32s' (hw_thermal, "
		       "hw_power_brake, hw_slowdown, sw_thermal or none)",
		       argv[0]);
}

static int sim_cmd_clock(struct gpu_backend *b, unsigned gpu, char **argv,
			 int argc, struct err *e)
{
	unsigned long mhz;

	if (sim_number(argv[0], 0, 10000, "clock", &mhz, e) < 0)
		return -1;
	sim_gpu(b, gpu)->cur.sm_clock_mhz = (unsigned)mhz;
	return 0;
}

static int sim_cmd_pcie(struct gpu_backend *b, unsigned gpu, char **argv,
			int argc, struct err *e)
{
	struct gpu_sample *s = &sim_gpu(b, gpu)->cur;
	unsigned long v;

	if (!strcmp(argv[0], "width")) {
		if (sim_number(argv[1], 0, s->pcie_width_max, "PCIe width", &v,
			       e) < 0)
			return -1;
		s->pcie_width = (unsigned)v;
	} else if (!strcmp(argv[0], "gen")) {
		if (sim_number(argv[1], 0, s->pcie_gen_max, "PCIe generation",
			       &v, e) < 0)
			return -1;
		s->pcie_gen = (unsigned)v;
	} else if (!strcmp(argv[0], "replay")) {
		if (sim_number(argv[1], 0, 1000000000UL, "replay count", &v,
			       e) < 0)
			return -1;
		s->pcie_replay += (unsigned)v;
	} else {
		return err_set(e,
			       "bad PCIe field '%.32s' (width, gen or "
			       "replay)",
			       argv[0]);
	}
	return 0;
}

static int sim_cmd_processes(struct gpu_backend *b, unsigned gpu, char **argv,
			     int argc, struct err *e)
{
	unsigned long n;

	if (sim_number(argv[0], 0, 4096, "process count", &n, e) < 0)
		return -1;
	sim_gpu(b, gpu)->cur.processes = (unsigned)n;
	return 0;
}

static int sim_cmd_lost(struct gpu_backend *b, unsigned gpu, char **argv,
			int argc, struct err *e)
{
	sim_gpu(b, gpu)->cur.lost = true;
	gpu_core_event(b, (int)gpu, GPU_EVENT_GPU_LOST, GPU_LOST_XID,
		       GPU_SRC_SIM, "sim: GPU has fallen off the bus");
	return 0;
}

static int sim_cmd_recovery(struct gpu_backend *b, unsigned gpu, char **argv,
			    int argc, struct err *e)
{
	static const char *const names[] = {
		[GPU_RECOVERY_NONE] = "none",
		[GPU_RECOVERY_GPU_RESET] = "reset",
		[GPU_RECOVERY_NODE_REBOOT] = "reboot",
		[GPU_RECOVERY_DRAIN_P2P] = "drain_p2p",
		[GPU_RECOVERY_DRAIN_AND_RESET] = "drain_and_reset",
	};

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(argv[0], names[i]))
			continue;
		sim_gpu(b, gpu)->cur.recovery_action = i;
		/* Like the NVML backend: only an action to take is news. */
		if (i != GPU_RECOVERY_NONE)
			gpu_core_event(b, (int)gpu, GPU_EVENT_RECOVERY, i,
				       GPU_SRC_SIM, "sim: recovery action %s",
				       names[i]);
		return 0;
	}
	return err_set(e,
		       "bad recovery action '%.32s' (none, reset, reboot, "
		       "drain_p2p or drain_and_reset)",
		       argv[0]);
}

static int sim_cmd_clear(struct gpu_backend *b, unsigned gpu, char **argv,
			 int argc, struct err *e)
{
	struct sim_gpu *g = sim_gpu(b, gpu);

	g->cur = g->healthy;
	/* A cleared GPU is a repaired one: its next fault is news. */
	gpu_core_forget_gpu(b, (int)gpu);
	return 0;
}

static const struct sim_cmd sim_cmds[] = {
	{ "xid", 1, 1, "xid GPU CODE", sim_cmd_xid },
	{ "temp", 1, 1, "temp GPU CELSIUS", sim_cmd_temp },
	{ "power", 1, 1, "power GPU WATTS", sim_cmd_power },
	{ "ecc", 2, 2, "ecc GPU sbe|dbe COUNT", sim_cmd_ecc },
	{ "remap", 1, 1, "remap GPU pending|failure|clear", sim_cmd_remap },
	{ "nvlink", 2, 3,
	  "nvlink GPU down|up LINK | nvlink GPU errors replay|recovery|crc "
	  "COUNT",
	  sim_cmd_nvlink },
	{ "throttle", 1, 1,
	  "throttle GPU hw_thermal|hw_power_brake|hw_slowdown|sw_thermal|none",
	  sim_cmd_throttle },
	{ "clock", 1, 1, "clock GPU MHZ", sim_cmd_clock },
	{ "pcie", 2, 2, "pcie GPU width|gen|replay N", sim_cmd_pcie },
	{ "processes", 1, 1, "processes GPU N", sim_cmd_processes },
	{ "lost", 0, 0, "lost GPU", sim_cmd_lost },
	{ "recovery", 1, 1,
	  "recovery GPU none|reset|reboot|drain_p2p|drain_and_reset",
	  sim_cmd_recovery },
	{ "clear", 0, 0, "clear GPU", sim_cmd_clear },
};

static int sim_command(struct gpu_backend *b, const char *line, struct err *e)
{
	char buf[256];
	char *argv[SIM_MAX_WORDS + 1];
	const struct sim_cmd *cmd = NULL;
	unsigned long gpu;
	unsigned first, last;
	char *save = NULL;
	int argc = 0;
	char *w;

	if (strlen(line) >= sizeof(buf))
		return err_set(e, "gpu command too long");
	memcpy(buf, line, strlen(line) + 1);
	for (w = strtok_r(buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == SIM_MAX_WORDS)
			return err_set(e, "too many words in gpu command");
		argv[argc++] = w;
	}
	if (argc == 0)
		return err_set(e, "empty gpu command");
	for (size_t i = 0; i < ARRAY_SIZE(sim_cmds); i++)
		if (!strcmp(argv[0], sim_cmds[i].name))
			cmd = &sim_cmds[i];
	if (!cmd)
		return err_set(e,
			       "unknown gpu command '%.32s' (xid, temp, power, "
			       "ecc, remap, nvlink, throttle, clock, pcie, "
			       "processes, lost, recovery, clear)",
			       argv[0]);
	if (argc < 2 + cmd->min_args || argc > 2 + cmd->max_args)
		return err_set(e, "usage: %s", cmd->usage);
	if (!strcmp(argv[1], "all")) {
		first = 0;
		last = b->inv.count - 1;
	} else {
		if (sim_number(argv[1], 0, 1000000, "GPU index", &gpu, e) < 0)
			return -1;
		if (gpu >= b->inv.count)
			return err_set(e, "GPU index %lu out of range (0..%u)",
				       gpu, b->inv.count - 1);
		first = last = (unsigned)gpu;
	}
	for (unsigned i = first; i <= last; i++)
		if (cmd->fn(b, i, argv + 2, argc - 2, e) < 0)
			return -1;
	/* New readings are ready: let the loop look. */
	gpu_core_signal(b);
	if (e) {
		/* The reply echoes the command as understood. */
		size_t len = 0;

		e->msg[0] = '\0';
		for (int i = 0; i < argc && len < sizeof(e->msg); i++) {
			int k = snprintf(e->msg + len, sizeof(e->msg) - len,
					 "%s%s", i ? " " : "ok: ", argv[i]);
			if (k < 0)
				break;
			len += (size_t)k;
		}
	}
	return 0;
}

static size_t sim_samples(struct gpu_backend *b, struct gpu_sample *out,
			  size_t max)
{
	int64_t now = util_now_wall_ms();
	size_t n = MIN((size_t)b->inv.count, max);

	for (size_t i = 0; i < n; i++) {
		const struct gpu_sample *s = &sim_gpu(b, (unsigned)i)->cur;

		if (s->lost) {
			/* A GPU off the bus answers nothing. */
			memset(&out[i], 0, sizeof(out[i]));
			out[i].index = (unsigned)i;
			out[i].lost = true;
		} else {
			out[i] = *s;
		}
		out[i].time_ms = now;
	}
	return n;
}

static void sim_fini(struct gpu_backend *b)
{
	free(b->priv);
	b->priv = NULL;
}

static const struct gpu_backend_ops sim_ops = {
	.samples = sim_samples,
	.command = sim_command,
	.fini = sim_fini,
};

struct gpu_backend *gpu_sim_open(const struct gpu_backend_cfg *cfg,
				 struct err *e)
{
	const char *model =
		cfg->sim_model && *cfg->sim_model ? cfg->sim_model : "H100";
	const char *node =
		cfg->sim_node && *cfg->sim_node ? cfg->sim_node : "sim";
	unsigned n = cfg->sim_gpus ? cfg->sim_gpus : 8;
	const struct sim_model *m = NULL;
	struct gpu_backend *b;
	struct sim *sim;

	for (size_t i = 0; i < ARRAY_SIZE(sim_models); i++)
		if (!strcmp(model, sim_models[i].name))
			m = &sim_models[i];
	if (!m) {
		err_set(e, "unknown sim GPU model '%.32s' (H100 or H200)",
			model);
		return NULL;
	}
	if (n > GPU_MAX) {
		err_set(e, "sim_gpus %u out of range (1..%d)", n, GPU_MAX);
		return NULL;
	}
	b = gpu_core_create("sim", &sim_ops, cfg->poll_interval_ms, e);
	if (!b)
		return NULL;
	sim = xcalloc(1, sizeof(*sim));
	b->priv = sim;
	b->inv.count = n;
	snprintf(b->inv.driver_version, sizeof(b->inv.driver_version), "sim");
	for (unsigned i = 0; i < n; i++) {
		sim_fill_gpu(&b->inv.gpus[i], &sim->gpu[i].healthy, m, node, i,
			     n);
		sim->gpu[i].cur = sim->gpu[i].healthy;
	}
	gpu_core_inventory_done(b);
	/* Only an explicitly configured kernel log: never the host's. */
	if (gpu_core_start(b, cfg->kmsg_path, e) < 0) {
		gpu_backend_close(b);
		return NULL;
	}
	return b;
}
