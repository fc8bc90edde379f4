/*
 * Group commit of job submissions.  See submitq.h.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/rpc.h"
#include "controller/submitq.h"

#define SUBMIT_COLS 15

/*
 * Group commit: at most this many batches are being committed at once;
 * what arrives meanwhile waits and goes in the next batch.  PostgreSQL
 * commits the statements of one session one after the other, each with
 * its WAL flush (~1 ms here), so sending every loop iteration's few
 * submissions as soon as they came only made many small commits (1.5
 * jobs each at 16 clients); waiting for the flush lets one commit carry
 * every submission that arrived during the previous one.
 */
#define SUBMITQ_MAX_INFLIGHT 1

/* One submission: one job, or every task of an array. */
struct submit_item {
	struct rpc_req *r; /* NULL for jobs in limbo */
	struct job **jobs;
	int njobs;
	struct submit_item *next;
};

struct submit_batch {
	struct submitq *q;
	struct submit_item *items;
	int n;	    /* jobs */
	int nitems; /* submissions */
};

struct submitq {
	struct ctl *ctl;
	struct submit_item *head, *tail;
	int queued;
	struct event *flush_ev;
	int inflight; /* batches sent, not answered yet */
	struct submit_item *limbo;
	/* hash(user, key) -> job (committed or in flight); hits are checked
	 * against the job's own user and key. */
	struct hmap *keys;
};

static uint64_t submitq_keyhash(const char *user, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = user; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	h = (h ^ 0x1f) * 0x100000001b3ull;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h;
}

void submitq_remember_key(struct submitq *q, struct job *job)
{
	if (job->submit_key)
		hmap_put(q->keys, submitq_keyhash(job->user, job->submit_key),
			 job);
}

struct job *submitq_find_key(struct submitq *q, const char *user,
			     const char *key, int *in_flight)
{
	struct job *job = hmap_get(q->keys, submitq_keyhash(user, key));

	if (job && (!job->submit_key || strcmp(job->user, user) ||
		    strcmp(job->submit_key, key)))
		job = NULL;
	*in_flight = job && !job_table_get(q->ctl->jobs, job->id);
	return job;
}

void submitq_forget_key(struct submitq *q, const struct job *job)
{
	uint64_t h;

	if (!job->submit_key)
		return;
	h = submitq_keyhash(job->user, job->submit_key);
	if (hmap_get(q->keys, h) == job)
		hmap_del(q->keys, h);
}

static void submitq_reply(struct rpc_req *r, struct job **jobs, int n)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__SubmitJobReply reply = COLOSSUS__SUBMIT_JOB_REPLY__INIT;
	uint64_t *ids = NULL;

	reply.job_id = jobs[0]->id;
	if (n > 1 || jobs[0]->array_job_id) {
		ids = xcalloc((size_t)n, sizeof(*ids));
		for (int i = 0; i < n; i++)
			ids[i] = jobs[i]->id;
		reply.n_array_job_ids = (size_t)n;
		reply.array_job_ids = ids;
	}
	resp.body_case = COLOSSUS__RESPONSE__BODY_SUBMIT_JOB;
	resp.submit_job = &reply;
	rpc_respond(r, &resp);
	free(ids);
}

static void submitq_item_free(struct submit_item *it, bool destroy_jobs)
{
	if (destroy_jobs)
		for (int i = 0; i < it->njobs; i++)
			job_destroy(it->jobs[i]);
	free(it->jobs);
	free(it);
}

static void submitq_accept(struct submitq *q, struct job *job)
{
	struct ctl *ctl = q->ctl;

	job_table_add(ctl->jobs, job);
	ctl->stats.jobs_submitted++;
	log_info("job=%" PRIu64 " submitted user=%s nodes=%u gpus_per_node=%u "
		 "state=%s",
		 job->id, job->user, job->nodes, job->gpus_per_node,
		 job_state_name(job->state));
}

static void submitq_free_items(struct submit_item *it, bool destroy_jobs)
{
	while (it) {
		struct submit_item *next = it->next;

		submitq_item_free(it, destroy_jobs);
		it = next;
	}
}

static void submitq_send(struct submitq *q, struct submit_item *items);

