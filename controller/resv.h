/*
 * Reservations: nodes set aside for a time window, either for some users
 * or accounts (a hero run) or for nobody (maintenance).  Before the window
 * starts, backfill may still place jobs there that will end in time; inside
 * it only jobs that name the reservation run there.  Kept in PostgreSQL
 * (table reservations), cached here.
 */
#ifndef CONTROLLER_RESV_H
#define CONTROLLER_RESV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

struct cluster;

struct resv {
	int id; /* small positive number, for tagging nodes in a pass */
	char name[64];
	char *nodes_expr;
	int *node_ids;
	int nnodes;
	int64_t start, end; /* Unix seconds */
	char **users;
	int nusers;
	char **accounts;
	int naccounts;
	bool maintenance;
	char *reason;
	char *created_by;
};

struct resv_table;

struct resv_table *resv_table_create(void);
void resv_table_destroy(struct resv_table *t);
const struct resv *resv_find(const struct resv_table *t, const char *name);
int resv_count(const struct resv_table *t);
const struct resv *resv_at(const struct resv_table *t, int i);
/*
 * Check a reservation against the cluster and the others (names, nodes
 * exist, the window is sane, no overlap on a node in time).  Fills
 * node_ids (caller frees) on success.  0 or -1 + e.
 */
int resv_validate(const struct resv_table *t, const struct cluster *c,
		  const Colossus__Reservation *m, int64_t now, int **node_ids,
		  int *nnodes, struct err *e) MUSTCHECK;
/* Add (taking node_ids). */
struct resv *resv_add(struct resv_table *t, const Colossus__Reservation *m,
		      int *node_ids, int nnodes);
int resv_remove(struct resv_table *t, const char *name);
/* Drop reservations that ended before now; returns how many. */
int resv_expire(struct resv_table *t, int64_t now);
/* May a job of this user and account run inside r? */
bool resv_allows(const struct resv *r, const char *user, const char *account);
void resv_to_proto(const struct resv *r, Colossus__Reservation *m);

#endif
