/*
 * Unit tests for common/rpcconn.c over a socketpair() with plain
 * (non-TLS) bufferevents on one event_base.  Either both ends are
 * rpcconns, or one end is a raw socket the test reads and writes by hand
 * so that it can send what a well-behaved peer never would.
 *
 * Covered: matching responses to requests by id (answered out of order),
 * notifications (id 0) that create no pending entry, request timeouts
 * (that the callback fires with resp == NULL and a reason, never how long
 * it took), late answers after a timeout, on_close exactly once, pending
 * requests failed on close, oversized / malformed / empty frames answered
 * with an error Response (id 0, STATUS_INVALID) and a close,
 * rpcconn_respond_error, max_pending, and protocol version refusal.
 *
 * Protects DESIGN invariant 7 (malformed or oversized frames get a clear
 * error, unknown peers' garbage never reaches a handler) and the "exactly
 * once" callback contract that invariant 1 relies on: a requester is told
 * the outcome of each request once, success or failure.
 *
 * The loop is driven with event_base_loop(EVLOOP_ONCE) in bounded loops
 * (run_until); a 10 ms watchdog timer keeps each iteration short, and
 * a run that needs more than 1000 watchdog ticks fails the test instead
 * of hanging it.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/rpcconn.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

#define TIMEOUT_LONG 60000 /* ms: never reached in these tests */
#define MAX_TICKS 1000	   /* watchdog ticks (10 ms) before giving up */
#define MAX_ITERS 1000000

static struct event_base *base;
static struct event *watchdog;
static int ticks;

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ticks++;
}

typedef bool (*pred_fn)(void *arg);

/*
 * Run the loop until pred(arg) holds.  Returns true if it did, false if
 * the bound was hit (the caller's assertion then fails).
 */
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

