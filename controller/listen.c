/*
 * Accepting connections: TCP accept, TLS handshake, identity from the
 * certificate, then hand-off to the RPC dispatcher.  Also the limits that
 * belong to connections and identities: max_connections, an absolute
 * handshake deadline, max_handshakes in progress, and the per-identity
 * submit rate (controller/ratelimit.c buckets keyed by certificate name).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "controller/ratelimit.h"
#include "controller/rpc.h"

struct listener {
	struct ctl *ctl;
	struct evconnlistener *evl;
	int port;
	/* Connections refused at max_connections, logged in summaries. */
	uint64_t refused_unlogged;
	int64_t refused_logged_ms;
	/* TLS handshakes in progress (peers holding a deadline timer). */
	int64_t handshaking;
	bool full;	   /* accepting paused: max_handshakes reached */
	bool owner_paused; /* listener_pause(): shutdown or standby    */
	/* limits.submit_rate per identity, and the figures it was made with */
	struct ratelimit *submits;
	int64_t submits_rate, submits_burst;
	/* Refused submissions, logged in summaries. */
	uint64_t submits_refused;
	int64_t submits_logged_ms;
	/* Refused TLS handshakes: lines logged in the current window, and
	 * the refusals not logged since the last line. */
	int64_t tls_window_ms;
	int tls_logged;
	uint64_t tls_unlogged;
};

/*
 * The peer a server SSL belongs to, for the TLS callbacks; cleared once
 * the refusal was logged, so a connection gives at most one line.
 */
static int listener_ssl_idx = -1;

/* At most one "connection limit" or "submit rate" line per this long. */
#define LISTENER_REFUSED_LOG_MS 10000
/* At most this many refused-handshake lines per LISTENER_REFUSED_LOG_MS. */
#define LISTENER_TLS_LOG_MAX 10

static void listener_handshake_done(struct listener *l)
{
	struct ctl *ctl = l->ctl;

	l->handshaking--;
	if (l->full && l->handshaking < ctl->cfg.max_handshakes) {
		l->full = false;
		if (!l->owner_paused && !ctl->stopping)
			evconnlistener_enable(l->evl);
	}
}

void peer_ref(struct peer *p)
{
	p->refs++;
}

/* The handshake is over (done, failed or given up): stop counting it. */
static void peer_cancel_deadline(struct peer *p)
{
	if (p->handshake_deadline) {
		event_free(p->handshake_deadline);
		p->handshake_deadline = NULL;
		listener_handshake_done(p->ctl->listener);
	}
}

void peer_unref(struct peer *p)
{
	if (--p->refs > 0)
		return;
	peer_cancel_deadline(p);
	rpcconn_unref(p->conn);
	free(p);
}

/*
 * rpcconn's handshake timeout is a bufferevent timeout, which every byte
 * that arrives restarts: a peer sending one byte a second (slowloris)
 * would hold its connection for ever.  This is the absolute deadline.
 */
static void peer_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;

	(void)fd;
	(void)what;
	peer_cancel_deadline(p);
	if (p->identified || p->closed)
		return;
	log_sub(LOG_SUB_RPC, "conn %s: no TLS handshake within %llu s; closing",
		p->addr, (unsigned long long)p->ctl->cfg.handshake_timeout_sec);
	rpcconn_close(p->conn, "TLS handshake deadline passed");
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

	peer_cancel_deadline(p);
	/* The handshake is over: later alerts are not refusals of it. */
	SSL_set_ex_data(rpcconn_ssl(c), listener_ssl_idx, NULL);
	/*
	 * A refused peer gets one error response (id 0) saying why before
	 * the connection closes (DESIGN invariant 7: a clear error).
	 */
	if (tlsctx_peer_identity(rpcconn_ssl(c), &p->id, &e) < 0) {
		log_warn("conn %s: refused: %s", p->addr, e.msg);
		ctl->stats.conns_refused++;
		rpcconn_respond_error(c, 0, COLOSSUS__STATUS__STATUS_PERMISSION,
				      "connection refused: %s", e.msg);
		return -1;
	}
	if (p->id.role == TLS_ROLE_CONTROLLER ||
	    (p->id.role == TLS_ROLE_SIM && !ctl->cfg.allow_simulator)) {
		log_warn("conn %s: refused %s certificate for '%s'", p->addr,
			 tlsctx_role_name(p->id.role), p->id.name);
		ctl->stats.conns_refused++;
		rpcconn_respond_error(c, 0, COLOSSUS__STATUS__STATUS_PERMISSION,
				      "connection refused: %s certificates may "
				      "not connect%s",
				      tlsctx_role_name(p->id.role),
				      p->id.role == TLS_ROLE_SIM
					      ? " (limits.allow_simulator is "
						"off)"
					      : " as clients");
		return -1;
	}
	p->identified = true;
	log_sub(LOG_SUB_RPC, "conn %s: %s '%s' connected", p->addr,
		tlsctx_role_name(p->id.role), p->id.name);
	/* Agents heartbeat; clients get the idle timeout. */
	if (p->id.role == TLS_ROLE_NODE || p->id.role == TLS_ROLE_SIM)
		rpcconn_set_idle_timeout(c,
					 (unsigned)ctl->cfg.lease_sec * 1000);
	return 0;
}

