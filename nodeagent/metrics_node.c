/*
 * The agent's metrics endpoint (see metrics_node.h): an evhttp server on
 * the agent's loop and the Prometheus exposition of one node, built at
 * scrape time from what the agent already keeps: the GPU backend's
 * latest sample per GPU, the NIC watcher's links, the workload list, the
 * controller link and the health reporter's counters.
 *
 * Per-GPU series are labelled gpu="INDEX" only; the UUID, model and PCI
 * address are in colossus_gpu_info, so a GPU swap does not change the
 * identity of every other series.  A reading the backend could not take
 * (its valid bit clear) is left out rather than written as 0, so a
 * missing sensor never looks like a cold GPU.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/gpu.h"
#include "nodeagent/health.h"
#include "nodeagent/metrics_node.h"
#include "nodeagent/nic.h"
#include "nodeagent/nicwatch.h"
#include "nodeagent/workload.h"

#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

struct metrics_node {
	struct agent *ag;
	struct evhttp *evh;
	int port;
	int64_t start_wall_s;
};

/* ---- exposition helpers ---- */

/* A label value: backslash, double quote and newline escaped. */
static void label(struct evbuffer *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			evbuffer_add(o, "\\\\", 2);
		else if (*s == '"')
			evbuffer_add(o, "\\\"", 2);
		else if (*s == '\n')
			evbuffer_add(o, "\\n", 2);
		else
			evbuffer_add(o, s, 1);
	}
}

static void fam(struct evbuffer *o, const char *name, const char *type,
		const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

static void one(struct evbuffer *o, const char *name, const char *type,
		const char *help, uint64_t v)
{
	fam(o, name, type, help);
	evbuffer_add_printf(o, "%s %" PRIu64 "\n", name, v);
}

/* ---- the agent ---- */

static void render_agent(const struct agent *ag, struct evbuffer *o)
{
	const struct gpu_inventory *inv =
		ag->gpu ? gpu_backend_inventory(ag->gpu) : NULL;
	uint64_t wl[4] = { 0, 0, 0, 0 }, gpus_alloc = 0;

	fam(o, "colossus_agent_info", "gauge",
	    "Agent version, node name, GPU backend and driver (always 1).");
	evbuffer_add_printf(o, "colossus_agent_info{version=\"%s\",node=\"",
			    PACKAGE_VERSION);
	label(o, ag->node);
	evbuffer_add_printf(o, "\",backend=\"");
	label(o, inv ? inv->backend : "none");
	evbuffer_add_printf(o, "\",driver=\"");
	label(o, inv ? inv->driver_version : "");
	evbuffer_add_printf(o, "\"} 1\n");
	one(o, "colossus_agent_registered", "gauge",
	    "1 while the agent is registered with a controller.",
	    ag->registered);
	one(o, "colossus_agent_heartbeats_sent_total", "counter",
	    "Heartbeats sent to the controller since the agent started.",
	    ag->hb_seq);
	one(o, "colossus_agent_gpu_backend_ok", "gauge",
	    "0 when the GPU backend gave no GPUs because of a problem "
	    "(library missing, driver mismatch).",
	    inv && !inv->problem[0]);
	one(o, "colossus_agent_gpus", "gauge", "GPUs the backend found.",
	    inv ? inv->count : 0);
	one(o, "colossus_agent_gpus_expected", "gauge",
	    "GPUs the controller's topology gives this node (0 before "
	    "registration).",
	    ag->topology_gpus);

	for (const struct workload *w = ag->workloads; w; w = w->next) {
		if ((unsigned)w->state < ARRAY_SIZE(wl))
			wl[w->state]++;
		if (w->state != WL_DONE)
			gpus_alloc += (uint64_t)__builtin_popcount(w->gpu_mask);
	}
	fam(o, "colossus_agent_workloads", "gauge",
	    "Job incarnations held by this node, by state.");
	evbuffer_add_printf(o,
			    "colossus_agent_workloads{state=\"prepared\"} "
			    "%" PRIu64 "\n"
			    "colossus_agent_workloads{state=\"running\"} "
			    "%" PRIu64 "\n"
			    "colossus_agent_workloads{state=\"done\"} "
			    "%" PRIu64 "\n",
			    wl[WL_PREPARED], wl[WL_RUNNING], wl[WL_DONE]);
	one(o, "colossus_agent_ranks_running", "gauge",
	    "Job ranks alive on this node.",
	    workload_running_ranks((struct agent *)ag));
	one(o, "colossus_agent_gpus_allocated", "gauge",
	    "GPUs held by workloads that are prepared or running.", gpus_alloc);
}

/*
 * health_describe's "key=N ..." line, mapped to metrics: the reporter
 * keeps its counters private, and this is the form it publishes them in.
 */
static void render_health(const struct agent *ag, struct evbuffer *o)
{
	static const struct {
		const char *key, *name, *type, *help;
	} map[] = {
		{ "events_sent", "colossus_agent_health_events_sent_total",
		  "counter", "Health events sent to the controller." },
		{ "events_queued", "colossus_agent_health_events_queued",
		  "gauge",
		  "Health events waiting for the controller (link down or a "
		  "report in flight)." },
		{ "samples", "colossus_agent_health_samples_sent_total",
		  "counter", "Periodic health samples sent." },
		{ "readings", "colossus_agent_health_readings_sent_total",
		  "counter", "Early full readings sent after a state change." },
		{ "probes", "colossus_agent_health_probes_sent_total",
		  "counter", "Site probe results sent." },
	};
	char buf[256], *save = NULL;

	health_describe(ag, buf, sizeof(buf));
	for (char *tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long long v;

		if (!eq)
			continue;
		*eq = '\0';
		errno = 0;
		v = strtoull(eq + 1, &end, 10);
		if (errno || *end || end == eq + 1)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(map[i].key, tok))
				one(o, map[i].name, map[i].type, map[i].help,
				    v);
	}
}

