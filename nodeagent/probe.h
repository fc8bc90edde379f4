/*
 * The site probe: how a site connects its BMC, Redfish or CDU tooling.
 * [health] probe_command runs with /bin/sh -c every probe_interval,
 * bounded by probe_timeout and probe_max_kib of output (health_exec.c).
 * Its stdout must be one JSON object (health_json.c):
 *
 *   { "rack":   { "coolant_flow_lpm": 41.5, "supply_temp_c": 31,
 *                 "return_temp_c": 42, "pressure_delta_kpa": 80,
 *                 "pumps_ok": 2, "pumps_total": 2, "fans_ok": 6,
 *                 "fans_total": 6, "leak": "none", "power_kw": 95.2,
 *                 "power_lost": false },
 *     "events": [ { "kind": "xid", "gpu": 3, "code": 79,
 *                   "detail": "from the BMC's SEL" } ] }
 *
 * "rack" becomes the readings of this node's rack (the controller's rack
 * rules judge them: coolant flow, leak, ...); each element of "events"
 * a node event like the agent's own (kinds xid, dbe, gpu_lost, recovery,
 * nic_down, probe).  Unknown keys are ignored, so probes may say more.
 * A probe that fails (exit status, time limit, too much output, not a
 * JSON object) raises one "probe" event per failure episode.
 *
 * Loop thread only.  The real agent only (not the simulator).
 */
#ifndef NODEAGENT_PROBE_H
#define NODEAGENT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct agent;
struct health_event;

/* Most events one probe run may report; more are dropped. */
#define PROBE_MAX_EVENTS 32

/* What one run's output says (probe_parse). */
struct probe_result {
	bool have_rack;
	double flow, supply, ret, pressure, power_kw;
	unsigned pumps_ok, pumps_total, fans_ok, fans_total;
	bool power_lost;
	char leak[16];
	size_t nevents;
	struct health_event *events; /* PROBE_MAX_EVENTS of them */
};

/* Start the timer when [health] probe_command is set; else nothing. */
void probe_start(struct agent *ag);
/* Stop the timer and kill a run in progress.  No-op if not started. */
void probe_stop(struct agent *ag);
/*
 * Parse probe output (text[0..len)) into r, whose events array the
 * caller provides.  Returns 0, or -1 with why set (not a JSON object, a
 * value of the wrong type).  Pure; used by the unit tests.
 */
int probe_parse(const char *text, size_t len, struct probe_result *r, char *why,
		size_t wlen);
/* "runs=N failures=N" for logs. */
void probe_describe(const struct agent *ag, char *buf, size_t len);

#endif
