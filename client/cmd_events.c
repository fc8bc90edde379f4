/*
 * colossus events: the controller's event log (drains, health verdicts,
 * node losses, requeues, alarms), filtered by node, rack, job, kind and
 * time, as a table, JSON, or followed as it grows.
 *
 * Follow mode polls by event id (ListEvents.after_id), so no event is
 * shown twice or skipped however the polls and the controller's batched
 * event writes interleave.  It runs until Ctrl-C (or SIGTERM, or a
 * reader that went away) and then exits 0.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/output.h"
#include "client/timeexpr.h"
#include "common/timeparse.h"

/* The controller returns at most this many events per call. */
#define EVENTS_MAX_LIMIT 10000

enum {
	EC_ID,
	EC_TIME,
	EC_KIND,
	EC_SEVERITY,
	EC_ACTOR,
	EC_NODE,
	EC_RACK,
	EC_JOB,
	EC_REASON,
};

/* Indexed by the EC_ constants: keep the two in the same order. */
const struct format_col cmd_events_cols[] = {
	{ "id", "ID", 0, true, "event id (grows with time)" },
	{ "time", "TIME", 0, false, "when it happened (local time)" },
	{ "kind", "KIND", 0, false, "node_drain, health, xid, node_down, ..." },
	{ "severity", "SEVERITY", 0, false,
	  "info, warning, error or critical" },
	{ "actor", "ACTOR", 0, false,
	  "who: an admin, health, controller or a node" },
	{ "node", "NODE", 0, false, "the node concerned, if any" },
	{ "rack", "RACK", 0, false, "the rack concerned, if any" },
	{ "job", "JOB", 0, true, "the job concerned, if any" },
	{ "reason", "REASON", 0, false, "what happened and why" },
	FORMAT_END,
};

const char cmd_events_default_cols[] =
	"time,kind,severity,actor,node,rack,job,reason";

enum {
	EO_NODE = 1,
	EO_RACK,
	EO_JOB,
	EO_KIND,
	EO_SINCE,
	EO_UNTIL,
	EO_LIMIT,
	EO_FOLLOW,
	EO_INTERVAL,
	EO_FORMAT,
};

const struct opts_def cmd_events_defs[] = {
	{ "node", 'w', OPTS_VALUE, EO_NODE, "NAME", "events of this node" },
	{ "rack", 0, OPTS_VALUE, EO_RACK, "NAME",
	  "events of this rack and its nodes" },
	{ "job", 'j', OPTS_VALUE, EO_JOB, "ID", "events of this job" },
	{ "kind", 'k', OPTS_VALUE, EO_KIND, "PREFIX",
	  "kinds starting with PREFIX: node_drain, node_, xid, rack_" },
	{ "since", 0, OPTS_VALUE, EO_SINCE, "TIME",
	  "from TIME: now-1h, 2026-11-24T08:00, Unix seconds" },
	{ "until", 0, OPTS_VALUE, EO_UNTIL, "TIME", "before TIME" },
	{ "limit", 'n', OPTS_VALUE, EO_LIMIT, "N",
	  "the newest N events (default 100, at most 10000)" },
	{ "follow", 'f', OPTS_FLAG, EO_FOLLOW, NULL,
	  "then print new events as they happen, until Ctrl-C" },
	{ "interval", 0, OPTS_VALUE, EO_INTERVAL, "DURATION",
	  "how often --follow asks (default 1s)" },
	{ "format", 'o', OPTS_VALUE, EO_FORMAT, "COLUMNS",
	  "columns to print, e.g. id,time,kind,reason" },
	OPTS_END,
};

struct events_args {
	struct cli *cli;
	Colossus__ListEvents le;
	bool follow;
	uint32_t interval_ms;
	const char *format;
};

static int events_time(struct cli *cli, const char *val, int64_t *ms,
		       struct err *e)
{
	int64_t t;

	(void)cli;
	if (timeexpr_parse(val, (int64_t)time(NULL), &t, e) < 0)
		return -1;
	if (t < 0)
		return err_set(e, "'%s' is before 1970", val);
	*ms = t * 1000;
	return 0;
}

static int events_opt(void *arg, int id, const char *name, const char *val,
		      struct err *e)
{
	struct events_args *a = arg;
	uint64_t sec;

