/*
 * Blocking TLS + protobuf client for the CLI (see rpcclient.h).
 *
 * The socket is non-blocking so that every step (connect, handshake,
 * write, read) can wait in poll() with the time left before its
 * deadline; OpenSSL reports WANT_READ/WANT_WRITE and we poll for that.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/rpcclient.h"
#include "common/frame.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"

struct rpcclient {
	SSL_CTX *ctx;
	struct rpcclient_addr *addrs;
	size_t naddrs;
	unsigned connect_ms, call_ms;
	uint32_t max_frame;
	bool verbose;

	int fd;	    /* -1 when not connected */
	SSL *ssl;   /* NULL when not connected */
	size_t cur; /* index of the connected controller */
	char peer[300];
	uint64_t next_id;
	enum rpcclient_fail fail;
	/* The peer sent a TLS alert: it refused our certificate. */
	bool refused;
};

/* ---- addresses ----------------------------------------------------------- */

static int rpcclient_parse_one(const char *s, size_t len,
			       struct rpcclient_addr *a, struct err *e)
{
	const char *port = NULL;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (len == 0)
		return err_set(e, "empty controller address");
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (!rb)
			return err_set(e, "'%.*s': missing ']'",
				       (int)MIN(len, 80), s);
		hlen = (size_t)(rb - s - 1);
		if (hlen == 0 || hlen >= sizeof(a->host))
			return err_set(e, "'%.*s': bad IPv6 address",
				       (int)MIN(len, 80), s);
		memcpy(a->host, s + 1, hlen);
		if (rb + 1 < s + len) {
			if (rb[1] != ':')
				return err_set(e,
					       "'%.*s': expected ':' after "
					       "']'",
					       (int)MIN(len, 80), s);
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(s, ':', len);

		/* A second ':' means an IPv6 address without brackets. */
		if (colon &&
		    memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
			return err_set(e,
				       "'%.*s': write IPv6 addresses as "
				       "[addr]:port",
				       (int)MIN(len, 80), s);
		hlen = colon ? (size_t)(colon - s) : len;
		if (hlen == 0 || hlen >= sizeof(a->host))
			return err_set(e, "'%.*s': missing or overlong host",
				       (int)MIN(len, 80), s);
		memcpy(a->host, s, hlen);
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t plen = (size_t)(s + len - port);
		unsigned long v = 0;

		if (plen == 0 || plen > 5)
			return err_set(e, "'%.*s': bad port", (int)MIN(len, 80),
				       s);
		for (size_t i = 0; i < plen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return err_set(e, "'%.*s': bad port",
					       (int)MIN(len, 80), s);
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (v == 0 || v > 65535)
			return err_set(e, "'%.*s': port must be 1-65535",
				       (int)MIN(len, 80), s);
		snprintf(a->port, sizeof(a->port), "%lu", v);
	} else {
		snprintf(a->port, sizeof(a->port), "6817");
	}
	for (const char *p = a->host; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == '@')
			return err_set(e, "'%.*s': bad host name",
				       (int)MIN(len, 80), s);
	return 0;
}

int rpcclient_parse_addrs(const char *list, struct rpcclient_addr **out,
			  size_t *n, struct err *e)
{
	struct rpcclient_addr *v = NULL;
	size_t cnt = 0;
	const char *p = list;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		/* Blanks around items are allowed: "a:1, b:2". */
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		if (rpcclient_parse_one(p, len, &v[cnt], e) < 0) {
			free(v);
			return err_prefix(e, "controller list");
		}
		cnt++;
		if (!end)
			break;
		p = end + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

struct rpcclient *rpcclient_create(const struct rpcclient_opts *opts,
				   struct err *e)
{
	struct rpcclient *c = xcalloc(1, sizeof(*c));
	struct tlsctx_cfg tc;

	c->fd = -1;
	c->next_id = 1;
	c->connect_ms =
		opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000;
	c->call_ms = opts->call_timeout_ms ? opts->call_timeout_ms : 30000;
	c->max_frame = opts->max_frame ? opts->max_frame : RPC_MAX_FRAME_LIMIT;
	c->verbose = opts->verbose;
	if (rpcclient_parse_addrs(opts->controllers ? opts->controllers : "",
				  &c->addrs, &c->naddrs, e) < 0)
		goto fail;
	memset(&tc, 0, sizeof(tc));
	tc.ca_file = opts->ca_file;
	tc.cert_file = opts->cert_file;
	tc.key_file = opts->key_file;
	tc.server = false;
	c->ctx = tlsctx_build(&tc, e);
	if (!c->ctx)
		goto fail;
	return c;
fail:
	rpcclient_destroy(c);
	return NULL;
}

static void rpcclient_disconnect(struct rpcclient *c)
{
	if (c->ssl) {
		/* Best effort close_notify; the socket is non-blocking. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ERR_clear_error();
}

void rpcclient_destroy(struct rpcclient *c)
{
	if (!c)
		return;
	rpcclient_disconnect(c);
	SSL_CTX_free(c->ctx);
	free(c->addrs);
	free(c);
}

enum rpcclient_fail rpcclient_failure(const struct rpcclient *c)
{
	return c->fail;
}

const char *rpcclient_peer(const struct rpcclient *c)
{
	return c->peer;
}

void rpcclient_response_free(Colossus__Response *resp)
{
	if (resp)
		colossus__response__free_unpacked(resp, NULL);
}

/* ---- waiting ------------------------------------------------------------- */

/* Wait for events on fd until the deadline; 1 ready, 0 timeout, -1 error. */
static int rpcclient_wait(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - util_now_mono_ms();
		struct pollfd pfd = { .fd = fd, .events = events };
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)MIN(left, 60000));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Turn an OpenSSL failure into one line, with a hint when we know one. */
static void rpcclient_tls_error(struct rpcclient *c, const char *what,
				struct err *e)
{
	char buf[512];
	long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;

	if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
	    vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		ERR_clear_error();
		err_set(e,
			"%s: the controller's certificate is not issued "
			"for '%s' (connect by a name or address it lists)",
			what, c->addrs[c->cur].host);
		return;
	}
	if (vr != X509_V_OK) {
		ERR_clear_error();
		err_set(e,
			"%s: cannot verify the controller's certificate: "
			"%s (is the CA file right?)",
			what, X509_verify_cert_error_string(vr));
		return;
	}
	tlsctx_errors(buf, sizeof(buf));
	c->refused = strstr(buf, "alert") != NULL;
	if (c->refused)
		err_set(e,
			"%s: the controller refused our certificate (%s); "
			"is it signed by the cluster CA and still valid?",
			what, buf);
	else if (buf[0])
		err_set(e, "%s: %s", what, buf);
	else
		err_set(e, "%s: %s", what,
			errno ? strerror(errno) : "connection closed");
}

/* ---- connecting ---------------------------------------------------------- */

static int rpcclient_tcp(struct rpcclient *c, const struct rpcclient_addr *a,
			 int64_t deadline, struct err *e)
{
	struct addrinfo hints, *res = NULL;
	struct in6_addr probe;
	char why[160] = "no address";
	int rc, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (inet_pton(AF_INET, a->host, &probe) == 1 ||
	    inet_pton(AF_INET6, a->host, &probe) == 1)
		hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0)
		return err_set(e, "cannot resolve '%s': %s", a->host,
			       gai_strerror(rc));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int soerr = 0, one = 1;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "socket: %s",
				 strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			goto next;
		}
		rc = rpcclient_wait(fd, POLLOUT, deadline);
		if (rc == 0) {
			snprintf(why, sizeof(why), "no answer within %u s",
				 (c->connect_ms + 999) / 1000);
			goto next;
		}
		if (rc < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
		    soerr) {
			snprintf(why, sizeof(why), "%s",
				 strerror(soerr ? soerr : errno));
			goto next;
		}
		/* Small request/response frames: do not wait for Nagle. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		freeaddrinfo(res);
		return fd;
	next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return err_set(e, "%s", why);
}

static int rpcclient_handshake(struct rpcclient *c, int64_t deadline,
			       struct err *e)
{
	const char *host = c->addrs[c->cur].host;
	struct in6_addr probe;
	struct tls_identity id;
	bool numeric = inet_pton(AF_INET, host, &probe) == 1 ||
		       inet_pton(AF_INET6, host, &probe) == 1;

	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		rpcclient_tls_error(c, "TLS setup", e);
		return -1;
	}
	/* The certificate must name what we dialled: IP SAN or DNS name. */
	if (numeric) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						  host) != 1) {
			rpcclient_tls_error(c, "TLS setup", e);
			return -1;
		}
	} else if (SSL_set1_host(c->ssl, host) != 1 ||
		   SSL_set_tlsext_host_name(c->ssl, host) != 1) {
		rpcclient_tls_error(c, "TLS setup", e);
		return -1;
	}
	for (;;) {
		int rc = SSL_connect(c->ssl), w;

		if (rc == 1)
			break;
		switch (SSL_get_error(c->ssl, rc)) {
		case SSL_ERROR_WANT_READ:
			w = rpcclient_wait(c->fd, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = rpcclient_wait(c->fd, POLLOUT, deadline);
			break;
		default:
			rpcclient_tls_error(c, "TLS handshake", e);
			return -1;
		}
		if (w == 0)
			return err_set(e,
				       "TLS handshake not finished within "
				       "%u s",
				       (c->connect_ms + 999) / 1000);
		if (w < 0)
			return err_set(e, "poll: %s", strerror(errno));
	}
	if (tlsctx_peer_identity(c->ssl, &id, e) < 0)
		return err_prefix(e, "controller certificate");
	if (id.role != TLS_ROLE_CONTROLLER)
		return err_set(e,
			       "the server's certificate is for %s '%s', "
			       "not a controller",
			       tlsctx_role_name(id.role), id.name);
	return 0;
}