/* Let whatever is ready run, without waiting for anything new. */
static void run_idle(int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* ---------------------------------------------------------------- */
/* One rpcconn end and what its callbacks saw. */

enum mode {
	MODE_ECHO,	  /* answer each request with id at once        */
	MODE_STORE,	  /* remember requests; the test answers later  */
	MODE_IGNORE,	  /* never answer                               */
	MODE_ERROR,	  /* answer with rpcconn_respond_error          */
	MODE_REPLY_CLOSE, /* answer (reply_pad bytes of padding), close */
};

#define MAX_STORED 64

struct side {
	struct rpcconn *c;
	enum mode mode;
	bool unref_on_close;	/* drop the owner reference inside on_close */
	size_t reply_pad;	/* MODE_REPLY_CLOSE: padding in the answer */
	size_t last_reason_len; /* kill_job requests: strlen(reason) */
	int nreq;
	uint64_t req_ids[MAX_STORED];
	uint64_t req_seq[MAX_STORED];
	uint32_t req_version[MAX_STORED];
	int nclose;
	bool closed;
	char close_why[200];
};

static void side_on_request(struct rpcconn *c, const Colossus__Request *req,
			    void *arg)
{
	struct side *s = arg;
	uint64_t seq = req->body_case == COLOSSUS__REQUEST__BODY_HEARTBEAT
			       ? req->heartbeat->seq
			       : 0;

	if (s->nreq < MAX_STORED) {
		s->req_ids[s->nreq] = req->id;
		s->req_seq[s->nreq] = seq;
		s->req_version[s->nreq] = req->version;
	}
	s->nreq++;
	if (req->body_case == COLOSSUS__REQUEST__BODY_KILL_JOB)
		s->last_reason_len = strlen(req->kill_job->reason);
	if (!req->id)
		return;
	if (s->mode == MODE_ECHO) {
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__WhoAmIReply w = COLOSSUS__WHO_AM_IREPLY__INIT;
		char name[64];
		struct err e;

		snprintf(name, sizeof(name), "seq-%llu",
			 (unsigned long long)seq);
		w.name = name;
		resp.id = req->id;
		resp.body_case = COLOSSUS__RESPONSE__BODY_WHOAMI;
		resp.whoami = &w;
		if (rpcconn_respond(c, &resp, &e) < 0)
			diag("respond failed: %s", e.msg);
	} else if (s->mode == MODE_REPLY_CLOSE) {
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__WhoAmIReply w = COLOSSUS__WHO_AM_IREPLY__INIT;
		char *pad = xmalloc(s->reply_pad + 1);
		struct err e;

		memset(pad, 'p', s->reply_pad);
		pad[s->reply_pad] = '\0';
		w.name = "bye";
		w.controller_version = pad;
		resp.id = req->id;
		resp.body_case = COLOSSUS__RESPONSE__BODY_WHOAMI;
		resp.whoami = &w;
		if (rpcconn_respond(c, &resp, &e) < 0)
			diag("respond failed: %s", e.msg);
		free(pad);
		/* Reply and hang up: the reply must still reach the peer. */
		rpcconn_close(c, "done after reply");
	} else if (s->mode == MODE_ERROR) {
		rpcconn_respond_error(
			c, req->id, COLOSSUS__STATUS__STATUS_CONFLICT,
			"job %llu is busy", (unsigned long long)seq);
	}
}

static void side_on_close(struct rpcconn *c, const char *why, void *arg)
{
	struct side *s = arg;

	s->nclose++;
	s->closed = true;
	snprintf(s->close_why, sizeof(s->close_why), "%s", why ? why : "");
	/* A second close from inside on_close must be harmless. */
	rpcconn_close(c, "closing again from on_close");
	if (s->unref_on_close) {
		rpcconn_unref(c);
		s->c = NULL;
	}
}

static const struct rpcconn_ops side_ops = {
	.on_request = side_on_request,
	.on_connected = NULL,
	.on_close = side_on_close,
};

static bool side_closed(void *arg)
{
	return ((struct side *)arg)->closed;
}

static struct rpcconn *side_wrap(struct side *s, int fd,
				 const struct rpcconn_opts *opts)
{
	struct bufferevent *bev =
		bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

	s->c = rpcconn_create(base, bev, opts, &side_ops, s);
	return s->c;
}

static void side_release(struct side *s)
{
	if (s->c) {
		if (!s->closed) {
			rpcconn_close(s->c, "test done");
			run_until(side_closed, s);
		}
		rpcconn_unref(s->c);
		s->c = NULL;
	}
}

/* Two connected rpcconns. */
static void pair_open(struct side *a, struct side *b,
		      const struct rpcconn_opts *oa,
		      const struct rpcconn_opts *ob)
{
	int sv[2];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	side_wrap(a, sv[0], oa);
	side_wrap(b, sv[1], ob);
}

/* ---------------------------------------------------------------- */
/* Replies as seen by a requester. */

struct reply {
	int calls;
	bool got_resp;
	uint64_t resp_id;
	int status;
	char why[200];
	char error[200];
	char name[64];
};

static void reply_cb(struct rpcconn *c, const Colossus__Response *resp,
		     const char *why, void *arg)
{
	struct reply *r = arg;

	(void)c;
	r->calls++;
	r->got_resp = resp != NULL;
	if (resp) {
		r->resp_id = resp->id;
		r->status = (int)resp->status;
		snprintf(r->error, sizeof(r->error), "%s",
			 resp->error ? resp->error : "");
		if (resp->body_case == COLOSSUS__RESPONSE__BODY_WHOAMI)
			snprintf(r->name, sizeof(r->name), "%s",
				 resp->whoami->name);
	}
	snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
}

static bool reply_done(void *arg)
{
	return ((struct reply *)arg)->calls > 0;
}

struct replies {
	struct reply *r;
	int n;
};

static bool replies_done(void *arg)
{
	struct replies *rs = arg;

	for (int i = 0; i < rs->n; i++)
		if (!rs->r[i].calls)
			return false;
	return true;
}

struct count_wait {
	const int *counter;
	int want;
};

static bool count_reached(void *arg)
{
	struct count_wait *w = arg;

	return *w->counter >= w->want;
}

/* Send a heartbeat request with sequence number seq. */
static int send_hb(struct rpcconn *c, uint64_t seq, unsigned timeout_ms,
		   struct reply *r, uint64_t *id, struct err *e)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
	int rc;

	hb.seq = seq;
	req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
	req.heartbeat = &hb;
	rc = rpcconn_request(c, &req, timeout_ms, reply_cb, r, e);
	if (id)
		*id = req.id;
	return rc;
}

static int respond_name(struct rpcconn *c, uint64_t id, const char *name)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	Colossus__WhoAmIReply w = COLOSSUS__WHO_AM_IREPLY__INIT;
	struct err e;

	w.name = (char *)name;
	resp.id = id;
	resp.body_case = COLOSSUS__RESPONSE__BODY_WHOAMI;
	resp.whoami = &w;
	return rpcconn_respond(c, &resp, &e);
}

/* ---------------------------------------------------------------- */
/* A raw peer: a plain socket the test drives by hand. */

struct raw {
	int fd;
	struct evbuffer *in;
	bool eof;
};

