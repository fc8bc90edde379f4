/*
 * Scheduling commands for jobs: hold and release, job why and job
 * priority (admins).  QOS and reservations are in cmd_qos.c.
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

/* Most dependencies `job why` looks up. */
#define WHY_MAX_DEPS 8

/* ---- hold and release -------------------------------------------------- */

static int sched_hold(struct cli *cli, int argc, char **argv, bool release)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__HoldJob hj = COLOSSUS__HOLD_JOB__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__HoldJobReply *r;
	struct opts_rest rest;
	uint64_t *ids = NULL;
	size_t nids = 0;
	struct json j;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	rc = cmd_parse_job_ids(cli, rest.args, rest.n, &ids, &nids);
	if (rc)
		goto out;
	if (!nids) {
		rc = cli_usage(cli, "which jobs? give one or more job ids");
		goto out;
	}
	hj.job_ids = ids;
	hj.n_job_ids = nids;
	hj.release = release;
	req.body_case = COLOSSUS__REQUEST__BODY_HOLD_JOB;
	req.hold_job = &hj;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_HOLD_JOB, &resp);
	if (rc)
		goto out;
	r = resp->hold_job;
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
		} else {
			printf("job %" PRIu64 ": %s\n", res->job_id,
			       release ? "released" : "held");
		}
	}
	if (cli->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(ids);
	return rc;
}

int cmd_hold(struct cli *cli, int argc, char **argv)
{
	return sched_hold(cli, argc, argv, false);
}

int cmd_release(struct cli *cli, int argc, char **argv)
{
	return sched_hold(cli, argc, argv, true);
}

/* ---- job why ------------------------------------------------------------ */

/* ShowJob for one id.  Exit code; quiet makes failures silent. */
static int sched_show(struct cli *cli, uint64_t id, bool quiet,
		      Colossus__Response **resp)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ShowJob sj = COLOSSUS__SHOW_JOB__INIT;
	struct err e;

	sj.job_id = id;
	req.body_case = COLOSSUS__REQUEST__BODY_SHOW_JOB;
	req.show_job = &sj;
	if (!quiet) {
		int rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_SHOW_JOB,
				  resp);

		if (rc == EXITCODE_OK && !(*resp)->show_job->job) {
			rpcclient_response_free(*resp);
			*resp = NULL;
			cli_error(cli, "the controller sent no job");
			return EXITCODE_ERROR;
		}
		return rc;
	}
	*resp = rpcclient_call(cli->rpc, &req, &e);
	if (!*resp)
		return EXITCODE_ERROR;
	if ((*resp)->status != COLOSSUS__STATUS__STATUS_OK ||
	    (*resp)->body_case != COLOSSUS__RESPONSE__BODY_SHOW_JOB ||
	    !(*resp)->show_job->job) {
		rpcclient_response_free(*resp);
		*resp = NULL;
		return EXITCODE_ERROR;
	}
	return EXITCODE_OK;
}

struct why_dep {
	uint64_t id;
	const char *kind; /* after, afterok, afternotok */
	int state;	  /* -1: unknown */
};

/* What each dependency a pending job waits for is doing now. */
static size_t why_deps(struct cli *cli, const Colossus__JobSpec *s,
		       struct why_dep *deps)
{
	size_t n = 0;
	const struct {
		const char *kind;
		const uint64_t *ids;
		size_t n;
	} lists[] = {
		{ "after", s->after, s->n_after },
		{ "afterok", s->after_ok, s->n_after_ok },
		{ "afternotok", s->after_not_ok, s->n_after_not_ok },
	};

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l].n && n < WHY_MAX_DEPS; i++) {
			Colossus__Response *resp = NULL;

			deps[n].id = lists[l].ids[i];
			deps[n].kind = lists[l].kind;
			deps[n].state = -1;
			if (sched_show(cli, deps[n].id, true, &resp) ==
			    EXITCODE_OK)
				deps[n].state = resp->show_job->job->state;
			rpcclient_response_free(resp);
			n++;
		}
	return n;
}

