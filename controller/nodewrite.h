/*
 * Node rows written in batches.
 *
 * Node state and inventory rows are a record of what the controller
 * already acts on, not a commitment (the admin actions that are, a drain
 * for one, commit their own transaction before they are acknowledged).
 * Written one transaction per change, a registration storm of 12,544
 * agents queued 25,000 commits, each with its WAL flush, on the one
 * database session, and every submission behind them waited seconds.
 * Here the changes of a loop iteration, and of the time the previous
 * batch took to commit, go in one transaction: at most one batch is in
 * flight, and a node changed several times meanwhile is written once,
 * as it is when the batch is sent.
 */
#ifndef CONTROLLER_NODEWRITE_H
#define CONTROLLER_NODEWRITE_H

struct ctl;
struct node;
struct pgq_txn;
struct nodewrite;

struct nodewrite *nodewrite_create(struct ctl *ctl);
/* Drops what was not sent.  Call after pgq_destroy (whose completions
 * may still call back here). */
void nodewrite_destroy(struct nodewrite *w);
/* Write node n's state row with the next batch. */
void nodewrite_state(struct nodewrite *w, const struct node *n);
/* The next batch's transaction, to add statements to (they are sent
 * with it); NULL without a database. */
struct pgq_txn *nodewrite_txn(struct nodewrite *w);

#endif
