/*
 * Topology-aware placement.  See place.h for the rules.
 *
 * Capacity is counted per rack from the counters node_recount() keeps
 * (O(1) per rack); only racks where a constraint could matter (a model
 * mix, a required feature, an excluded node, a reservation block, a
 * backfill probe) are scanned node by node.  Pods and halls sum their
 * racks.  The whole decision is O(racks), about 1,600 steps on the
 * 12,544-node cluster.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/place.h"

/* Per-call working state. */
struct place_ctx {
	const struct cluster *c;
	struct rack *const *racks; /* cluster_racks(c), nracks of them */
	int nracks;
	const struct place_req *req;
	int model_id; /* -1 = any; -2 = a model no node has */
	bool scan_all; /* features or a probe: count node by node */
	int *rack_cap;	/* usable nodes per rack (segment-rounded)  */
	int *pod_cap;
	int *hall_cap;
	int seg_rack;	/* segment size applied per rack, or 0       */
	int seg_pod;	/* segment size applied per pod, or 0        */
	/* Output being built. */
	struct node **nodes;
	int n;
};

int place_min_racks(uint32_t nodes, int rack_size)
{
	return rack_size > 0 ? (int)((nodes + (uint32_t)rack_size - 1) /
				     (uint32_t)rack_size)
			     : 0;
}

static bool place_excluded(const struct place_req *req, const struct node *n)
{
	for (int i = 0; i < req->nexclude; i++)
		if (req->exclude[i] == n->id)
			return true;
	return false;
}

static bool place_has_features(const struct place_req *req,
			       const struct node *n)
{
	for (int i = 0; i < req->nfeatures; i++)
		if (!node_has_feature(n, req->features[i]))
			return false;
	return true;
}

/* Do reservations and claims let the job use this node? */
static bool place_block_ok(const struct place_req *req, const struct node *n)
{
	bool own = req->owner && n->block_owner == req->owner;

	if (req->only_owner && !own)
		return false;
	return own || n->block_from >= req->end_time;
}

/* May this node take one whole-node share of the job? */
static bool place_node_usable(const struct place_ctx *x, const struct node *n)
{
	const struct place_req *req = x->req;

	if (req->avail) {
		/* Busy until later is the common reason: test it first. */
		if (req->avail[n->index] > req->avail_by || !node_schedulable(n))
			return false;
		if (n->spare && !req->allow_spares)
			return false;
		if (n->health == HEALTH_DEGRADED && !req->allow_degraded)
			return false;
	} else {
		switch (n->av) {
		case NODE_AV_OK:
			break;
		case NODE_AV_DEGRADED:
			if (!req->allow_degraded)
				return false;
			break;
		case NODE_AV_SPARE:
			if (!req->allow_spares)
				return false;
			break;
		default:
			return false;
		}
	}
	if (n->gpus < req->gpus_per_node || n->gpus == 0)
		return false;
	if (x->model_id != -1 && n->model_id != x->model_id)
		return false;
	if (!place_block_ok(req, n))
		return false;
	if (req->nexclude && place_excluded(req, n))
		return false;
	if (req->nfeatures && !place_has_features(req, n))
		return false;
	return true;
}

static bool place_rack_has_excluded(const struct place_req *req,
				    const struct rack *r)
{
	for (int i = 0; i < req->nexclude; i++)
		for (int k = 0; k < r->nnodes; k++)
			if (r->nodes[k]->id == req->exclude[i])
				return true;
	return false;
}

static int place_rack_usable(const struct place_ctx *x, const struct rack *r)
{
	const struct place_req *req = x->req;
	int n = 0;

	if (x->model_id == -2)
		return 0;
	if (req->avail && req->rack_avail &&
	    req->rack_avail[r->index] > req->avail_by)
		return 0;
	if (!x->scan_all && r->nblocked == 0 &&
	    (x->model_id == -1 || r->model_id == x->model_id) &&
	    r->min_gpus >= req->gpus_per_node && r->min_gpus > 0 &&
	    !(req->nexclude && place_rack_has_excluded(req, r))) {
		n = r->cap.free_ok;
		if (req->allow_degraded)
			n += r->cap.free_degraded;
		if (req->allow_spares)
			n += r->cap.free_spare;
		return n;
	}
	for (int k = 0; k < r->nnodes; k++)
		if (place_node_usable(x, r->nodes[k]))
			n++;
	return n;
}

