/*
 * Tests for common/pgq.c against a real PostgreSQL.  Run through
 * tests/unit/pgq.t, which starts a private server (tests/lib/pg.sh) and
 * passes its connection string in COLOSSUS_TEST_PG; without it the test
 * skips.
 *
 * Covered: connecting (state callback), parameterized statements
 * (including NULL parameters and text with quotes, backslashes and UTF-8,
 * which must come back byte for byte and never be parsed as SQL),
 * multi-statement transactions that commit atomically, a transaction whose
 * second of three statements fails (unique violation): ok = false,
 * sqlstate 23505 and none of its effects visible, while the transaction
 * pipelined right behind it succeeds; many transactions in flight
 * completing in order; pgq_value/pgq_ntuples; refusals (not connected,
 * empty transaction, queue full); and connection loss: the backend is
 * terminated with pg_terminate_backend() from a second, blocking libpq
 * connection while transactions are in flight, each of them fails once
 * with lost = true, new commits fail at once while disconnected, and pgq
 * reconnects by itself.
 *
 * Protects DESIGN invariants 1 (durable before acknowledged: a callback
 * with ok = true means committed; an unknown outcome is reported as lost,
 * never as success) and 4 (a gang's reservation is all or nothing: the
 * statements of one transaction commit together or not at all).
 *
 * Every wait is bounded: the loop runs with a 10 ms watchdog timer, and a
 * wait that needs more than MAX_TICKS ticks fails instead of hanging.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "common/pgq.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

#define MAX_TICKS 3000 /* 30 s of 10 ms watchdog ticks per wait */
#define MAX_ITERS 5000000
#define APP_NAME "pgq-unit-test"

static struct event_base *base;
static struct event *watchdog;
static int ticks;
static PGconn *admin; /* blocking connection for setup and checks */

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ticks++;
}

typedef bool (*pred_fn)(void *arg);

