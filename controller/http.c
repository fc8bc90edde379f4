/*
 * The HTTP endpoint: evhttp on [controller] http_listen, optionally TLS
 * with client certificates, routing to /metrics (metrics.c), the JSON
 * views (http_api.c), /api/events (an asynchronous query through pgq),
 * health probes and the rack map page's files.
 *
 * The page's files are read into memory when the endpoint starts, before
 * the loop runs, so serving them never touches the disk; a new page
 * needs a restart, which a package upgrade does anyway.
 *
 * A request answered from a database callback stays owned by evhttp: if
 * its client goes away first, libevent detaches the request and frees it
 * when we reply.  If the endpoint itself is destroyed first, the pending
 * entry is orphaned (h and req cleared) and the callback only frees it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/pgq.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/http.h"
#include "controller/http_api.h"
#include "controller/metrics.h"

#define HTTP_MAX_FILES 32
#define HTTP_MAX_FILE_BYTES (4 << 20)
#define HTTP_MAX_DB_QUERIES 8
#define HTTP_EVENTS_DEFAULT 50
#define HTTP_EVENTS_MAX 500
#define HTTP_RACKS_CACHE_MS 1000

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

struct webfile {
	char name[64];
	const char *type;
	char *data;
	size_t len;
};

struct http_pending;

struct http {
	struct ctl *ctl;
	struct evhttp *evh;
	int port;
	bool tls;
	struct metrics *metrics;
	struct webfile files[HTTP_MAX_FILES];
	int nfiles;
	struct http_pending *pending;
	int npending;
	/* The last /api/racks document, reused for HTTP_RACKS_CACHE_MS. */
	char *racks;
	size_t racks_len;
	int64_t racks_at_ms;
};

/* An /api/events request waiting for PostgreSQL. */
struct http_pending {
	struct http *h; /* NULL once the endpoint is gone */
	struct evhttp_request *req;
	struct http_pending *next, *prev;
};

static const char *http_phrase(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

static void http_reply(struct http *h, struct evhttp_request *req, int code,
		       const char *handler, const char *type,
		       struct evbuffer *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);

	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control",
			  strcmp(handler, "static") ? "no-store" : "no-cache");
	evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(hdr, "Referrer-Policy", "no-referrer");
	/* The page loads nothing but its own files and its own API. */
	evhttp_add_header(hdr, "Content-Security-Policy",
			  "default-src 'self'; img-src 'self' data:; "
			  "frame-ancestors 'none'; base-uri 'none'; "
			  "form-action 'none'");
	evhttp_send_reply(req, code, http_phrase(code), body);
	metrics_http(h->metrics, handler, code);
}

static void http_reply_text(struct http *h, struct evhttp_request *req,
			    int code, const char *handler, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "%s\n", text);
	http_reply(h, req, code, handler, CT_TEXT, b);
	evbuffer_free(b);
}

/* ---- the page's files ---- */

static const char *http_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", CT_JSON },
		{ ".txt", CT_TEXT },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

static int http_read_file(const char *path, struct webfile *f)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > HTTP_MAX_FILE_BYTES) {
		close(fd);
		return -1;
	}
	f->data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, f->data + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	f->len = got;
	return 0;
}

/*
 * Load every file of a known type from web_dir (not its subfolders).
 * Runs once, before the loop starts.  A missing folder disables the page.
 */
