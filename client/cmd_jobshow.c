/*
 * The `colossus job show` report: the job's state and timing, how its
 * priority was computed, why it waits, its request, where its output
 * goes (patterns expanded per rank), and every attempt with its nodes
 * and GPUs.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/jobpath.h"
#include "client/names.h"
#include "client/output.h"
#include "common/timeparse.h"

/* Most ranks whose output paths and placement are listed. */
#define JOBSHOW_MAX_RANKS 16

/* An empty field prints as "-". */
static const char *jobfmt_dash(const char *s)
{
	return s && *s ? s : "-";
}

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
		jobfmt_kv(t, "stdout pattern", OUTPUT_PLAIN, "%s",
			  s->stdout_path);
	if (s->stderr_path && *s->stderr_path)
		jobfmt_kv(t, "stderr pattern", OUTPUT_PLAIN, "%s",
			  s->stderr_path);
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
	if (s->n_after_not_ok) {
		jobfmt_ids(buf, sizeof(buf), s->after_not_ok,
			   s->n_after_not_ok);
		jobfmt_kv(t, "afternotok", OUTPUT_PLAIN, "%s", buf);
	}
	if (s->array && *s->array)
		jobfmt_kv(t, "array spec", OUTPUT_PLAIN, "%s", s->array);
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

/* "0-3,6" for a GPU index list. */
void cmd_jobfmt_gpus(char *buf, size_t len, const uint32_t *g, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len;) {
		size_t k = i;

		while (k + 1 < n && g[k + 1] == g[k] + 1)
			k++;
		if (k > i)
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%u-%u", i ? "," : "", g[i],
						 g[k]);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%u",
						 i ? "," : "", g[i]);
		i = k + 1;
	}
}

static unsigned jobshow_rpn(const Colossus__JobInfo *ji)
{
	const Colossus__JobSpec *s = ji->spec;

	if (s && s->rank_per_gpu)
		return ji->gpus_per_node ? ji->gpus_per_node : 1;
	return s && s->ranks_per_node ? s->ranks_per_node : 1;
}

/* "1234 = age 10 + size 3 + fairshare 500 + qos 700 + boost 0 - nice 0". */
static void jobshow_priority(struct output_table *t,
			     const Colossus__JobInfo *ji)
{
	const Colossus__PriorityFactors *f = ji->factors;

	if (!f || !cmd_jobfmt_waiting(ji->state)) {
		jobfmt_kv(t, "priority", OUTPUT_PLAIN, "%.4g", ji->priority);
		return;
	}
	jobfmt_kv(t, "priority", OUTPUT_PLAIN,
		  "%.0f = age %.0f + size %.0f + fairshare %.0f + qos %.0f + "
		  "boost %.0f - nice %.0f",
		  ji->priority, f->age, f->size, f->fairshare, f->qos, f->boost,
		  f->nice);
}

/* Output files of the latest attempt, per rank (or the patterns). */
static void jobshow_outputs(const Colossus__JobInfo *ji, bool color)
{
	const Colossus__JobSpec *s = ji->spec;
	const Colossus__Attempt *a =
		ji->n_attempts ? ji->attempts[ji->n_attempts - 1] : NULL;
	unsigned rpn = jobshow_rpn(ji), shown = 0, total;
	static const struct output_col cols[] = {
		{ "RANK", 0, true },
		{ "NODE", 0, false },
		{ "STDOUT", 0, false },
		{ "STDERR", 0, false },
	};
	struct output_table *t;
	bool has_err;

	if (!s)
		return;
	has_err = s->stderr_path && *s->stderr_path;
	if (!a || !a->n_ranks) {
		char p[4200];

		if (jobpath_expand(s->stdout_path, s->workdir, ji->id, 0, 1,
				   "%n", p, sizeof(p)) == 0)
			printf("\nOutput (rank 0, once placed): %s\n", p);
		return;
	}
	total = (unsigned)a->n_ranks * rpn;
	printf("\nOutput of attempt %u:\n", a->epoch);
	t = output_table_create(cols, has_err ? 4 : 3);
	for (size_t i = 0; i < a->n_ranks && shown < JOBSHOW_MAX_RANKS; i++) {
		for (unsigned l = 0; l < rpn && shown < JOBSHOW_MAX_RANKS;
		     l++, shown++) {
			unsigned rank = a->ranks[i]->rank * rpn + l;
			char out[4200], err[4200];

			output_table_row(t);
			output_table_cellf(t, OUTPUT_PLAIN, "%u", rank);
			output_table_cell(t, OUTPUT_PLAIN, a->ranks[i]->node);
			if (jobpath_expand(s->stdout_path, s->workdir, ji->id,
					   rank, a->epoch, a->ranks[i]->node,
					   out, sizeof(out)) < 0)
				snprintf(out, sizeof(out), "(bad pattern %s)",
					 s->stdout_path);
			output_table_cell(t, OUTPUT_PLAIN, out);
			if (!has_err)
				continue;
			if (jobpath_expand(s->stderr_path, s->workdir, ji->id,
					   rank, a->epoch, a->ranks[i]->node,
					   err, sizeof(err)) < 0)
				snprintf(err, sizeof(err), "(bad pattern %s)",
					 s->stderr_path);
			output_table_cell(t, OUTPUT_PLAIN, err);
		}
	}
	output_table_print(t, stdout, true, color);
	output_table_destroy(t);
	if (total > shown)
		printf("... and %u more ranks (colossus job show --json)\n",
		       total - shown);
}

