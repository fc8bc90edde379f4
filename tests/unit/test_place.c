/*
 * Unit tests for controller/cluster.c (the in-memory topology: building
 * it, lookups, topology order, node bookkeeping, node_schedulable, the
 * free-capacity counters kept by node_recount) and
 * controller/place.c (choosing nodes and GPUs for one job), on small
 * clusters built in memory.
 *
 * Protects DESIGN invariant 5 (nothing unhealthy gets new work: nodes
 * that are down, unknown, draining, drained or failed, and nodes in a
 * draining, drained or failed rack, are never chosen) and invariant 4's
 * bookkeeping (GPUs held by one allocation, or still being fenced, are
 * never handed to another).  Also checks the placement rules of the
 * DESIGN's Scheduling section: whole free nodes for gangs, best fit for
 * one-node jobs, GPUs kept on one CPU socket, GPU model constraints, and
 * gangs kept inside the smallest topology unit that holds them.
 *
 * No test doubles are needed: cluster.o, place.o and jobspec.o use
 * nothing from controller/main.c.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/place.h"
#include "tests/lib/tap.h"

/* Stand-ins for allocations: node_use_* only compares the pointers. */
static char fake_allocs[32];
#define FAKE_ALLOC(i) ((struct alloc *)(void *)&fake_allocs[(i)])

/*
 * Build halls x pods x racks x nodes, each node with gpus GPUs of model
 * (or of alt_model in racks with an odd index, when alt_model is given),
 * all up.  Names: h0, h0p1, h0p1r2, h0p1r2n3.  Node ids start at 1001 so
 * that ids and indexes differ.  Nodes are added in reverse order so that
 * cluster_finish has to sort them.
 */
static struct cluster *build(int halls, int pods, int racks, int nodes,
			     unsigned gpus, const char *model,
			     const char *alt_model)
{
	struct cluster *c = cluster_create();
	struct err e;
	char name[64], parent[64];
	int total = halls * pods * racks * nodes;

	for (int h = 0; h < halls; h++) {
		snprintf(name, sizeof(name), "h%d", h);
		if (!cluster_add_hall(c, h + 1, name, &e))
			goto fail;
		for (int p = 0; p < pods; p++) {
			snprintf(name, sizeof(name), "h%dp%d", h, p);
			snprintf(parent, sizeof(parent), "h%d", h);
			if (!cluster_add_pod(c, 100 + h * pods + p, name,
					     parent, &e))
				goto fail;
			for (int r = 0; r < racks; r++) {
				snprintf(name, sizeof(name), "h%dp%dr%d", h, p,
					 r);
				snprintf(parent, sizeof(parent), "h%dp%d", h,
					 p);
				if (!cluster_add_rack(
					    c, 500 + (h * pods + p) * racks + r,
					    name, parent, &e))
					goto fail;
			}
		}
	}
	for (int i = total - 1; i >= 0; i--) {
		int n = i % nodes, r = i / nodes % racks,
		    p = i / nodes / racks % pods, h = i / nodes / racks / pods;
		struct node *nd;

		snprintf(name, sizeof(name), "h%dp%dr%dn%d", h, p, r, n);
		snprintf(parent, sizeof(parent), "h%dp%dr%d", h, p, r);
		nd = cluster_add_node(
			c, 1001 + i, name, parent, n, gpus,
			alt_model && (i / nodes) % 2 ? alt_model : model, &e);
		if (!nd)
			goto fail;
		nd->state = NODE_UP;
	}
	cluster_finish(c);
	return c;
fail:
	printf("Bail out! building the test cluster: %s\n", e.msg);
	exit(1);
}

/* Reset every node and rack to up, idle and healthy. */
static void reset(struct cluster *c)
{
	for (int i = 0; i < cluster_nnodes(c); i++) {
		struct node *n = cluster_node_at(c, i);

		n->state = NODE_UP;
		n->admin_state = ADMIN_NONE;
		n->health = HEALTH_OK;
		n->gpu_used = 0;
		n->gpu_fencing = 0;
		n->nuses = 0;
	}
	for (int i = 0; i < cluster_nracks(c); i++) {
		struct rack *r = cluster_rack_at(c, i);

		r->admin_state = ADMIN_NONE;
		r->health = HEALTH_OK;
	}
}

static struct place_req req_of(uint32_t nodes, uint32_t gpn)
{
	struct place_req r;

	memset(&r, 0, sizeof(r));
	r.nodes = nodes;
	r.gpus_per_node = gpn;
	return r;
}

/*
 * place_find on a consistent cluster: the tests change node and rack
 * fields directly, so recount the capacity counters first (the
 * incremental node_recount path has its own test below).
 */
static int find(struct cluster *c, const struct place_req *rq,
		struct place_result *res)
{
	cluster_recount(c);
	return place_find(c, rq, res);
}

/* Distinct racks / pods used by a result. */
static int racks_spanned(const struct place_result *res)
{
	int n = 0;

	for (int i = 0; i < res->n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			if (res->nodes[j]->rack == res->nodes[i]->rack)
				seen = true;
		if (!seen)
			n++;
	}
	return n;
}

static int pods_spanned(const struct place_result *res)
{
	int n = 0;

	for (int i = 0; i < res->n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			if (res->nodes[j]->rack->pod ==
			    res->nodes[i]->rack->pod)
				seen = true;
		if (!seen)
			n++;
	}
	return n;
}

/* ---------------------------------------------------------------- */
/* cluster.c */

