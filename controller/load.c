/*
 * Loading the model from the database at start (or takeover).
 *
 * One repeatable-read transaction gives a consistent snapshot of the
 * topology, the jobs that still matter, and every allocation not yet
 * closed.  Allocations of live jobs come back as they were; open
 * allocations of jobs that moved on are loaded as "ending" so that
 * whatever of them still runs is fenced when the agents report in.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/drain.h"
#include "controller/fairshare.h"
#include "controller/load.h"
#include "controller/powerctl.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/submitq.h"

enum {
	Q_BEGIN,
	Q_HALLS,
	Q_PODS,
	Q_RACKS,
	Q_NODES,
	Q_JOBS,
	Q_ALLOCS,
	Q_MAXID,
	Q_QOS,
	Q_RESV,
	Q_USAGE,
	Q_POWER,
	Q_COMMIT,
};

int load_int_array(const char *s, int **out)
{
	int n = 0, cap = 0;
	int *v = NULL;
	const char *p = s;

	*out = NULL;
	if (!s || *p++ != '{')
		return -1;
	while (*p && *p != '}') {
		char *end;
		long x = strtol(p, &end, 10);

		if (end == p)
			goto bad;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, (size_t)cap, sizeof(*v));
		}
		v[n++] = (int)x;
		p = end;
		if (*p == ',')
			p++;
	}
	if (*p != '}')
		goto bad;
	*out = v;
	return n;
bad:
	free(v);
	return -1;
}

static const char *load_val(const struct pgq_result *r, int q, int row,
			    int col)
{
	const char *v = pgq_value(r, q, row, col);

	return v ? v : "";
}

static int load_topology(struct ctl *ctl, const struct pgq_result *r,
			 struct err *e)
{
	struct cluster *c = ctl->cluster;
	int64_t lease_end = util_now_mono_ms() +
			    (int64_t)ctl->cfg.lease_sec * 1000;

	for (int i = 0; i < pgq_ntuples(r, Q_HALLS); i++)
		if (!cluster_add_hall(c, atoi(load_val(r, Q_HALLS, i, 0)),
				      load_val(r, Q_HALLS, i, 1), e))
			return -1;
	for (int i = 0; i < pgq_ntuples(r, Q_PODS); i++)
		if (!cluster_add_pod(c, atoi(load_val(r, Q_PODS, i, 0)),
				     load_val(r, Q_PODS, i, 1),
				     load_val(r, Q_PODS, i, 2), e))
			return -1;
	for (int i = 0; i < pgq_ntuples(r, Q_RACKS); i++) {
		struct rack *rk = cluster_add_rack(
			c, atoi(load_val(r, Q_RACKS, i, 0)),
			load_val(r, Q_RACKS, i, 1), load_val(r, Q_RACKS, i, 2),
			e);
		int as;

		if (!rk)
			return -1;
		as = admin_state_parse(load_val(r, Q_RACKS, i, 3));
		rk->admin_state = as < 0 ? ADMIN_NONE : (enum admin_state)as;
		as = health_state_parse(load_val(r, Q_RACKS, i, 4));
		rk->health = as < 0 ? HEALTH_OK : (enum health_state)as;
		if (*load_val(r, Q_RACKS, i, 5))
			rk->reason = xstrdup(load_val(r, Q_RACKS, i, 5));
		snprintf(rk->drained_by, sizeof(rk->drained_by), "%s",
			 load_val(r, Q_RACKS, i, 6));
	}
	for (int i = 0; i < pgq_ntuples(r, Q_NODES); i++) {
		struct node *n = cluster_add_node(
			c, atoi(load_val(r, Q_NODES, i, 0)),
			load_val(r, Q_NODES, i, 1), load_val(r, Q_NODES, i, 2),
			atoi(load_val(r, Q_NODES, i, 3)),
			(unsigned)atoi(load_val(r, Q_NODES, i, 4)),
			load_val(r, Q_NODES, i, 5), e);
		char **feats = NULL;
		int nf = 0, as;
		const char *fs = load_val(r, Q_NODES, i, 6);

		if (!n)
			return -1;
		/* features come as "a:b:c" (array_to_string) */
		if (*fs) {
			char *copy = xstrdup(fs), *save = NULL, *tok;

			for (tok = strtok_r(copy, ":", &save); tok;
			     tok = strtok_r(NULL, ":", &save)) {
				feats = xreallocarray(feats, (size_t)nf + 1,
						      sizeof(*feats));
				feats[nf++] = xstrdup(tok);
			}
			free(copy);
			node_set_features(n, feats, nf);
			for (int f = 0; f < nf; f++)
				free(feats[f]);
			free(feats);
		}
		n->state = !strcmp(load_val(r, Q_NODES, i, 7), "down")
				   ? NODE_DOWN
				   : NODE_UNKNOWN;
		as = admin_state_parse(load_val(r, Q_NODES, i, 8));
		n->admin_state = as < 0 ? ADMIN_NONE : (enum admin_state)as;
		as = health_state_parse(load_val(r, Q_NODES, i, 9));
		n->health = as < 0 ? HEALTH_OK : (enum health_state)as;
		node_set_reason(n, load_val(r, Q_NODES, i, 10));
		if (util_strlcpy(n->boot_id, load_val(r, Q_NODES, i, 11),
				 sizeof(n->boot_id)) < 0)
			n->boot_id[0] = '\0';
		if (util_strlcpy(n->address, load_val(r, Q_NODES, i, 12),
				 sizeof(n->address)) < 0)
			n->address[0] = '\0';
		snprintf(n->drained_by, sizeof(n->drained_by), "%s",
			 load_val(r, Q_NODES, i, 13));
		snprintf(n->drain_boot_id, sizeof(n->drain_boot_id), "%s",
			 load_val(r, Q_NODES, i, 14));
		n->flags = drain_flags_parse(load_val(r, Q_NODES, i, 15));
		n->returned_at = strtoll(load_val(r, Q_NODES, i, 16), NULL, 10);
		n->lease_expires_ms = lease_end;
	}
	cluster_finish(c);
	return 0;
}