static bool run_until(pred_fn pred, void *arg)
{
	int start = ticks;

	for (int i = 0; i < MAX_ITERS; i++) {
		if (pred(arg))
			return true;
		if (ticks - start > MAX_TICKS) {
			diag("run_until: gave up after %d watchdog ticks",
			     MAX_TICKS);
			return false;
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	diag("run_until: gave up after %d iterations", MAX_ITERS);
	return pred(arg);
}

static void run_idle(int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Text for a test name: newlines and tabs become spaces (TAP is line
 * based).  Returns one of two static buffers. */
static const char *oneline(const char *s)
{
	static char bufs[2][512];
	static int which;
	char *b = bufs[which++ % 2];
	size_t i;

	for (i = 0; s && s[i] && i < sizeof(bufs[0]) - 1; i++)
		b[i] = (s[i] == '\n' || s[i] == '\t') ? ' ' : s[i];
	b[i] = '\0';
	return b;
}

/* ---------------------------------------------------------------- */
/* The blocking side connection. */

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(admin, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		printf("Bail out! %s: %s", sql, PQerrorMessage(admin));
		exit(1);
	}
	PQclear(res);
}

/* First column of the first row as a long, or -1. */
static long admin_long(const char *sql, const char *p1)
{
	const char *params[1] = { p1 };
	PGresult *res = PQexecParams(admin, sql, p1 ? 1 : 0, NULL, params, NULL,
				     NULL, 0);
	long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		diag("admin query failed: %s", PQerrorMessage(admin));
	PQclear(res);
	return v;
}

static long kv_exists(const char *k)
{
	return admin_long("SELECT count(*) FROM t_kv WHERE k = $1", k);
}

/* ---------------------------------------------------------------- */
/* State and transaction callbacks. */

struct state {
	int up, down;
	bool connected;
	struct pgq **qp; /* for commits attempted from the callback */
	int tried_while_down;
	int refused_while_down;
};

static struct state st;

/* A callback for transactions that must never run (refused commits). */
static int never_calls;

static void never_cb(const struct pgq_result *r, void *arg)
{
	(void)r;
	(void)arg;
	never_calls++;
}

static void state_cb(bool connected, void *arg)
{
	struct state *s = arg;

	s->connected = connected;
	if (connected) {
		s->up++;
		return;
	}
	s->down++;
	/* While disconnected, a commit must fail at once. */
	if (s->qp && *s->qp) {
		struct err e;

		s->tried_while_down++;
		if (pgq_submit(*s->qp, "SELECT 1", 0, NULL, never_cb, NULL,
			       &e) < 0)
			s->refused_while_down++;
	}
}

static bool is_connected(void *arg)
{
	return ((struct state *)arg)->connected;
}

static bool is_disconnected(void *arg)
{
	return !((struct state *)arg)->connected;
}

struct done {
	int calls;
	bool ok, lost;
	char error[512];
	char sqlstate[8];
	int nresults;
	int order; /* completion sequence number */
	char val[256];
	bool val_null;
	int ntuples;
	/* commit attempted from inside a lost callback */
	bool try_commit;
	struct pgq *q;
	int commit_rc;
};

static int completions;

static void done_cb(const struct pgq_result *r, void *arg)
{
	struct done *d = arg;
	const char *v;

	d->calls++;
	d->ok = r->ok;
	d->lost = r->lost;
	snprintf(d->error, sizeof(d->error), "%s", r->error ? r->error : "");
	snprintf(d->sqlstate, sizeof(d->sqlstate), "%s",
		 r->sqlstate ? r->sqlstate : "");
	d->nresults = r->nresults;
	d->order = ++completions;
	v = r->nresults > 0 ? pgq_value(r, r->nresults - 1, 0, 0) : NULL;
	d->val_null = v == NULL;
	snprintf(d->val, sizeof(d->val), "%s", v ? v : "");
	d->ntuples = r->nresults > 0 ? pgq_ntuples(r, r->nresults - 1) : 0;
	if (d->try_commit && d->q) {
		struct err e;

		d->commit_rc = pgq_submit(d->q, "SELECT 1", 0, NULL, never_cb,
					  NULL, &e);
	}
}

static bool done_called(void *arg)
{
	return ((struct done *)arg)->calls > 0;
}

struct dones {
	struct done *d;
	int n;
};

static bool all_called(void *arg)
{
	struct dones *ds = arg;

	for (int i = 0; i < ds->n; i++)
		if (!ds->d[i].calls)
			return false;
	return true;
}

/* Submit one statement and wait for its callback. */
static bool sql1(struct pgq *q, const char *sql, int n, const char *const *vals,
		 struct done *d)
{
	struct err e;

	memset(d, 0, sizeof(*d));
	if (pgq_submit(q, sql, n, vals, done_cb, d, &e) < 0) {
		diag("submit failed: %s", e.msg);
		return false;
	}
	return run_until(done_called, d);
}

/* ---------------------------------------------------------------- */

static void test_refused_before_connect(struct pgq *q)
{
	struct err e;

	err_clear(&e);
	never_calls = 0;
	is_int(pgq_submit(q, "SELECT 1", 0, NULL, never_cb, NULL, &e), -1,
	       "commit before the connection is up fails at once");
	ok(e.msg[0] != '\0', "with a message (%s)", e.msg);
	ok(!pgq_connected(q), "not connected yet");
}

static void test_params(struct pgq *q)
{
	static const char *const tricky[] = {
		"plain",
		"O'Reilly",
		"'); DROP TABLE t_kv; --",
		"\"double\" and 'single' quotes",
		"back\\slash \\' \\\\",
		"E'\\x41'",
		"$1 $2 ? %s %n",
		"h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
		"\xe6\x97\xa5\xe6\x9c\xac "
		"\xf0\x9f\x9a\x80",
		"tab\there\nnewline",
		"",
	};
	struct done d;
	int stored = 0, back = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tricky); i++) {
		char key[32];
		const char *vals[2] = { key, tricky[i] };

		snprintf(key, sizeof(key), "tricky-%zu", i);
		if (sql1(q, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, vals,
			 &d) &&
		    d.ok && d.calls == 1)
			stored++;
		else
			diag("insert %zu: %s", i, d.error);
	}
	is_int(stored, ARRAY_SIZE(tricky),
	       "parameterized inserts of hostile text all committed");
	is_int(admin_long("SELECT count(*) FROM pg_tables WHERE tablename = "
			  "'t_kv'",
			  NULL),
	       1, "the table survived the 'DROP TABLE' text");
	for (size_t i = 0; i < ARRAY_SIZE(tricky); i++) {
		char key[32];
		const char *vals[1] = { key };

		snprintf(key, sizeof(key), "tricky-%zu", i);
		if (sql1(q, "SELECT v FROM t_kv WHERE k = $1", 1, vals, &d) &&
		    d.ok && d.ntuples == 1 && !d.val_null &&
		    !strcmp(d.val, tricky[i]))
			back++;
		else
			diag("value %zu came back as '%s'", i, d.val);
	}
	is_int(back, ARRAY_SIZE(tricky), "each value reads back byte for byte");
	/* Also as a key (a WHERE clause with the same text). */
	{
		const char *vals[2] = { tricky[2], "x" };

		ok(sql1(q, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, vals,
			&d) &&
			   d.ok,
		   "injection text as a key is just a key");
		is_int(kv_exists(tricky[2]), 1, "... and is stored verbatim");
	}

	/* NULL parameters. */
	{
		const char *vals[2] = { "null-value", NULL };

		ok(sql1(q, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, vals,
			&d) &&
			   d.ok,
		   "insert with a NULL parameter");
		is_int(admin_long("SELECT count(*) FROM t_kv WHERE k = "
				  "'null-value' AND v IS NULL",
				  NULL),
		       1, "the NULL parameter became SQL NULL");
	}
	{
		const char *vals[1] = { NULL };

		ok(sql1(q, "SELECT $1::text IS NULL", 1, vals, &d) && d.ok &&
			   !strcmp(d.val, "t"),
		   "SELECT $1 IS NULL with a NULL parameter -> t");
	}
	{
		const char *vals[1] = { "null-value" };

		ok(sql1(q, "SELECT v FROM t_kv WHERE k = $1", 1, vals, &d) &&
			   d.ok && d.ntuples == 1 && d.val_null,
		   "pgq_value returns NULL for an SQL NULL");
	}
	{
		const char *vals[1] = { "" };

		ok(sql1(q, "SELECT $1::text = ''", 1, vals, &d) && d.ok &&
			   !strcmp(d.val, "t"),
		   "an empty string is not NULL");
	}
	/* A parameter count mismatch is an error, not a crash. */
	{
		const char *vals[1] = { "1" };

		ok(sql1(q, "SELECT $1::int + $2::int", 1, vals, &d) && !d.ok &&
			   !d.lost && d.error[0],
		   "missing parameter -> error (%s)", d.sqlstate);
	}
}