/* Connect to controller i.  On failure e holds "host:port: reason". */
static int rpcclient_connect_one(struct rpcclient *c, size_t i, struct err *e)
{
	const struct rpcclient_addr *a = &c->addrs[i];
	int64_t deadline = util_now_mono_ms() + c->connect_ms;
	int fd;

	rpcclient_disconnect(c);
	c->cur = i;
	c->refused = false;
	snprintf(c->peer, sizeof(c->peer), "%s%s%s:%s",
		 strchr(a->host, ':') ? "[" : "", a->host,
		 strchr(a->host, ':') ? "]" : "", a->port);
	if (c->verbose)
		fprintf(stderr, "colossus: connecting to %s\n", c->peer);
	errno = 0;
	fd = rpcclient_tcp(c, a, deadline, e);
	if (fd < 0)
		goto fail;
	c->fd = fd;
	if (rpcclient_handshake(c, deadline, e) < 0)
		goto fail;
	if (c->verbose)
		fprintf(stderr, "colossus: connected to %s (%s)\n", c->peer,
			SSL_get_version(c->ssl));
	return 0;
fail:
	err_prefix(e, "%s", c->peer);
	if (c->verbose)
		fprintf(stderr, "colossus: %s\n", e->msg);
	rpcclient_disconnect(c);
	return -1;
}