static void submitq_batch_done(const struct pgq_result *res, void *arg)
{
	struct submit_batch *b = arg;
	struct submitq *q = b->q;
	struct submit_item *it, *next;

	q->inflight--;
	/* The next batch: whatever arrived while this one committed. */
	if (q->head)
		event_active(q->flush_ev, EV_TIMEOUT, 0);
	/*
	 * The database refused the batch (not a lost connection): one row
	 * it would not take (a value validation missed) must not fail the
	 * other submissions.  The transaction rolled back, so each is sent
	 * again alone, and only the bad one gets the error.
	 */
	if (!res->ok && !res->lost && b->nitems > 1 && q->ctl->db_up) {
		log_warn("submit: batch of %d submissions refused (%s%s%s); "
			 "recording each alone",
			 b->nitems, res->sqlstate ? res->sqlstate : "",
			 res->sqlstate && *res->sqlstate ? ": " : "",
			 res->error);
		for (it = b->items; it; it = next) {
			next = it->next;
			it->next = NULL;
			submitq_send(q, it);
		}
		free(b);
		return;
	}
	for (it = b->items; it; it = next) {
		next = it->next;
		if (res->ok) {
			for (int i = 0; i < it->njobs; i++) {
				submitq_accept(q, it->jobs[i]);
				ctl_sched_new_job(q->ctl, it->jobs[i]->id);
			}
			submitq_reply(it->r, it->jobs, it->njobs);
			submitq_item_free(it, false);
		} else if (res->lost) {
			/* Unknown outcome: park until the database is back. */
			rpc_error(it->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
				  "database connection lost while recording "
				  "job %" PRIu64 "; retry with the same "
				  "command (it is safe)",
				  it->jobs[0]->id);
			it->r = NULL;
			it->next = q->limbo;
			q->limbo = it;
		} else {
			/* Class 22 (data exception): a value of this request
			 * that validation let through; retrying cannot help. */
			bool bad = res->sqlstate &&
				   !strncmp(res->sqlstate, "22", 2);

			rpc_error(it->r,
				  bad ? COLOSSUS__STATUS__STATUS_INVALID
				      : COLOSSUS__STATUS__STATUS_UNAVAILABLE,
				  "job not recorded: %s", res->error);
			submitq_forget_key(q, it->jobs[0]);
			submitq_item_free(it, true);
		}
	}
	free(b);
}

/* Append "$a,$b,...,to_timestamp($x),..." for one row. */
static size_t submitq_row_sql(char *sql, size_t cap, size_t used, int row)
{
	int b = row * SUBMIT_COLS;

	return used + (size_t)snprintf(
			      sql + used, cap - used,
			      "%s($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,"
			      "to_timestamp($%d),$%d,$%d,$%d)",
			      row ? "," : "", b + 1, b + 2, b + 3, b + 4, b + 5,
			      b + 6, b + 7, b + 8, b + 9, b + 10, b + 11,
			      b + 12, b + 13, b + 14, b + 15);
}

static char *submitq_hex(const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 3);

	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		s[2 + 2 * i] = hex[p[i] >> 4];
		s[3 + 2 * i] = hex[p[i] & 15];
	}
	s[2 + 2 * n] = '\0';
	return s;
}

/*
 * Send the submissions of the list items (already unlinked from the
 * queue) as one multi-row INSERT; submitq_batch_done answers them.
 */
static void submitq_send(struct submitq *q, struct submit_item *items)
{
	struct ctl *ctl = q->ctl;
	const int cols = SUBMIT_COLS;
	struct submit_batch *b = xcalloc(1, sizeof(*b));
	struct submit_item *it;
	size_t cap, used;
	const char **cv;
	char *sql;
	char **vals;
	struct err e;
	int n = 0;

	b->q = q;
	b->items = items;
	q->inflight++;
	for (it = items; it; it = it->next) {
		n += it->njobs;
		b->nitems++;
	}
	b->n = n;
	cap = 200 + (size_t)n * 140;
	sql = xmalloc(cap);
	used = (size_t)snprintf(sql, cap,
				"INSERT INTO jobs (id, user_name, "
				"account, qos, name, state, reason, "
				"nodes, gpus_per_node, time_limit_sec, "
				"spec, submit_time, submit_key, "
				"array_job_id, array_task) VALUES ");
	vals = xcalloc((size_t)n * (size_t)cols, sizeof(char *));
	n = 0;
	for (it = items; it; it = it->next)
		for (int k = 0; k < it->njobs; k++, n++) {
			struct job *job = it->jobs[k];
			char **v = vals + (size_t)n * (size_t)cols;

			used = submitq_row_sql(sql, cap, used, n);
			v[0] = xasprintf("%" PRIu64, job->id);
			v[1] = xstrdup(job->user);
			v[2] = xstrdup(job->account);
			v[3] = xstrdup(job->qos);
			v[4] = xstrdup(job->name);
			v[5] = xstrdup(job_state_name(job->state));
			v[6] = xstrdup(job->reason);
			v[7] = xasprintf("%u", job->nodes);
			v[8] = xasprintf("%u", job->gpus_per_node);
			v[9] = xasprintf("%" PRIu64, job->time_limit_sec);
			v[10] = submitq_hex(job->spec, job->spec_len);
			v[11] = xasprintf("%" PRId64, job->submit_time);
			v[12] = job->submit_key ? xstrdup(job->submit_key)
						: NULL;
			v[13] = job->array_job_id ? xasprintf("%" PRIu64,
							      job->array_job_id)
						  : NULL;
			v[14] = job->array_job_id
					? xasprintf("%u", job->array_task)
					: NULL;
		}
	/* Parameters only: the SQL text holds no data. */
	cv = xcalloc((size_t)n * (size_t)cols, sizeof(char *));
	for (size_t i = 0; i < (size_t)n * (size_t)cols; i++)
		cv[i] = vals[i];
	if (pgq_submit(ctl->db, sql, n * cols, cv, submitq_batch_done, b, &e) <
	    0) {
		struct pgq_result res = { .ok = false, .error = e.msg };

		submitq_batch_done(&res, b);
	}
	free(cv);
	for (size_t i = 0; i < (size_t)n * (size_t)cols; i++)
		free(vals[i]);
	free(vals);
	free(sql);
}

