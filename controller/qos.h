/*
 * Qualities of service: named classes of jobs with a priority, the QOS
 * they may preempt, what happens to their own jobs when preempted, and
 * limits.  Defined by admins (colossus qos ...), kept in PostgreSQL
 * (table qos), cached here.
 */
#ifndef CONTROLLER_QOS_H
#define CONTROLLER_QOS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

struct qos {
	char name[64];
	int priority;
	char **preempt; /* names of QOS this one may preempt */
	int npreempt;
	bool preempt_cancel; /* preempted jobs of this QOS are cancelled */
	uint32_t grace_sec;
	uint64_t max_time_limit_sec;
	uint32_t max_nodes;
	char *description;
};

struct qos_table;

struct qos_table *qos_table_create(void);
void qos_table_destroy(struct qos_table *t);
const struct qos *qos_find(const struct qos_table *t, const char *name);
int qos_count(const struct qos_table *t);
const struct qos *qos_at(const struct qos_table *t, int i);
/* Insert or replace from a protocol message (validated).  0 or -1 + e. */
int qos_put(struct qos_table *t, const Colossus__Qos *m, struct err *e)
	MUSTCHECK;
/* Check a protocol QOS before storing it.  0 or -1 + e. */
int qos_validate(const struct qos_table *t, const Colossus__Qos *m,
		 struct err *e) MUSTCHECK;
int qos_remove(struct qos_table *t, const char *name);
/* May jobs of QOS a preempt jobs of QOS b? */
bool qos_may_preempt(const struct qos *a, const struct qos *b);
/* Largest priority of any QOS (for normalising), at least 1. */
int qos_max_priority(const struct qos_table *t);
/* Fill a protocol Qos; strings are borrowed from q. */
void qos_to_proto(const struct qos *q, Colossus__Qos *m);

#endif