/* Helper callback that inspects results by index. */
struct inspect {
	int calls;
	bool ok;
	int ntuples0, ntuples_bad;
	char v[6][16];
	bool oob_row_null, oob_col_null, oob_idx_null, neg_idx_null;
	char c1[16], c2[16];
};

static void inspect_cb(const struct pgq_result *r, void *arg)
{
	struct inspect *x = arg;
	const char *v;

	x->calls++;
	x->ok = r->ok;
	x->ntuples0 = pgq_ntuples(r, 0);
	x->ntuples_bad = pgq_ntuples(r, 5) + pgq_ntuples(r, -1);
	for (int i = 0; i < 5; i++) {
		v = pgq_value(r, 0, i, 0);
		snprintf(x->v[i], sizeof(x->v[i]), "%s", v ? v : "(null)");
	}
	x->oob_row_null = pgq_value(r, 0, 5, 0) == NULL;
	x->oob_col_null = pgq_value(r, 0, 0, 1) == NULL &&
			  pgq_value(r, 0, -1, 0) == NULL &&
			  pgq_value(r, 0, 0, -1) == NULL;
	x->oob_idx_null = pgq_value(r, 2, 0, 0) == NULL;
	x->neg_idx_null = pgq_value(r, -1, 0, 0) == NULL;
	v = pgq_value(r, 1, 0, 0);
	snprintf(x->c1, sizeof(x->c1), "%s", v ? v : "(null)");
	v = pgq_value(r, 1, 0, 1);
	snprintf(x->c2, sizeof(x->c2), "%s", v ? v : "(null)");
}

