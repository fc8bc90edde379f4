/*
 * colossus nodes: the node table with a summary of counts by state, or
 * JSON.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "common/hostlist.h"

enum {
	NC_NAME,
	NC_RACK,
	NC_POD,
	NC_HALL,
	NC_STATE,
	NC_ADMIN,
	NC_HEALTH,
	NC_GPUS,
	NC_FREE,
	NC_MODEL,
	NC_JOBS,
	NC_REASON,
	NC_HEARTBEAT,
	NC_FEATURES,
};

/* Indexed by the NC_ constants: keep the two in the same order. */
const struct format_col cmd_nodes_cols[] = {
	{ "name", "NAME", 0, false, "node name" },
	{ "rack", "RACK", 0, false, "rack" },
	{ "pod", "POD", 0, false, "pod" },
	{ "hall", "HALL", 0, false, "data hall" },
	{ "state", "STATE", 0, false, "up, down or unknown (agent contact)" },
	{ "admin", "ADMIN", 0, false, "-, draining or drained" },
	{ "health", "HEALTH", 0, false, "ok, degraded or failed" },
	{ "gpus", "GPUS", 0, true, "GPUs in the node" },
	{ "free", "FREE", 0, true, "GPUs not allocated" },
	{ "model", "MODEL", 0, false, "GPU model" },
	{ "jobs", "JOBS", 24, false, "ids of jobs running there" },
	{ "reason", "REASON", 0, false,
	  "why it is down, drained or unhealthy" },
	{ "last_heartbeat", "LAST_HEARTBEAT", 0, false,
	  "time of the last heartbeat" },
	{ "features", "FEATURES", 0, false, "node features" },
	FORMAT_END,
};

const char cmd_nodes_default_cols[] =
	"name,rack,pod,hall,state,admin,health,gpus,free,model,jobs,reason";

enum { NO_PROBLEMS = 1, NO_FORMAT };

const struct opts_def cmd_nodes_defs[] = {
	{ "problems", 'p', OPTS_FLAG, NO_PROBLEMS, NULL,
	  "only nodes that are not up, healthy and undrained" },
	{ "format", 'o', OPTS_VALUE, NO_FORMAT, "COLUMNS",
	  "columns to print, e.g. name,state,free or +features" },
	OPTS_END,
};

struct nodes_args {
	bool problems;
	const char *format;
};

static int nodes_opt(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	struct nodes_args *a = arg;

	if (id == NO_PROBLEMS)
		a->problems = true;
	else if (id == NO_FORMAT)
		a->format = val;
	else
		return err_set(e, "internal: option %d", id);
	return 0;
}

static enum output_color nodes_color(int col, const Colossus__NodeInfo *n)
{
	switch (col) {
	case NC_STATE:
		if (n->state == COLOSSUS__NODE_STATE__NODE_STATE_UP)
			return OUTPUT_GREEN;
		return n->state == COLOSSUS__NODE_STATE__NODE_STATE_DOWN
			       ? OUTPUT_RED
			       : OUTPUT_YELLOW;
	case NC_ADMIN:
		if (n->admin_state == COLOSSUS__ADMIN_STATE__ADMIN_STATE_NONE)
			return OUTPUT_PLAIN;
		return n->admin_state ==
				       COLOSSUS__ADMIN_STATE__ADMIN_STATE_DRAINED
			       ? OUTPUT_RED
			       : OUTPUT_YELLOW;
	case NC_HEALTH:
		if (n->health == COLOSSUS__HEALTH_STATE__HEALTH_STATE_OK)
			return OUTPUT_PLAIN;
		return n->health == COLOSSUS__HEALTH_STATE__HEALTH_STATE_FAILED
			       ? OUTPUT_RED
			       : OUTPUT_YELLOW;
	default:
		return OUTPUT_PLAIN;
	}
}

static void nodes_cell(struct output_table *t, int col,
		       const Colossus__NodeInfo *n)
{
	enum output_color c = nodes_color(col, n);
	char buf[512];
	size_t used = 0;

	switch (col) {
	case NC_NAME:
		output_table_cell(t, c, n->name);
		break;
	case NC_RACK:
		output_table_cell(t, c, n->rack);
		break;
	case NC_POD:
		output_table_cell(t, c, n->pod);
		break;
	case NC_HALL:
		output_table_cell(t, c, n->hall);
		break;
	case NC_STATE:
		output_table_cell(t, c, names_node_state(n->state));
		break;
	case NC_ADMIN:
		/* "none" is the normal case: keep the column quiet. */
		output_table_cell(t, c,
				  n->admin_state
					  ? names_admin_state(n->admin_state)
					  : "-");
		break;
	case NC_HEALTH:
		output_table_cell(t, c, names_health(n->health));
		break;
	case NC_GPUS:
		output_table_cellf(t, c, "%u", n->gpus);
		break;
	case NC_FREE:
		output_table_cellf(t, c, "%u", n->gpus_free);
		break;
	case NC_MODEL:
		output_table_cell(t, c, n->gpu_model);
		break;
	case NC_JOBS:
		buf[0] = '\0';
		for (size_t i = 0; i < n->n_jobs && used + 1 < sizeof(buf); i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "%s%" PRIu64, i ? "," : "",
						 n->jobs[i]);
		output_table_cell(t, c, n->n_jobs ? buf : "-");
		break;
	case NC_REASON:
		output_table_cell(t, c, n->reason);
		break;
	case NC_HEARTBEAT:
		output_table_cell(
			t, c, output_time(n->last_heartbeat, buf, sizeof(buf)));
		break;
	case NC_FEATURES:
		buf[0] = '\0';
		for (size_t i = 0; i < n->n_features && used + 1 < sizeof(buf);
		     i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "%s%s", i ? "," : "",
						 n->features[i]);
		output_table_cell(t, c, buf);
		break;
	default:
		output_table_cell(t, c, "?");
	}
}

