/*
 * Identity and administration: whoami, version, topology apply.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/output.h"
#include "common/topofile.h"
#include "common/xalloc.h"

static void admin_kv(struct output_table *t, const char *key, const char *val)
{
	output_table_row(t);
	output_table_cellf(t, OUTPUT_PLAIN, "%s:", key);
	output_table_cell(t, OUTPUT_PLAIN, val);
}

/* ---- whoami -------------------------------------------------------------- */

int cmd_whoami(struct cli *cli, int argc, char **argv)
{
	static const struct output_col cols[] = { { "", 0, false },
						  { "", 0, false } };
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__WhoAmI w = COLOSSUS__WHO_AM_I__INIT;
	Colossus__Response *resp;
	const Colossus__WhoAmIReply *r;
	struct opts_rest rest;
	struct output_table *t;
	char proto[32], buf[512];
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, OPTS_NO_POSITIONAL,
		       &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
	req.whoami = &w;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_WHOAMI, &resp);
	if (rc)
		return rc;
	r = resp->whoami;
	snprintf(proto, sizeof(proto), "%u.%u",
		 RPC_VERSION_MAJOR_OF(r->protocol_version),
		 RPC_VERSION_MINOR_OF(r->protocol_version));
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "name", r->name);
		json_kv_str(&j, "role", r->role);
		json_kv_str(&j, "controller_id", r->controller_id);
		json_kv_str(&j, "controller_address", rpcclient_peer(cli->rpc));
		json_kv_str(&j, "controller_version", r->controller_version);
		json_kv_str(&j, "protocol_version", proto);
		json_kv_bool(&j, "active", r->active);
		json_end_object(&j);
		json_finish(&j);
	} else {
		t = output_table_create(cols, 2);
		admin_kv(t, "name", r->name);
		admin_kv(t, "role", r->role);
		snprintf(buf, sizeof(buf), "%s at %s (%s)",
			 r->controller_id && *r->controller_id
				 ? r->controller_id
				 : "controller",
			 rpcclient_peer(cli->rpc),
			 r->active ? "active" : "standby");
		admin_kv(t, "controller", buf);
		snprintf(buf, sizeof(buf), "%s, protocol %s",
			 r->controller_version, proto);
		admin_kv(t, "version", buf);
		output_table_print(t, stdout, false, cli->color);
		output_table_destroy(t);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

/* ---- version ------------------------------------------------------------- */

/*
 * Always succeeds once the client's own version is printed: it is what
 * people run when nothing else works, so the controller's part is best
 * effort and its failure is reported, not fatal.
 */
int cmd_version(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__WhoAmI w = COLOSSUS__WHO_AM_I__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__WhoAmIReply *r = NULL;
	struct opts_rest rest;
	char proto[32] = "", why[600] = "";
	struct err e;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, OPTS_NO_POSITIONAL,
		       &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
	req.whoami = &w;
	if (cli_connect_quiet(cli, &e) < 0) {
		snprintf(why, sizeof(why), "%s", e.msg);
	} else if (!(resp = rpcclient_call(cli->rpc, &req, &e))) {
		snprintf(why, sizeof(why), "%s", e.msg);
	} else if (resp->status != COLOSSUS__STATUS__STATUS_OK ||
		   resp->body_case != COLOSSUS__RESPONSE__BODY_WHOAMI) {
		snprintf(why, sizeof(why), "%s",
			 resp->error && *resp->error ? resp->error
						     : "unexpected reply");
	} else {
		r = resp->whoami;
		snprintf(proto, sizeof(proto), "%u.%u",
			 RPC_VERSION_MAJOR_OF(r->protocol_version),
			 RPC_VERSION_MINOR_OF(r->protocol_version));
	}
	if (cli->json) {
		struct json j;
		char mine[32];

		snprintf(mine, sizeof(mine), "%d.%d", RPC_VERSION_MAJOR,
			 RPC_VERSION_MINOR);
		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "client_version", PACKAGE_VERSION);
		json_kv_str(&j, "client_protocol", mine);
		json_kv_str(&j, "controller_version",
			    r ? r->controller_version : "");
		json_kv_str(&j, "controller_protocol", proto);
		json_kv_str(&j, "controller_address",
			    r ? rpcclient_peer(cli->rpc) : "");
		json_kv_str(&j, "controller_error", why);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("colossus %s (protocol %d.%d)\n", PACKAGE_VERSION,
		       RPC_VERSION_MAJOR, RPC_VERSION_MINOR);
		if (r)
			printf("controller %s (protocol %s) at %s\n",
			       r->controller_version, proto,
			       rpcclient_peer(cli->rpc));
		else
			printf("controller: unknown (%s)\n", why);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

/* ---- topology apply ------------------------------------------------------ */

enum { TO_DRY_RUN = 1 };

const struct opts_def cmd_topology_defs[] = {
	{ "dry-run", 'n', OPTS_FLAG, TO_DRY_RUN, NULL,
	  "check the file and print what it holds; send nothing" },
	OPTS_END,
};

static int topology_opt(void *arg, int id, const char *name, const char *val,
			struct err *e)
{
	*(bool *)arg = true;
	return 0;
}

/*
 * Build the request from the parsed file.  Every string is borrowed from
 * topo, which must outlive the message; free with topology_msg_free().
 */
static void topology_msg(const struct topofile *topo,
			 Colossus__ApplyTopology *m)
{
	colossus__apply_topology__init(m);
	m->n_halls = topo->nhalls;
	m->halls = xcalloc(topo->nhalls + 1, sizeof(*m->halls));
	for (size_t i = 0; i < topo->nhalls; i++) {
		Colossus__TopoHall *h = xmalloc(sizeof(*h));

		colossus__topo_hall__init(h);
		h->name = topo->halls[i].name;
		m->halls[i] = h;
	}
	m->n_pods = topo->npods;
	m->pods = xcalloc(topo->npods + 1, sizeof(*m->pods));
	for (size_t i = 0; i < topo->npods; i++) {
		Colossus__TopoPod *p = xmalloc(sizeof(*p));

		colossus__topo_pod__init(p);
		p->name = topo->pods[i].name;
		p->hall = topo->pods[i].parent;
		m->pods[i] = p;
	}
	m->n_racks = topo->nracks;
	m->racks = xcalloc(topo->nracks + 1, sizeof(*m->racks));
	for (size_t i = 0; i < topo->nracks; i++) {
		Colossus__TopoRack *r = xmalloc(sizeof(*r));

		colossus__topo_rack__init(r);
		r->name = topo->racks[i].name;
		r->pod = topo->racks[i].parent;
		m->racks[i] = r;
	}
	m->n_nodes = topo->nnodes;
	m->nodes = xcalloc(topo->nnodes + 1, sizeof(*m->nodes));
	for (size_t i = 0; i < topo->nnodes; i++) {
		const struct topo_node *tn = &topo->nodes[i];
		Colossus__TopoNode *n = xmalloc(sizeof(*n));

		colossus__topo_node__init(n);
		n->name = tn->name;
		n->rack = tn->rack;
		n->gpus = tn->gpus;
		n->gpu_model = tn->model;
		n->features = tn->features;
		n->n_features = tn->nfeatures;
		n->slot = tn->slot;
		m->nodes[i] = n;
	}
}

static void topology_msg_free(Colossus__ApplyTopology *m)
{
	for (size_t i = 0; i < m->n_halls; i++)
		free(m->halls[i]);
	for (size_t i = 0; i < m->n_pods; i++)
		free(m->pods[i]);
	for (size_t i = 0; i < m->n_racks; i++)
		free(m->racks[i]);
	for (size_t i = 0; i < m->n_nodes; i++)
		free(m->nodes[i]);
	free(m->halls);
	free(m->pods);
	free(m->racks);
	free(m->nodes);
}

int cmd_topology_apply(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ApplyTopology m;
	Colossus__Response *resp = NULL;
	const Colossus__ApplyTopologyReply *r;
	struct topofile topo;
	struct opts_rest rest;
	bool dry_run = false;
	struct err e;
	int rc;

	rc = cli_parse(cli, argc, argv, cmd_topology_defs, topology_opt,
		       &dry_run, 0, &rest);
	if (rc)
		return rc;
	if (rest.n != 1) {
		opts_rest_free(&rest);
		return cli_usage(cli, "give one topology file");
	}
	if (topofile_load(rest.args[0], &topo, &e) < 0) {
		opts_rest_free(&rest);
		cli_error(cli, "%s", e.msg);
		return EXITCODE_USAGE;
	}
	opts_rest_free(&rest);
	if (dry_run) {
		printf("%zu halls, %zu pods, %zu racks, %zu nodes; nothing "
		       "sent (--dry-run)\n",
		       topo.nhalls, topo.npods, topo.nracks, topo.nnodes);
		topofile_free(&topo);
		return EXITCODE_OK;
	}
	topology_msg(&topo, &m);
	req.body_case = COLOSSUS__REQUEST__BODY_APPLY_TOPOLOGY;
	req.apply_topology = &m;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_APPLY_TOPOLOGY,
		      &resp);
	topology_msg_free(&m);
	topofile_free(&topo);
	if (rc)
		return rc;
	r = resp->apply_topology;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_uint(&j, "halls_added", r->halls_added);
		json_kv_uint(&j, "pods_added", r->pods_added);
		json_kv_uint(&j, "racks_added", r->racks_added);
		json_kv_uint(&j, "nodes_added", r->nodes_added);
		json_kv_uint(&j, "nodes_updated", r->nodes_updated);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("topology applied: %u halls, %u pods, %u racks and %u "
		       "nodes added; %u nodes updated\n",
		       r->halls_added, r->pods_added, r->racks_added,
		       r->nodes_added, r->nodes_updated);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}