static bool inspect_called(void *arg)
{
	return ((struct inspect *)arg)->calls > 0;
}

static void test_values(struct pgq *q)
{
	struct pgq_txn *t = pgq_txn_begin(q);
	struct inspect x;
	struct err e;

	memset(&x, 0, sizeof(x));
	pgq_txn_add(t, "SELECT generate_series(1, 5)", 0, NULL);
	pgq_txn_add(t, "SELECT 'a'::text, 'b'::text", 0, NULL);
	is_int(pgq_txn_count(t), 2, "pgq_txn_count counts statements");
	ok(pgq_txn_commit(t, inspect_cb, &x, &e) == 0 &&
		   run_until(inspect_called, &x) && x.ok,
	   "two SELECTs in one transaction");
	is_int(x.ntuples0, 5, "pgq_ntuples of the first result");
	ok(!strcmp(x.v[0], "1") && !strcmp(x.v[4], "5"),
	   "pgq_value walks the rows");
	ok(!strcmp(x.c1, "a") && !strcmp(x.c2, "b"),
	   "pgq_value picks columns of the second result");
	ok(x.oob_row_null && x.oob_col_null,
	   "row or column out of range (or negative) -> NULL");
	ok(x.oob_idx_null && x.neg_idx_null,
	   "result index out of range -> NULL");
	is_int(x.ntuples_bad, 0, "pgq_ntuples of a missing result -> 0");
}

static void test_txn(struct pgq *q)
{
	struct pgq_txn *t;
	struct done d, bad, after;
	struct err e;
	const char *v[2];

	/* Three statements that commit together. */
	t = pgq_txn_begin(q);
	v[0] = "txn-a";
	v[1] = "1";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	v[0] = "txn-b";
	v[1] = "2";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	v[0] = "txn-a";
	v[1] = "3";
	pgq_txn_add(t, "UPDATE t_kv SET v = $2 WHERE k = $1", 2, v);
	memset(&d, 0, sizeof(d));
	ok(pgq_txn_commit(t, done_cb, &d, &e) == 0 &&
		   run_until(done_called, &d),
	   "three-statement transaction completed");
	ok(d.ok && !d.lost && d.calls == 1, "it committed");
	is_int(d.nresults, 3, "one result per statement");
	is_str(d.error, "", "no error text");
	is_str(d.sqlstate, "", "no sqlstate");
	is_int(admin_long("SELECT count(*) FROM t_kv WHERE (k = 'txn-a' AND "
			  "v = '3') OR (k = 'txn-b' AND v = '2')",
			  NULL),
	       2, "all three effects are visible");

	/*
	 * The second of three statements violates the primary key; a
	 * transaction queued right behind it in the same pipeline must not
	 * be affected.
	 */
	t = pgq_txn_begin(q);
	v[0] = "atom-1";
	v[1] = "x";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	v[0] = "txn-b"; /* exists */
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	v[0] = "atom-3";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	memset(&bad, 0, sizeof(bad));
	memset(&after, 0, sizeof(after));
	ok(pgq_txn_commit(t, done_cb, &bad, &e) == 0,
	   "failing transaction submitted");
	t = pgq_txn_begin(q);
	v[0] = "after-1";
	v[1] = "y";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	v[0] = "txn-a";
	v[1] = "4";
	pgq_txn_add(t, "UPDATE t_kv SET v = $2 WHERE k = $1", 2, v);
	ok(pgq_txn_commit(t, done_cb, &after, &e) == 0,
	   "next transaction submitted behind it (same pipeline)");
	ok(run_until(done_called, &after) && bad.calls == 1, "both completed");
	ok(!bad.ok, "failing transaction: ok = false");
	ok(!bad.lost, "failing transaction: not lost");
	is_str(bad.sqlstate, "23505", "failing transaction: sqlstate 23505");
	ok(bad.error[0] != '\0', "failing transaction: error text (%s)",
	   oneline(bad.error));
	is_int(kv_exists("atom-1"), 0,
	       "the first statement's insert was rolled back");
	is_int(kv_exists("atom-3"), 0, "the third statement never took effect");
	ok(after.ok && after.calls == 1,
	   "the transaction behind it committed (%s)", oneline(after.error));
	ok(bad.order < after.order, "callbacks ran in submission order");
	is_int(kv_exists("after-1"), 1, "its insert is visible");
	is_int(admin_long("SELECT count(*) FROM t_kv WHERE k = 'txn-a' AND "
			  "v = '4'",
			  NULL),
	       1, "its update is visible");

	/* Failing first statement, single-statement error. */
	memset(&d, 0, sizeof(d));
	ok(sql1(q, "SELEC 1", 0, NULL, &d) && !d.ok && !d.lost,
	   "syntax error -> ok = false");
	is_str(d.sqlstate, "42601", "syntax error sqlstate 42601");
	ok(sql1(q, "SELECT 41 + 1", 0, NULL, &d) && d.ok &&
		   !strcmp(d.val, "42"),
	   "the connection is fine afterwards");

	/* A failure in the last statement also undoes the first ones. */
	t = pgq_txn_begin(q);
	v[0] = "last-1";
	v[1] = "z";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	pgq_txn_add(t, "SELECT 1 / 0", 0, NULL);
	memset(&d, 0, sizeof(d));
	ok(pgq_txn_commit(t, done_cb, &d, &e) == 0 &&
		   run_until(done_called, &d) && !d.ok,
	   "division by zero in the last statement fails the transaction");
	is_str(d.sqlstate, "22012", "sqlstate 22012");
	is_int(kv_exists("last-1"), 0, "the earlier insert was rolled back");

	/* Refusals that never call back. */
	never_calls = 0;
	t = pgq_txn_begin(q);
	err_clear(&e);
	is_int(pgq_txn_commit(t, never_cb, NULL, &e), -1,
	       "an empty transaction is refused");
	ok(e.msg[0] != '\0', "with a message (%s)", e.msg);
	t = pgq_txn_begin(q);
	v[0] = "aborted";
	v[1] = "q";
	pgq_txn_add(t, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v);
	pgq_txn_abort(t);
	pgq_txn_abort(NULL);
	ok(sql1(q, "SELECT 1", 0, NULL, &d) && d.ok, "round trip after abort");
	is_int(kv_exists("aborted"), 0, "an aborted transaction never ran");
	is_int(never_calls, 0,
	       "refused or aborted transactions never call "
	       "back");
}

