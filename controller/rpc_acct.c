/*
 * Accounting handlers: history (finished jobs with every attempt, its
 * nodes and GPUs by UUID) and report (GPU-hours by account and user over
 * a period, with the share lost to failed attempts).  Both read the views
 * of sql/0003_accounting.sql with ONE parameterized query each, never
 * blocking the loop; neither touches the in-memory model.
 *
 * A user sees only their own jobs and usage; admins and monitors see
 * everyone's (DESIGN invariant 6: the name comes from the certificate).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/pgq.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/peer.h"
#include "controller/rpc.h"
#include "controller/rpc_acct.h"

#define ACCT_HISTORY_DEFAULT 100
#define ACCT_HISTORY_MAX 10000
#define ACCT_REPORT_DEFAULT_SEC (30 * 86400)

/* ---- rows to messages ------------------------------------------------- */

static int64_t acct_i64(const struct pgq_result *res, int row, int col)
{
	const char *v = pgq_value(res, 0, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static char *acct_str(const struct pgq_result *res, int row, int col)
{
	const char *v = pgq_value(res, 0, row, col);

	return xstrdup(v ? v : "");
}

/* Append item to a heap array of pointers. */
#define ACCT_PUSH(arr, n, item)                                                \
	do {                                                                   \
		(arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr)));         \
		(arr)[(n)++] = (item);                                         \
	} while (0)

static Colossus__JobInfo *acct_job_from_row(const struct pgq_result *res,
					    int row)
{
	Colossus__JobInfo *ji = xmalloc(sizeof(*ji));
	const char *v;

	colossus__job_info__init(ji);
	ji->id = (uint64_t)acct_i64(res, row, 0);
	ji->user = acct_str(res, row, 1);
	ji->account = acct_str(res, row, 2);
	ji->qos = acct_str(res, row, 3);
	ji->name = acct_str(res, row, 4);
	v = pgq_value(res, 0, row, 5);
	ji->state = v ? (Colossus__JobState)job_state_parse(v) : 0;
	if ((int)ji->state < 0)
		ji->state = 0;
	ji->reason = acct_str(res, row, 6);
	ji->nodes = (uint32_t)acct_i64(res, row, 7);
	ji->gpus_per_node = (uint32_t)acct_i64(res, row, 8);
	ji->gpus = ji->nodes * ji->gpus_per_node;
	ji->time_limit_sec = (uint64_t)acct_i64(res, row, 9);
	ji->epoch = (uint32_t)acct_i64(res, row, 10);
	ji->restarts = (uint32_t)acct_i64(res, row, 11);
	ji->exit_code = (int32_t)acct_i64(res, row, 12);
	ji->submit_time = acct_i64(res, row, 13);
	ji->start_time = acct_i64(res, row, 14);
	ji->end_time = acct_i64(res, row, 15);
	ji->array_job_id = (uint64_t)acct_i64(res, row, 16);
	ji->array_task = (uint32_t)acct_i64(res, row, 17);
	return ji;
}

static Colossus__Attempt *acct_attempt_from_row(const struct pgq_result *res,
						int row)
{
	Colossus__Attempt *a = xmalloc(sizeof(*a));

	colossus__attempt__init(a);
	a->epoch = (uint32_t)acct_i64(res, row, 18);
	a->start_time = acct_i64(res, row, 19);
	a->end_time = acct_i64(res, row, 20);
	a->end_reason = acct_str(res, row, 21);
	a->exit_code = (int32_t)acct_i64(res, row, 22);
	return a;
}

/* "0,1,2" and "GPU-a,GPU-b" (array_to_string of the view's arrays). */
static Colossus__RankPlacement *acct_rank_from_row(const struct pgq_result *res,
						   int row)
{
	Colossus__RankPlacement *rp = xmalloc(sizeof(*rp));
	const char *idx = pgq_value(res, 0, row, 25);
	const char *uuids = pgq_value(res, 0, row, 26);

	colossus__rank_placement__init(rp);
	rp->rank = (uint32_t)acct_i64(res, row, 23);
	rp->node = acct_str(res, row, 24);
	for (const char *p = idx; p && *p;) {
		char *end;
		unsigned long g = strtoul(p, &end, 10);

		if (end == p)
			break;
		ACCT_PUSH(rp->gpus, rp->n_gpus, (uint32_t)g);
		p = *end == ',' ? end + 1 : end;
	}
	for (const char *p = uuids; p && *p;) {
		size_t len = strcspn(p, ",");

		ACCT_PUSH(rp->gpu_uuids, rp->n_gpu_uuids, xstrndup(p, len));
		p += len + (p[len] == ',');
	}
	return rp;
}

