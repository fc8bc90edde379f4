/*
 * Node liveness: registration, heartbeat leases, the down sweep, and
 * writing node state changes (never heartbeats) to the database.
 */
#ifndef CONTROLLER_NODE_H
#define CONTROLLER_NODE_H

#include "proto/rpc.h"

struct ctl;
struct pgq_txn;
struct node;
struct peer;

/* The agent's connection closed; the lease keeps running. */
void node_disconnected(struct ctl *ctl, struct node *n, struct peer *p,
		       const char *why);
/* Declare nodes whose lease expired down (timer, every second). */
void node_sweep(struct ctl *ctl);
/* A controller start, takeover or lock retake: every node that has not
 * registered since gets a full lease, and more while others arrive. */
void node_grace_begin(struct ctl *ctl);
/* Are nodes that have not re-registered since then still waited for? */
bool node_restart_grace(const struct ctl *ctl, int64_t now_mono_ms);
/* An agent registered (extends the restart grace while agents arrive). */
void node_registered(struct ctl *ctl);
/* Mark a node down now: its gangs are requeued. */
void node_mark_down(struct ctl *ctl, struct node *n, const char *reason);
/* Mark up after a registration. */
void node_mark_up(struct ctl *ctl, struct node *n);
/* Renew the lease. */
void node_renew_lease(struct ctl *ctl, struct node *n);
/* Write the node's state row (state, admin, health, reason). */
void node_persist(struct ctl *ctl, struct node *n);
/* Add the UPDATE of n's state row to t. */
void node_state_stmt(struct pgq_txn *t, const struct node *n);
/* Write the inventory the agent reported (GPUs, boot id, address). */
void node_persist_inventory(struct ctl *ctl, struct node *n,
			    const Colossus__NodeInventory *inv);
/* Fill a protocol NodeInfo; jobs is caller storage of NODE_MAX_ALLOCS. */
void node_to_info(const struct node *n, Colossus__NodeInfo *info,
		  uint64_t *jobs);

#endif