static void test_many(struct pgq *q)
{
	enum { N = 3000 };
	struct done *d = xcalloc(N, sizeof(*d));
	struct dones ds = { d, N };
	struct pgq_stats s0, s1;
	int refused = 0, in_order = 0, okc = 0, once = 0;

	admin_exec("TRUNCATE t_log");
	pgq_get_stats(q, &s0);
	completions = 0;
	for (int i = 0; i < N; i++) {
		char n[16];
		const char *v[1] = { n };
		struct pgq_txn *t = pgq_txn_begin(q);
		struct err e;

		snprintf(n, sizeof(n), "%d", i);
		pgq_txn_add(t, "INSERT INTO t_log (n) VALUES ($1)", 1, v);
		pgq_txn_add(t, "SELECT count(*) FROM t_log WHERE n <= $1", 1,
			    v);
		if (pgq_txn_commit(t, done_cb, &d[i], &e) < 0)
			refused++;
	}
	is_int(refused, 0, "%d transactions in flight at once", N);
	pgq_get_stats(q, &s1);
	ok(s1.inflight > 0, "stats show transactions in flight (%u)",
	   s1.inflight);
	ok(run_until(all_called, &ds), "all completed");
	for (int i = 0; i < N; i++) {
		if (d[i].order == i + 1)
			in_order++;
		if (d[i].ok)
			okc++;
		if (d[i].calls == 1)
			once++;
	}
	is_int(okc, N, "all committed");
	is_int(once, N, "each callback ran once");
	is_int(in_order, N, "callbacks ran in submission order");
	/* Each saw its own insert and every earlier one: serial order. */
	{
		int seen_ok = 0;

		for (int i = 0; i < N; i++) {
			char want[16];

			snprintf(want, sizeof(want), "%d", i + 1);
			if (!strcmp(d[i].val, want))
				seen_ok++;
		}
		is_int(seen_ok, N,
		       "each transaction saw exactly the rows "
		       "committed before it plus its own");
	}
	is_int(admin_long("SELECT count(*) FROM t_log", NULL), N,
	       "%d rows committed", N);
	pgq_get_stats(q, &s1);
	is_int(s1.inflight, 0, "nothing in flight afterwards");
	is_int(s1.txns - s0.txns, N, "stats counted %d transactions", N);
	free(d);
}