/* Each attempt's nodes as a hostlist; the job's is its last attempt's. */
static void acct_nodelist(Colossus__JobInfo *ji)
{
	for (size_t i = 0; i < ji->n_attempts; i++) {
		Colossus__Attempt *at = ji->attempts[i];
		struct hostlist *hl = hostlist_create();

		for (size_t k = 0; k < at->n_ranks; k++)
			if (hostlist_push(hl, at->ranks[k]->node) < 0)
				break;
		if (hostlist_count(hl))
			at->nodelist = hostlist_format(hl);
		hostlist_destroy(hl);
	}
	if (ji->n_attempts && ji->attempts[ji->n_attempts - 1]->nodelist !=
				      protobuf_c_empty_string)
		ji->nodelist =
			xstrdup(ji->attempts[ji->n_attempts - 1]->nodelist);
}

void rpc_acct_parse(const struct pgq_result *res, struct rpc_acct_jobs *out)
{
	Colossus__JobInfo *ji = NULL;
	Colossus__Attempt *at = NULL;
	int n = pgq_ntuples(res, 0);

	out->jobs = NULL;
	out->n = 0;
	for (int row = 0; row < n; row++) {
		uint64_t id = (uint64_t)acct_i64(res, row, 0);

		if (!ji || ji->id != id) {
			if (ji)
				acct_nodelist(ji);
			ji = acct_job_from_row(res, row);
			ACCT_PUSH(out->jobs, out->n, ji);
			at = NULL;
		}
		if (!pgq_value(res, 0, row, 18))
			continue; /* never placed */
		if (!at || at->epoch != (uint32_t)acct_i64(res, row, 18)) {
			at = acct_attempt_from_row(res, row);
			ACCT_PUSH(ji->attempts, ji->n_attempts, at);
		}
		if (pgq_value(res, 0, row, 23))
			ACCT_PUSH(at->ranks, at->n_ranks,
				  acct_rank_from_row(res, row));
	}
	if (ji)
		acct_nodelist(ji);
}

void rpc_acct_jobs_free(struct rpc_acct_jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		colossus__job_info__free_unpacked(jobs->jobs[i], NULL);
	free(jobs->jobs);
	jobs->jobs = NULL;
	jobs->n = 0;
}

/* ---- who may see what ------------------------------------------------- */

static bool acct_sees_all(const struct rpc_req *r)
{
	return r->peer->id.role == TLS_ROLE_ADMIN ||
	       r->peer->id.role == TLS_ROLE_MONITOR;
}

/*
 * The user filter to apply: a user's own name whatever they asked (and
 * refused if they asked for someone else).  Returns NULL after answering.
 */
static const char *acct_user_filter(struct rpc_req *r, const char *asked)
{
	asked = asked ? asked : "";
	if (acct_sees_all(r))
		return asked;
	if (*asked && strcmp(asked, r->peer->id.name)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_PERMISSION,
			  "users see only their own jobs and usage (asked "
			  "for %.64s's)",
			  asked);
		return NULL;
	}
	return r->peer->id.name;
}

static bool acct_valid_filter(const char *s)
{
	return !s || !*s || util_valid_name(s, 63);
}

/* ---- history ---------------------------------------------------------- */

struct history_ctx {
	struct rpc_req *r;
	uint32_t limit;
};

static void acct_history_done(const struct pgq_result *res, void *arg)
{
	struct history_ctx *hx = arg;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__HistoryReply reply = COLOSSUS__HISTORY_REPLY__INIT;
	struct rpc_acct_jobs jobs;

	if (!res->ok) {
		rpc_error(hx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "history: database error: %s", res->error);
		free(hx);
		return;
	}
	rpc_acct_parse(res, &jobs);
	/* The query asked for one job more than the limit to detect it. */
	reply.n_jobs = jobs.n > hx->limit ? hx->limit : jobs.n;
	reply.truncated = jobs.n > hx->limit;
	reply.jobs = jobs.jobs;
	resp.body_case = COLOSSUS__RESPONSE__BODY_HISTORY;
	resp.history = &reply;
	rpc_respond(hx->r, &resp);
	rpc_acct_jobs_free(&jobs);
	free(hx);
}