static void http_load_files(struct http *h, const char *dir)
{
	struct dirent *de;
	DIR *d;

	if (!dir || !*dir)
		return;
	d = opendir(dir);
	if (!d) {
		log_warn("http: rack map page off: cannot open web_dir %s: %s",
			 dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && h->nfiles < HTTP_MAX_FILES) {
		struct webfile *f = &h->files[h->nfiles];
		char *path;

		if (de->d_name[0] == '.' || !http_type(de->d_name) ||
		    strlen(de->d_name) >= sizeof(f->name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (http_read_file(path, f) == 0) {
			memcpy(f->name, de->d_name, strlen(de->d_name) + 1);
			f->type = http_type(f->name);
			h->nfiles++;
		}
		free(path);
	}
	closedir(d);
	log_sub(LOG_SUB_RPC, "http: %d page files loaded from %s", h->nfiles,
		dir);
}

static const struct webfile *http_file(const struct http *h, const char *name)
{
	for (int i = 0; i < h->nfiles; i++)
		if (!strcmp(h->files[i].name, name))
			return &h->files[i];
	return NULL;
}

/* ---- /api/events: from PostgreSQL, asynchronously ---- */

static const char *http_rack_name(const struct cluster *c, int id)
{
	for (int i = 0; id && i < cluster_nracks(c); i++)
		if (cluster_rack_at(c, i)->id == id)
			return cluster_rack_at(c, i)->name;
	return NULL;
}

static void http_pending_unlink(struct http_pending *p)
{
	struct http *h = p->h;

	if (!h)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		h->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	h->npending--;
}

static void http_events_done(const struct pgq_result *r, void *arg)
{
	struct http_pending *p = arg;
	struct http *h = p->h;
	struct evbuffer *b;
	int code = 200;

	http_pending_unlink(p);
	if (!h) {
		free(p);
		return;
	}
	b = evbuffer_new();
	if (!r->ok) {
		code = http_api_error(b, 503, "database unavailable");
	} else {
		const struct cluster *c = h->ctl->cluster;
		int rows = pgq_ntuples(r, 0);

		evbuffer_add_printf(b, "{\"events\":[");
		for (int i = 0; i < rows; i++) {
			const char *node_id = pgq_value(r, 0, i, 6);
			const char *rack_id = pgq_value(r, 0, i, 7);
			const struct node *n =
				cluster_node_by_id(c, atoi(node_id));
			const char *rack = http_rack_name(c, atoi(rack_id));

			evbuffer_add_printf(b, "%s{\"id\":%s,\"at\":%s,",
					    i ? "," : "", pgq_value(r, 0, i, 0),
					    pgq_value(r, 0, i, 1));
			json_key(b, "kind", 1);
			json_str(b, pgq_value(r, 0, i, 2));
			json_key(b, "severity", 0);
			json_str(b, pgq_value(r, 0, i, 3));
			json_key(b, "actor", 0);
			json_str(b, pgq_value(r, 0, i, 4));
			evbuffer_add_printf(b, ",\"job\":%s",
					    pgq_value(r, 0, i, 5));
			json_key(b, "node", 0);
			json_str(b, n ? n->name : "");
			json_key(b, "rack", 0);
			json_str(b, rack ? rack : "");
			json_key(b, "reason", 0);
			json_str(b, pgq_value(r, 0, i, 8));
			evbuffer_add_printf(b, "}");
		}
		evbuffer_add_printf(b, "]}\n");
	}
	http_reply(h, p->req, code, "api_events", CT_JSON, b);
	evbuffer_free(b);
	free(p);
}

#define EV_COLS                                                                \
	"SELECT id, extract(epoch from at)::bigint, kind, severity, actor, "   \
	"coalesce(job_id, 0), coalesce(node_id, 0), coalesce(rack_id, 0), "    \
	"reason FROM events "

/* "{1,2,3}": the ids of a rack's nodes as an int[] parameter. */
static char *http_node_ids(const struct rack *r)
{
	size_t cap = (size_t)r->nnodes * 12 + 3, used = 0;
	char *s = xmalloc(cap);

	s[used++] = '{';
	for (int i = 0; i < r->nnodes; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%d",
					 i ? "," : "", r->nodes[i]->id);
	s[used++] = '}';
	s[used] = '\0';
	return s;
}

static void http_events(struct http *h, struct evhttp_request *req,
			const struct evkeyvalq *q)
{
	struct ctl *ctl = h->ctl;
	const char *rack_s = evhttp_find_header(q, "rack");
	const char *node_s = evhttp_find_header(q, "node");
	const char *job_s = evhttp_find_header(q, "job");
	const char *limit_s = evhttp_find_header(q, "limit");
	char limit[16], id[24], *ids = NULL;
	const char *vals[3], *sql;
	struct evbuffer *b = evbuffer_new();
	struct http_pending *p;
	long lim = HTTP_EVENTS_DEFAULT;
	int nvals = 0, code = 0;
	struct err e;

	if (limit_s) {
		char *end;

		lim = strtol(limit_s, &end, 10);
		if (*end || lim < 1)
			code = http_api_error(b, 400, "bad limit");
		lim = MIN(lim, HTTP_EVENTS_MAX);
	}
	snprintf(limit, sizeof(limit), "%ld", lim);
	if (code) {
		/* answered below */
	} else if (!ctl->db_up || !ctl->db) {
		code = http_api_error(b, 503, "database unavailable");
	} else if (h->npending >= HTTP_MAX_DB_QUERIES) {
		code = http_api_error(b, 503, "busy: too many event queries");
	} else if (rack_s) {
		const struct rack *r = cluster_rack(ctl->cluster, rack_s);

		if (!r) {
			code = http_api_error(b, 404, "no such rack");
		} else {
			snprintf(id, sizeof(id), "%d", r->id);
			ids = http_node_ids(r);
			vals[nvals++] = id;
			vals[nvals++] = ids;
			sql = "(" EV_COLS "WHERE rack_id = $1 ORDER BY at DESC "
			      "LIMIT $3) UNION (" EV_COLS
			      "WHERE node_id = ANY($2::int[]) ORDER BY at DESC "
			      "LIMIT $3) ORDER BY 2 DESC, 1 DESC LIMIT $3";
		}
	} else if (node_s) {
		const struct node *n = cluster_node(ctl->cluster, node_s);

		if (!n) {
			code = http_api_error(b, 404, "no such node");
		} else {
			snprintf(id, sizeof(id), "%d", n->id);
			vals[nvals++] = id;
			sql = EV_COLS "WHERE node_id = $1 ORDER BY at DESC, "
				      "id DESC LIMIT $2";
		}
	} else if (job_s) {
		char *end;
		unsigned long long v = strtoull(job_s, &end, 10);

		if (!*job_s || *end || *job_s == '-') {
			code = http_api_error(b, 400, "bad job id");
		} else {
			snprintf(id, sizeof(id), "%llu", v);
			vals[nvals++] = id;
			sql = EV_COLS "WHERE job_id = $1 ORDER BY at DESC, "
				      "id DESC LIMIT $2";
		}
	} else {
		sql = EV_COLS "ORDER BY id DESC LIMIT $1";
	}
	if (code) {
		http_reply(h, req, code, "api_events", CT_JSON, b);
		evbuffer_free(b);
		free(ids);
		return;
	}
	vals[nvals++] = limit;
	p = xcalloc(1, sizeof(*p));
	p->h = h;
	p->req = req;
	if (pgq_submit(ctl->db, sql, nvals, vals, http_events_done, p, &e) <
	    0) {
		free(p);
		code = http_api_error(b, 503, e.msg);
		http_reply(h, req, code, "api_events", CT_JSON, b);
	} else {
		p->next = h->pending;
		if (h->pending)
			h->pending->prev = p;
		h->pending = p;
		h->npending++;
	}
	evbuffer_free(b);
	free(ids);
}

/* ---- requests ---- */

/*
 * With TLS, who is asking?  Only people (user, admin, monitor) may read:
 * agents and controllers have no business here.  A connection without
 * TLS state (the context could not make an SSL object) is refused too.
 */
static bool http_peer_allowed(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	struct tls_identity id;
	struct err e;
	SSL *ssl;

	if (!conn)
		return false;
	bev = evhttp_connection_get_bufferevent(conn);
	ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	if (!ssl || tlsctx_peer_identity(ssl, &id, &e) < 0)
		return false;
	return id.role == TLS_ROLE_USER || id.role == TLS_ROLE_ADMIN ||
	       id.role == TLS_ROLE_MONITOR;
}

/*
 * The whole map is the largest view (650 KB and tens of milliseconds for
 * 3,136 racks) and every open page asks for it every few seconds: one
 * render serves every viewer for a second, so the loop's cost does not
 * grow with the number of viewers.
 */
static void http_racks(struct http *h, struct evhttp_request *req,
		       const struct evkeyvalq *q)
{
	int64_t now = util_now_mono_ms();
	struct evbuffer *b = evbuffer_new();

	if (!h->racks || now - h->racks_at_ms >= HTTP_RACKS_CACHE_MS) {
		http_api_racks(h->ctl, q, b);
		free(h->racks);
		h->racks_len = evbuffer_get_length(b);
		h->racks = xmalloc(h->racks_len + 1);
		evbuffer_copyout(b, h->racks, h->racks_len);
		h->racks_at_ms = now;
	} else {
		evbuffer_add(b, h->racks, h->racks_len);
	}
	http_reply(h, req, 200, "api_racks", CT_JSON, b);
	evbuffer_free(b);
}

typedef int (*http_view_fn)(struct ctl *ctl, const struct evkeyvalq *query,
			    struct evbuffer *out);

static void http_view(struct http *h, struct evhttp_request *req,
		      const char *handler, http_view_fn fn,
		      const struct evkeyvalq *q)
{
	struct evbuffer *b = evbuffer_new();
	int code = fn(h->ctl, q, b);

	http_reply(h, req, code, handler, CT_JSON, b);
	evbuffer_free(b);
}

static void http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	struct ctl *ctl = h->ctl;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq q;
	const struct webfile *f;

	if (h->tls && !http_peer_allowed(req)) {
		http_reply_text(h, req, 403, "forbidden",
				"a user, admin or monitor certificate is "
				"required");
		return;
	}
	if (!path || !*path)
		path = "/";
	TAILQ_INIT(&q);
	if (query && evhttp_parse_query_str(query, &q) < 0) {
		http_reply_text(h, req, 400, "bad_request", "bad query string");
		return;
	}
	if (!strcmp(path, "/metrics")) {
		struct evbuffer *b = evbuffer_new();

		metrics_render(h->metrics, ctl, b);
		http_reply(h, req, 200, "metrics", CT_PROM, b);
		evbuffer_free(b);
	} else if (!strcmp(path, "/healthz")) {
		http_reply_text(h, req, 200, "healthz", "ok");
	} else if (!strcmp(path, "/readyz")) {
		/* Load balancers send traffic only to the active controller. */
		if (ctl->active && !ctl->stopping)
			http_reply_text(h, req, 200, "readyz", "active");
		else
			http_reply_text(h, req, 503, "readyz",
					ctl->stopping  ? "stopping"
					: ctl->standby ? "standby"
						       : "loading");
	} else if (!strcmp(path, "/api/racks")) {
		http_racks(h, req, &q);
	} else if (!strcmp(path, "/api/nodes")) {
		http_view(h, req, "api_nodes", http_api_nodes, &q);
	} else if (!strcmp(path, "/api/jobs")) {
		http_view(h, req, "api_jobs", http_api_jobs, &q);
	} else if (!strcmp(path, "/api/events")) {
		http_events(h, req, &q);
	} else if ((f = http_file(h, !strcmp(path, "/") ? "index.html"
							: path + 1)) != NULL) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add_reference(b, f->data, f->len, NULL, NULL);
		http_reply(h, req, 200, "static", f->type, b);
		evbuffer_free(b);
	} else {
		http_reply_text(h, req, 404, "not_found",
				h->nfiles || strcmp(path, "/")
					? "not found"
					: "the rack map page is not installed "
					  "(see [controller] web_dir)");
	}
	evhttp_clear_headers(&q);
}

/* TLS: every connection gets a fresh OpenSSL bufferevent (no fd yet). */
static struct bufferevent *http_bevcb(struct event_base *base, void *arg)
{
	struct http *h = arg;
	struct bufferevent *bev;
	SSL *ssl;

	/*
	 * NULL makes evhttp use a plain socket; http_peer_allowed then
	 * finds no TLS state and refuses every request on it.
	 */
	ssl = SSL_new(h->ctl->tls);
	if (!ssl)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
					     BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* "host:port" with a numeric host; port 0 picks a free port. */
static int http_parse_addr(const char *addr, struct sockaddr_storage *ss,
			   int *sslen)
{
	const char *colon = strrchr(addr, ':');
	char tmp[128];

	if (!colon || strlen(addr) >= sizeof(tmp) - 2)
		return -1;
	if (strcmp(colon + 1, "0"))
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

struct http *http_create(struct ctl *ctl, struct err *e)
{
	struct sockaddr_storage ss, bound;
	socklen_t blen = sizeof(bound);
	int sslen = sizeof(ss);
	struct evconnlistener *evl;
	struct http *h;

	memset(&ss, 0, sizeof(ss));
	if (http_parse_addr(ctl->cfg.http_listen, &ss, &sslen) < 0) {
		err_set(e, "http_listen '%s' is not a numeric host:port",
			ctl->cfg.http_listen);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->ctl = ctl;
	h->tls = ctl->cfg.http_tls;
	h->evh = evhttp_new(ctl->base);
	if (!h->evh) {
		err_set(e, "http: cannot create the server");
		free(h);
		return NULL;
	}
	evl = evconnlistener_new_bind(ctl->base, NULL, NULL,
				      LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_REUSEABLE |
					      LEV_OPT_CLOSE_ON_EXEC,
				      128, (struct sockaddr *)&ss, sslen);
	if (!evl || !evhttp_bind_listener(h->evh, evl)) {
		err_set(e, "cannot listen on http_listen %s: %s",
			ctl->cfg.http_listen, strerror(errno));
		if (evl)
			evconnlistener_free(evl);
		evhttp_free(h->evh);
		free(h);
		return NULL;
	}
	if (getsockname(evconnlistener_get_fd(evl), (struct sockaddr *)&bound,
			&blen) == 0)
		h->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	/* Read-only: anything but GET is answered 405 by evhttp itself. */
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(h->evh, 16384);
	evhttp_set_max_body_size(h->evh, 4096);
	evhttp_set_timeout(h->evh, 30);
	evhttp_set_gencb(h->evh, http_request_cb, h);
	if (h->tls)
		evhttp_set_bevcb(h->evh, http_bevcb, h);
	h->metrics = metrics_create();
	http_load_files(h, ctl->cfg.web_dir);
	log_info("http: serving /metrics%s on %s (port %d)%s",
		 h->nfiles ? " and the rack map" : "", ctl->cfg.http_listen,
		 h->port, h->tls ? " with TLS and client certificates" : "");
	return h;
}

void http_destroy(struct http *h)
{
	if (!h)
		return;
	/* Database answers still to come find an orphan and only free it. */
	for (struct http_pending *p = h->pending; p; p = p->next) {
		p->h = NULL;
		p->req = NULL;
	}
	evhttp_free(h->evh);
	for (int i = 0; i < h->nfiles; i++)
		free(h->files[i].data);
	metrics_destroy(h->metrics);
	free(h->racks);
	free(h);
}

int http_port(const struct http *h)
{
	return h->port;
}

struct metrics *http_metrics(const struct http *h)
{
	return h->metrics;
}
