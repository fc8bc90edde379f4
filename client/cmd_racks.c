/*
 * colossus racks: counts by state and a map of the whole cluster, one
 * cell per rack (rackmap.c); --list for a table, --json for scripts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "client/rackmap.h"

enum {
	RK_NAME,
	RK_POD,
	RK_HALL,
	RK_STATE,
	RK_ADMIN,
	RK_HEALTH,
	RK_NODES,
	RK_UP,
	RK_DOWN,
	RK_DRAINED,
	RK_PROBLEMS,
	RK_GPUS,
	RK_FREE,
	RK_JOBS,
	RK_MODEL,
	RK_REASON,
};

/* Indexed by the RK_ constants: keep the two in the same order. */
const struct format_col cmd_racks_cols[] = {
	{ "name", "NAME", 0, false, "rack" },
	{ "pod", "POD", 0, false, "pod" },
	{ "hall", "HALL", 0, false, "data hall" },
	{ "state", "STATE", 0, false,
	  "busy, idle, draining, drained, down, unhealthy, unknown" },
	{ "admin", "ADMIN", 0, false, "the rack's drain state" },
	{ "health", "HEALTH", 0, false, "the rack's health verdict" },
	{ "nodes", "NODES", 0, true, "nodes in the rack" },
	{ "up", "UP", 0, true, "nodes up" },
	{ "down", "DOWN", 0, true, "nodes down" },
	{ "drained", "DRAINED", 0, true, "nodes draining or drained" },
	{ "problems", "PROBLEMS", 0, true, "nodes down, drained or unhealthy" },
	{ "gpus", "GPUS", 0, true, "GPUs in the rack" },
	{ "free", "FREE", 0, true, "GPUs not allocated" },
	{ "jobs", "JOBS", 0, true, "jobs with a rank in the rack" },
	{ "model", "MODEL", 0, false, "GPU model (mixed if several)" },
	{ "reason", "REASON", 0, false, "why drained or unhealthy" },
	FORMAT_END,
};

const char cmd_racks_default_cols[] =
	"name,pod,hall,state,nodes,up,down,drained,gpus,free,jobs,reason";

enum { RO_LIST = 1, RO_FORMAT, RO_WIDTH };

const struct opts_def cmd_racks_defs[] = {
	{ "list", 'l', OPTS_FLAG, RO_LIST, NULL,
	  "a table with one line per rack instead of the map" },
	{ "format", 'o', OPTS_VALUE, RO_FORMAT, "COLUMNS",
	  "columns of the --list table (implies --list)" },
	{ "width", 0, OPTS_VALUE, RO_WIDTH, "N",
	  "draw the map for N columns (default: the terminal's)" },
	OPTS_END,
};

struct racks_args {
	bool list;
	const char *format;
	uint32_t width;
};

static int racks_opt(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	struct racks_args *a = arg;

	(void)name;
	switch (id) {
	case RO_LIST:
		a->list = true;
		return 0;
	case RO_FORMAT:
		a->list = true;
		a->format = val;
		return 0;
	case RO_WIDTH:
		return opts_parse_u32(val, 20, 10000, &a->width, e);
	default:
		return err_set(e, "internal: option %d", id);
	}
}

