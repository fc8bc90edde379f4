/*
 * Read-only JSON views of the controller's memory for the rack map page
 * and for scripts: /api/racks, /api/nodes, /api/jobs.  Nothing here
 * reads the database or changes state; a view of the whole phase-2
 * cluster (3,136 racks) is one walk over 25,088 nodes.
 *
 * A rack's "state" is the one colour the map gives it, worst first:
 * drained, draining (the rack's admin state), down (no node up),
 * unknown (no node heard from since the controller started), unhealthy
 * (the rack or a node failed a health rule), drained/draining again when
 * every node that is up is, then busy (a GPU allocated) or idle.  Nodes
 * that are down, draining, drained or unhealthy in a rack that is
 * otherwise busy or idle are counted in "problems" so the page can mark
 * the cell.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/hmap.h"
#include "common/hostlist.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/http_api.h"
#include "controller/job.h"

#define API_JOBS_DEFAULT 500
#define API_JOBS_MAX 100000
#define API_RACKS_FROM_NODELIST 50 /* jobs for which a nodelist is parsed */
#define API_IDS_MAX 1024
#define API_NODES_PAGE 1000	/* unfiltered /api/nodes */
#define API_NODES_PAGE_MAX 5000 /* ?id=1,2,3 */

void json_str(struct evbuffer *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *run = p;

	evbuffer_add(out, "\"", 1);
	for (; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			continue;
		evbuffer_add(out, run, (size_t)(p - run));
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(out, "\\%c", *p);
		else
			evbuffer_add_printf(out, "\\u%04x", *p);
		run = p + 1;
	}
	evbuffer_add(out, run, (size_t)(p - run));
	evbuffer_add(out, "\"", 1);
}

void json_key(struct evbuffer *out, const char *key, int first)
{
	evbuffer_add_printf(out, "%s\"%s\":", first ? "" : ",", key);
}

static void json_kstr(struct evbuffer *out, const char *key, const char *v,
		      int first)
{
	json_key(out, key, first);
	json_str(out, v);
}

static void json_kint(struct evbuffer *out, const char *key, int64_t v)
{
	json_key(out, key, 0);
	evbuffer_add_printf(out, "%" PRId64, v);
}

static void json_kbool(struct evbuffer *out, const char *key, int v)
{
	json_key(out, key, 0);
	evbuffer_add_printf(out, "%s", v ? "true" : "false");
}

int http_api_error(struct evbuffer *out, int code, const char *msg)
{
	evbuffer_drain(out, evbuffer_get_length(out));
	evbuffer_add_printf(out, "{");
	json_kstr(out, "error", msg, 1);
	evbuffer_add_printf(out, "}\n");
	return code;
}

static void api_header(struct ctl *ctl, struct evbuffer *out)
{
	evbuffer_add_printf(out, "{");
	json_kstr(out, "controller", ctl->id, 1);
	json_kbool(out, "active", ctl->active);
	json_kbool(out, "standby", ctl->standby);
	json_kint(out, "generated", util_now_wall_s());
}

/* ---- racks ---- */

struct rack_sum {
	int nodes, up, down, unknown, draining, drained, unhealthy;
	int gpus, used, jobs, problems;
	const char *state;
};