/* ---- frames -------------------------------------------------------------- */

static int rpcclient_write_all(struct rpcclient *c, const uint8_t *buf,
			       size_t len, int64_t deadline, struct err *e)
{
	while (len > 0) {
		int n = SSL_write(c->ssl, buf, (int)MIN(len, (size_t)1 << 30));
		int w;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			w = rpcclient_wait(c->fd, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = rpcclient_wait(c->fd, POLLOUT, deadline);
			break;
		default:
			rpcclient_tls_error(c, "sending", e);
			return -1;
		}
		if (w <= 0)
			return err_set(e, "sending: %s",
				       w ? strerror(errno) : "timed out");
	}
	return 0;
}

static int rpcclient_read_exact(struct rpcclient *c, uint8_t *buf, size_t len,
				int64_t deadline, struct err *e)
{
	while (len > 0) {
		int n = SSL_read(c->ssl, buf, (int)MIN(len, (size_t)1 << 30));
		int w;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			w = rpcclient_wait(c->fd, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = rpcclient_wait(c->fd, POLLOUT, deadline);
			break;
		case SSL_ERROR_ZERO_RETURN:
			return err_set(e, "the controller closed the "
					  "connection");
		default:
			rpcclient_tls_error(c, "receiving", e);
			return -1;
		}
		if (w == 0)
			return err_set(e,
				       "no answer within %u s (raise "
				       "--timeout if the controller is "
				       "just slow)",
				       (c->call_ms + 999) / 1000);
		if (w < 0)
			return err_set(e, "poll: %s", strerror(errno));
	}
	return 0;
}