static void raw_pump(struct raw *r)
{
	uint8_t tmp[4096];

	while (r->fd >= 0 && !r->eof) {
		ssize_t n = recv(r->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (n > 0) {
			evbuffer_add(r->in, tmp, (size_t)n);
			continue;
		}
		if (n < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		r->eof = true; /* 0 = orderly close; other errors too */
	}
}

static bool raw_has_frame(void *arg)
{
	struct raw *r = arg;
	uint32_t len;

	raw_pump(r);
	return frame_check_evbuffer(r->in, RPC_MAX_FRAME_LIMIT, &len) ==
	       FRAME_READY;
}

static bool raw_eof(void *arg)
{
	struct raw *r = arg;

	raw_pump(r);
	return r->eof;
}

static Colossus__Frame *raw_take_frame(struct raw *r)
{
	uint32_t len = 0;
	uint8_t *p;
	Colossus__Frame *f;

	if (frame_check_evbuffer(r->in, RPC_MAX_FRAME_LIMIT, &len) !=
	    FRAME_READY)
		return NULL;
	p = evbuffer_pullup(r->in, (ev_ssize_t)(RPC_FRAME_HEADER + len));
	f = frame_unpack(p + RPC_FRAME_HEADER, len);
	evbuffer_drain(r->in, RPC_FRAME_HEADER + len);
	return f;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

static void raw_send_request(struct raw *r, uint64_t id, uint32_t version,
			     uint64_t seq)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
	uint8_t *buf;
	size_t n;
	struct err e;

	hb.seq = seq;
	req.id = id;
	req.version = version;
	req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
	req.heartbeat = &hb;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	if (frame_pack(&f, RPC_MAX_FRAME_DEFAULT, &buf, &n, &e) < 0) {
		diag("frame_pack: %s", e.msg);
		exit(1);
	}
	write_all(r->fd, buf, n);
	free(buf);
}

static void raw_send_response(struct raw *r, uint64_t id)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	uint8_t *buf;
	size_t n;
	struct err e;

	resp.id = id;
	resp.version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_RESPONSE;
	f.response = &resp;
	if (frame_pack(&f, RPC_MAX_FRAME_DEFAULT, &buf, &n, &e) < 0)
		exit(1);
	write_all(r->fd, buf, n);
	free(buf);
}

/* An rpcconn on one end and a raw socket on the other. */
static void raw_open(struct side *s, struct raw *r,
		     const struct rpcconn_opts *opts)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	evutil_make_socket_nonblocking(sv[0]);
	side_wrap(s, sv[0], opts);
	r->fd = sv[1];
	r->in = evbuffer_new();
	r->eof = false;
}

static void raw_close(struct raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	evbuffer_free(r->in);
	r->in = NULL;
}

static const struct rpcconn_opts default_opts = {
	.max_frame = 0, /* default */
	.label = "test",
};

/* ---------------------------------------------------------------- */

static void test_matching(void)
{
	struct side a, b;
	struct reply r[5];
	uint64_t ids[5];
	struct replies rs = { r, 5 };
	struct count_wait w = { &b.nreq, 5 };
	struct err e;
	int rc = 0, matched = 0;

	pair_open(&a, &b, &default_opts, &default_opts);
	b.mode = MODE_STORE;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 5; i++)
		rc |= send_hb(a.c, 100 + (uint64_t)i, TIMEOUT_LONG, &r[i],
			      &ids[i], &e);
	ok(rc == 0, "five requests queued");
	is_int(rpcconn_pending_count(a.c), 5, "five pending");
	ok(ids[0] && ids[1] != ids[0] && ids[2] != ids[1] && ids[3] != ids[2] &&
		   ids[4] != ids[3],
	   "each request got its own non-zero id");
	ok(run_until(count_reached, &w), "peer received all five");
	ok(b.req_ids[0] == ids[0] && b.req_ids[4] == ids[4] &&
		   b.req_seq[2] == 102,
	   "peer saw the ids and bodies in order");
	ok(b.req_version[0] == RPC_VERSION, "requests carry RPC_VERSION");
	is_int(r[0].calls + r[1].calls + r[2].calls + r[3].calls + r[4].calls,
	       0, "no reply callback before any response");

	/* Answer in reverse order, each with its own sequence number. */
	for (int i = 4; i >= 0; i--) {
		char name[32];

		snprintf(name, sizeof(name), "seq-%llu",
			 (unsigned long long)b.req_seq[i]);
		rc |= respond_name(b.c, b.req_ids[i], name);
	}
	ok(rc == 0, "five responses queued in reverse order");
	ok(run_until(replies_done, &rs), "all five replies arrived");
	for (int i = 0; i < 5; i++) {
		char want[32];

		snprintf(want, sizeof(want), "seq-%d", 100 + i);
		if (r[i].calls == 1 && r[i].got_resp &&
		    r[i].resp_id == ids[i] && !strcmp(r[i].name, want) &&
		    r[i].why[0] == '\0')
			matched++;
		else
			diag("request %d: calls=%d id=%llu name=%s", i,
			     r[i].calls, (unsigned long long)r[i].resp_id,
			     r[i].name);
	}
	is_int(matched, 5, "each reply reached the request with its id, once");
	is_int(rpcconn_pending_count(a.c), 0, "nothing pending");

	/* A response nobody asked for is ignored; the connection lives. */
	ok(respond_name(b.c, 987654, "stray") == 0, "stray response sent");
	memset(r, 0, sizeof(r));
	b.mode = MODE_ECHO;
	ok(send_hb(a.c, 7, TIMEOUT_LONG, &r[0], &ids[0], &e) == 0 &&
		   run_until(reply_done, &r[0]) && r[0].got_resp &&
		   !strcmp(r[0].name, "seq-7"),
	   "stray response ignored; next request still answered");

	/* Both directions at once. */
	memset(r, 0, sizeof(r));
	a.mode = MODE_ECHO;
	rc = send_hb(a.c, 11, TIMEOUT_LONG, &r[0], NULL, &e);
	rc |= send_hb(b.c, 22, TIMEOUT_LONG, &r[1], NULL, &e);
	rs.n = 2;
	ok(rc == 0 && run_until(replies_done, &rs) &&
		   !strcmp(r[0].name, "seq-11") && !strcmp(r[1].name, "seq-22"),
	   "requests in both directions are answered");
	ok(!a.closed && !b.closed, "neither side closed");
	side_release(&a);
	side_release(&b);
}

