/*
 * Accounting: colossus history (finished jobs, every attempt with its
 * nodes and GPUs by UUID) and colossus report (GPU-hours by account and
 * user over a period, with the share lost to failed attempts).  Both are
 * answered from PostgreSQL views (sql/0003_accounting.sql) by the
 * controller; users see only their own.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "client/timeexpr.h"
#include "common/xalloc.h"

/* ---- history ------------------------------------------------------------ */

enum {
	HC_ID,
	HC_NAME,
	HC_USER,
	HC_ACCOUNT,
	HC_QOS,
	HC_STATE,
	HC_NODES,
	HC_GPUS,
	HC_SUBMIT,
	HC_START,
	HC_END,
	HC_ELAPSED,
	HC_ATTEMPTS,
	HC_GPU_HOURS,
	HC_EXIT,
	HC_REASON,
	HC_NODELIST,
};

/* Indexed by the HC_ constants. */
const struct format_col cmd_history_cols[] = {
	{ "id", "ID", 0, true, "job id" },
	{ "name", "NAME", 24, false, "job name" },
	{ "user", "USER", 16, false, "owner" },
	{ "account", "ACCOUNT", 16, false, "account" },
	{ "qos", "QOS", 12, false, "quality of service" },
	{ "state", "STATE", 0, false, "completed, failed, cancelled, timeout" },
	{ "nodes", "NODES", 0, true, "nodes in the gang" },
	{ "gpus", "GPUS", 0, true, "total GPUs" },
	{ "submit_time", "SUBMITTED", 0, false, "when it was submitted" },
	{ "start_time", "STARTED", 0, false, "when it last started" },
	{ "end_time", "ENDED", 0, false, "when it ended" },
	{ "elapsed", "ELAPSED", 0, true, "last start to end" },
	{ "attempts", "ATTEMPTS", 0, true,
	  "allocations it had (1 + requeues)" },
	{ "gpu_hours", "GPU_HOURS", 0, true, "GPU-hours of every attempt" },
	{ "exit_code", "EXIT", 0, true, "exit code" },
	{ "reason", "REASON", 40, false, "why it ended" },
	{ "nodelist", "NODELIST", 0, false, "nodes of its last attempt" },
	FORMAT_END,
};

const char cmd_history_default_cols[] =
	"id,name,user,account,state,nodes,gpus,end_time,elapsed,attempts,"
	"exit_code,nodelist";

enum {
	HO_USER = 1,
	HO_ME,
	HO_ACCOUNT,
	HO_STATE,
	HO_SINCE,
	HO_UNTIL,
	HO_LIMIT,
	HO_FORMAT,
	HO_ATTEMPTS,
};

const struct opts_def cmd_history_defs[] = {
	{ "user", 'u', OPTS_VALUE, HO_USER, "USER",
	  "only USER's jobs (users see only their own anyway)" },
	{ "me", 0, OPTS_FLAG, HO_ME, NULL, "only your jobs" },
	{ "account", 'A', OPTS_VALUE, HO_ACCOUNT, "ACCOUNT",
	  "only this account's jobs" },
	{ "state", 't', OPTS_VALUE, HO_STATE, "STATES",
	  "only these end states: completed,failed,cancelled,timeout" },
	{ "since", 'S', OPTS_VALUE, HO_SINCE, "TIME",
	  "jobs that ended at or after TIME (now-1d, 2026-12-01T08:00)" },
	{ "until", 'E', OPTS_VALUE, HO_UNTIL, "TIME",
	  "jobs that ended before TIME (default now)" },
	{ "limit", 'n', OPTS_VALUE, HO_LIMIT, "N",
	  "at most N jobs, the newest (default 100, at most 10000)" },
	{ "format", 'o', OPTS_VALUE, HO_FORMAT, "COLUMNS",
	  "columns to print (see below)" },
	{ "attempts", 'l', OPTS_FLAG, HO_ATTEMPTS, NULL,
	  "list every attempt with its nodes and GPU UUIDs" },
	OPTS_END,
};

