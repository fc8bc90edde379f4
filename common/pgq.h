/*
 * pgq: asynchronous PostgreSQL on a libevent loop.
 *
 * One non-blocking libpq connection in pipeline mode.  Work is submitted
 * as transactions: a list of parameterized statements that commit
 * together (the statements between two pipeline syncs form one implicit
 * transaction).  Many transactions can be in flight at once; their
 * callbacks run in submission order, each after its commit is durable,
 * which is what durable-before-acknowledge needs (DESIGN invariant 1).
 *
 * If the connection is lost, every in-flight transaction fails once with
 * lost = true (the outcome is unknown: it may or may not have committed),
 * new submissions fail at once (the caller answers "temporarily
 * unavailable"), and pgq reconnects with exponential backoff.
 *
 * SQL is always sent with $n parameters, in text format; never build SQL
 * text from data.
 */
#ifndef COMMON_PGQ_H
#define COMMON_PGQ_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "common/err.h"

struct pgq;
struct pgq_txn;

struct pgq_result {
	bool ok;	     /* committed                                     */
	bool lost;	     /* connection lost: outcome unknown              */
	const char *error;   /* first error message, "" when ok            */
	const char *sqlstate; /* e.g. "23505", "" when none               */
	int nresults;	     /* one per statement                            */
	PGresult *const *results; /* entries may be NULL when !ok          */
};

/* Called once per transaction.  Results are freed when it returns. */
typedef void (*pgq_done_fn)(const struct pgq_result *r, void *arg);
/* Called on every connect and disconnect. */
typedef void (*pgq_state_fn)(bool connected, void *arg);

struct pgq_cfg {
	const char *conninfo;	    /* libpq connection string ("" = env)  */
	unsigned retry_min_ms;	    /* first reconnect delay (default 100) */
	unsigned retry_max_ms;	    /* backoff ceiling (default 5000)      */
	unsigned max_inflight;	    /* transactions in flight (default 100000) */
	const char *application_name; /* shown in pg_stat_activity          */
	/*
	 * Liveness (0 = off): with work in flight and no byte from the
	 * server for this long, or a connection attempt lasting this long,
	 * the connection is declared lost.  When idle, pgq sends a tiny
	 * query every second so that a dead link is noticed even then.
	 * TCP keepalives alone take minutes; a leader must notice in
	 * seconds that it may have lost its lock.
	 */
	unsigned liveness_ms;
};

struct pgq_stats {
	uint64_t txns;
	uint64_t errors;
	uint64_t lost;
	uint64_t reconnects;
	uint64_t latency_us_sum; /* submit to callback, committed txns     */
	uint64_t latency_us_max;
	unsigned inflight;
};

/* Starts connecting at once; never blocks. */
struct pgq *pgq_create(struct event_base *base, const struct pgq_cfg *cfg,
		       pgq_state_fn state_cb, void *arg);
/* Fails every pending transaction (lost) and closes.  No-op on NULL. */
void pgq_destroy(struct pgq *q);
bool pgq_connected(const struct pgq *q);
void pgq_get_stats(const struct pgq *q, struct pgq_stats *out);
/* Last connection error, for logs ("" when none). */
const char *pgq_last_error(const struct pgq *q);

/* Start building a transaction (never fails). */
struct pgq_txn *pgq_txn_begin(struct pgq *q);
/*
 * Add a statement.  sql and values are copied; a NULL value is SQL NULL.
 */
void pgq_txn_add(struct pgq_txn *t, const char *sql, int nparams,
		 const char *const *values);
int pgq_txn_count(const struct pgq_txn *t);
/*
 * Send the transaction.  Returns 0 and later calls done exactly once; or
 * returns -1 with e set (not connected, too much in flight) and frees t
 * without calling done.
 */
int pgq_txn_commit(struct pgq_txn *t, pgq_done_fn done, void *arg,
		   struct err *e) MUSTCHECK;
/* Drop a transaction that was never committed. */
void pgq_txn_abort(struct pgq_txn *t);
/* One statement as its own transaction. */
int pgq_submit(struct pgq *q, const char *sql, int nparams,
	       const char *const *values, pgq_done_fn done, void *arg,
	       struct err *e) MUSTCHECK;

/* Helpers for callbacks: the value of row r, column c of result i. */
const char *pgq_value(const struct pgq_result *r, int i, int row, int col);
int pgq_ntuples(const struct pgq_result *r, int i);

#endif
