/*
 * Accepting connections: TCP accept, TLS handshake, identity from the
 * certificate, then hand-off to the RPC dispatcher.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "controller/rpc.h"

struct listener {
	struct ctl *ctl;
	struct evconnlistener *evl;
	int port;
};

void peer_ref(struct peer *p)
{
	p->refs++;
}

void peer_unref(struct peer *p)
{
	if (--p->refs > 0)
		return;
	rpcconn_unref(p->conn);
	free(p);
}

static void peer_unlink(struct peer *p)
{
	struct ctl *ctl = p->ctl;

	if (p->prev)
		p->prev->next = p->next;
	else
		ctl->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	ctl->npeers--;
}

static void peer_on_request(struct rpcconn *c, const Colossus__Request *req,
			    void *arg)
{
	(void)c;
	rpc_dispatch(arg, req);
}

static int peer_on_connected(struct rpcconn *c, void *arg)
{
	struct peer *p = arg;
	struct ctl *ctl = p->ctl;
	struct err e;

	if (tlsctx_peer_identity(rpcconn_ssl(c), &p->id, &e) < 0) {
		log_warn("conn %s: refused: %s", p->addr, e.msg);
		ctl->stats.conns_refused++;
		return -1;
	}
	if (p->id.role == TLS_ROLE_CONTROLLER ||
	    (p->id.role == TLS_ROLE_SIM && !ctl->cfg.allow_simulator)) {
		log_warn("conn %s: refused %s certificate for '%s'", p->addr,
			 tlsctx_role_name(p->id.role), p->id.name);
		ctl->stats.conns_refused++;
		return -1;
	}
	p->identified = true;
	log_sub(LOG_SUB_RPC, "conn %s: %s '%s' connected", p->addr,
		tlsctx_role_name(p->id.role), p->id.name);
	/* Agents heartbeat; clients get the idle timeout. */
	if (p->id.role == TLS_ROLE_NODE || p->id.role == TLS_ROLE_SIM)
		rpcconn_set_idle_timeout(c, (unsigned)ctl->cfg.lease_sec * 1000);
	return 0;
}

static void peer_on_close(struct rpcconn *c, const char *why, void *arg)
{
	struct peer *p = arg;

	(void)c;
	p->closed = true;
	if (p->node)
		node_disconnected(p->ctl, p->node, p, why);
	log_sub(LOG_SUB_RPC, "conn %s: closed: %s", p->addr, why);
	peer_unlink(p);
	peer_unref(p);
}

static const struct rpcconn_ops peer_ops = {
	.on_request = peer_on_request,
	.on_connected = peer_on_connected,
	.on_close = peer_on_close,
};

static void listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
			       struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct ctl *ctl = l->ctl;
	struct rpcconn_opts opts;
	struct bufferevent *bev;
	struct peer *p;
	SSL *ssl;

	(void)evl;
	(void)salen;
	ctl->stats.conns_accepted++;
	if (ctl->npeers >= ctl->cfg.max_connections || ctl->stopping) {
		log_warn("conn: refusing connection: %d connections open "
			 "(limit %lld)",
			 ctl->npeers, (long long)ctl->cfg.max_connections);
		ctl->stats.conns_refused++;
		evutil_closesocket(fd);
		return;
	}
	ssl = SSL_new(ctl->tls);
	if (!ssl) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(ctl->base, fd, ssl,
					     BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE |
						     BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	/* Close the TCP connection right away on free (no TLS shutdown). */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	p = xcalloc(1, sizeof(*p));
	p->refs = 1;
	p->ctl = ctl;
	evutil_inet_ntop(sa->sa_family,
			 sa->sa_family == AF_INET6
				 ? (void *)&((struct sockaddr_in6 *)sa)->sin6_addr
				 : (void *)&((struct sockaddr_in *)sa)->sin_addr,
			 p->addr, sizeof(p->addr) - 8);
	snprintf(p->addr + strlen(p->addr), 8, ":%u",
		 ntohs(((struct sockaddr_in *)sa)->sin_port));
	memset(&opts, 0, sizeof(opts));
	opts.max_frame = (uint32_t)ctl->cfg.max_frame_kib * 1024;
	opts.max_output = 256u * 1024 * 1024;
	opts.handshake_timeout_ms = (unsigned)ctl->cfg.handshake_timeout_sec *
				    1000;
	opts.idle_timeout_ms = (unsigned)ctl->cfg.client_idle_timeout_sec *
			       1000;
	opts.label = "conn";
	p->conn = rpcconn_create(ctl->base, bev, &opts, &peer_ops, p);
	rpcconn_set_peer(p->conn, p->addr);
	p->next = ctl->peers;
	if (ctl->peers)
		ctl->peers->prev = p;
	ctl->peers = p;
	ctl->npeers++;
}

static void listener_error_cb(struct evconnlistener *evl, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();

	(void)evl;
	(void)arg;
	/* EMFILE and friends: keep serving the connections we have. */
	log_err("accept: %s", evutil_socket_error_to_string(err));
}

/*
 * Parse "host:port"; unlike evutil_parse_sockaddr_port, port 0 (any free
 * port, as tests use) is accepted.
 */
static int listener_parse(const char *addr, struct sockaddr_storage *ss,
			  int *sslen)
{
	const char *colon = strrchr(addr, ':');
	char tmp[128];
	bool zero;

	if (!colon || strlen(addr) >= sizeof(tmp) - 2)
		return -1;
	zero = !strcmp(colon + 1, "0");
	if (!zero)
		return evutil_parse_sockaddr_port(addr, (struct sockaddr *)ss,
						  sslen);
	snprintf(tmp, sizeof(tmp), "%.*s:1", (int)(colon - addr), addr);
	if (evutil_parse_sockaddr_port(tmp, (struct sockaddr *)ss, sslen) < 0)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return 0;
}

struct listener *listener_create(struct ctl *ctl, struct err *e)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct listener *l;

	memset(&ss, 0, sizeof(ss));
	if (listener_parse(ctl->cfg.listen, &ss, &sslen) < 0) {
		err_set(e, "listen address '%s' is not a numeric host:port",
			ctl->cfg.listen);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->ctl = ctl;
	l->evl = evconnlistener_new_bind(
		ctl->base, listener_accept_cb, l,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
			LEV_OPT_CLOSE_ON_EXEC,
		4096, (struct sockaddr *)&ss, sslen);
	if (!l->evl) {
		err_set(e, "cannot listen on %s: %s", ctl->cfg.listen,
			strerror(errno));
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	{
		struct sockaddr_storage bound;
		socklen_t blen = sizeof(bound);

		if (getsockname(evconnlistener_get_fd(l->evl),
				(struct sockaddr *)&bound, &blen) == 0)
			l->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	}
	return l;
}

void listener_destroy(struct listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->evl);
	free(l);
}

void listener_pause(struct listener *l)
{
	evconnlistener_disable(l->evl);
}

void listener_resume(struct listener *l)
{
	evconnlistener_enable(l->evl);
}

int listener_port(const struct listener *l)
{
	return l->port;
}

void peer_close_all(struct ctl *ctl)
{
	for (struct peer *p = ctl->peers; p; p = p->next)
		rpcconn_close(p->conn, "controller shutting down");
}