static int load_jobs(struct ctl *ctl, const struct pgq_result *r)
{
	int bad = 0;

	for (int i = 0; i < pgq_ntuples(r, Q_JOBS); i++) {
		const char *specv = pgq_value(r, Q_JOBS, i, 10);
		unsigned char *raw = NULL;
		size_t rawlen = 0;
		Colossus__JobSpec *spec = NULL;
		struct job *job;
		int st;

		if (specv)
			raw = PQunescapeBytea((const unsigned char *)specv,
					      &rawlen);
		if (raw)
			spec = colossus__job_spec__unpack(NULL, rawlen, raw);
		st = job_state_parse(load_val(r, Q_JOBS, i, 5));
		if (!spec || st < 0) {
			/* Never crash on a bad row: report and skip it. */
			log_err("load: job %s has an unreadable spec or state; "
				"skipped",
				load_val(r, Q_JOBS, i, 0));
			if (spec)
				colossus__job_spec__free_unpacked(spec, NULL);
			if (raw)
				PQfreemem(raw);
			bad++;
			continue;
		}
		job = job_create(strtoull(load_val(r, Q_JOBS, i, 0), NULL, 10),
				 load_val(r, Q_JOBS, i, 1), raw, rawlen, spec);
		free(job->account);
		job->account = xstrdup(load_val(r, Q_JOBS, i, 2));
		free(job->qos);
		job->qos = xstrdup(load_val(r, Q_JOBS, i, 3));
		free(job->name);
		job->name = xstrdup(load_val(r, Q_JOBS, i, 4));
		job->state = (enum job_state)st;
		job_set_reason(job, load_val(r, Q_JOBS, i, 6));
		job->nodes = (uint32_t)atoi(load_val(r, Q_JOBS, i, 7));
		job->gpus_per_node = (uint32_t)atoi(load_val(r, Q_JOBS, i, 8));
		job->time_limit_sec =
			strtoull(load_val(r, Q_JOBS, i, 9), NULL, 10);
		job->epoch = (uint32_t)atoi(load_val(r, Q_JOBS, i, 11));
		job->restarts = (uint32_t)atoi(load_val(r, Q_JOBS, i, 12));
		if (pgq_value(r, Q_JOBS, i, 13)) {
			job->has_exit_code = true;
			job->exit_code = atoi(load_val(r, Q_JOBS, i, 13));
		}
		job->submit_time = strtoll(load_val(r, Q_JOBS, i, 14), NULL, 10);
		job->start_time = strtoll(load_val(r, Q_JOBS, i, 15), NULL, 10);
		job->end_time = strtoll(load_val(r, Q_JOBS, i, 16), NULL, 10);
		if (pgq_value(r, Q_JOBS, i, 17))
			job->submit_key = xstrdup(load_val(r, Q_JOBS, i, 17));
		job->array_job_id = strtoull(load_val(r, Q_JOBS, i, 18), NULL,
					     10);
		job->array_task = (uint32_t)atoi(load_val(r, Q_JOBS, i, 19));
		job->boost = atoi(load_val(r, Q_JOBS, i, 20));
		job->array_limit = load_array_limit(spec->array);
		job_resolve_excludes(job, ctl->cluster, spec);
		job->priority = -(double)spec->nice;
		if (job_state_final(job->state))
			job->finished_mono_ms = util_now_mono_ms();
		colossus__job_spec__free_unpacked(spec, NULL);
		PQfreemem(raw);
		job_table_add(ctl->jobs, job);
		submitq_remember_key(ctl->submitq, job);
	}
	return bad;
}

