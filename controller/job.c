/*
 * Job objects, the job table and the job state machine.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/hostlist.h"
#include <stdint.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/submitq.h"

static const char *const job_state_names[] = {
	[0] = "unknown",
	[JOB_PENDING] = "pending",
	[JOB_HELD] = "held",
	[JOB_STARTING] = "starting",
	[JOB_RUNNING] = "running",
	[JOB_COMPLETING] = "completing",
	[JOB_COMPLETED] = "completed",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
	[JOB_TIMEOUT] = "timeout",
};

/* Allowed moves.  Anything else is a bug and is refused. */
static const struct {
	enum job_state from, to;
} job_transitions[] = {
	{ JOB_PENDING, JOB_HELD },	 { JOB_PENDING, JOB_STARTING },
	{ JOB_PENDING, JOB_CANCELLED },	 { JOB_PENDING, JOB_FAILED },
	{ JOB_HELD, JOB_PENDING },	 { JOB_HELD, JOB_CANCELLED },
	{ JOB_STARTING, JOB_RUNNING },	 { JOB_STARTING, JOB_PENDING },
	{ JOB_STARTING, JOB_FAILED },	 { JOB_STARTING, JOB_CANCELLED },
	{ JOB_STARTING, JOB_TIMEOUT },	 { JOB_STARTING, JOB_COMPLETED },
	{ JOB_RUNNING, JOB_COMPLETED },	 { JOB_RUNNING, JOB_FAILED },
	{ JOB_RUNNING, JOB_CANCELLED },	 { JOB_RUNNING, JOB_TIMEOUT },
	{ JOB_RUNNING, JOB_PENDING },
};

bool job_state_final(enum job_state s)
{
	return s == JOB_COMPLETED || s == JOB_FAILED || s == JOB_CANCELLED ||
	       s == JOB_TIMEOUT;
}

const char *job_state_name(enum job_state s)
{
	return (size_t)s < ARRAY_SIZE(job_state_names) && job_state_names[s]
		       ? job_state_names[s]
		       : "unknown";
}

int job_state_parse(const char *s)
{
	for (size_t i = 1; i < ARRAY_SIZE(job_state_names); i++)
		if (job_state_names[i] && !strcmp(job_state_names[i], s))
			return (int)i;
	return -1;
}

static void job_copy_ids(uint64_t **dst, int *n, const uint64_t *src,
			 size_t count)
{
	*n = (int)count;
	*dst = count ? xcalloc(count, sizeof(uint64_t)) : NULL;
	if (count)
		memcpy(*dst, src, count * sizeof(uint64_t));
}

struct job *job_create(uint64_t id, const char *user, const uint8_t *spec,
		       size_t spec_len, const Colossus__JobSpec *parsed)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->id = id;
	job->state = JOB_PENDING;
	job->user = xstrdup(user);
	job->account = xstrdup(parsed->account ? parsed->account : "");
	job->qos = xstrdup(parsed->qos && *parsed->qos ? parsed->qos
						       : "normal");
	job->name = xstrdup(parsed->name ? parsed->name : "");
	job->gpu_model = xstrdup(parsed->gpu_model ? parsed->gpu_model : "");
	job->spec = xmalloc(spec_len ? spec_len : 1);
	if (spec_len)
		memcpy(job->spec, spec, spec_len);
	job->spec_len = spec_len;
	job->nodes = parsed->nodes;
	job->gpus_per_node = parsed->gpus_per_node;
	job->ranks_per_node = parsed->rank_per_gpu ? parsed->gpus_per_node
			      : parsed->ranks_per_node ? parsed->ranks_per_node
						       : 1;
	job->time_limit_sec = parsed->time_limit_sec;
	job->max_restarts = parsed->max_restarts;
	job->reason = xstrdup("");
	job->within = (int)parsed->within;
	job->within_wait_sec = parsed->within_wait_sec;
	job->segment = parsed->segment;
	job->nfeatures = (int)parsed->n_features;
	job->features = xcalloc(parsed->n_features + 1, sizeof(char *));
	for (size_t i = 0; i < parsed->n_features; i++)
		job->features[i] = xstrdup(parsed->features[i]);
	job_copy_ids(&job->after, &job->nafter, parsed->after,
		     parsed->n_after);
	job_copy_ids(&job->after_ok, &job->nafter_ok, parsed->after_ok,
		     parsed->n_after_ok);
	job_copy_ids(&job->after_not_ok, &job->nafter_not_ok,
		     parsed->after_not_ok, parsed->n_after_not_ok);
	job->reservation = xstrdup(parsed->reservation ? parsed->reservation
						       : "");
	job->nice = parsed->nice;
	job->requeue_on_failure = parsed->requeue_on_failure;
	return job;
}