static void test_notify(void)
{
	struct side a, b;
	struct reply r;
	struct count_wait w = { &b.nreq, 2 };
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
	struct err e;

	pair_open(&a, &b, &default_opts, &default_opts);
	b.mode = MODE_ECHO;
	hb.seq = 5;
	req.id = 1234; /* must be overwritten with 0 */
	req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
	req.heartbeat = &hb;
	ok(rpcconn_notify(a.c, &req, &e) == 0, "notification queued");
	is_int(req.id, 0, "notification id is 0");
	is_int(rpcconn_pending_count(a.c), 0,
	       "a notification leaves nothing pending");
	memset(&r, 0, sizeof(r));
	ok(send_hb(a.c, 6, TIMEOUT_LONG, &r, NULL, &e) == 0,
	   "a request follows");
	ok(run_until(count_reached, &w), "peer got both");
	ok(b.req_ids[0] == 0 && b.req_seq[0] == 5,
	   "peer saw the notification with id 0");
	ok(b.req_ids[1] != 0 && b.req_seq[1] == 6, "then the request");
	ok(run_until(reply_done, &r) && r.got_resp && r.calls == 1 &&
		   !strcmp(r.name, "seq-6"),
	   "only the request was answered (its reply is the first frame)");
	side_release(&a);
	side_release(&b);
}

static void test_timeout(void)
{
	struct side a, b;
	struct reply r, r2;
	uint64_t id;
	struct err e;

	pair_open(&a, &b, &default_opts, &default_opts);
	b.mode = MODE_STORE;
	memset(&r, 0, sizeof(r));
	ok(send_hb(a.c, 1, 50, &r, &id, &e) == 0,
	   "request with a 50 ms timeout");
	ok(run_until(reply_done, &r), "its callback fired");
	is_int(r.calls, 1, "exactly once");
	ok(!r.got_resp, "with resp == NULL");
	ok(r.why[0] != '\0', "and a reason (%s)", r.why);
	ok(strstr(r.why, "time") != NULL, "the reason says it timed out");
	is_int(rpcconn_pending_count(a.c), 0, "nothing pending after timeout");

	/* The peer answers late: the callback must not run again. */
	ok(b.nreq == 1 && respond_name(b.c, b.req_ids[0], "late") == 0,
	   "peer answers after the timeout");
	b.mode = MODE_ECHO;
	memset(&r2, 0, sizeof(r2));
	ok(send_hb(a.c, 2, TIMEOUT_LONG, &r2, NULL, &e) == 0 &&
		   run_until(reply_done, &r2),
	   "a later request completes (the late answer was read first)");
	is_int(r.calls, 1, "late answer did not call the timed-out callback");
	ok(!a.closed, "connection still open");
	side_release(&a);
	side_release(&b);
}

