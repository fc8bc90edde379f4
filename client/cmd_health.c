/*
 * colossus health NODE|RACK: the latest readings the controller holds
 * (GPU telemetry and NICs from the node's agent, cooling and power from
 * the rack monitor) and the reason for the current state.
 *
 * colossus node why NAME: why a node gets no new work, with the evidence
 * an admin needs: its state, the rule (the reason the health policy or
 * the admin gave), who drained it, its readings, the events that put it
 * there, and what to do next.
 *
 * Both read the controller's memory (GetHealth); events come from
 * PostgreSQL (ListEvents).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/output.h"

/*
 * GpuHealth.valid bits: which groups of fields the agent's backend could
 * read.  Part of the wire contract (proto/health.proto refers to the
 * agent's enum gpu_field, which has the same values).
 */
enum {
	HF_TEMP = 1 << 0,
	HF_POWER = 1 << 1,
	HF_ECC = 1 << 2,
	HF_REMAP = 1 << 3,
	HF_PCIE = 1 << 4,
	HF_THROTTLE = 1 << 5,
	HF_NVLINK = 1 << 6,
	HF_CLOCKS = 1 << 7,
};

/* Events `node why` shows. */
#define WHY_EVENTS 10

/* ---- fetching ----------------------------------------------------------- */

/*
 * GetHealth for a node or a rack.  quiet_not_found: NOT_FOUND returns
 * EXITCODE_NOT_FOUND without a message (to try the other kind).
 */
static int health_get(struct cli *cli, const char *node, const char *rack,
		      bool quiet_not_found, Colossus__Response **resp)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__GetHealth gh = COLOSSUS__GET_HEALTH__INIT;
	Colossus__Response *r;
	struct err e;
	int rc;

	gh.node = (char *)(node ? node : "");
	gh.rack = (char *)(rack ? rack : "");
	req.body_case = COLOSSUS__REQUEST__BODY_GET_HEALTH;
	req.get_health = &gh;
	*resp = NULL;
	if (!quiet_not_found)
		return cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_GET_HEALTH,
				resp);
	rc = cli_connect(cli);
	if (rc)
		return rc;
	r = rpcclient_call(cli->rpc, &req, &e);
	if (!r)
		return cli_rpc_error(cli, &e);
	if (r->status == COLOSSUS__STATUS__STATUS_NOT_FOUND) {
		rpcclient_response_free(r);
		return EXITCODE_NOT_FOUND;
	}
	if (r->status != COLOSSUS__STATUS__STATUS_OK) {
		rc = cli_status_error(cli, r);
		rpcclient_response_free(r);
		return rc;
	}
	if (r->body_case != COLOSSUS__RESPONSE__BODY_GET_HEALTH) {
		rpcclient_response_free(r);
		cli_error(cli, "unexpected reply from %s",
			  rpcclient_peer(cli->rpc));
		return EXITCODE_ERROR;
	}
	*resp = r;
	return EXITCODE_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

