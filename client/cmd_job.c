/*
 * Job commands: cancel, jobs (alias queue), job show.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/jobsort.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "common/xalloc.h"

int cmd_parse_job_ids(struct cli *cli, char **words, size_t nwords,
		      uint64_t **ids, size_t *n)
{
	for (size_t w = 0; w < nwords; w++) {
		char *copy = xstrdup(words[w]), *p = copy;

		for (;;) {
			char *end = strchr(p, ',');
			uint64_t id;
			struct err e;

			if (end)
				*end = '\0';
			if (opts_parse_u64(p, 1, UINT64_MAX, &id, &e) < 0) {
				int rc = cli_usage(cli, "bad job id '%s': %s",
						   words[w], e.msg);

				free(copy);
				return rc;
			}
			*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
			if (!end)
				break;
			p = end + 1;
		}
		free(copy);
	}
	return EXITCODE_OK;
}

/* ---- cancel -------------------------------------------------------------- */

enum { CA_USER = 1, CA_ME, CA_NAME, CA_STATE, CA_SIGNAL };

const struct opts_def cmd_cancel_defs[] = {
	{ "user", 'u', OPTS_VALUE, CA_USER, "USER",
	  "cancel the jobs of USER (admins; users reach only their own)" },
	{ "me", 0, OPTS_FLAG, CA_ME, NULL, "cancel your own jobs" },
	{ "name", 'n', OPTS_VALUE, CA_NAME, "NAME", "jobs with this name" },
	{ "state", 't', OPTS_VALUE, CA_STATE, "STATES",
	  "jobs in these states (pending,held,running,...)" },
	{ "signal", 's', OPTS_VALUE, CA_SIGNAL, "SIG",
	  "only send SIG (TERM, USR1, 10, ...) instead of cancelling" },
	OPTS_END,
};

struct cancel_args {
	const char *user, *name;
	bool me;
	Colossus__JobState *states;
	size_t nstates;
	int signal;
};

static int cancel_opt(void *arg, int id, const char *name, const char *val,
		      struct err *e)
{
	struct cancel_args *a = arg;

	switch (id) {
	case CA_USER:
		a->user = val;
		return 0;
	case CA_ME:
		a->me = true;
		return 0;
	case CA_NAME:
		a->name = val;
		return 0;
	case CA_STATE:
		free(a->states);
		a->states = NULL;
		return names_job_states_parse(val, &a->states, &a->nstates, e);
	case CA_SIGNAL:
		return names_signal_parse(val, &a->signal, e);
	default:
		return err_set(e, "internal: option %d", id);
	}
}

static int cancel_report(struct cli *cli, const Colossus__CancelJobReply *r,
			 int signal)
{
	const char *sn = names_signal(signal);
	int rc = EXITCODE_OK;
	struct json j;

	json_init(&j, stdout);
	if (cli->json) {
		json_begin_object(&j);
		json_key(&j, "results");
		json_begin_array(&j);
	}
	for (size_t i = 0; i < r->n_results; i++) {
		const Colossus__CancelResult *res = r->results[i];

		rc = exitcode_combine(rc, exitcode_from_status(res->status));
		if (cli->json) {
			json_begin_object(&j);
			json_kv_uint(&j, "job_id", res->job_id);
			json_kv_str(&j, "status", names_status(res->status));
			json_kv_str(&j, "error", res->error);
			json_end_object(&j);
		} else if (res->status != COLOSSUS__STATUS__STATUS_OK) {
			cli_error(cli, "%s",
				  res->error && *res->error
					  ? res->error
					  : names_status(res->status));
		} else if (signal) {
			printf("job %" PRIu64 ": sent %s\n", res->job_id,
			       sn ? sn : "the signal");
		} else {
			printf("job %" PRIu64 ": cancelled\n", res->job_id);
		}
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	return rc;
}

int cmd_cancel(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__CancelJob cj = COLOSSUS__CANCEL_JOB__INIT;
	Colossus__Response *resp = NULL;
	struct cancel_args a;
	struct opts_rest rest;
	uint64_t *ids = NULL;
	size_t nids = 0;
	char me[128];
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&rest, 0, sizeof(rest));
	rc = cli_parse(cli, argc, argv, cmd_cancel_defs, cancel_opt, &a, 0,
		       &rest);
	if (rc)
		goto out;
	rc = cmd_parse_job_ids(cli, rest.args, rest.n, &ids, &nids);
	if (rc)
		goto out;
	if (a.me && a.user) {
		rc = cli_usage(cli, "give --user or --me, not both");
		goto out;
	}
	if (a.me) {
		rc = cli_my_name(cli, me, sizeof(me));
		if (rc)
			goto out;
		a.user = me;
	}
	if (nids && (a.user || a.name || a.nstates)) {
		rc = cli_usage(cli, "give job ids or filters (--user, --name, "
				    "--state), not both");
		goto out;
	}
	if (!nids && !a.user && !a.name && !a.nstates) {
		rc = cli_usage(cli, "which jobs? give job ids, or filters "
				    "such as --me or --name NAME");
		goto out;
	}
	cj.job_ids = ids;
	cj.n_job_ids = nids;
	cj.signal = a.signal;
	cj.user = (char *)(a.user ? a.user : "");
	cj.name = (char *)(a.name ? a.name : "");
	cj.states = a.states;
	cj.n_states = a.nstates;
	req.body_case = COLOSSUS__REQUEST__BODY_CANCEL_JOB;
	req.cancel_job = &cj;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_CANCEL_JOB, &resp);
	if (rc)
		goto out;
	if (resp->cancel_job->n_results == 0 && !cli->json)
		fprintf(stderr, "colossus cancel: no job matched\n");
	rc = cancel_report(cli, resp->cancel_job, a.signal);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(ids);
	free(a.states);
	return rc;
}