static void rack_summarize(const struct rack *r, struct rack_sum *s)
{
	const struct alloc *seen[NODE_MAX_ALLOCS * 8];
	int nseen = 0, up_drain = 0, up_draining = 0;
	bool failed = r->health == HEALTH_FAILED;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < r->nnodes; i++) {
		const struct node *n = r->nodes[i];
		bool problem;

		s->nodes++;
		s->gpus += (int)n->gpus;
		s->used += __builtin_popcount(n->gpu_used | n->gpu_fencing);
		if (n->state == NODE_UP)
			s->up++;
		else if (n->state == NODE_DOWN)
			s->down++;
		else
			s->unknown++;
		if (n->admin_state == ADMIN_DRAINING)
			s->draining++;
		else if (n->admin_state == ADMIN_DRAINED)
			s->drained++;
		if (n->state == NODE_UP && n->admin_state != ADMIN_NONE) {
			up_drain++;
			if (n->admin_state == ADMIN_DRAINING)
				up_draining++;
		}
		if (n->health != HEALTH_OK)
			s->unhealthy++;
		if (n->health == HEALTH_FAILED)
			failed = true;
		problem = n->state == NODE_DOWN ||
			  n->admin_state != ADMIN_NONE ||
			  n->health != HEALTH_OK;
		s->problems += problem;
		/* Distinct allocations on the rack: few, a linear scan does. */
		for (int u = 0; u < n->nuses; u++) {
			const struct alloc *a = n->uses[u].alloc;
			int k = 0;

			if (!a->job)
				continue;
			while (k < nseen && seen[k] != a)
				k++;
			if (k == nseen && nseen < (int)ARRAY_SIZE(seen))
				seen[nseen++] = a;
		}
	}
	s->jobs = nseen;
	if (r->admin_state == ADMIN_DRAINED)
		s->state = "drained";
	else if (r->admin_state == ADMIN_DRAINING)
		s->state = "draining";
	else if (s->up == 0)
		s->state = s->down ? "down" : "unknown";
	else if (failed || r->health != HEALTH_OK)
		s->state = "unhealthy";
	else if (up_drain == s->up)
		s->state = up_draining ? "draining" : "drained";
	else if (s->used)
		s->state = "busy";
	else
		s->state = "idle";
}

static void rack_json(struct evbuffer *out, const struct rack *r,
		      const struct rack_sum *s, const struct cluster *c)
{
	evbuffer_add_printf(out, "{");
	json_kstr(out, "name", r->name, 1);
	json_kstr(out, "state", s->state, 0);
	json_kstr(out, "admin", admin_state_name(r->admin_state), 0);
	json_kstr(out, "health", health_state_name(r->health), 0);
	json_kstr(out, "reason", r->reason ? r->reason : "", 0);
	json_kstr(out, "model",
		  r->model_id >= 0 ? cluster_model_name(c, r->model_id)
				   : "mixed",
		  0);
	json_kint(out, "nodes", s->nodes);
	json_kint(out, "up", s->up);
	json_kint(out, "down", s->down);
	json_kint(out, "unknown", s->unknown);
	json_kint(out, "draining", s->draining);
	json_kint(out, "drained", s->drained);
	json_kint(out, "unhealthy", s->unhealthy);
	json_kint(out, "problems", s->problems);
	json_kint(out, "gpus", s->gpus);
	json_kint(out, "used", s->used);
	json_kint(out, "jobs", s->jobs);
	evbuffer_add_printf(out, "}");
}

/*
 * The map lists halls, pods and racks in natural name order (p2 before
 * p10), whatever order the topology was loaded in.
 */
static int api_hall_cmp(const void *a, const void *b)
{
	return strverscmp((*(struct hall *const *)a)->name,
			  (*(struct hall *const *)b)->name);
}

static int api_pod_cmp(const void *a, const void *b)
{
	return strverscmp((*(struct pod *const *)a)->name,
			  (*(struct pod *const *)b)->name);
}

static int api_rack_cmp(const void *a, const void *b)
{
	return strverscmp((*(struct rack *const *)a)->name,
			  (*(struct rack *const *)b)->name);
}

/* A sorted copy of an array of n pointers (caller frees). */
static void *api_sorted(void *const *v, int n,
			int (*cmp)(const void *, const void *))
{
	void **copy = xcalloc((size_t)n + 1, sizeof(*copy));

	if (n > 0) {
		memcpy(copy, v, (size_t)n * sizeof(*copy));
		qsort(copy, (size_t)n, sizeof(*copy), cmp);
	}
	return copy;
}

int http_api_racks(struct ctl *ctl, const struct evkeyvalq *query,
		   struct evbuffer *out)
{
	static const char *const states[] = { "idle",	 "busy", "draining",
					      "drained", "down", "unhealthy",
					      "unknown" };
	int nstate[ARRAY_SIZE(states)];
	int64_t gpus = 0, used = 0, nodes = 0, jobs[16];
	const struct cluster *c = ctl->cluster;
	int nh = cluster_nhalls(c);
	struct hall **halls = xcalloc((size_t)nh + 1, sizeof(*halls));
	size_t pos = 0;
	struct job *job;

