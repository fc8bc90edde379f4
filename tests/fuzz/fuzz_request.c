/*
 * Fuzz target: request decoding and validation, the controller's first
 * steps on every request body (DESIGN invariant 7).  The input is the
 * bytes of one packed colossus.Request (a frame body without its Frame
 * wrapper).  Then, per body:
 *
 * - SubmitJob: the spec is copied the way rpc_job_submit copies it (pack,
 *   unpack) and checked with controller/jobspec.c's jobspec_validate under
 *   a user's and an admin's limits; an accepted, normalised spec must pack
 *   and unpack again (it is what the controller stores).
 * - ListNodes: the names are parsed as hostlists, as rpc_node_list does.
 * - RegisterNode, ApplyTopology: every string is read and the names are
 *   checked with util_valid_name.  Their real validators are static in
 *   controller/rpc_node.c (rpc_node_inventory_valid) and
 *   controller/rpc_admin.c (topo_check, which also needs the cluster
 *   model); see README.md.
 *
 * Every request that decodes has each of its strings checked for UTF-8
 * (jobspec_check_strings, as the handlers do), and must re-encode and
 * decode again.
 */
#include "config.h"

#include "common/hostlist.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/jobspec.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* Touch every byte of s so AddressSanitizer checks the string. */
static size_t fuzz_touch(const char *s)
{
	FUZZ_CHECK(s != NULL, "a string field decoded as NULL");
	return strlen(s);
}

static void fuzz_submit(const Colossus__SubmitJob *m)
{
	static const struct jobspec_limits lims[] = {
		/* a user on the phase-1 cluster with a site time cap */
		{ .cluster_nodes = 12544,
		  .gpus_per_node = 8,
		  .default_time_limit = 3600,
		  .max_time_limit = 7 * 24 * 3600,
		  .default_max_restarts = 3,
		  .next_job_id = 1000,
		  .is_admin = false },
		/* an admin, no topology loaded yet, no caps */
		{ .gpus_per_node = 8,
		  .default_max_restarts = 3,
		  .next_job_id = UINT64_MAX,
		  .is_admin = true },
	};

	(void)fuzz_touch(m->submit_key);
	if (!m->spec)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(lims); i++) {
		size_t len = colossus__job_spec__get_packed_size(m->spec);
		uint8_t *packed = xmalloc(len ? len : 1);
		Colossus__JobSpec *spec, *again;
		struct err e;

		colossus__job_spec__pack(m->spec, packed);
		spec = colossus__job_spec__unpack(NULL, len, packed);
		free(packed);
		if (!spec) {
			/* rpc_job_submit: "job spec does not decode" */
			FUZZ_CHECK(fuzz_has_tag0(&m->spec->base),
				   "a decoded spec does not re-decode");
			return;
		}
		if (jobspec_validate(spec, &lims[i], &e) == 0) {
			FUZZ_CHECK(
				spec->nodes >= 1 && spec->gpus_per_node >= 1 &&
					spec->gpus_per_node <= 8 &&
					spec->gpus ==
						spec->nodes *
							spec->gpus_per_node &&
					spec->ranks_per_node >= 1,
				"accepted spec nodes=%u gpn=%u gpus=%u rpn=%u",
				spec->nodes, spec->gpus_per_node, spec->gpus,
				spec->ranks_per_node);
			FUZZ_CHECK(!lims[i].max_time_limit ||
					   (spec->time_limit_sec &&
					    spec->time_limit_sec <=
						    lims[i].max_time_limit),
				   "time limit %llu slipped past the cap",
				   (unsigned long long)spec->time_limit_sec);
			len = colossus__job_spec__get_packed_size(spec);
			packed = xmalloc(len ? len : 1);
			colossus__job_spec__pack(spec, packed);
			again = colossus__job_spec__unpack(NULL, len, packed);
			free(packed);
			FUZZ_CHECK(again != NULL, "a normalised spec does not "
						  "decode");
			colossus__job_spec__free_unpacked(again, NULL);
		} else {
			FUZZ_CHECK(e.msg[0] != '\0',
				   "refused without a reason");
		}
		colossus__job_spec__free_unpacked(spec, NULL);
	}
}