struct history_args {
	const char *user, *account, *since, *until, *format;
	bool me, attempts;
	uint32_t limit;
	Colossus__JobState *states;
	size_t nstates;
};

static int history_opt(void *arg, int id, const char *name, const char *val,
		       struct err *e)
{
	struct history_args *a = arg;

	(void)name;
	switch (id) {
	case HO_USER:
		a->user = val;
		return 0;
	case HO_ME:
		a->me = true;
		return 0;
	case HO_ACCOUNT:
		a->account = val;
		return 0;
	case HO_STATE:
		free(a->states);
		a->states = NULL;
		if (names_job_states_parse(val, &a->states, &a->nstates, e) < 0)
			return -1;
		for (size_t i = 0; i < a->nstates; i++)
			if (!names_job_state_final(a->states[i]))
				return err_set(e,
					       "history holds finished jobs "
					       "only (completed, failed, "
					       "cancelled, timeout), not %s",
					       names_job_state(a->states[i]));
		return 0;
	case HO_SINCE:
		a->since = val;
		return 0;
	case HO_UNTIL:
		a->until = val;
		return 0;
	case HO_LIMIT:
		return opts_parse_u32(val, 1, 10000, &a->limit, e);
	case HO_FORMAT:
		a->format = val;
		return 0;
	case HO_ATTEMPTS:
		a->attempts = true;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

static double history_gpu_hours(const Colossus__JobInfo *ji)
{
	double h = 0;

	for (size_t i = 0; i < ji->n_attempts; i++) {
		const Colossus__Attempt *a = ji->attempts[i];
		size_t gpus = 0;

		for (size_t k = 0; k < a->n_ranks; k++)
			gpus += a->ranks[k]->n_gpus;
		if (a->end_time > a->start_time)
			h += (double)gpus *
			     (double)(a->end_time - a->start_time) / 3600.0;
	}
	return h;
}

static void history_cell(struct output_table *t, int col,
			 const Colossus__JobInfo *ji)
{
	char buf[64];

	switch (col) {
	case HC_ID:
		output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64, ji->id);
		break;
	case HC_NAME:
		output_table_cell(t, OUTPUT_PLAIN, ji->name);
		break;
	case HC_USER:
		output_table_cell(t, OUTPUT_PLAIN, ji->user);
		break;
	case HC_ACCOUNT:
		output_table_cell(t, OUTPUT_PLAIN, ji->account);
		break;
	case HC_QOS:
		output_table_cell(t, OUTPUT_PLAIN, ji->qos);
		break;
	case HC_STATE:
		output_table_cell(t, cmd_jobfmt_state_color(ji->state),
				  names_job_state(ji->state));
		break;
	case HC_NODES:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->nodes);
		break;
	case HC_GPUS:
		output_table_cellf(t, OUTPUT_PLAIN, "%u", ji->gpus);
		break;
	case HC_SUBMIT:
		output_table_cell(
			t, OUTPUT_PLAIN,
			output_time(ji->submit_time, buf, sizeof(buf)));
		break;
	case HC_START:
		output_table_cell(
			t, OUTPUT_PLAIN,
			output_time(ji->start_time, buf, sizeof(buf)));
		break;
	case HC_END:
		output_table_cell(t, OUTPUT_PLAIN,
				  output_time(ji->end_time, buf, sizeof(buf)));
		break;
	case HC_ELAPSED:
		output_table_cell(
			t, OUTPUT_PLAIN,
			output_duration(ji->start_time > 0 &&
							ji->end_time >
								ji->start_time
						? ji->end_time - ji->start_time
						: 0,
					buf, sizeof(buf)));
		break;
	case HC_ATTEMPTS:
		output_table_cellf(t, OUTPUT_PLAIN, "%zu", ji->n_attempts);
		break;
	case HC_GPU_HOURS:
		output_table_cellf(t, OUTPUT_PLAIN, "%.2f",
				   history_gpu_hours(ji));
		break;
	case HC_EXIT:
		output_table_cellf(t, OUTPUT_PLAIN, "%d", ji->exit_code);
		break;
	case HC_REASON:
		output_table_cell(t, OUTPUT_PLAIN, ji->reason);
		break;
	case HC_NODELIST:
		output_table_cell(t, OUTPUT_PLAIN,
				  ji->nodelist && *ji->nodelist ? ji->nodelist
								: "-");
		break;
	default:
		output_table_cell(t, OUTPUT_PLAIN, "?");
	}
}

