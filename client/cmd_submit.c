/*
 * colossus submit: build a job spec from the command line and, for a
 * batch script, its #COLOSSUS lines; send it with a random submit key;
 * print the job id.
 *
 * The submit key makes retries safe: when the controller answers
 * "unavailable" (loading, database down) or the connection drops after
 * the request went out, the same request is sent again with the same key
 * and the controller returns the job it already created, if any, instead
 * of creating a second one.  Retries are bounded so that the command
 * always ends within about 30 seconds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/submitopts.h"
#include "common/xalloc.h"

/* The controller refuses larger scripts; refuse them before sending. */
#define SUBMIT_MAX_SCRIPT (1024 * 1024)
/* Total time spent retrying an unavailable controller. */
#define SUBMIT_RETRY_BUDGET_MS 30000
#define SUBMIT_RETRY_MAX_DELAY_MS 8000

/* 128 random bits, hex: unique per invocation, never per retry. */
static int submit_make_key(char *out, size_t len, struct err *e)
{
	unsigned char raw[16];
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, "/dev/urandom: %s", strerror(errno));
	while (got < sizeof(raw)) {
		ssize_t n = read(fd, raw + got, sizeof(raw) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return err_set(e, "/dev/urandom: %s",
				       n ? strerror(errno) : "short read");
		}
		got += (size_t)n;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Read a script file ("-" is stdin) of at most SUBMIT_MAX_SCRIPT bytes. */
static char *submit_read_script(const char *path, size_t *len, struct err *e)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	size_t cap = 64 * 1024, n = 0;
	char *buf;

	if (!f) {
		err_set(e, "cannot open script %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (n > SUBMIT_MAX_SCRIPT) {
			err_set(e, "script %s is larger than %d bytes",
				is_stdin ? "<stdin>" : path, SUBMIT_MAX_SCRIPT);
			goto fail;
		}
		if (r == 0)
			break;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	if (ferror(f)) {
		err_set(e, "cannot read script %s: %s",
			is_stdin ? "<stdin>" : path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

/* Options, command or script: everything up to a finished spec. */
static int submit_build(struct cli *cli, int argc, char **argv,
			struct submit_opts *so)
{
	struct opts_set global = { cli_global_defs, cli_global_apply, cli };
	struct opts_rest rest;
	char cwd[4096];
	struct err e;
	int rc = EXITCODE_OK;

	if (submitopts_parse_cli(so, argc, argv, &global, 1, &rest, &e) < 0)
		return cli_usage(cli, "%s", e.msg);
	if (rest.dashdash) {
		if (rest.n == 0)
			rc = cli_usage(cli, "no command after '--'");
		else
			submitopts_set_command(so, (int)rest.n, rest.args);
	} else if (rest.n > 1) {
		rc = cli_usage(cli,
			       "unexpected '%s' after the script: a batch "
			       "script takes no arguments (pass values with "
			       "--export NAME=VALUE), and a command goes "
			       "after '--'",
			       rest.args[1]);
	} else if (rest.n == 1) {
		const char *path = rest.args[0];
		const char *name = strcmp(path, "-") ? path : "<stdin>";
		unsigned ignored = 0;
		size_t len;
		char *text = submit_read_script(path, &len, &e);

		if (!text) {
			rc = cli_usage(cli, "%s", e.msg);
		} else if (len < 2 || text[0] != '#' || text[1] != '!') {
			/* The agent executes the script itself. */
			rc = cli_usage(cli,
				       "%s does not start with a '#!' line "
				       "(such as #!/bin/bash); to run a "
				       "program, put it after '--'",
				       name);
		} else if (submitopts_load_script(so, text, len, name, &ignored,
						  &e) < 0) {
			rc = cli_usage(cli, "%s", e.msg);
		} else if (ignored) {
			cli_warn(cli,
				 "%s:%u: #COLOSSUS after the first command "
				 "is ignored (move it up to the header)",
				 name, ignored);
		}
		free(text);
	} else {
		rc = cli_usage(cli, "nothing to run: give a command after "
				    "'--' or a batch script");
	}
	opts_rest_free(&rest);
	if (rc)
		return rc;
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error(cli, "cannot get the current directory: %s",
			  strerror(errno));
		return EXITCODE_ERROR;
	}
	if (submitopts_finish(so, cwd, &e) < 0)
		return cli_usage(cli, "%s", e.msg);
	return EXITCODE_OK;
}

static bool submit_transient(struct cli *cli, const Colossus__Response *resp)
{
	if (!resp)
		return rpcclient_failure(cli->rpc) == RPCCLIENT_FAIL_LOST;
	return resp->status == COLOSSUS__STATUS__STATUS_UNAVAILABLE ||
	       resp->status == COLOSSUS__STATUS__STATUS_BUSY ||
	       resp->status == COLOSSUS__STATUS__STATUS_NOT_ACTIVE;
}

/* Send, retrying transient failures with the same key.  Exit code. */
static int submit_send(struct cli *cli, Colossus__Request *req,
		       Colossus__Response **out)
{
	int64_t start = util_now_mono_ms();
	unsigned delay = 500;
	int rc;

	*out = NULL;
	rc = cli_connect(cli);
	if (rc)
		return rc;
	for (;;) {
		struct err e;
		Colossus__Response *resp = rpcclient_call(cli->rpc, req, &e);
		int64_t spent = util_now_mono_ms() - start;

		if (resp && resp->status == COLOSSUS__STATUS__STATUS_OK) {
			if (resp->body_case !=
			    COLOSSUS__RESPONSE__BODY_SUBMIT_JOB) {
				rpcclient_response_free(resp);
				cli_error(cli, "unexpected reply from %s",
					  rpcclient_peer(cli->rpc));
				return EXITCODE_ERROR;
			}
			*out = resp;
			return EXITCODE_OK;
		}
		if (!submit_transient(cli, resp) ||
		    spent + delay > SUBMIT_RETRY_BUDGET_MS) {
			rc = resp ? cli_status_error(cli, resp)
				  : cli_rpc_error(cli, &e);
			rpcclient_response_free(resp);
			return rc;
		}
		cli_warn(cli, "%s; retrying in %.1f s",
			 resp ? (resp->error && *resp->error
					 ? resp->error
					 : "controller unavailable")
			      : e.msg,
			 delay / 1000.0);
		rpcclient_response_free(resp);
		usleep(delay * 1000u);
		delay = MIN(delay * 2, SUBMIT_RETRY_MAX_DELAY_MS);
	}
}

int cmd_submit(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__SubmitJob sub = COLOSSUS__SUBMIT_JOB__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__SubmitJobReply *r;
	struct submit_opts so;
	char key[40];
	struct err e;
	int rc;

	submitopts_init(&so);
	rc = submit_build(cli, argc, argv, &so);
	if (rc)
		goto out;
	if (submit_make_key(key, sizeof(key), &e) < 0) {
		cli_error(cli, "cannot make a submit key: %s", e.msg);
		rc = EXITCODE_ERROR;
		goto out;
	}
	sub.spec = &so.spec;
	sub.submit_key = key;
	req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
	req.submit_job = &sub;
	rc = submit_send(cli, &req, &resp);
	if (rc)
		goto out;
	r = resp->submit_job;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_uint(&j, "job_id", r->job_id);
		json_key(&j, "array_job_ids");
		json_begin_array(&j);
		for (size_t i = 0; i < r->n_array_job_ids; i++)
			json_uint(&j, r->array_job_ids[i]);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else if (so.quiet) {
		printf("%" PRIu64 "\n", r->job_id);
	} else if (r->n_array_job_ids) {
		uint64_t lo = r->array_job_ids[0],
			 hi = r->array_job_ids[r->n_array_job_ids - 1];

		/* Array tasks get consecutive ids in one transaction. */
		if (hi - lo + 1 == r->n_array_job_ids)
			printf("Submitted array job %" PRIu64 ": %zu tasks, "
			       "jobs %" PRIu64 "-%" PRIu64 "\n",
			       r->job_id, r->n_array_job_ids, lo, hi);
		else
			printf("Submitted array job %" PRIu64 ": %zu tasks\n",
			       r->job_id, r->n_array_job_ids);
	} else {
		printf("Submitted job %" PRIu64 "\n", r->job_id);
	}
out:
	rpcclient_response_free(resp);
	submitopts_fini(&so);
	return rc;
}
