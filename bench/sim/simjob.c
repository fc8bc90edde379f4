/*
 * Per-job timing for the benchmarks: when the nodes of this process got
 * their LaunchJob and StartJob orders, and when their workloads ended.
 * Entries live while some node still holds the incarnation.
 *
 * The job log (--job-log) gets one line per job and epoch each time its
 * counters changed, at most every watch tick (100 ms):
 *
 *   wall_ms job epoch num_nodes launched started ended
 *           first_launch_ms last_launch_ms first_start_ms last_start_ms
 *
 * Times are wall-clock milliseconds, so a script can compare them with
 * the moment it submitted.  The last line of a job holds its totals; with
 * several simulator processes, add their last lines up.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "bench/sim/sim.h"
#include "common/hmap.h"
#include "common/xalloc.h"

static uint64_t simjob_key(uint64_t job_id, uint32_t epoch)
{
	return job_id << 20 | (epoch & 0xfffff);
}

static struct sim_job *simjob_get(struct sim *sim, uint64_t job_id,
				  uint32_t epoch, bool create)
{
	uint64_t key = simjob_key(job_id, epoch);
	struct sim_job *j = hmap_get(sim->jobs, key);

	if (j || !create)
		return j;
	j = xcalloc(1, sizeof(*j));
	j->job_id = job_id;
	j->epoch = epoch;
	hmap_put(sim->jobs, key, j);
	return j;
}

static void simjob_touch(struct sim *sim, struct sim_job *j)
{
	if (j->changed)
		return;
	j->changed = true;
	j->next_changed = sim->changed;
	sim->changed = j;
}

void simjob_launch(struct sim *sim, const Colossus__LaunchJob *m)
{
	struct sim_job *j = simjob_get(sim, m->job_id, m->epoch, true);
	int64_t now = util_now_wall_ms();

	j->num_nodes = m->num_nodes;
	if (!j->nlaunch++)
		j->first_launch_ms = now;
	j->last_launch_ms = now;
	simjob_touch(sim, j);
}

void simjob_start(struct sim *sim, uint64_t job_id, uint32_t epoch)
{
	struct sim_job *j = simjob_get(sim, job_id, epoch, false);
	int64_t now = util_now_wall_ms();

	if (!j)
		return;
	if (!j->nstart++)
		j->first_start_ms = now;
	j->last_start_ms = now;
	if (!j->complete && j->num_nodes && j->nstart >= j->num_nodes) {
		j->complete = true;
		sim->c.jobs_started++;
	}
	simjob_touch(sim, j);
}

void simjob_ended(struct sim *sim, uint64_t job_id, uint32_t epoch)
{
	struct sim_job *j = simjob_get(sim, job_id, epoch, false);

	if (!j)
		return;
	j->nended++;
	simjob_touch(sim, j);
}

void simjob_flush(struct sim *sim)
{
	int64_t now = util_now_wall_ms();
	struct sim_job *j, *next;

	for (j = sim->changed; j; j = next) {
		next = j->next_changed;
		j->changed = false;
		j->next_changed = NULL;
		if (sim->job_log)
			fprintf(sim->job_log,
				"%" PRId64 " %" PRIu64
				" %u %u %u %u %u %" PRId64 " %" PRId64
				" %" PRId64 " %" PRId64 "\n",
				now, j->job_id, j->epoch, j->num_nodes,
				j->nlaunch, j->nstart, j->nended,
				j->first_launch_ms, j->last_launch_ms,
				j->first_start_ms, j->last_start_ms);
		/* Every node that had it is done with it: forget it. */
		if (j->nended >= j->nlaunch) {
			hmap_del(sim->jobs, simjob_key(j->job_id, j->epoch));
			free(j);
		}
	}
	sim->changed = NULL;
	if (sim->job_log)
		fflush(sim->job_log);
}

void simjob_fini(struct sim *sim)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	simjob_flush(sim);
	while (hmap_next(sim->jobs, &pos, &key, &val))
		free(val);
	hmap_destroy(sim->jobs);
	sim->jobs = NULL;
}
