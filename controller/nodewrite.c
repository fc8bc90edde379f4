/*
 * Node rows written in batches.  See nodewrite.h.
 */
#include "config.h"

#include <stdlib.h>

#include <event2/event.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/pgq.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/node.h"
#include "controller/nodewrite.h"

struct nodewrite {
	struct ctl *ctl;
	struct pgq_txn *next; /* statements added for the next batch */
	int *dirty;	      /* ids of nodes whose state row is due */
	size_t ndirty, cap;
	struct hmap *is_dirty; /* the same ids, for "already due?" */
	bool inflight;
	struct event *flush_ev;
};

static void nodewrite_kick(struct nodewrite *w)
{
	static const struct timeval zero = { 0, 0 };

	if (!w->inflight && !evtimer_pending(w->flush_ev, NULL))
		evtimer_add(w->flush_ev, &zero);
}

static void nodewrite_done(const struct pgq_result *r, void *arg)
{
	struct nodewrite *w = arg;

	w->inflight = false;
	if (!r->ok)
		log_warn("db: node rows not written: %s", r->error);
	if (w->ndirty || w->next)
		nodewrite_kick(w);
}

static void nodewrite_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nodewrite *w = arg;
	struct pgq_txn *t;
	struct err e;
	int nodes = 0;

	(void)fd;
	(void)what;
	if (w->inflight || !w->ctl->db)
		return;
	t = w->next ? w->next : pgq_txn_begin(w->ctl->db);
	w->next = NULL;
	/* Each due node as it is now: later changes made it into memory
	 * before this batch went out. */
	for (size_t i = 0; i < w->ndirty; i++) {
		const struct node *n =
			cluster_node_by_id(w->ctl->cluster, w->dirty[i]);

		if (n) {
			node_state_stmt(t, n);
			nodes++;
		}
	}
	w->ndirty = 0;
	hmap_destroy(w->is_dirty);
	w->is_dirty = hmap_create();
	if (pgq_txn_count(t) == 0) {
		pgq_txn_abort(t);
		return;
	}
	if (pgq_txn_commit(t, nodewrite_done, w, &e) < 0) {
		/* As before the batching: the rows are rewritten at the
		 * node's next change. */
		log_sub(LOG_SUB_DB, "node rows not written: %s", e.msg);
		return;
	}
	w->inflight = true;
	log_sub(LOG_SUB_DB, "node rows: %d state rows in one transaction",
		nodes);
}

struct nodewrite *nodewrite_create(struct ctl *ctl)
{
	struct nodewrite *w = xcalloc(1, sizeof(*w));

	w->ctl = ctl;
	w->is_dirty = hmap_create();
	w->flush_ev = evtimer_new(ctl->base, nodewrite_flush_cb, w);
	return w;
}

void nodewrite_destroy(struct nodewrite *w)
{
	if (!w)
		return;
	pgq_txn_abort(w->next);
	hmap_destroy(w->is_dirty);
	free(w->dirty);
	event_free(w->flush_ev);
	free(w);
}

void nodewrite_state(struct nodewrite *w, const struct node *n)
{
	uint64_t id = (uint64_t)(unsigned)n->id;

	if (hmap_get(w->is_dirty, id))
		return;
	if (w->ndirty == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->dirty = xreallocarray(w->dirty, w->cap, sizeof(*w->dirty));
	}
	w->dirty[w->ndirty++] = n->id;
	hmap_put(w->is_dirty, id, w);
	nodewrite_kick(w);
}

struct pgq_txn *nodewrite_txn(struct nodewrite *w)
{
	if (!w->ctl->db)
		return NULL;
	if (!w->next)
		w->next = pgq_txn_begin(w->ctl->db);
	nodewrite_kick(w);
	return w->next;
}