static void health_json_gpu(struct json *j, const Colossus__GpuHealth *g)
{
	json_begin_object(j);
	json_kv_uint(j, "index", g->index);
	json_kv_str(j, "uuid", g->uuid);
	json_kv_bool(j, "lost", g->lost);
	json_key(j, "temp_c");
	if (g->valid & HF_TEMP)
		json_int(j, g->temp_c);
	else
		json_null(j);
	json_key(j, "power_w");
	if (g->valid & HF_POWER)
		json_double(j, g->power_mw / 1000.0);
	else
		json_null(j);
	json_key(j, "ecc");
	if (g->valid & HF_ECC) {
		json_begin_object(j);
		json_kv_uint(j, "sbe_volatile", g->ecc_sbe_volatile);
		json_kv_uint(j, "dbe_volatile", g->ecc_dbe_volatile);
		json_kv_uint(j, "sbe_aggregate", g->ecc_sbe_aggregate);
		json_kv_uint(j, "dbe_aggregate", g->ecc_dbe_aggregate);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "remap");
	if (g->valid & HF_REMAP) {
		json_begin_object(j);
		json_kv_uint(j, "correctable", g->remap_correctable);
		json_kv_uint(j, "uncorrectable", g->remap_uncorrectable);
		json_kv_bool(j, "pending", g->remap_pending);
		json_kv_bool(j, "failure", g->remap_failure);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "pcie");
	if (g->valid & HF_PCIE) {
		json_begin_object(j);
		json_kv_uint(j, "gen", g->pcie_gen);
		json_kv_uint(j, "gen_max", g->pcie_gen_max);
		json_kv_uint(j, "width", g->pcie_width);
		json_kv_uint(j, "width_max", g->pcie_width_max);
		json_kv_uint(j, "replay", g->pcie_replay);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "nvlink");
	if (g->valid & HF_NVLINK) {
		json_begin_object(j);
		json_kv_uint(j, "links", g->nvlink_count);
		json_kv_uint(j, "down_mask", g->nvlink_down_mask);
		json_kv_uint(j, "replay", g->nvlink_replay);
		json_kv_uint(j, "recovery", g->nvlink_recovery);
		json_kv_uint(j, "crc", g->nvlink_crc);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_key(j, "throttle_reasons");
	if (g->valid & HF_THROTTLE)
		json_uint(j, g->throttle_reasons);
	else
		json_null(j);
	json_key(j, "sm_clock_mhz");
	if (g->valid & HF_CLOCKS)
		json_uint(j, g->sm_clock_mhz);
	else
		json_null(j);
	json_end_object(j);
}

static void health_json_node(struct json *j, const Colossus__NodeHealthInfo *n)
{
	json_begin_object(j);
	json_kv_str(j, "node", n->node);
	json_kv_str(j, "state", n->state);
	json_kv_str(j, "admin_state", n->admin_state);
	json_kv_str(j, "health", n->health);
	json_kv_str(j, "reason", n->reason);
	json_kv_str(j, "drained_by", n->drained_by);
	json_kv_str(j, "rack", n->rack);
	json_kv_str(j, "rack_admin_state", n->rack_admin_state);
	json_key(j, "flags");
	json_begin_array(j);
	for (size_t i = 0; i < n->n_flags; i++)
		json_string(j, n->flags[i]);
	json_end_array(j);
	json_kv_int(j, "sample_time", n->sample_ms / 1000);
	json_key(j, "gpus");
	json_begin_array(j);
	for (size_t i = 0; i < n->n_gpus; i++)
		health_json_gpu(j, n->gpus[i]);
	json_end_array(j);
	json_key(j, "nics");
	json_begin_array(j);
	for (size_t i = 0; i < n->n_nics; i++) {
		json_begin_object(j);
		json_kv_str(j, "name", n->nics[i]->name);
		json_kv_bool(j, "up", n->nics[i]->up);
		json_kv_uint(j, "transitions", n->nics[i]->transitions);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

/* A measured value, or null: see cmd_drain.c for "not measured". */
static void health_json_measure(struct json *j, const char *key, double v,
				double min)
{
	json_key(j, key);
	if (v >= min)
		json_double(j, v);
	else
		json_null(j);
}

static void health_json_rack(struct json *j, const Colossus__RackReadings *r)
{
	json_begin_object(j);
	json_kv_int(j, "time", r->time_ms / 1000);
	health_json_measure(j, "coolant_flow_lpm", r->coolant_flow_lpm, 0);
	health_json_measure(j, "supply_temp_c", r->supply_temp_c, -99);
	health_json_measure(j, "return_temp_c", r->return_temp_c, -99);
	health_json_measure(j, "pressure_delta_kpa", r->pressure_delta_kpa, 0);
	json_kv_uint(j, "pumps_ok", r->pumps_ok);
	json_kv_uint(j, "pumps_total", r->pumps_total);
	json_kv_uint(j, "fans_ok", r->fans_ok);
	json_kv_uint(j, "fans_total", r->fans_total);
	json_kv_str(j, "leak", r->leak && *r->leak ? r->leak : "none");
	health_json_measure(j, "power_kw", r->power_kw, 0);
	json_kv_bool(j, "power_lost", r->power_lost);
	json_end_object(j);
}

/* ---- text ------------------------------------------------------------------- */

/* "5s ago" / "3m ago" for a wall-clock time in ms; "" when unknown. */
static const char *health_ago(int64_t ms, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - ms / 1000;
	char when[32];

	if (ms <= 0) {
		snprintf(buf, len, "never");
		return buf;
	}
	output_time(ms / 1000, when, sizeof(when));
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%s, %llds ago", when, (long long)d);
	else if (d < 7200)
		snprintf(buf, len, "%s, %lldm ago", when, (long long)d / 60);
	else
		snprintf(buf, len, "%s, %lldh ago", when, (long long)d / 3600);
	return buf;
}

static const struct output_col health_gpu_cols[] = {
	{ "GPU", 0, true },	  { "TEMP", 0, true },	  { "POWER", 0, true },
	{ "ECC_SBE", 0, true },	  { "ECC_DBE", 0, true }, { "REMAP", 0, false },
	{ "PCIE", 0, false },	  { "NVLINK", 0, false }, { "CLOCK", 0, true },
	{ "THROTTLE", 0, false }, { "UUID", 0, false },
};

static void health_gpu_row(struct output_table *t, const Colossus__GpuHealth *g)
{
	unsigned v = g->valid;

	output_table_row(t);
	output_table_cellf(t, OUTPUT_PLAIN, "%u", g->index);
	if (g->lost) {
		output_table_cell(t, OUTPUT_RED, "lost");
		for (int i = 0; i < 8; i++)
			output_table_cell(t, OUTPUT_PLAIN, "-");
		output_table_cell(t, OUTPUT_PLAIN, g->uuid);
		return;
	}
	if (v & HF_TEMP)
		output_table_cellf(
			t,
			g->slowdown_temp_c &&
					g->temp_c >= g->slowdown_temp_c - 5
				? OUTPUT_RED
				: OUTPUT_PLAIN,
			"%dC", g->temp_c);
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_POWER)
		output_table_cellf(t, OUTPUT_PLAIN, "%uW", g->power_mw / 1000);
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_ECC) {
		output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64,
				   g->ecc_sbe_volatile);
		output_table_cellf(
			t, g->ecc_dbe_volatile ? OUTPUT_RED : OUTPUT_PLAIN,
			"%" PRIu64, g->ecc_dbe_volatile);
	} else {
		output_table_cell(t, OUTPUT_PLAIN, "-");
		output_table_cell(t, OUTPUT_PLAIN, "-");
	}
	if (v & HF_REMAP)
		output_table_cellf(t,
				   g->remap_pending || g->remap_failure
					   ? OUTPUT_YELLOW
					   : OUTPUT_PLAIN,
				   "%u/%u%s%s", g->remap_correctable,
				   g->remap_uncorrectable,
				   g->remap_pending ? " pending" : "",
				   g->remap_failure ? " FAILED" : "");
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_PCIE)
		output_table_cellf(t,
				   g->pcie_width < g->pcie_width_max
					   ? OUTPUT_YELLOW
					   : OUTPUT_PLAIN,
				   "gen%u x%u", g->pcie_gen, g->pcie_width);
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_NVLINK)
		output_table_cellf(
			t, g->nvlink_down_mask ? OUTPUT_RED : OUTPUT_PLAIN,
			"%u%s", g->nvlink_count,
			g->nvlink_down_mask ? " (down)" : " up");
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_CLOCKS)
		output_table_cellf(t, OUTPUT_PLAIN, "%uMHz", g->sm_clock_mhz);
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	if (v & HF_THROTTLE)
		output_table_cellf(t, OUTPUT_PLAIN, "0x%" PRIx64,
				   g->throttle_reasons);
	else
		output_table_cell(t, OUTPUT_PLAIN, "-");
	output_table_cell(t, OUTPUT_PLAIN, g->uuid);
}

