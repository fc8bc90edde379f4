/*
 * Controller metrics in the Prometheus text exposition format (0.0.4).
 *
 * Most figures are read from memory at scrape time (the cluster model,
 * the job table, ctl->stats, pgq's statistics), so a scrape costs one
 * walk over nodes and jobs and nothing else ever pays for metrics.  What
 * cannot be read back later (per-method RPC counts and latencies, health
 * events, scheduling pass durations, heartbeat lag) is counted as it
 * happens through the hooks below, which other modules call.
 *
 * The counters live in the HTTP endpoint (ctl->http): with http_listen
 * empty nobody can read them and every hook is a cheap no-op.
 */
#ifndef CONTROLLER_METRICS_H
#define CONTROLLER_METRICS_H

#include <stdint.h>

struct ctl;
struct evbuffer;
struct metrics;

struct metrics *metrics_create(void);
/* No-op on NULL. */
void metrics_destroy(struct metrics *m);

/*
 * Hooks.  Each takes the controller context, does nothing when the HTTP
 * endpoint is off, never allocates per call after the first sighting of
 * a label value, and never calls back.
 */

/* One answered RPC (rpc.c): method name as in the dispatch table (a
 * static string), protocol status, time from dispatch to answer. */
void metrics_rpc(struct ctl *ctl, const char *method, int status,
		 int64_t duration_us);
/* One health event: kind ("xid", "ecc", "nic", "cooling", ...) and the
 * XID code for kind "xid" (0 otherwise).  kind is copied. */
void metrics_health_event(struct ctl *ctl, const char *kind, int xid);
/* One heartbeat: receive time minus the agent's send time (Heartbeat
 * sent_ms), i.e. network plus queueing delay plus clock skew. */
void metrics_heartbeat_lag(struct ctl *ctl, int64_t lag_ms);
/* One scheduling pass that ran (not one skipped while inactive). */
void metrics_sched_pass(struct ctl *ctl, int64_t duration_us);
/* One HTTP request served (http.c): handler label and status code. */
void metrics_http(struct metrics *m, const char *handler, int code);

/*
 * Append the whole exposition to out.  Also observes the queue wait of
 * jobs placed since the previous scrape (submit to placement), read from
 * the job table, so no module needs a hook for it.
 */
void metrics_render(struct metrics *m, struct ctl *ctl, struct evbuffer *out);

/* Helpers shared with the unit test. */

/* Append s as a label value: backslash, double quote and newline escaped. */
void metrics_label_value(struct evbuffer *out, const char *s);

#endif