/*
 * Read frames until the response to id arrives.  Returns it (detached
 * from its Frame), or NULL with e set and c->fail saying why.
 */
static Colossus__Response *rpcclient_await(struct rpcclient *c, uint64_t id,
					   int64_t deadline, struct err *e)
{
	for (;;) {
		uint8_t hdr[RPC_FRAME_HEADER], *body;
		Colossus__Frame *f;
		Colossus__Response *resp;
		uint32_t len = 0;

		if (rpcclient_read_exact(c, hdr, sizeof(hdr), deadline, e) < 0)
			goto lost;
		switch (frame_check(hdr, sizeof(hdr), c->max_frame, &len)) {
		case FRAME_EMPTY:
			c->fail = RPCCLIENT_FAIL_PROTOCOL;
			err_set(e, "the controller sent an empty frame");
			return NULL;
		case FRAME_TOO_BIG:
			c->fail = RPCCLIENT_FAIL_PROTOCOL;
			err_set(e,
				"the controller announced a frame of %u "
				"bytes (limit %u)",
				len, c->max_frame);
			return NULL;
		default:
			break;
		}
		body = xmalloc(len);
		if (rpcclient_read_exact(c, body, len, deadline, e) < 0) {
			free(body);
			goto lost;
		}
		f = frame_unpack(body, len);
		free(body);
		if (!f) {
			c->fail = RPCCLIENT_FAIL_PROTOCOL;
			err_set(e, "malformed frame from the controller");
			return NULL;
		}
		/*
		 * Ours, or a connection-level error (id 0, e.g. "frame too
		 * large"), which answers whatever we sent.  Requests and
		 * other ids are not for us.
		 */
		if (f->kind_case != COLOSSUS__FRAME__KIND_RESPONSE ||
		    (f->response->id != id &&
		     !(f->response->id == 0 &&
		       f->response->status != COLOSSUS__STATUS__STATUS_OK))) {
			colossus__frame__free_unpacked(f, NULL);
			continue;
		}
		/* Detach: protobuf-c allocates every sub-message apart. */
		resp = f->response;
		f->response = NULL;
		f->kind_case = COLOSSUS__FRAME__KIND__NOT_SET;
		colossus__frame__free_unpacked(f, NULL);
		return resp;
	}
lost:
	/*
	 * TLS 1.3 clients learn that the server refused their certificate
	 * only when they first read; the server then processed nothing.
	 */
	c->fail = c->refused ? RPCCLIENT_FAIL_UNREACHABLE : RPCCLIENT_FAIL_LOST;
	return NULL;
}

