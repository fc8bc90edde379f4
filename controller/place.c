/*
 * First-fit placement in topology order.  Whole free nodes for gangs;
 * best-fit packing for jobs that take part of one node.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/place.h"

static bool place_excluded(const struct place_req *req, const struct node *n)
{
	for (int i = 0; i < req->nexclude; i++)
		if (req->exclude[i] == n->id)
			return true;
	return false;
}

static bool place_node_ok(const struct place_req *req, const struct node *n)
{
	if (!node_schedulable(n) || place_excluded(req, n))
		return false;
	if (req->gpu_model && *req->gpu_model &&
	    strcasecmp(req->gpu_model, n->gpu_model))
		return false;
	return true;
}

uint16_t place_pick_gpus(uint16_t free, unsigned gpus, unsigned total,
			 unsigned g)
{
	unsigned half = total / 2;
	uint16_t picked = 0;
	unsigned got = 0;

	(void)gpus;
	/*
	 * GPUs 0..half-1 hang off socket 0 and the rest off socket 1 on
	 * HGX boards; a job that fits on one socket stays there.
	 */
	if (half && g <= half) {
		for (unsigned s = 0; s < 2; s++) {
			uint16_t sock = 0;
			unsigned n = 0;

			for (unsigned i = s * half; i < (s + 1) * half; i++)
				if (free & (1u << i) && n < g) {
					sock |= (uint16_t)(1u << i);
					n++;
				}
			if (n == g)
				return sock;
		}
	}
	for (unsigned i = 0; i < total && got < g; i++)
		if (free & (1u << i)) {
			picked |= (uint16_t)(1u << i);
			got++;
		}
	return got == g ? picked : 0;
}

static int place_partial(const struct cluster *c, const struct place_req *req,
			 struct place_result *out)
{
	int count = cluster_nnodes(c);
	struct node *best = NULL;
	unsigned best_free = ~0u;

	for (int i = 0; i < count; i++) {
		struct node *n = cluster_node_at(c, i);
		unsigned nfree;

		if (!place_node_ok(req, n) || n->gpus < req->gpus_per_node)
			continue;
		nfree = (unsigned)__builtin_popcount(node_free_mask(n));
		if (nfree < req->gpus_per_node)
			continue;
		/* Best fit: the fullest node that still fits keeps whole
		 * nodes free for gangs. */
		if (nfree < best_free) {
			best = n;
			best_free = nfree;
			if (nfree == req->gpus_per_node)
				break;
		}
	}
	if (!best)
		return 0;
	out->nodes = xmalloc(sizeof(*out->nodes));
	out->masks = xmalloc(sizeof(*out->masks));
	out->nodes[0] = best;
	out->masks[0] = place_pick_gpus(node_free_mask(best), best->gpus,
					best->gpus, req->gpus_per_node);
	out->n = 1;
	return out->masks[0] != 0;
}

int place_find(const struct cluster *c, const struct place_req *req,
	       struct place_result *out)
{
	int count = cluster_nnodes(c);
	int got = 0;

	memset(out, 0, sizeof(*out));
	if (req->nodes == 0 || req->gpus_per_node == 0)
		return 0;
	if (req->nodes == 1)
		return place_partial(c, req, out);
	out->nodes = xcalloc(req->nodes, sizeof(*out->nodes));
	out->masks = xcalloc(req->nodes, sizeof(*out->masks));
	for (int i = 0; i < count && (uint32_t)got < req->nodes; i++) {
		struct node *n = cluster_node_at(c, i);
		uint16_t all = (uint16_t)((1u << n->gpus) - 1);

		if (!place_node_ok(req, n) || n->gpus == 0 ||
		    node_free_mask(n) != all || n->gpus < req->gpus_per_node)
			continue;
		out->nodes[got] = n;
		out->masks[got] = all;
		got++;
	}
	if ((uint32_t)got < req->nodes) {
		place_result_free(out);
		return 0;
	}
	out->n = got;
	return 1;
}

void place_result_free(struct place_result *r)
{
	free(r->nodes);
	free(r->masks);
	memset(r, 0, sizeof(*r));
}