/* Can this dependency still be met, given its job's state? */
static const char *why_dep_verdict(const struct why_dep *d)
{
	bool final = d->state >= 0 && names_job_state_final(d->state);

	if (d->state < 0)
		return "unknown job (long finished or never existed)";
	if (!final)
		return "not finished yet";
	if (!strcmp(d->kind, "afterok"))
		return d->state == COLOSSUS__JOB_STATE__JOB_STATE_COMPLETED
			       ? "met"
			       : "never met: it did not complete successfully";
	if (!strcmp(d->kind, "afternotok"))
		return d->state != COLOSSUS__JOB_STATE__JOB_STATE_COMPLETED
			       ? "met"
			       : "never met: it completed successfully";
	return "met";
}

static void why_json(const Colossus__JobInfo *ji, const struct why_dep *deps,
		     size_t ndeps)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_kv_uint(&j, "id", ji->id);
	json_kv_str(&j, "state", names_job_state(ji->state));
	json_kv_str(&j, "reason", ji->reason);
	json_kv_str(&j, "why", ji->why);
	json_kv_uint(&j, "queue_position", ji->queue_position);
	json_kv_int(&j, "expected_start", ji->expected_start);
	json_key(&j, "priority");
	json_double(&j, ji->priority);
	json_key(&j, "dependencies");
	json_begin_array(&j);
	for (size_t i = 0; i < ndeps; i++) {
		json_begin_object(&j);
		json_kv_uint(&j, "job_id", deps[i].id);
		json_kv_str(&j, "type", deps[i].kind);
		json_kv_str(&j, "state",
			    deps[i].state < 0 ? "unknown"
					      : names_job_state(deps[i].state));
		json_kv_str(&j, "verdict", why_dep_verdict(&deps[i]));
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* Can the job never start (a dependency that can no longer be met)? */
static bool why_never(const Colossus__JobInfo *ji, const struct why_dep *deps,
		      size_t ndeps)
{
	for (size_t i = 0; i < ndeps; i++)
		if (!strncmp(why_dep_verdict(&deps[i]), "never", 5))
			return true;
	return ji->reason && strstr(ji->reason, "never") &&
	       !strstr(ji->reason, "none expected");
}

/* Does a segment of the why text repeat what a line already says? */
static bool why_repeat(const char *seg, size_t len, const char *reason,
		       size_t rlen)
{
	/* "held: REASON (colossus release N)": the first line and the
	 * release hint already say it. */
	return (len >= 9 && !strncmp(seg, "position ", 9)) ||
	       (len >= 17 && !strncmp(seg, "expected to start", 17)) ||
	       (len >= 6 && !strncmp(seg, "held: ", 6)) ||
	       (len == rlen && !strncmp(seg, reason, len));
}

static void why_text(const Colossus__JobInfo *ji, const struct why_dep *deps,
		     size_t ndeps, bool color)
{
	char b[64], d[64];
	int64_t now = util_now_wall_s();
	const char *reason = ji->reason ? ji->reason : "";
	/* The reason's first clause; the rest is repeated below. */
	size_t rlen = strcspn(reason, ";");
	const char *code =
		color ? output_color_code(cmd_jobfmt_state_color(ji->state))
		      : NULL;

	printf("job %" PRIu64 " is %s%s%s", ji->id, code ? code : "",
	       names_job_state(ji->state), code ? OUTPUT_COLOR_RESET : "");
	if (!cmd_jobfmt_waiting(ji->state)) {
		printf(", not waiting%s%s\n", *reason ? ": " : "", reason);
		return;
	}
	printf("%s%.*s\n", rlen ? ": " : "", (int)rlen, reason);
	if (ji->queue_position)
		printf("  queue position: %u (priority %.0f) among the jobs "
		       "that may start now\n",
		       ji->queue_position, ji->priority);
	if (ji->expected_start) {
		output_time(ji->expected_start, b, sizeof(b));
		output_duration(ji->expected_start - now, d, sizeof(d));
		printf("  expected start: %s (in %s), by the backfill plan\n",
		       b, ji->expected_start > now ? d : "0:00");
	} else if (why_never(ji, deps, ndeps)) {
		printf("  expected start: never: it cannot run as it is; "
		       "cancel it (colossus cancel %" PRIu64 ")\n",
		       ji->id);
	} else if (ji->state == COLOSSUS__JOB_STATE__JOB_STATE_HELD) {
		printf("  expected start: not before it is released "
		       "(colossus release %" PRIu64 ")\n",
		       ji->id);
	} else if (!strncmp(reason, "waiting for power", 17)) {
		/* Power frees up as the ramp window slides and jobs end,
		 * which the backfill plan does not model. */
		printf("  expected start: when the power budget allows "
		       "(the backfill plan does not estimate power waits)\n");
	} else if (ji->state == COLOSSUS__JOB_STATE__JOB_STATE_PENDING) {
		printf("  expected start: unknown (the plan does not reach "
		       "it yet)\n");
	}
	/* explain_job's evidence: "position ...; reason; needs ...". */
	for (const char *p = ji->why ? ji->why : ""; *p;) {
		size_t len;

		while (*p == ' ' || *p == ';')
			p++;
		len = strcspn(p, ";");
		if (len && !why_repeat(p, len, reason, rlen))
			printf("  %.*s\n", (int)len, p);
		p += len;
	}
	for (size_t i = 0; i < ndeps; i++)
		printf("  depends on job %" PRIu64 " (%s): %s, %s\n",
		       deps[i].id, deps[i].kind,
		       deps[i].state < 0 ? "unknown"
					 : names_job_state(deps[i].state),
		       why_dep_verdict(&deps[i]));
}

int cmd_job_why(struct cli *cli, int argc, char **argv)
{
	Colossus__Response *resp = NULL;
	const Colossus__JobInfo *ji;
	struct why_dep deps[WHY_MAX_DEPS];
	struct opts_rest rest;
	uint64_t *ids = NULL;
	size_t nids = 0, ndeps = 0;
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
	rc = sched_show(cli, ids[0], false, &resp);
	if (rc)
		goto out;
	ji = resp->show_job->job;
	if (ji->spec && cmd_jobfmt_waiting(ji->state))
		ndeps = why_deps(cli, ji->spec, deps);
	if (cli->json)
		why_json(ji, deps, ndeps);
	else
		why_text(ji, deps, ndeps, cli->color);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	free(ids);
	return rc;
}

/* ---- job priority ------------------------------------------------------- */

int cmd_job_priority(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__SetJobPriority sp = COLOSSUS__SET_JOB_PRIORITY__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	struct err e;
	int rc;

	/* Positionals stop option parsing, so a negative BOOST is a value. */
	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL,
		       OPTS_STOP_AT_POSITIONAL, &rest);
	if (rc)
		return rc;
	/* "ID -- -500" is accepted too, as other commands take "--". */
	if (rest.n >= 3 && !strcmp(rest.args[1], "--")) {
		memmove(&rest.args[1], &rest.args[2],
			(rest.n - 2) * sizeof(*rest.args));
		rest.n--;
	}
	/* Global options may follow: "ID BOOST --json". */
	if (rest.n > 2) {
		struct opts_rest more;

		rc = cli_parse(cli, (int)rest.n - 2, rest.args + 2, NULL, NULL,
			       NULL, OPTS_NO_POSITIONAL, &more);
		if (rc)
			goto out;
		opts_rest_free(&more);
		rest.n = 2;
	}
	if (rest.n != 2) {
		rc = cli_usage(cli, "give a job id and a priority boost "
				    "(e.g. 'colossus job priority 4711 "
				    "5000'; 0 removes it)");
		goto out;
	}
	if (opts_parse_u64(rest.args[0], 1, UINT64_MAX, &sp.job_id, &e) < 0) {
		rc = cli_usage(cli, "bad job id '%s': %s", rest.args[0], e.msg);
		goto out;
	}
	if (opts_parse_i32(rest.args[1][0] == '+' ? rest.args[1] + 1
						  : rest.args[1],
			   -10000000, 10000000, &sp.boost, &e) < 0) {
		rc = cli_usage(cli, "bad boost '%s': %s", rest.args[1], e.msg);
		goto out;
	}
	req.body_case = COLOSSUS__REQUEST__BODY_SET_JOB_PRIORITY;
	req.set_job_priority = &sp;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_uint(&j, "job_id", sp.job_id);
		json_kv_int(&j, "boost", sp.boost);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("job %" PRIu64 ": priority boost %d\n", sp.job_id,
		       sp.boost);
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}
