/*
 * The script parser of the NVML test stub: defaults for every GPU and the
 * directives of $NVML_STUB_SCRIPT (the format is documented at the top of
 * nvml_stub.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/stub/nvml_stub.h"

static const char *const stub_what_names[W_COUNT] = {
	"temp",	    "thresholds", "power",
	"ecc",	    "remap",	  "pcie",
	"throttle", "nvlink",	  "nvlink_counters",
	"clocks",   "recovery",	  "processes",
	"numa",	    "events",
};

#define STUB_KEY(k)                                                            \
	{                                                                      \
#k, offsetof(struct stub_gpu, k)                               \
	}
static const struct {
	const char *name;
	size_t offset;
} stub_keys[] = {
	STUB_KEY(memory_mib),	  STUB_KEY(minor),
	STUB_KEY(numa),		  STUB_KEY(temp),
	STUB_KEY(slowdown),	  STUB_KEY(shutdown),
	STUB_KEY(power_mw),	  STUB_KEY(power_limit_mw),
	STUB_KEY(ecc_sbe_vol),	  STUB_KEY(ecc_dbe_vol),
	STUB_KEY(ecc_sbe_agg),	  STUB_KEY(ecc_dbe_agg),
	STUB_KEY(remap_cor),	  STUB_KEY(remap_unc),
	STUB_KEY(remap_pending),  STUB_KEY(remap_failure),
	STUB_KEY(pcie_replay),	  STUB_KEY(pcie_gen),
	STUB_KEY(pcie_gen_max),	  STUB_KEY(pcie_width),
	STUB_KEY(pcie_width_max), STUB_KEY(throttle),
	STUB_KEY(nvlinks),	  STUB_KEY(nvlink_down),
	STUB_KEY(nvlink_replay),  STUB_KEY(nvlink_recovery),
	STUB_KEY(nvlink_crc),	  STUB_KEY(sm_clock),
	STUB_KEY(sm_clock_max),	  STUB_KEY(recovery),
	STUB_KEY(processes),	  STUB_KEY(supported_events),
};

static void stub_defaults(void)
{
	static const unsigned buses[8] = { 0x18, 0x2a, 0x3a, 0x5d,
					   0x9a, 0xab, 0xba, 0xdb };

	memset(&stub.gpu, 0, sizeof(stub.gpu));
	memset(&stub.ev, 0, sizeof(stub.ev));
	stub.nev = 0;
	stub.ngpus = 8;
	stub.legacy_calls = 0;
	snprintf(stub.driver, sizeof(stub.driver), "550.54.15");
	for (unsigned i = 0; i < STUB_MAX_GPUS; i++) {
		struct stub_gpu *g = &stub.gpu[i];

		snprintf(g->name, sizeof(g->name), "NVIDIA H100 80GB HBM3");
		snprintf(g->uuid, sizeof(g->uuid),
			 "GPU-abcd%04x-1111-2222-3333-%012x", i, i);
		snprintf(g->serial, sizeof(g->serial), "STUB%09u", i);
		g->bus = i < 8 ? buses[i] : 0x60 + i;
		g->lost_at_ms = -1;
		g->numa = STUB_UNSET;
		g->memory_mib = 81559;
		g->minor = i;
		g->temp = 40;
		g->slowdown = 87;
		g->shutdown = 92;
		g->power_mw = 100000;
		g->power_limit_mw = 700000;
		g->pcie_gen = g->pcie_gen_max = 5;
		g->pcie_width = g->pcie_width_max = 16;
		g->nvlinks = 18;
		g->sm_clock = g->sm_clock_max = 1980;
		g->supported_events = STUB_SUPPORTED_EVENTS;
	}
}

static int stub_parse_error(unsigned line, const char *why)
{
	fprintf(stderr, "nvml_stub: %s line %u: %s\n",
		getenv("NVML_STUB_SCRIPT"), line, why);
	return -1;
}

static bool stub_number(const char *s, unsigned long long *v)
{
	char *end;

	if (!s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

/* "all" or an index: sets [*first, *last]. */
static bool stub_gpus(const char *s, unsigned *first, unsigned *last)
{
	unsigned long long v;

	if (s && !strcmp(s, "all")) {
		*first = 0;
		*last = STUB_MAX_GPUS - 1;
		return true;
	}
	if (!stub_number(s, &v) || v >= STUB_MAX_GPUS)
		return false;
	*first = *last = (unsigned)v;
	return true;
}

/* Optional trailing "after_ms N". */
static bool stub_after(char **w, int n, int at, long long *ms)
{
	unsigned long long v;

	*ms = 0;
	if (n == at)
		return true;
	if (n != at + 2 || strcmp(w[at], "after_ms") ||
	    !stub_number(w[at + 1], &v))
		return false;
	*ms = (long long)v;
	return true;
}

static int stub_set(char **w, int n, const char *rest, unsigned line)
{
	unsigned first, last;
	unsigned long long v;

	if (n < 4 || !stub_gpus(w[1], &first, &last))
		return stub_parse_error(line, "usage: set GPU KEY VALUE");
	for (unsigned i = first; i <= last; i++) {
		struct stub_gpu *g = &stub.gpu[i];
		bool done = true;

		if (!strcmp(w[2], "name"))
			snprintf(g->name, sizeof(g->name), "%s", rest);
		else if (!strcmp(w[2], "uuid"))
			snprintf(g->uuid, sizeof(g->uuid), "%s", w[3]);
		else if (!strcmp(w[2], "serial"))
			snprintf(g->serial, sizeof(g->serial), "%s", w[3]);
		else if (!strcmp(w[2], "busid")) {
			if (sscanf(w[3], "%x:%x:%x", &g->domain, &g->bus,
				   &g->device) != 3)
				return stub_parse_error(line, "bad busid");
		} else
			done = false;
		if (done)
			continue;
		for (size_t k = 0; k < sizeof(stub_keys) / sizeof(stub_keys[0]);
		     k++) {
			if (strcmp(w[2], stub_keys[k].name))
				continue;
			if (n != 4 || !stub_number(w[3], &v))
				return stub_parse_error(line, "bad number");
			memcpy((char *)g + stub_keys[k].offset, &v, sizeof(v));
			done = true;
		}
		if (!done)
			return stub_parse_error(line, "unknown key");
	}
	return 0;
}

