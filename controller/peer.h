/*
 * Peers: one per accepted connection (agent, user, admin, monitor).  A
 * peer holds the TLS identity taken from the certificate, which is the
 * only identity the controller believes (DESIGN invariant 6).
 *
 * Peers are refcounted: a request being answered later (after a database
 * commit) holds a reference, so the peer outlives its connection until
 * the answer is dropped.
 */
#ifndef CONTROLLER_PEER_H
#define CONTROLLER_PEER_H

#include <stdbool.h>

#include "common/rpcconn.h"
#include "common/tlsctx.h"

struct ctl;
struct node;

struct peer {
	int refs;
	struct ctl *ctl;
	struct rpcconn *conn;
	struct tls_identity id;
	bool identified;
	bool closed;
	struct node *node; /* agents, once registered */
	unsigned inflight; /* requests received and not yet answered */
	struct event *handshake_deadline; /* until identified (listen.c) */
	struct peer *next, *prev;
	char addr[64];
};

struct listener;

/* Bind and listen on cfg.listen.  Returns NULL with e set. */
struct listener *listener_create(struct ctl *ctl, struct err *e);
void listener_destroy(struct listener *l);
/* Stop accepting (shutdown, standby). */
void listener_pause(struct listener *l);
void listener_resume(struct listener *l);
/* The bound port (useful when configured as port 0). */
int listener_port(const struct listener *l);

void peer_ref(struct peer *p);
void peer_unref(struct peer *p);
/*
 * May p submit a job now (limits.submit_rate and submit_burst, a token
 * bucket per certificate identity, shared by all its connections)?  If
 * not, *retry_sec says when the next token is due.
 */
bool peer_submit_allowed(struct peer *p, double *retry_sec);
/* Close every connection (shutdown). */
void peer_close_all(struct ctl *ctl);

#endif