static void place_count(struct place_ctx *x)
{
	const struct cluster *c = x->c;
	int nr = x->nracks, np = cluster_npods(c),
	    nh = cluster_nhalls(c);

	x->rack_cap = xcalloc((size_t)nr + 1, sizeof(int));
	x->pod_cap = xcalloc((size_t)np + 1, sizeof(int));
	x->hall_cap = xcalloc((size_t)nh + 1, sizeof(int));
	for (int i = 0; i < nr; i++) {
		struct rack *r = x->racks[i];
		int u = place_rack_usable(x, r);

		if (x->seg_rack)
			u -= u % x->seg_rack;
		x->rack_cap[i] = u;
		x->pod_cap[r->pod->index] += u;
	}
	for (int i = 0; i < np; i++) {
		struct pod *p = cluster_pod_at(c, i);

		if (x->seg_pod)
			x->pod_cap[i] -= x->pod_cap[i] % x->seg_pod;
		x->hall_cap[p->hall->index] += x->pod_cap[i];
	}
}

/*
 * Split need units over k children with capacities cap[] (caps of the
 * chosen children are reduced): fewest children, taken largest first,
 * the last piece to the child it fits best.  idx[]/amt[] receive the
 * choice.  Returns the number of children used, or -1 if they cannot
 * hold need.
 */
static int place_split(const int *cap, int k, int need, int *idx, int *amt)
{
	bool *used = xcalloc((size_t)k + 1, sizeof(bool));
	long total = 0;
	int m = 0;

	for (int i = 0; i < k; i++)
		total += cap[i];
	if (total < need) {
		free(used);
		return -1;
	}
	while (need > 0) {
		int best = -1, largest = -1;

		for (int i = 0; i < k; i++) {
			if (used[i] || cap[i] <= 0)
				continue;
			if (cap[i] >= need && (best < 0 || cap[i] < cap[best]))
				best = i;
			if (largest < 0 || cap[i] > cap[largest])
				largest = i;
		}
		if (best >= 0) {
			idx[m] = best;
			amt[m++] = need;
			break;
		}
		used[largest] = true;
		idx[m] = largest;
		amt[m++] = cap[largest];
		need -= cap[largest];
	}
	free(used);
	return m;
}

/* Take amt usable nodes from rack r, in slot order. */
static void place_take_rack(struct place_ctx *x, const struct rack *r, int amt)
{
	for (int k = 0; k < r->nnodes && amt > 0; k++) {
		struct node *n = r->nodes[k];

		if (!place_node_usable(x, n))
			continue;
		x->nodes[x->n++] = n;
		amt--;
	}
}

/* Racks of pod p hold need; returns the number of racks used. */
static int place_fill_pod(struct place_ctx *x, const struct pod *p, int need,
			  bool take)
{
	int caps[256], idx[256], amt[256];
	int k = p->nracks < 256 ? p->nracks : 256;
	int m;

	for (int i = 0; i < k; i++)
		caps[i] = x->rack_cap[p->racks[i]->index];
	m = place_split(caps, k, need, idx, amt);
	if (m > 0 && take)
		for (int i = 0; i < m; i++)
			place_take_rack(x, p->racks[idx[i]], amt[i]);
	return m;
}

/* Pods of hall h hold need, fewest pods first; *racks receives the
 * racks spanned.  Used for segments longer than a rack, which must each
 * stay in one pod. */
static int place_fill_hall_by_pods(struct place_ctx *x, const struct hall *h,
				   int need, bool take, int *racks)
{
	int *caps = xcalloc((size_t)h->npods + 1, sizeof(int));
	int *idx = xcalloc((size_t)h->npods + 1, sizeof(int));
	int *amt = xcalloc((size_t)h->npods + 1, sizeof(int));
	int m;

	*racks = 0;
	for (int i = 0; i < h->npods; i++)
		caps[i] = x->pod_cap[h->pods[i]->index];
	m = place_split(caps, h->npods, need, idx, amt);
	for (int i = 0; i < m; i++)
		*racks += place_fill_pod(x, h->pods[idx[i]], amt[i], take);
	free(caps);
	free(idx);
	free(amt);
	return m;
}