/* $COLUMNS, else the terminal's width, else 80. */
static unsigned racks_width(void)
{
	const char *cols = getenv("COLUMNS");
	struct winsize ws;

	if (cols && atoi(cols) >= 20 && atoi(cols) <= 10000)
		return (unsigned)atoi(cols);
	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void racks_json(const Colossus__ListRacksReply *r)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "racks");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_racks; i++) {
		const Colossus__RackInfo *k = r->racks[i];

		json_begin_object(&j);
		json_kv_str(&j, "name", k->name);
		json_kv_str(&j, "pod", k->pod);
		json_kv_str(&j, "hall", k->hall);
		json_kv_str(&j, "state", k->state);
		json_kv_str(&j, "admin_state",
			    names_admin_state(k->admin_state));
		json_kv_str(&j, "health", names_health(k->health));
		json_kv_str(&j, "reason", k->reason);
		json_kv_str(&j, "gpu_model", k->gpu_model);
		json_kv_uint(&j, "nodes", k->nodes);
		json_kv_uint(&j, "nodes_up", k->nodes_up);
		json_kv_uint(&j, "nodes_down", k->nodes_down);
		json_kv_uint(&j, "nodes_unknown", k->nodes_unknown);
		json_kv_uint(&j, "nodes_draining", k->nodes_draining);
		json_kv_uint(&j, "nodes_drained", k->nodes_drained);
		json_kv_uint(&j, "nodes_unhealthy", k->nodes_unhealthy);
		json_kv_uint(&j, "problems", k->problems);
		json_kv_uint(&j, "gpus", k->gpus);
		json_kv_uint(&j, "gpus_used", k->gpus_used);
		json_kv_uint(&j, "gpus_free",
			     k->gpus > k->gpus_used ? k->gpus - k->gpus_used
						    : 0);
		json_kv_uint(&j, "jobs", k->jobs);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* "12 racks: 10 busy, 2 idle; 96 nodes: 95 up, 1 down; 80 of 768 GPUs free" */
static void racks_summary(const Colossus__ListRacksReply *r)
{
	static const char *const states[] = { "busy",	 "idle", "draining",
					      "drained", "down", "unhealthy",
					      "unknown" };
	size_t count[ARRAY_SIZE(states) + 1] = { 0 };
	uint64_t nodes = 0, up = 0, down = 0, unknown = 0, gpus = 0, used = 0;
	const char *sep = ": ";

	for (size_t i = 0; i < r->n_racks; i++) {
		const Colossus__RackInfo *k = r->racks[i];
		size_t s = 0;

		while (s < ARRAY_SIZE(states) && strcmp(states[s], k->state))
			s++;
		count[s]++;
		nodes += k->nodes;
		up += k->nodes_up;
		down += k->nodes_down;
		unknown += k->nodes_unknown;
		gpus += k->gpus;
		used += k->gpus_used;
	}
	printf("%zu rack%s", r->n_racks, r->n_racks == 1 ? "" : "s");
	for (size_t s = 0; s < ARRAY_SIZE(states); s++)
		if (count[s]) {
			printf("%s%zu %s", sep, count[s], states[s]);
			sep = ", ";
		}
	printf("; %llu nodes: %llu up", (unsigned long long)nodes,
	       (unsigned long long)up);
	if (down)
		printf(", %llu down", (unsigned long long)down);
	if (unknown)
		printf(", %llu unknown", (unsigned long long)unknown);
	printf("; %llu of %llu GPUs free\n",
	       (unsigned long long)(gpus > used ? gpus - used : 0),
	       (unsigned long long)gpus);
}

static void racks_cell(struct output_table *t, int col,
		       const Colossus__RackInfo *k)
{
	enum output_color c;

	switch (col) {
	case RK_NAME:
		output_table_cell(t, OUTPUT_PLAIN, k->name);
		break;
	case RK_POD:
		output_table_cell(t, OUTPUT_PLAIN, k->pod);
		break;
	case RK_HALL:
		output_table_cell(t, OUTPUT_PLAIN, k->hall);
		break;
	case RK_STATE:
		rackmap_cell(k, &c);
		output_table_cell(t, c, k->state);
		break;
	case RK_ADMIN:
		output_table_cell(t, OUTPUT_PLAIN,
				  k->admin_state
					  ? names_admin_state(k->admin_state)
					  : "-");
		break;
	case RK_HEALTH:
		output_table_cell(t, OUTPUT_PLAIN, names_health(k->health));
		break;
	case RK_NODES:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->nodes);
		break;
	case RK_UP:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->nodes_up);
		break;
	case RK_DOWN:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->nodes_down);
		break;
	case RK_DRAINED:
		output_table_cellf(t, OUTPUT_PLAIN, "%u",
				   k->nodes_draining + k->nodes_drained);
		break;
	case RK_PROBLEMS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->problems);
		break;
	case RK_GPUS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->gpus);
		break;
	case RK_FREE:
		output_table_cellf(
			t, OUTPUT_PLAIN, "%u",
			k->gpus > k->gpus_used ? k->gpus - k->gpus_used : 0);
		break;
	case RK_JOBS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", k->jobs);
		break;
	case RK_MODEL:
		output_table_cell(t, OUTPUT_PLAIN, k->gpu_model);
		break;
	case RK_REASON:
		output_table_cell(t, OUTPUT_PLAIN, k->reason);
		break;
	default:
		output_table_cell(t, OUTPUT_PLAIN, "?");
	}
}

int cmd_racks(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListRacks lr = COLOSSUS__LIST_RACKS__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__ListRacksReply *r;
	struct racks_args a = { false, NULL, 0 };
	struct format_sel sel;
	struct opts_rest rest;
	unsigned width;
	struct err e;
	int rc;

	rc = cli_parse(cli, argc, argv, cmd_racks_defs, racks_opt, &a,
		       OPTS_NO_POSITIONAL, &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	if (format_parse(cmd_racks_cols, cmd_racks_default_cols, a.format, &sel,
			 &e) < 0)
		return cli_usage(cli, "--format: %s", e.msg);
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_RACKS;
	req.list_racks = &lr;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_RACKS, &resp);
	if (rc)
		return rc;
	r = resp->list_racks;
	width = a.width ? a.width : racks_width();
	if (cli->json) {
		racks_json(r);
	} else if (a.list) {
		struct output_table *t = format_table(cmd_racks_cols, &sel);

		for (size_t i = 0; i < r->n_racks; i++) {
			output_table_row(t);
			for (size_t k = 0; k < sel.n; k++)
				racks_cell(t, (int)sel.idx[k], r->racks[i]);
		}
		output_table_print(t, stdout, !cli->no_header, cli->color);
		output_table_destroy(t);
		if (!cli->no_header) {
			printf("\n");
			racks_summary(r);
		}
	} else {
		/* Summary and legend frame the map unless --no-header. */
		if (!cli->no_header) {
			racks_summary(r);
			printf("\n");
		}
		rackmap_render(stdout, r->racks, r->n_racks, width, cli->color);
		if (!cli->no_header) {
			printf("\n");
			rackmap_render_legend(stdout, width, cli->color);
		}
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}