static void load_allocs(struct ctl *ctl, const struct pgq_result *r)
{
	for (int i = 0; i < pgq_ntuples(r, Q_ALLOCS); i++) {
		uint64_t job_id = strtoull(load_val(r, Q_ALLOCS, i, 0), NULL, 10);
		uint32_t epoch = (uint32_t)atoi(load_val(r, Q_ALLOCS, i, 1));
		struct job *job = job_table_get(ctl->jobs, job_id);
		struct job placeholder;
		int *ids = NULL, *masks = NULL;
		int n = load_int_array(load_val(r, Q_ALLOCS, i, 2), &ids);
		int m = load_int_array(load_val(r, Q_ALLOCS, i, 3), &masks);
		struct node **nodes;
		uint16_t *m16;
		struct alloc *a;
		bool live;

		if (n <= 0 || n != m) {
			log_err("load: allocation job=%" PRIu64 " epoch=%u is "
				"malformed; skipped", job_id, epoch);
			free(ids);
			free(masks);
			continue;
		}
		nodes = xcalloc((size_t)n, sizeof(*nodes));
		m16 = xcalloc((size_t)n, sizeof(*m16));
		for (int k = 0; k < n; k++) {
			nodes[k] = cluster_node_by_id(ctl->cluster, ids[k]);
			m16[k] = (uint16_t)masks[k];
			if (!nodes[k])
				n = -1;
		}
		if (n < 0) {
			log_err("load: allocation job=%" PRIu64 " names an "
				"unknown node; skipped", job_id);
			goto next;
		}
		live = job && job->epoch == epoch &&
		       (job->state == JOB_STARTING || job->state == JOB_RUNNING);
		if (!live) {
			/* Fence-only: a stand-in job carries id and ranks. */
			memset(&placeholder, 0, sizeof(placeholder));
			placeholder.id = job_id;
			placeholder.ranks_per_node =
				(uint32_t)atoi(load_val(r, Q_ALLOCS, i, 4));
		}
		a = alloc_create(ctl, live ? job : &placeholder, epoch, nodes,
				 m16, n);
		a->ranks_per_node = (uint32_t)atoi(load_val(r, Q_ALLOCS, i, 4));
		a->committed = true;
		if (job && job->epoch == epoch) {
			free(job->nodelist);
			job->nodelist = alloc_nodelist(a);
		}
		if (live) {
			job->alloc = a;
			for (int k = 0; k < n; k++)
				a->parts[k].state = job->state == JOB_RUNNING
							    ? PART_RUNNING
							    : PART_LAUNCHING;
		} else {
			a->job = NULL;
			a->end = ALLOC_ENDING;
			alloc_set_end_reason(a, "fenced after controller restart");
			for (int k = 0; k < n; k++)
				a->parts[k].state = PART_RUNNING;
		}
	next:
		free(nodes);
		free(m16);
		free(ids);
		free(masks);
	}
}

/* "0-99%10": the %N limit, 0 if none. */
uint32_t load_array_limit(const char *spec)
{
	const char *pct = spec ? strchr(spec, '%') : NULL;

	return pct ? (uint32_t)strtoul(pct + 1, NULL, 10) : 0;
}