static void submitq_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct submitq *q = arg;
	struct ctl *ctl = q->ctl;

	(void)fd;
	(void)what;
	while (q->head && q->inflight < SUBMITQ_MAX_INFLIGHT) {
		int max = (int)ctl->cfg.submit_batch_max;
		struct submit_item *it, *items = q->head, *last = NULL;
		int n = 0, nitems = 0;

		/* Take whole submissions up to about max jobs. */
		for (it = q->head; it && (n < max || nitems == 0);
		     it = it->next) {
			last = it;
			n += it->njobs;
			nitems++;
		}
		q->head = last->next;
		if (!q->head)
			q->tail = NULL;
		last->next = NULL;
		q->queued -= nitems;
		submitq_send(q, items);
	}
}

struct submitq *submitq_create(struct ctl *ctl)
{
	struct submitq *q = xcalloc(1, sizeof(*q));

	q->ctl = ctl;
	q->flush_ev = evtimer_new(ctl->base, submitq_flush_cb, q);
	q->keys = hmap_create();
	return q;
}

void submitq_destroy(struct submitq *q)
{
	struct submit_item *it;

	if (!q)
		return;
	for (it = q->head; it; it = it->next)
		rpc_error(it->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "controller shutting down");
	submitq_free_items(q->head, true);
	submitq_free_items(q->limbo, true);
	event_free(q->flush_ev);
	hmap_destroy(q->keys);
	free(q);
}

void submitq_add(struct submitq *q, struct rpc_req *r, struct job **jobs,
		 int njobs)
{
	static const struct timeval zero = { 0, 0 };
	struct submit_item *it = xcalloc(1, sizeof(*it));

	it->r = r;
	it->jobs = xcalloc((size_t)njobs, sizeof(*jobs));
	memcpy(it->jobs, jobs, (size_t)njobs * sizeof(*jobs));
	it->njobs = njobs;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->queued++;
	submitq_remember_key(q, jobs[0]);
	/* Everything that arrives before the loop comes round joins. */
	event_add(q->flush_ev, &zero);
}

struct limbo_check {
	struct submitq *q;
	struct submit_item *items;
};

static void submitq_limbo_done(const struct pgq_result *r, void *arg)
{
	struct limbo_check *lc = arg;
	struct submitq *q = lc->q;
	struct submit_item *it, *next;
	struct hmap *found = hmap_create();
	int nfound = 0, nlost = 0;

	if (!r->ok) {
		/* Try again on the next reconnect. */
		for (it = lc->items; it; it = next) {
			next = it->next;
			it->next = q->limbo;
			q->limbo = it;
		}
		hmap_destroy(found);
		free(lc);
		return;
	}
	for (int i = 0; i < pgq_ntuples(r, 0); i++) {
		const char *v = pgq_value(r, 0, i, 0);

		if (v)
			hmap_put(found, strtoull(v, NULL, 10), (void *)1);
	}
	/* A submission's jobs commit together: its first job tells. */
	for (it = lc->items; it; it = next) {
		next = it->next;
		if (hmap_get(found, it->jobs[0]->id)) {
			for (int i = 0; i < it->njobs; i++)
				submitq_accept(q, it->jobs[i]);
			nfound++;
			submitq_item_free(it, false);
		} else {
			submitq_forget_key(q, it->jobs[0]);
			nlost++;
			submitq_item_free(it, true);
		}
	}
	log_info("submit: resolved jobs of uncertain batches: %d recorded, %d "
		 "not recorded",
		 nfound, nlost);
	hmap_destroy(found);
	free(lc);
	ctl_sched_soon(q->ctl);
}

void submitq_db_up(struct submitq *q)
{
	struct limbo_check *lc;
	struct submit_item *it;
	size_t cap = 16, used = 0;
	char *arr;
	const char *vals[1];
	struct err e;

	if (!q->limbo)
		return;
	arr = xmalloc(cap);
	arr[used++] = '{';
	for (it = q->limbo; it; it = it->next) {
		char num[24];
		int len = snprintf(num, sizeof(num), "%s%" PRIu64,
				   used > 1 ? "," : "", it->jobs[0]->id);

		if (used + (size_t)len + 2 > cap) {
			cap = (cap + (size_t)len) * 2;
			arr = xrealloc(arr, cap);
		}
		memcpy(arr + used, num, (size_t)len);
		used += (size_t)len;
	}
	arr[used++] = '}';
	arr[used] = '\0';
	lc = xcalloc(1, sizeof(*lc));
	lc->q = q;
	lc->items = q->limbo;
	q->limbo = NULL;
	vals[0] = arr;
	if (pgq_submit(q->ctl->db,
		       "SELECT id FROM jobs WHERE id = ANY($1::bigint[])", 1,
		       vals, submitq_limbo_done, lc, &e) < 0) {
		struct pgq_result r = { .ok = false, .error = e.msg };

		submitq_limbo_done(&r, lc);
	}
	free(arr);
}