/* A rack that a rack-first fill may take nodes from. */
struct place_cand {
	const struct rack *rack;
	int cap;      /* its usable nodes */
	int hall_cap; /* usable nodes of its hall (site-wide fills only) */
	int pod_cap;  /* usable nodes of its pod */
};

/* Largest racks first; among equals those of the roomiest hall and pod
 * (whole racks of a whole pod come out together), then topology order. */
static int place_cand_cmp(const void *a, const void *b)
{
	const struct place_cand *x = a, *y = b;

	if (x->cap != y->cap)
		return x->cap > y->cap ? -1 : 1;
	if (x->hall_cap != y->hall_cap)
		return x->hall_cap > y->hall_cap ? -1 : 1;
	if (x->pod_cap != y->pod_cap)
		return x->pod_cap > y->pod_cap ? -1 : 1;
	return (x->rack->index > y->rack->index) -
	       (x->rack->index < y->rack->index);
}

/*
 * Take need nodes from the racks of hall h (of the whole site if h is
 * NULL), racks first: the largest racks, the last piece to the rack it
 * fits best (in a pod already used when one fits as well).  Largest
 * first spans the fewest racks possible, so a gang lands on the lower
 * bound of racks whenever that many whole racks are free; ranking pods
 * first instead took every fragment of the roomiest pods (a 1,024-node
 * gang on a 90%-busy cluster spanned 142 racks where 128 whole racks
 * were free).  Returns the racks used, or -1 if they cannot hold need;
 * *pods receives the pods spanned.
 */
/* Add the racks of pod p that have room to cand[]. */
static int place_cand_add(const struct place_ctx *x, const struct pod *p,
			  bool site, struct place_cand *cand, int n)
{
	for (int k = 0; k < p->nracks; k++) {
		const struct rack *r = p->racks[k];

		if (x->rack_cap[r->index] <= 0)
			continue;
		cand[n].rack = r;
		cand[n].cap = x->rack_cap[r->index];
		cand[n].hall_cap = site ? x->hall_cap[p->hall->index] : 0;
		cand[n].pod_cap = x->pod_cap[p->index];
		n++;
	}
	return n;
}

static int place_fill_racks(struct place_ctx *x, const struct hall *h,
			    int need, bool take, int *pods)
{
	const struct cluster *c = x->c;
	int np = h ? h->npods : cluster_npods(c), n = 0, racks = 0, max = 0;
	struct place_cand *cand;
	bool *pod_used = xcalloc((size_t)cluster_npods(c) + 1, sizeof(bool));
	long total = 0;

	*pods = 0;
	for (int i = 0; i < np; i++)
		max += (h ? h->pods[i] : cluster_pod_at(c, i))->nracks;
	cand = xcalloc((size_t)max + 1, sizeof(*cand));
	for (int i = 0; i < np; i++) {
		const struct pod *p = h ? h->pods[i] : cluster_pod_at(c, i);

		/* A pod without room has no rack with room. */
		if (x->pod_cap[p->index] > 0)
			n = place_cand_add(x, p, h == NULL, cand, n);
	}
	for (int i = 0; i < n; i++)
		total += cand[i].cap;
	if (total < need) {
		racks = -1;
		goto out;
	}
	qsort(cand, (size_t)n, sizeof(*cand), place_cand_cmp);
	for (int i = 0; i < n && need > 0; i++) {
		int pick = i, amt;

		/* Candidates are sorted by capacity: those that hold the
		 * rest are cand[i..j), the best fit is the smallest. */
		for (int j = i + 1; j < n && cand[j].cap >= need; j++)
			if (cand[j].cap < cand[pick].cap ||
			    (!pod_used[cand[pick].rack->pod->index] &&
			     pod_used[cand[j].rack->pod->index]))
				pick = j;
		amt = cand[pick].cap < need ? cand[pick].cap : need;
		if (!pod_used[cand[pick].rack->pod->index]) {
			pod_used[cand[pick].rack->pod->index] = true;
			(*pods)++;
		}
		if (take)
			place_take_rack(x, cand[pick].rack, amt);
		racks++;
		need -= amt;
	}
out:
	free(cand);
	free(pod_used);
	return racks;
}

/* Hall h (the whole site if NULL) holds need; returns the pods spanned
 * (0: it cannot) and *racks the racks. */