/* Every attempt of a job: nodes, GPUs by index and UUID, outcome. */
static void history_attempts(const Colossus__JobInfo *ji)
{
	char b1[32], b2[32], g[128];

	if (!ji->n_attempts) {
		printf("    never started\n");
		return;
	}
	for (size_t i = 0; i < ji->n_attempts; i++) {
		const Colossus__Attempt *a = ji->attempts[i];
		bool last = i + 1 == ji->n_attempts;

		printf("    attempt %u on %s, %s to %s: %s\n", a->epoch,
		       a->nodelist && *a->nodelist ? a->nodelist : "-",
		       output_time(a->start_time, b1, sizeof(b1)),
		       output_time(a->end_time, b2, sizeof(b2)),
		       a->end_reason && *a->end_reason
			       ? a->end_reason
			       : (last ? names_job_state(ji->state) : "ended"));
		for (size_t k = 0; k < a->n_ranks; k++) {
			const Colossus__RankPlacement *r = a->ranks[k];

			cmd_jobfmt_gpus(g, sizeof(g), r->gpus, r->n_gpus);
			printf("      node rank %u  %s  GPUs %s", r->rank,
			       r->node, g);
			for (size_t u = 0; u < r->n_gpu_uuids; u++)
				printf("%s%s", u ? "," : "  ", r->gpu_uuids[u]);
			printf("\n");
		}
	}
}

static void history_block(const Colossus__JobInfo *ji, bool color)
{
	const char *code =
		color ? output_color_code(cmd_jobfmt_state_color(ji->state))
		      : NULL;
	char b1[32], b2[32];

	printf("job %" PRIu64 "%s%s%s: %s%s%s, exit %d, user %s, account %s, "
	       "%u node%s x %u GPUs, submitted %s, ended %s\n",
	       ji->id, *ji->name ? " (" : "", ji->name, *ji->name ? ")" : "",
	       code ? code : "", names_job_state(ji->state),
	       code ? OUTPUT_COLOR_RESET : "", ji->exit_code, ji->user,
	       *ji->account ? ji->account : "-", ji->nodes,
	       ji->nodes == 1 ? "" : "s", ji->gpus_per_node,
	       output_time(ji->submit_time, b1, sizeof(b1)),
	       output_time(ji->end_time, b2, sizeof(b2)));
	if (ji->reason && *ji->reason)
		printf("    reason: %s\n", ji->reason);
	history_attempts(ji);
}

static void history_json(const Colossus__HistoryReply *r)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "jobs");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_jobs; i++) {
		const Colossus__JobInfo *ji = r->jobs[i];

		json_begin_object(&j);
		json_kv_uint(&j, "id", ji->id);
		json_kv_str(&j, "name", ji->name);
		json_kv_str(&j, "user", ji->user);
		json_kv_str(&j, "account", ji->account);
		json_kv_str(&j, "qos", ji->qos);
		json_kv_str(&j, "state", names_job_state(ji->state));
		json_kv_str(&j, "reason", ji->reason);
		json_kv_uint(&j, "nodes", ji->nodes);
		json_kv_uint(&j, "gpus_per_node", ji->gpus_per_node);
		json_kv_uint(&j, "gpus", ji->gpus);
		json_kv_uint(&j, "time_limit_sec", ji->time_limit_sec);
		json_kv_int(&j, "submit_time", ji->submit_time);
		json_kv_int(&j, "start_time", ji->start_time);
		json_kv_int(&j, "end_time", ji->end_time);
		json_kv_int(&j, "exit_code", ji->exit_code);
		json_kv_uint(&j, "epoch", ji->epoch);
		json_kv_uint(&j, "restarts", ji->restarts);
		json_kv_str(&j, "nodelist", ji->nodelist);
		json_kv_uint(&j, "array_job_id", ji->array_job_id);
		json_kv_uint(&j, "array_task", ji->array_task);
		json_key(&j, "gpu_hours");
		json_double(&j, history_gpu_hours(ji));
		json_key(&j, "attempts");
		json_begin_array(&j);
		for (size_t k = 0; k < ji->n_attempts; k++)
			cmd_jobfmt_json_attempt(&j, ji->attempts[k]);
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_kv_bool(&j, "truncated", r->truncated);
	json_end_object(&j);
	json_finish(&j);
}