static enum output_color health_state_color(const char *word)
{
	if (!strcmp(word, "up") || !strcmp(word, "ok") || !strcmp(word, "none"))
		return OUTPUT_GREEN;
	if (!strcmp(word, "down") || !strcmp(word, "failed") ||
	    !strcmp(word, "drained"))
		return OUTPUT_RED;
	return OUTPUT_YELLOW;
}

static void health_word(const struct cli *cli, const char *word)
{
	enum output_color c = health_state_color(word);

	if (cli->color && output_color_code(c))
		printf("%s%s%s", output_color_code(c), word,
		       OUTPUT_COLOR_RESET);
	else
		fputs(word, stdout);
}

/* "state up, admin drained (by admin1), health ok" and the details. */
static void health_text_node(const struct cli *cli,
			     const Colossus__NodeHealthInfo *n, bool readings)
{
	char buf[64];

	printf("node %s: state ", n->node);
	health_word(cli, n->state);
	printf(", admin ");
	health_word(cli, n->admin_state);
	if (n->drained_by && *n->drained_by)
		printf(" (by %s)", n->drained_by);
	printf(", health ");
	health_word(cli, n->health);
	printf("\n");
	if (n->reason && *n->reason)
		printf("  reason: %s\n", n->reason);
	if (n->rack_admin_state && *n->rack_admin_state &&
	    strcmp(n->rack_admin_state, "none"))
		printf("  rack %s: %s\n", n->rack, n->rack_admin_state);
	if (n->n_flags) {
		printf("  flags:");
		for (size_t i = 0; i < n->n_flags; i++)
			printf(" %s", n->flags[i]);
		printf("\n");
	}
	if (!readings)
		return;
	printf("  readings: %s\n", health_ago(n->sample_ms, buf, sizeof(buf)));
	if (n->n_gpus) {
		struct output_table *t = output_table_create(
			health_gpu_cols, ARRAY_SIZE(health_gpu_cols));

		for (size_t i = 0; i < n->n_gpus; i++)
			health_gpu_row(t, n->gpus[i]);
		output_table_print(t, stdout, !cli->no_header, cli->color);
		output_table_destroy(t);
	}
	if (n->n_nics) {
		printf("  NICs:");
		for (size_t i = 0; i < n->n_nics; i++)
			printf(" %s %s%s", n->nics[i]->name,
			       n->nics[i]->up ? "up" : "DOWN",
			       i + 1 < n->n_nics ? "," : "");
		printf("\n");
	}
}

