/*
 * The QOS table in memory.  A handful of entries: a plain array.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/xalloc.h"
#include "controller/qos.h"

#define QOS_MAX 64

struct qos_table {
	struct qos *v[QOS_MAX];
	int n;
};

struct qos_table *qos_table_create(void)
{
	return xcalloc(1, sizeof(struct qos_table));
}

static void qos_free(struct qos *q)
{
	for (int i = 0; i < q->npreempt; i++)
		free(q->preempt[i]);
	free(q->preempt);
	free(q->description);
	free(q);
}

void qos_table_destroy(struct qos_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		qos_free(t->v[i]);
	free(t);
}

const struct qos *qos_find(const struct qos_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->name, name))
			return t->v[i];
	return NULL;
}

int qos_count(const struct qos_table *t)
{
	return t->n;
}

const struct qos *qos_at(const struct qos_table *t, int i)
{
	return i >= 0 && i < t->n ? t->v[i] : NULL;
}

int qos_validate(const struct qos_table *t, const Colossus__Qos *m,
		 struct err *e)
{
	(void)t;
	if (!m->name || !util_valid_name(m->name, 63))
		return err_set(e, "QOS name must be [A-Za-z0-9._-], 1-63 "
			       "characters");
	if (m->preempt_mode && *m->preempt_mode &&
	    strcmp(m->preempt_mode, "requeue") &&
	    strcmp(m->preempt_mode, "cancel"))
		return err_set(e, "preempt mode must be requeue or cancel, not "
			       "'%.32s'", m->preempt_mode);
	if (m->n_preempt > 16)
		return err_set(e, "a QOS may preempt at most 16 others");
	for (size_t i = 0; i < m->n_preempt; i++) {
		if (!util_valid_name(m->preempt[i], 63))
			return err_set(e, "invalid QOS name in preempt list");
		if (!strcmp(m->preempt[i], m->name))
			return err_set(e, "a QOS cannot preempt itself");
	}
	if (m->priority < -1000000 || m->priority > 1000000)
		return err_set(e, "priority out of range (+-1,000,000)");
	if (m->description && strlen(m->description) > 256)
		return err_set(e, "description longer than 256 characters");
	return 0;
}

int qos_put(struct qos_table *t, const Colossus__Qos *m, struct err *e)
{
	struct qos *q;
	int slot = -1;

	if (qos_validate(t, m, e) < 0)
		return -1;
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->name, m->name))
			slot = i;
	if (slot < 0 && t->n == QOS_MAX)
		return err_set(e, "too many QOS (at most %d)", QOS_MAX);
	q = xcalloc(1, sizeof(*q));
	memcpy(q->name, m->name, strlen(m->name) + 1);
	q->priority = m->priority;
	q->npreempt = (int)m->n_preempt;
	q->preempt = xcalloc(m->n_preempt + 1, sizeof(char *));
	for (size_t i = 0; i < m->n_preempt; i++)
		q->preempt[i] = xstrdup(m->preempt[i]);
	q->preempt_cancel = m->preempt_mode &&
			    !strcmp(m->preempt_mode, "cancel");
	q->grace_sec = m->grace_sec;
	q->max_time_limit_sec = m->max_time_limit_sec;
	q->max_nodes = m->max_nodes;
	q->description = xstrdup(m->description ? m->description : "");
	if (slot >= 0) {
		qos_free(t->v[slot]);
		t->v[slot] = q;
	} else {
		t->v[t->n++] = q;
	}
	return 0;
}

int qos_remove(struct qos_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++) {
		if (strcmp(t->v[i]->name, name))
			continue;
		qos_free(t->v[i]);
		t->v[i] = t->v[--t->n];
		return 0;
	}
	return -1;
}

bool qos_may_preempt(const struct qos *a, const struct qos *b)
{
	if (!a || !b)
		return false;
	for (int i = 0; i < a->npreempt; i++)
		if (!strcmp(a->preempt[i], b->name))
			return true;
	return false;
}

int qos_max_priority(const struct qos_table *t)
{
	int m = 1;

	for (int i = 0; i < t->n; i++)
		if (t->v[i]->priority > m)
			m = t->v[i]->priority;
	return m;
}

void qos_to_proto(const struct qos *q, Colossus__Qos *m)
{
	colossus__qos__init(m);
	m->name = (char *)q->name;
	m->priority = q->priority;
	m->n_preempt = (size_t)q->npreempt;
	m->preempt = q->preempt;
	m->preempt_mode = q->preempt_cancel ? (char *)"cancel"
					    : (char *)"requeue";
	m->grace_sec = q->grace_sec;
	m->max_time_limit_sec = q->max_time_limit_sec;
	m->max_nodes = q->max_nodes;
	m->description = q->description;
}
