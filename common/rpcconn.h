/*
 * rpcconn: one framed protobuf RPC connection over a bufferevent (TLS in
 * production, plain in unit tests).  Shared by the controller, the agent
 * and the simulator.
 *
 * It reads frames (checking the announced length before allocating),
 * hands each Request to the owner, matches each Response to the request
 * that asked for it, times out requests that get no answer, and tells the
 * owner exactly once when the connection is gone.
 *
 * Malformed or oversized frames get an error Response (id 0) and the
 * connection is closed once that reply is flushed; a request with an
 * unknown body is the owner's to answer (usually STATUS_UNSUPPORTED).
 *
 * Lifetime: rpcconn_create() returns a connection holding one reference
 * that belongs to the owner.  Callbacks never run before the call that
 * triggered them returns, and on_close runs once, from the event loop.
 * After on_close the owner drops its reference with rpcconn_unref().
 */
#ifndef COMMON_RPCCONN_H
#define COMMON_RPCCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "common/err.h"
#include "proto/rpc.h"

struct rpcconn;

struct rpcconn_ops {
	/*
	 * A request arrived.  req is freed when the callback returns: keep
	 * copies, not pointers.  req->id == 0 means no response is wanted.
	 */
	void (*on_request)(struct rpcconn *c, const Colossus__Request *req,
			   void *arg);
	/* Handshake complete.  Return -1 to refuse the peer (closes it). */
	int (*on_connected)(struct rpcconn *c, void *arg);
	/* The connection is gone; why is a short human reason. */
	void (*on_close)(struct rpcconn *c, const char *why, void *arg);
};

struct rpcconn_opts {
	uint32_t max_frame;	      /* largest frame accepted and sent      */
	size_t max_output;	      /* queued bytes before giving up on peer */
	unsigned handshake_timeout_ms; /* 0 = none                          */
	unsigned idle_timeout_ms;      /* no bytes for this long: close; 0 = none */
	unsigned max_pending;	      /* outgoing requests awaiting replies   */
	const char *label;	      /* for log lines ("agent", "client")    */
};

/*
 * Reply to a request we sent.  resp is NULL when the request failed
 * locally (timeout, connection closed); why then says what happened.
 * resp is freed when the callback returns.
 */
typedef void (*rpcconn_reply_fn)(struct rpcconn *c,
				 const Colossus__Response *resp,
				 const char *why, void *arg);

/*
 * Wrap bev (ownership is taken; it is freed with the connection).  For a
 * connecting client, call this before the connect completes; on_connected
 * fires when the TLS handshake is done.
 */
struct rpcconn *rpcconn_create(struct event_base *base, struct bufferevent *bev,
			       const struct rpcconn_opts *opts,
			       const struct rpcconn_ops *ops, void *arg);
void rpcconn_ref(struct rpcconn *c);
void rpcconn_unref(struct rpcconn *c);

/*
 * Send a request and call cb once with its response, a timeout, or the
 * connection's loss (timeout_ms 0: no timeout).  The id is assigned here.  Returns 0, or -1 with e
 * set when it could not be queued (closed, too many pending, too big); cb
 * is then never called.
 */
int rpcconn_request(struct rpcconn *c, Colossus__Request *req,
		    unsigned timeout_ms, rpcconn_reply_fn cb, void *arg,
		    struct err *e) MUSTCHECK;
/* Send a notification (id 0, no response). */
int rpcconn_notify(struct rpcconn *c, Colossus__Request *req, struct err *e)
	MUSTCHECK;
/* Send a response; resp->id must be the request's id. */
int rpcconn_respond(struct rpcconn *c, Colossus__Response *resp,
		    struct err *e) MUSTCHECK;
/* Send an error response with a formatted message. */
int rpcconn_respond_error(struct rpcconn *c, uint64_t id, int status,
			  const char *fmt, ...) PRINTF_LIKE(4, 5);
/*
 * Close: stop reading, flush what is queued (bounded by one second), then
 * free the socket.  on_close follows from the loop.  Idempotent.
 */
void rpcconn_close(struct rpcconn *c, const char *why);
bool rpcconn_is_closed(const struct rpcconn *c);

SSL *rpcconn_ssl(const struct rpcconn *c);
/* Numeric peer address "ip:port" (set by the owner, "" by default). */
const char *rpcconn_peer(const struct rpcconn *c);
void rpcconn_set_peer(struct rpcconn *c, const char *peer);
size_t rpcconn_output_len(const struct rpcconn *c);
size_t rpcconn_pending_count(const struct rpcconn *c);
uint32_t rpcconn_peer_version(const struct rpcconn *c);
/* Replace the idle timeout (after registration, for example). */
void rpcconn_set_idle_timeout(struct rpcconn *c, unsigned ms);

#endif