	(void)query;
	for (int h = 0; h < nh; h++)
		halls[h] = cluster_hall_at(c, h);
	if (nh > 1)
		qsort(halls, (size_t)nh, sizeof(*halls), api_hall_cmp);
	memset(nstate, 0, sizeof(nstate));
	memset(jobs, 0, sizeof(jobs));
	api_header(ctl, out);
	json_key(out, "halls", 0);
	evbuffer_add_printf(out, "[");
	for (int h = 0; h < nh; h++) {
		const struct hall *hall = halls[h];
		struct pod **pods = api_sorted((void *const *)hall->pods,
					       hall->npods, api_pod_cmp);

		evbuffer_add_printf(out, "%s{", h ? "," : "");
		json_kstr(out, "name", hall->name, 1);
		json_key(out, "pods", 0);
		evbuffer_add_printf(out, "[");
		for (int p = 0; p < hall->npods; p++) {
			const struct pod *pod = pods[p];
			struct rack **racks =
				api_sorted((void *const *)pod->racks,
					   pod->nracks, api_rack_cmp);

			evbuffer_add_printf(out, "%s{", p ? "," : "");
			json_kstr(out, "name", pod->name, 1);
			json_key(out, "racks", 0);
			evbuffer_add_printf(out, "[");
			for (int r = 0; r < pod->nracks; r++) {
				struct rack_sum s;

				rack_summarize(racks[r], &s);
				if (r)
					evbuffer_add_printf(out, ",");
				rack_json(out, racks[r], &s, c);
				for (size_t k = 0; k < ARRAY_SIZE(states); k++)
					if (!strcmp(states[k], s.state))
						nstate[k]++;
				gpus += s.gpus;
				used += s.used;
				nodes += s.nodes;
			}
			evbuffer_add_printf(out, "]}");
			free(racks);
		}
		evbuffer_add_printf(out, "]}");
		free(pods);
	}
	evbuffer_add_printf(out, "]");
	free(halls);
	while (ctl->jobs && (job = job_table_next(ctl->jobs, &pos)) != NULL)
		if ((unsigned)job->state < ARRAY_SIZE(jobs))
			jobs[job->state]++;
	json_key(out, "totals", 0);
	evbuffer_add_printf(out, "{\"halls\":%d", cluster_nhalls(c));
	json_kint(out, "pods", cluster_npods(c));
	json_kint(out, "racks", cluster_nracks(c));
	json_kint(out, "nodes", nodes);
	json_kint(out, "gpus", gpus);
	json_kint(out, "gpus_used", used);
	json_key(out, "racks_by_state", 0);
	evbuffer_add_printf(out, "{");
	for (size_t k = 0; k < ARRAY_SIZE(states); k++) {
		json_key(out, states[k], !k);
		evbuffer_add_printf(out, "%d", nstate[k]);
	}
	evbuffer_add_printf(out, "}");
	json_key(out, "jobs_by_state", 0);
	evbuffer_add_printf(out, "{");
	for (int s = 1, first = 1; s < (int)ARRAY_SIZE(jobs); s++) {
		const char *name = job_state_name((enum job_state)s);

		if (!strcmp(name, "unknown"))
			continue;
		json_key(out, name, first);
		evbuffer_add_printf(out, "%" PRId64, jobs[s]);
		first = 0;
	}
	evbuffer_add_printf(out, "}}}\n");
	return 200;
}

/* ---- nodes ---- */

static uint64_t node_gpu_job(const struct node *n, int gpu)
{
	for (int u = 0; u < n->nuses; u++)
		if (n->uses[u].gpu_mask & (1u << gpu))
			return n->uses[u].alloc->job_id;
	return 0;
}