static void peer_on_close(struct rpcconn *c, const char *why, void *arg)
{
	struct peer *p = arg;

	(void)c;
	p->closed = true;
	peer_cancel_deadline(p);
	if (p->node)
		node_disconnected(p->ctl, p->node, p, why);
	log_sub(LOG_SUB_RPC, "conn %s: closed: %s", p->addr, why);
	peer_unlink(p);
	peer_unref(p);
}

/*
 * A refused handshake is worth a warning (someone holds a revoked,
 * expired or foreign certificate, or an old client), but a flood of them
 * must not fill the log: LISTENER_TLS_LOG_MAX lines per window, and the
 * next line after that says how many were left out.
 */
static void listener_tls_refused(struct peer *p, const char *what,
				 const char *detail)
{
	struct listener *l = p->ctl->listener;
	int64_t now = util_now_mono_ms();
	char more[96] = "";

	p->ctl->stats.conns_refused++;
	if (!l->tls_window_ms ||
	    now - l->tls_window_ms >= LISTENER_REFUSED_LOG_MS) {
		l->tls_window_ms = now;
		l->tls_logged = 0;
	}
	if (l->tls_logged >= LISTENER_TLS_LOG_MAX) {
		l->tls_unlogged++;
		return;
	}
	l->tls_logged++;
	if (l->tls_unlogged)
		snprintf(more, sizeof(more),
			 " (%llu more refused handshake%s not logged)",
			 (unsigned long long)l->tls_unlogged,
			 l->tls_unlogged == 1 ? "" : "s");
	l->tls_unlogged = 0;
	log_warn("conn %s: TLS handshake refused: %s%s%s", p->addr, what,
		 detail, more);
}

/* OpenSSL's verdict on each certificate of the peer's chain. */
static int listener_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct peer *p = ssl ? SSL_get_ex_data(ssl, listener_ssl_idx) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);
	char subject[256] = "", esc[300], detail[340] = "";

	if (ok || !p)
		return ok;
	SSL_set_ex_data(ssl, listener_ssl_idx, NULL);
	/* The subject is the peer's text: escaped before logging. */
	if (cert) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
				  sizeof(subject));
		snprintf(detail, sizeof(detail), " (subject %s)",
			 log_escape(subject, esc, sizeof(esc)));
	}
	listener_tls_refused(
		p, X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)),
		detail);
	return 0;
}

/*
 * Refusals that are not about the chain (no certificate, an old TLS
 * version) show as the fatal alert we send.
 */