/* --user/--me/--since/--until into the request.  Exit code. */
static int history_request(struct cli *cli, struct history_args *a,
			   Colossus__History *h, char *me, size_t melen)
{
	int64_t now = util_now_wall_s();
	struct err e;
	int rc;

	if (a->me && a->user)
		return cli_usage(cli, "give --user or --me, not both");
	if (a->me) {
		rc = cli_my_name(cli, me, melen);
		if (rc)
			return rc;
		a->user = me;
	}
	if (a->user && !util_valid_name(a->user, 63))
		return cli_usage(cli, "--user: '%.40s' is not a user name",
				 a->user);
	if (a->account && !util_valid_name(a->account, 63))
		return cli_usage(cli,
				 "--account: '%.40s' is not an account "
				 "name",
				 a->account);
	if (a->since && timeexpr_parse(a->since, now, &h->since, &e) < 0)
		return cli_usage(cli, "--since: %s", e.msg);
	if (a->until && timeexpr_parse(a->until, now, &h->until, &e) < 0)
		return cli_usage(cli, "--until: %s", e.msg);
	if (h->until && h->since >= h->until)
		return cli_usage(cli, "--since must be before --until");
	h->user = (char *)(a->user ? a->user : "");
	h->account = (char *)(a->account ? a->account : "");
	h->states = a->states;
	h->n_states = a->nstates;
	h->limit = a->limit;
	return EXITCODE_OK;
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__History h = COLOSSUS__HISTORY__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__HistoryReply *r;
	struct history_args a;
	struct format_sel sel;
	struct opts_rest rest;
	uint64_t *ids = NULL;
	size_t nids = 0;
	char me[128];
	struct err e;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&rest, 0, sizeof(rest));
	rc = cli_parse(cli, argc, argv, cmd_history_defs, history_opt, &a, 0,
		       &rest);
	if (rc)
		goto out;
	if (format_parse(cmd_history_cols, cmd_history_default_cols, a.format,
			 &sel, &e) < 0) {
		rc = cli_usage(cli, "--format: %s", e.msg);
		goto out;
	}
	rc = cmd_parse_job_ids(cli, rest.args, rest.n, &ids, &nids);
	if (rc)
		goto out;
	rc = history_request(cli, &a, &h, me, sizeof(me));
	if (rc)
		goto out;
	h.job_ids = ids;
	h.n_job_ids = nids;
	req.body_case = COLOSSUS__REQUEST__BODY_HISTORY;
	req.history = &h;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_HISTORY, &resp);
	if (rc)
		goto out;
	r = resp->history;
	if (cli->json) {
		history_json(r);
	} else if (a.attempts) {
		/* A block per job: its summary, then its attempts. */
		for (size_t i = 0; i < r->n_jobs; i++)
			history_block(r->jobs[i], cli->color);
	} else {
		struct output_table *t = format_table(cmd_history_cols, &sel);

		for (size_t i = 0; i < r->n_jobs; i++) {
			output_table_row(t);
			for (size_t k = 0; k < sel.n; k++)
				history_cell(t, (int)sel.idx[k], r->jobs[i]);
		}
		output_table_print(t, stdout, !cli->no_header, cli->color);
		output_table_destroy(t);
	}
	if (!cli->json && r->truncated)
		fprintf(stderr,
			"colossus history: more jobs matched; showing the "
			"newest %zu (use --limit, --since or --until)\n",
			r->n_jobs);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(ids);
	free(a.states);
	return rc;
}

