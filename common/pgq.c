/*
 * Asynchronous libpq queue in pipeline mode.  See pgq.h.
 *
 * Each transaction is sent as its statements followed by one pipeline
 * sync.  Results come back in order: for each statement its result(s)
 * then a NULL, and for the sync a PGRES_PIPELINE_SYNC.  After an error the
 * remaining statements of that transaction report PGRES_PIPELINE_ABORTED
 * and the server rolls the implicit transaction back at the sync.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pgq.h"
#include "common/util.h"
#include "common/xalloc.h"

enum pgq_conn_state {
	PGQ_DISCONNECTED,
	PGQ_CONNECTING,
	PGQ_READY,
};

struct pgq_stmt {
	char *sql;
	int nparams;
	char **values;
};

struct pgq_txn {
	struct pgq_txn *next;
	struct pgq *q;
	struct pgq_stmt *stmts;
	int nstmts, cap;
	PGresult **results;
	int cur; /* statement whose results are being read */
	bool failed;
	char error[512];
	char sqlstate[8];
	pgq_done_fn done;
	void *arg;
	int64_t submitted_us;
};

struct pgq {
	struct event_base *base;
	char *conninfo;
	char *app_name;
	unsigned retry_min_ms, retry_max_ms, retry_ms;
	unsigned max_inflight;
	unsigned liveness_ms;
	struct event *watchdog_ev;
	int64_t progress_ms; /* last sign of life from the server */
	PGconn *conn;
	enum pgq_conn_state state;
	struct event *read_ev;
	struct event *write_ev;
	struct event *connect_ev;
	struct event *retry_ev;
	struct pgq_txn *head, *tail; /* in flight, oldest first */
	unsigned inflight;
	pgq_state_fn state_cb;
	void *state_arg;
	char last_error[512];
	struct pgq_stats stats;
};

static void pgq_start_connect(struct pgq *q);
static void pgq_lost(struct pgq *q, const char *why);

static void pgq_txn_free(struct pgq_txn *t)
{
	for (int i = 0; i < t->nstmts; i++) {
		struct pgq_stmt *s = &t->stmts[i];

		free(s->sql);
		for (int j = 0; j < s->nparams; j++)
			free(s->values[j]);
		free(s->values);
		if (t->results && t->results[i])
			PQclear(t->results[i]);
	}
	free(t->stmts);
	free(t->results);
	free(t);
}

/*
 * Copy a libpq message into dst as one line: libpq messages hold
 * newlines and tabs ("...unexpectedly\n\tThis probably means..."), and a
 * log line or an error reply must be a single line.
 */
static void pgq_one_line(char *dst, size_t len, const char *msg)
{
	size_t o = 0;
	bool space = false;

	for (const char *p = msg ? msg : ""; *p && o + 1 < len; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			dst[o++] = ' ';
		space = false;
		dst[o++] = *p;
	}
	dst[o] = '\0';
}

static void pgq_set_error(struct pgq *q, const char *msg)
{
	char tmp[sizeof(q->last_error)];

	/* msg may be q->last_error itself. */
	pgq_one_line(tmp, sizeof(tmp), msg);
	memcpy(q->last_error, tmp, sizeof(tmp));
}

static void pgq_complete(struct pgq *q, struct pgq_txn *t, bool lost)
{
	struct pgq_result r;
	int64_t lat;

	q->head = t->next;
	if (!q->head)
		q->tail = NULL;
	q->inflight--;
	memset(&r, 0, sizeof(r));
	r.ok = !t->failed && !lost;
	r.lost = lost;
	r.error = lost ? q->last_error : t->error;
	r.sqlstate = t->sqlstate;
	r.nresults = t->nstmts;
	r.results = t->results;
	q->stats.txns++;
	if (lost)
		q->stats.lost++;
	else if (t->failed)
		q->stats.errors++;
	if (r.ok) {
		lat = util_now_mono_us() - t->submitted_us;
		q->stats.latency_us_sum += (uint64_t)lat;
		if ((uint64_t)lat > q->stats.latency_us_max)
			q->stats.latency_us_max = (uint64_t)lat;
	}
	if (t->done)
		t->done(&r, t->arg);
	pgq_txn_free(t);
}

static void pgq_record_error(struct pgq_txn *t, const PGresult *res)
{
	const char *msg, *state;

	if (t->failed)
		return;
	t->failed = true;
	msg = PQresultErrorMessage(res);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	pgq_one_line(t->error, sizeof(t->error),
		     msg && *msg ? msg : "statement failed");
	if (state &&
	    util_strlcpy(t->sqlstate, state, sizeof(t->sqlstate)) < 0) {
		/* sqlstates are 5 characters */
	}
}

