/*
 * Admin commands that take hardware out of service and put it back:
 * drain and resume (nodes, racks, pods, halls), the health circuit
 * breaker, and rack readings fed by hand (what a rack monitor sends; for
 * admins checking the cooling policy and for tests).
 *
 * The controller commits a drain before it answers (DESIGN invariant 1)
 * and only admins may drain (invariant 6), so this file checks only what
 * the command line can know: level names, a reason, value ranges.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"

/* The controller refuses longer reasons; say so before sending. */
#define DRAIN_MAX_REASON 256

/* ---- drain and resume -------------------------------------------------- */

enum { DR_REASON = 1, DR_NOW, DR_REPAIRED };

const struct opts_def cmd_drain_defs[] = {
	{ "reason", 'r', OPTS_VALUE, DR_REASON, "TEXT",
	  "why (required; kept with the drain and in its event)" },
	{ "now", 0, OPTS_FLAG, DR_NOW, NULL,
	  "requeue the jobs running there at once (default: let them end)" },
	OPTS_END,
};

const struct opts_def cmd_resume_defs[] = {
	{ "repaired", 0, OPTS_FLAG, DR_REPAIRED, NULL,
	  "after a repair: clear the replacement flag and validate first "
	  "(nodes only)" },
	OPTS_END,
};

struct drain_args {
	const char *reason;
	bool now, repaired;
};

static int drain_opt(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	struct drain_args *a = arg;

	(void)name;
	switch (id) {
	case DR_REASON:
		if (!*val)
			return err_set(e, "the reason may not be empty");
		if (strlen(val) > DRAIN_MAX_REASON)
			return err_set(e,
				       "the reason is longer than %d "
				       "characters",
				       DRAIN_MAX_REASON);
		a->reason = val;
		return 0;
	case DR_NOW:
		a->now = true;
		return 0;
	case DR_REPAIRED:
		a->repaired = true;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

static bool drain_level_ok(const char *level)
{
	return !strcmp(level, "node") || !strcmp(level, "rack") ||
	       !strcmp(level, "pod") || !strcmp(level, "hall");
}

static void drain_json(const struct drain_args *a, bool resume,
		       const char *level, const Colossus__DrainNodesReply *r)
{
	struct json j;
	uint64_t nodes = 0;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_kv_str(&j, "action", resume ? "resume" : "drain");
	json_kv_str(&j, "level", level);
	if (!resume) {
		json_kv_str(&j, "reason", a->reason);
		json_kv_bool(&j, "now", a->now);
	} else {
		json_kv_bool(&j, "repaired", a->repaired);
	}
	json_key(&j, "targets");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_results; i++) {
		json_begin_object(&j);
		json_kv_str(&j, "target", r->results[i]->target);
		json_kv_uint(&j, "nodes", r->results[i]->nodes);
		json_end_object(&j);
		nodes += r->results[i]->nodes;
	}
	json_end_array(&j);
	json_kv_uint(&j, "nodes", nodes);
	json_kv_uint(&j, "jobs_requeued",
		     r->n_results ? r->results[0]->jobs_requeued : 0);
	json_end_object(&j);
	json_finish(&j);
}

static void drain_text(const struct drain_args *a, bool resume,
		       const char *level, const Colossus__DrainNodesReply *r)
{
	uint32_t requeued = r->n_results ? r->results[0]->jobs_requeued : 0;

	for (size_t i = 0; i < r->n_results; i++) {
		const Colossus__DrainResult *d = r->results[i];
		const char *what;

		if (!resume)
			what = a->now ? "drained now" : "draining";
		else if (a->repaired)
			what = "repaired: returns to service once its "
			       "validation check passes";
		else
			what = "resumed";
		printf("%s %s: %s (%u node%s)\n", level, d->target, what,
		       d->nodes, d->nodes == 1 ? "" : "s");
	}
	if (!resume && a->now)
		printf("%u job%s requeued\n", requeued,
		       requeued == 1 ? "" : "s");
}

static int drain_cmd(struct cli *cli, int argc, char **argv, bool resume)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__DrainNodes dn = COLOSSUS__DRAIN_NODES__INIT;
	Colossus__Response *resp = NULL;
	struct drain_args a = { NULL, false, false };
	struct opts_rest rest;
	const char *level;
	int rc;

	rc = cli_parse(cli, argc, argv,
		       resume ? cmd_resume_defs : cmd_drain_defs, drain_opt, &a,
		       0, &rest);
	if (rc)
		return rc;
	if (rest.n < 1) {
		rc = cli_usage(cli, "what? give node, rack, pod or hall, "
				    "then one or more names");
		goto out;
	}
	level = rest.args[0];
	if (!drain_level_ok(level)) {
		rc = cli_usage(cli,
			       "'%s' is not a level: give node, rack, pod or "
			       "hall, then the names",
			       level);
		goto out;
	}
	if (rest.n < 2) {
		rc = cli_usage(cli, "which %s? give one or more names%s", level,
			       !strcmp(level, "node")
				       ? " or hostlists (n[00001-00008])"
				       : "");
		goto out;
	}
	if (!resume && !a.reason) {
		rc = cli_usage(cli, "a drain needs --reason TEXT (kept with "
				    "the drain, shown by colossus nodes)");
		goto out;
	}
	if (a.repaired && strcmp(level, "node")) {
		rc = cli_usage(cli, "--repaired applies to nodes, not to a %s",
			       level);
		goto out;
	}
	dn.level = (char *)level;
	dn.targets = rest.args + 1;
	dn.n_targets = rest.n - 1;
	dn.reason = (char *)(a.reason ? a.reason : "");
	dn.now = a.now;
	dn.resume = resume;
	dn.repaired = a.repaired;
	req.body_case = COLOSSUS__REQUEST__BODY_DRAIN_NODES;
	req.drain_nodes = &dn;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_DRAIN_NODES, &resp);
	if (rc)
		goto out;
	if (cli->json)
		drain_json(&a, resume, level, resp->drain_nodes);
	else
		drain_text(&a, resume, level, resp->drain_nodes);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}