void job_resolve_excludes(struct job *job, const struct cluster *c,
			  const Colossus__JobSpec *spec)
{
	for (size_t i = 0; i < spec->n_exclude_nodes; i++) {
		struct hostlist *hl = hostlist_create();
		struct err e;

		if (hostlist_parse(hl, spec->exclude_nodes[i], 200000, &e) == 0)
			for (size_t k = 0; k < hostlist_count(hl); k++) {
				const struct node *n =
					cluster_node(c, hostlist_nth(hl, k));

				if (n)
					job_exclude(job, n->id);
			}
		hostlist_destroy(hl);
	}
}

void job_exclude(struct job *job, int node_id)
{
	for (int i = 0; i < job->nexclude; i++)
		if (job->exclude[i] == node_id)
			return;
	job->exclude = xreallocarray(job->exclude, (size_t)job->nexclude + 1,
				     sizeof(int));
	job->exclude[job->nexclude++] = node_id;
}

void job_destroy(struct job *job)
{
	if (!job)
		return;
	if (job->alloc)
		job->alloc->job = NULL;
	free(job->user);
	free(job->account);
	free(job->qos);
	free(job->name);
	free(job->gpu_model);
	free(job->submit_key);
	free(job->nodelist);
	for (int i = 0; i < job->nfeatures; i++)
		free(job->features[i]);
	free(job->features);
	free(job->after);
	free(job->after_ok);
	free(job->after_not_ok);
	free(job->reservation);
	free(job->exclude);
	free(job->claim);
	free(job->spec);
	free(job->reason);
	free(job);
}

void job_set_reason(struct job *job, const char *reason)
{
	if (!strcmp(job->reason, reason ? reason : ""))
		return;
	free(job->reason);
	job->reason = xstrdup(reason ? reason : "");
}

struct job_table {
	struct hmap *by_id;
	uint64_t next_id;
};

struct job_table *job_table_create(void)
{
	struct job_table *t = xcalloc(1, sizeof(*t));

	t->by_id = hmap_create();
	t->next_id = 1;
	return t;
}

void job_table_destroy(struct job_table *t)
{
	size_t pos = 0;
	void *v;

	if (!t)
		return;
	while (hmap_next(t->by_id, &pos, NULL, &v))
		job_destroy(v);
	hmap_destroy(t->by_id);
	free(t);
}

void job_table_add(struct job_table *t, struct job *job)
{
	hmap_put(t->by_id, job->id, job);
	if (job->id >= t->next_id)
		t->next_id = job->id + 1;
}

struct job *job_table_get(const struct job_table *t, uint64_t id)
{
	return hmap_get(t->by_id, id);
}

void job_table_remove(struct job_table *t, struct job *job)
{
	hmap_del(t->by_id, job->id);
	job_destroy(job);
}

size_t job_table_count(const struct job_table *t)
{
	return hmap_count(t->by_id);
}

struct job *job_table_next(const struct job_table *t, size_t *pos)
{
	void *v;

	return hmap_next(t->by_id, pos, NULL, &v) ? v : NULL;
}

uint64_t job_table_next_id(struct job_table *t)
{
	return t->next_id++;
}

uint64_t job_table_peek_next_id(const struct job_table *t)
{
	return t->next_id;
}

void job_table_set_next_id(struct job_table *t, uint64_t next)
{
	if (next > t->next_id)
		t->next_id = next;
}

struct job_write {
	struct ctl *ctl;
	uint64_t id;
};

static void job_persist_done(const struct pgq_result *r, void *arg)
{
	struct job_write *w = arg;
	struct job *job = job_table_get(w->ctl->jobs, w->id);

	if (!r->ok) {
		if (job)
			job->dirty = true;
		log_warn("job=%" PRIu64 ": state write failed: %s", w->id,
			 r->error);
	}
	free(w);
}

/* The statement that writes a job's whole state row. */
static const char job_update_sql[] =
	"UPDATE jobs SET state = $2, reason = $3, epoch = $4, restarts = $5, "
	"exit_code = $6, start_time = to_timestamp($7), "
	"end_time = to_timestamp($8) WHERE id = $1";

void job_add_persist(struct pgq_txn *t, const struct job *job)
{
	char id[24], epoch[16], restarts[16], exitc[16], start[24], end[24];
	const char *vals[8];

	snprintf(id, sizeof(id), "%" PRIu64, job->id);
	snprintf(epoch, sizeof(epoch), "%u", job->epoch);
	snprintf(restarts, sizeof(restarts), "%u", job->restarts);
	snprintf(exitc, sizeof(exitc), "%d", job->exit_code);
	snprintf(start, sizeof(start), "%" PRId64, job->start_time);
	snprintf(end, sizeof(end), "%" PRId64, job->end_time);
	vals[0] = id;
	vals[1] = job_state_name(job->state);
	vals[2] = job->reason;
	vals[3] = epoch;
	vals[4] = restarts;
	vals[5] = job->has_exit_code ? exitc : NULL;
	vals[6] = job->start_time ? start : NULL;
	vals[7] = job->end_time ? end : NULL;
	pgq_txn_add(t, job_update_sql, 8, vals);
}