static int place_fill_hall(struct place_ctx *x, const struct hall *h,
			   int need, bool take, int *racks)
{
	int pods;

	if (x->seg_pod) {
		*racks = 0;
		return h ? place_fill_hall_by_pods(x, h, need, take, racks)
			 : 0;
	}
	*racks = place_fill_racks(x, h, need, take, &pods);
	return *racks > 0 ? pods : 0;
}

/* Lexicographic candidate score: smaller is better. */
struct place_score {
	int pods, racks, leftover, order;
};

static bool place_better(const struct place_score *a,
			 const struct place_score *b)
{
	if (a->racks != b->racks)
		return a->racks < b->racks;
	if (a->pods != b->pods)
		return a->pods < b->pods;
	if (a->leftover != b->leftover)
		return a->leftover < b->leftover;
	return a->order < b->order;
}

static int place_at_rack(struct place_ctx *x, int need)
{
	const struct cluster *c = x->c;
	struct place_score best = { 0, 0, 0, 0 };
	int pick = -1;

	for (int i = 0; i < x->nracks; i++) {
		const struct rack *r = x->racks[i];
		struct place_score s;

		if (x->rack_cap[i] < need)
			continue;
		/* Best fit, then the fullest pod: empty pods stay empty. */
		s.pods = 1;
		s.racks = 1;
		s.leftover = x->rack_cap[i] - need;
		s.order = x->pod_cap[r->pod->index];
		if (pick < 0 || place_better(&s, &best)) {
			best = s;
			pick = i;
		}
	}
	if (pick < 0)
		return 0;
	place_take_rack(x, cluster_rack_at(c, pick), need);
	return 1;
}

static int place_at_pod(struct place_ctx *x, int need)
{
	const struct cluster *c = x->c;
	struct place_score best = { 0, 0, 0, 0 };
	int pick = -1;

	for (int i = 0; i < cluster_npods(c); i++) {
		const struct pod *p = cluster_pod_at(c, i);
		struct place_score s;

		if (x->pod_cap[i] < need)
			continue;
		s.pods = 1;
		s.racks = place_fill_pod(x, p, need, false);
		s.leftover = x->pod_cap[i] - need;
		s.order = x->hall_cap[p->hall->index];
		if (s.racks > 0 && (pick < 0 || place_better(&s, &best))) {
			best = s;
			pick = i;
		}
	}
	if (pick < 0)
		return 0;
	place_fill_pod(x, cluster_pod_at(c, pick), need, true);
	return 1;
}

static int place_at_hall(struct place_ctx *x, int need)
{
	const struct cluster *c = x->c;
	struct place_score best = { 0, 0, 0, 0 };
	int pick = -1, racks;

	for (int i = 0; i < cluster_nhalls(c); i++) {
		const struct hall *h = cluster_hall_at(c, i);
		struct place_score s;

		if (x->hall_cap[i] < need)
			continue;
		s.pods = place_fill_hall(x, h, need, false, &racks);
		s.racks = racks;
		s.leftover = x->hall_cap[i] - need;
		s.order = i;
		if (s.pods > 0 && (pick < 0 || place_better(&s, &best))) {
			best = s;
			pick = i;
		}
	}
	if (pick < 0)
		return 0;
	place_fill_hall(x, cluster_hall_at(c, pick), need, true, &racks);
	return 1;
}

static int place_at_site(struct place_ctx *x, int need)
{
	const struct cluster *c = x->c;
	int nh = cluster_nhalls(c), racks, m;
	int *idx, *amt;

	/* Racks first across the halls, unless segments need whole pods:
	 * then the fewest halls, each filled pod by pod. */
	if (!x->seg_pod)
		return place_fill_hall(x, NULL, need, true, &racks) > 0;
	idx = xcalloc((size_t)nh + 1, sizeof(int));
	amt = xcalloc((size_t)nh + 1, sizeof(int));
	m = place_split(x->hall_cap, nh, need, idx, amt);
	for (int i = 0; i < m; i++)
		place_fill_hall(x, cluster_hall_at(c, idx[i]), amt[i], true,
				&racks);
	free(idx);
	free(amt);
	return m > 0;
}

static int place_node_cmp(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;

	return x->index - y->index;
}