/* ---- jobs ---------------------------------------------------------------- */

enum {
	JO_USER = 1,
	JO_ME,
	JO_STATE,
	JO_ACCOUNT,
	JO_NODE,
	JO_NAME,
	JO_ALL,
	JO_LIMIT,
	JO_FORMAT,
	JO_SORT,
};

const struct opts_def cmd_jobs_defs[] = {
	{ "user", 'u', OPTS_VALUE, JO_USER, "USER", "only USER's jobs" },
	{ "me", 0, OPTS_FLAG, JO_ME, NULL, "only your jobs" },
	{ "state", 't', OPTS_VALUE, JO_STATE, "STATES",
	  "only these states, e.g. pending,running (default: active jobs)" },
	{ "account", 'A', OPTS_VALUE, JO_ACCOUNT, "ACCOUNT",
	  "only this account's jobs" },
	{ "node", 'w', OPTS_VALUE, JO_NODE, "NODE",
	  "only jobs with a rank on NODE" },
	{ "name", 'n', OPTS_VALUE, JO_NAME, "NAME",
	  "only jobs with this name" },
	{ "all", 'a', OPTS_FLAG, JO_ALL, NULL,
	  "include recently finished jobs" },
	{ "limit", 0, OPTS_VALUE, JO_LIMIT, "N",
	  "at most N jobs (the first in the --sort order, else lowest ids)" },
	{ "format", 'o', OPTS_VALUE, JO_FORMAT, "COLUMNS",
	  "columns to print, e.g. id,name,state or +account (see below)" },
	{ "sort", 'S', OPTS_VALUE, JO_SORT, "KEYS",
	  "order by these keys, e.g. priority or user,-submit (default id); "
	  "'-' reverses a key" },
	OPTS_END,
};

struct jobs_args {
	const char *user, *account, *node, *name, *format, *sort;
	bool me, all;
	uint32_t limit;
	Colossus__JobState *states;
	size_t nstates;
};

static int jobs_opt(void *arg, int id, const char *name, const char *val,
		    struct err *e)
{
	struct jobs_args *a = arg;

