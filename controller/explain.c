/*
 * Pending-job explanations.  Computed on request from the model in
 * memory; nothing here is stored.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/util.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/explain.h"
#include "controller/job.h"
#include "controller/place.h"
#include "controller/plan.h"
#include "controller/powerctl.h"

static void explain_add(char *buf, size_t len, size_t *used, const char *fmt,
			...) PRINTF_LIKE(4, 5);
static void explain_add(char *buf, size_t len, size_t *used, const char *fmt,
			...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
	if (*used >= len)
		*used = len - 1;
}

static const char *explain_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* Usable whole nodes for this job in a rack (ignores reservations). */
static int explain_rack_usable(const struct rack *r, const struct job *job)
{
	int n = 0;

	for (int k = 0; k < r->nnodes; k++) {
		const struct node *node = r->nodes[k];

		if (node->av != NODE_AV_OK &&
		    !(node->av == NODE_AV_DEGRADED && job->nodes == 1))
			continue;
		if (*job->gpu_model && strcasecmp(job->gpu_model, node->gpu_model))
			continue;
		n++;
	}
	return n;
}

/* The jobs holding nodes of a container, with when they should end. */
static void explain_holders(struct node *const *nodes, int n, char *buf,
			    size_t len, size_t *used)
{
	uint64_t seen[6];
	int nseen = 0, more = 0;

	for (int i = 0; i < n; i++) {
		const struct node *node = nodes[i];

		for (int u = 0; u < node->nuses; u++) {
			const struct job *j = node->uses[u].alloc->job;
			bool dup = false;
			char t[32];

			if (!j)
				continue;
			for (int s = 0; s < nseen; s++)
				dup |= seen[s] == j->id;
			if (dup)
				continue;
			if (nseen == 5) {
				more++;
				continue;
			}
			seen[nseen++] = j->id;
			if (plan_job_end(j) == INT64_MAX)
				explain_add(buf, len, used,
					    "%sjob %" PRIu64 " (no time limit)",
					    nseen > 1 ? ", " : "", j->id);
			else
				explain_add(buf, len, used,
					    "%sjob %" PRIu64 " until %s",
					    nseen > 1 ? ", " : "", j->id,
					    explain_time(plan_job_end(j), t,
							 sizeof(t)));
		}
	}
	if (more)
		explain_add(buf, len, used, " and %d more jobs", more);
	if (!nseen)
		explain_add(buf, len, used,
			    "nothing: the rest is down, drained or unhealthy");
}

static void explain_level(struct ctl *ctl, const struct job *job, char *buf,
			  size_t len, size_t *used)
{
	struct cluster *c = ctl->cluster;
	const char *what = job->within == PLACE_RACK ? "rack"
			   : job->within == PLACE_POD	? "pod"
			   : job->within == PLACE_HALL	? "hall"
							: "cluster";
	int best = -1, best_n = -1, total = 0;
	struct node **nodes = NULL;
	int nn = 0;

	if (job->nodes == 1 && job->gpus_per_node < 8) {
		int most = 0;

		for (int i = 0; i < cluster_nnodes(c); i++) {
			const struct node *n = cluster_node_at(c, i);
			int f = __builtin_popcount(node_free_mask(n));

			if (node_schedulable(n) && f > most)
				most = f;
		}
		explain_add(buf, len, used,
			    "; needs %u GPUs on one node, the most free on a "
			    "usable node is %d",
			    job->gpus_per_node, most);
		return;
	}
	for (int i = 0; i < cluster_nracks(c); i++)
		total += explain_rack_usable(cluster_rack_at(c, i), job);
	explain_add(buf, len, used, "; needs %u whole %s%s nodes%s%s",
		    job->nodes, *job->gpu_model ? job->gpu_model : "",
		    *job->gpu_model ? "" : "",
		    job->within ? " in one " : "",
		    job->within ? what : "");
	if (job->within == PLACE_RACK || job->within == PLACE_POD ||
	    job->within == PLACE_HALL) {
		int count = job->within == PLACE_RACK  ? cluster_nracks(c)
			    : job->within == PLACE_POD ? cluster_npods(c)
						       : cluster_nhalls(c);

		for (int i = 0; i < count; i++) {
			int n = 0;

			for (int k = 0; k < cluster_nracks(c); k++) {
				const struct rack *r = cluster_rack_at(c, k);
				bool in = job->within == PLACE_RACK
						  ? r->index == i
					  : job->within == PLACE_POD
						  ? r->pod->index == i
						  : r->pod->hall->index == i;

				if (in)
					n += explain_rack_usable(r, job);
			}
			if (n > best_n) {
				best_n = n;
				best = i;
			}
		}
		if (best < 0)
			return;
		explain_add(buf, len, used, "; best %s %s has %d usable; held by ",
			    what,
			    job->within == PLACE_RACK
				    ? cluster_rack_at(c, best)->name
			    : job->within == PLACE_POD
				    ? cluster_pod_at(c, best)->name
				    : cluster_hall_at(c, best)->name,
			    best_n);
		nodes = xcalloc((size_t)cluster_nnodes(c) + 1, sizeof(*nodes));
		for (int i = 0; i < cluster_nnodes(c); i++) {
			struct node *n = cluster_node_at(c, i);
			bool in = job->within == PLACE_RACK
					  ? n->rack->index == best
				  : job->within == PLACE_POD
					  ? n->rack->pod->index == best
					  : n->rack->pod->hall->index == best;

			if (in)
				nodes[nn++] = n;
		}
		explain_holders(nodes, nn, buf, len, used);
		free(nodes);
		return;
	}
	explain_add(buf, len, used, "; %d usable in the cluster", total);
}

void explain_job(struct ctl *ctl, const struct job *job, char *buf,
		 size_t len)
{
	size_t used = 0;
	char t[32];

	buf[0] = '\0';
	if (job->state == JOB_HELD) {
		explain_add(buf, len, &used, "held: %s (colossus release %" PRIu64
			    ")",
			    job->reason, job->id);
		return;
	}
	if (job->state != JOB_PENDING) {
		explain_add(buf, len, &used, "not pending (%s)%s%s",
			    job_state_name(job->state), *job->reason ? ": " : "",
			    job->reason);
		return;
	}
	if (job->queue_pos)
		explain_add(buf, len, &used,
			    "position %u in the queue (priority %.0f); ",
			    job->queue_pos, job->priority);
	explain_add(buf, len, &used, "%s", *job->reason ? job->reason : "waiting");
	if (job->expected_start && !strstr(job->reason, "expected"))
		explain_add(buf, len, &used, "; expected to start %s",
			    explain_time(job->expected_start, t, sizeof(t)));
	if (!strncmp(job->reason, "waiting for power", 17)) {
		char pw[400];

		/* The evidence is the budget, not free nodes. */
		powerctl_explain(ctl, job, pw, sizeof(pw));
		if (*pw)
			explain_add(buf, len, &used, "; %s", pw);
		return;
	}
	if (job->queue_pos)
		explain_level(ctl, job, buf, len, &used);
}