/* Rack size of the cluster (its largest rack). */
static int place_rack_size(const struct cluster *c)
{
	int size = 0;

	for (int i = 0; i < cluster_nracks(c); i++)
		if (cluster_rack_at(c, i)->nnodes > size)
			size = cluster_rack_at(c, i)->nnodes;
	return size;
}

static int place_pod_size(const struct cluster *c)
{
	int size = 0;

	for (int i = 0; i < cluster_npods(c); i++)
		if (cluster_pod_at(c, i)->cap.nodes > size)
			size = cluster_pod_at(c, i)->cap.nodes;
	return size;
}

static void place_finish(struct place_ctx *x, struct place_result *out,
			 enum place_level level)
{
	const struct rack *last_rack = NULL;
	const struct pod *last_pod = NULL;

	qsort(x->nodes, (size_t)x->n, sizeof(*x->nodes), place_node_cmp);
	out->nodes = x->nodes;
	out->n = x->n;
	out->masks = xcalloc((size_t)x->n + 1, sizeof(*out->masks));
	out->level = level;
	for (int i = 0; i < x->n; i++) {
		struct node *n = x->nodes[i];

		out->masks[i] = (uint16_t)((1u << n->gpus) - 1);
		/* Sorted in topology order: each change is a new rack/pod. */
		if (n->rack != last_rack)
			out->racks++;
		if (n->rack->pod != last_pod)
			out->pods++;
		last_rack = n->rack;
		last_pod = n->rack->pod;
	}
	x->nodes = NULL;
}

static int place_gang(struct place_ctx *x, struct place_result *out)
{
	const struct place_req *req = x->req;
	int need = (int)req->nodes;
	int rack_size = place_rack_size(x->c);
	int pod_size = place_pod_size(x->c);
	enum place_level level = PLACE_ANY;
	int ok = 0;

	if (req->segment > 1) {
		if ((int)req->segment <= rack_size)
			x->seg_rack = (int)req->segment;
		else if ((int)req->segment <= pod_size)
			x->seg_pod = (int)req->segment;
		else
			return 0; /* a segment larger than a pod cannot be kept in one */
	}
	place_count(x);
	x->nodes = xcalloc((size_t)need + 1, sizeof(*x->nodes));
	/* The lowest level that can hold it, unless it demands one. */
	if (need <= rack_size && !ok) {
		level = PLACE_RACK;
		ok = place_at_rack(x, need);
	}
	if (!ok && req->within != PLACE_RACK && need <= pod_size) {
		level = PLACE_POD;
		ok = place_at_pod(x, need);
	}
	if (!ok && (req->within == PLACE_ANY || req->within == PLACE_HALL)) {
		level = PLACE_HALL;
		ok = place_at_hall(x, need);
	}
	if (!ok && req->within == PLACE_ANY) {
		level = PLACE_ANY;
		ok = place_at_site(x, need);
	}
	if (ok && x->n == need) {
		place_finish(x, out, level);
		return 1;
	}
	return 0;
}

uint16_t place_pick_gpus(uint16_t free, unsigned gpus, unsigned total,
			 unsigned g)
{
	unsigned half = total / 2;
	uint16_t picked = 0;
	unsigned got = 0;

	(void)gpus;
	/*
	 * GPUs 0..half-1 hang off socket 0 and the rest off socket 1 on HGX
	 * boards; a job that fits on one socket stays there, on the socket
	 * with the fewest free GPUs (packing keeps the other one whole).
	 */
	if (half && g <= half) {
		int best_sock = -1, best_free = 99;

		for (unsigned s = 0; s < 2; s++) {
			int n = 0;

			for (unsigned i = s * half; i < (s + 1) * half; i++)
				n += (free >> i) & 1;
			if (n >= (int)g && n < best_free) {
				best_free = n;
				best_sock = (int)s;
			}
		}
		if (best_sock >= 0) {
			for (unsigned i = (unsigned)best_sock * half;
			     i < ((unsigned)best_sock + 1) * half && got < g;
			     i++)
				if (free & (1u << i)) {
					picked |= (uint16_t)(1u << i);
					got++;
				}
			return picked;
		}
	}
	for (unsigned i = 0; i < total && got < g; i++)
		if (free & (1u << i)) {
			picked |= (uint16_t)(1u << i);
			got++;
		}
	return got == g ? picked : 0;
}