static void nodes_json(const Colossus__ListNodesReply *r)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "nodes");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_nodes; i++) {
		const Colossus__NodeInfo *n = r->nodes[i];

		json_begin_object(&j);
		json_kv_str(&j, "name", n->name);
		json_kv_str(&j, "rack", n->rack);
		json_kv_str(&j, "pod", n->pod);
		json_kv_str(&j, "hall", n->hall);
		json_kv_str(&j, "state", names_node_state(n->state));
		json_kv_str(&j, "admin_state",
			    names_admin_state(n->admin_state));
		json_kv_str(&j, "health", names_health(n->health));
		json_kv_str(&j, "reason", n->reason);
		json_kv_uint(&j, "gpus", n->gpus);
		json_kv_uint(&j, "gpus_free", n->gpus_free);
		json_kv_str(&j, "gpu_model", n->gpu_model);
		json_key(&j, "jobs");
		json_begin_array(&j);
		for (size_t k = 0; k < n->n_jobs; k++)
			json_uint(&j, n->jobs[k]);
		json_end_array(&j);
		json_kv_int(&j, "last_heartbeat", n->last_heartbeat);
		json_key(&j, "features");
		json_begin_array(&j);
		for (size_t k = 0; k < n->n_features; k++)
			json_string(&j, n->features[k]);
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* "4 nodes: 3 up, 1 down; 1 draining; 1 degraded; 24 of 32 GPUs free". */
static void nodes_summary(const Colossus__ListNodesReply *r)
{
	size_t st[3] = { 0 }, adm[3] = { 0 }, hl[3] = { 0 };
	/* up first: it is the number people look for */
	static const int st_order[] = { 1, 2, 0 };
	static const char *const stn[] = { "unknown", "up", "down" };
	static const char *const admn[] = { "", "draining", "drained" };
	static const char *const hln[] = { "", "degraded", "failed" };
	uint64_t gpus = 0, free_gpus = 0;
	const char *sep = ": ";

	for (size_t i = 0; i < r->n_nodes; i++) {
		const Colossus__NodeInfo *n = r->nodes[i];

		st[(unsigned)n->state < 3 ? n->state : 0]++;
		adm[(unsigned)n->admin_state < 3 ? n->admin_state : 0]++;
		hl[(unsigned)n->health < 3 ? n->health : 0]++;
		gpus += n->gpus;
		free_gpus += n->gpus_free;
	}
	printf("\n%zu node%s", r->n_nodes, r->n_nodes == 1 ? "" : "s");
	if (r->n_nodes == 0) {
		printf("\n");
		return;
	}
	for (size_t k = 0; k < ARRAY_SIZE(st_order); k++) {
		int i = st_order[k];

		if (st[i]) {
			printf("%s%zu %s", sep, st[i], stn[i]);
			sep = ", ";
		}
	}
	for (int i = 1; i < 3; i++)
		if (adm[i])
			printf("; %zu %s", adm[i], admn[i]);
	for (int i = 1; i < 3; i++)
		if (hl[i])
			printf("; %zu %s", hl[i], hln[i]);
	printf("; %" PRIu64 " of %" PRIu64 " GPUs free\n", free_gpus, gpus);
}

int cmd_nodes(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListNodes ln = COLOSSUS__LIST_NODES__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__ListNodesReply *r;
	struct nodes_args a = { false, NULL };
	struct format_sel sel;
	struct opts_rest rest;
	struct output_table *t;
	struct err e;
	int rc;

	rc = cli_parse(cli, argc, argv, cmd_nodes_defs, nodes_opt, &a, 0,
		       &rest);
	if (rc)
		return rc;
	if (format_parse(cmd_nodes_cols, cmd_nodes_default_cols, a.format, &sel,
			 &e) < 0) {
		rc = cli_usage(cli, "--format: %s", e.msg);
		goto out;
	}
	/* Check expressions here so a typo is a usage error. */
	for (size_t i = 0; i < rest.n; i++) {
		struct hostlist *hl = hostlist_create();
		int bad = hostlist_parse(hl, rest.args[i], 1000000, &e);

		hostlist_destroy(hl);
		if (bad < 0) {
			rc = cli_usage(cli, "%s", e.msg);
			goto out;
		}
	}
	ln.names = rest.args;
	ln.n_names = rest.n;
	ln.problems_only = a.problems;
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_NODES;
	req.list_nodes = &ln;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_NODES, &resp);
	if (rc)
		goto out;
	r = resp->list_nodes;
	if (cli->json) {
		nodes_json(r);
		goto out;
	}
	t = format_table(cmd_nodes_cols, &sel);
	for (size_t i = 0; i < r->n_nodes; i++) {
		output_table_row(t);
		for (size_t k = 0; k < sel.n; k++)
			nodes_cell(t, (int)sel.idx[k], r->nodes[i]);
	}
	output_table_print(t, stdout, !cli->no_header, cli->color);
	output_table_destroy(t);
	/* The summary is for people; --no-header output is for scripts. */
	if (!cli->no_header)
		nodes_summary(r);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}