/* Take every result libpq has parsed; complete transactions at each sync. */
static void pgq_drain_results(struct pgq *q)
{
	while (q->head && q->conn) {
		struct pgq_txn *t = q->head;
		PGresult *res;
		ExecStatusType st;

		if (PQisBusy(q->conn))
			break;
		res = PQgetResult(q->conn);
		if (!res) {
			t->cur++;
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			pgq_complete(q, t, false);
			continue;
		}
		if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED ||
		    st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
			if (st != PGRES_PIPELINE_ABORTED)
				pgq_record_error(t, res);
			else if (!t->failed) {
				t->failed = true;
				snprintf(t->error, sizeof(t->error),
					 "transaction aborted");
			}
		}
		if (t->cur < t->nstmts && !t->results[t->cur])
			t->results[t->cur] = res;
		else
			PQclear(res);
	}
}

static void pgq_flush(struct pgq *q)
{
	int rc;

	if (!q->conn)
		return;
	rc = PQflush(q->conn);
	if (rc < 0) {
		pgq_set_error(q, PQerrorMessage(q->conn));
		pgq_lost(q, q->last_error);
		return;
	}
	if (rc == 1)
		event_add(q->write_ev, NULL);
	else
		event_del(q->write_ev);
}

static void pgq_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *q = arg;

	(void)fd;
	(void)what;
	q->progress_ms = util_now_mono_ms();
	if (!PQconsumeInput(q->conn)) {
		pgq_set_error(q, PQerrorMessage(q->conn));
		pgq_lost(q, q->last_error);
		return;
	}
	pgq_drain_results(q);
	if (q->conn && PQstatus(q->conn) == CONNECTION_BAD) {
		pgq_set_error(q, PQerrorMessage(q->conn));
		pgq_lost(q, q->last_error);
		return;
	}
	/* Reading may have unblocked pending output. */
	if (q->conn)
		pgq_flush(q);
}

static void pgq_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pgq_flush(arg);
}

static void pgq_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pgq_start_connect(arg);
}

static void pgq_schedule_retry(struct pgq *q)
{
	struct timeval tv;
	unsigned delay = q->retry_ms;

	/* Jitter keeps a fleet of controllers from reconnecting in step. */
	delay = delay / 2 + (unsigned)(random() % (delay / 2 + 1));
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	event_add(q->retry_ev, &tv);
	q->retry_ms = MIN(q->retry_ms * 2, q->retry_max_ms);
}

static void pgq_close_conn(struct pgq *q)
{
	if (q->read_ev) {
		event_free(q->read_ev);
		q->read_ev = NULL;
	}
	if (q->write_ev) {
		event_free(q->write_ev);
		q->write_ev = NULL;
	}
	if (q->connect_ev) {
		event_free(q->connect_ev);
		q->connect_ev = NULL;
	}
	if (q->conn) {
		PQfinish(q->conn);
		q->conn = NULL;
	}
}

static void pgq_lost(struct pgq *q, const char *why)
{
	bool was_ready = q->state == PGQ_READY;

	if (why && why != q->last_error)
		pgq_set_error(q, why);
	log_warn("db: connection lost: %s (%u transactions in flight)",
		 q->last_error, q->inflight);
	pgq_close_conn(q);
	q->state = PGQ_DISCONNECTED;
	while (q->head)
		pgq_complete(q, q->head, true);
	if (was_ready && q->state_cb)
		q->state_cb(false, q->state_arg);
	pgq_schedule_retry(q);
}

static void pgq_connect_failed(struct pgq *q)
{
	pgq_set_error(q, q->conn ? PQerrorMessage(q->conn) : "out of memory");
	log_sub(LOG_SUB_DB, "db: connect failed: %s", q->last_error);
	pgq_close_conn(q);
	q->state = PGQ_DISCONNECTED;
	pgq_schedule_retry(q);
}

