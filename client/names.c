/*
 * Enum and signal names for the CLI.  Tables indexed by the protocol
 * value so that adding a state to types.proto means adding one line here.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/names.h"
#include "client/opts.h"
#include "common/xalloc.h"

static const char *const names_job_states[] = {
	[COLOSSUS__JOB_STATE__JOB_STATE_UNKNOWN] = "unknown",
	[COLOSSUS__JOB_STATE__JOB_STATE_PENDING] = "pending",
	[COLOSSUS__JOB_STATE__JOB_STATE_HELD] = "held",
	[COLOSSUS__JOB_STATE__JOB_STATE_STARTING] = "starting",
	[COLOSSUS__JOB_STATE__JOB_STATE_RUNNING] = "running",
	[COLOSSUS__JOB_STATE__JOB_STATE_COMPLETING] = "completing",
	[COLOSSUS__JOB_STATE__JOB_STATE_COMPLETED] = "completed",
	[COLOSSUS__JOB_STATE__JOB_STATE_FAILED] = "failed",
	[COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED] = "cancelled",
	[COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT] = "timeout",
};

/* squeue's compact codes, so Slurm users' fingers keep working. */
static const struct {
	const char *abbr;
	int state;
} names_job_abbrevs[] = {
	{ "PD", COLOSSUS__JOB_STATE__JOB_STATE_PENDING },
	{ "R", COLOSSUS__JOB_STATE__JOB_STATE_RUNNING },
	{ "CG", COLOSSUS__JOB_STATE__JOB_STATE_COMPLETING },
	{ "CD", COLOSSUS__JOB_STATE__JOB_STATE_COMPLETED },
	{ "F", COLOSSUS__JOB_STATE__JOB_STATE_FAILED },
	{ "CA", COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED },
	{ "TO", COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT },
};

static const char *names_lookup(const char *const *tab, size_t n, int v,
				const char *dflt)
{
	if (v >= 0 && (size_t)v < n && tab[v])
		return tab[v];
	return dflt;
}

const char *names_job_state(int state)
{
	return names_lookup(names_job_states, ARRAY_SIZE(names_job_states),
			    state, "unknown");
}

int names_job_state_parse(const char *s)
{
	for (size_t i = 1; i < ARRAY_SIZE(names_job_states); i++)
		if (!strcasecmp(s, names_job_states[i]))
			return (int)i;
	/* American spelling: "canceled" is what half the users type. */
	if (!strcasecmp(s, "canceled"))
		return COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED;
	for (size_t i = 0; i < ARRAY_SIZE(names_job_abbrevs); i++)
		if (!strcasecmp(s, names_job_abbrevs[i].abbr))
			return names_job_abbrevs[i].state;
	return -1;
}

int names_job_states_parse(const char *list, Colossus__JobState **out,
			   size_t *n, struct err *e)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	Colossus__JobState *v = NULL;
	size_t cnt = 0;

	/* strtok_r would skip empty items; ",," must be an error. */
	for (tok = copy;; tok = save) {
		char *comma = strchr(tok, ',');
		int st;

		save = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		if (!*tok) {
			err_set(e, "empty state in '%.60s'", list);
			goto fail;
		}
		st = names_job_state_parse(tok);
		if (st <= 0) {
			err_set(e,
				"unknown job state '%.40s' (valid: pending, "
				"held, starting, running, completing, "
				"completed, failed, cancelled, timeout)",
				tok);
			goto fail;
		}
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = (Colossus__JobState)st;
		if (!save)
			break;
	}
	free(copy);
	*out = v;
	*n = cnt;
	return 0;
fail:
	free(copy);
	free(v);
	return -1;
}

bool names_job_state_final(int state)
{
	return state == COLOSSUS__JOB_STATE__JOB_STATE_COMPLETED ||
	       state == COLOSSUS__JOB_STATE__JOB_STATE_FAILED ||
	       state == COLOSSUS__JOB_STATE__JOB_STATE_CANCELLED ||
	       state == COLOSSUS__JOB_STATE__JOB_STATE_TIMEOUT;
}

static const char *const names_node_states[] = {
	[COLOSSUS__NODE_STATE__NODE_STATE_UNKNOWN] = "unknown",
	[COLOSSUS__NODE_STATE__NODE_STATE_UP] = "up",
	[COLOSSUS__NODE_STATE__NODE_STATE_DOWN] = "down",
};

const char *names_node_state(int state)
{
	return names_lookup(names_node_states, ARRAY_SIZE(names_node_states),
			    state, "unknown");
}

static const char *const names_admin_states[] = {
	[COLOSSUS__ADMIN_STATE__ADMIN_STATE_NONE] = "none",
	[COLOSSUS__ADMIN_STATE__ADMIN_STATE_DRAINING] = "draining",
	[COLOSSUS__ADMIN_STATE__ADMIN_STATE_DRAINED] = "drained",
};

