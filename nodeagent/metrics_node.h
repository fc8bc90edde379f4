/*
 * The agent's own metrics endpoint ([agent] metrics_listen): plain HTTP
 * (evhttp) on the agent's loop serving /metrics in the Prometheus text
 * format for this one node (its GPUs' latest readings, NIC links,
 * workloads, the controller link, health reporting), plus /healthz
 * (the process answers) and /readyz (registered with a controller).
 *
 * It exists so that a site can alert on a node even when the controller
 * is away or overloaded; see docs/admin-guide.md.  Everything is read
 * from memory at scrape time: nothing is counted per heartbeat or per
 * reading, and with metrics_listen empty nothing here runs at all.
 *
 * Read-only and without TLS: bind it to a management address (the
 * default is off) and let the network decide who may scrape.
 */
#ifndef NODEAGENT_METRICS_NODE_H
#define NODEAGENT_METRICS_NODE_H

#include "common/err.h"

struct agent;
struct evbuffer;
struct metrics_node;

/*
 * Bind ag->cfg.metrics_listen (numeric host:port; port 0 picks a free
 * one, logged as "(port N)").  Returns NULL without error when the key
 * is empty, or NULL with e set when the address is bad or busy.  Call
 * after ag->base exists; the result belongs to the caller.
 */
struct metrics_node *metrics_node_start(struct agent *ag, struct err *e);
/* Close the listener and its connections.  No-op on NULL. */
void metrics_node_stop(struct metrics_node *m);
/* The bound port. */
int metrics_node_port(const struct metrics_node *m);
/* Append the whole exposition for ag to out (also used by unit tests). */
void metrics_node_render(const struct agent *ag, struct evbuffer *out);

#endif
