/*
 * The controller's HTTP endpoint (libevent evhttp): /metrics for
 * Prometheus, /healthz and /readyz for load balancers and systemd
 * watchdogs, read-only JSON views (/api/racks, /api/nodes, /api/jobs,
 * /api/events) and the rack map page's static files.
 *
 * Everything is served from memory on the controller's loop: the views
 * are built from the cluster model and job table, the page's files are
 * read once at start, and /api/events, the only view that reads
 * PostgreSQL, goes through the asynchronous queue.  Nothing here can
 * change state: only GET is accepted.
 *
 * With [controller] http_tls the endpoint speaks TLS with the
 * controller's certificate and requires a client certificate from the
 * site CA whose role is user, admin or monitor (DESIGN invariant 6).
 */
#ifndef CONTROLLER_HTTP_H
#define CONTROLLER_HTTP_H

#include "common/err.h"

struct ctl;
struct http;
struct metrics;

/*
 * Bind cfg.http_listen (numeric host:port; port 0 picks a free one) and
 * load the page from cfg.web_dir (a missing directory only disables the
 * page).  Call with a non-empty http_listen, after ctl->base exists.
 * Returns NULL with e set if the address is bad or cannot be bound.
 */
struct http *http_create(struct ctl *ctl, struct err *e);
/* Close the listener and every connection; answers still waiting for
 * the database are dropped.  No-op on NULL. */
void http_destroy(struct http *h);
/* The bound port. */
int http_port(const struct http *h);
/* The metrics registry (hooks in metrics.h reach it through ctl->http). */
struct metrics *http_metrics(const struct http *h);

#endif