static void health_text_rack(const struct cli *cli, const char *name,
			     const Colossus__GetHealthReply *h)
{
	const Colossus__RackReadings *r = h->rack;
	char buf[64];

	printf("rack %s: admin ", name);
	health_word(cli,
		    h->rack_state && *h->rack_state ? h->rack_state : "none");
	printf("\n");
	if (h->rack_reason && *h->rack_reason)
		printf("  reason: %s\n", h->rack_reason);
	if (!r) {
		printf("  cooling and power: no readings yet\n");
	} else {
		printf("  readings: %s\n",
		       health_ago(r->time_ms, buf, sizeof(buf)));
		printf("  coolant:");
		if (r->coolant_flow_lpm >= 0)
			printf(" flow %.1f L/min", r->coolant_flow_lpm);
		if (r->supply_temp_c > -100)
			printf(" supply %.1fC", r->supply_temp_c);
		if (r->return_temp_c > -100)
			printf(" return %.1fC", r->return_temp_c);
		if (r->pressure_delta_kpa >= 0)
			printf(" dP %.1f kPa", r->pressure_delta_kpa);
		if (r->pumps_total)
			printf(" pumps %u/%u", r->pumps_ok, r->pumps_total);
		if (r->fans_total)
			printf(" fans %u/%u", r->fans_ok, r->fans_total);
		printf(" leak %s\n", r->leak && *r->leak ? r->leak : "none");
		if (r->power_lost)
			printf("  power: LOST\n");
		else if (r->power_kw >= 0)
			printf("  power: %.1f kW\n", r->power_kw);
	}
	for (size_t i = 0; i < h->n_nodes; i++)
		health_text_node(cli, h->nodes[i], false);
}

