/*
 * How a job looks: its --json object (field names are a stable interface,
 * listed in docs/cli.md) and its columns in `colossus jobs`.  The `job
 * show` report is in cmd_jobshow.c.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "common/timeparse.h"
#include "common/xalloc.h"

enum {
	JC_ID,
	JC_NAME,
	JC_USER,
	JC_ACCOUNT,
	JC_QOS,
	JC_STATE,
	JC_NODES,
	JC_GPUS,
	JC_GPUS_PER_NODE,
	JC_TIME,
	JC_TIME_LIMIT,
	JC_SUBMIT,
	JC_START,
	JC_END,
	JC_NODELIST,
	JC_REASON,
	JC_NODELIST_REASON,
	JC_PRIORITY,
	JC_EPOCH,
	JC_RESTARTS,
	JC_EXIT_CODE,
	JC_EXPECTED_START,
	JC_QUEUE_POS,
	JC_ARRAY,
	JC_RESERVATION,
};

/* Indexed by the JC_ constants: keep the two in the same order. */
const struct format_col cmd_jobs_cols[] = {
	{ "id", "ID", 0, true, "job id" },
	{ "name", "NAME", 24, false, "job name" },
	{ "user", "USER", 16, false, "owner" },
	{ "account", "ACCOUNT", 16, false, "account" },
	{ "qos", "QOS", 12, false, "quality of service" },
	{ "state", "STATE", 0, false, "pending, running, completed, ..." },
	{ "nodes", "NODES", 0, true, "nodes in the gang" },
	{ "gpus", "GPUS", 0, true, "total GPUs" },
	{ "gpus_per_node", "GPUS/NODE", 0, true, "GPUs on each node" },
	{ "time", "TIME", 0, true, "time used (running or last run)" },
	{ "time_limit", "TIME_LIMIT", 0, true, "time limit" },
	{ "submit_time", "SUBMITTED", 0, false, "when it was submitted" },
	{ "start_time", "STARTED", 0, false, "when it last started" },
	{ "end_time", "ENDED", 0, false, "when it ended" },
	{ "nodelist", "NODELIST", 0, false, "nodes of its allocation" },
	{ "reason", "REASON", 0, false, "why it waits, or why it ended" },
	{ "nodelist_reason", "NODELIST(REASON)", 0, false,
	  "nodes, or (reason) while waiting" },
	{ "priority", "PRIORITY", 0, true, "scheduling priority" },
	{ "epoch", "EPOCH", 0, true, "allocation epoch (grows per requeue)" },
	{ "restarts", "RESTARTS", 0, true, "requeues so far" },
	{ "exit_code", "EXIT", 0, true, "exit code" },
	{ "expected_start", "EXPECTED_START", 0, false,
	  "when the backfill plan expects a pending job to start" },
	{ "queue_pos", "POS", 0, true,
	  "place among pending jobs (1 = next), - if none" },
	{ "array", "ARRAY", 0, false,
	  "array job and task (4711_3), - if none" },
	{ "reservation", "RESERVATION", 0, false, "reservation it runs in" },
	FORMAT_END,
};

const char cmd_jobs_default_cols[] =
	"id,name,user,state,nodes,gpus,time,nodelist_reason";

enum output_color cmd_jobfmt_state_color(int st)
{
	switch (st) {
	case COLOSSUS__JOB_STATE__JOB_STATE_STARTING:
	case COLOSSUS__JOB_STATE__JOB_STATE_RUNNING:
	case COLOSSUS__JOB_STATE__JOB_STATE_COMPLETING:
		return OUTPUT_GREEN;
	case COLOSSUS__JOB_STATE__JOB_STATE_PENDING:
	case COLOSSUS__JOB_STATE__JOB_STATE_HELD:
		return OUTPUT_YELLOW;
	case COLOSSUS__JOB_STATE__JOB_STATE_FAILED:
	case COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT:
		return OUTPUT_RED;
	case COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED:
		return OUTPUT_DIM;
	default:
		return OUTPUT_PLAIN;
	}
}

