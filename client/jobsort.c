/*
 * Sorting job listings (see jobsort.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/jobsort.h"
#include "client/names.h"

enum {
	JS_ID,
	JS_PRIORITY,
	JS_SUBMIT,
	JS_START,
	JS_END,
	JS_USER,
	JS_ACCOUNT,
	JS_NAME,
	JS_QOS,
	JS_STATE,
	JS_NODES,
	JS_GPUS,
	JS_TIME,
	JS_TIME_LIMIT,
	JS_QUEUE_POS,
	JS_EXPECTED_START,
};

/* Indexed by the JS_ constants. */
static const char *const jobsort_names[] = {
	"id",	   "priority",	 "submit",    "start",		"end",	 "user",
	"account", "name",	 "qos",	      "state",		"nodes", "gpus",
	"time",	   "time_limit", "queue_pos", "expected_start",
};

const char jobsort_keys[] =
	"id, priority, submit, start, end, user, account, name, qos, state, "
	"nodes, gpus, time, time_limit, queue_pos, expected_start";

static bool jobsort_name_eq(const char *user, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len && name[i]; i++) {
		char u = user[i] == '-' ? '_'
					: (char)tolower((unsigned char)user[i]);

		if (u != name[i])
			return false;
	}
	return i == len && name[i] == '\0';
}

int jobsort_parse(const char *spec, struct jobsort *out, struct err *e)
{
	struct jobsort s;
	const char *p = spec;

	memset(&s, 0, sizeof(s));
	if (!spec || !*spec)
		return err_set(e, "no sort key (valid: %s)", jobsort_keys);
	for (;;) {
		size_t len = strcspn(p, ",");
		bool rev = false;
		size_t k;

		if (len && (*p == '-' || *p == '+')) {
			rev = *p == '-';
			p++;
			len--;
		}
		if (len == 0)
			return err_set(e, "empty sort key in '%.80s'", spec);
		for (k = 0; k < ARRAY_SIZE(jobsort_names); k++)
			if (jobsort_name_eq(p, len, jobsort_names[k]))
				break;
		if (k == ARRAY_SIZE(jobsort_names))
			return err_set(e, "unknown sort key '%.*s' (valid: %s)",
				       (int)MIN(len, 40), p, jobsort_keys);
		if (s.n == JOBSORT_MAX_KEYS)
			return err_set(e, "more than %d sort keys",
				       JOBSORT_MAX_KEYS);
		s.key[s.n] = (int)k;
		s.reverse[s.n] = rev;
		s.n++;
		p += len;
		if (!*p)
			break;
		p++;
	}
	*out = s;
	return 0;
}

struct jobsort_ctx {
	const struct jobsort *s;
	int64_t now;
};

static int jobsort_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* 0 ("none") sorts after every real value. */
static int jobsort_num_zero_last(int64_t a, int64_t b)
{
	if (!a || !b)
		return (!a) - (!b);
	return jobsort_num(a, b);
}

static int jobsort_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Only waiting jobs have a queue position and an expected start. */
static bool jobsort_waiting(const Colossus__JobInfo *j)
{
	return j->state == COLOSSUS__JOB_STATE__JOB_STATE_PENDING ||
	       j->state == COLOSSUS__JOB_STATE__JOB_STATE_HELD;
}

static int64_t jobsort_elapsed(const Colossus__JobInfo *j, int64_t now)
{
	if (j->start_time <= 0 || jobsort_waiting(j))
		return 0;
	return (j->end_time > 0 ? j->end_time : now) - j->start_time;
}

static int jobsort_key(int key, const Colossus__JobInfo *a,
		       const Colossus__JobInfo *b, int64_t now)
{
	switch (key) {
	case JS_ID:
		return a->id < b->id ? -1 : a->id > b->id;
	case JS_PRIORITY:
		/* Natural order is the queue's: highest first. */
		return a->priority > b->priority   ? -1
		       : a->priority < b->priority ? 1
						   : 0;
	case JS_SUBMIT:
		return jobsort_num(a->submit_time, b->submit_time);
	case JS_START:
		return jobsort_num(a->start_time, b->start_time);
	case JS_END:
		return jobsort_num(a->end_time, b->end_time);
	case JS_USER:
		return jobsort_str(a->user, b->user);
	case JS_ACCOUNT:
		return jobsort_str(a->account, b->account);
	case JS_NAME:
		return jobsort_str(a->name, b->name);
	case JS_QOS:
		return jobsort_str(a->qos, b->qos);
	case JS_STATE:
		return jobsort_str(names_job_state(a->state),
				   names_job_state(b->state));
	case JS_NODES:
		return jobsort_num(a->nodes, b->nodes);
	case JS_GPUS:
		return jobsort_num(a->gpus, b->gpus);
	case JS_TIME:
		return jobsort_num(jobsort_elapsed(a, now),
				   jobsort_elapsed(b, now));
	case JS_TIME_LIMIT:
		/* 0 is unlimited: the longest. */
		return jobsort_num(
			a->time_limit_sec ? (int64_t)a->time_limit_sec
					  : INT64_MAX,
			b->time_limit_sec ? (int64_t)b->time_limit_sec
					  : INT64_MAX);
	case JS_QUEUE_POS:
		return jobsort_num_zero_last(
			jobsort_waiting(a) ? a->queue_position : 0,
			jobsort_waiting(b) ? b->queue_position : 0);
	case JS_EXPECTED_START:
		return jobsort_num_zero_last(
			jobsort_waiting(a) ? a->expected_start : 0,
			jobsort_waiting(b) ? b->expected_start : 0);
	default:
		return 0;
	}
}

static int jobsort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct jobsort_ctx *cx = arg;
	const Colossus__JobInfo *a = *(Colossus__JobInfo *const *)pa;
	const Colossus__JobInfo *b = *(Colossus__JobInfo *const *)pb;

	for (size_t i = 0; i < cx->s->n; i++) {
		int c = jobsort_key(cx->s->key[i], a, b, cx->now);

		if (c)
			return cx->s->reverse[i] ? -c : c;
	}
	return a->id < b->id ? -1 : a->id > b->id;
}

void jobsort_sort(Colossus__JobInfo **jobs, size_t n, const struct jobsort *s,
		  int64_t now)
{
	struct jobsort_ctx cx = { s, now };

	if (n > 1)
		qsort_r(jobs, n, sizeof(*jobs), jobsort_cmp, &cx);
}