/* ---- colossus health ---------------------------------------------------- */

int cmd_health(struct cli *cli, int argc, char **argv)
{
	Colossus__Response *resp = NULL;
	const Colossus__GetHealthReply *h;
	struct opts_rest rest;
	const char *kind = NULL, *name;
	bool rack;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	if (rest.n == 2 &&
	    (!strcmp(rest.args[0], "node") || !strcmp(rest.args[0], "rack"))) {
		kind = rest.args[0];
		name = rest.args[1];
	} else if (rest.n == 1) {
		name = rest.args[0];
	} else {
		rc = cli_usage(cli, "give one node or rack name (or 'node "
				    "NAME', 'rack NAME')");
		goto out;
	}
	if (kind) {
		rack = !strcmp(kind, "rack");
		rc = health_get(cli, rack ? NULL : name, rack ? name : NULL,
				false, &resp);
	} else {
		/* A node first (the common question), then a rack. */
		rack = false;
		rc = health_get(cli, name, NULL, true, &resp);
		if (rc == EXITCODE_NOT_FOUND) {
			rack = true;
			rc = health_get(cli, NULL, name, true, &resp);
			if (rc == EXITCODE_NOT_FOUND)
				cli_error(cli, "no node or rack named '%s'",
					  name);
		}
	}
	if (rc)
		goto out;
	h = resp->get_health;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "kind", rack ? "rack" : "node");
		json_kv_str(&j, "name", name);
		if (rack) {
			json_kv_str(&j, "rack_state", h->rack_state);
			json_kv_str(&j, "rack_reason", h->rack_reason);
			json_key(&j, "rack");
			if (h->rack)
				health_json_rack(&j, h->rack);
			else
				json_null(&j);
		}
		json_key(&j, "nodes");
		json_begin_array(&j);
		for (size_t i = 0; i < h->n_nodes; i++)
			health_json_node(&j, h->nodes[i]);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else if (rack) {
		health_text_rack(cli, name, h);
	} else if (h->n_nodes) {
		health_text_node(cli, h->nodes[0], true);
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}

/* ---- colossus node why -------------------------------------------------- */

/* The verdict: what keeps the node from new work, in one sentence. */
static const char *why_verdict(const Colossus__NodeHealthInfo *n, bool *ok)
{
	*ok = false;
	if (!strcmp(n->admin_state, "drained"))
		return "drained: gets no new work";
	if (!strcmp(n->admin_state, "draining"))
		return "draining: running jobs finish, nothing new starts";
	if (!strcmp(n->state, "down"))
		return "down: its agent stopped heartbeating (lease expired)";
	if (strcmp(n->state, "up"))
		return "unknown: the controller has not heard from its agent "
		       "since it started";
	if (!strcmp(n->health, "failed"))
		return "failing a health rule: gets no new work";
	if (!strcmp(n->health, "degraded"))
		return "degraded: takes small jobs, no new large gangs";
	*ok = true;
	return "in service: nothing keeps it from new work";
}

