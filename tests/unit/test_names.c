/*
 * Unit tests for client/names.c (states, levels, statuses, signals) and
 * client/exitcode.c (status to exit code mapping).
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "client/exitcode.h"
#include "client/names.h"
#include "tests/lib/tap.h"

static void test_states(void)
{
	Colossus__JobState *st = NULL;
	size_t n = 0;
	struct err e;

	is_str(names_job_state(COLOSSUS__JOB_STATE__JOB_STATE_RUNNING),
	       "running", "running");
	is_str(names_job_state(COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED),
	       "cancelled", "cancelled");
	is_str(names_job_state(77), "unknown", "out of range is unknown");
	is_str(names_job_state(-1), "unknown", "negative is unknown");
	for (int s = 1; s <= COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT; s++)
		is_int(names_job_state_parse(names_job_state(s)), s,
		       "%s parses back", names_job_state(s));
	is_int(names_job_state_parse("PENDING"),
	       COLOSSUS__JOB_STATE__JOB_STATE_PENDING, "any case");
	is_int(names_job_state_parse("PD"),
	       COLOSSUS__JOB_STATE__JOB_STATE_PENDING, "squeue's PD");
	is_int(names_job_state_parse("r"),
	       COLOSSUS__JOB_STATE__JOB_STATE_RUNNING, "squeue's R");
	is_int(names_job_state_parse("canceled"),
	       COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED, "US spelling");
	is_int(names_job_state_parse("unknown"), -1,
	       "'unknown' is not a filter");
	is_int(names_job_state_parse("runing"), -1, "typos fail");

	ok(names_job_states_parse("pending,running,TO", &st, &n, &e) == 0,
	   "a state list parses");
	is_int(n, 3, "three states");
	is_int(st[2], COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT, "TO is timeout");
	free(st);
	ok(names_job_states_parse("pending,,running", &st, &n, &e) < 0,
	   "an empty item fails");
	ok(names_job_states_parse("pending,nope", &st, &n, &e) < 0,
	   "an unknown state fails");
	ok(strstr(e.msg, "unknown job state 'nope' (valid: pending") == e.msg,
	   "naming it and the valid ones");
	ok(names_job_states_parse("", &st, &n, &e) < 0, "an empty list fails");

	ok(names_job_state_final(COLOSSUS__JOB_STATE__JOB_STATE_FAILED),
	   "failed is final");
	ok(!names_job_state_final(COLOSSUS__JOB_STATE__JOB_STATE_COMPLETING),
	   "completing is not");
	is_str(names_node_state(COLOSSUS__NODE_STATE__NODE_STATE_UP), "up",
	       "node up");
	is_str(names_admin_state(COLOSSUS__ADMIN_STATE__ADMIN_STATE_DRAINED),
	       "drained", "drained");
	is_str(names_health(COLOSSUS__HEALTH_STATE__HEALTH_STATE_DEGRADED),
	       "degraded", "degraded");
	is_str(names_level(COLOSSUS__LEVEL__LEVEL_POD), "pod", "pod");
	is_int(names_level_parse("HALL"), COLOSSUS__LEVEL__LEVEL_HALL,
	       "level parse");
	is_int(names_level_parse("row"), -1, "unknown level");
	is_str(names_status(COLOSSUS__STATUS__STATUS_NOT_FOUND), "not_found",
	       "status name");
}

static void test_signals(void)
{
	static const struct {
		const char *in;
		int sig;
	} good[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM },
		{ "term", SIGTERM }, { "sigusr1", SIGUSR1 },
		{ "KILL", SIGKILL }, { "9", 9 },
		{ "1", 1 },	     { "64", 64 },
		{ "HUP", SIGHUP },   { "INT", SIGINT },
		{ "USR2", SIGUSR2 }, { "CONT", SIGCONT },
	};
	static const char *const bad[] = {
		"",	 "0",	   "65", "-9", "SIG",
		"TERMX", "SIGFOO", "9x", " 9", "99999999999999999999999",
	};
	struct err e;
	int sig;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		sig = -1;
		ok(names_signal_parse(good[i].in, &sig, &e) == 0 &&
			   sig == good[i].sig,
		   "signal '%s' is %d", good[i].in, good[i].sig);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(names_signal_parse(bad[i], &sig, &e) < 0,
		   "signal '%s' fails (%s)", bad[i], e.msg);
	is_str(names_signal(SIGTERM), "SIGTERM", "name of 15");
	is_str(names_signal(SIGUSR1), "SIGUSR1", "name of SIGUSR1");
	ok(names_signal(63) == NULL, "no name for an unnamed number");
}

static void test_exitcodes(void)
{
	static const struct {
		int status;
		int code;
	} map[] = {
		{ COLOSSUS__STATUS__STATUS_OK, 0 },
		{ COLOSSUS__STATUS__STATUS_INVALID, 6 },
		{ COLOSSUS__STATUS__STATUS_NOT_FOUND, 3 },
		{ COLOSSUS__STATUS__STATUS_PERMISSION, 4 },
		{ COLOSSUS__STATUS__STATUS_UNAVAILABLE, 5 },
		{ COLOSSUS__STATUS__STATUS_CONFLICT, 7 },
		{ COLOSSUS__STATUS__STATUS_UNSUPPORTED, 1 },
		{ COLOSSUS__STATUS__STATUS_VERSION, 1 },
		{ COLOSSUS__STATUS__STATUS_BUSY, 5 },
		{ COLOSSUS__STATUS__STATUS_NOT_ACTIVE, 5 },
		{ COLOSSUS__STATUS__STATUS_INTERNAL, 1 },
		{ 999, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		is_int(exitcode_from_status(map[i].status), map[i].code,
		       "status %d (%s) exits %d", map[i].status,
		       names_status(map[i].status), map[i].code);
	is_int(EXITCODE_USAGE, 2, "usage errors exit 2");
	is_int(exitcode_combine(0, 0), 0, "all ok");
	is_int(exitcode_combine(exitcode_combine(0, 3), 0), 3,
	       "one failure gives its code");
	is_int(exitcode_combine(exitcode_combine(0, 4), 4), 4,
	       "equal failures keep their code");
	is_int(exitcode_combine(exitcode_combine(0, 3), 4), 1,
	       "different failures give 1");
	is_int(exitcode_combine(exitcode_combine(0, 3), 7), 1,
	       "whatever their order");
	for (int c = 0; c <= EXITCODE_CONFLICT; c++)
		ok(strcmp(exitcode_describe(c), "unknown") != 0,
		   "exit code %d is described: %s", c, exitcode_describe(c));
	is_str(exitcode_describe(42), "unknown", "others are not");
}

int main(void)
{
	test_states();
	test_signals();
	test_exitcodes();
	return done_testing();
}
