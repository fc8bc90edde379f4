/*
 * The in-memory topology.  Objects are allocated one by one and never
 * move, so pointers to them stay valid for the controller's life; the
 * index arrays are rebuilt in topology order by cluster_finish().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "common/hmap.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/cluster.h"

struct cluster {
	struct hall **halls;
	struct pod **pods;
	struct rack **racks;
	struct node **nodes;
	int nhalls, npods, nracks, nnodes;
	int cap_halls, cap_pods, cap_racks, cap_nodes;
	struct smap *hall_names, *pod_names, *rack_names, *node_names;
	struct hmap *node_ids;
	uint64_t generation;
	char models[64][32];
	int nmodels;
};

struct cluster *cluster_create(void)
{
	struct cluster *c = xcalloc(1, sizeof(*c));

	c->hall_names = smap_create();
	c->pod_names = smap_create();
	c->rack_names = smap_create();
	c->node_names = smap_create();
	c->node_ids = hmap_create();
	return c;
}

void cluster_destroy(struct cluster *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nnodes; i++) {
		struct node *n = c->nodes[i];

		for (int f = 0; f < n->nfeatures; f++)
			free(n->features[f]);
		free(n->features);
		free(n->reason);
		free(n);
	}
	for (int i = 0; i < c->nracks; i++) {
		free(c->racks[i]->nodes);
		free(c->racks[i]->reason);
		free(c->racks[i]);
	}
	for (int i = 0; i < c->npods; i++) {
		free(c->pods[i]->racks);
		free(c->pods[i]);
	}
	for (int i = 0; i < c->nhalls; i++) {
		free(c->halls[i]->pods);
		free(c->halls[i]);
	}
	free(c->halls);
	free(c->pods);
	free(c->racks);
	free(c->nodes);
	smap_destroy(c->hall_names);
	smap_destroy(c->pod_names);
	smap_destroy(c->rack_names);
	smap_destroy(c->node_names);
	hmap_destroy(c->node_ids);
	free(c);
}

/* Append p to a growable array of pointers. */
#define CLUSTER_PUSH(arr, n, cap, p)                                       \
	do {                                                               \
		if ((n) == (cap)) {                                        \
			(cap) = (cap) ? (cap)*2 : 64;                      \
			(arr) = xreallocarray((arr), (size_t)(cap),        \
					      sizeof(*(arr)));             \
		}                                                          \
		(arr)[(n)++] = (p);                                        \
	} while (0)

static int cluster_check_name(const char *kind, const char *name,
			      struct err *e)
{
	if (!util_valid_name(name, NAME_MAX_LEN - 1))
		return err_set(e, "invalid %s name '%.64s'", kind, name);
	return 0;
}

struct hall *cluster_add_hall(struct cluster *c, int id, const char *name,
			      struct err *e)
{
	struct hall *h;