/* ---- GPUs ---- */

static uint16_t gpus_allocated_mask(const struct agent *ag)
{
	uint16_t mask = 0;

	for (const struct workload *w = ag->workloads; w; w = w->next)
		if (w->state != WL_DONE)
			mask |= w->gpu_mask;
	return mask;
}

/* One sample line per GPU whose reading is valid. */
#define GPU_SERIES(o, s, n, name, bit, fmt, expr)                              \
	do {                                                                   \
		for (size_t i_ = 0; i_ < (n); i_++) {                          \
			const struct gpu_sample *g_ = &(s)[i_];                \
			if ((bit) && !(g_->valid & (bit)))                     \
				continue;                                      \
			evbuffer_add_printf((o),                               \
					    name "{gpu=\"%u\"} " fmt "\n",     \
					    g_->index, (expr));                \
		}                                                              \
	} while (0)

static void render_gpus(const struct agent *ag, struct evbuffer *o)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} throttles[] = {
		{ GPU_THROTTLE_HW_SLOWDOWN, "hw_slowdown" },
		{ GPU_THROTTLE_SW_THERMAL, "sw_thermal" },
		{ GPU_THROTTLE_HW_THERMAL, "hw_thermal" },
		{ GPU_THROTTLE_HW_POWER_BRAKE, "hw_power_brake" },
	};
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	struct gpu_sample s[GPU_MAX];
	size_t n = gpu_backend_samples(ag->gpu, s, GPU_MAX);
	uint16_t alloc = gpus_allocated_mask(ag);

	fam(o, "colossus_gpu_info", "gauge",
	    "One series per GPU: UUID, model, PCI address (always 1).");
	for (unsigned i = 0; i < inv->count; i++) {
		const struct gpu_dev *d = &inv->gpus[i];

		evbuffer_add_printf(o, "colossus_gpu_info{gpu=\"%u\",uuid=\"",
				    d->index);
		label(o, d->uuid);
		evbuffer_add_printf(o, "\",model=\"");
		label(o, d->model);
		evbuffer_add_printf(o, "\",pci_bus_id=\"");
		label(o, d->pci_bus_id);
		evbuffer_add_printf(o, "\",memory_mib=\"%" PRIu64 "\"} 1\n",
				    d->memory_mib);
	}
	fam(o, "colossus_gpu_allocated", "gauge",
	    "1 when a prepared or running workload holds the GPU.");
	for (unsigned i = 0; i < inv->count; i++)
		evbuffer_add_printf(o,
				    "colossus_gpu_allocated{gpu=\"%u\"} %d\n",
				    inv->gpus[i].index,
				    inv->gpus[i].index < 16 &&
					    (alloc >> inv->gpus[i].index) & 1);
	fam(o, "colossus_gpu_lost", "gauge",
	    "1 when the GPU fell off the bus (no other reading then).");
	GPU_SERIES(o, s, n, "colossus_gpu_lost", 0, "%d", g_->lost ? 1 : 0);

	fam(o, "colossus_gpu_temperature_celsius", "gauge", "GPU temperature.");
	GPU_SERIES(o, s, n, "colossus_gpu_temperature_celsius", GPU_F_TEMP,
		   "%d", g_->temp_c);
	fam(o, "colossus_gpu_slowdown_temperature_celsius", "gauge",
	    "Temperature at which the GPU slows itself down (NVML).");
	GPU_SERIES(o, s, n, "colossus_gpu_slowdown_temperature_celsius",
		   GPU_F_THRESHOLDS, "%d", g_->slowdown_temp_c);
	fam(o, "colossus_gpu_power_watts", "gauge", "GPU power draw.");
	GPU_SERIES(o, s, n, "colossus_gpu_power_watts", GPU_F_POWER, "%.3f",
		   (double)g_->power_mw / 1000.0);
	fam(o, "colossus_gpu_power_limit_watts", "gauge",
	    "GPU power limit in force.");
	GPU_SERIES(o, s, n, "colossus_gpu_power_limit_watts", GPU_F_POWER,
		   "%.3f", (double)g_->power_limit_mw / 1000.0);

	/* ECC counters reset with the driver: gauges, not counters. */
	fam(o, "colossus_gpu_ecc_errors", "gauge",
	    "ECC error counts by type (sbe: corrected, dbe: uncorrected) and "
	    "counter (volatile: since the driver loaded; aggregate: "
	    "lifetime).");
	for (size_t i = 0; i < n; i++) {
		const struct gpu_sample *g = &s[i];

		if (!(g->valid & GPU_F_ECC))
			continue;
		evbuffer_add_printf(
			o,
			"colossus_gpu_ecc_errors{gpu=\"%u\",type=\"sbe\","
			"counter=\"volatile\"} %" PRIu64 "\n"
			"colossus_gpu_ecc_errors{gpu=\"%u\",type=\"dbe\","
			"counter=\"volatile\"} %" PRIu64 "\n"
			"colossus_gpu_ecc_errors{gpu=\"%u\",type=\"sbe\","
			"counter=\"aggregate\"} %" PRIu64 "\n"
			"colossus_gpu_ecc_errors{gpu=\"%u\",type=\"dbe\","
			"counter=\"aggregate\"} %" PRIu64 "\n",
			g->index, g->ecc_sbe_volatile, g->index,
			g->ecc_dbe_volatile, g->index, g->ecc_sbe_aggregate,
			g->index, g->ecc_dbe_aggregate);
	}
	fam(o, "colossus_gpu_remapped_rows", "gauge",
	    "HBM rows remapped, by the error that caused it.");
	for (size_t i = 0; i < n; i++) {
		if (!(s[i].valid & GPU_F_REMAP))
			continue;
		evbuffer_add_printf(
			o,
			"colossus_gpu_remapped_rows{gpu=\"%u\",cause="
			"\"correctable\"} %u\n"
			"colossus_gpu_remapped_rows{gpu=\"%u\",cause="
			"\"uncorrectable\"} %u\n",
			s[i].index, s[i].remap_correctable, s[i].index,
			s[i].remap_uncorrectable);
	}
	fam(o, "colossus_gpu_remap_pending", "gauge",
	    "1 when a row remap waits for a GPU reset.");
	GPU_SERIES(o, s, n, "colossus_gpu_remap_pending", GPU_F_REMAP, "%d",
		   g_->remap_pending ? 1 : 0);
	fam(o, "colossus_gpu_remap_failure", "gauge",
	    "1 when a row remap failed (the GPU needs service).");
	GPU_SERIES(o, s, n, "colossus_gpu_remap_failure", GPU_F_REMAP, "%d",
		   g_->remap_failure ? 1 : 0);
	fam(o, "colossus_gpu_pcie_replays", "gauge",
	    "PCIe replay counter (since the driver loaded).");
	GPU_SERIES(o, s, n, "colossus_gpu_pcie_replays", GPU_F_PCIE, "%u",
		   g_->pcie_replay);
	fam(o, "colossus_gpu_pcie_link_width", "gauge",
	    "Current PCIe link width (lanes).");
	GPU_SERIES(o, s, n, "colossus_gpu_pcie_link_width", GPU_F_PCIE, "%u",
		   g_->pcie_width);
	fam(o, "colossus_gpu_pcie_link_width_max", "gauge",
	    "Maximum PCIe link width (lanes).");
	GPU_SERIES(o, s, n, "colossus_gpu_pcie_link_width_max", GPU_F_PCIE,
		   "%u", g_->pcie_width_max);
	fam(o, "colossus_gpu_throttled", "gauge",
	    "1 while the GPU's clocks are held down for this reason.");
	for (size_t i = 0; i < n; i++) {
		if (!(s[i].valid & GPU_F_THROTTLE))
			continue;
		for (size_t t = 0; t < ARRAY_SIZE(throttles); t++)
			evbuffer_add_printf(
				o,
				"colossus_gpu_throttled{gpu=\"%u\",reason="
				"\"%s\"} %d\n",
				s[i].index, throttles[t].name,
				(s[i].throttle_reasons & throttles[t].bit) !=
					0);
	}
	fam(o, "colossus_gpu_nvlinks_down", "gauge",
	    "NVLinks present but inactive.");
	GPU_SERIES(o, s, n, "colossus_gpu_nvlinks_down", GPU_F_NVLINK, "%d",
		   __builtin_popcountll(g_->nvlink_down_mask));
	fam(o, "colossus_gpu_nvlink_errors", "gauge",
	    "NVLink error counters summed over links, by kind.");
	for (size_t i = 0; i < n; i++) {
		if (!(s[i].valid & GPU_F_NVLINK))
			continue;
		evbuffer_add_printf(
			o,
			"colossus_gpu_nvlink_errors{gpu=\"%u\",kind=\"replay\"}"
			" %" PRIu64 "\n"
			"colossus_gpu_nvlink_errors{gpu=\"%u\",kind="
			"\"recovery\"} %" PRIu64 "\n"
			"colossus_gpu_nvlink_errors{gpu=\"%u\",kind=\"crc\"} "
			"%" PRIu64 "\n",
			s[i].index, s[i].nvlink_replay, s[i].index,
			s[i].nvlink_recovery, s[i].index, s[i].nvlink_crc);
	}
	fam(o, "colossus_gpu_sm_clock_mhz", "gauge", "Current SM clock.");
	GPU_SERIES(o, s, n, "colossus_gpu_sm_clock_mhz", GPU_F_CLOCKS, "%u",
		   g_->sm_clock_mhz);
	fam(o, "colossus_gpu_recovery_action", "gauge",
	    "Recovery the driver asks for (0 none, 1 GPU reset, 2 node "
	    "reboot, 3 drain peer-to-peer, 4 drain and reset).");
	GPU_SERIES(o, s, n, "colossus_gpu_recovery_action", GPU_F_RECOVERY,
		   "%u", g_->recovery_action);
	fam(o, "colossus_gpu_processes", "gauge",
	    "Compute processes running on the GPU.");
	GPU_SERIES(o, s, n, "colossus_gpu_processes", GPU_F_PROCESSES, "%u",
		   g_->processes);
}