static void test_peer_close(void)
{
	struct side a, b;
	struct reply r[3];
	struct replies rs = { r, 3 };
	struct count_wait w = { &b.nreq, 3 };
	struct reply after;
	struct err e;
	int rc = 0, failed = 0;

	pair_open(&a, &b, &default_opts, &default_opts);
	b.mode = MODE_IGNORE;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		rc |= send_hb(a.c, (uint64_t)i, TIMEOUT_LONG, &r[i], NULL, &e);
	ok(rc == 0 && run_until(count_reached, &w),
	   "three requests reached the peer");

	rpcconn_close(b.c, "peer says bye");
	ok(rpcconn_is_closed(b.c), "closing side reports closed at once");
	ok(run_until(side_closed, &a), "A saw the close");
	ok(run_until(side_closed, &b), "B's own on_close fired");
	ok(run_until(replies_done, &rs), "A's pending requests completed");
	for (int i = 0; i < 3; i++)
		if (r[i].calls == 1 && !r[i].got_resp && r[i].why[0])
			failed++;
	is_int(failed, 3, "each pending request failed once with a reason");
	diag("reason given: %s; A closed because: %s", r[0].why, a.close_why);
	ok(a.close_why[0] != '\0', "A's on_close has a reason");
	is_str(b.close_why, "peer says bye", "B's on_close has its own reason");
	is_int(rpcconn_pending_count(a.c), 0, "nothing pending");
	ok(rpcconn_is_closed(a.c), "A reports closed");

	memset(&after, 0, sizeof(after));
	err_clear(&e);
	is_int(send_hb(a.c, 9, TIMEOUT_LONG, &after, NULL, &e), -1,
	       "request on a closed connection fails");
	ok(e.msg[0] != '\0', "with a message (%s)", e.msg);
	{
		Colossus__Request req = COLOSSUS__REQUEST__INIT;

		ok(rpcconn_notify(a.c, &req, &e) == -1,
		   "notify on a closed connection fails");
	}
	ok(rpcconn_respond_error(a.c, 1, COLOSSUS__STATUS__STATUS_INTERNAL,
				 "x") == -1,
	   "respond_error on a closed connection fails quietly");
	run_idle(20);
	is_int(after.calls, 0, "a refused request never calls back");
	is_int(a.nclose, 1, "A's on_close ran exactly once");
	is_int(b.nclose, 1, "B's on_close ran exactly once");
	for (int i = 0; i < 3; i++)
		if (r[i].calls != 1)
			failed = -1;
	ok(failed == 3, "no pending callback ran twice");
	side_release(&a);
	side_release(&b);
}

/* The raw peer vanishes; the owner drops its reference inside on_close. */
static void test_raw_close_unref(void)
{
	struct side a;
	struct raw raw;
	struct reply r;
	struct err e;

	raw_open(&a, &raw, &default_opts);
	a.unref_on_close = true;
	memset(&r, 0, sizeof(r));
	ok(send_hb(a.c, 1, TIMEOUT_LONG, &r, NULL, &e) == 0,
	   "request to a raw peer");
	ok(run_until(raw_has_frame, &raw), "raw peer received it");
	close(raw.fd);
	raw.fd = -1;
	ok(run_until(side_closed, &a), "on_close after the peer vanished");
	ok(run_until(reply_done, &r) && r.calls == 1 && !r.got_resp && r.why[0],
	   "pending request failed with a reason (%s)", r.why);
	ok(a.c == NULL, "owner dropped its reference inside on_close");
	run_idle(20);
	is_int(a.nclose, 1, "on_close ran once");
	is_int(r.calls, 1, "reply callback ran once");
	raw_close(&raw);
}

/*
 * A protocol violation from the raw peer: the rpcconn must answer with
 * one error Response (id 0, STATUS_INVALID), close, and never hand the
 * frame to on_request.
 */
static void check_rejected(const char *what, const void *bytes, size_t n,
			   const struct rpcconn_opts *opts, int good_first)
{
	struct side a;
	struct raw raw;
	Colossus__Frame *f;

	raw_open(&a, &raw, opts);
	a.mode = MODE_ECHO;
	for (int i = 0; i < good_first; i++)
		raw_send_request(&raw, 0, RPC_VERSION, 40 + (uint64_t)i);
	write_all(raw.fd, bytes, n);
	ok(run_until(side_closed, &a), "%s: connection closed", what);
	is_int(a.nclose, 1, "%s: on_close once", what);
	ok(a.close_why[0] != '\0', "%s: close reason given (%s)", what,
	   a.close_why);
	is_int(a.nreq, good_first,
	       "%s: only the %d good frames before it reached on_request", what,
	       good_first);
	ok(run_until(raw_eof, &raw), "%s: peer sees EOF", what);
	f = raw_take_frame(&raw);
	ok(f && f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE,
	   "%s: peer got a Response before the EOF", what);
	if (f && f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE) {
		is_int(f->response->id, 0, "%s: error response has id 0", what);
		is_int(f->response->status, COLOSSUS__STATUS__STATUS_INVALID,
		       "%s: status INVALID", what);
		ok(f->response->error && f->response->error[0],
		   "%s: error text (%s)", what, f->response->error);
	} else {
		skip(3, "no response");
	}
	if (f)
		colossus__frame__free_unpacked(f, NULL);
	is_int(evbuffer_get_length(raw.in), 0, "%s: nothing else was sent",
	       what);
	side_release(&a);
	raw_close(&raw);
}

