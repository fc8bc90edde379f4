/*
 * Framed RPC over a bufferevent.  See rpcconn.h for the contract.
 *
 * Teardown is the delicate part: owners call rpcconn_close() from inside
 * our callbacks, and pending-request callbacks may drop the last owner
 * reference.  So every callback runs with a reference held, on_close and
 * the failure of pending requests run from a zero-delay timer, and the
 * struct is freed only when the last reference goes.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "common/frame.h"
#include "common/log.h"
#include "common/rpcconn.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"

struct rpc_pending {
	struct rpc_pending *next, *prev;
	struct rpcconn *conn;
	uint64_t id;
	rpcconn_reply_fn cb;
	void *arg;
	struct event *timer;
};

struct rpcconn {
	int refs;
	struct event_base *base;
	struct bufferevent *bev;
	struct rpcconn_opts opts;
	const struct rpcconn_ops *ops;
	void *arg;
	char label[32];
	char peer[64];
	uint64_t next_id;
	uint32_t peer_version;
	bool connected;
	bool closing; /* no more reads; flushing output           */
	bool closed;  /* socket gone                               */
	bool close_notified;
	char close_why[160];
	struct rpc_pending pending; /* list head                        */
	size_t npending;
	struct event *close_ev; /* deferred teardown + on_close  */
	struct event *flush_ev; /* bound on the final flush      */
};

static void rpcconn_teardown(struct rpcconn *c, const char *why);

void rpcconn_ref(struct rpcconn *c)
{
	c->refs++;
}

static void rpcconn_free(struct rpcconn *c)
{
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->close_ev)
		event_free(c->close_ev);
	if (c->flush_ev)
		event_free(c->flush_ev);
	free(c);
}

void rpcconn_unref(struct rpcconn *c)
{
	if (!c)
		return;
	if (--c->refs > 0)
		return;
	/* The last reference: nothing can reach us any more. */
	while (c->pending.next != &c->pending) {
		struct rpc_pending *p = c->pending.next;

		p->prev->next = p->next;
		p->next->prev = p->prev;
		event_free(p->timer);
		free(p);
	}
	rpcconn_free(c);
}

static void rpcconn_pending_unlink(struct rpc_pending *p)
{
	p->prev->next = p->next;
	p->next->prev = p->prev;
	p->conn->npending--;
	event_free(p->timer);
}

static void rpcconn_pending_timeout_cb(evutil_socket_t fd, short what,
				       void *arg)
{
	struct rpc_pending *p = arg;
	struct rpcconn *c = p->conn;

	(void)fd;
	(void)what;
	rpcconn_ref(c);
	rpcconn_pending_unlink(p);
	p->cb(c, NULL, "request timed out", p->arg);
	free(p);
	rpcconn_unref(c);
}

/* Fail every pending request; runs from the loop (close_ev). */
static void rpcconn_fail_pending(struct rpcconn *c, const char *why)
{
	while (c->pending.next != &c->pending) {
		struct rpc_pending *p = c->pending.next;

		rpcconn_pending_unlink(p);
		p->cb(c, NULL, why, p->arg);
		free(p);
	}
}

static void rpcconn_close_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rpcconn *c = arg;

	(void)fd;
	(void)what;
	rpcconn_ref(c);
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	rpcconn_fail_pending(c, c->close_why);
	if (!c->close_notified) {
		c->close_notified = true;
		if (c->ops->on_close)
			c->ops->on_close(c, c->close_why, c->arg);
	}
	rpcconn_unref(c);
}

/* Mark closed and schedule on_close; safe to call from any callback. */
static void rpcconn_teardown(struct rpcconn *c, const char *why)
{
	static const struct timeval zero = { 0, 0 };

	if (c->closed)
		return;
	c->closed = true;
	c->closing = true;
	if (util_strlcpy(c->close_why, why, sizeof(c->close_why)) < 0) {
		/* a truncated reason is still a reason */
	}
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (c->flush_ev)
		event_del(c->flush_ev);
	event_add(c->close_ev, &zero);
}

static void rpcconn_flush_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rpcconn_teardown(arg, ((struct rpcconn *)arg)->close_why);
}

static void rpcconn_write_cb(struct bufferevent *bev, void *arg)
{
	struct rpcconn *c = arg;

	(void)bev;
	/* Called when the output drained below the low watermark (0). */
	if (c->closing && !c->closed)
		rpcconn_teardown(c, c->close_why);
}