static void listener_info_cb(const SSL *ssl, int where, int ret)
{
	struct peer *p;

	if (!(where & SSL_CB_WRITE_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
		return;
	p = SSL_get_ex_data(ssl, listener_ssl_idx);
	if (!p)
		return;
	SSL_set_ex_data((SSL *)ssl, listener_ssl_idx, NULL);
	/* OpenSSL 3.0 has no text for TLS 1.3's certificate_required. */
	listener_tls_refused(p,
			     (ret & 0xff) == 116
				     ? "certificate required (none sent)"
				     : SSL_alert_desc_string_long(ret),
			     "");
}

static const struct rpcconn_ops peer_ops = {
	.on_request = peer_on_request,
	.on_connected = peer_on_connected,
	.on_close = peer_on_close,
};

/*
 * At the connection limit: say so clearly the first time, then at most
 * every LISTENER_REFUSED_LOG_MS with a count, so a flood of refused
 * connections cannot flood the log as well.
 */
static void listener_refuse(struct listener *l)
{
	struct ctl *ctl = l->ctl;
	int64_t now = util_now_mono_ms();

	ctl->stats.conns_refused++;
	l->refused_unlogged++;
	if (l->refused_logged_ms &&
	    now - l->refused_logged_ms < LISTENER_REFUSED_LOG_MS)
		return;
	log_warn("conn: connection limit reached: %d connections open, "
		 "limits.max_connections = %lld; refused %llu new "
		 "connection%s%s",
		 ctl->npeers, (long long)ctl->cfg.max_connections,
		 (unsigned long long)l->refused_unlogged,
		 l->refused_unlogged == 1 ? "" : "s",
		 l->refused_logged_ms ? " since the last report" : "");
	l->refused_unlogged = 0;
	l->refused_logged_ms = now;
}

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
	if (ctl->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if (ctl->npeers >= ctl->cfg.max_connections) {
		listener_refuse(l);
		evutil_closesocket(fd);
		return;
	}
	ssl = SSL_new(ctl->tls);
	if (!ssl) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(
		ctl->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
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
	/* The SSL is freed before the peer (rpcconn), so p outlives it. */
	SSL_set_ex_data(ssl, listener_ssl_idx, p);
	SSL_set_verify(ssl, SSL_get_verify_mode(ssl), listener_verify_cb);
	SSL_set_info_callback(ssl, listener_info_cb);
	evutil_inet_ntop(
		sa->sa_family,
		sa->sa_family == AF_INET6
			? (void *)&((struct sockaddr_in6 *)sa)->sin6_addr
			: (void *)&((struct sockaddr_in *)sa)->sin_addr,
		p->addr, sizeof(p->addr) - 8);
	snprintf(p->addr + strlen(p->addr), 8, ":%u",
		 ntohs(((struct sockaddr_in *)sa)->sin_port));
	memset(&opts, 0, sizeof(opts));
	opts.max_frame = (uint32_t)ctl->cfg.max_frame_kib * 1024;
	opts.max_output = 256u * 1024 * 1024;
	opts.handshake_timeout_ms =
		(unsigned)ctl->cfg.handshake_timeout_sec * 1000;
	opts.idle_timeout_ms =
		(unsigned)ctl->cfg.client_idle_timeout_sec * 1000;
	opts.label = "conn";
	p->conn = rpcconn_create(ctl->base, bev, &opts, &peer_ops, p);
	rpcconn_set_peer(p->conn, p->addr);
	{
		struct timeval tv = { (time_t)ctl->cfg.handshake_timeout_sec,
				      0 };

		p->handshake_deadline =
			evtimer_new(ctl->base, peer_deadline_cb, p);
		evtimer_add(p->handshake_deadline, &tv);
	}
	/*
	 * Each handshake in progress holds OpenSSL state and buffers (tens
	 * of KiB): past max_handshakes, new connections wait in the kernel's
	 * accept queue instead of in our memory.
	 */
	if (++l->handshaking >= ctl->cfg.max_handshakes && !l->full) {
		l->full = true;
		evconnlistener_disable(l->evl);
		log_sub(LOG_SUB_RPC,
			"conn: %lld TLS handshakes in progress "
			"(limits.max_handshakes); accepting again as they end",
			(long long)l->handshaking);
	}
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
	if (listener_ssl_idx < 0)
		listener_ssl_idx =
			SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	l = xcalloc(1, sizeof(*l));
	l->ctl = ctl;
	l->evl = evconnlistener_new_bind(ctl->base, listener_accept_cb, l,
					 LEV_OPT_CLOSE_ON_FREE |
						 LEV_OPT_REUSEABLE |
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
			l->port =
				ntohs(((struct sockaddr_in *)&bound)->sin_port);
	}
	return l;
}

void listener_destroy(struct listener *l)
{
	if (!l)
		return;
	/* Handshakes still running must not count down on a freed l. */
	for (struct peer *p = l->ctl->peers; p; p = p->next)
		peer_cancel_deadline(p);
	ratelimit_destroy(l->submits);
	evconnlistener_free(l->evl);
	free(l);
}

void listener_pause(struct listener *l)
{
	l->owner_paused = true;
	evconnlistener_disable(l->evl);
}

void listener_resume(struct listener *l)
{
	l->owner_paused = false;
	if (!l->full)
		evconnlistener_enable(l->evl);
}

/* ---- per-identity submit rate ----------------------------------------- */

bool peer_submit_allowed(struct peer *p, double *retry_sec)
{
	struct ctl *ctl = p->ctl;
	struct listener *l = ctl->listener;
	int64_t now = util_now_mono_ms(), retry_ms = 0;

	*retry_sec = 0;
	if (ctl->cfg.submit_rate <= 0)
		return true;
	/* The figures are reloadable; new ones start with full buckets. */
	if (!l->submits || l->submits_rate != ctl->cfg.submit_rate ||
	    l->submits_burst != ctl->cfg.submit_burst) {
		ratelimit_destroy(l->submits);
		l->submits = ratelimit_create((double)ctl->cfg.submit_rate,
					      (double)ctl->cfg.submit_burst);
		l->submits_rate = ctl->cfg.submit_rate;
		l->submits_burst = ctl->cfg.submit_burst;
	}
	if (ratelimit_take(l->submits, p->id.name, now, &retry_ms))
		return true;
	*retry_sec = (double)retry_ms / 1000.0;
	l->submits_refused++;
	if (!l->submits_logged_ms ||
	    now - l->submits_logged_ms >= LISTENER_REFUSED_LOG_MS) {
		log_warn("conn %s: %s '%s' is over limits.submit_rate (%lld "
			 "jobs/s, bursts of %lld); %llu submission%s refused "
			 "with BUSY%s",
			 p->addr, tlsctx_role_name(p->id.role), p->id.name,
			 (long long)ctl->cfg.submit_rate,
			 (long long)ctl->cfg.submit_burst,
			 (unsigned long long)l->submits_refused,
			 l->submits_refused == 1 ? "" : "s",
			 l->submits_logged_ms ? " since the last report" : "");
		l->submits_refused = 0;
		l->submits_logged_ms = now;
	}
	return false;
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