/* A 4 MiB parameter: more than the socket buffers, so pgq must wait for
 * the socket to take it (PQflush returning 1) while reading. */
static void test_big_param(struct pgq *q)
{
	size_t n = 4u * 1024 * 1024;
	char *blob = xmalloc(n + 1);
	const char *v[2] = { "big", blob };
	struct done d;
	char want[32];

	for (size_t i = 0; i < n; i++)
		blob[i] = (char)('a' + i % 26);
	blob[n] = '\0';
	ok(sql1(q, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2, v, &d) && d.ok,
	   "insert of a 4 MiB text parameter committed");
	snprintf(want, sizeof(want), "%zu", n);
	ok(sql1(q, "SELECT length(v) FROM t_kv WHERE k = $1", 1, v, &d) &&
		   d.ok && !strcmp(d.val, want),
	   "the server stored all %zu bytes", n);
	ok(sql1(q, "SELECT md5(v) = md5($2) FROM t_kv WHERE k = $1", 2, v,
		&d) &&
		   d.ok && !strcmp(d.val, "t"),
	   "byte for byte");
	free(blob);
}

/* Find pgq's backend and terminate it from the side connection. */
static long terminate_backend(void)
{
	return admin_long("SELECT count(pg_terminate_backend(pid)) FROM "
			  "pg_stat_activity WHERE application_name = '" APP_NAME
			  "' AND pid <> pg_backend_pid()",
			  NULL);
}

static bool sleeping_on_server(void *arg)
{
	(void)arg;
	return admin_long("SELECT count(*) FROM pg_stat_activity WHERE "
			  "application_name = '" APP_NAME "' AND "
			  "query LIKE 'SELECT pg_sleep%'",
			  NULL) == 1;
}