bool cmd_jobfmt_waiting(int st)
{
	return st == COLOSSUS__JOB_STATE__JOB_STATE_PENDING ||
	       st == COLOSSUS__JOB_STATE__JOB_STATE_HELD;
}

/* Seconds of the current or last run; 0 if it never started. */
int64_t cmd_jobfmt_elapsed(const Colossus__JobInfo *ji, int64_t now)
{
	/* A requeued job keeps its last start time while it waits again. */
	if (ji->start_time <= 0 || cmd_jobfmt_waiting(ji->state))
		return 0;
	return (ji->end_time > 0 ? ji->end_time : now) - ji->start_time;
}

static const char *jobfmt_str(const char *s)
{
	return s ? s : "";
}

static void jobfmt_json_strv(struct json *j, const char *key, char **v,
			     size_t n)
{
	json_key(j, key);
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		json_string(j, v[i]);
	json_end_array(j);
}

static void jobfmt_json_idv(struct json *j, const char *key, const uint64_t *v,
			    size_t n)
{
	json_key(j, key);
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		json_uint(j, v[i]);
	json_end_array(j);
}

static void jobfmt_json_spec(struct json *j, const Colossus__JobSpec *s)
{
	json_key(j, "spec");
	json_begin_object(j);
	json_kv_str(j, "name", s->name);
	json_kv_str(j, "account", s->account);
	json_kv_str(j, "qos", s->qos);
	json_kv_uint(j, "nodes", s->nodes);
	json_kv_uint(j, "gpus_per_node", s->gpus_per_node);
	json_kv_uint(j, "gpus", s->gpus);
	json_kv_uint(j, "ranks_per_node", s->ranks_per_node);
	json_kv_bool(j, "rank_per_gpu", s->rank_per_gpu);
	json_kv_str(j, "gpu_model", s->gpu_model);
	json_kv_str(j, "within", names_level(s->within));
	json_kv_uint(j, "within_wait_sec", s->within_wait_sec);
	json_kv_uint(j, "segment", s->segment);
	json_kv_uint(j, "time_limit_sec", s->time_limit_sec);
	jobfmt_json_strv(j, "argv", s->argv, s->n_argv);
	jobfmt_json_strv(j, "env", s->env, s->n_env);
	json_kv_str(j, "workdir", s->workdir);
	json_kv_str(j, "stdout_path", s->stdout_path);
	json_kv_str(j, "stderr_path", s->stderr_path);
	json_kv_uint(j, "max_restarts", s->max_restarts);
	json_kv_bool(j, "hold", s->hold);
	jobfmt_json_idv(j, "after", s->after, s->n_after);
	jobfmt_json_idv(j, "after_ok", s->after_ok, s->n_after_ok);
	jobfmt_json_idv(j, "after_not_ok", s->after_not_ok, s->n_after_not_ok);
	jobfmt_json_strv(j, "exclude_nodes", s->exclude_nodes,
			 s->n_exclude_nodes);
	jobfmt_json_strv(j, "features", s->features, s->n_features);
	json_kv_bool(j, "requeue_on_failure", s->requeue_on_failure);
	json_kv_str(j, "array", s->array);
	json_kv_uint(j, "memory_mib", s->memory_mib);
	json_kv_uint(j, "cpus_per_node", s->cpus_per_node);
	json_kv_uint(j, "progress_timeout_sec", s->progress_timeout_sec);
	json_kv_int(j, "nice", s->nice);
	json_kv_str(j, "script", s->script);
	json_kv_str(j, "reservation", s->reservation);
	json_end_object(j);
}