const char *names_admin_state(int state)
{
	return names_lookup(names_admin_states, ARRAY_SIZE(names_admin_states),
			    state, "unknown");
}

static const char *const names_healths[] = {
	[COLOSSUS__HEALTH_STATE__HEALTH_STATE_OK] = "ok",
	[COLOSSUS__HEALTH_STATE__HEALTH_STATE_DEGRADED] = "degraded",
	[COLOSSUS__HEALTH_STATE__HEALTH_STATE_FAILED] = "failed",
};

const char *names_health(int health)
{
	return names_lookup(names_healths, ARRAY_SIZE(names_healths), health,
			    "unknown");
}

static const char *const names_levels[] = {
	[COLOSSUS__LEVEL__LEVEL_ANY] = "any",
	[COLOSSUS__LEVEL__LEVEL_RACK] = "rack",
	[COLOSSUS__LEVEL__LEVEL_POD] = "pod",
	[COLOSSUS__LEVEL__LEVEL_HALL] = "hall",
};

const char *names_level(int level)
{
	return names_lookup(names_levels, ARRAY_SIZE(names_levels), level,
			    "unknown");
}

int names_level_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(names_levels); i++)
		if (!strcasecmp(s, names_levels[i]))
			return (int)i;
	return -1;
}

static const char *const names_statuses[] = {
	[COLOSSUS__STATUS__STATUS_OK] = "ok",
	[COLOSSUS__STATUS__STATUS_INVALID] = "invalid",
	[COLOSSUS__STATUS__STATUS_NOT_FOUND] = "not_found",
	[COLOSSUS__STATUS__STATUS_PERMISSION] = "permission",
	[COLOSSUS__STATUS__STATUS_UNAVAILABLE] = "unavailable",
	[COLOSSUS__STATUS__STATUS_CONFLICT] = "conflict",
	[COLOSSUS__STATUS__STATUS_UNSUPPORTED] = "unsupported",
	[COLOSSUS__STATUS__STATUS_VERSION] = "version",
	[COLOSSUS__STATUS__STATUS_BUSY] = "busy",
	[COLOSSUS__STATUS__STATUS_NOT_ACTIVE] = "not_active",
	[COLOSSUS__STATUS__STATUS_INTERNAL] = "internal",
};

const char *names_status(int status)
{
	return names_lookup(names_statuses, ARRAY_SIZE(names_statuses), status,
			    "unknown");
}

/* Linux numbering: the agents that deliver the signal run Linux too. */
static const struct {
	const char *name;
	int sig;
} names_signals[] = {
	{ "SIGHUP", SIGHUP },	    { "SIGINT", SIGINT },
	{ "SIGQUIT", SIGQUIT },	    { "SIGILL", SIGILL },
	{ "SIGTRAP", SIGTRAP },	    { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS },	    { "SIGFPE", SIGFPE },
	{ "SIGKILL", SIGKILL },	    { "SIGUSR1", SIGUSR1 },
	{ "SIGSEGV", SIGSEGV },	    { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE },	    { "SIGALRM", SIGALRM },
	{ "SIGTERM", SIGTERM },	    { "SIGCHLD", SIGCHLD },
	{ "SIGCONT", SIGCONT },	    { "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP },	    { "SIGTTIN", SIGTTIN },
	{ "SIGTTOU", SIGTTOU },	    { "SIGURG", SIGURG },
	{ "SIGXCPU", SIGXCPU },	    { "SIGXFSZ", SIGXFSZ },
	{ "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },
	{ "SIGWINCH", SIGWINCH },   { "SIGIO", SIGIO },
	{ "SIGPWR", SIGPWR },	    { "SIGSYS", SIGSYS },
};

int names_signal_parse(const char *s, int *sig, struct err *e)
{
	/* Compare without the "SIG" prefix, which users may leave out. */
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
	struct err sub;
	uint32_t n;

	if (!*s)
		return err_set(e, "empty signal");
	if (*s >= '0' && *s <= '9') {
		if (opts_parse_u32(s, 1, 64, &n, &sub) < 0)
			return err_set(e, "invalid signal number: %s", sub.msg);
		*sig = (int)n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names_signals); i++)
		if (!strcasecmp(name, names_signals[i].name + 3)) {
			*sig = names_signals[i].sig;
			return 0;
		}
	return err_set(e,
		       "unknown signal '%.32s' (use a name such as TERM, INT, "
		       "USR1, KILL, or a number 1-64)",
		       s);
}

const char *names_signal(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(names_signals); i++)
		if (names_signals[i].sig == sig)
			return names_signals[i].name;
	return NULL;
}