	if (cluster_check_name("hall", name, e) < 0)
		return NULL;
	if (smap_get(c->hall_names, name)) {
		err_set(e, "hall '%s' already exists", name);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->id = id;
	memcpy(h->name, name, strlen(name) + 1);
	h->index = c->nhalls;
	CLUSTER_PUSH(c->halls, c->nhalls, c->cap_halls, h);
	smap_put(c->hall_names, h->name, h);
	c->generation++;
	return h;
}

struct pod *cluster_add_pod(struct cluster *c, int id, const char *name,
			    const char *hall, struct err *e)
{
	struct hall *h = smap_get(c->hall_names, hall);
	struct pod *p;

	if (cluster_check_name("pod", name, e) < 0)
		return NULL;
	if (!h) {
		err_set(e, "pod '%s': unknown hall '%.64s'", name, hall);
		return NULL;
	}
	if (smap_get(c->pod_names, name)) {
		err_set(e, "pod '%s' already exists", name);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->id = id;
	memcpy(p->name, name, strlen(name) + 1);
	p->hall = h;
	p->index = c->npods;
	h->pods = xreallocarray(h->pods, (size_t)h->npods + 1, sizeof(*h->pods));
	h->pods[h->npods++] = p;
	CLUSTER_PUSH(c->pods, c->npods, c->cap_pods, p);
	smap_put(c->pod_names, p->name, p);
	c->generation++;
	return p;
}

struct rack *cluster_add_rack(struct cluster *c, int id, const char *name,
			      const char *pod, struct err *e)
{
	struct pod *p = smap_get(c->pod_names, pod);
	struct rack *r;

	if (cluster_check_name("rack", name, e) < 0)
		return NULL;
	if (!p) {
		err_set(e, "rack '%s': unknown pod '%.64s'", name, pod);
		return NULL;
	}
	if (smap_get(c->rack_names, name)) {
		err_set(e, "rack '%s' already exists", name);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->id = id;
	memcpy(r->name, name, strlen(name) + 1);
	r->pod = p;
	r->model_id = -1;
	r->index = c->nracks;
	p->racks = xreallocarray(p->racks, (size_t)p->nracks + 1,
				 sizeof(*p->racks));
	p->racks[p->nracks++] = r;
	CLUSTER_PUSH(c->racks, c->nracks, c->cap_racks, r);
	smap_put(c->rack_names, r->name, r);
	c->generation++;
	return r;
}

struct node *cluster_add_node(struct cluster *c, int id, const char *name,
			      const char *rack, int slot, unsigned gpus,
			      const char *model, struct err *e)
{
	struct rack *r = smap_get(c->rack_names, rack);
	struct node *n;
	int cap;

	if (cluster_check_name("node", name, e) < 0)
		return NULL;
	if (!r) {
		err_set(e, "node '%s': unknown rack '%.64s'", name, rack);
		return NULL;
	}
	if (smap_get(c->node_names, name)) {
		err_set(e, "node '%s' already exists", name);
		return NULL;
	}
	if (gpus > NODE_MAX_GPUS) {
		err_set(e, "node '%s': %u GPUs (at most %d)", name, gpus,
			NODE_MAX_GPUS);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->id = id;
	memcpy(n->name, name, strlen(name) + 1);
	n->rack = r;
	n->slot = slot;
	n->gpus = gpus;
	if (!model || strlen(model) >= sizeof(n->gpu_model)) {
		free(n);
		err_set(e, "node '%s': GPU model name missing or too long", name);
		return NULL;
	}
	cluster_set_node_model(c, n, model);
	n->block_from = INT64_MAX;
	CLUSTER_PUSH(c->nodes, c->nnodes, c->cap_nodes, n);
	cap = r->nnodes;
	r->nodes = xreallocarray(r->nodes, (size_t)cap + 1, sizeof(*r->nodes));
	r->nodes[r->nnodes++] = n;
	r->cap.nodes++;
	r->pod->cap.nodes++;
	r->pod->hall->cap.nodes++;
	smap_put(c->node_names, n->name, n);
	hmap_put(c->node_ids, (uint64_t)id, n);
	c->generation++;
	return n;
}

static int cluster_node_cmp(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;

	if (x->rack->pod->hall->index != y->rack->pod->hall->index)
		return x->rack->pod->hall->index - y->rack->pod->hall->index;
	if (x->rack->pod->index != y->rack->pod->index)
		return x->rack->pod->index - y->rack->pod->index;
	if (x->rack->index != y->rack->index)
		return x->rack->index - y->rack->index;
	if (x->slot != y->slot)
		return x->slot - y->slot;
	return strcmp(x->name, y->name);
}

static int cluster_rack_node_cmp(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;

	if (x->slot != y->slot)
		return x->slot - y->slot;
	return strcmp(x->name, y->name);
}

void cluster_finish(struct cluster *c)
{
	if (c->nnodes > 1)
		qsort(c->nodes, (size_t)c->nnodes, sizeof(*c->nodes),
		      cluster_node_cmp);
	for (int i = 0; i < c->nnodes; i++)
		c->nodes[i]->index = i;
	for (int i = 0; i < c->nracks; i++)
		if (c->racks[i]->nnodes > 1)
			qsort(c->racks[i]->nodes, (size_t)c->racks[i]->nnodes,
			      sizeof(struct node *), cluster_rack_node_cmp);
	cluster_update_models(c);
	cluster_recount(c);
	c->generation++;
}

int cluster_model_id(struct cluster *c, const char *model)
{
	for (int i = 0; i < c->nmodels; i++)
		if (!strcasecmp(c->models[i], model))
			return i;
	if (c->nmodels == (int)ARRAY_SIZE(c->models))
		return (int)ARRAY_SIZE(c->models) - 1; /* shared overflow id */
	snprintf(c->models[c->nmodels], sizeof(c->models[0]), "%s", model);
	return c->nmodels++;
}

int cluster_model_lookup(const struct cluster *c, const char *model)
{
	for (int i = 0; i < c->nmodels; i++)
		if (!strcasecmp(c->models[i], model))
			return i;
	return -1;
}

const char *cluster_model_name(const struct cluster *c, int id)
{
	return id >= 0 && id < c->nmodels ? c->models[id] : "";
}

void cluster_set_node_model(struct cluster *c, struct node *n,
			    const char *model)
{
	if (util_strlcpy(n->gpu_model, model, sizeof(n->gpu_model)) < 0)
		n->gpu_model[sizeof(n->gpu_model) - 1] = '\0';
	n->model_id = cluster_model_id(c, n->gpu_model);
}

void cluster_update_models(struct cluster *c)
{
	for (int i = 0; i < c->nracks; i++) {
		struct rack *r = c->racks[i];

		r->model_id = r->nnodes ? r->nodes[0]->model_id : -1;
		r->min_gpus = r->nnodes ? r->nodes[0]->gpus : 0;
		for (int k = 1; k < r->nnodes; k++) {
			if (r->nodes[k]->model_id != r->model_id)
				r->model_id = -1;
			if (r->nodes[k]->gpus < r->min_gpus)
				r->min_gpus = r->nodes[k]->gpus;
		}
	}
}

static int *capacity_field(struct capacity *cap, enum node_avail av)
{
	switch (av) {
	case NODE_AV_OK:
		return &cap->free_ok;
	case NODE_AV_DEGRADED:
		return &cap->free_degraded;
	case NODE_AV_SPARE:
		return &cap->free_spare;
	case NODE_AV_PARTIAL:
		return &cap->partial;
	default:
		return NULL;
	}
}

static void capacity_move(struct node *n, enum node_avail from,
			  enum node_avail to)
{
	struct capacity *caps[3] = { &n->rack->cap, &n->rack->pod->cap,
				     &n->rack->pod->hall->cap };

	for (int i = 0; i < 3; i++) {
		int *f = capacity_field(caps[i], from);
		int *t = capacity_field(caps[i], to);

		if (f)
			(*f)--;
		if (t)
			(*t)++;
	}
}

static enum node_avail node_classify(const struct node *n)
{
	uint16_t all = (uint16_t)((1u << n->gpus) - 1);
	uint16_t free = node_free_mask(n);

	if (!node_schedulable(n) || n->gpus == 0 || free == 0)
		return NODE_AV_NONE;
	if (free != all)
		return NODE_AV_PARTIAL;
	if (n->spare)
		return NODE_AV_SPARE;
	if (n->health == HEALTH_DEGRADED)
		return NODE_AV_DEGRADED;
	return NODE_AV_OK;
}

void node_recount(struct node *n)
{
	enum node_avail now = node_classify(n);

	if (now == n->av)
		return;
	capacity_move(n, (enum node_avail)n->av, now);
	n->av = (uint8_t)now;
}

void cluster_recount(struct cluster *c)
{
	for (int i = 0; i < c->nhalls; i++) {
		int nodes = c->halls[i]->cap.nodes;

		memset(&c->halls[i]->cap, 0, sizeof(c->halls[i]->cap));
		c->halls[i]->cap.nodes = nodes;
	}
	for (int i = 0; i < c->npods; i++) {
		int nodes = c->pods[i]->cap.nodes;

		memset(&c->pods[i]->cap, 0, sizeof(c->pods[i]->cap));
		c->pods[i]->cap.nodes = nodes;
	}
	for (int i = 0; i < c->nracks; i++) {
		int nodes = c->racks[i]->cap.nodes;

		memset(&c->racks[i]->cap, 0, sizeof(c->racks[i]->cap));
		c->racks[i]->cap.nodes = nodes;
	}
	for (int i = 0; i < c->nnodes; i++) {
		c->nodes[i]->av = NODE_AV_NONE;
		node_recount(c->nodes[i]);
	}
}

struct hall *cluster_hall(const struct cluster *c, const char *name)
{
	return smap_get(c->hall_names, name);
}

struct pod *cluster_pod(const struct cluster *c, const char *name)
{
	return smap_get(c->pod_names, name);
}

struct rack *cluster_rack(const struct cluster *c, const char *name)
{
	return smap_get(c->rack_names, name);
}

struct node *cluster_node(const struct cluster *c, const char *name)
{
	return smap_get(c->node_names, name);
}

struct node *cluster_node_by_id(const struct cluster *c, int id)
{
	return hmap_get(c->node_ids, (uint64_t)id);
}

int cluster_nnodes(const struct cluster *c)
{
	return c->nnodes;
}

struct node *cluster_node_at(const struct cluster *c, int index)
{
	return index >= 0 && index < c->nnodes ? c->nodes[index] : NULL;
}

int cluster_nracks(const struct cluster *c)
{
	return c->nracks;
}

struct rack *cluster_rack_at(const struct cluster *c, int index)
{
	return index >= 0 && index < c->nracks ? c->racks[index] : NULL;
}

struct rack *const *cluster_racks(const struct cluster *c)
{
	return c->racks;
}

int cluster_npods(const struct cluster *c)
{
	return c->npods;
}

struct pod *cluster_pod_at(const struct cluster *c, int index)
{
	return index >= 0 && index < c->npods ? c->pods[index] : NULL;
}

int cluster_nhalls(const struct cluster *c)
{
	return c->nhalls;
}

struct hall *cluster_hall_at(const struct cluster *c, int index)
{
	return index >= 0 && index < c->nhalls ? c->halls[index] : NULL;
}

uint64_t cluster_generation(const struct cluster *c)
{
	return c->generation;
}

void node_set_features(struct node *n, char *const *features, int n_features)
{
	for (int i = 0; i < n->nfeatures; i++)
		free(n->features[i]);
	free(n->features);
	n->features = NULL;
	n->nfeatures = 0;
	if (n_features <= 0)
		return;
	n->features = xcalloc((size_t)n_features, sizeof(char *));
	for (int i = 0; i < n_features; i++)
		n->features[i] = xstrdup(features[i]);
	n->nfeatures = n_features;
}

void node_set_reason(struct node *n, const char *reason)
{
	free(n->reason);
	n->reason = reason && *reason ? xstrdup(reason) : NULL;
}

bool node_has_feature(const struct node *n, const char *feature)
{
	for (int i = 0; i < n->nfeatures; i++)
		if (!strcmp(n->features[i], feature))
			return true;
	return false;
}

bool node_schedulable(const struct node *n)
{
	return n->state == NODE_UP && n->admin_state == ADMIN_NONE &&
	       n->health != HEALTH_FAILED &&
	       n->rack->admin_state == ADMIN_NONE &&
	       n->rack->health != HEALTH_FAILED;
}

uint16_t node_free_mask(const struct node *n)
{
	uint16_t all = (uint16_t)((1u << n->gpus) - 1);

	return (uint16_t)(all & ~(n->gpu_used | n->gpu_fencing));
}

int node_use_add(struct node *n, struct alloc *a, int part, uint16_t mask)
{
	uint16_t all = (uint16_t)((1u << n->gpus) - 1);

	/* A GPU is held by one incarnation at a time, and must exist. */
	if (n->nuses >= NODE_MAX_ALLOCS || (mask & ~all) ||
	    (mask & (n->gpu_used | n->gpu_fencing)))
		return -1;
	n->uses[n->nuses].alloc = a;
	n->uses[n->nuses].part = part;
	n->uses[n->nuses].gpu_mask = mask;
	n->nuses++;
	n->gpu_used |= mask;
	node_recount(n);
	return 0;
}

void node_use_remove(struct node *n, struct alloc *a)
{
	for (int i = 0; i < n->nuses; i++) {
		if (n->uses[i].alloc == a) {
			n->gpu_used &= (uint16_t)~n->uses[i].gpu_mask;
			n->uses[i] = n->uses[--n->nuses];
			node_recount(n);
			return;
		}
	}
}

int node_use_part(const struct node *n, const struct alloc *a)
{
	for (int i = 0; i < n->nuses; i++)
		if (n->uses[i].alloc == a)
			return n->uses[i].part;
	return -1;
}

static const char *const node_state_names[] = { "unknown", "up", "down" };
static const char *const admin_state_names[] = { "none", "draining",
						 "drained" };
static const char *const health_state_names[] = { "ok", "degraded",
						  "failed" };

const char *node_state_name(enum node_state s)
{
	return (size_t)s < ARRAY_SIZE(node_state_names) ? node_state_names[s]
							: "?";
}

const char *admin_state_name(enum admin_state s)
{
	return (size_t)s < ARRAY_SIZE(admin_state_names) ? admin_state_names[s]
							 : "?";
}

const char *health_state_name(enum health_state s)
{
	return (size_t)s < ARRAY_SIZE(health_state_names)
		       ? health_state_names[s]
		       : "?";
}

static int cluster_parse_name(const char *const *names, size_t n,
			      const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

int admin_state_parse(const char *s)
{
	return cluster_parse_name(admin_state_names,
				  ARRAY_SIZE(admin_state_names), s);
}

int health_state_parse(const char *s)
{
	return cluster_parse_name(health_state_names,
				  ARRAY_SIZE(health_state_names), s);
}

int node_state_parse(const char *s)
{
	return cluster_parse_name(node_state_names,
				  ARRAY_SIZE(node_state_names), s);
}
