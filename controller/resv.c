/*
 * Reservation table.  Tens of entries at most: a plain array.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/cluster.h"
#include "controller/resv.h"

#define RESV_MAX 256

struct resv_table {
	struct resv *v[RESV_MAX];
	int n;
	int next_id;
};

struct resv_table *resv_table_create(void)
{
	struct resv_table *t = xcalloc(1, sizeof(*t));

	t->next_id = 1;
	return t;
}

static void resv_free(struct resv *r)
{
	for (int i = 0; i < r->nusers; i++)
		free(r->users[i]);
	for (int i = 0; i < r->naccounts; i++)
		free(r->accounts[i]);
	free(r->users);
	free(r->accounts);
	free(r->node_ids);
	free(r->nodes_expr);
	free(r->reason);
	free(r->created_by);
	free(r);
}

void resv_table_destroy(struct resv_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		resv_free(t->v[i]);
	free(t);
}

const struct resv *resv_find(const struct resv_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->name, name))
			return t->v[i];
	return NULL;
}

int resv_count(const struct resv_table *t)
{
	return t->n;
}

const struct resv *resv_at(const struct resv_table *t, int i)
{
	return i >= 0 && i < t->n ? t->v[i] : NULL;
}

static bool resv_overlaps(const struct resv *r, const int *ids, int n,
			  int64_t start, int64_t end)
{
	if (end <= r->start || start >= r->end)
		return false;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < r->nnodes; k++)
			if (ids[i] == r->node_ids[k])
				return true;
	return false;
}

int resv_validate(const struct resv_table *t, const struct cluster *c,
		  const Colossus__Reservation *m, int64_t now, int **node_ids,
		  int *nnodes, struct err *e)
{
	struct hostlist *hl;
	int *ids;
	size_t n;

	*node_ids = NULL;
	*nnodes = 0;
	if (!m->name || !util_valid_name(m->name, 63))
		return err_set(e, "reservation name must be [A-Za-z0-9._-], "
			       "1-63 characters");
	if (resv_find(t, m->name))
		return err_set(e, "reservation '%s' already exists", m->name);
	if (t->n >= RESV_MAX)
		return err_set(e, "too many reservations (at most %d)",
			       RESV_MAX);
	if (m->end_time <= m->start_time)
		return err_set(e, "the reservation must end after it starts");
	if (m->end_time <= now)
		return err_set(e, "the reservation would already be over");
	if (m->end_time - m->start_time > 366LL * 86400)
		return err_set(e, "a reservation may last at most a year");
	if (m->n_users > 256 || m->n_accounts > 256)
		return err_set(e, "too many users or accounts");
	for (size_t i = 0; i < m->n_users; i++)
		if (!util_valid_name(m->users[i], 63))
			return err_set(e, "invalid user name in the list");
	for (size_t i = 0; i < m->n_accounts; i++)
		if (!util_valid_name(m->accounts[i], 63))
			return err_set(e, "invalid account name in the list");
	if (m->reason && strlen(m->reason) > 256)
		return err_set(e, "reason longer than 256 characters");
	hl = hostlist_create();
	if (!m->nodes || hostlist_parse(hl, m->nodes, 200000, e) < 0) {
		hostlist_destroy(hl);
		return m->nodes ? -1 : err_set(e, "no nodes given");
	}
	n = hostlist_count(hl);
	if (n == 0) {
		hostlist_destroy(hl);
		return err_set(e, "no nodes given");
	}
	ids = xcalloc(n, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		const struct node *node = cluster_node(c, hostlist_nth(hl, i));

		if (!node) {
			err_set(e, "unknown node '%s'", hostlist_nth(hl, i));
			hostlist_destroy(hl);
			free(ids);
			return -1;
		}
		ids[i] = node->id;
	}
	hostlist_destroy(hl);
	for (int i = 0; i < t->n; i++)
		if (resv_overlaps(t->v[i], ids, (int)n, m->start_time,
				  m->end_time)) {
			err_set(e, "overlaps reservation '%s' on some nodes",
				t->v[i]->name);
			free(ids);
			return -1;
		}
	*node_ids = ids;
	*nnodes = (int)n;
	return 0;
}

static char **resv_strv(char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

struct resv *resv_add(struct resv_table *t, const Colossus__Reservation *m,
		      int *node_ids, int nnodes)
{
	struct resv *r = xcalloc(1, sizeof(*r));

	r->id = t->next_id++;
	memcpy(r->name, m->name, strlen(m->name) + 1);
	r->nodes_expr = xstrdup(m->nodes);
	r->node_ids = node_ids;
	r->nnodes = nnodes;
	r->start = m->start_time;
	r->end = m->end_time;
	r->users = resv_strv(m->users, m->n_users);
	r->nusers = (int)m->n_users;
	r->accounts = resv_strv(m->accounts, m->n_accounts);
	r->naccounts = (int)m->n_accounts;
	r->maintenance = m->maintenance;
	r->reason = xstrdup(m->reason ? m->reason : "");
	r->created_by = xstrdup(m->created_by ? m->created_by : "");
	t->v[t->n++] = r;
	return r;
}

int resv_remove(struct resv_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++) {
		if (strcmp(t->v[i]->name, name))
			continue;
		resv_free(t->v[i]);
		t->v[i] = t->v[--t->n];
		return 0;
	}
	return -1;
}

int resv_expire(struct resv_table *t, int64_t now)
{
	int gone = 0;

	for (int i = 0; i < t->n;) {
		if (t->v[i]->end > now) {
			i++;
			continue;
		}
		resv_free(t->v[i]);
		t->v[i] = t->v[--t->n];
		gone++;
	}
	return gone;
}

bool resv_allows(const struct resv *r, const char *user, const char *account)
{
	if (r->maintenance)
		return false;
	for (int i = 0; i < r->nusers; i++)
		if (!strcmp(r->users[i], user))
			return true;
	for (int i = 0; i < r->naccounts; i++)
		if (account && !strcmp(r->accounts[i], account))
			return true;
	return false;
}

void resv_to_proto(const struct resv *r, Colossus__Reservation *m)
{
	colossus__reservation__init(m);
	m->name = (char *)r->name;
	m->nodes = r->nodes_expr;
	m->start_time = r->start;
	m->end_time = r->end;
	m->n_users = (size_t)r->nusers;
	m->users = r->users;
	m->n_accounts = (size_t)r->naccounts;
	m->accounts = r->accounts;
	m->maintenance = r->maintenance;
	m->reason = r->reason;
	m->created_by = r->created_by;
	m->node_count = (uint32_t)r->nnodes;
}
