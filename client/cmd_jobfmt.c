/*
 * How a job looks: its --json object (field names are a stable interface,
 * listed in docs/cli.md), its columns in `colossus jobs`, and the
 * `colossus job show` report.
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
	FORMAT_END,
};

const char cmd_jobs_default_cols[] =
	"id,name,user,state,nodes,gpus,time,nodelist_reason";

static enum output_color jobfmt_state_color(int st)
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

static bool jobfmt_waiting(int st)
{
	return st == COLOSSUS__JOB_STATE__JOB_STATE_PENDING ||
	       st == COLOSSUS__JOB_STATE__JOB_STATE_HELD;
}

/* Seconds of the current or last run; 0 if it never started. */
static int64_t jobfmt_elapsed(const Colossus__JobInfo *ji, int64_t now)
{
	/* A requeued job keeps its last start time while it waits again. */
	if (ji->start_time <= 0 || jobfmt_waiting(ji->state))
		return 0;
	return (ji->end_time > 0 ? ji->end_time : now) - ji->start_time;
}

static const char *jobfmt_str(const char *s)
{
	return s ? s : "";
}

/* For `job show`: an empty field prints as "-". */
static const char *jobfmt_dash(const char *s)
{
	return s && *s ? s : "-";
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
	json_end_object(j);
}

static void jobfmt_json_attempt(struct json *j, const Colossus__Attempt *a)
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
	if (full) {
		if (ji->spec)
			jobfmt_json_spec(j, ji->spec);
		json_key(j, "attempts");
		json_begin_array(j);
		for (size_t i = 0; i < ji->n_attempts; i++)
			jobfmt_json_attempt(j, ji->attempts[i]);
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
		output_table_cell(t, jobfmt_state_color(ji->state),
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
				  output_duration(jobfmt_elapsed(ji, now), buf,
						  sizeof(buf)));
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
		if (jobfmt_waiting(ji->state) || !ji->nodelist ||
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

/* ---- job show ------------------------------------------------------------ */

/* Quote one word for display the way a shell would read it back. */
static void jobfmt_shell_word(char *out, size_t len, size_t *used,
			      const char *w)
{
	bool plain = *w != '\0';

	for (const char *p = w; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz"
			    "0123456789-_./=:,+@%",
			    *p))
			plain = false;
	if (*used && *used + 1 < len)
		out[(*used)++] = ' ';
	if (plain) {
		*used += (size_t)snprintf(out + *used, len - *used, "%s", w);
	} else {
		if (*used + 1 < len)
			out[(*used)++] = '\'';
		for (const char *p = w; *p && *used + 5 < len; p++) {
			if (*p == '\'') {
				memcpy(out + *used, "'\\''", 4);
				*used += 4;
			} else {
				out[(*used)++] = *p;
			}
		}
		if (*used + 1 < len)
			out[(*used)++] = '\'';
	}
	if (*used >= len)
		*used = len - 1;
	out[*used] = '\0';
}

static void jobfmt_kv(struct output_table *t, const char *key,
		      enum output_color color, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static void jobfmt_kv(struct output_table *t, const char *key,
		      enum output_color color, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	output_table_row(t);
	output_table_cellf(t, OUTPUT_PLAIN, "%s:", key);
	output_table_cell(t, color, buf);
}

static void jobfmt_ids(char *buf, size_t len, const uint64_t *v, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%" PRIu64,
					 i ? "," : "", v[i]);
}

static void jobfmt_strs(char *buf, size_t len, char **v, size_t n,
			const char *sep)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? sep : "", v[i]);
}