void job_persist(struct ctl *ctl, struct job *job)
{
	struct pgq_txn *t = pgq_txn_begin(ctl->db);
	struct job_write *w = xmalloc(sizeof(*w));
	struct err e;

	job_add_persist(t, job);
	w->ctl = ctl;
	w->id = job->id;
	job->dirty = false;
	if (pgq_txn_commit(t, job_persist_done, w, &e) < 0) {
		/* Written again by job_flush_dirty() once the DB is back. */
		job->dirty = true;
		free(w);
	}
}

void job_flush_dirty(struct ctl *ctl)
{
	size_t pos = 0;
	struct job *job;
	int n = 0;

	while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
		if (job->dirty) {
			job_persist(ctl, job);
			n++;
		}
	}
	if (n)
		log_info("db: rewrote %d job states held in memory", n);
}

int job_set_state(struct ctl *ctl, struct job *job, enum job_state to,
		  const char *reason)
{
	return job_set_state_txn(ctl, job, to, reason, NULL);
}

int job_set_state_txn(struct ctl *ctl, struct job *job, enum job_state to,
		      const char *reason, struct pgq_txn *t)
{
	enum job_state from = job->state;
	bool allowed = false;
	char ev[64];

	for (size_t i = 0; i < ARRAY_SIZE(job_transitions); i++)
		if (job_transitions[i].from == from &&
		    job_transitions[i].to == to)
			allowed = true;
	if (!allowed) {
		log_err("job=%" PRIu64 ": refused transition %s -> %s (%s)",
			job->id, job_state_name(from), job_state_name(to),
			reason ? reason : "");
		return -1;
	}
	job->state = to;
	job_set_reason(job, reason);
	if (to == JOB_RUNNING && !job->start_time)
		job->start_time = util_now_wall_s();
	if (job_state_final(to)) {
		job->end_time = util_now_wall_s();
		job->finished_mono_ms = util_now_mono_ms();
		ctl->stats.jobs_finished++;
	}
	log_info("job=%" PRIu64 " epoch=%u state=%s from=%s reason=\"%s\"",
		 job->id, job->epoch, job_state_name(to), job_state_name(from),
		 reason ? reason : "");
	snprintf(ev, sizeof(ev), "job_%s", job_state_name(to));
	ctl_event(ctl, ev, to == JOB_FAILED ? "warning" : "info", "controller",
		  job->id, 0, 0, reason ? reason : "");
	if (t)
		job_add_persist(t, job);
	else
		job_persist(ctl, job);
	return 0;
}

void job_to_info(const struct job *job, Colossus__JobInfo *info,
		 Colossus__PriorityFactors *pf)
{
	info->id = job->id;
	info->name = job->name;
	info->user = job->user;
	info->account = job->account;
	info->qos = job->qos;
	info->state = (Colossus__JobState)job->state;
	info->reason = job->reason;
	info->nodes = job->nodes;
	info->gpus_per_node = job->gpus_per_node;
	info->gpus = job->nodes * job->gpus_per_node;
	info->submit_time = job->submit_time;
	info->start_time = job->start_time;
	info->end_time = job->end_time;
	info->exit_code = job->exit_code;
	info->epoch = job->epoch;
	info->restarts = job->restarts;
	info->time_limit_sec = job->time_limit_sec;
	info->priority = job->priority;
	info->nodelist = job->nodelist ? job->nodelist : (char *)"";
	info->expected_start = job->expected_start;
	info->queue_position = job->queue_pos;
	info->array_job_id = job->array_job_id;
	info->array_task = job->array_task;
	info->reservation = job->reservation;
	if (pf) {
		colossus__priority_factors__init(pf);
		pf->age = job->factors.age;
		pf->size = job->factors.size;
		pf->fairshare = job->factors.fairshare;
		pf->qos = job->factors.qos;
		pf->boost = job->factors.boost;
		pf->nice = job->factors.nice;
		info->factors = pf;
	}
}

void job_expire_finished(struct ctl *ctl)
{
	int64_t cutoff = util_now_mono_ms() -
			 (int64_t)ctl->cfg.finished_retention_sec * 1000;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0, pos = 0;
	struct job *job;

	while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
		if (!job_state_final(job->state) || job->dirty ||
		    job->finished_mono_ms > cutoff)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = job->id;
	}
	for (size_t i = 0; i < n; i++) {
		job = job_table_get(ctl->jobs, ids[i]);
		if (!job)
			continue;
		/* Dependencies may still ask how it ended. */
		hmap_put(ctl->finished_states, job->id,
			 (void *)(uintptr_t)job->state);
		submitq_forget_key(ctl->submitq, job);
		job_table_remove(ctl->jobs, job);
	}
	free(ids);
}