	switch (id) {
	case JO_USER:
		a->user = val;
		return 0;
	case JO_ME:
		a->me = true;
		return 0;
	case JO_STATE:
		free(a->states);
		a->states = NULL;
		return names_job_states_parse(val, &a->states, &a->nstates, e);
	case JO_ACCOUNT:
		a->account = val;
		return 0;
	case JO_NODE:
		a->node = val;
		return 0;
	case JO_NAME:
		a->name = val;
		return 0;
	case JO_ALL:
		a->all = true;
		return 0;
	case JO_LIMIT:
		return opts_parse_u32(val, 1, UINT32_MAX, &a->limit, e);
	case JO_FORMAT:
		a->format = val;
		return 0;
	case JO_SORT:
		a->sort = val;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

/*
 * Print the first `limit` jobs (0 = all) after sorting.  The controller
 * sends id order and applies --limit itself unless we sort: then the
 * whole list comes and the first jobs in the sorted order are kept.
 */
static void jobs_print(struct cli *cli, const Colossus__ListJobsReply *r,
		       const struct format_sel *sel, const struct jobsort *sort,
		       size_t limit)
{
	int64_t now = util_now_wall_s();
	size_t n = limit && limit < r->n_jobs ? limit : r->n_jobs;
	struct output_table *t;

	if (sort)
		jobsort_sort(r->jobs, r->n_jobs, sort, now);
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "jobs");
		json_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			cmd_jobfmt_json(&j, r->jobs[i], false);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
		return;
	}
	t = format_table(cmd_jobs_cols, sel);
	for (size_t i = 0; i < n; i++)
		cmd_jobfmt_row(t, sel, r->jobs[i], now);
	output_table_print(t, stdout, !cli->no_header, cli->color);
	output_table_destroy(t);
}

int cmd_jobs(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListJobs lj = COLOSSUS__LIST_JOBS__INIT;
	Colossus__Response *resp = NULL;
	struct jobs_args a;
	struct format_sel sel;
	struct jobsort sort;
	struct opts_rest rest;
	char me[128];
	struct err e;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&rest, 0, sizeof(rest));
	rc = cli_parse(cli, argc, argv, cmd_jobs_defs, jobs_opt, &a,
		       OPTS_NO_POSITIONAL, &rest);
	if (rc)
		goto out;
	if (format_parse(cmd_jobs_cols, cmd_jobs_default_cols, a.format, &sel,
			 &e) < 0) {
		rc = cli_usage(cli, "--format: %s", e.msg);
		goto out;
	}
	if (a.sort && jobsort_parse(a.sort, &sort, &e) < 0) {
		rc = cli_usage(cli, "--sort: %s", e.msg);
		goto out;
	}

	if (a.me && a.user) {
		rc = cli_usage(cli, "give --user or --me, not both");
		goto out;
	}
	if (a.me) {
		rc = cli_my_name(cli, me, sizeof(me));
		if (rc)
			goto out;
		a.user = me;
	}
	lj.states = a.states;
	lj.n_states = a.nstates;
	lj.user = (char *)(a.user ? a.user : "");
	lj.account = (char *)(a.account ? a.account : "");
	lj.node = (char *)(a.node ? a.node : "");
	lj.name = (char *)(a.name ? a.name : "");
	lj.limit = a.sort ? 0 : a.limit;
	lj.all = a.all;
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_JOBS;
	req.list_jobs = &lj;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_JOBS, &resp);
	if (rc)
		goto out;
	jobs_print(cli, resp->list_jobs, &sel, a.sort ? &sort : NULL,
		   a.sort ? a.limit : 0);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(a.states);
	return rc;
}

/* ---- job show ------------------------------------------------------------ */

int cmd_job_show(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ShowJob sj = COLOSSUS__SHOW_JOB__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	uint64_t *ids = NULL;
	size_t nids = 0;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	rc = cmd_parse_job_ids(cli, rest.args, rest.n, &ids, &nids);
	if (rc)
		goto out;
	if (nids != 1) {
		rc = cli_usage(cli, "give exactly one job id");
		goto out;
	}
	sj.job_id = ids[0];
	req.body_case = COLOSSUS__REQUEST__BODY_SHOW_JOB;
	req.show_job = &sj;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_SHOW_JOB, &resp);
	if (rc)
		goto out;
	if (!resp->show_job->job) {
		cli_error(cli, "the controller sent no job");
		rc = EXITCODE_ERROR;
		goto out;
	}
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		cmd_jobfmt_json(&j, resp->show_job->job, true);
		json_finish(&j);
	} else {
		cmd_jobfmt_show(resp->show_job->job, cli->color,
				util_now_wall_s());
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(ids);
	return rc;
}