/* ---- report ------------------------------------------------------------- */

enum { RO_SINCE = 1, RO_UNTIL, RO_ACCOUNT, RO_USER, RO_ME };

const struct opts_def cmd_report_defs[] = {
	{ "since", 'S', OPTS_VALUE, RO_SINCE, "TIME",
	  "start of the period (default: 30 days before its end)" },
	{ "until", 'E', OPTS_VALUE, RO_UNTIL, "TIME",
	  "end of the period (default now)" },
	{ "account", 'A', OPTS_VALUE, RO_ACCOUNT, "ACCOUNT",
	  "only this account" },
	{ "user", 'u', OPTS_VALUE, RO_USER, "USER",
	  "only this user (users see only their own usage)" },
	{ "me", 0, OPTS_FLAG, RO_ME, NULL, "only your usage" },
	OPTS_END,
};

struct report_args {
	const char *since, *until, *account, *user;
	bool me;
};

static int report_opt(void *arg, int id, const char *name, const char *val,
		      struct err *e)
{
	struct report_args *a = arg;

	(void)name;
	switch (id) {
	case RO_SINCE:
		a->since = val;
		return 0;
	case RO_UNTIL:
		a->until = val;
		return 0;
	case RO_ACCOUNT:
		a->account = val;
		return 0;
	case RO_USER:
		a->user = val;
		return 0;
	case RO_ME:
		a->me = true;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

struct report_sum {
	double hours, failed;
	uint64_t jobs, attempts, failed_attempts;
};

static void report_add(struct report_sum *s, const Colossus__UsageRow *u)
{
	s->hours += u->gpu_hours;
	s->failed += u->failed_gpu_hours;
	s->jobs += u->jobs;
	s->attempts += u->attempts;
	s->failed_attempts += u->failed_attempts;
}

static double report_share(double failed, double hours)
{
	return hours > 0 ? 100.0 * failed / hours : 0;
}

static void report_row(struct output_table *t, const char *account,
		       const char *user, const struct report_sum *s)
{
	output_table_row(t);
	output_table_cell(t, OUTPUT_PLAIN, *account ? account : "-");
	output_table_cell(t, OUTPUT_PLAIN, user);
	output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64, s->jobs);
	output_table_cellf(t, OUTPUT_PLAIN, "%" PRIu64, s->attempts);
	output_table_cellf(t, OUTPUT_PLAIN, "%.2f", s->hours);
	output_table_cellf(t, OUTPUT_PLAIN, "%.2f", s->failed);
	output_table_cellf(t, s->failed > 0 ? OUTPUT_YELLOW : OUTPUT_PLAIN,
			   "%.1f%%", report_share(s->failed, s->hours));
}

static void report_json_sum(struct json *j, const struct report_sum *s)
{
	json_kv_uint(j, "jobs", s->jobs);
	json_kv_uint(j, "attempts", s->attempts);
	json_kv_uint(j, "failed_attempts", s->failed_attempts);
	json_key(j, "gpu_hours");
	json_double(j, s->hours);
	json_key(j, "failed_gpu_hours");
	json_double(j, s->failed);
	json_key(j, "failed_share");
	json_double(j, s->hours > 0 ? s->failed / s->hours : 0);
}

static void report_json(const Colossus__ReportReply *r)
{
	struct report_sum total, acc;
	struct json j;

	memset(&total, 0, sizeof(total));
	json_init(&j, stdout);
	json_begin_object(&j);
	json_kv_int(&j, "since", r->since);
	json_kv_int(&j, "until", r->until);
	json_key(&j, "rows");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_rows; i++) {
		struct report_sum s;

		memset(&s, 0, sizeof(s));
		report_add(&s, r->rows[i]);
		report_add(&total, r->rows[i]);
		json_begin_object(&j);
		json_kv_str(&j, "account", r->rows[i]->account);
		json_kv_str(&j, "user", r->rows[i]->user);
		report_json_sum(&j, &s);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "accounts");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_rows;) {
		const char *name = r->rows[i]->account;

		memset(&acc, 0, sizeof(acc));
		for (; i < r->n_rows && !strcmp(r->rows[i]->account, name); i++)
			report_add(&acc, r->rows[i]);
		json_begin_object(&j);
		json_kv_str(&j, "account", name);
		report_json_sum(&j, &acc);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "total");
	json_begin_object(&j);
	report_json_sum(&j, &total);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void report_table(struct cli *cli, const Colossus__ReportReply *r)
{
	static const struct output_col cols[] = {
		{ "ACCOUNT", 0, false },  { "USER", 0, false },
		{ "JOBS", 0, true },	  { "ATTEMPTS", 0, true },
		{ "GPU_HOURS", 0, true }, { "LOST_GPU_HOURS", 0, true },
		{ "LOST", 0, true },
	};
	struct output_table *t = output_table_create(cols, ARRAY_SIZE(cols));
	struct report_sum total;
	char b1[32], b2[32];

	memset(&total, 0, sizeof(total));
	if (!cli->no_header)
		printf("GPU-hours from %s to %s\n\n",
		       output_time(r->since, b1, sizeof(b1)),
		       output_time(r->until, b2, sizeof(b2)));
	for (size_t i = 0; i < r->n_rows;) {
		const char *name = r->rows[i]->account;
		struct report_sum acc;
		size_t users = 0;

		memset(&acc, 0, sizeof(acc));
		for (; i < r->n_rows && !strcmp(r->rows[i]->account, name);
		     i++, users++) {
			struct report_sum s;

			memset(&s, 0, sizeof(s));
			report_add(&s, r->rows[i]);
			report_add(&acc, r->rows[i]);
			report_add(&total, r->rows[i]);
			report_row(t, name, r->rows[i]->user, &s);
		}
		/* An account of several users gets its subtotal. */
		if (users > 1 && !cli->no_header)
			report_row(t, name, "(all)", &acc);
	}
	if (!cli->no_header && r->n_rows)
		report_row(t, "(total)", "", &total);
	output_table_print(t, stdout, !cli->no_header, cli->color);
	output_table_destroy(t);
	if (!cli->no_header)
		printf("\nLOST: GPU-hours of attempts that failed or were "
		       "requeued (node loss, preemption).\n");
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Report rp = COLOSSUS__REPORT__INIT;
	Colossus__Response *resp = NULL;
	struct report_args a;
	struct opts_rest rest;
	int64_t now = util_now_wall_s();
	char me[128];
	struct err e;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(cli, argc, argv, cmd_report_defs, report_opt, &a,
		       OPTS_NO_POSITIONAL, &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	if (a.me && a.user)
		return cli_usage(cli, "give --user or --me, not both");
	if (a.me) {
		rc = cli_my_name(cli, me, sizeof(me));
		if (rc)
			return rc;
		a.user = me;
	}
	if (a.user && !util_valid_name(a.user, 63))
		return cli_usage(cli, "--user: '%.40s' is not a user name",
				 a.user);
	if (a.account && !util_valid_name(a.account, 63))
		return cli_usage(cli,
				 "--account: '%.40s' is not an account name",
				 a.account);
	if (a.until && timeexpr_parse(a.until, now, &rp.until, &e) < 0)
		return cli_usage(cli, "--until: %s", e.msg);
	if (a.since && timeexpr_parse(a.since, now, &rp.since, &e) < 0)
		return cli_usage(cli, "--since: %s", e.msg);
	if (rp.since && rp.since >= (rp.until ? rp.until : now))
		return cli_usage(cli, "--since must be before --until");
	rp.user = (char *)(a.user ? a.user : "");
	rp.account = (char *)(a.account ? a.account : "");
	req.body_case = COLOSSUS__REQUEST__BODY_REPORT;
	req.report = &rp;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_REPORT, &resp);
	if (rc)
		return rc;
	if (cli->json)
		report_json(resp->report);
	else
		report_table(cli, resp->report);
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}