static void test_bad_frames(void)
{
	struct rpcconn_opts small = default_opts;
	uint8_t buf[64];

	small.max_frame = 1024;
	/* Announces 1 MiB against a 1 KiB limit; only a few bytes follow. */
	frame_put_header(buf, 1024 * 1024);
	memset(buf + 4, 'A', 16);
	check_rejected("oversized announcement", buf, 20, &small, 0);
	/* Just one byte over the limit. */
	frame_put_header(buf, 1025);
	check_rejected("max_frame + 1", buf, 4, &small, 2);
	/* Announced above the default limit with default options. */
	frame_put_header(buf, RPC_MAX_FRAME_DEFAULT + 1);
	check_rejected("above the default limit", buf, 4, &default_opts, 0);

	/* Garbage body. */
	frame_put_header(buf, 6);
	memset(buf + 4, 0xff, 6);
	check_rejected("malformed frame", buf, 10, &default_opts, 1);
	/* A valid protobuf that is not a Frame (only unknown field 7). */
	frame_put_header(buf, 2);
	buf[4] = 0x38;
	buf[5] = 0x01;
	check_rejected("frame with neither request nor response", buf, 6,
		       &default_opts, 0);
	/* Zero length. */
	frame_put_header(buf, 0);
	check_rejected("empty frame", buf, 4, &default_opts, 1);
}

static void test_respond_error(void)
{
	struct side a, b;
	struct reply r;
	uint64_t id;
	struct err e;

	pair_open(&a, &b, &default_opts, &default_opts);
	b.mode = MODE_ERROR;
	memset(&r, 0, sizeof(r));
	ok(send_hb(a.c, 77, TIMEOUT_LONG, &r, &id, &e) == 0 &&
		   run_until(reply_done, &r),
	   "request answered with respond_error");
	ok(r.calls == 1 && r.got_resp && r.resp_id == id,
	   "error response matched to the request");
	is_int(r.status, COLOSSUS__STATUS__STATUS_CONFLICT, "status CONFLICT");
	is_str(r.error, "job 77 is busy", "formatted error text");
	ok(!a.closed && !b.closed, "an error response keeps the connection");
	side_release(&a);
	side_release(&b);
}

static void test_max_pending(void)
{
	struct side a, b;
	struct rpcconn_opts lim = default_opts;
	struct reply r[5];
	struct count_wait w = { &b.nreq, 3 };
	struct err e;
	int rc = 0;

	lim.max_pending = 3;
	pair_open(&a, &b, &lim, &default_opts);
	b.mode = MODE_STORE;
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		rc |= send_hb(a.c, (uint64_t)i, TIMEOUT_LONG, &r[i], NULL, &e);
	ok(rc == 0, "three requests accepted with max_pending 3");
	err_clear(&e);
	is_int(send_hb(a.c, 3, TIMEOUT_LONG, &r[3], NULL, &e), -1,
	       "the fourth is refused");
	ok(e.msg[0] != '\0', "with a message (%s)", e.msg);
	is_int(rpcconn_pending_count(a.c), 3, "still three pending");
	ok(run_until(count_reached, &w), "peer got the three");
	run_idle(10);
	is_int(b.nreq, 3, "the refused request was never sent");
	ok(respond_name(b.c, b.req_ids[0], "one") == 0 &&
		   run_until(reply_done, &r[0]),
	   "one answered");
	is_int(rpcconn_pending_count(a.c), 2, "two pending");
	ok(send_hb(a.c, 4, TIMEOUT_LONG, &r[4], NULL, &e) == 0,
	   "a new request fits again");
	is_int(r[3].calls, 0, "the refused request never called back");
	side_release(&a);
	/* A's pending requests failed on close, each once. */
	ok(r[1].calls == 1 && r[2].calls == 1 && r[4].calls == 1 &&
		   !r[1].got_resp,
	   "requests pending at close failed once each");
	side_release(&b);
}

static void test_version(void)
{
	struct side a;
	struct raw raw;
	Colossus__Frame *f;
	uint32_t other_major = (uint32_t)(RPC_VERSION_MAJOR + 1) << 16;

	raw_open(&a, &raw, &default_opts);
	a.mode = MODE_ECHO;

	raw_send_request(&raw, 77, other_major, 1);
	ok(run_until(raw_has_frame, &raw), "version mismatch answered");
	f = raw_take_frame(&raw);
	ok(f && f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		   f->response->id == 77,
	   "answer carries the request id");
	if (f && f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE) {
		is_int(f->response->status, COLOSSUS__STATUS__STATUS_VERSION,
		       "status VERSION");
		ok(f->response->error[0] != '\0', "error text (%s)",
		   f->response->error);
	} else {
		skip(2, "no response");
	}
	if (f)
		colossus__frame__free_unpacked(f, NULL);
	is_int(a.nreq, 0, "a request of another major never reaches the owner");
	ok(rpcconn_peer_version(a.c) == other_major, "peer version recorded");

	/* Mismatch without an id: no answer; then a good request. */
	raw_send_request(&raw, 0, other_major, 2);
	raw_send_request(&raw, 78, (RPC_VERSION_MAJOR << 16) | 5, 3);
	ok(run_until(raw_has_frame, &raw), "next answer arrived");
	f = raw_take_frame(&raw);
	ok(f && f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		   f->response->id == 78 &&
		   f->response->status == COLOSSUS__STATUS__STATUS_OK,
	   "notification of another major got no answer; same major with "
	   "a newer minor is served");
	if (f)
		colossus__frame__free_unpacked(f, NULL);
	ok(a.nreq == 1 && a.req_seq[0] == 3,
	   "only the compatible request reached the owner");

	/* A response to an id that was never used is ignored. */
	raw_send_response(&raw, 424242);
	raw_send_request(&raw, 79, RPC_VERSION, 4);
	ok(run_until(raw_has_frame, &raw), "still serving after a stray "
					   "response");
	f = raw_take_frame(&raw);
	ok(f && f->response && f->response->id == 79, "answer to id 79");
	if (f)
		colossus__frame__free_unpacked(f, NULL);
	ok(!a.closed, "version mismatches do not close the connection");
	side_release(&a);
	raw_close(&raw);
}