int cmd_drain(struct cli *cli, int argc, char **argv)
{
	return drain_cmd(cli, argc, argv, false);
}

int cmd_resume(struct cli *cli, int argc, char **argv)
{
	return drain_cmd(cli, argc, argv, true);
}

/* ---- the circuit breaker ------------------------------------------------- */

int cmd_breaker_reset(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ResetBreaker rb = COLOSSUS__RESET_BREAKER__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, OPTS_NO_POSITIONAL,
		       &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	req.body_case = COLOSSUS__REQUEST__BODY_RESET_BREAKER;
	req.reset_breaker = &rb;
	/* The reply has no body: status OK is the whole answer. */
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		return rc;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "breaker", "closed");
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("health breaker closed: automatic drains resume\n");
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

/* ---- rack readings ------------------------------------------------------- */

/*
 * Values meaning "not measured" for the controller's rack rules (see
 * controller/health.c health_rack_value): a negative flow, a temperature
 * at or below -100 C, zero pumps or fans in total.
 */
#define RACK_NO_FLOW -1.0
#define RACK_NO_TEMP -273.0

enum {
	RR_FLOW = 1,
	RR_SUPPLY,
	RR_RETURN,
	RR_PRESSURE,
	RR_PUMPS,
	RR_FANS,
	RR_LEAK,
	RR_POWER,
	RR_POWER_LOST,
};

const struct opts_def cmd_rack_readings_defs[] = {
	{ "flow", 0, OPTS_VALUE, RR_FLOW, "LPM",
	  "CDU coolant flow in litres per minute" },
	{ "supply-temp", 0, OPTS_VALUE, RR_SUPPLY, "C",
	  "coolant supply temperature, Celsius" },
	{ "return-temp", 0, OPTS_VALUE, RR_RETURN, "C",
	  "coolant return temperature, Celsius" },
	{ "pressure", 0, OPTS_VALUE, RR_PRESSURE, "KPA",
	  "pressure difference across the loop, kPa" },
	{ "pumps", 0, OPTS_VALUE, RR_PUMPS, "OK/TOTAL",
	  "CDU pumps working out of installed, e.g. 1/2" },
	{ "fans", 0, OPTS_VALUE, RR_FANS, "OK/TOTAL",
	  "rear-door fans working out of installed" },
	{ "leak", 0, OPTS_VALUE, RR_LEAK, "LEVEL",
	  "leak detection: none, warning or critical" },
	{ "power", 0, OPTS_VALUE, RR_POWER, "KW", "rack power draw, kW" },
	{ "power-lost", 0, OPTS_FLAG, RR_POWER_LOST, NULL,
	  "the rack has lost power" },
	OPTS_END,
};