static void jobfmt_show_spec(struct output_table *t, const Colossus__JobSpec *s)
{
	char buf[2048], b2[64];
	size_t used = 0;

	if (s->n_argv) {
		buf[0] = '\0';
		for (size_t i = 0; i < s->n_argv; i++)
			jobfmt_shell_word(buf, sizeof(buf), &used, s->argv[i]);
		jobfmt_kv(t, "command", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->script && *s->script) {
		size_t lines = 0;

		for (const char *p = s->script; *p; p++)
			lines += *p == '\n';
		jobfmt_kv(t, "script", OUTPUT_PLAIN,
			  "batch script, %zu bytes, %zu lines (--json shows "
			  "it)",
			  strlen(s->script), lines);
	}
	jobfmt_kv(t, "workdir", OUTPUT_PLAIN, "%s", jobfmt_dash(s->workdir));
	if (s->stdout_path && *s->stdout_path)
		jobfmt_kv(t, "stdout", OUTPUT_PLAIN, "%s", s->stdout_path);
	if (s->stderr_path && *s->stderr_path)
		jobfmt_kv(t, "stderr", OUTPUT_PLAIN, "%s", s->stderr_path);
	if (s->rank_per_gpu)
		jobfmt_kv(t, "ranks", OUTPUT_PLAIN, "one per GPU");
	else
		jobfmt_kv(t, "ranks", OUTPUT_PLAIN, "%u per node",
			  s->ranks_per_node ? s->ranks_per_node : 1);
	if (s->gpu_model && *s->gpu_model)
		jobfmt_kv(t, "gpu model", OUTPUT_PLAIN, "%s", s->gpu_model);
	if (s->within)
		jobfmt_kv(t, "within", OUTPUT_PLAIN, "%s%s%s",
			  names_level(s->within),
			  s->within_wait_sec ? " for " : "",
			  s->within_wait_sec
				  ? timeparse_format_duration(
					    s->within_wait_sec, b2, sizeof(b2))
				  : "");
	if (s->segment)
		jobfmt_kv(t, "segment", OUTPUT_PLAIN, "%u nodes per rack",
			  s->segment);
	if (s->n_env) {
		jobfmt_strs(buf, sizeof(buf), s->env, s->n_env, " ");
		jobfmt_kv(t, "environment", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->n_after) {
		jobfmt_ids(buf, sizeof(buf), s->after, s->n_after);
		jobfmt_kv(t, "after", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->n_after_ok) {
		jobfmt_ids(buf, sizeof(buf), s->after_ok, s->n_after_ok);
		jobfmt_kv(t, "afterok", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->n_exclude_nodes) {
		jobfmt_strs(buf, sizeof(buf), s->exclude_nodes,
			    s->n_exclude_nodes, ",");
		jobfmt_kv(t, "exclude", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->n_features) {
		jobfmt_strs(buf, sizeof(buf), s->features, s->n_features, ",");
		jobfmt_kv(t, "features", OUTPUT_PLAIN, "%s", buf);
	}
	jobfmt_kv(t, "restarts allowed", OUTPUT_PLAIN, "%u%s", s->max_restarts,
		  s->requeue_on_failure ? " (also on rank failure)" : "");
	if (s->memory_mib)
		jobfmt_kv(t, "memory", OUTPUT_PLAIN, "%" PRIu64 " MiB per node",
			  s->memory_mib);
	if (s->cpus_per_node)
		jobfmt_kv(t, "cpus", OUTPUT_PLAIN, "%u per node",
			  s->cpus_per_node);
	if (s->progress_timeout_sec)
		jobfmt_kv(t, "progress timeout", OUTPUT_PLAIN, "%s",
			  timeparse_format_duration(s->progress_timeout_sec, b2,
						    sizeof(b2)));
	if (s->nice)
		jobfmt_kv(t, "nice", OUTPUT_PLAIN, "%d", s->nice);
}

static void jobfmt_show_attempts(const Colossus__JobInfo *ji, bool color)
{
	static const struct output_col cols[] = {
		{ "EPOCH", 0, true },	 { "NODELIST", 0, false },
		{ "STARTED", 0, false }, { "ENDED", 0, false },
		{ "EXIT", 0, true },	 { "REASON", 0, false },
	};
	struct output_table *t;
	char b1[32], b2[32];

	if (!ji->n_attempts)
		return;
	printf("\nAttempts:\n");
	t = output_table_create(cols, ARRAY_SIZE(cols));
	for (size_t i = 0; i < ji->n_attempts; i++) {
		const Colossus__Attempt *a = ji->attempts[i];

		output_table_row(t);
		output_table_cellf(t, OUTPUT_PLAIN, "%u", a->epoch);
		output_table_cell(t, OUTPUT_PLAIN, a->nodelist);
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(a->start_time, b1, sizeof(b1)));
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(a->end_time, b2, sizeof(b2)));
		output_table_cellf(t, OUTPUT_PLAIN, "%d", a->exit_code);
		output_table_cell(t, OUTPUT_PLAIN, a->end_reason);
	}
	output_table_print(t, stdout, true, color);
	output_table_destroy(t);
}

void cmd_jobfmt_show(const Colossus__JobInfo *ji, bool color, int64_t now)
{
	static const struct output_col cols[] = {
		{ "", 0, false },
		{ "", 0, false },
	};
	struct output_table *t = output_table_create(cols, 2);
	char b1[64], b2[64];

	jobfmt_kv(t, "id", OUTPUT_PLAIN, "%" PRIu64, ji->id);
	jobfmt_kv(t, "name", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->name));
	jobfmt_kv(t, "user", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->user));
	jobfmt_kv(t, "account", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->account));
	jobfmt_kv(t, "qos", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->qos));
	jobfmt_kv(t, "state", jobfmt_state_color(ji->state), "%s",
		  names_job_state(ji->state));
	if (ji->reason && *ji->reason)
		jobfmt_kv(t, "reason", OUTPUT_PLAIN, "%s", ji->reason);
	if (names_job_state_final(ji->state))
		jobfmt_kv(t, "exit code", OUTPUT_PLAIN, "%d", ji->exit_code);
	jobfmt_kv(t, "size", OUTPUT_PLAIN, "%u node%s x %u GPUs = %u GPUs",
		  ji->nodes, ji->nodes == 1 ? "" : "s", ji->gpus_per_node,
		  ji->gpus);
	jobfmt_kv(t, "time limit", OUTPUT_PLAIN, "%s",
		  timeparse_format(ji->time_limit_sec, b1, sizeof(b1)));
	jobfmt_kv(t, "submitted", OUTPUT_PLAIN, "%s",
		  output_time(ji->submit_time, b1, sizeof(b1)));
	jobfmt_kv(t, "started", OUTPUT_PLAIN, "%s",
		  output_time(ji->start_time, b1, sizeof(b1)));
	jobfmt_kv(t, "ended", OUTPUT_PLAIN, "%s",
		  output_time(ji->end_time, b1, sizeof(b1)));
	jobfmt_kv(t, "elapsed", OUTPUT_PLAIN, "%s",
		  output_duration(jobfmt_elapsed(ji, now), b2, sizeof(b2)));
	jobfmt_kv(t, "nodelist", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->nodelist));
	jobfmt_kv(t, "epoch", OUTPUT_PLAIN, "%u (restarts %u)", ji->epoch,
		  ji->restarts);
	jobfmt_kv(t, "priority", OUTPUT_PLAIN, "%.4g", ji->priority);
	if (ji->spec)
		jobfmt_show_spec(t, ji->spec);
	output_table_print(t, stdout, false, color);
	output_table_destroy(t);
	jobfmt_show_attempts(ji, color);
}