	(void)name;
	switch (id) {
	case EO_NODE:
		a->le.node = (char *)val;
		return 0;
	case EO_RACK:
		a->le.rack = (char *)val;
		return 0;
	case EO_JOB:
		return opts_parse_u64(val, 1, UINT64_MAX, &a->le.job_id, e);
	case EO_KIND:
		a->le.kind = (char *)val;
		return 0;
	case EO_SINCE:
		return events_time(a->cli, val, &a->le.since_ms, e);
	case EO_UNTIL:
		return events_time(a->cli, val, &a->le.until_ms, e);
	case EO_LIMIT:
		return opts_parse_u32(val, 1, EVENTS_MAX_LIMIT, &a->le.limit,
				      e);
	case EO_FOLLOW:
		a->follow = true;
		return 0;
	case EO_INTERVAL:
		if (timeparse_duration(val, &sec, e) < 0)
			return -1;
		if (sec < 1 || sec > 3600)
			return err_set(e, "'%s' is not between 1s and 1h", val);
		a->interval_ms = (uint32_t)sec * 1000;
		return 0;
	case EO_FORMAT:
		a->format = val;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

/* ---- printing ------------------------------------------------------------ */

static enum output_color events_color(const char *severity)
{
	if (!strcmp(severity, "critical") || !strcmp(severity, "error"))
		return OUTPUT_RED;
	if (!strcmp(severity, "warning"))
		return OUTPUT_YELLOW;
	return OUTPUT_PLAIN;
}

/* The text of one cell (control characters are the table's job). */
static const char *events_text(int col, const Colossus__Event *ev, char *buf,
			       size_t len)
{
	switch (col) {
	case EC_ID:
		snprintf(buf, len, "%" PRIu64, ev->id);
		return buf;
	case EC_TIME:
		return output_time(ev->at_ms / 1000, buf, len);
	case EC_KIND:
		return ev->kind;
	case EC_SEVERITY:
		return ev->severity;
	case EC_ACTOR:
		return ev->actor;
	case EC_NODE:
		return ev->node && *ev->node ? ev->node : "-";
	case EC_RACK:
		return ev->rack && *ev->rack ? ev->rack : "-";
	case EC_JOB:
		if (!ev->job_id)
			return "-";
		snprintf(buf, len, "%" PRIu64, ev->job_id);
		return buf;
	case EC_REASON:
		return ev->reason;
	default:
		return "?";
	}
}

static void events_cell(struct output_table *t, int col,
			const Colossus__Event *ev)
{
	char buf[32];

	output_table_cell(t,
			  col == EC_SEVERITY ? events_color(ev->severity)
					     : OUTPUT_PLAIN,
			  events_text(col, ev, buf, sizeof(buf)));
}

void cmd_events_json_event(struct json *j, const Colossus__Event *ev)
{
	json_begin_object(j);
	json_kv_uint(j, "id", ev->id);
	json_kv_int(j, "time", ev->at_ms / 1000);
	json_kv_int(j, "time_ms", ev->at_ms);
	json_kv_str(j, "kind", ev->kind);
	json_kv_str(j, "severity", ev->severity);
	json_kv_str(j, "actor", ev->actor);
	json_kv_str(j, "node", ev->node);
	json_kv_str(j, "rack", ev->rack);
	json_kv_uint(j, "job_id", ev->job_id);
	json_kv_str(j, "reason", ev->reason);
	json_end_object(j);
}

/*
 * Print events in time order (the controller sends newest first unless
 * following).  oldest_first says which order evs is in.
 */
void cmd_events_table(struct cli *cli, const struct format_sel *sel,
		      Colossus__Event *const *evs, size_t n, bool oldest_first,
		      bool header)
{
	struct output_table *t = format_table(cmd_events_cols, sel);

	for (size_t i = 0; i < n; i++) {
		const Colossus__Event *ev = evs[oldest_first ? i : n - 1 - i];

		output_table_row(t);
		for (size_t k = 0; k < sel->n; k++)
			events_cell(t, (int)sel->idx[k], ev);
	}
	output_table_print(t, stdout, header, cli->color);
	output_table_destroy(t);
}

/* ---- follow mode ------------------------------------------------------- */

static volatile sig_atomic_t events_stop;

static void events_signal(int sig)
{
	(void)sig;
	events_stop = 1;
}

/* Sleep ms, cut short by a signal that asks us to stop. */
static void events_sleep(uint32_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000L };

	while (!events_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Minimum widths in follow mode, by EC_ constant. */
static const unsigned events_follow_width[] = { 6, 19, 16, 8, 10, 8, 8, 6, 0 };

/* One cell padded to its follow-mode width; control characters -> '?'. */
static void events_follow_cell(const struct format_sel *sel, size_t k,
			       const char *text, enum output_color c,
			       bool color)
{
	int col = (int)sel->idx[k];
	size_t width = events_follow_width[col], w = output_width(text);
	bool right = cmd_events_cols[col].right, last = k + 1 == sel->n;

	if (k)
		fputs("  ", stdout);
	for (size_t i = w; right && i < width; i++)
		fputc(' ', stdout);
	if (color && output_color_code(c))
		fputs(output_color_code(c), stdout);
	for (const char *p = text; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p,
		      stdout);
	if (color && output_color_code(c))
		fputs(OUTPUT_COLOR_RESET, stdout);
	for (size_t i = w; !right && !last && i < width; i++)
		fputc(' ', stdout);
}

/*
 * Follow mode prints as events come: a table cannot be aligned across
 * polls, so each column gets a fixed minimum width instead.  JSON is one
 * compact object per line (JSON Lines).
 */
static void events_follow_print(struct cli *cli, const struct format_sel *sel,
				Colossus__Event *const *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cli->json) {
			struct json j;

			json_init(&j, stdout);
			j.compact = true;
			cmd_events_json_event(&j, evs[i]);
			json_finish(&j);
			continue;
		}
		for (size_t k = 0; k < sel->n; k++) {
			int col = (int)sel->idx[k];
			char buf[32];

			events_follow_cell(
				sel, k,
				events_text(col, evs[i], buf, sizeof(buf)),
				col == EC_SEVERITY
					? events_color(evs[i]->severity)
					: OUTPUT_PLAIN,
				cli->color);
		}
		fputc('\n', stdout);
	}
	fflush(stdout);
}

static void events_follow_header(const struct format_sel *sel)
{
	for (size_t k = 0; k < sel->n; k++)
		events_follow_cell(sel, k, cmd_events_cols[sel->idx[k]].header,
				   OUTPUT_PLAIN, false);
	fputc('\n', stdout);
}

/* The controller lists newest first unless given an after_id. */
static void events_reverse(Colossus__Event **evs, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		Colossus__Event *tmp = evs[i];

		evs[i] = evs[n - 1 - i];
		evs[n - 1 - i] = tmp;
	}
}