static void test_lost(struct pgq **qp)
{
	enum { N = 6 };
	struct pgq *q = *qp;
	struct done d[N];
	struct dones ds = { d, N };
	struct pgq_stats s0, s1;
	struct err e;
	int lost = 0, once = 0, refused_inside = 0;
	int up_before = st.up, down_before = st.down;

	pgq_get_stats(q, &s0);
	memset(d, 0, sizeof(d));
	ok(pgq_submit(q, "SELECT pg_sleep(60)", 0, NULL, done_cb, &d[0], &e) ==
		   0,
	   "a long statement is in flight");
	for (int i = 1; i < N; i++) {
		char k[32];
		const char *v[2] = { k, "lost" };

		snprintf(k, sizeof(k), "lost-%d", i);
		d[i].try_commit = true;
		d[i].q = q;
		if (pgq_submit(q, "INSERT INTO t_kv (k, v) VALUES ($1, $2)", 2,
			       v, done_cb, &d[i], &e) < 0)
			diag("submit %d: %s", i, e.msg);
	}
	ok(run_until(sleeping_on_server, NULL),
	   "the server is running the long statement");
	is_int(terminate_backend(), 1,
	       "pg_terminate_backend() on pgq's backend");
	ok(run_until(all_called, &ds), "every in-flight transaction completed");
	for (int i = 0; i < N; i++) {
		if (d[i].lost && !d[i].ok)
			lost++;
		if (d[i].calls == 1)
			once++;
		if (i > 0 && d[i].commit_rc == -1)
			refused_inside++;
	}
	is_int(lost, N, "each failed with lost = true, ok = false");
	is_int(once, N, "each callback ran exactly once");
	ok(d[1].error[0] != '\0', "lost transactions carry a reason (%s)",
	   oneline(d[1].error));
	is_int(refused_inside, N - 1,
	       "commits from inside the lost callbacks fail at once");
	ok(run_until(is_disconnected, &st), "state callback: disconnected");
	is_int(st.down - down_before, 1, "disconnect reported once");
	ok(st.tried_while_down > 0 &&
		   st.refused_while_down == st.tried_while_down,
	   "commit from the disconnect callback fails at once");
	if (!pgq_connected(q)) {
		struct pgq_txn *t = pgq_txn_begin(q);

		never_calls = 0;
		err_clear(&e);
		pgq_txn_add(t, "SELECT 1", 0, NULL);
		is_int(pgq_txn_commit(t, never_cb, NULL, &e), -1,
		       "pgq_txn_commit while disconnected returns -1");
		ok(e.msg[0] != '\0', "with a message (%s)", oneline(e.msg));
		ok(pgq_last_error(q)[0] != '\0', "pgq_last_error: %s",
		   oneline(pgq_last_error(q)));
		/* pgq_set_error: "logs want one line" */
		ok(!strchr(pgq_last_error(q), '\n'),
		   "pgq_last_error is a single line");
	} else {
		skip(4, "already reconnected");
	}

	ok(run_until(is_connected, &st), "pgq reconnected by itself");
	is_int(st.up - up_before, 1, "reconnect reported once");
	{
		struct done x;

		ok(sql1(q, "SELECT 'back'", 0, NULL, &x) && x.ok &&
			   !strcmp(x.val, "back"),
		   "queries work after the reconnect");
	}
	run_idle(10);
	is_int(never_calls, 0, "refused commits never called back");
	once = 0;
	for (int i = 0; i < N; i++)
		if (d[i].calls == 1)
			once++;
	is_int(once, N, "no lost callback ran a second time");
	pgq_get_stats(q, &s1);
	is_int(s1.lost - s0.lost, N, "stats counted %d lost", N);
	ok(s1.reconnects > s0.reconnects, "stats counted the reconnect");
}

/* The backend dies while nothing is in flight: noticed, reconnected. */
static void test_idle_kill(struct pgq *q)
{
	int up_before = st.up, down_before = st.down;
	struct done d;

	ok(pgq_connected(q), "idle and connected");
	is_int(terminate_backend(), 1, "terminate the idle backend");
	ok(run_until(is_disconnected, &st),
	   "loss of an idle connection is noticed");
	is_int(st.down - down_before, 1, "disconnect reported once");
	ok(run_until(is_connected, &st), "reconnected by itself");
	is_int(st.up - up_before, 1, "connect reported once");
	ok(sql1(q, "SELECT 'idle-ok'", 0, NULL, &d) && d.ok &&
		   !strcmp(d.val, "idle-ok"),
	   "the next transaction commits");
}

/* A second queue with a small in-flight limit, destroyed with work queued. */
static void test_limits_and_destroy(const char *conninfo)
{
	struct pgq_cfg cfg = { 0 };
	struct state s2 = { 0 };
	struct pgq *q;
	struct done a, b, c;
	struct err e;

	cfg.conninfo = conninfo;
	cfg.max_inflight = 2;
	cfg.retry_min_ms = 20;
	cfg.retry_max_ms = 100;
	cfg.application_name = "pgq-unit-test-2";
	q = pgq_create(base, &cfg, state_cb, &s2);
	ok(run_until(is_connected, &s2), "second queue connected");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	never_calls = 0;
	ok(pgq_submit(q, "SELECT 1", 0, NULL, done_cb, &a, &e) == 0 &&
		   pgq_submit(q, "SELECT 2", 0, NULL, done_cb, &b, &e) == 0,
	   "two in flight with max_inflight 2");
	err_clear(&e);
	is_int(pgq_submit(q, "SELECT 3", 0, NULL, never_cb, NULL, &e), -1,
	       "a third is refused");
	ok(e.msg[0] != '\0', "queue full message (%s)", e.msg);
	ok(run_until(done_called, &b) && a.ok && b.ok, "the two completed");
	ok(pgq_submit(q, "SELECT 3", 0, NULL, done_cb, &c, &e) == 0,
	   "room again afterwards");
	/* Destroy with c still in flight: its callback runs once, lost. */
	pgq_destroy(q);
	is_int(c.calls, 1, "destroy completed the in-flight transaction");
	ok(c.lost && !c.ok, "as lost");
	run_idle(10);
	is_int(c.calls, 1, "and only once");
	is_int(never_calls, 0, "the refused one never called back");
	pgq_destroy(NULL);
}