/* ---- NICs ---- */

static void render_nics(const struct agent *ag, struct evbuffer *o)
{
	const struct nic *nics = nicwatch_links(ag);
	size_t n = nics ? nic_count(nics) : 0;

	fam(o, "colossus_nic_up", "gauge",
	    "1 while the interface's link is up (forced states included).");
	for (size_t i = 0; i < n; i++) {
		const struct nic_link *l = nic_get(nics, i);

		evbuffer_add_printf(o, "colossus_nic_up{nic=\"");
		label(o, l->name);
		evbuffer_add_printf(o, "\"} %d\n", l->up ? 1 : 0);
	}
	fam(o, "colossus_nic_speed_mbps", "gauge",
	    "Link speed of interfaces that report one.");
	for (size_t i = 0; i < n; i++) {
		const struct nic_link *l = nic_get(nics, i);

		if (l->speed_mbps < 0)
			continue;
		evbuffer_add_printf(o, "colossus_nic_speed_mbps{nic=\"");
		label(o, l->name);
		evbuffer_add_printf(o, "\"} %d\n", l->speed_mbps);
	}
	fam(o, "colossus_nic_link_transitions_total", "counter",
	    "Up/down changes seen since the agent started.");
	for (size_t i = 0; i < n; i++) {
		const struct nic_link *l = nic_get(nics, i);

		evbuffer_add_printf(o,
				    "colossus_nic_link_transitions_total{nic="
				    "\"");
		label(o, l->name);
		evbuffer_add_printf(o, "\"} %" PRIu64 "\n", l->transitions);
	}
}