/* '{a,b}' for a text[] or bigint[] parameter of safe words. */
static char *acct_array(const char *const *words, size_t n)
{
	size_t cap = 3, used = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		cap += strlen(words[i]) + 1;
	s = xmalloc(cap);
	s[used++] = '{';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%s",
					 i ? "," : "", words[i]);
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

void rpc_acct_history(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__History *m = msg->history;
	const char *user = acct_user_filter(r, m->user);
	const char **states = NULL;
	char **ids = NULL;
	char *states_s = NULL, *ids_s = NULL;
	char since[24], until[24], limit[16];
	const char *vals[7];
	struct history_ctx *hx;
	int64_t now = util_now_wall_s();
	struct err e;

	if (!user)
		return;
	if (!acct_valid_filter(m->account)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "history: bad account name");
		return;
	}
	if (m->limit > ACCT_HISTORY_MAX || m->n_job_ids > ACCT_HISTORY_MAX ||
	    m->n_states > 16) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "history: at most %d jobs per request",
			  ACCT_HISTORY_MAX);
		return;
	}
	if (m->until && m->since >= m->until) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "history: the period ends before it starts");
		return;
	}
	states = xcalloc(m->n_states + 1, sizeof(*states));
	for (size_t i = 0; i < m->n_states; i++) {
		if (!job_state_final((enum job_state)m->states[i])) {
			free(states);
			rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
				  "history holds finished jobs only "
				  "(completed, failed, cancelled, timeout); "
				  "colossus jobs lists the others");
			return;
		}
		states[i] = job_state_name((enum job_state)m->states[i]);
	}
	ids = xcalloc(m->n_job_ids + 1, sizeof(*ids));
	for (size_t i = 0; i < m->n_job_ids; i++)
		ids[i] = xasprintf("%" PRIu64, m->job_ids[i]);
	states_s = acct_array(states, m->n_states);
	ids_s = acct_array((const char *const *)ids, m->n_job_ids);
	hx = xmalloc(sizeof(*hx));
	hx->r = r;
	hx->limit = m->limit ? m->limit : ACCT_HISTORY_DEFAULT;
	snprintf(since, sizeof(since), "%" PRId64, m->since);
	snprintf(until, sizeof(until), "%" PRId64,
		 m->until ? m->until : now + 1);
	snprintf(limit, sizeof(limit), "%u", hx->limit + 1);
	vals[0] = user;
	vals[1] = m->account ? m->account : "";
	vals[2] = states_s;
	vals[3] = since;
	vals[4] = until;
	vals[5] = limit;
	vals[6] = ids_s;
	if (pgq_submit(r->ctl->db,
		       "WITH sel AS (SELECT id FROM jobs"
		       " WHERE state IN ('completed', 'failed', 'cancelled',"
		       " 'timeout')"
		       " AND ($1 = '' OR user_name = $1)"
		       " AND ($2 = '' OR account = $2)"
		       " AND (cardinality($3::text[]) = 0"
		       "  OR state = ANY($3::text[]))"
		       " AND end_time >= to_timestamp($4)"
		       " AND end_time < to_timestamp($5)"
		       " AND (cardinality($7::bigint[]) = 0"
		       "  OR id = ANY($7::bigint[]))"
		       " ORDER BY end_time DESC, id DESC LIMIT $6)"
		       " SELECT " RPC_ACCT_COLUMNS " FROM sel"
		       " JOIN jobs j ON j.id = sel.id" RPC_ACCT_JOINS
		       " ORDER BY j.end_time DESC, j.id DESC, a.epoch,"
		       " n.node_rank",
		       7, vals, acct_history_done, hx, &e) < 0) {
		free(hx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "history needs the database: %s", e.msg);
	}
	for (size_t i = 0; i < m->n_job_ids; i++)
		free(ids[i]);
	free(ids);
	free(states);
	free(states_s);
	free(ids_s);
}

/* ---- report ----------------------------------------------------------- */

struct report_ctx {
	struct rpc_req *r;
	int64_t since, until;
};