static void test_cluster_build(void)
{
	struct cluster *c = cluster_create();
	struct err e;
	char longname[80];
	uint64_t gen;
	struct node *n;

	ok(cluster_nnodes(c) == 0 && cluster_nracks(c) == 0 &&
		   cluster_npods(c) == 0 && cluster_nhalls(c) == 0,
	   "empty cluster");
	ok(cluster_node_at(c, 0) == NULL && cluster_rack_at(c, 0) == NULL,
	   "no objects in an empty cluster");
	gen = cluster_generation(c);
	ok(cluster_add_hall(c, 1, "hallA", &e) != NULL, "add hall");
	ok(cluster_generation(c) > gen, "generation bumped by an addition");
	err_clear(&e);
	ok(cluster_add_hall(c, 2, "hallA", &e) == NULL && e.msg[0],
	   "duplicate hall refused (%s)", e.msg);
	err_clear(&e);
	ok(cluster_add_hall(c, 3, "bad name", &e) == NULL && e.msg[0],
	   "hall name with a space refused");
	ok(cluster_add_hall(c, 3, "", &e) == NULL, "empty hall name refused");
	memset(longname, 'x', 64);
	longname[64] = '\0';
	ok(cluster_add_hall(c, 3, longname, &e) == NULL,
	   "64-character name refused");
	longname[63] = '\0';
	ok(cluster_add_hall(c, 3, longname, &e) != NULL,
	   "63-character name accepted");

	err_clear(&e);
	ok(cluster_add_pod(c, 10, "podA", "nohall", &e) == NULL && e.msg[0],
	   "pod in an unknown hall refused (%s)", e.msg);
	ok(cluster_add_pod(c, 10, "podA", "hallA", &e) != NULL, "add pod");
	ok(cluster_add_pod(c, 11, "podA", "hallA", &e) == NULL,
	   "duplicate pod refused");
	ok(cluster_add_rack(c, 20, "rackA", "nopod", &e) == NULL,
	   "rack in an unknown pod refused");
	ok(cluster_add_rack(c, 20, "rackA", "podA", &e) != NULL, "add rack");
	ok(cluster_add_rack(c, 21, "rackA", "podA", &e) == NULL,
	   "duplicate rack refused");
	ok(cluster_add_node(c, 30, "n1", "norack", 0, 8, "H100", &e) == NULL,
	   "node in an unknown rack refused");
	ok(cluster_add_node(c, 30, "n1", "rackA", 1, 8, "H100", &e) != NULL,
	   "add node");
	ok(cluster_add_node(c, 31, "n1", "rackA", 2, 8, "H100", &e) == NULL,
	   "duplicate node refused");
	err_clear(&e);
	ok(cluster_add_node(c, 32, "n2", "rackA", 2, 17, "H100", &e) == NULL &&
		   e.msg[0],
	   "node with 17 GPUs refused (%s)", e.msg);
	ok(cluster_add_node(c, 33, "n3", "rackA", 3, 16, "H100", &e) != NULL,
	   "node with 16 GPUs accepted");
	ok(cluster_add_node(c, 34, "n4", "rackA", 4, 8,
			    "a-gpu-model-name-that-is-far-too-long",
			    &e) == NULL,
	   "GPU model name too long refused");
	ok(cluster_node(c, "n4") == NULL && cluster_node_by_id(c, 34) == NULL,
	   "a refused node leaves no trace");
	ok(cluster_add_node(c, 35, "n5", "rackA", 0, 8, "H200", &e) != NULL,
	   "node in slot 0 added last");
	ok(cluster_add_node(c, 36, "bad/name", "rackA", 5, 8, "H100", &e) ==
		   NULL,
	   "node name with '/' refused");
	cluster_finish(c);

	is_int(cluster_nhalls(c), 2, "two halls");
	is_int(cluster_npods(c), 1, "one pod");
	is_int(cluster_nracks(c), 1, "one rack");
	is_int(cluster_nnodes(c), 3, "three nodes");
	ok(cluster_hall(c, "hallA") && cluster_hall(c, "hallA")->id == 1,
	   "hall by name");
	ok(cluster_pod(c, "podA") &&
		   cluster_pod(c, "podA")->hall == cluster_hall(c, "hallA"),
	   "pod by name, linked to its hall");
	ok(cluster_rack(c, "rackA") &&
		   cluster_rack(c, "rackA")->pod == cluster_pod(c, "podA"),
	   "rack by name, linked to its pod");
	n = cluster_node(c, "n1");
	ok(n && n->id == 30 && n->gpus == 8 && !strcmp(n->gpu_model, "H100") &&
		   n->rack == cluster_rack(c, "rackA") && n->slot == 1,
	   "node by name with its fields");
	ok(cluster_node_by_id(c, 30) == n, "node by id");
	ok(cluster_node_by_id(c, 33) == cluster_node(c, "n3"),
	   "another node by id");
	ok(cluster_node(c, "nX") == NULL &&
		   cluster_node_by_id(c, 999) == NULL &&
		   cluster_rack(c, "nope") == NULL &&
		   cluster_pod(c, "nope") == NULL &&
		   cluster_hall(c, "nope") == NULL,
	   "unknown names and ids -> NULL");
	ok(cluster_node_at(c, -1) == NULL && cluster_node_at(c, 3) == NULL &&
		   cluster_rack_at(c, 1) == NULL &&
		   cluster_pod_at(c, 1) == NULL &&
		   cluster_hall_at(c, 2) == NULL,
	   "indexes out of range -> NULL");
	/* Slot order inside the rack: n5 (slot 0), n1 (1), n3 (3). */
	{
		struct rack *r = cluster_rack(c, "rackA");

		ok(r->nnodes == 3 && !strcmp(r->nodes[0]->name, "n5") &&
			   !strcmp(r->nodes[1]->name, "n1") &&
			   !strcmp(r->nodes[2]->name, "n3"),
		   "rack lists its nodes in slot order");
		ok(!strcmp(cluster_node_at(c, 0)->name, "n5") &&
			   !strcmp(cluster_node_at(c, 2)->name, "n3"),
		   "cluster nodes in slot order");
		ok(cluster_node_at(c, 1)->index == 1 &&
			   cluster_node_at(c, 2)->index == 2,
		   "index fields match positions");
	}
	cluster_destroy(c);
	cluster_destroy(NULL);
	ok(1, "cluster_destroy(NULL) is a no-op");
}

