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

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/job.h"
#include "controller/load.h"
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
	bad = load_jobs(ctl, r);
	load_allocs(ctl, r);
	job_table_set_next_id(ctl->jobs,
			      strtoull(load_val(r, Q_MAXID, 0, 0), NULL, 10) +
				      1);
	log_info("load: %d halls, %d pods, %d racks, %d nodes, %zu jobs, %d "
		 "open allocations%s",
		 cluster_nhalls(ctl->cluster), cluster_npods(ctl->cluster),
		 cluster_nracks(ctl->cluster), cluster_nnodes(ctl->cluster),
		 job_table_count(ctl->jobs), ctl->nallocs,
		 bad ? " (some rows skipped; see above)" : "");
	ctl_loaded(ctl);
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
		    "r.admin_reason FROM racks r JOIN pods p ON p.id = r.pod_id "
		    "ORDER BY r.id",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT n.id, n.name, r.name, n.slot, n.gpus, n.gpu_model, "
		    "array_to_string(n.features, ':'), n.state, n.admin_state, "
		    "n.health, CASE WHEN n.admin_reason <> '' THEN "
		    "n.admin_reason ELSE n.health_reason END, n.boot_id, "
		    "n.address FROM nodes n JOIN racks r ON r.id = n.rack_id "
		    "ORDER BY n.id",
		    0, NULL);
	pgq_txn_add(t,
		    "SELECT id, user_name, account, qos, name, state, reason, "
		    "nodes, gpus_per_node, time_limit_sec, spec, epoch, "
		    "restarts, exit_code, "
		    "coalesce(extract(epoch from submit_time)::bigint, 0), "
		    "coalesce(extract(epoch from start_time)::bigint, 0), "
		    "coalesce(extract(epoch from end_time)::bigint, 0), "
		    "submit_key FROM jobs WHERE state IN ('pending', 'held', "
		    "'starting', 'running', 'completing') OR end_time > now() - "
		    "make_interval(secs => $1::bigint) ORDER BY id",
		    1, vals);
	pgq_txn_add(t,
		    "SELECT job_id, epoch, node_ids, gpu_masks, ranks_per_node "
		    "FROM allocations WHERE ended_at IS NULL",
		    0, NULL);
	pgq_txn_add(t, "SELECT coalesce(max(id), 0) FROM jobs", 0, NULL);
	pgq_txn_add(t, "COMMIT", 0, NULL);
	if (pgq_txn_commit(t, load_done, ctl, &e) < 0)
		log_warn("load: %s; retrying when the database is back", e.msg);
}