/* ---- the process ---- */

static void render_process(int64_t start_wall_s, struct evbuffer *o)
{
	struct rusage ru;
	char buf[128];
	long size, pages;
	ssize_t n;
	int fd;

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		fam(o, "process_cpu_seconds_total", "counter",
		    "User and system CPU time spent in seconds.");
		evbuffer_add_printf(
			o, "process_cpu_seconds_total %.6f\n",
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				(double)(ru.ru_utime.tv_usec +
					 ru.ru_stime.tv_usec) /
					1e6);
	}
	/* procfs answers from memory: this read never waits on a disk. */
	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%ld %ld", &size, &pages) == 2 &&
			    pages >= 0)
				one(o, "process_resident_memory_bytes", "gauge",
				    "Resident memory size in bytes.",
				    (uint64_t)pages *
					    (uint64_t)sysconf(_SC_PAGESIZE));
		}
	}
	one(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.",
	    (uint64_t)start_wall_s);
}

void metrics_node_render(const struct agent *ag, struct evbuffer *out)
{
	render_agent(ag, out);
	render_health(ag, out);
	if (ag->gpu)
		render_gpus(ag, out);
	render_nics(ag, out);
}

/* ---- HTTP ---- */

static void reply(struct evhttp_request *req, int code, const char *phrase,
		  const char *type, struct evbuffer *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);

	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, phrase, body);
}