static void test_cluster_order(void)
{
	struct cluster *c = build(2, 2, 2, 4, 8, "H100", NULL);
	int ordered = 1, idx_ok = 1;

	is_int(cluster_nnodes(c), 32, "2x2x2x4 cluster has 32 nodes");
	is_int(cluster_nracks(c), 8, "8 racks");
	for (int i = 0; i < cluster_nnodes(c); i++) {
		struct node *n = cluster_node_at(c, i);
		char want[32];

		/* i = ((h * 2 + p) * 2 + r) * 4 + slot */
		snprintf(want, sizeof(want), "h%dp%dr%dn%d", i / 16, i / 8 % 2,
			 i / 4 % 2, i % 4);
		if (strcmp(n->name, want)) {
			ordered = 0;
			diag("position %d holds %s, expected %s", i, n->name,
			     want);
		}
		if (n->index != i)
			idx_ok = 0;
	}
	ok(ordered, "nodes added in reverse are in topology order after "
		    "cluster_finish");
	ok(idx_ok, "every node's index is its position");
	ok(cluster_node_by_id(c, 1001)->index == 0 &&
		   cluster_node_by_id(c, 1032)->index == 31,
	   "ids follow the build order");
	cluster_destroy(c);
}

static void test_node_misc(void)
{
	struct cluster *c = build(1, 1, 1, 2, 8, "H100", NULL);
	struct node *n = cluster_node_at(c, 0);
	char *f1[] = { "ib", "nvme" };
	char *f2[] = { "gds" };

	ok(!node_has_feature(n, "ib"), "no features at first");
	node_set_features(n, f1, 2);
	ok(node_has_feature(n, "ib") && node_has_feature(n, "nvme") &&
		   !node_has_feature(n, "gds"),
	   "features set");
	node_set_features(n, f2, 1);
	ok(!node_has_feature(n, "ib") && node_has_feature(n, "gds") &&
		   n->nfeatures == 1,
	   "features replaced");
	node_set_features(n, NULL, 0);
	ok(n->nfeatures == 0 && !node_has_feature(n, "gds"),
	   "features cleared");

	node_set_reason(n, "xid 79");
	is_str(n->reason, "xid 79", "reason set");
	node_set_reason(n, "");
	ok(n->reason == NULL, "empty reason clears");
	node_set_reason(n, "again");
	node_set_reason(n, NULL);
	ok(n->reason == NULL, "NULL reason clears");

	is_str(node_state_name(NODE_UP), "up", "node state name");
	is_str(admin_state_name(ADMIN_DRAINING), "draining",
	       "admin state name");
	is_str(health_state_name(HEALTH_FAILED), "failed", "health state name");
	is_str(node_state_name((enum node_state)9), "?", "unknown state -> ?");
	is_int(node_state_parse("down"), NODE_DOWN, "parse node state");
	is_int(admin_state_parse("drained"), ADMIN_DRAINED,
	       "parse admin state");
	is_int(health_state_parse("degraded"), HEALTH_DEGRADED,
	       "parse health state");
	is_int(node_state_parse("sideways"), -1, "parse unknown -> -1");
	cluster_destroy(c);
}

/* DESIGN invariant 5, rule by rule. */
static void test_schedulable(void)
{
	struct cluster *c = build(1, 1, 2, 2, 8, "H100", NULL);
	struct node *n = cluster_node_at(c, 0);
	struct rack *r = n->rack;

	ok(node_schedulable(n), "up, idle, healthy node is schedulable");
	n->state = NODE_UNKNOWN;
	ok(!node_schedulable(n), "unknown (lease running) -> not schedulable");
	n->state = NODE_DOWN;
	ok(!node_schedulable(n), "down -> not schedulable");
	n->state = NODE_UP;
	n->admin_state = ADMIN_DRAINING;
	ok(!node_schedulable(n), "draining -> not schedulable");
	n->admin_state = ADMIN_DRAINED;
	ok(!node_schedulable(n), "drained -> not schedulable");
	n->admin_state = ADMIN_NONE;
	n->health = HEALTH_FAILED;
	ok(!node_schedulable(n), "health failed -> not schedulable");
	n->health = HEALTH_DEGRADED;
	ok(node_schedulable(n), "degraded -> still schedulable");
	n->health = HEALTH_OK;
	r->admin_state = ADMIN_DRAINING;
	ok(!node_schedulable(n), "rack draining -> not schedulable");
	r->admin_state = ADMIN_DRAINED;
	ok(!node_schedulable(n), "rack drained -> not schedulable");
	ok(node_schedulable(cluster_node_at(c, 2)),
	   "a node of another rack is unaffected");
	r->admin_state = ADMIN_NONE;
	r->health = HEALTH_FAILED;
	ok(!node_schedulable(n), "rack health failed (CDU) -> not schedulable");
	r->health = HEALTH_DEGRADED;
	ok(node_schedulable(n), "rack degraded -> still schedulable");
	n->gpu_used = 0xff;
	ok(node_schedulable(n), "a busy node is still schedulable (health "
				"only)");
	cluster_destroy(c);
}