static void node_json(struct evbuffer *out, const struct node *n,
		      int64_t now_ms)
{
	uint64_t jobs[NODE_MAX_ALLOCS];
	int nj = 0;

	evbuffer_add_printf(out, "{");
	json_kstr(out, "name", n->name, 1);
	json_kstr(out, "rack", n->rack->name, 0);
	json_kstr(out, "pod", n->rack->pod->name, 0);
	json_kstr(out, "hall", n->rack->pod->hall->name, 0);
	json_kint(out, "slot", n->slot);
	json_kstr(out, "state", node_state_name(n->state), 0);
	json_kstr(out, "admin", admin_state_name(n->admin_state), 0);
	json_kstr(out, "rack_admin", admin_state_name(n->rack->admin_state), 0);
	json_kstr(out, "health", health_state_name(n->health), 0);
	json_kstr(out, "reason", n->reason ? n->reason : "", 0);
	json_kbool(out, "schedulable", node_schedulable(n));
	json_kbool(out, "spare", n->spare);
	json_kbool(out, "connected", n->peer != NULL);
	json_kstr(out, "model", n->gpu_model, 0);
	json_kint(out, "gpus", n->gpus);
	json_kint(out, "agent_gpus", n->agent_gpus);
	json_kstr(out, "agent_problem", n->agent_problem, 0);
	json_kstr(out, "address", n->address, 0);
	json_kint(out, "last_heartbeat", n->last_heartbeat_wall);
	json_kint(out, "heartbeat_age_ms",
		  n->last_heartbeat_ms ? now_ms - n->last_heartbeat_ms : -1);
	json_key(out, "gpu", 0);
	evbuffer_add_printf(out, "[");
	for (unsigned g = 0; g < n->gpus && g < NODE_MAX_GPUS; g++) {
		const char *st = "free";
		uint64_t job = 0;

		if (n->gpu_fencing & (1u << g)) {
			st = "fencing";
		} else if (n->gpu_used & (1u << g)) {
			st = "used";
			job = node_gpu_job(n, (int)g);
		}
		evbuffer_add_printf(out, "%s{\"index\":%u,\"state\":\"%s\"",
				    g ? "," : "", g, st);
		if (job)
			evbuffer_add_printf(out, ",\"job\":%" PRIu64, job);
		evbuffer_add_printf(out, "}");
	}
	evbuffer_add_printf(out, "]");
	for (int u = 0; u < n->nuses; u++) {
		uint64_t id = n->uses[u].alloc->job_id;
		int k = 0;

		if (!n->uses[u].alloc->job)
			continue;
		while (k < nj && jobs[k] != id)
			k++;
		if (k == nj)
			jobs[nj++] = id;
	}
	json_key(out, "jobs", 0);
	evbuffer_add_printf(out, "[");
	for (int k = 0; k < nj; k++)
		evbuffer_add_printf(out, "%s%" PRIu64, k ? "," : "", jobs[k]);
	evbuffer_add_printf(out, "]}");
}

static int api_parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*id = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

int http_api_nodes(struct ctl *ctl, const struct evkeyvalq *query,
		   struct evbuffer *out)
{
	const char *rack_name = evhttp_find_header(query, "rack");
	const char *names = evhttp_find_header(query, "node");
	const char *job_s = evhttp_find_header(query, "job");
	int64_t now = util_now_mono_ms(), matched = -1;
	struct node **sel = NULL;
	size_t nsel = 0;
	struct err e;

