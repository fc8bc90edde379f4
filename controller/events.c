/*
 * Events: every state transition with who, what and why, kept in
 * PostgreSQL.  Events are queued in memory and written in batches at the
 * end of each loop iteration, one multi-row INSERT per batch, so a pass
 * that starts a thousand jobs costs one statement, not a thousand.
 * Events are a record, not a commitment: nothing waits for them.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/events.h"

#define EVENT_COLS 7
#define EVENT_BATCH 1000 /* 7,000 parameters, well under 65,535 */

struct event_row {
	char *vals[EVENT_COLS];
};

struct events {
	struct ctl *ctl;
	struct event_row *rows;
	size_t n, cap;
	struct event *flush_ev;
	uint64_t dropped;
};

static void events_done(const struct pgq_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		log_warn("db: event batch not written: %s", r->error);
}

static void events_free_rows(struct events *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < EVENT_COLS; c++)
			free(ev->rows[i].vals[c]);
	memmove(ev->rows, ev->rows + n, (ev->n - n) * sizeof(*ev->rows));
	ev->n -= n;
}

static void events_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;

	(void)fd;
	(void)what;
	while (ev->n) {
		size_t n = MIN(ev->n, (size_t)EVENT_BATCH);
		size_t cap = 160 + n * 48, used;
		char *sql = xmalloc(cap);
		const char **vals = xcalloc(n * EVENT_COLS, sizeof(char *));
		struct err e;

		used = (size_t)snprintf(sql, cap,
					"INSERT INTO events (kind, severity, "
					"actor, job_id, node_id, rack_id, "
					"reason) VALUES ");
		for (size_t i = 0; i < n; i++) {
			int b = (int)(i * EVENT_COLS);

			used += (size_t)snprintf(sql + used, cap - used,
						 "%s($%d,$%d,$%d,$%d,$%d,$%d,$%d)",
						 i ? "," : "", b + 1, b + 2,
						 b + 3, b + 4, b + 5, b + 6,
						 b + 7);
			for (int c = 0; c < EVENT_COLS; c++)
				vals[i * EVENT_COLS + (size_t)c] =
					ev->rows[i].vals[c];
		}
		if (pgq_submit(ev->ctl->db, sql, (int)(n * EVENT_COLS), vals,
			       events_done, NULL, &e) < 0) {
			/*
			 * The database is away.  Keep a bounded backlog and
			 * try again on reconnect; past it, count what we drop.
			 */
			free(sql);
			free(vals);
			if (ev->n > 100000) {
				ev->dropped += ev->n - 100000;
				events_free_rows(ev, ev->n - 100000);
			}
			return;
		}
		free(sql);
		free(vals);
		events_free_rows(ev, n);
	}
}

struct events *events_create(struct ctl *ctl)
{
	struct events *ev = xcalloc(1, sizeof(*ev));

	ev->ctl = ctl;
	ev->flush_ev = evtimer_new(ctl->base, events_flush_cb, ev);
	return ev;
}

void events_destroy(struct events *ev)
{
	if (!ev)
		return;
	events_free_rows(ev, ev->n);
	free(ev->rows);
	event_free(ev->flush_ev);
	free(ev);
}

void events_kick(struct events *ev)
{
	static const struct timeval zero = { 0, 0 };

	if (ev->n)
		event_add(ev->flush_ev, &zero);
}

static char *events_id(uint64_t v)
{
	return v ? xasprintf("%" PRIu64, v) : NULL;
}

void ctl_event(struct ctl *ctl, const char *kind, const char *severity,
	       const char *actor, uint64_t job_id, int node_id, int rack_id,
	       const char *reason)
{
	struct events *ev = ctl->events;
	struct event_row *row;

	if (!ev)
		return;
	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? ev->cap * 2 : 64;
		ev->rows = xreallocarray(ev->rows, ev->cap, sizeof(*ev->rows));
	}
	row = &ev->rows[ev->n++];
	row->vals[0] = xstrdup(kind);
	row->vals[1] = xstrdup(severity);
	row->vals[2] = xstrdup(actor);
	row->vals[3] = events_id(job_id);
	row->vals[4] = events_id((uint64_t)node_id);
	row->vals[5] = events_id((uint64_t)rack_id);
	row->vals[6] = xstrdup(reason ? reason : "");
	events_kick(ev);
}