/* "{a,b}" into a new string vector (names need no quoting). */
static char **load_text_array(const char *s, int *n)
{
	char *copy, *save = NULL, *tok;
	char **v = NULL;

	*n = 0;
	if (!s || *s != '{')
		return xcalloc(1, sizeof(char *));
	copy = xstrdup(s + 1);
	copy[strcspn(copy, "}")] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = xreallocarray(v, (size_t)*n + 2, sizeof(*v));
		v[(*n)++] = xstrdup(tok);
		v[*n] = NULL;
	}
	free(copy);
	return v ? v : xcalloc(1, sizeof(char *));
}

static void load_free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void load_qos(struct ctl *ctl, const struct pgq_result *r)
{
	for (int i = 0; i < pgq_ntuples(r, Q_QOS); i++) {
		Colossus__Qos m = COLOSSUS__QOS__INIT;
		int n = 0;
		char **pre = load_text_array(load_val(r, Q_QOS, i, 2), &n);
		struct err e;

		m.name = (char *)load_val(r, Q_QOS, i, 0);
		m.priority = atoi(load_val(r, Q_QOS, i, 1));
		m.n_preempt = (size_t)n;
		m.preempt = pre;
		m.preempt_mode = (char *)load_val(r, Q_QOS, i, 3);
		m.grace_sec = (uint32_t)atoi(load_val(r, Q_QOS, i, 4));
		m.max_time_limit_sec =
			strtoull(load_val(r, Q_QOS, i, 5), NULL, 10);
		m.max_nodes = (uint32_t)atoi(load_val(r, Q_QOS, i, 6));
		m.description = (char *)load_val(r, Q_QOS, i, 7);
		if (qos_put(ctl->qos, &m, &e) < 0)
			log_err("load: QOS %s skipped: %s", m.name, e.msg);
		load_free_strv(pre, n);
	}
}

static void load_resv(struct ctl *ctl, const struct pgq_result *r)
{
	for (int i = 0; i < pgq_ntuples(r, Q_RESV); i++) {
		Colossus__Reservation m = COLOSSUS__RESERVATION__INIT;
		int nu = 0, na = 0, *ids = NULL;
		int n = load_int_array(load_val(r, Q_RESV, i, 2), &ids);
		char **users = load_text_array(load_val(r, Q_RESV, i, 5), &nu);
		char **accts = load_text_array(load_val(r, Q_RESV, i, 6), &na);

		m.name = (char *)load_val(r, Q_RESV, i, 0);
		m.nodes = (char *)load_val(r, Q_RESV, i, 1);
		m.start_time = strtoll(load_val(r, Q_RESV, i, 3), NULL, 10);
		m.end_time = strtoll(load_val(r, Q_RESV, i, 4), NULL, 10);
		m.users = users;
		m.n_users = (size_t)nu;
		m.accounts = accts;
		m.n_accounts = (size_t)na;
		m.maintenance = !strcmp(load_val(r, Q_RESV, i, 7), "t");
		m.reason = (char *)load_val(r, Q_RESV, i, 8);
		m.created_by = (char *)load_val(r, Q_RESV, i, 9);
		if (n > 0)
			resv_add(ctl->resv, &m, ids, n);
		else
			free(ids);
		load_free_strv(users, nu);
		load_free_strv(accts, na);
	}
}

static void load_deps_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;

	if (!r->ok) {
		log_warn("load: dependency states: %s; retrying when the "
			 "database is back",
			 r->error);
		return;
	}
	for (int i = 0; i < pgq_ntuples(r, 0); i++) {
		int st = job_state_parse(load_val(r, 0, i, 1));

		if (st > 0)
			hmap_put(ctl->finished_states,
				 strtoull(load_val(r, 0, i, 0), NULL, 10),
				 (void *)(uintptr_t)st);
	}
	ctl_loaded(ctl);
}

static void load_add_dep(struct ctl *ctl, struct hmap *want, uint64_t id)
{
	if (!job_table_get(ctl->jobs, id))
		hmap_put(want, id, (void *)1);
}

/*
 * Jobs that pending jobs depend on but that are no longer in memory
 * (finished long ago): fetch how they ended before scheduling anything,
 * so --afterok never starts on a guess.
 */