	if (rack_name) {
		const struct rack *r = cluster_rack(ctl->cluster, rack_name);

		if (!r)
			return http_api_error(out, 404, "no such rack");
		sel = xcalloc((size_t)r->nnodes + 1, sizeof(*sel));
		for (int i = 0; i < r->nnodes; i++)
			sel[nsel++] = r->nodes[i];
	} else if (names) {
		struct hostlist *hl = hostlist_create();

		if (hostlist_parse(hl, names, 200000, &e) < 0) {
			hostlist_destroy(hl);
			return http_api_error(out, 400, e.msg);
		}
		sel = xcalloc(hostlist_count(hl) + 1, sizeof(*sel));
		for (size_t i = 0; i < hostlist_count(hl); i++) {
			struct node *n =
				cluster_node(ctl->cluster, hostlist_nth(hl, i));

			if (n)
				sel[nsel++] = n;
		}
		hostlist_destroy(hl);
	} else if (job_s) {
		const struct job *job;
		uint64_t id;

		if (api_parse_id(job_s, &id) < 0)
			return http_api_error(out, 400, "bad job id");
		job = job_table_get(ctl->jobs, id);
		if (!job)
			return http_api_error(out, 404, "no such job");
		sel = xcalloc(job->alloc ? (size_t)job->alloc->nparts + 1 : 1,
			      sizeof(*sel));
		for (int i = 0; job->alloc && i < job->alloc->nparts; i++)
			sel[nsel++] = job->alloc->parts[i].node;
	} else {
		/*
		 * Every node of phase 2 is 13 MB of JSON and most of a second
		 * of the loop: unfiltered listings come in pages.
		 */
		const char *limit_s = evhttp_find_header(query, "limit");
		const char *offset_s = evhttp_find_header(query, "offset");
		uint64_t limit = API_NODES_PAGE, offset = 0;
		int total = cluster_nnodes(ctl->cluster);

		if ((limit_s &&
		     (api_parse_id(limit_s, &limit) < 0 || !limit)) ||
		    (offset_s && api_parse_id(offset_s, &offset) < 0))
			return http_api_error(out, 400, "bad limit or offset");
		limit = MIN(limit, (uint64_t)API_NODES_PAGE_MAX);
		sel = xcalloc((size_t)limit + 1, sizeof(*sel));
		for (uint64_t i = offset; i < (uint64_t)total && nsel < limit;
		     i++)
			sel[nsel++] = cluster_node_at(ctl->cluster, (int)i);
		matched = total;
	}
	api_header(ctl, out);
	json_kint(out, "matched", matched >= 0 ? matched : (int64_t)nsel);
	json_key(out, "nodes", 0);
	evbuffer_add_printf(out, "[");
	for (size_t i = 0; i < nsel; i++) {
		if (i)
			evbuffer_add_printf(out, ",");
		node_json(out, sel[i], now);
	}
	evbuffer_add_printf(out, "]}\n");
	free(sel);
	return 200;
}

/* ---- jobs ---- */

static void job_racks_json(struct evbuffer *out, struct ctl *ctl,
			   const struct job *job, bool from_nodelist)
{
	struct smap *seen = smap_create();
	struct hostlist *hl = NULL;
	int n = 0;

	evbuffer_add_printf(out, "[");
	if (job->alloc) {
		for (int i = 0; i < job->alloc->nparts; i++) {
			const struct rack *r = job->alloc->parts[i].node->rack;

			if (smap_get(seen, r->name))
				continue;
			smap_put(seen, r->name, (void *)r);
			evbuffer_add_printf(out, "%s", n++ ? "," : "");
			json_str(out, r->name);
		}
	} else if (from_nodelist && job->nodelist && *job->nodelist) {
		struct err e;

		hl = hostlist_create();
		if (hostlist_parse(hl, job->nodelist, 200000, &e) < 0) {
			hostlist_destroy(hl);
			hl = NULL;
		}
		for (size_t i = 0; hl && i < hostlist_count(hl); i++) {
			const struct node *nd =
				cluster_node(ctl->cluster, hostlist_nth(hl, i));

			if (!nd || smap_get(seen, nd->rack->name))
				continue;
			smap_put(seen, nd->rack->name, (void *)nd->rack);
			evbuffer_add_printf(out, "%s", n++ ? "," : "");
			json_str(out, nd->rack->name);
		}
		hostlist_destroy(hl);
	}
	evbuffer_add_printf(out, "]");
	smap_destroy(seen);
}