static void test_node_use(void)
{
	struct cluster *c = build(1, 1, 1, 2, 8, "H100", NULL);
	struct cluster *c16 = build(1, 1, 1, 1, 16, "H200", NULL);
	struct node *n = cluster_node_at(c, 0);
	struct node *big = cluster_node_at(c16, 0);
	int added = 0;

	is_int(node_free_mask(n), 0xff, "8 GPUs free: mask 0xff");
	is_int(node_free_mask(big), 0xffff, "16 GPUs free: mask 0xffff");
	is_int(node_use_add(n, FAKE_ALLOC(0), 0, 0x0f), 0, "use GPUs 0-3");
	is_int(node_free_mask(n), 0xf0, "GPUs 4-7 free");
	is_int(node_use_add(n, FAKE_ALLOC(1), 2, 0x18), -1,
	       "overlapping mask (GPU 3) refused");
	ok(n->gpu_used == 0x0f && n->nuses == 1,
	   "refusal leaves the node unchanged");
	is_int(node_use_add(n, FAKE_ALLOC(1), 2, 0x30), 0, "use GPUs 4-5");
	is_int(node_free_mask(n), 0xc0, "GPUs 6-7 free");
	is_int(node_use_part(n, FAKE_ALLOC(0)), 0, "part of alloc 0");
	is_int(node_use_part(n, FAKE_ALLOC(1)), 2, "part of alloc 1");
	is_int(node_use_part(n, FAKE_ALLOC(5)), -1, "unknown alloc -> -1");
	n->gpu_fencing = 0x80;
	is_int(node_free_mask(n), 0x40, "a GPU being fenced is not free");
	node_use_remove(n, FAKE_ALLOC(0));
	is_int(node_free_mask(n), 0x4f, "removing alloc 0 frees GPUs 0-3");
	ok(n->nuses == 1 && node_use_part(n, FAKE_ALLOC(0)) == -1 &&
		   node_use_part(n, FAKE_ALLOC(1)) == 2,
	   "alloc 1 still recorded");
	node_use_remove(n, FAKE_ALLOC(7));
	ok(n->nuses == 1 && n->gpu_used == 0x30,
	   "removing an unknown alloc changes nothing");
	node_use_remove(n, FAKE_ALLOC(1));
	n->gpu_fencing = 0;
	ok(n->nuses == 0 && n->gpu_used == 0 && node_free_mask(n) == 0xff,
	   "all free again");

	for (int i = 0; i < NODE_MAX_ALLOCS; i++)
		if (node_use_add(big, FAKE_ALLOC(i), 0, (uint16_t)(1u << i)) ==
		    0)
			added++;
	is_int(added, NODE_MAX_ALLOCS, "%d one-GPU uses on a 16-GPU node",
	       NODE_MAX_ALLOCS);
	is_int(node_free_mask(big), 0, "nothing free");
	n = cluster_node_at(c, 1);
	for (int i = 0; i < NODE_MAX_ALLOCS; i++)
		node_use_add(n, FAKE_ALLOC(i), 0, 0);
	is_int(node_use_add(n, FAKE_ALLOC(20), 0, 0x01), -1,
	       "use table full -> refused");
	cluster_destroy(c);
	cluster_destroy(c16);
}

/* ---------------------------------------------------------------- */
/* place.c */

static void test_gangs(void)
{
	/* 1 hall, 2 pods, 2 racks each, 4 nodes per rack: 16 nodes. */
	struct cluster *c = build(1, 2, 2, 4, 8, "H100", NULL);
	struct place_req rq;
	struct place_result res;
	int r;

	rq = req_of(4, 8);
	r = find(c, &rq, &res);
	ok(r == 1 && res.n == 4, "gang of 4 placed on an idle cluster");
	if (r == 1) {
		ok(res.nodes[0]->index < res.nodes[1]->index &&
			   res.nodes[1]->index < res.nodes[2]->index &&
			   res.nodes[2]->index < res.nodes[3]->index,
		   "ranks in topology order");
		ok(res.masks[0] == 0xff && res.masks[3] == 0xff,
		   "whole nodes (mask 0xff)");
		is_int(racks_spanned(&res), 1, "one rack spanned");
	} else {
		skip(3, "not placed");
	}
	place_result_free(&res);
	ok(res.nodes == NULL && res.masks == NULL && res.n == 0,
	   "place_result_free clears the result");

	rq = req_of(16, 8);
	r = find(c, &rq, &res);
	ok(r == 1 && res.n == 16, "the whole cluster as one gang");
	if (r == 1) {
		int ordered = 1;

		for (int i = 1; i < res.n; i++)
			if (res.nodes[i]->index <= res.nodes[i - 1]->index)
				ordered = 0;
		ok(ordered, "ranks in topology order");
	} else {
		skip(1, "not placed");
	}
	place_result_free(&res);

	rq = req_of(17, 8);
	ok(find(c, &rq, &res) == 0, "gang larger than the cluster: no");
	ok(res.nodes == NULL && res.n == 0, "nothing returned");
	rq = req_of(0, 8);
	ok(find(c, &rq, &res) == 0, "zero nodes: no");
	rq = req_of(2, 0);
	ok(find(c, &rq, &res) == 0, "zero GPUs: no");

	/* Only fully free nodes take part in gangs. */
	cluster_node_at(c, 0)->gpu_used = 0x01;
	cluster_node_at(c, 1)->gpu_fencing = 0x80;
	rq = req_of(14, 8);
	r = find(c, &rq, &res);
	ok(r == 1, "14 fully free nodes make a gang of 14");
	if (r == 1) {
		bool clean = true;

		for (int i = 0; i < res.n; i++)
			if (res.nodes[i]->index < 2)
				clean = false;
		ok(clean, "partly used and fencing nodes left out");
	} else {
		skip(1, "not placed");
	}
	place_result_free(&res);
	rq = req_of(15, 8);
	ok(find(c, &rq, &res) == 0, "but not a gang of 15");
	reset(c);

	/* Excluded node ids. */
	{
		int ex[] = { 1001, 1003, 4242 };

		rq = req_of(4, 8);
		rq.exclude = ex;
		rq.nexclude = 3;
		r = find(c, &rq, &res);
		ok(r == 1, "gang with excluded nodes placed");
		if (r == 1) {
			bool clean = true;

			for (int i = 0; i < res.n; i++)
				if (res.nodes[i]->id == 1001 ||
				    res.nodes[i]->id == 1003)
					clean = false;
			ok(clean, "excluded ids never chosen");
		} else {
			skip(1, "not placed");
		}
		place_result_free(&res);
		rq = req_of(15, 8);
		rq.exclude = ex;
		rq.nexclude = 3;
		ok(find(c, &rq, &res) == 0,
		   "exclusions shrink what fits (15 of 14)");
	}
	cluster_destroy(c);
}