/* A server that is not there: connect fails, retries, refuses commits. */
static void test_unreachable(void)
{
	struct pgq_cfg cfg = { 0 };
	struct state s3 = { 0 };
	struct pgq *q;
	struct err e;
	int start = ticks;

	cfg.conninfo = "host=/nonexistent-colossus-dir port=1 dbname=x "
		       "connect_timeout=2";
	cfg.retry_min_ms = 10;
	cfg.retry_max_ms = 20;
	q = pgq_create(base, &cfg, state_cb, &s3);
	while (!pgq_last_error(q)[0] && ticks - start < MAX_TICKS)
		event_base_loop(base, EVLOOP_ONCE);
	ok(pgq_last_error(q)[0] != '\0', "unreachable server: error (%s)",
	   oneline(pgq_last_error(q)));
	ok(!pgq_connected(q) && s3.up == 0, "never reported connected");
	never_calls = 0;
	is_int(pgq_submit(q, "SELECT 1", 0, NULL, never_cb, NULL, &e), -1,
	       "commits fail at once");
	/* Let it retry a few times; it must neither crash nor connect. */
	start = ticks;
	while (ticks - start < 10)
		event_base_loop(base, EVLOOP_ONCE);
	ok(!pgq_connected(q), "still not connected after retries");
	pgq_destroy(q);
	is_int(never_calls, 0, "no callback ran");
}

int main(void)
{
	static const struct timeval tick = { 0, 10000 };
	const char *conninfo = getenv("COLOSSUS_TEST_PG");
	struct pgq_cfg cfg = { 0 };
	struct pgq *q = NULL;

	if (!conninfo || !*conninfo) {
		printf("1..0 # SKIP COLOSSUS_TEST_PG not set (run "
		       "tests/unit/pgq.t)\n");
		return 0;
	}
	log_set_level(LOG_ERR);
	admin = PQconnectdb(conninfo);
	if (PQstatus(admin) != CONNECTION_OK) {
		printf("Bail out! cannot connect: %s", PQerrorMessage(admin));
		return 1;
	}
	admin_exec("SET client_min_messages = warning");
	admin_exec("DROP TABLE IF EXISTS t_kv, t_log");
	admin_exec("CREATE TABLE t_kv (k text PRIMARY KEY, v text)");
	admin_exec("CREATE TABLE t_log (n int NOT NULL)");

	base = event_base_new();
	watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
	event_add(watchdog, &tick);

	cfg.conninfo = conninfo;
	cfg.retry_min_ms = 20;
	cfg.retry_max_ms = 200;
	cfg.application_name = APP_NAME;
	st.qp = &q;
	q = pgq_create(base, &cfg, state_cb, &st);
	test_refused_before_connect(q);
	ok(run_until(is_connected, &st), "connected; state callback fired");
	is_int(st.up, 1, "state callback reported one connect");
	ok(pgq_connected(q), "pgq_connected");
	is_str(pgq_last_error(q), "", "no error after connecting");
	is_int(admin_long("SELECT count(*) FROM pg_stat_activity WHERE "
			  "application_name = '" APP_NAME "'",
			  NULL),
	       1, "the server sees our application_name");

	test_params(q);
	test_values(q);
	test_txn(q);
	test_many(q);
	test_big_param(q);
	test_lost(&q);
	test_idle_kill(q);
	test_limits_and_destroy(conninfo);
	test_unreachable();

	st.qp = NULL;
	pgq_destroy(q);
	event_free(watchdog);
	event_base_free(base);
	PQfinish(admin);
	return done_testing();
}