static void fuzz_list_nodes(const Colossus__ListNodes *m)
{
	struct hostlist *hl = hostlist_create();
	struct err e;

	for (size_t i = 0; i < m->n_names; i++)
		if (hostlist_parse(hl, m->names[i], 20000, &e) < 0)
			break;
	hostlist_destroy(hl);
}

static void fuzz_register(const Colossus__RegisterNode *m)
{
	const Colossus__NodeInventory *inv = m->inventory;

	(void)util_valid_name(m->node, 63);
	for (size_t i = 0; i < m->n_workloads; i++)
		FUZZ_CHECK(m->workloads[i] != NULL, "NULL workload %zu", i);
	if (!inv)
		return;
	(void)fuzz_touch(inv->hostname);
	(void)fuzz_touch(inv->boot_id);
	(void)fuzz_touch(inv->address);
	(void)fuzz_touch(inv->agent_version);
	for (size_t i = 0; i < inv->n_gpus; i++) {
		(void)fuzz_touch(inv->gpus[i]->uuid);
		(void)fuzz_touch(inv->gpus[i]->model);
		(void)fuzz_touch(inv->gpus[i]->pci_bus_id);
		(void)fuzz_touch(inv->gpus[i]->serial);
	}
	for (size_t i = 0; i < inv->n_nics; i++)
		(void)fuzz_touch(inv->nics[i]->name);
}

static void fuzz_topology(const Colossus__ApplyTopology *m)
{
	for (size_t i = 0; i < m->n_halls; i++)
		(void)util_valid_name(m->halls[i]->name, 63);
	for (size_t i = 0; i < m->n_pods; i++)
		(void)(util_valid_name(m->pods[i]->name, 63) &&
		       util_valid_name(m->pods[i]->hall, 63));
	for (size_t i = 0; i < m->n_racks; i++)
		(void)(util_valid_name(m->racks[i]->name, 63) &&
		       util_valid_name(m->racks[i]->pod, 63));
	for (size_t i = 0; i < m->n_nodes; i++) {
		const Colossus__TopoNode *n = m->nodes[i];

		(void)(util_valid_name(n->name, 63) &&
		       util_valid_name(n->rack, 63));
		(void)fuzz_touch(n->gpu_model);
		for (size_t f = 0; f < n->n_features; f++)
			(void)util_valid_name(n->features[f], 63);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Colossus__Request *req = colossus__request__unpack(NULL, size, data);
	Colossus__Request *again;
	uint8_t *buf;
	size_t len;

	if (!req)
		return 0;
	/* The UTF-8 walk over every string of any body (jobspec.c). */
	{
		struct err e;

		if (jobspec_check_strings(&req->base, &e) < 0)
			FUZZ_CHECK(strstr(e.msg, "is not valid UTF-8") ||
					   strstr(e.msg, "nested too deeply"),
				   "string check refused with '%s'", e.msg);
	}
	switch (req->body_case) {
	case COLOSSUS__REQUEST__BODY_SUBMIT_JOB:
		fuzz_submit(req->submit_job);
		break;
	case COLOSSUS__REQUEST__BODY_LIST_NODES:
		fuzz_list_nodes(req->list_nodes);
		break;
	case COLOSSUS__REQUEST__BODY_REGISTER_NODE:
		fuzz_register(req->register_node);
		break;
	case COLOSSUS__REQUEST__BODY_APPLY_TOPOLOGY:
		fuzz_topology(req->apply_topology);
		break;
	default:
		break;
	}
	len = colossus__request__get_packed_size(req);
	buf = xmalloc(len ? len : 1);
	colossus__request__pack(req, buf);
	again = colossus__request__unpack(NULL, len, buf);
	if (again) {
		FUZZ_CHECK(again->body_case == req->body_case,
			   "body %d became %d", (int)req->body_case,
			   (int)again->body_case);
		colossus__request__free_unpacked(again, NULL);
	} else {
		FUZZ_CHECK(fuzz_has_tag0(&req->base),
			   "a decoded request does not re-decode");
	}
	free(buf);
	colossus__request__free_unpacked(req, NULL);
	return 0;
}