void rpcconn_close(struct rpcconn *c, const char *why)
{
	static const struct timeval flush_max = { 1, 0 };

	if (c->closing)
		return;
	c->closing = true;
	if (util_strlcpy(c->close_why, why, sizeof(c->close_why)) < 0) {
		/* truncated */
	}
	if (!c->bev ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		rpcconn_teardown(c, why);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	event_add(c->flush_ev, &flush_max);
}

bool rpcconn_is_closed(const struct rpcconn *c)
{
	return c->closing;
}

static int rpcconn_send_frame(struct rpcconn *c, const Colossus__Frame *f,
			      struct err *e)
{
	struct evbuffer *out;

	if (c->closing || !c->bev)
		return err_set(e, "connection closed");
	out = bufferevent_get_output(c->bev);
	if (c->opts.max_output &&
	    evbuffer_get_length(out) > c->opts.max_output) {
		log_warn("%s %s: peer is not reading (%zu bytes queued); "
			 "closing",
			 c->label, c->peer, evbuffer_get_length(out));
		rpcconn_teardown(c, "peer not reading its output");
		return err_set(e, "peer not reading");
	}
	return frame_write_evbuffer(out, f, c->opts.max_frame, e);
}

int rpcconn_request(struct rpcconn *c, Colossus__Request *req,
		    unsigned timeout_ms, rpcconn_reply_fn cb, void *arg,
		    struct err *e)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	struct rpc_pending *p;
	struct timeval tv;

	if (c->closing)
		return err_set(e, "connection closed");
	if (c->opts.max_pending && c->npending >= c->opts.max_pending)
		return err_set(e, "too many requests pending on %s", c->peer);
	req->id = ++c->next_id;
	req->version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = req;
	if (rpcconn_send_frame(c, &f, e) < 0)
		return -1;
	p = xcalloc(1, sizeof(*p));
	p->conn = c;
	p->id = req->id;
	p->cb = cb;
	p->arg = arg;
	p->timer = evtimer_new(c->base, rpcconn_pending_timeout_cb, p);
	/* 0 = no timeout: only the connection's loss ends the wait. */
	if (timeout_ms) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(p->timer, &tv);
	}
	p->next = &c->pending;
	p->prev = c->pending.prev;
	c->pending.prev->next = p;
	c->pending.prev = p;
	c->npending++;
	return 0;
}

int rpcconn_notify(struct rpcconn *c, Colossus__Request *req, struct err *e)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;

	req->id = 0;
	req->version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = req;
	return rpcconn_send_frame(c, &f, e);
}

int rpcconn_respond(struct rpcconn *c, Colossus__Response *resp, struct err *e)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;

	resp->version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_RESPONSE;
	f.response = resp;
	return rpcconn_send_frame(c, &f, e);
}

int rpcconn_respond_error(struct rpcconn *c, uint64_t id, int status,
			  const char *fmt, ...)
{
	Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp.id = id;
	resp.status = (Colossus__Status)status;
	resp.error = msg;
	return rpcconn_respond(c, &resp, NULL);
}

/* A protocol violation: tell the peer why, then hang up. */
static void rpcconn_reject(struct rpcconn *c, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
static void rpcconn_reject(struct rpcconn *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s %s: %s; closing", c->label, c->peer, msg);
	rpcconn_respond_error(c, 0, COLOSSUS__STATUS__STATUS_INVALID, "%s",
			      msg);
	rpcconn_close(c, msg);
}

static void rpcconn_handle_response(struct rpcconn *c,
				    const Colossus__Response *resp)
{
	struct rpc_pending *p;

	for (p = c->pending.next; p != &c->pending; p = p->next) {
		if (p->id == resp->id) {
			rpcconn_pending_unlink(p);
			p->cb(c, resp, NULL, p->arg);
			free(p);
			return;
		}
	}
	if (resp->id == 0 && resp->status != COLOSSUS__STATUS__STATUS_OK) {
		char esc[256];

		log_warn("%s %s: peer reports: %s", c->label, c->peer,
			 log_escape(resp->error, esc, sizeof(esc)));
		return;
	}
	log_sub(LOG_SUB_RPC, "%s %s: response to unknown request %llu",
		c->label, c->peer, (unsigned long long)resp->id);
}

static void rpcconn_handle_request(struct rpcconn *c,
				   const Colossus__Request *req)
{
	c->peer_version = req->version;
	if (RPC_VERSION_MAJOR_OF(req->version) != RPC_VERSION_MAJOR) {
		if (req->id)
			rpcconn_respond_error(
				c, req->id, COLOSSUS__STATUS__STATUS_VERSION,
				"protocol version %u.%u not supported "
				"(this side speaks %u.%u)",
				RPC_VERSION_MAJOR_OF(req->version),
				RPC_VERSION_MINOR_OF(req->version),
				RPC_VERSION_MAJOR, RPC_VERSION_MINOR);
		return;
	}
	c->ops->on_request(c, req, c->arg);
}

static void rpcconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct rpcconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	rpcconn_ref(c);
	while (!c->closing) {
		uint32_t len = 0;
		enum frame_status st =
			frame_check_evbuffer(in, c->opts.max_frame, &len);
		Colossus__Frame *f;
		uint8_t *body;

		if (st == FRAME_NEED_MORE)
			break;
		if (st == FRAME_TOO_BIG) {
			rpcconn_reject(c,
				       "frame of %u bytes exceeds the limit of "
				       "%u bytes",
				       len, c->opts.max_frame);
			break;
		}
		if (st == FRAME_EMPTY) {
			rpcconn_reject(c, "empty frame");
			break;
		}
		body = evbuffer_pullup(in,
				       (ev_ssize_t)(RPC_FRAME_HEADER + len));
		f = body ? frame_unpack(body + RPC_FRAME_HEADER, len) : NULL;
		evbuffer_drain(in, RPC_FRAME_HEADER + len);
		if (!f) {
			rpcconn_reject(c, "malformed frame of %u bytes", len);
			break;
		}
		if (f->kind_case == COLOSSUS__FRAME__KIND_REQUEST)
			rpcconn_handle_request(c, f->request);
		else
			rpcconn_handle_response(c, f->response);
		colossus__frame__free_unpacked(f, NULL);
	}
	rpcconn_unref(c);
}