static int stub_event_line(char **w, int n, unsigned line)
{
	struct stub_event *e;
	unsigned first, last;
	unsigned long long v = 0;
	int at = 3;

	if (n < 3 || !stub_gpus(w[1], &first, &last) || first != last)
		return stub_parse_error(line, "usage: event GPU KIND ...");
	if (stub.nev == STUB_MAX_EVENTS)
		return stub_parse_error(line, "too many events");
	e = &stub.ev[stub.nev];
	e->gpu = (int)first;
	if (!strcmp(w[2], "xid")) {
		if (n < 4 || !stub_number(w[3], &v))
			return stub_parse_error(line, "usage: event GPU xid N");
		e->type = nvmlEventTypeXidCriticalError;
		at = 4;
	} else if (!strcmp(w[2], "recovery")) {
		if (n < 4 || !stub_number(w[3], &v))
			return stub_parse_error(line,
						"usage: event GPU recovery N");
		e->type = nvmlEventTypeGpuRecoveryAction;
		at = 4;
	} else if (!strcmp(w[2], "dbe")) {
		e->type = nvmlEventTypeDoubleBitEccError;
	} else if (!strcmp(w[2], "unavailable")) {
		e->type = nvmlEventTypeGpuUnavailableError;
	} else {
		return stub_parse_error(line, "unknown event kind");
	}
	e->data = v;
	if (!stub_after(w, n, at, &e->at_ms))
		return stub_parse_error(line, "bad after_ms");
	stub.nev++;
	return 0;
}

static int stub_line(char *buf, unsigned line)
{
	char orig[512];
	char *w[8];
	const char *rest = NULL;
	int n = 0;
	char *p = buf;
	unsigned first, last;
	unsigned long long v;
	long long ms;

	/* "set 0 name NVIDIA H200" needs the unsplit tail: keep a copy. */
	snprintf(orig, sizeof(orig), "%s", buf);
	while (n < 8) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == 3)
			rest = orig + (p - buf);
		w[n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (n == 0)
		return 0;
	if (!strcmp(w[0], "gpus")) {
		if (n != 2 || !stub_number(w[1], &v) || v > STUB_MAX_GPUS)
			return stub_parse_error(line, "usage: gpus N (0..16)");
		stub.ngpus = (unsigned)v;
		return 0;
	}
	if (!strcmp(w[0], "init_error"))
		return stub_parse_error(line, "init_error is handled earlier");
	if (!strcmp(w[0], "driver")) {
		if (n != 2)
			return stub_parse_error(line, "usage: driver VERSION");
		snprintf(stub.driver, sizeof(stub.driver), "%s", w[1]);
		return 0;
	}
	if (!strcmp(w[0], "set"))
		return stub_set(w, n, rest ? rest : "", line);
	if (!strcmp(w[0], "event"))
		return stub_event_line(w, n, line);
	if (!strcmp(w[0], "lost")) {
		if (n < 2 || !stub_gpus(w[1], &first, &last) ||
		    !stub_after(w, n, 2, &ms))
			return stub_parse_error(line,
						"usage: lost GPU [after_ms N]");
		for (unsigned i = first; i <= last; i++)
			stub.gpu[i].lost_at_ms = ms;
		return 0;
	}
	if (!strcmp(w[0], "unsupported")) {
		if (n != 3 || !stub_gpus(w[1], &first, &last))
			return stub_parse_error(line,
						"usage: unsupported GPU WHAT");
		for (int k = 0; k < W_COUNT; k++) {
			if (strcmp(w[2], stub_what_names[k]))
				continue;
			for (unsigned i = first; i <= last; i++)
				stub.gpu[i].unsupported[k] = true;
			return 0;
		}
		return stub_parse_error(line, "unknown WHAT");
	}
	return stub_parse_error(line, "unknown directive");
}

nvmlReturn_t stub_load_script(void)
{
	const char *path = getenv("NVML_STUB_SCRIPT");
	char buf[512];
	unsigned line = 0;
	nvmlReturn_t init_rc = NVML_SUCCESS;
	FILE *f;

	stub_defaults();
	if (!path || !*path)
		return NVML_SUCCESS;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "nvml_stub: cannot open %s\n", path);
		return NVML_ERROR_UNKNOWN;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *hash = strchr(buf, '#');
		unsigned long long v;

		line++;
		if (hash)
			*hash = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if (sscanf(buf, " init_error %llu", &v) == 1) {
			init_rc = (nvmlReturn_t)v;
			continue;
		}
		if (stub_line(buf, line) < 0) {
			fclose(f);
			return NVML_ERROR_UNKNOWN;
		}
	}
	fclose(f);
	/* Default NUMA split once "gpus" is known, unless set explicitly. */
	for (unsigned i = 0; i < STUB_MAX_GPUS; i++)
		if (stub.gpu[i].numa == STUB_UNSET)
			stub.gpu[i].numa = i >= (stub.ngpus + 1) / 2 ? 1 : 0;
	return init_rc;
}