/* Pack a kill_job request whose reason has reason_len bytes. */
static uint8_t *pack_kill(uint64_t id, size_t reason_len, size_t *n)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	char *reason = xmalloc(reason_len + 1);
	uint8_t *buf;
	struct err e;

	memset(reason, 'k', reason_len);
	reason[reason_len] = '\0';
	kj.job_id = 1;
	kj.reason = reason;
	req.id = id;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	if (frame_pack(&f, RPC_MAX_FRAME_LIMIT, &buf, n, &e) < 0) {
		diag("frame_pack: %s", e.msg);
		exit(1);
	}
	free(reason);
	return buf;
}

struct pumped {
	struct raw *raw;
	const uint8_t *buf;
	size_t len, off;
};

/* Write as much as the socket takes without blocking. */
static bool pumped_written(void *arg)
{
	struct pumped *p = arg;

	while (p->off < p->len) {
		ssize_t w = send(p->raw->fd, p->buf + p->off, p->len - p->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w <= 0)
			break;
		p->off += (size_t)w;
	}
	raw_pump(p->raw);
	return p->off == p->len;
}

/* Frames at the size limit, split, glued together, and very large. */
static void test_frame_sizes(void)
{
	struct rpcconn_opts small = default_opts;
	struct side a;
	struct raw raw;
	struct count_wait w = { &a.nreq, 1 };
	uint8_t *buf;
	size_t n, reason;

	/* Find the reason length that makes the body exactly 1024 bytes. */
	for (reason = 900; reason < 1100; reason++) {
		buf = pack_kill(1, reason, &n);
		free(buf);
		if (n - RPC_FRAME_HEADER == 1024)
			break;
	}
	small.max_frame = 1024;
	raw_open(&a, &raw, &small);
	a.mode = MODE_IGNORE;
	buf = pack_kill(1, reason, &n);
	ok(n - RPC_FRAME_HEADER == 1024, "test frame body is 1024 bytes");
	write_all(raw.fd, buf, n);
	free(buf);
	ok(run_until(count_reached, &w) && !a.closed,
	   "a frame of exactly max_frame is accepted");
	is_int(a.last_reason_len, reason, "and delivered whole");

	/* One byte at a time, running the loop in between. */
	buf = pack_kill(2, 300, &n);
	for (size_t i = 0; i < n; i++) {
		write_all(raw.fd, buf + i, 1);
		run_idle(2);
	}
	free(buf);
	w.want = 2;
	ok(run_until(count_reached, &w) && a.nreq == 2 && a.req_ids[1] == 2 &&
		   a.last_reason_len == 300,
	   "a frame written one byte at a time is delivered once");

	/* Fifty frames in one write. */
	{
		struct evbuffer *all = evbuffer_new();
		int in_order = 1;

		for (int i = 0; i < 50; i++) {
			buf = pack_kill(100 + (uint64_t)i, 10 + (size_t)i, &n);
			evbuffer_add(all, buf, n);
			free(buf);
		}
		write_all(raw.fd, evbuffer_pullup(all, -1),
			  evbuffer_get_length(all));
		evbuffer_free(all);
		w.want = 52;
		ok(run_until(count_reached, &w), "fifty glued frames arrived");
		for (int i = 0; i < 50; i++)
			if (a.req_ids[2 + i] != 100 + (uint64_t)i)
				in_order = 0;
		ok(in_order, "in order");
		ok(!a.closed, "connection still open");
	}
	side_release(&a);
	raw_close(&raw);

	/* 3 MiB under the default 4 MiB limit, fed as the socket takes it. */
	raw_open(&a, &raw, &default_opts);
	a.mode = MODE_IGNORE;
	buf = pack_kill(9, 3u * 1024 * 1024, &n);
	{
		struct pumped p = { &raw, buf, n, 0 };

		w.want = 1;
		ok(run_until(pumped_written, &p), "3 MiB frame written");
		ok(run_until(count_reached, &w) && !a.closed &&
			   a.last_reason_len == 3u * 1024 * 1024,
		   "a 3 MiB frame under the 4 MiB limit is delivered whole");
	}
	free(buf);
	side_release(&a);
	raw_close(&raw);
}