/*
 * Poll for events after id last (0: none matched yet; --since still
 * bounds what is new).  A full batch is followed by the next one at
 * once, so a burst is not shown late.
 */
static int events_follow(struct cli *cli, struct events_args *a,
			 const struct format_sel *sel, uint64_t last)
{
	struct sigaction sa;
	bool failing = false, full = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = events_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: Ctrl-C must cut a sleep or a wait short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	a->le.limit = 1000;
	while (!events_stop) {
		Colossus__Request req = COLOSSUS__REQUEST__INIT;
		Colossus__Response *resp;
		struct err e;

		if (!full)
			events_sleep(a->interval_ms);
		full = false;
		if (events_stop)
			break;
		a->le.after_id = last;
		req.body_case = COLOSSUS__REQUEST__BODY_LIST_EVENTS;
		req.list_events = &a->le;
		resp = rpcclient_call(cli->rpc, &req, &e);
		if (!resp || resp->status != COLOSSUS__STATUS__STATUS_OK ||
		    resp->body_case != COLOSSUS__RESPONSE__BODY_LIST_EVENTS) {
			/* A controller restart or failover: keep asking. */
			if (!failing && !events_stop) {
				if (resp)
					cli_warn(cli, "%s; still trying",
						 resp->error && *resp->error
							 ? resp->error
							 : "request failed");
				else
					cli_warn(cli, "%s; still trying",
						 e.msg);
			}
			failing = true;
			rpcclient_response_free(resp);
			continue;
		}
		if (failing)
			cli_warn(cli, "controller answers again");
		failing = false;
		if (resp->list_events->n_events) {
			Colossus__ListEventsReply *r = resp->list_events;

			if (!last)
				events_reverse(r->events, r->n_events);
			events_follow_print(cli, sel, r->events, r->n_events);
			last = r->events[r->n_events - 1]->id;
			full = r->n_events >= a->le.limit;
		}
		rpcclient_response_free(resp);
		if (ferror(stdout))
			break; /* the reader went away (| head) */
	}
	return EXITCODE_OK;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__ListEventsReply *r;
	struct events_args a = { cli, COLOSSUS__LIST_EVENTS__INIT, false, 1000,
				 NULL };
	struct format_sel sel;
	struct opts_rest rest;
	uint64_t last = 0;
	struct err e;
	int rc;

	rc = cli_parse(cli, argc, argv, cmd_events_defs, events_opt, &a,
		       OPTS_NO_POSITIONAL, &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	if (format_parse(cmd_events_cols, cmd_events_default_cols, a.format,
			 &sel, &e) < 0)
		return cli_usage(cli, "--format: %s", e.msg);
	if (a.le.since_ms && a.le.until_ms && a.le.until_ms <= a.le.since_ms)
		return cli_usage(cli, "--until must be after --since");
	if (a.follow && a.le.until_ms)
		return cli_usage(cli, "--follow shows new events: it does not "
				      "go with --until");
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_EVENTS;
	req.list_events = &a.le;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_EVENTS, &resp);
	if (rc)
		return rc;
	r = resp->list_events;
	if (r->n_events)
		last = r->events[0]->id; /* newest first */
	if (a.follow) {
		/* The backlog in the same line format as what follows. */
		events_reverse(r->events, r->n_events);
		if (!cli->json && !cli->no_header)
			events_follow_header(&sel);
		events_follow_print(cli, &sel, r->events, r->n_events);
		rpcclient_response_free(resp);
		return events_follow(cli, &a, &sel, last);
	}
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "events");
		json_begin_array(&j);
		for (size_t i = r->n_events; i-- > 0;)
			cmd_events_json_event(&j, r->events[i]);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else {
		cmd_events_table(cli, &sel, r->events, r->n_events, false,
				 !cli->no_header);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}