/* DESIGN invariant 5: unhealthy nodes and racks never get new work. */
static void test_unhealthy(void)
{
	struct cluster *c = build(1, 2, 2, 4, 8, "H100", NULL);
	struct place_req rq;
	struct place_result res;
	int healthy = 0, r;

	cluster_node_at(c, 0)->state = NODE_DOWN;
	cluster_node_at(c, 1)->state = NODE_UNKNOWN;
	cluster_node_at(c, 2)->admin_state = ADMIN_DRAINING;
	cluster_node_at(c, 3)->admin_state = ADMIN_DRAINED;
	cluster_node_at(c, 4)->health = HEALTH_FAILED;
	cluster_node_at(c, 5)->health = HEALTH_DEGRADED;    /* allowed */
	cluster_rack_at(c, 2)->admin_state = ADMIN_DRAINED; /* 8..11 */
	cluster_rack_at(c, 3)->health = HEALTH_FAILED;	    /* 12..15 */
	for (int i = 0; i < cluster_nnodes(c); i++)
		if (node_schedulable(cluster_node_at(c, i)))
			healthy++;
	is_int(healthy, 3, "3 of 16 nodes are schedulable (5, 6, 7)");

	/* Degraded nodes stay out of gangs unless the request allows them
	 * (HEALTH.md: "excluded from new large gangs"). */
	rq = req_of(3, 8);
	ok(find(c, &rq, &res) == 0,
	   "a gang of 3 does not take the degraded node by default");
	place_result_free(&res);
	rq.allow_degraded = true;
	r = find(c, &rq, &res);
	ok(r == 1, "a gang of 3 fits on the healthy nodes");
	if (r == 1)
		ok(res.nodes[0]->index == 5 && res.nodes[1]->index == 6 &&
			   res.nodes[2]->index == 7,
		   "exactly the healthy nodes, degraded included");
	else
		skip(1, "not placed");
	place_result_free(&res);
	rq = req_of(4, 8);
	rq.allow_degraded = true;
	ok(find(c, &rq, &res) == 0,
	   "a gang of 4 does not fit: no unhealthy node is used");

	/* One-node jobs too: the fullest fitting node is drained. */
	cluster_node_at(c, 3)->gpu_used = 0x7f; /* drained, 1 free */
	cluster_node_at(c, 9)->gpu_used = 0x7f; /* drained rack, 1 free */
	cluster_node_at(c, 6)->gpu_used = 0x0f; /* healthy, 4 free */
	rq = req_of(1, 1);
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0]->index == 6,
	   "one-GPU job skips drained best fits, takes the healthy one");
	place_result_free(&res);

	/* Nothing schedulable at all. */
	for (int i = 0; i < cluster_nnodes(c); i++)
		cluster_node_at(c, i)->admin_state = ADMIN_DRAINING;
	rq = req_of(1, 1);
	ok(find(c, &rq, &res) == 0, "all draining: even 1 GPU is refused");
	rq = req_of(2, 8);
	ok(find(c, &rq, &res) == 0, "all draining: gangs refused");

	/* Random states: a property check over many placements. */
	{
		uint64_t x = 0x1234567887654321ull;
		int bad = 0, placed = 0;

		for (int t = 0; t < 2000; t++) {
			reset(c);
			for (int i = 0; i < cluster_nnodes(c); i++) {
				struct node *n = cluster_node_at(c, i);

				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				switch (x % 8) {
				case 0:
					n->state = NODE_DOWN;
					break;
				case 1:
					n->admin_state = ADMIN_DRAINED;
					break;
				case 2:
					n->health = HEALTH_FAILED;
					break;
				case 3:
					n->gpu_used =
						(uint16_t)((x >> 8) & 0xff);
					break;
				default:
					break;
				}
			}
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			cluster_rack_at(c, (int)(x % 4))->admin_state =
				ADMIN_DRAINING;
			rq = req_of(1 + (uint32_t)(x >> 8) % 4,
				    (x >> 16) % 2 ? 8 : 1 + (x >> 20) % 8);
			if (rq.nodes > 1)
				rq.gpus_per_node = 8;
			if (find(c, &rq, &res)) {
				placed++;
				for (int i = 0; i < res.n; i++) {
					struct node *n = res.nodes[i];

					if (!node_schedulable(n) ||
					    (res.masks[i] & ~node_free_mask(n)))
						bad++;
				}
			}
			place_result_free(&res);
		}
		is_int(bad, 0,
		       "2000 random cluster states: %d placements, never an "
		       "unschedulable node or a busy GPU",
		       placed);
	}
	cluster_destroy(c);
}