/* One exchange on the current connection. */
static Colossus__Response *
rpcclient_exchange(struct rpcclient *c, Colossus__Request *req, struct err *e)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	int64_t deadline = util_now_mono_ms() + c->call_ms;
	Colossus__Response *resp;
	uint8_t *buf;
	size_t len;

	req->id = c->next_id++;
	req->version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = req;
	if (frame_pack(&f, RPC_MAX_FRAME_LIMIT, &buf, &len, e) < 0) {
		c->fail = RPCCLIENT_FAIL_LOCAL;
		return NULL;
	}
	if (rpcclient_write_all(c, buf, len, deadline, e) < 0) {
		free(buf);
		c->fail = RPCCLIENT_FAIL_LOST;
		return NULL;
	}
	free(buf);
	resp = rpcclient_await(c, req->id, deadline, e);
	if (!resp)
		err_prefix(e, "%s", c->peer);
	return resp;
}

/* One round over the controller list. */
static Colossus__Response *rpcclient_round(struct rpcclient *c,
					   Colossus__Request *req,
					   struct err *e)
{
	Colossus__Response *resp = NULL;
	char tried[sizeof(e->msg)] = "";
	size_t start = c->ssl ? c->cur : 0;

	c->fail = RPCCLIENT_FAIL_NONE;
	for (size_t k = 0; k < c->naddrs; k++) {
		size_t i = (start + k) % c->naddrs;
		struct err one;

		if (!c->ssl || c->cur != i) {
			if (rpcclient_connect_one(c, i, &one) < 0) {
				size_t used = strlen(tried);

				snprintf(tried + used, sizeof(tried) - used,
					 "%s%s", used ? "; " : "", one.msg);
				continue;
			}
		}
		rpcclient_response_free(resp);
		resp = rpcclient_exchange(c, req, e);
		if (!resp) {
			/* Sent or maybe sent: not ours to repeat. */
			rpcclient_disconnect(c);
			return NULL;
		}
		if (resp->status != COLOSSUS__STATUS__STATUS_NOT_ACTIVE)
			return resp;
		/* A standby did nothing; the next controller may be active. */
		if (c->verbose)
			fprintf(stderr, "colossus: %s is not active: %s\n",
				c->peer, resp->error ? resp->error : "");
		rpcclient_disconnect(c);
	}
	if (resp)
		return resp; /* every controller answered "not active" */
	c->fail = RPCCLIENT_FAIL_UNREACHABLE;
	c->peer[0] = '\0';
	err_set(e, "%s", tried);
	return NULL;
}

/*
 * Is a controller coming (a standby taking over, a leader loading or
 * waiting for its database), and did it certainly do nothing, so that
 * asking again is safe for any request?  UNAVAILABLE is only ever
 * answered for work not done.  When no controller can be reached at all
 * we fail at once rather than hang on a wrong address.
 */
static bool rpcclient_nothing_done(const Colossus__Response *resp)
{
	if (!resp)
		return false;
	return resp->status == COLOSSUS__STATUS__STATUS_NOT_ACTIVE ||
	       resp->status == COLOSSUS__STATUS__STATUS_UNAVAILABLE;
}

Colossus__Response *rpcclient_call(struct rpcclient *c, Colossus__Request *req,
				   struct err *e)
{
	/* A failover takes a few seconds: ride it out within the timeout. */
	int64_t give_up = util_now_mono_ms() + c->call_ms;
	unsigned delay_ms = 200;

	for (;;) {
		Colossus__Response *resp = rpcclient_round(c, req, e);
		int64_t left = give_up - util_now_mono_ms();

		if (!rpcclient_nothing_done(resp) || left <= (int64_t)delay_ms)
			return resp;
		if (c->verbose)
			fprintf(stderr,
				"colossus: no active controller yet (%s); "
				"retrying in %u ms\n",
				resp->error ? resp->error : "?", delay_ms);
		rpcclient_response_free(resp);
		rpcclient_disconnect(c);
		poll(NULL, 0, (int)delay_ms);
		delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
	}
}