/* Replying and closing at once still delivers the reply, then EOF. */
static void test_reply_then_close(void)
{
	static const size_t pads[] = { 10, 256 * 1024 };

	for (size_t i = 0; i < ARRAY_SIZE(pads); i++) {
		struct side a;
		struct raw raw;
		Colossus__Frame *f;

		raw_open(&a, &raw, &default_opts);
		a.mode = MODE_REPLY_CLOSE;
		a.reply_pad = pads[i];
		raw_send_request(&raw, 5, RPC_VERSION, 1);
		ok(run_until(raw_eof, &raw), "pad %zu: peer sees EOF", pads[i]);
		f = raw_take_frame(&raw);
		ok(f && f->response && f->response->id == 5 &&
			   f->response->body_case ==
				   COLOSSUS__RESPONSE__BODY_WHOAMI &&
			   strlen(f->response->whoami->controller_version) ==
				   pads[i],
		   "pad %zu: the reply sent just before close arrived whole",
		   pads[i]);
		if (f)
			colossus__frame__free_unpacked(f, NULL);
		ok(run_until(side_closed, &a), "pad %zu: on_close", pads[i]);
		is_str(a.close_why, "done after reply",
		       "pad %zu: with the owner's reason", pads[i]);
		run_idle(10);
		is_int(a.nclose, 1, "pad %zu: once", pads[i]);
		side_release(&a);
		raw_close(&raw);
	}
}

/* Sending more than max_frame fails locally; nothing is queued. */
static void test_send_too_big(void)
{
	struct rpcconn_opts small = default_opts;
	struct side a, b;
	struct reply r;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	char reason[2048];
	struct err e;

	small.max_frame = 1024;
	pair_open(&a, &b, &small, &default_opts);
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	kj.reason = reason;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	memset(&r, 0, sizeof(r));
	err_clear(&e);
	is_int(rpcconn_request(a.c, &req, TIMEOUT_LONG, reply_cb, &r, &e), -1,
	       "request above max_frame refused");
	ok(e.msg[0] != '\0', "with a message (%s)", e.msg);
	is_int(rpcconn_pending_count(a.c), 0, "nothing pending");
	is_int(rpcconn_output_len(a.c), 0, "nothing queued");
	ok(rpcconn_notify(a.c, &req, &e) == -1,
	   "notification above max_frame refused");
	b.mode = MODE_ECHO;
	ok(send_hb(a.c, 3, TIMEOUT_LONG, &r, NULL, &e) == 0 &&
		   run_until(reply_done, &r) && r.calls == 1 &&
		   !strcmp(r.name, "seq-3"),
	   "the connection still works");
	is_int(b.nreq, 1, "the peer saw only the small request");
	side_release(&a);
	side_release(&b);
}

/* A peer that does not read: past max_output the connection is dropped. */
static void test_max_output(void)
{
	struct rpcconn_opts lim = default_opts;
	struct side a;
	struct raw raw;
	struct reply r;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	char reason[1000];
	struct err e;
	int sent = 0, failed_at = -1;

	lim.max_output = 4096;
	raw_open(&a, &raw, &lim);
	memset(&r, 0, sizeof(r));
	ok(send_hb(a.c, 1, TIMEOUT_LONG, &r, NULL, &e) == 0,
	   "a request is pending");
	memset(reason, 'o', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	kj.reason = reason;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	/* The loop does not run, so nothing leaves the output buffer. */
	for (int i = 0; i < 20 && failed_at < 0; i++) {
		if (rpcconn_notify(a.c, &req, &e) == 0)
			sent++;
		else
			failed_at = i;
	}
	ok(failed_at > 0,
	   "sending fails once more than max_output is "
	   "queued (after %d notifications)",
	   sent);
	ok(rpcconn_is_closed(a.c), "the connection is closing");
	ok(run_until(side_closed, &a), "on_close fired");
	ok(a.close_why[0] != '\0', "with a reason (%s)", a.close_why);
	ok(run_until(reply_done, &r) && r.calls == 1 && !r.got_resp,
	   "the pending request failed once");
	run_idle(10);
	is_int(a.nclose, 1, "on_close once");
	side_release(&a);
	raw_close(&raw);
}

int main(void)
{
	static const struct timeval tick = { 0, 10000 };

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERR);
	base = event_base_new();
	watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
	event_add(watchdog, &tick);

	test_matching();
	test_notify();
	test_timeout();
	test_peer_close();
	test_raw_close_unref();
	test_bad_frames();
	test_respond_error();
	test_max_pending();
	test_version();
	test_frame_sizes();
	test_reply_then_close();
	test_send_too_big();
	test_max_output();

	event_free(watchdog);
	event_base_free(base);
	return done_testing();
}