static void test_model(void)
{
	/* Rack 0: H100, rack 1: H200, one pod. */
	struct cluster *c = build(1, 1, 2, 4, 8, "H100", "H200");
	struct place_req rq;
	struct place_result res;
	int r;

	ok(!strcmp(cluster_node_at(c, 3)->gpu_model, "H100") &&
		   !strcmp(cluster_node_at(c, 4)->gpu_model, "H200"),
	   "rack 0 has H100 nodes, rack 1 H200");
	rq = req_of(2, 8);
	rq.gpu_model = "h200";
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0]->index >= 4 && res.nodes[1]->index >= 4,
	   "gpu_model 'h200' (any case) picks H200 nodes only");
	place_result_free(&res);
	rq = req_of(5, 8);
	rq.gpu_model = "H200";
	ok(find(c, &rq, &res) == 0, "5 H200 nodes do not exist");
	rq = req_of(1, 2);
	rq.gpu_model = "H100";
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0]->index < 4, "one-node job honours the model");
	place_result_free(&res);
	rq = req_of(1, 1);
	rq.gpu_model = "B200";
	ok(find(c, &rq, &res) == 0, "unknown model: no placement");
	rq = req_of(8, 8);
	rq.gpu_model = "";
	r = find(c, &rq, &res);
	ok(r == 1 && res.n == 8, "empty model: any node");
	place_result_free(&res);
	cluster_destroy(c);
}

static void test_partial(void)
{
	struct cluster *c = build(1, 1, 1, 6, 8, "H100", NULL);
	struct place_req rq;
	struct place_result res;
	struct node *n;
	int r;

	/* n0 idle, n1 2 free, n2 4 free, n3 1 free (fencing), n4 idle,
	 * n5 down. */
	cluster_node_at(c, 1)->gpu_used = 0x3f;
	cluster_node_at(c, 2)->gpu_used = 0x0f;
	cluster_node_at(c, 3)->gpu_used = 0x7f & ~0x01;
	cluster_node_at(c, 3)->gpu_fencing = 0x01;
	cluster_node_at(c, 5)->state = NODE_DOWN;

	rq = req_of(1, 1);
	r = find(c, &rq, &res);
	ok(r == 1 && res.n == 1 && res.nodes[0]->index == 3,
	   "1 GPU goes to the fullest node that fits (1 free)");
	if (r == 1)
		is_int(res.masks[0], 0x80, "... its only free GPU");
	else
		skip(1, "not placed");
	place_result_free(&res);

	rq = req_of(1, 2);
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0]->index == 1,
	   "2 GPUs go to the node with exactly 2 free");
	if (r == 1)
		is_int(res.masks[0], 0xc0, "... GPUs 6 and 7");
	else
		skip(1, "not placed");
	place_result_free(&res);

	rq = req_of(1, 3);
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0]->index == 2,
	   "3 GPUs go to the node with 4 free, not an idle one");
	if (r == 1)
		is_int(res.masks[0], 0x70, "... on one socket (4-6)");
	else
		skip(1, "not placed");
	place_result_free(&res);

	rq = req_of(1, 5);
	r = find(c, &rq, &res);
	ok(r == 1 && (res.nodes[0]->index == 0 || res.nodes[0]->index == 4),
	   "5 GPUs need an idle node (n0 or n4)");
	if (r == 1)
		is_int(__builtin_popcount(res.masks[0]), 5, "... 5 GPUs");
	else
		skip(1, "not placed");
	place_result_free(&res);

	rq = req_of(1, 8);
	r = find(c, &rq, &res);
	ok(r == 1 && res.masks[0] == 0xff &&
		   (res.nodes[0]->index == 0 || res.nodes[0]->index == 4),
	   "8 GPUs take a whole idle node");
	place_result_free(&res);

	{
		int ex[] = { 1001 }; /* n0 */

		rq = req_of(1, 8);
		rq.exclude = ex;
		rq.nexclude = 1;
		r = find(c, &rq, &res);
		ok(r == 1 && res.nodes[0]->index == 4,
		   "excluding n0 moves the job to n4 (n5 is down)");
		place_result_free(&res);
	}
	cluster_node_at(c, 0)->gpu_used = 0x01;
	cluster_node_at(c, 4)->gpu_used = 0x80;
	rq = req_of(1, 8);
	ok(find(c, &rq, &res) == 0, "no idle node left: 8 GPUs do not fit");
	rq = req_of(1, 9);
	ok(find(c, &rq, &res) == 0, "9 GPUs on 8-GPU nodes: no");

	/* Socket affinity through place_find: free GPUs 2,3 and 4,5. */
	reset(c);
	for (int i = 0; i < 6; i++)
		cluster_node_at(c, i)->gpu_used = 0xff;
	n = cluster_node_at(c, 2);
	n->gpu_used = 0xc3;
	rq = req_of(1, 2);
	r = find(c, &rq, &res);
	ok(r == 1 && res.nodes[0] == n &&
		   (res.masks[0] == 0x0c || res.masks[0] == 0x30),
	   "2 GPUs on one socket when free GPUs straddle the sockets "
	   "(got 0x%02x)",
	   r == 1 ? res.masks[0] : 0);
	place_result_free(&res);
	cluster_destroy(c);
}