/* What to do next, in buf ("" when nothing is needed). */
static void why_next(const Colossus__NodeHealthInfo *n, char *buf, size_t len)
{
	bool rack = n->rack_admin_state && *n->rack_admin_state &&
		    strcmp(n->rack_admin_state, "none");

	buf[0] = '\0';
	for (size_t i = 0; i < n->n_flags; i++)
		if (!strcmp(n->flags[i], "validating")) {
			snprintf(buf, len,
				 "wait: its return-to-service check "
				 "is running");
			return;
		}
	for (size_t i = 0; i < n->n_flags; i++)
		if (!strcmp(n->flags[i], "rma")) {
			snprintf(buf, len,
				 "replace the hardware, then: colossus resume "
				 "node %s --repaired",
				 n->node);
			return;
		}
	if (rack)
		snprintf(buf, len,
			 "its rack %s is %s; when the rack is fixed: colossus "
			 "resume rack %s",
			 n->rack, n->rack_admin_state, n->rack);
	else if (strcmp(n->admin_state, "none") && n->drained_by &&
		 !strcmp(n->drained_by, "health"))
		snprintf(buf, len,
			 "nothing if the fault clears (it returns to service "
			 "after its validation check); after a repair: "
			 "colossus resume node %s --repaired",
			 n->node);
	else if (strcmp(n->admin_state, "none"))
		snprintf(buf, len,
			 "when the work is done: colossus resume node %s",
			 n->node);
	else if (strcmp(n->state, "up"))
		snprintf(buf, len,
			 "check the node and its agent (systemctl status "
			 "colossus-nodeagent)");
}

/*
 * The newest events that concern the node: its own, and those of its
 * rack as a whole (a rack drain, a cooling alarm).  The controller
 * filters by rack; the node's neighbours' events are dropped here.
 */
static int why_events(struct cli *cli, const Colossus__NodeHealthInfo *n,
		      Colossus__Response **resp, Colossus__Event **out,
		      size_t *nout)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListEvents le = COLOSSUS__LIST_EVENTS__INIT;
	const Colossus__ListEventsReply *r;
	int rc;

	if (n->rack && *n->rack) {
		le.rack = n->rack;
		le.limit = 10 * WHY_EVENTS;
	} else {
		le.node = n->node;
		le.limit = WHY_EVENTS;
	}
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_EVENTS;
	req.list_events = &le;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_EVENTS, resp);
	if (rc)
		return rc;
	r = (*resp)->list_events;
	*nout = 0;
	for (size_t i = 0; i < r->n_events && *nout < WHY_EVENTS; i++)
		if (!r->events[i]->node || !*r->events[i]->node ||
		    !strcmp(r->events[i]->node, n->node))
			out[(*nout)++] = r->events[i];
	return EXITCODE_OK;
}

int cmd_node_why(struct cli *cli, int argc, char **argv)
{
	Colossus__Response *resp = NULL, *evresp = NULL;
	const Colossus__NodeHealthInfo *n;
	Colossus__Event *ev[WHY_EVENTS];
	size_t nev = 0;
	struct opts_rest rest;
	const char *verdict;
	char next[256];
	bool ok;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	if (rest.n != 1) {
		rc = cli_usage(cli, "give one node name");
		goto out;
	}
	rc = health_get(cli, rest.args[0], NULL, false, &resp);
	if (rc)
		goto out;
	if (resp->get_health->n_nodes != 1) {
		cli_error(cli, "the controller sent no node");
		rc = EXITCODE_ERROR;
		goto out;
	}
	n = resp->get_health->nodes[0];
	rc = why_events(cli, n, &evresp, ev, &nev);
	if (rc)
		goto out;
	verdict = why_verdict(n, &ok);
	why_next(n, next, sizeof(next));
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_bool(&j, "in_service", ok);
		json_kv_str(&j, "verdict", verdict);
		json_kv_str(&j, "next", next);
		json_key(&j, "health");
		health_json_node(&j, n);
		json_key(&j, "events");
		json_begin_array(&j);
		for (size_t i = nev; i-- > 0;)
			cmd_events_json_event(&j, ev[i]);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else {
		struct format_sel sel;
		struct err e;

		printf("%s is %s\n", n->node, verdict);
		health_text_node(cli, n, true);
		if (nev &&
		    format_parse(cmd_events_cols, "time,kind,actor,reason",
				 NULL, &sel, &e) == 0) {
			printf("\nLast events (oldest first):\n");
			cmd_events_table(cli, &sel, ev, nev, false,
					 !cli->no_header);
		}
		if (next[0])
			printf("\nNext: %s\n", next);
	}
out:
	rpcclient_response_free(resp);
	rpcclient_response_free(evresp);
	opts_rest_free(&rest);
	return rc;
}