static void rpcconn_log_tls_errors(struct rpcconn *c)
{
	unsigned long code;
	char line[512];
	size_t used = 0;

	line[0] = '\0';
	if (!c->bev)
		return;
	while ((code = bufferevent_get_openssl_error(c->bev)) != 0) {
		char one[200];

		ERR_error_string_n(code, one, sizeof(one));
		if (used + strlen(one) + 3 < sizeof(line))
			used += (size_t)snprintf(line + used,
						 sizeof(line) - used, "%s%s",
						 used ? "; " : "", one);
	}
	if (used)
		log_sub(LOG_SUB_TLS, "%s %s: TLS: %s", c->label, c->peer, line);
	ERR_clear_error();
}

static void rpcconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rpcconn *c = arg;

	(void)bev;
	rpcconn_ref(c);
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = true;
		if (c->opts.idle_timeout_ms) {
			struct timeval tv = { c->opts.idle_timeout_ms / 1000,
					      (c->opts.idle_timeout_ms % 1000) *
						      1000 };
			bufferevent_set_timeouts(c->bev, &tv, NULL);
		} else {
			bufferevent_set_timeouts(c->bev, NULL, NULL);
		}
		if (c->ops->on_connected &&
		    c->ops->on_connected(c, c->arg) < 0) {
			rpcconn_close(c, "peer refused");
		}
	} else if (what & BEV_EVENT_TIMEOUT) {
		rpcconn_teardown(c, c->connected ? "idle timeout"
						 : "TLS handshake timeout");
	} else if (what & BEV_EVENT_EOF) {
		rpcconn_teardown(c, "peer closed the connection");
	} else if (what & BEV_EVENT_ERROR) {
		char why[160];
		int saved = EVUTIL_SOCKET_ERROR();

		rpcconn_log_tls_errors(c);
		snprintf(why, sizeof(why), "%s",
			 saved ? evutil_socket_error_to_string(saved)
			       : (c->connected ? "TLS error"
					       : "TLS handshake failed"));
		rpcconn_teardown(c, why);
	}
	rpcconn_unref(c);
}

struct rpcconn *rpcconn_create(struct event_base *base, struct bufferevent *bev,
			       const struct rpcconn_opts *opts,
			       const struct rpcconn_ops *ops, void *arg)
{
	struct rpcconn *c = xcalloc(1, sizeof(*c));

	c->refs = 1;
	c->base = base;
	c->bev = bev;
	c->opts = *opts;
	if (c->opts.max_frame == 0 || c->opts.max_frame > RPC_MAX_FRAME_LIMIT)
		c->opts.max_frame = RPC_MAX_FRAME_DEFAULT;
	c->ops = ops;
	c->arg = arg;
	if (util_strlcpy(c->label, opts->label ? opts->label : "peer",
			 sizeof(c->label)) < 0) {
		/* truncated label */
	}
	c->pending.next = c->pending.prev = &c->pending;
	c->close_ev = evtimer_new(base, rpcconn_close_cb, c);
	c->flush_ev = evtimer_new(base, rpcconn_flush_timeout_cb, c);
	/* Never buffer more than one maximal frame of unread input. */
	bufferevent_setwatermark(bev, EV_READ, 0,
				 c->opts.max_frame + RPC_FRAME_HEADER);
	bufferevent_setcb(bev, rpcconn_read_cb, rpcconn_write_cb,
			  rpcconn_event_cb, c);
	if (c->opts.handshake_timeout_ms) {
		struct timeval tv = { c->opts.handshake_timeout_ms / 1000,
				      (c->opts.handshake_timeout_ms % 1000) *
					      1000 };
		bufferevent_set_timeouts(bev, &tv, &tv);
	}
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return c;
}

SSL *rpcconn_ssl(const struct rpcconn *c)
{
	return c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
}

const char *rpcconn_peer(const struct rpcconn *c)
{
	return c->peer;
}

void rpcconn_set_peer(struct rpcconn *c, const char *peer)
{
	if (util_strlcpy(c->peer, peer, sizeof(c->peer)) < 0) {
		/* truncated address */
	}
}

size_t rpcconn_output_len(const struct rpcconn *c)
{
	return c->bev ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

size_t rpcconn_pending_count(const struct rpcconn *c)
{
	return c->npending;
}

uint32_t rpcconn_peer_version(const struct rpcconn *c)
{
	return c->peer_version;
}

void rpcconn_set_idle_timeout(struct rpcconn *c, unsigned ms)
{
	c->opts.idle_timeout_ms = ms;
	if (c->bev && c->connected) {
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		bufferevent_set_timeouts(c->bev, ms ? &tv : NULL, NULL);
	}
}