static void job_json(struct evbuffer *out, struct ctl *ctl,
		     const struct job *job, bool racks_from_nodelist)
{
	evbuffer_add_printf(out, "{\"id\":%" PRIu64, job->id);
	json_kstr(out, "name", job->name, 0);
	json_kstr(out, "user", job->user, 0);
	json_kstr(out, "account", job->account, 0);
	json_kstr(out, "qos", job->qos, 0);
	json_kstr(out, "state", job_state_name(job->state), 0);
	json_kstr(out, "reason", job->reason, 0);
	json_kint(out, "nodes", job->nodes);
	json_kint(out, "gpus_per_node", job->gpus_per_node);
	json_kint(out, "ranks_per_node", job->ranks_per_node);
	json_kint(out, "time_limit", (int64_t)job->time_limit_sec);
	json_kint(out, "submit_time", job->submit_time);
	json_kint(out, "start_time", job->start_time);
	json_kint(out, "end_time", job->end_time);
	json_kint(out, "epoch", job->epoch);
	json_kint(out, "restarts", job->restarts);
	json_key(out, "exit_code", 0);
	if (job->has_exit_code)
		evbuffer_add_printf(out, "%d", job->exit_code);
	else
		evbuffer_add_printf(out, "null");
	json_key(out, "priority", 0);
	evbuffer_add_printf(out, "%.3f", job->priority);
	json_kstr(out, "nodelist", job->nodelist, 0);
	json_key(out, "racks", 0);
	job_racks_json(out, ctl, job, racks_from_nodelist);
	evbuffer_add_printf(out, "}");
}

static bool api_state_wanted(const char *list, enum job_state s)
{
	const char *name = job_state_name(s);
	size_t len = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == len && !strncmp(p, name, n))
			return true;
		if (!strncmp(p, "active", n) && n == 6 && !job_state_final(s))
			return true;
		p = comma ? comma + 1 : p + n;
	}
	return false;
}

static int api_job_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;

	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

int http_api_jobs(struct ctl *ctl, const struct evkeyvalq *query,
		  struct evbuffer *out)
{
	const char *id_s = evhttp_find_header(query, "id");
	const char *user = evhttp_find_header(query, "user");
	const char *states = evhttp_find_header(query, "state");
	const char *q = evhttp_find_header(query, "q");
	const char *limit_s = evhttp_find_header(query, "limit");
	uint64_t limit = API_JOBS_DEFAULT, id = 0;
	struct job **sel = NULL, *job;
	size_t nsel = 0, cap = 0, pos = 0, total = 0;

	if (limit_s && (api_parse_id(limit_s, &limit) < 0 || !limit))
		return http_api_error(out, 400, "bad limit");
	if (limit > API_JOBS_MAX)
		limit = API_JOBS_MAX;
	if (id_s) {
		/* One id, or a comma-separated list (a rack's jobs). */
		for (const char *p = id_s; *p;) {
			char *end;

			id = strtoull(p, &end, 10);
			if (end == p || (*end && *end != ',') || *p == '-')
				return http_api_error(out, 400, "bad job id");
			job = job_table_get(ctl->jobs, id);
			if (job && nsel < API_IDS_MAX) {
				sel = xreallocarray(sel, nsel + 1,
						    sizeof(*sel));
				sel[nsel++] = job;
			}
			p = *end ? end + 1 : end;
		}
	} else {
		while ((job = job_table_next(ctl->jobs, &pos)) != NULL) {
			if (user && strcmp(user, job->user ? job->user : ""))
				continue;
			if (states && !api_state_wanted(states, job->state))
				continue;
			if (q && *q && !strstr(job->name ? job->name : "", q))
				continue;
			if (nsel == cap) {
				cap = cap ? cap * 2 : 256;
				sel = xreallocarray(sel, cap, sizeof(*sel));
			}
			sel[nsel++] = job;
		}
	}
	total = nsel;
	if (nsel)
		qsort(sel, nsel, sizeof(*sel), api_job_cmp);
	if (nsel > limit)
		nsel = (size_t)limit;
	api_header(ctl, out);
	json_kint(out, "matched", (int64_t)total);
	json_key(out, "jobs", 0);
	evbuffer_add_printf(out, "[");
	for (size_t i = 0; i < nsel; i++) {
		if (i)
			evbuffer_add_printf(out, ",");
		job_json(out, ctl, sel[i], nsel <= API_RACKS_FROM_NODELIST);
	}
	evbuffer_add_printf(out, "]}\n");
	free(sel);
	return 200;
}