/* Every free mask and size: the socket rule as a property. */
static void test_pick_gpus(void)
{
	int bad_subset = 0, bad_count = 0, bad_socket = 0, bad_none = 0;

	is_int(place_pick_gpus(0xff, 8, 8, 2), 0x03, "idle node, 2 -> 0x03");
	is_int(place_pick_gpus(0xff, 8, 8, 4), 0x0f, "idle node, 4 -> 0x0f");
	is_int(place_pick_gpus(0xf0, 8, 8, 2), 0x30, "socket 1 only -> 0x30");
	is_int(place_pick_gpus(0x87, 8, 8, 4), 0x00 | 0x87,
	       "3+1 free, 4 wanted: spans sockets (0x87)");
	is_int(place_pick_gpus(0xf7, 8, 8, 4), 0xf0,
	       "3 free on socket 0, 4 on socket 1: 4 -> socket 1");
	is_int(place_pick_gpus(0xff, 8, 8, 8), 0xff, "8 of 8");
	is_int(place_pick_gpus(0x7f, 8, 8, 8), 0, "8 of 7 free -> 0");
	is_int(place_pick_gpus(0xffff, 16, 16, 8), 0x00ff,
	       "16-GPU node, 8 -> first socket");
	is_int(place_pick_gpus(0xff0f, 16, 16, 8), 0xff00,
	       "16-GPU node, 8 with socket 0 partly used -> socket 1");

	for (unsigned free = 0; free < 256; free++) {
		for (unsigned g = 1; g <= 8; g++) {
			uint16_t m = place_pick_gpus((uint16_t)free, 8, 8, g);
			unsigned nfree = (unsigned)__builtin_popcount(free);
			bool s0 = __builtin_popcount(free & 0x0f) >= (int)g;
			bool s1 = __builtin_popcount(free & 0xf0) >= (int)g;

			if (nfree < g) {
				if (m)
					bad_none++;
				continue;
			}
			if (m & ~free)
				bad_subset++;
			if ((unsigned)__builtin_popcount(m) != g)
				bad_count++;
			if ((s0 || s1) && (m & 0x0f) && (m & 0xf0))
				bad_socket++;
		}
	}
	is_int(bad_subset, 0, "all masks x sizes: only free GPUs picked");
	is_int(bad_count, 0, "all masks x sizes: exactly g GPUs");
	is_int(bad_socket, 0,
	       "all masks x sizes: one socket whenever one socket can hold "
	       "the job");
	is_int(bad_none, 0, "all masks x sizes: 0 when too few are free");
}

/*
 * DESIGN, Scheduling: "fit the gang into the lowest level (rack, pod,
 * hall) that can hold it, best fit inside that level, fewest racks
 * spanned"; "Placement must minimise the number of racks and pods a
 * gang spans."
 */
static void test_topology_fit(void)
{
	struct cluster *c = build(1, 2, 2, 4, 8, "H100", NULL);
	struct place_req rq;
	struct place_result res;
	int r;

	/* Rack 0 has 2 idle nodes, rack 1 has 4: a gang of 3 fits in rack
	 * 1 alone. */
	cluster_node_at(c, 0)->gpu_used = 0x01;
	cluster_node_at(c, 1)->gpu_used = 0x01;
	rq = req_of(3, 8);
	r = find(c, &rq, &res);
	ok(r == 1, "gang of 3 placed");
	is_int(r == 1 ? racks_spanned(&res) : -1, 1,
	       "a gang that fits in one rack spans one rack");
	place_result_free(&res);

	/* Pod 0: rack 0 has 2 idle nodes, rack 1 has 4; pod 1 is idle (8).
	 * A gang of 8 fits in pod 1 alone. */
	rq = req_of(8, 8);
	r = find(c, &rq, &res);
	ok(r == 1, "gang of 8 placed");
	is_int(r == 1 ? pods_spanned(&res) : -1, 1,
	       "a gang that fits in one pod spans one pod");
	place_result_free(&res);
	cluster_destroy(c);
}

/* Mark every node of rack index ri busy, or only its first node. */
static void busy_rack(struct cluster *c, int ri, bool whole)
{
	struct rack *r = cluster_rack_at(c, ri);

	for (int k = 0; k < (whole ? r->nnodes : 1); k++)
		r->nodes[k]->gpu_used = 0xff;
}

/*
 * Issue 3: "racks spanned equal to the lower bound whenever a free block
 * that size exists", then the fewest pods.  Ranking pods first took the
 * roomiest pods' broken racks as well (a 1,024-node gang on a 90%-busy
 * cluster spanned 142 racks with 128 whole racks free).
 */
static void test_racks_before_pods(void)
{
	/* 1 hall, 3 pods of 2 racks of 4 nodes.  Pods 0 and 1: one whole
	 * rack and one with 3 free; pod 2: one whole rack.  12 nodes do not
	 * fit a pod; pods first takes 7 + 5 nodes over 4 racks, racks first
	 * the 3 whole racks. */
	struct cluster *c = build(1, 3, 2, 4, 8, "H100", NULL);
	struct place_req rq = req_of(12, 8);
	struct place_result res;
	int r;

	busy_rack(c, 1, false);
	busy_rack(c, 3, false);
	busy_rack(c, 5, true);
	r = find(c, &rq, &res);
	ok(r == 1, "hall level: gang of 12 placed");
	is_int(r == 1 ? racks_spanned(&res) : -1, 3,
	       "hall level: 3 whole racks (the lower bound), not 4 pieces");
	place_result_free(&res);

	/* Pod 0 whole, pods 1 and 2 as before: the two whole racks of
	 * pod 0 and one more, so 3 racks in 2 pods, not 3. */
	reset(c);
	busy_rack(c, 3, false);
	busy_rack(c, 5, true);
	r = find(c, &rq, &res);
	ok(r == 1, "hall level, a whole pod: gang of 12 placed");
	is_int(r == 1 ? racks_spanned(&res) : -1, 3,
	       "hall level, a whole pod: 3 racks");
	is_int(r == 1 ? pods_spanned(&res) : -1, 2,
	       "hall level, a whole pod: equal racks, fewest pods (2)");
	place_result_free(&res);
	cluster_destroy(c);

	/* The same shape across 3 halls of one pod each: the gang is
	 * placed site-wide, and still on 3 whole racks. */
	c = build(3, 1, 2, 4, 8, "H100", NULL);
	busy_rack(c, 1, false);
	busy_rack(c, 3, false);
	busy_rack(c, 5, true);
	r = find(c, &rq, &res);
	ok(r == 1, "site level: gang of 12 placed");
	is_int(r == 1 ? racks_spanned(&res) : -1, 3,
	       "site level: 3 whole racks (the lower bound)");
	place_result_free(&res);
	cluster_destroy(c);
}

