/*
 * Unit tests for client/jobsort.c: --sort key parsing (names, case,
 * '-' and '+', errors) and the orders it produces, ties by id.
 */
#include "config.h"

#include <string.h>

#include "client/jobsort.h"
#include "tests/lib/tap.h"

static Colossus__JobInfo J[6];

static void setup(void)
{
	static const struct {
		uint64_t id;
		const char *user;
		double prio;
		int64_t submit;
		int state;
		uint32_t pos;
		int64_t expect;
		uint32_t nodes;
	} d[6] = {
		{ 10, "bob", 50, 300, 1, 2, 2000, 4 },
		{ 11, "alice", 90, 100, 1, 1, 0, 1 },
		{ 12, "carol", 70, 200, 4, 3, 0, 8 },
		{ 13, "alice", 50, 400, 1, 0, 1000, 2 },
		{ 14, "bob", 10, 50, 2, 4, 0, 2 },
		{ 15, "alice", 90, 500, 1, 5, 3000, 1 },
	};

	for (int i = 0; i < 6; i++) {
		colossus__job_info__init(&J[i]);
		J[i].id = d[i].id;
		J[i].user = (char *)d[i].user;
		J[i].priority = d[i].prio;
		J[i].submit_time = d[i].submit;
		J[i].state = (Colossus__JobState)d[i].state;
		J[i].queue_position = d[i].pos;
		J[i].expected_start = d[i].expect;
		J[i].nodes = d[i].nodes;
	}
}

/* Sort by spec and return the ids as "a,b,c". */
static const char *order(const char *spec)
{
	static char buf[128];
	Colossus__JobInfo *v[6];
	struct jobsort s;
	struct err e;
	size_t used = 0;

	for (int i = 0; i < 6; i++)
		v[i] = &J[i];
	if (jobsort_parse(spec, &s, &e) < 0) {
		diag("%s: %s", spec, e.msg);
		return "error";
	}
	jobsort_sort(v, 6, &s, 1000);
	buf[0] = '\0';
	for (int i = 0; i < 6; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "%s%llu", i ? "," : "",
					 (unsigned long long)v[i]->id);
	return buf;
}

static void bad(const char *spec, const char *want)
{
	struct jobsort s;
	struct err e;

	ok(jobsort_parse(spec, &s, &e) < 0 && strstr(e.msg, want),
	   "'%s' refused: %s", spec, e.msg);
}

int main(void)
{
	setup();
	is_str(order("id"), "10,11,12,13,14,15", "id");
	is_str(order("-id"), "15,14,13,12,11,10", "-id");
	is_str(order("priority"), "11,15,12,10,13,14",
	       "priority: highest first, ties by id");
	is_str(order("-priority"), "14,10,13,12,11,15",
	       "-priority: lowest first");
	is_str(order("submit"), "14,11,12,10,13,15", "submit");
	is_str(order("user,-submit"), "15,13,11,10,14,12", "user,-submit");
	is_str(order("USER,+Submit"), "11,13,15,14,10,12",
	       "any case, '+' keeps the natural order");
	is_str(order("queue_pos"), "11,10,14,15,12,13",
	       "queue_pos: waiting jobs by place, the rest last");
	is_str(order("queue-pos"), order("queue_pos"), "'-' inside a name");
	is_str(order("expected_start"), "13,10,15,11,12,14",
	       "expected_start: known starts first");
	is_str(order("nodes,id"), "11,15,13,14,10,12", "nodes");
	is_str(order("state"), "14,10,11,13,15,12",
	       "state by name (held, pending, running)");
	bad("", "no sort key");
	bad("prio", "unknown sort key 'prio'");
	bad("id,,user", "empty sort key");
	bad("-", "empty sort key");
	bad("id,", "empty sort key");
	bad("id,id,id,id,id,id,id,id,id", "more than 8");
	return done_testing();
}
