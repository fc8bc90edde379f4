/*
 * Fuzz target: the topology file parser (common/topofile.c), which reads
 * what admins feed to `colossus topology apply`.  Properties: an accepted
 * file yields only valid names, GPU counts in 1..TOPOFILE_MAX_GPUS and
 * slots that count up from 0 within each rack.
 */
#include "config.h"

#include "common/topofile.h"
#include "common/util.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fz_check(const struct topofile *t)
{
	FUZZ_CHECK(t->nnodes <= TOPOFILE_MAX_NODES, "%zu nodes", t->nnodes);
	for (size_t i = 0; i < t->nhalls; i++)
		FUZZ_CHECK(util_valid_name(t->halls[i].name, TOPOFILE_NAME_MAX),
			   "hall %zu", i);
	for (size_t i = 0; i < t->npods; i++)
		FUZZ_CHECK(
			util_valid_name(t->pods[i].name, TOPOFILE_NAME_MAX) &&
				util_valid_name(t->pods[i].parent,
						TOPOFILE_NAME_MAX),
			"pod %zu", i);
	for (size_t i = 0; i < t->nracks; i++)
		FUZZ_CHECK(
			util_valid_name(t->racks[i].name, TOPOFILE_NAME_MAX) &&
				util_valid_name(t->racks[i].parent,
						TOPOFILE_NAME_MAX),
			"rack %zu", i);
	for (size_t i = 0; i < t->nnodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		unsigned before = 0;

		FUZZ_CHECK(
			util_valid_name(n->name, TOPOFILE_NAME_MAX) &&
				util_valid_name(n->rack, TOPOFILE_NAME_MAX) &&
				util_valid_name(n->model, TOPOFILE_NAME_MAX),
			"node %zu", i);
		FUZZ_CHECK(n->gpus >= 1 && n->gpus <= TOPOFILE_MAX_GPUS,
			   "node %s has %u GPUs", n->name, n->gpus);
		for (size_t f = 0; f < n->nfeatures; f++)
			FUZZ_CHECK(util_valid_name(n->features[f],
						   TOPOFILE_NAME_MAX),
				   "node %s feature %zu", n->name, f);
		/* Quadratic, but inputs stay small (-max_len). */
		for (size_t j = 0; j < i && t->nnodes <= 256; j++)
			if (!strcmp(t->nodes[j].rack, n->rack))
				before++;
		FUZZ_CHECK(t->nnodes > 256 || n->slot == before,
			   "node %s slot %u, expected %u", n->name, n->slot,
			   before);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct topofile t;
	struct err e;

	if (topofile_parse(text, "fuzz", &t, &e) == 0) {
		fz_check(&t);
		topofile_free(&t);
	} else {
		FUZZ_CHECK(t.nnodes == 0 && t.nracks == 0 && !t.nodes,
			   "a failed parse left data behind");
	}
	free(text);
	return 0;
}