struct rack_args {
	Colossus__RackReadings rr;
	bool any;
};

static int rack_number(const char *s, double min, double max, double *out,
		       struct err *e)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v))
		return err_set(e, "'%s' is not a number", s);
	if (v < min || v > max)
		return err_set(e, "%s is out of range (%g to %g)", s, min, max);
	*out = v;
	return 0;
}

static int rack_ratio(const char *s, uint32_t *ok, uint32_t *total,
		      struct err *e)
{
	const char *slash = strchr(s, '/');
	char num[16];

	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return err_set(e, "'%s' is not OK/TOTAL (e.g. 1/2)", s);
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (opts_parse_u32(num, 0, 1000, ok, e) < 0 ||
	    opts_parse_u32(slash + 1, 1, 1000, total, e) < 0)
		return -1;
	if (*ok > *total)
		return err_set(e, "%u of %u working is impossible", *ok,
			       *total);
	return 0;
}

static int rack_opt(void *arg, int id, const char *name, const char *val,
		    struct err *e)
{
	struct rack_args *a = arg;
	Colossus__RackReadings *rr = &a->rr;

	(void)name;
	a->any = true;
	switch (id) {
	case RR_FLOW:
		return rack_number(val, 0, 100000, &rr->coolant_flow_lpm, e);
	case RR_SUPPLY:
		return rack_number(val, -50, 200, &rr->supply_temp_c, e);
	case RR_RETURN:
		return rack_number(val, -50, 200, &rr->return_temp_c, e);
	case RR_PRESSURE:
		return rack_number(val, 0, 100000, &rr->pressure_delta_kpa, e);
	case RR_PUMPS:
		return rack_ratio(val, &rr->pumps_ok, &rr->pumps_total, e);
	case RR_FANS:
		return rack_ratio(val, &rr->fans_ok, &rr->fans_total, e);
	case RR_LEAK:
		if (strcmp(val, "none") && strcmp(val, "warning") &&
		    strcmp(val, "critical"))
			return err_set(e,
				       "'%s' is not none, warning or "
				       "critical",
				       val);
		rr->leak = (char *)val;
		return 0;
	case RR_POWER:
		return rack_number(val, 0, 10000, &rr->power_kw, e);
	case RR_POWER_LOST:
		rr->power_lost = true;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

int cmd_rack_readings(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ReportRackReadings rep = COLOSSUS__REPORT_RACK_READINGS__INIT;
	Colossus__RackReadings *list[1];
	Colossus__Response *resp = NULL;
	struct rack_args a = { COLOSSUS__RACK_READINGS__INIT, false };
	struct opts_rest rest;
	int rc;

	a.rr.coolant_flow_lpm = RACK_NO_FLOW;
	a.rr.pressure_delta_kpa = RACK_NO_FLOW;
	a.rr.supply_temp_c = RACK_NO_TEMP;
	a.rr.return_temp_c = RACK_NO_TEMP;
	a.rr.power_kw = -1;
	a.rr.leak = (char *)"none";
	rc = cli_parse(cli, argc, argv, cmd_rack_readings_defs, rack_opt, &a, 0,
		       &rest);
	if (rc)
		return rc;
	if (rest.n != 1) {
		rc = cli_usage(cli, "give exactly one rack name");
		goto out;
	}
	if (!a.any) {
		rc = cli_usage(cli, "give at least one reading (--flow, "
				    "--leak, ...)");
		goto out;
	}
	a.rr.rack = rest.args[0];
	a.rr.time_ms = util_now_wall_ms();
	list[0] = &a.rr;
	rep.racks = list;
	rep.n_racks = 1;
	req.body_case = COLOSSUS__REQUEST__BODY_RACK_READINGS;
	req.rack_readings = &rep;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "rack", a.rr.rack);
		json_kv_str(&j, "result", "recorded");
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("rack %s: readings sent; see colossus health %s\n",
		       a.rr.rack, a.rr.rack);
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}