static void jobshow_attempts(const Colossus__JobInfo *ji, bool color)
{
	static const struct output_col cols[] = {
		{ "EPOCH", 0, true },	 { "NODELIST", 0, false },
		{ "STARTED", 0, false }, { "ENDED", 0, false },
		{ "EXIT", 0, true },	 { "REASON", 0, false },
	};
	static const struct output_col rcols[] = {
		{ "EPOCH", 0, true },
		{ "NODE_RANK", 0, true },
		{ "NODE", 0, false },
		{ "GPUS", 0, false },
	};
	struct output_table *t;
	char b1[32], b2[32], g[128];
	unsigned listed = 0, total = 0;

	if (!ji->n_attempts)
		return;
	printf("\nAttempts:\n");
	t = output_table_create(cols, ARRAY_SIZE(cols));
	for (size_t i = 0; i < ji->n_attempts; i++) {
		const Colossus__Attempt *a = ji->attempts[i];
		bool last = i + 1 == ji->n_attempts;

		output_table_row(t);
		output_table_cellf(t, OUTPUT_PLAIN, "%u", a->epoch);
		output_table_cell(t, OUTPUT_PLAIN, jobfmt_dash(a->nodelist));
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(a->start_time, b1, sizeof(b1)));
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(a->end_time, b2, sizeof(b2)));
		/* Only a finished job's last attempt has its exit code:
		 * earlier ones were stopped by the controller. */
		if (a->end_time && last && names_job_state_final(ji->state))
			output_table_cellf(t, OUTPUT_PLAIN, "%d", a->exit_code);
		else
			output_table_cell(t, OUTPUT_PLAIN, "-");
		output_table_cell(t, OUTPUT_PLAIN,
				  last && !a->end_time
					  ? "(current)"
					  : jobfmt_dash(a->end_reason));
	}
	output_table_print(t, stdout, true, color);
	output_table_destroy(t);

	printf("\nPlacement:\n");
	t = output_table_create(rcols, ARRAY_SIZE(rcols));
	for (size_t i = 0; i < ji->n_attempts; i++) {
		const Colossus__Attempt *a = ji->attempts[i];

		for (size_t k = 0; k < a->n_ranks; k++, total++) {
			if (listed >= JOBSHOW_MAX_RANKS * 4)
				continue;
			listed++;
			cmd_jobfmt_gpus(g, sizeof(g), a->ranks[k]->gpus,
					a->ranks[k]->n_gpus);
			output_table_row(t);
			output_table_cellf(t, OUTPUT_PLAIN, "%u", a->epoch);
			output_table_cellf(t, OUTPUT_PLAIN, "%u",
					   a->ranks[k]->rank);
			output_table_cell(t, OUTPUT_PLAIN, a->ranks[k]->node);
			output_table_cell(t, OUTPUT_PLAIN, g);
		}
	}
	output_table_print(t, stdout, true, color);
	output_table_destroy(t);
	if (total > listed)
		printf("... and %u more (colossus job show --json lists every "
		       "node and GPU UUID)\n",
		       total - listed);
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
	jobfmt_kv(t, "state", cmd_jobfmt_state_color(ji->state), "%s",
		  names_job_state(ji->state));
	if (ji->reason && *ji->reason)
		jobfmt_kv(t, "reason", OUTPUT_PLAIN, "%s", ji->reason);
	if (ji->why && *ji->why && cmd_jobfmt_waiting(ji->state))
		jobfmt_kv(t, "why", OUTPUT_PLAIN, "%s", ji->why);
	if (ji->queue_position && cmd_jobfmt_waiting(ji->state))
		jobfmt_kv(t, "queue position", OUTPUT_PLAIN, "%u",
			  ji->queue_position);
	if (ji->expected_start && cmd_jobfmt_waiting(ji->state))
		jobfmt_kv(t, "expected start", OUTPUT_PLAIN, "%s",
			  output_time(ji->expected_start, b1, sizeof(b1)));
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
		  output_duration(cmd_jobfmt_elapsed(ji, now), b2, sizeof(b2)));
	jobfmt_kv(t, "nodelist", OUTPUT_PLAIN, "%s", jobfmt_dash(ji->nodelist));
	jobfmt_kv(t, "epoch", OUTPUT_PLAIN, "%u (restarts %u)", ji->epoch,
		  ji->restarts);
	jobshow_priority(t, ji);
	if (ji->array_job_id)
		jobfmt_kv(t, "array", OUTPUT_PLAIN,
			  "task %u of array job %" PRIu64, ji->array_task,
			  ji->array_job_id);
	if (ji->reservation && *ji->reservation)
		jobfmt_kv(t, "reservation", OUTPUT_PLAIN, "%s",
			  ji->reservation);
	if (ji->spec)
		jobfmt_show_spec(t, ji->spec);
	output_table_print(t, stdout, false, color);
	output_table_destroy(t);
	jobshow_outputs(ji, color);
	jobshow_attempts(ji, color);
}