void cmd_jobfmt_json_attempt(struct json *j, const Colossus__Attempt *a)
{
	json_begin_object(j);
	json_kv_uint(j, "epoch", a->epoch);
	json_kv_str(j, "nodelist", a->nodelist);
	json_kv_int(j, "start_time", a->start_time);
	json_kv_int(j, "end_time", a->end_time);
	json_kv_str(j, "end_reason", a->end_reason);
	json_kv_int(j, "exit_code", a->exit_code);
	json_key(j, "ranks");
	json_begin_array(j);
	for (size_t i = 0; i < a->n_ranks; i++) {
		const Colossus__RankPlacement *r = a->ranks[i];

		json_begin_object(j);
		json_kv_uint(j, "rank", r->rank);
		json_kv_str(j, "node", r->node);
		json_key(j, "gpus");
		json_begin_array(j);
		for (size_t g = 0; g < r->n_gpus; g++)
			json_uint(j, r->gpus[g]);
		json_end_array(j);
		jobfmt_json_strv(j, "gpu_uuids", r->gpu_uuids, r->n_gpu_uuids);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

void cmd_jobfmt_json(struct json *j, const Colossus__JobInfo *ji, bool full)
{
	json_begin_object(j);
	json_kv_uint(j, "id", ji->id);
	json_kv_str(j, "name", ji->name);
	json_kv_str(j, "user", ji->user);
	json_kv_str(j, "account", ji->account);
	json_kv_str(j, "qos", ji->qos);
	json_kv_str(j, "state", names_job_state(ji->state));
	json_kv_str(j, "reason", ji->reason);
	json_kv_uint(j, "nodes", ji->nodes);
	json_kv_uint(j, "gpus_per_node", ji->gpus_per_node);
	json_kv_uint(j, "gpus", ji->gpus);
	json_kv_uint(j, "time_limit_sec", ji->time_limit_sec);
	json_kv_int(j, "submit_time", ji->submit_time);
	json_kv_int(j, "start_time", ji->start_time);
	json_kv_int(j, "end_time", ji->end_time);
	json_kv_int(j, "exit_code", ji->exit_code);
	json_kv_uint(j, "epoch", ji->epoch);
	json_kv_uint(j, "restarts", ji->restarts);
	json_kv_str(j, "nodelist", ji->nodelist);
	json_key(j, "priority");
	json_double(j, ji->priority);
	/* A job that left the queue may still carry its last place. */
	json_kv_int(j, "expected_start",
		    cmd_jobfmt_waiting(ji->state) ? ji->expected_start : 0);
	json_kv_uint(j, "queue_position",
		     cmd_jobfmt_waiting(ji->state) ? ji->queue_position : 0);
	json_kv_uint(j, "array_job_id", ji->array_job_id);
	json_kv_uint(j, "array_task", ji->array_task);
	json_kv_str(j, "reservation", ji->reservation);
	if (full) {
		const Colossus__PriorityFactors *f = ji->factors;

		json_kv_str(j, "why", ji->why);
		json_key(j, "factors");
		json_begin_object(j);
		json_key(j, "age");
		json_double(j, f ? f->age : 0);
		json_key(j, "size");
		json_double(j, f ? f->size : 0);
		json_key(j, "fairshare");
		json_double(j, f ? f->fairshare : 0);
		json_key(j, "qos");
		json_double(j, f ? f->qos : 0);
		json_key(j, "boost");
		json_double(j, f ? f->boost : 0);
		json_key(j, "nice");
		json_double(j, f ? f->nice : 0);
		json_end_object(j);
		if (ji->spec)
			jobfmt_json_spec(j, ji->spec);
		json_key(j, "attempts");
		json_begin_array(j);
		for (size_t i = 0; i < ji->n_attempts; i++)
			cmd_jobfmt_json_attempt(j, ji->attempts[i]);
		json_end_array(j);
	}
	json_end_object(j);
}

static void jobfmt_cell(struct output_table *t, int col,
			const Colossus__JobInfo *ji, int64_t now)
{
	char buf[64];

	switch (col) {
	case JC_ID:
		output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64, ji->id);
		break;
	case JC_NAME:
		output_table_cell(t, OUTPUT_PLAIN, ji->name);
		break;
	case JC_USER:
		output_table_cell(t, OUTPUT_PLAIN, ji->user);
		break;
	case JC_ACCOUNT:
		output_table_cell(t, OUTPUT_PLAIN, ji->account);
		break;
	case JC_QOS:
		output_table_cell(t, OUTPUT_PLAIN, ji->qos);
		break;
	case JC_STATE:
		output_table_cell(t, cmd_jobfmt_state_color(ji->state),
				  names_job_state(ji->state));
		break;
	case JC_NODES:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->nodes);
		break;
	case JC_GPUS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->gpus);
		break;
	case JC_GPUS_PER_NODE:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->gpus_per_node);
		break;
	case JC_TIME:
		output_table_cell(t, OUTPUT_PLAIN,
				  output_duration(cmd_jobfmt_elapsed(ji, now),
						  buf, sizeof(buf)));
		break;
	case JC_TIME_LIMIT:
		output_table_cell(
			t, OUTPUT_PLAIN,
			timeparse_format(ji->time_limit_sec, buf, sizeof(buf)));
		break;
	case JC_SUBMIT:
	case JC_START:
	case JC_END:
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(col == JC_SUBMIT ? ji->submit_time
					      : col == JC_START ? ji->start_time
								: ji->end_time,
					      buf, sizeof(buf)));
		break;
	case JC_NODELIST:
		output_table_cell(t, OUTPUT_PLAIN, ji->nodelist);
		break;
	case JC_REASON:
		output_table_cell(t, OUTPUT_PLAIN, ji->reason);
		break;
	case JC_NODELIST_REASON:
		if (cmd_jobfmt_waiting(ji->state) || !ji->nodelist ||
		    !*ji->nodelist)
			output_table_cellf(t, OUTPUT_PLAIN, "(%s)",
					   jobfmt_str(ji->reason));
		else
			output_table_cell(t, OUTPUT_PLAIN, ji->nodelist);
		break;
	case JC_PRIORITY:
		output_table_cellf(t, OUTPUT_PLAIN, "%.4g", ji->priority);
		break;
	case JC_EPOCH:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->epoch);
		break;
	case JC_RESTARTS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->restarts);
		break;
	case JC_EXIT_CODE:
		if (names_job_state_final(ji->state))
			output_table_cellf(t, OUTPUT_PLAIN, "%d",
					   ji->exit_code);
		else
			output_table_cell(t, OUTPUT_PLAIN, "-");
		break;
	case JC_EXPECTED_START:
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(cmd_jobfmt_waiting(ji->state)
						      ? ji->expected_start
						      : 0,
					      buf, sizeof(buf)));
		break;
	case JC_QUEUE_POS:
		/* Only a waiting job has a place in the queue. */
		if (ji->queue_position && cmd_jobfmt_waiting(ji->state))
			output_table_cellf(t, OUTPUT_PLAIN, "%u",
					   ji->queue_position);
		else
			output_table_cell(t, OUTPUT_PLAIN, "-");
		break;
	case JC_ARRAY:
		if (ji->array_job_id)
			output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64 "_%u",
					   ji->array_job_id, ji->array_task);
		else
			output_table_cell(t, OUTPUT_PLAIN, "-");
		break;
	case JC_RESERVATION:
		output_table_cell(t, OUTPUT_PLAIN,
				  ji->reservation && *ji->reservation
					  ? ji->reservation
					  : "-");
		break;
	default:
		output_table_cell(t, OUTPUT_PLAIN, "?");
	}
}

void cmd_jobfmt_row(struct output_table *t, const struct format_sel *sel,
		    const Colossus__JobInfo *ji, int64_t now)
{
	output_table_row(t);
	for (size_t i = 0; i < sel->n; i++)
		jobfmt_cell(t, (int)sel->idx[i], ji, now);
}
