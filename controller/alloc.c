/*
 * Allocation bookkeeping: reserving and releasing node GPUs, the index
 * of allocations by (job, epoch), and closing the allocation row in the
 * database once every node is free.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/hostlist.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"

/* Epochs stay far below 2^20 (restarts are capped at 1000). */
static uint64_t alloc_key(uint64_t job_id, uint32_t epoch)
{
	return job_id << 20 | (epoch & 0xfffff);
}

struct alloc *alloc_create(struct ctl *ctl, struct job *job, uint32_t epoch,
			   struct node *const *nodes, const uint16_t *masks,
			   int n)
{
	struct alloc *a = xcalloc(1, sizeof(*a));

	a->ctl = ctl;
	a->job = job;
	a->job_id = job->id;
	a->epoch = epoch;
	a->ranks_per_node = job->ranks_per_node;
	a->nparts = n;
	a->parts = xcalloc((size_t)n, sizeof(*a->parts));
	a->created_mono_ms = util_now_mono_ms();
	a->end_reason = xstrdup("");
	for (int i = 0; i < n; i++) {
		a->parts[i].node = nodes[i];
		a->parts[i].gpu_mask = masks[i];
		if (node_use_add(nodes[i], a, i, masks[i]) < 0)
			fatal("alloc job=%" PRIu64 ": node %s GPUs 0x%x "
			      "already in use (scheduler bug)",
			      job->id, nodes[i]->name, masks[i]);
	}
	a->next = ctl->allocs;
	if (ctl->allocs)
		ctl->allocs->prev = a;
	ctl->allocs = a;
	ctl->nallocs++;
	hmap_put(ctl->alloc_index, alloc_key(job->id, epoch), a);
	return a;
}

struct alloc *alloc_find(struct ctl *ctl, uint64_t job_id, uint32_t epoch)
{
	return hmap_get(ctl->alloc_index, alloc_key(job_id, epoch));
}

int alloc_part_index(const struct alloc *a, const struct node *n)
{
	return node_use_part(n, a);
}

static void alloc_free(struct alloc *a)
{
	struct ctl *ctl = a->ctl;

	if (a->prev)
		a->prev->next = a->next;
	else
		ctl->allocs = a->next;
	if (a->next)
		a->next->prev = a->prev;
	ctl->nallocs--;
	hmap_del(ctl->alloc_index, alloc_key(a->job_id, a->epoch));
	if (a->job && a->job->alloc == a)
		a->job->alloc = NULL;
	if (a->timer)
		event_free(a->timer);
	free(a->parts);
	free(a->end_reason);
	free(a);
}

static void alloc_close_done(const struct pgq_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		log_warn("db: closing allocation row failed: %s", r->error);
}

static void alloc_close_row(struct alloc *a)
{
	char id[24], epoch[16];
	const char *vals[3] = { id, epoch, a->end_reason };
	struct err e;

	snprintf(id, sizeof(id), "%" PRIu64, a->job_id);
	snprintf(epoch, sizeof(epoch), "%u", a->epoch);
	if (pgq_submit(a->ctl->db,
		       "UPDATE allocations SET ended_at = now(), "
		       "end_reason = $3 WHERE job_id = $1 AND epoch = $2 "
		       "AND ended_at IS NULL",
		       3, vals, alloc_close_done, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "job=%s epoch=%s: allocation close not "
			"written: %s", id, epoch, e.msg);
}

void alloc_release_part(struct alloc *a, int i)
{
	struct alloc_part *p = &a->parts[i];

	if (p->state == PART_RELEASED)
		return;
	node_use_remove(p->node, a);
	p->state = PART_RELEASED;
	a->parts_released++;
	ctl_sched_soon(a->ctl);
	if (a->parts_released < a->nparts)
		return;
	log_sub(LOG_SUB_LAUNCH, "job=%" PRIu64 " epoch=%u: every node released",
		a->job_id, a->epoch);
	if (a->committed)
		alloc_close_row(a);
	alloc_free(a);
}

void alloc_discard(struct alloc *a)
{
	for (int i = 0; i < a->nparts; i++)
		if (a->parts[i].state != PART_RELEASED) {
			node_use_remove(a->parts[i].node, a);
			a->parts[i].state = PART_RELEASED;
		}
	alloc_free(a);
	/* alloc_free does not ask for a pass; freed GPUs deserve one. */
}

char *alloc_nodelist(const struct alloc *a)
{
	struct hostlist *hl = hostlist_create();
	char *s;

	for (int i = 0; i < a->nparts; i++)
		if (hostlist_push(hl, a->parts[i].node->name) < 0)
			log_err("node name %s rejected by hostlist",
				a->parts[i].node->name);
	s = hostlist_format(hl);
	hostlist_destroy(hl);
	return s;
}

void alloc_set_end_reason(struct alloc *a, const char *reason)
{
	free(a->end_reason);
	a->end_reason = xstrdup(reason ? reason : "");
}

void alloc_destroy_all(struct ctl *ctl)
{
	while (ctl->allocs) {
		struct alloc *a = ctl->allocs;

		for (int i = 0; i < a->nparts; i++)
			if (a->parts[i].state != PART_RELEASED)
				node_use_remove(a->parts[i].node, a);
		alloc_free(a);
	}
}