static void acct_report_done(const struct pgq_result *res, void *arg)
{
	struct report_ctx *rx = arg;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__ReportReply reply = COLOSSUS__REPORT_REPLY__INIT;
	int n = res->ok ? pgq_ntuples(res, 0) : 0;
	Colossus__UsageRow *rows, **ptrs;

	if (!res->ok) {
		rpc_error(rx->r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "report: database error: %s", res->error);
		free(rx);
		return;
	}
	rows = xcalloc((size_t)n + 1, sizeof(*rows));
	ptrs = xcalloc((size_t)n + 1, sizeof(*ptrs));
	for (int i = 0; i < n; i++) {
		const char *v;

		colossus__usage_row__init(&rows[i]);
		v = pgq_value(res, 0, i, 0);
		rows[i].account = (char *)(v ? v : "");
		v = pgq_value(res, 0, i, 1);
		rows[i].user = (char *)(v ? v : "");
		rows[i].jobs = (uint32_t)acct_i64(res, i, 2);
		rows[i].attempts = (uint32_t)acct_i64(res, i, 3);
		rows[i].failed_attempts = (uint32_t)acct_i64(res, i, 4);
		v = pgq_value(res, 0, i, 5);
		rows[i].gpu_hours = v ? strtod(v, NULL) : 0;
		v = pgq_value(res, 0, i, 6);
		rows[i].failed_gpu_hours = v ? strtod(v, NULL) : 0;
		ptrs[i] = &rows[i];
	}
	reply.n_rows = (size_t)n;
	reply.rows = ptrs;
	reply.since = rx->since;
	reply.until = rx->until;
	resp.body_case = COLOSSUS__RESPONSE__BODY_REPORT;
	resp.report = &reply;
	rpc_respond(rx->r, &resp);
	free(rows);
	free(ptrs);
	free(rx);
}

void rpc_acct_report(struct rpc_req *r, const Colossus__Request *msg)
{
	const Colossus__Report *m = msg->report;
	const char *user = acct_user_filter(r, m->user);
	char since[24], until[24];
	const char *vals[4];
	struct report_ctx *rx;
	struct err e;

	if (!user)
		return;
	if (!acct_valid_filter(m->account)) {
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "report: bad account name");
		return;
	}
	rx = xmalloc(sizeof(*rx));
	rx->r = r;
	rx->until = m->until ? m->until : util_now_wall_s();
	rx->since = m->since ? m->since : rx->until - ACCT_REPORT_DEFAULT_SEC;
	if (rx->since >= rx->until) {
		free(rx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_INVALID,
			  "report: the period ends before it starts");
		return;
	}
	snprintf(since, sizeof(since), "%" PRId64, rx->since);
	snprintf(until, sizeof(until), "%" PRId64, rx->until);
	vals[0] = since;
	vals[1] = until;
	vals[2] = m->account ? m->account : "";
	vals[3] = user;
	/* Each attempt counts for the part of it inside the period. */
	if (pgq_submit(r->ctl->db,
		       "SELECT account, user_name, count(DISTINCT job_id),"
		       " count(*), count(*) FILTER (WHERE failed),"
		       " COALESCE(sum(gpus * extract(epoch FROM"
		       "  least(COALESCE(end_time, now()), to_timestamp($2))"
		       "  - greatest(start_time, to_timestamp($1)))), 0)"
		       "  / 3600.0,"
		       " COALESCE(sum(gpus * extract(epoch FROM"
		       "  least(COALESCE(end_time, now()), to_timestamp($2))"
		       "  - greatest(start_time, to_timestamp($1))))"
		       "  FILTER (WHERE failed), 0) / 3600.0"
		       " FROM job_attempts"
		       " WHERE start_time < to_timestamp($2)"
		       " AND COALESCE(end_time, now()) > to_timestamp($1)"
		       " AND ($3 = '' OR account = $3)"
		       " AND ($4 = '' OR user_name = $4)"
		       " GROUP BY account, user_name"
		       " ORDER BY account, user_name",
		       4, vals, acct_report_done, rx, &e) < 0) {
		free(rx);
		rpc_error(r, COLOSSUS__STATUS__STATUS_UNAVAILABLE,
			  "report needs the database: %s", e.msg);
	}
}