static void metrics_node_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_node *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *b = evbuffer_new();

	if (path && !strcmp(path, "/metrics")) {
		metrics_node_render(m->ag, b);
		render_process(m->start_wall_s, b);
		reply(req, 200, "OK", CT_PROM, b);
	} else if (path && !strcmp(path, "/healthz")) {
		evbuffer_add_printf(b, "ok\n");
		reply(req, 200, "OK", CT_TEXT, b);
	} else if (path && !strcmp(path, "/readyz")) {
		/* Ready = registered: a load balancer has no use for it, an
		 * alert on "agent cannot reach any controller" has. */
		evbuffer_add_printf(b, "%s\n",
				    m->ag->registered ? "registered"
						      : "not registered");
		reply(req, m->ag->registered ? 200 : 503,
		      m->ag->registered ? "OK" : "Service Unavailable", CT_TEXT,
		      b);
	} else {
		evbuffer_add_printf(b, "not found\n");
		reply(req, 404, "Not Found", CT_TEXT, b);
	}
	evbuffer_free(b);
}

/* "host:port" with a numeric host; port 0 picks a free port. */
static int metrics_node_parse_addr(const char *addr,
				   struct sockaddr_storage *ss, int *sslen)
{
	const char *colon = strrchr(addr, ':');
	char tmp[128];

	if (!colon || strlen(addr) >= sizeof(tmp) - 2)
		return -1;
	if (strcmp(colon + 1, "0"))
		return evutil_parse_sockaddr_port(addr, (struct sockaddr *)ss,
						  sslen);
	snprintf(tmp, sizeof(tmp), "%.*s:1", (int)(colon - addr), addr);
	if (evutil_parse_sockaddr_port(tmp, (struct sockaddr *)ss, sslen) < 0)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return 0;
}

struct metrics_node *metrics_node_start(struct agent *ag, struct err *e)
{
	const char *addr = ag->cfg.metrics_listen;
	struct sockaddr_storage ss, bound;
	socklen_t blen = sizeof(bound);
	int sslen = sizeof(ss);
	struct evconnlistener *evl;
	struct metrics_node *m;

	if (!addr || !*addr)
		return NULL;
	memset(&ss, 0, sizeof(ss));
	if (metrics_node_parse_addr(addr, &ss, &sslen) < 0) {
		err_set(e, "metrics_listen '%s' is not a numeric host:port",
			addr);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->ag = ag;
	m->start_wall_s = util_now_wall_s();
	m->evh = evhttp_new(ag->base);
	if (!m->evh) {
		err_set(e, "metrics: cannot create the HTTP server");
		free(m);
		return NULL;
	}
	evl = evconnlistener_new_bind(ag->base, NULL, NULL,
				      LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_REUSEABLE |
					      LEV_OPT_CLOSE_ON_EXEC,
				      16, (struct sockaddr *)&ss, sslen);
	if (!evl || !evhttp_bind_listener(m->evh, evl)) {
		err_set(e, "cannot listen on metrics_listen %s: %s", addr,
			strerror(errno));
		if (evl)
			evconnlistener_free(evl);
		evhttp_free(m->evh);
		free(m);
		return NULL;
	}
	if (getsockname(evconnlistener_get_fd(evl), (struct sockaddr *)&bound,
			&blen) == 0)
		m->port = ntohs(
			bound.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&bound)->sin6_port
				: ((struct sockaddr_in *)&bound)->sin_port);
	/* Read-only: anything but GET is answered 405 by evhttp itself. */
	evhttp_set_allowed_methods(m->evh, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(m->evh, 8192);
	evhttp_set_max_body_size(m->evh, 1024);
	evhttp_set_timeout(m->evh, 30);
	evhttp_set_gencb(m->evh, metrics_node_request_cb, m);
	log_info("metrics: serving /metrics on %s (port %d)", addr, m->port);
	return m;
}

void metrics_node_stop(struct metrics_node *m)
{
	if (!m)
		return;
	evhttp_free(m->evh);
	free(m);
}

int metrics_node_port(const struct metrics_node *m)
{
	return m->port;
}