void load_dep_states(struct ctl *ctl)
{
	struct hmap *want = hmap_create();
	size_t pos = 0, wpos = 0, cap = 64, used = 0, n = 0;
	struct job *job;
	uint64_t id;
	void *v;
	char *arr;
	const char *vals[1];
	struct err e;

	while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
		if (job_state_final(job->state))
			continue;
		for (int i = 0; i < job->nafter; i++)
			load_add_dep(ctl, want, job->after[i]);
		for (int i = 0; i < job->nafter_ok; i++)
			load_add_dep(ctl, want, job->after_ok[i]);
		for (int i = 0; i < job->nafter_not_ok; i++)
			load_add_dep(ctl, want, job->after_not_ok[i]);
	}
	if (hmap_count(want) == 0) {
		hmap_destroy(want);
		ctl_loaded(ctl);
		return;
	}
	arr = xmalloc(cap);
	arr[used++] = '{';
	while (hmap_next(want, &wpos, &id, &v)) {
		char num[24];
		int len = snprintf(num, sizeof(num), "%s%" PRIu64,
				   n++ ? "," : "", id);

		if (used + (size_t)len + 2 > cap) {
			cap = (cap + (size_t)len) * 2;
			arr = xrealloc(arr, cap);
		}
		memcpy(arr + used, num, (size_t)len);
		used += (size_t)len;
	}
	arr[used++] = '}';
	arr[used] = '\0';
	hmap_destroy(want);
	vals[0] = arr;
	if (pgq_submit(ctl->db,
		       "SELECT id, state FROM jobs WHERE id = ANY($1::bigint[])",
		       1, vals, load_deps_done, ctl, &e) < 0)
		log_warn("load: dependency states: %s", e.msg);
	free(arr);
}

static void load_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;
	struct err e;
	int bad;

	if (!r->ok) {
		log_warn("load: %s; retrying when the database is back",
			 r->error);
		return;
	}
	if (load_topology(ctl, r, &e) < 0)
		fatal("load: topology in the database is inconsistent: %s",
		      e.msg);
	load_qos(ctl, r);
	load_resv(ctl, r);
	for (int i = 0; i < pgq_ntuples(r, Q_USAGE); i++)
		fairshare_set(ctl->fairshare, load_val(r, Q_USAGE, i, 0),
			      strtod(load_val(r, Q_USAGE, i, 1), NULL));
	bad = load_jobs(ctl, r);
	load_allocs(ctl, r);
	powerctl_load_limits(ctl, r, Q_POWER);
	powerctl_loaded(ctl);
	job_table_set_next_id(ctl->jobs,
			      strtoull(load_val(r, Q_MAXID, 0, 0), NULL, 10) +
				      1);
	log_info("load: %d halls, %d pods, %d racks, %d nodes, %zu jobs, %d "
		 "open allocations%s",
		 cluster_nhalls(ctl->cluster), cluster_npods(ctl->cluster),
		 cluster_nracks(ctl->cluster), cluster_nnodes(ctl->cluster),
		 job_table_count(ctl->jobs), ctl->nallocs,
		 bad ? " (some rows skipped; see above)" : "");
	ctl->model_loaded = true;
	load_dep_states(ctl);
}