/*
 * Free-capacity counters (struct capacity on racks, pods and halls): their
 * meaning on a small case, and the incremental node_recount() path
 * agreeing with a full cluster_recount() after random changes.
 */
static void snapshot(const struct cluster *c, struct capacity *out)
{
	int k = 0;

	for (int i = 0; i < cluster_nracks(c); i++)
		out[k++] = cluster_rack_at(c, i)->cap;
	for (int i = 0; i < cluster_npods(c); i++)
		out[k++] = cluster_pod_at(c, i)->cap;
	for (int i = 0; i < cluster_nhalls(c); i++)
		out[k++] = cluster_hall_at(c, i)->cap;
}

static void test_capacity(void)
{
	struct cluster *c = build(1, 2, 2, 4, 8, "H100", NULL);
	struct rack *r0 = cluster_rack_at(c, 0);
	struct pod *p0 = cluster_pod_at(c, 0);
	struct hall *h0 = cluster_hall_at(c, 0);
	enum { NCAP = 4 + 2 + 1 };
	struct capacity inc[NCAP], full[NCAP];
	uint64_t x = 0xdeadbeefcafef00dull;
	int mismatches = 0;

	ok(r0->cap.nodes == 4 && p0->cap.nodes == 8 && h0->cap.nodes == 16,
	   "node counts per rack, pod and hall");
	ok(r0->cap.free_ok == 4 && p0->cap.free_ok == 8 &&
		   h0->cap.free_ok == 16,
	   "idle cluster: every node counted free_ok");

	cluster_node_at(c, 0)->health = HEALTH_DEGRADED;
	node_recount(cluster_node_at(c, 0));
	cluster_node_at(c, 1)->gpu_used = 0x01;
	node_recount(cluster_node_at(c, 1));
	cluster_node_at(c, 2)->admin_state = ADMIN_DRAINED;
	node_recount(cluster_node_at(c, 2));
	ok(r0->cap.free_ok == 1 && r0->cap.free_degraded == 1 &&
		   r0->cap.partial == 1,
	   "rack: 1 ok, 1 degraded, 1 partial, the drained one uncounted");
	ok(p0->cap.free_ok == 5 && h0->cap.free_ok == 13 &&
		   h0->cap.partial == 1 && h0->cap.free_degraded == 1,
	   "pod and hall counters follow");
	cluster_node_at(c, 1)->gpu_used = 0xff;
	node_recount(cluster_node_at(c, 1));
	ok(r0->cap.partial == 0 && r0->cap.free_ok == 1,
	   "a full node is in no free counter");
	is_int(node_use_add(cluster_node_at(c, 3), FAKE_ALLOC(0), 0, 0x0f), 0,
	       "node_use_add on an idle node");
	ok(r0->cap.free_ok == 0 && r0->cap.partial == 1,
	   "node_use_add moves it from free_ok to partial");
	node_use_remove(cluster_node_at(c, 3), FAKE_ALLOC(0));
	ok(r0->cap.free_ok == 1 && r0->cap.partial == 0,
	   "node_use_remove moves it back");

	/* Random changes, each followed by node_recount on what changed. */
	for (int t = 0; t < 3000; t++) {
		struct node *n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = cluster_node_at(c, (int)(x % 16));
		switch ((x >> 8) % 6) {
		case 0:
			n->state = (enum node_state)((x >> 16) % 3);
			break;
		case 1:
			n->admin_state = (enum admin_state)((x >> 16) % 3);
			break;
		case 2:
			n->health = (enum health_state)((x >> 16) % 3);
			break;
		case 3:
			n->gpu_used = (uint16_t)((x >> 16) & 0xff);
			break;
		case 4:
			n->gpu_fencing = (uint16_t)((x >> 16) & 0x03);
			break;
		default: {
			struct rack *r = n->rack;

			r->admin_state = (enum admin_state)((x >> 16) % 3);
			r->health = (x >> 20) % 4 ? HEALTH_OK : HEALTH_FAILED;
			for (int i = 0; i < r->nnodes; i++)
				node_recount(r->nodes[i]);
			continue;
		}
		}
		node_recount(n);
		if (t % 100 == 99) {
			snapshot(c, inc);
			cluster_recount(c);
			snapshot(c, full);
			if (memcmp(inc, full, sizeof(inc)))
				mismatches++;
		}
	}
	is_int(mismatches, 0,
	       "incremental counters equal a full recount at "
	       "30 checkpoints of random changes");
	{
		int sched = 0;

		for (int i = 0; i < 16; i++) {
			struct node *n = cluster_node_at(c, i);

			if (node_schedulable(n) && n->gpus &&
			    node_free_mask(n) ==
				    (uint16_t)((1u << n->gpus) - 1))
				sched++;
		}
		is_int(h0->cap.free_ok + h0->cap.free_degraded +
			       h0->cap.free_spare,
		       sched, "hall free counters = schedulable idle nodes");
	}
	cluster_destroy(c);
}

int main(void)
{
	test_cluster_build();
	test_cluster_order();
	test_node_misc();
	test_schedulable();
	test_node_use();
	test_capacity();
	test_gangs();
	test_unhealthy();
	test_model();
	test_partial();
	test_pick_gpus();
	test_topology_fit();
	test_racks_before_pods();
	return done_testing();
}