static void pgq_notice(void *arg, const char *msg)
{
	(void)arg;
	log_sub(LOG_SUB_DB, "db notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void pgq_ready(struct pgq *q)
{
	int fd = PQsocket(q->conn);

	PQsetNoticeProcessor(q->conn, pgq_notice, NULL);
	if (PQsetnonblocking(q->conn, 1) != 0 ||
	    PQenterPipelineMode(q->conn) != 1) {
		pgq_connect_failed(q);
		return;
	}
	q->read_ev =
		event_new(q->base, fd, EV_READ | EV_PERSIST, pgq_read_cb, q);
	q->write_ev = event_new(q->base, fd, EV_WRITE, pgq_write_cb, q);
	event_add(q->read_ev, NULL);
	q->state = PGQ_READY;
	q->retry_ms = q->retry_min_ms;
	q->last_error[0] = '\0';
	q->stats.reconnects++;
	log_info("db: connected (server %d, pid %d)", PQserverVersion(q->conn),
		 PQbackendPID(q->conn));
	if (q->state_cb)
		q->state_cb(true, q->state_arg);
}

static void pgq_connect_step(struct pgq *q, PostgresPollingStatusType st);

static void pgq_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *q = arg;

	(void)fd;
	(void)what;
	pgq_connect_step(q, PQconnectPoll(q->conn));
}

static void pgq_ping_done(const struct pgq_result *r, void *arg)
{
	(void)r;
	(void)arg;
}

/* Once a second when liveness is on: see pgq_cfg.liveness_ms. */
static void pgq_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *q = arg;
	int64_t silent = util_now_mono_ms() - q->progress_ms;
	char why[128];
	struct err e;

	(void)fd;
	(void)what;
	if (q->state == PGQ_CONNECTING && silent > (int64_t)q->liveness_ms) {
		log_warn("db: connection attempt still pending after %u ms; "
			 "abandoning it",
			 q->liveness_ms);
		pgq_set_error(q, "connection attempt timed out");
		pgq_close_conn(q);
		q->state = PGQ_DISCONNECTED;
		pgq_schedule_retry(q);
		return;
	}
	if (q->state != PGQ_READY)
		return;
	if (q->inflight > 0 && silent > (int64_t)q->liveness_ms) {
		snprintf(why, sizeof(why),
			 "no answer from the server for %lld ms",
			 (long long)silent);
		pgq_lost(q, why);
		return;
	}
	if (q->inflight == 0 && silent >= 1000 &&
	    pgq_submit(q, "SELECT 1", 0, NULL, pgq_ping_done, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "db: liveness query not sent: %s", e.msg);
}

static void pgq_connect_step(struct pgq *q, PostgresPollingStatusType st)
{
	short ev;

	if (q->connect_ev) {
		event_free(q->connect_ev);
		q->connect_ev = NULL;
	}
	switch (st) {
	case PGRES_POLLING_OK:
		pgq_ready(q);
		return;
	case PGRES_POLLING_FAILED:
		pgq_connect_failed(q);
		return;
	case PGRES_POLLING_READING:
		ev = EV_READ;
		break;
	default:
		ev = EV_WRITE;
		break;
	}
	/* The socket may change between polls: re-arm on the current one. */
	q->connect_ev =
		event_new(q->base, PQsocket(q->conn), ev, pgq_connect_cb, q);
	event_add(q->connect_ev, NULL);
}

static void pgq_start_connect(struct pgq *q)
{
	const char *keys[] = { "dbname", "application_name",
			       "fallback_application_name", NULL };
	const char *vals[] = { q->conninfo, q->app_name, "colossus", NULL };

	q->state = PGQ_CONNECTING;
	q->progress_ms = util_now_mono_ms();
	/* expand_dbname lets conninfo be a full connection string or URI. */
	q->conn = PQconnectStartParams(keys, vals, 1);
	if (!q->conn || PQstatus(q->conn) == CONNECTION_BAD) {
		pgq_connect_failed(q);
		return;
	}
	pgq_connect_step(q, PGRES_POLLING_WRITING);
}

struct pgq *pgq_create(struct event_base *base, const struct pgq_cfg *cfg,
		       pgq_state_fn state_cb, void *arg)
{
	struct pgq *q = xcalloc(1, sizeof(*q));

	q->base = base;
	q->conninfo = xstrdup(cfg->conninfo ? cfg->conninfo : "");
	q->app_name = xstrdup(cfg->application_name ? cfg->application_name
						    : "colossus");
	q->retry_min_ms = cfg->retry_min_ms ? cfg->retry_min_ms : 100;
	q->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : 5000;
	q->retry_ms = q->retry_min_ms;
	q->max_inflight = cfg->max_inflight ? cfg->max_inflight : 100000;
	q->liveness_ms = cfg->liveness_ms;
	if (q->liveness_ms) {
		struct timeval tick = { 1, 0 };

		q->watchdog_ev = event_new(base, -1, EV_PERSIST,
					   pgq_watchdog_cb, q);
		event_add(q->watchdog_ev, &tick);
	}
	q->state_cb = state_cb;
	q->state_arg = arg;
	q->retry_ev = evtimer_new(base, pgq_retry_cb, q);
	pgq_start_connect(q);
	return q;
}

void pgq_destroy(struct pgq *q)
{
	if (!q)
		return;
	pgq_set_error(q, "shutting down");
	/* Callbacks of the queries completed below may submit more: refuse
	 * it, or the loop below would not end. */
	q->state = PGQ_DISCONNECTED;
	while (q->head)
		pgq_complete(q, q->head, true);
	pgq_close_conn(q);
	event_free(q->retry_ev);
	if (q->watchdog_ev)
		event_free(q->watchdog_ev);
	free(q->conninfo);
	free(q->app_name);
	free(q);
}

bool pgq_connected(const struct pgq *q)
{
	return q->state == PGQ_READY;
}

void pgq_get_stats(const struct pgq *q, struct pgq_stats *out)
{
	*out = q->stats;
	out->inflight = q->inflight;
}

const char *pgq_last_error(const struct pgq *q)
{
	return q->last_error;
}

struct pgq_txn *pgq_txn_begin(struct pgq *q)
{
	struct pgq_txn *t = xcalloc(1, sizeof(*t));

	t->q = q;
	return t;
}

void pgq_txn_add(struct pgq_txn *t, const char *sql, int nparams,
		 const char *const *values)
{
	struct pgq_stmt *s;

	if (t->nstmts == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4;
		t->stmts = xreallocarray(t->stmts, (size_t)t->cap,
					 sizeof(*t->stmts));
	}
	s = &t->stmts[t->nstmts++];
	s->sql = xstrdup(sql);
	s->nparams = nparams;
	s->values = nparams ? xcalloc((size_t)nparams, sizeof(char *)) : NULL;
	for (int i = 0; i < nparams; i++)
		s->values[i] = values[i] ? xstrdup(values[i]) : NULL;
}

int pgq_txn_count(const struct pgq_txn *t)
{
	return t->nstmts;
}

void pgq_txn_abort(struct pgq_txn *t)
{
	if (t)
		pgq_txn_free(t);
}

int pgq_txn_commit(struct pgq_txn *t, pgq_done_fn done, void *arg,
		   struct err *e)
{
	struct pgq *q = t->q;

	if (q->state != PGQ_READY) {
		pgq_txn_free(t);
		return err_set(e, "database unavailable%s%s",
			       q->last_error[0] ? ": " : "", q->last_error);
	}
	if (q->inflight >= q->max_inflight) {
		pgq_txn_free(t);
		return err_set(e, "database queue full (%u in flight)",
			       q->inflight);
	}
	if (t->nstmts == 0) {
		pgq_txn_free(t);
		return err_set(e, "empty transaction");
	}
	for (int i = 0; i < t->nstmts; i++) {
		struct pgq_stmt *s = &t->stmts[i];

		if (!PQsendQueryParams(q->conn, s->sql, s->nparams, NULL,
				       (const char *const *)s->values, NULL,
				       NULL, 0)) {
			/*
			 * The statements already queued in libpq belong to
			 * no sync; the connection is unusable now.
			 */
			pgq_set_error(q, PQerrorMessage(q->conn));
			pgq_txn_free(t);
			pgq_lost(q, q->last_error);
			return err_set(e, "database unavailable: %s",
				       q->last_error);
		}
	}
	if (!PQpipelineSync(q->conn)) {
		pgq_set_error(q, PQerrorMessage(q->conn));
		pgq_txn_free(t);
		pgq_lost(q, q->last_error);
		return err_set(e, "database unavailable: %s", q->last_error);
	}
	t->results = xcalloc((size_t)t->nstmts, sizeof(PGresult *));
	t->done = done;
	t->arg = arg;
	t->submitted_us = util_now_mono_us();
	/* The server owes us an answer from now on, not from when it last
	 * spoke (the queue may have been idle for minutes). */
	if (q->inflight == 0)
		q->progress_ms = util_now_mono_ms();
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
	q->inflight++;
	pgq_flush(q);
	return 0;
}

int pgq_submit(struct pgq *q, const char *sql, int nparams,
	       const char *const *values, pgq_done_fn done, void *arg,
	       struct err *e)
{
	struct pgq_txn *t = pgq_txn_begin(q);

	pgq_txn_add(t, sql, nparams, values);
	return pgq_txn_commit(t, done, arg, e);
}

const char *pgq_value(const struct pgq_result *r, int i, int row, int col)
{
	if (i < 0 || i >= r->nresults || !r->results[i])
		return NULL;
	if (row >= PQntuples(r->results[i]) || col >= PQnfields(r->results[i]))
		return NULL;
	if (PQgetisnull(r->results[i], row, col))
		return NULL;
	return PQgetvalue(r->results[i], row, col);
}

int pgq_ntuples(const struct pgq_result *r, int i)
{
	if (i < 0 || i >= r->nresults || !r->results[i])
		return 0;
	return PQntuples(r->results[i]);
}