void load_start(struct ctl *ctl)
{
	struct pgq_txn *t = pgq_txn_begin(ctl->db);
	char retention[24];
	const char *vals[1] = { retention };
	struct err e;

	snprintf(retention, sizeof(retention), "%" PRIu64,
		 ctl->cfg.finished_retention_sec);
	pgq_txn_add(t, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
		    NULL);
	pgq_txn_add(t, "SELECT id, name FROM halls ORDER BY id", 0, NULL);
	pgq_txn_add(t,
		    "SELECT p.id, p.name, h.name FROM pods p JOIN halls h ON "
		    "h.id = p.hall_id ORDER BY p.id",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT r.id, r.name, p.name, r.admin_state, r.health, "
		    "CASE WHEN r.admin_reason <> '' THEN r.admin_reason ELSE "
		    "r.health_reason END, r.drained_by FROM racks r JOIN pods p "
		    "ON p.id = r.pod_id ORDER BY r.id",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT n.id, n.name, r.name, n.slot, n.gpus, n.gpu_model, "
		    "array_to_string(n.features, ':'), n.state, n.admin_state, "
		    "n.health, CASE WHEN n.admin_reason <> '' THEN "
		    "n.admin_reason ELSE n.health_reason END, n.boot_id, "
		    "n.address, n.drained_by, n.drain_boot_id, "
		    "array_to_string(n.flags, ','), coalesce(extract(epoch "
		    "from n.returned_at)::bigint, 0) FROM nodes n JOIN racks r "
		    "ON r.id = n.rack_id ORDER BY n.id",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT id, user_name, account, qos, name, state, reason, "
		    "nodes, gpus_per_node, time_limit_sec, spec, epoch, "
		    "restarts, exit_code, "
		    "coalesce(extract(epoch from submit_time)::bigint, 0), "
		    "coalesce(extract(epoch from start_time)::bigint, 0), "
		    "coalesce(extract(epoch from end_time)::bigint, 0), "
		    "submit_key, coalesce(array_job_id, 0), "
		    "coalesce(array_task, 0), priority_boost "
		    "FROM jobs WHERE state IN ('pending', 'held', "
		    "'starting', 'running', 'completing') OR end_time > now() - "
		    "make_interval(secs => $1::bigint) ORDER BY id",
		    1, vals);
	pgq_txn_add(t,
		    "SELECT job_id, epoch, node_ids, gpu_masks, ranks_per_node "
		    "FROM allocations WHERE ended_at IS NULL",
		    0, NULL);
	pgq_txn_add(t, "SELECT coalesce(max(id), 0) FROM jobs", 0, NULL);
	pgq_txn_add(t,
		    "SELECT name, priority, preempt, preempt_mode, grace_sec, "
		    "max_time_limit_sec, max_nodes, description FROM qos",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT name, nodes, node_ids, "
		    "extract(epoch from start_time)::bigint, "
		    "extract(epoch from end_time)::bigint, users, accounts, "
		    "maintenance, reason, created_by FROM reservations "
		    "WHERE end_time > now()",
		    0, NULL);
	pgq_txn_add(t, "SELECT account, usage FROM account_usage", 0, NULL);
	pgq_txn_add(t, "SELECT scope, name, limit_w FROM power_limits", 0,
		    NULL);
	pgq_txn_add(t, "COMMIT", 0, NULL);
	if (pgq_txn_commit(t, load_done, ctl, &e) < 0)
		log_warn("load: %s; retrying when the database is back", e.msg);
}

static void load_usage_saved(const struct pgq_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		log_sub(LOG_SUB_DB, "fair-share usage not saved: %s", r->error);
}

void load_save_usage(struct ctl *ctl)
{
	size_t pos = 0, n = 0, cap = 256, used_a = 0, used_u = 0;
	char *accounts = xmalloc(cap), *usages = xmalloc(cap);
	const char *vals[2];
	const char *account;
	double usage;
	struct err e;

	accounts[used_a++] = '{';
	usages[used_u++] = '{';
	while (fairshare_next(ctl->fairshare, &pos, &account, &usage)) {
		char num[40];
		size_t la = strlen(account), lu;

		snprintf(num, sizeof(num), "%.6g", usage);
		lu = strlen(num);
		while (used_a + la + 4 > cap || used_u + lu + 4 > cap) {
			cap *= 2;
			accounts = xrealloc(accounts, cap);
			usages = xrealloc(usages, cap);
		}
		if (n) {
			accounts[used_a++] = ',';
			usages[used_u++] = ',';
		}
		/* Account names are [A-Za-z0-9._-]: no quoting needed. */
		memcpy(accounts + used_a, account, la);
		used_a += la;
		memcpy(usages + used_u, num, lu);
		used_u += lu;
		n++;
	}
	accounts[used_a++] = '}';
	accounts[used_a] = '\0';
	usages[used_u++] = '}';
	usages[used_u] = '\0';
	vals[0] = accounts;
	vals[1] = usages;
	if (n && pgq_submit(ctl->db,
			    "INSERT INTO account_usage (account, usage) "
			    "SELECT * FROM unnest($1::text[], $2::float8[]) "
			    "ON CONFLICT (account) DO UPDATE SET usage = "
			    "EXCLUDED.usage, updated_at = now()",
			    2, vals, load_usage_saved, NULL, &e) < 0)
		log_sub(LOG_SUB_DB, "fair-share usage not saved: %s", e.msg);
	free(accounts);
	free(usages);
}