/* May this node take g GPUs of a one-node job now? */
static bool place_partial_usable(const struct place_ctx *x,
				 const struct node *n, unsigned g)
{
	const struct place_req *req = x->req;

	if (n->av != NODE_AV_PARTIAL && n->av != NODE_AV_OK &&
	    !(n->av == NODE_AV_DEGRADED && req->allow_degraded) &&
	    !(n->av == NODE_AV_SPARE && req->allow_spares))
		return false;
	if (n->av == NODE_AV_PARTIAL && n->health == HEALTH_DEGRADED &&
	    !req->allow_degraded)
		return false;
	if ((unsigned)__builtin_popcount(node_free_mask(n)) < g)
		return false;
	if (x->model_id != -1 && n->model_id != x->model_id)
		return false;
	if (!place_block_ok(req, n))
		return false;
	if (req->nexclude && place_excluded(req, n))
		return false;
	if (req->nfeatures && !place_has_features(req, n))
		return false;
	return true;
}

static int place_partial(struct place_ctx *x, struct place_result *out)
{
	unsigned g = x->req->gpus_per_node;
	struct node *best = NULL;
	unsigned best_free = ~0u;
	int best_rack_free = 0;

	/* The fullest partly used node that fits: packing. */
	for (int i = 0; i < x->nracks && best_free != g; i++) {
		const struct rack *r = x->racks[i];

		if (r->cap.partial == 0)
			continue;
		for (int k = 0; k < r->nnodes; k++) {
			struct node *n = r->nodes[k];
			unsigned nf;

			if (n->av != NODE_AV_PARTIAL ||
			    !place_partial_usable(x, n, g))
				continue;
			nf = (unsigned)__builtin_popcount(node_free_mask(n));
			if (nf < best_free) {
				best = n;
				best_free = nf;
			}
		}
	}
	/* Otherwise a whole node from the fullest rack that has one. */
	if (!best) {
		for (int i = 0; i < x->nracks; i++) {
			const struct rack *r = x->racks[i];
			int rf = r->cap.free_ok + r->cap.free_degraded;

			if (rf == 0 || (best && rf >= best_rack_free))
				continue;
			for (int k = 0; k < r->nnodes; k++)
				if (r->nodes[k]->av != NODE_AV_PARTIAL &&
				    place_partial_usable(x, r->nodes[k], g) &&
				    r->nodes[k]->gpus >= g) {
					best = r->nodes[k];
					best_rack_free = rf;
					break;
				}
		}
	}
	if (!best)
		return 0;
	out->nodes = xmalloc(sizeof(*out->nodes));
	out->masks = xmalloc(sizeof(*out->masks));
	out->nodes[0] = best;
	out->masks[0] = place_pick_gpus(node_free_mask(best), best->gpus,
					best->gpus, g);
	out->n = 1;
	out->racks = out->pods = 1;
	out->level = PLACE_RACK;
	if (!out->masks[0]) {
		place_result_free(out);
		return 0;
	}
	return 1;
}

int place_find(const struct cluster *c, const struct place_req *req,
	       struct place_result *out)
{
	struct place_ctx x;
	int ok;

	memset(out, 0, sizeof(*out));
	if (req->nodes == 0 || req->gpus_per_node == 0)
		return 0;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.racks = cluster_racks(c);
	x.nracks = cluster_nracks(c);
	x.req = req;
	x.model_id = -1;
	if (req->gpu_model && *req->gpu_model) {
		x.model_id = cluster_model_lookup(c, req->gpu_model);
		if (x.model_id < 0)
			return 0; /* no node has that model */
	}
	x.scan_all = req->nfeatures > 0 || req->avail != NULL ||
		     req->only_owner;
	/* Part of one node: the packing path (not for backfill probes). */
	if (req->nodes == 1 && !req->avail && req->within == PLACE_ANY &&
	    req->gpus_per_node < 8)
		return place_partial(&x, out);
	ok = place_gang(&x, out);
	free(x.rack_cap);
	free(x.pod_cap);
	free(x.hall_cap);
	free(x.nodes);
	return ok;
}

void place_result_free(struct place_result *r)
{
	free(r->nodes);
	free(r->masks);
	memset(r, 0, sizeof(*r));
}
