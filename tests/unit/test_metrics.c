/*
 * Unit tests for controller/metrics.c (the Prometheus exposition and its
 * hooks) and controller/http_api.c's rack summary (the colour each rack
 * gets on the rack map), on a small cluster built in memory with one
 * real HTTP endpoint bound to 127.0.0.1:0.
 *
 * Protects what operators rely on to see DESIGN invariant 5 at work:
 * nodes and racks that are down, draining, drained or unhealthy are
 * counted and shown as such, never as usable capacity.  Also checks the
 * exposition's syntax line by line (names, labels, escaping, histogram
 * buckets), which promtool checks again in the integration test.
 */
#include "config.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/http.h"
#include "controller/http_api.h"
#include "controller/job.h"
#include "controller/metrics.h"
#include "controller/policy.h"
#include "tests/lib/tap.h"

/*
 * etc/health.policy.example, installed as the site's starting point, is
 * the controller's built-in default after its "## " header: a site that
 * copies it gets exactly the policy it had without a policy_file.
 */
static void check_policy_example(void)
{
	const char *dir = getenv("top_srcdir");
	char path[4096], *text = NULL, *body;
	size_t len = 0, got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/health.policy.example",
		 dir ? dir : ".");
	f = fopen(path, "r");
	ok(f != NULL, "etc/health.policy.example exists");
	if (!f)
		return;
	text = xmalloc(1 << 16);
	while ((got = fread(text + len, 1, (1 << 16) - 1 - len, f)) > 0)
		len += got;
	text[len] = '\0';
	fclose(f);
	body = text;
	while (!strncmp(body, "## ", 3) && strchr(body, '\n'))
		body = strchr(body, '\n') + 1;
	ok(body != text, "... starts with its own header");
	is_str(body, policy_default_text(),
	       "... and then is the built-in default policy, byte for byte");
	free(text);
}

static char *drain(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = xmalloc(len + 1);

	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The text matches the POSIX extended regular expression re. */
static void like(const char *text, const char *re, const char *name)
{
	regex_t rx;
	int match;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) {
		ok(0, "%s (bad pattern %s)", name, re);
		return;
	}
	match = !regexec(&rx, text, 0, NULL, 0);
	regfree(&rx);
	if (!ok(match, "%s", name))
		diag("  /%s/ not in: %.300s", re, text);
}

/* Every line is a comment or "name{labels} value" with valid syntax, and
 * each family's TYPE comes once, before its samples. */
static int check_syntax(const char *text)
{
	regex_t sample, type;
	char *copy = xstrdup(text), *save = NULL, *line;
	char seen[200][80];
	int nseen = 0, bad = 0;

	if (regcomp(&sample,
		    "^[a-zA-Z_:][a-zA-Z0-9_:]*"
		    "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})"
		    "?"
		    " [-+]?([0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|Inf|NaN)$",
		    REG_EXTENDED | REG_NOSUB) ||
	    regcomp(&type,
		    "^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
		    "(counter|gauge|histogram|summary|untyped)$",
		    REG_EXTENDED | REG_NOSUB))
		return -1;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (!strncmp(line, "# TYPE ", 7)) {
			char name[80];

			if (regexec(&type, line, 0, NULL, 0) ||
			    sscanf(line + 7, "%79s", name) != 1) {
				diag("bad TYPE line: %s", line);
				bad++;
				continue;
			}
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name)) {
					diag("TYPE twice: %s", name);
					bad++;
				}
			if (nseen < 200)
				memcpy(seen[nseen++], name, sizeof(name));
			continue;
		}
		if (regexec(&sample, line, 0, NULL, 0)) {
			diag("bad sample line: %s", line);
			bad++;
		}
	}
	regfree(&sample);
	regfree(&type);
	free(copy);
	return bad;
}

static struct node *add_node(struct cluster *c, int id, const char *rack,
			     int slot, enum node_state st)
{
	char name[16];
	struct err e;
	struct node *n;

	snprintf(name, sizeof(name), "n%02d", id);
	n = cluster_add_node(c, id, name, rack, slot, 8, "H100", &e);
	if (!n) {
		diag("add node: %s", e.msg);
		exit(1);
	}
	n->state = st;
	return n;
}

/*
 * r1: one node up, one down          -> idle, 1 problem
 * r2: rack draining                  -> draining
 * r3: both nodes down                -> down
 * r4: neither node heard from        -> unknown
 * r5: one node failed health         -> unhealthy
 * r6: a job on one node              -> busy
 * r7: every node that is up drained  -> drained
 */
static struct cluster *build(struct node **nodes, struct alloc *a)
{
	struct cluster *c = cluster_create();
	char rname[8];
	struct err e;

	if (!cluster_add_hall(c, 1, "h1", &e) ||
	    !cluster_add_pod(c, 1, "p1", "h1", &e))
		exit(1);
	for (int r = 1; r <= 7; r++) {
		snprintf(rname, sizeof(rname), "r%d", r);
		if (!cluster_add_rack(c, r, rname, "p1", &e))
			exit(1);
	}
	nodes[1] = add_node(c, 1, "r1", 0, NODE_UP);
	nodes[2] = add_node(c, 2, "r1", 1, NODE_DOWN);
	nodes[3] = add_node(c, 3, "r2", 0, NODE_UP);
	nodes[4] = add_node(c, 4, "r2", 1, NODE_UP);
	nodes[5] = add_node(c, 5, "r3", 0, NODE_DOWN);
	nodes[6] = add_node(c, 6, "r3", 1, NODE_DOWN);
	nodes[7] = add_node(c, 7, "r4", 0, NODE_UNKNOWN);
	nodes[8] = add_node(c, 8, "r4", 1, NODE_UNKNOWN);
	nodes[9] = add_node(c, 9, "r5", 0, NODE_UP);
	nodes[10] = add_node(c, 10, "r5", 1, NODE_UP);
	nodes[11] = add_node(c, 11, "r6", 0, NODE_UP);
	nodes[12] = add_node(c, 12, "r6", 1, NODE_UP);
	nodes[13] = add_node(c, 13, "r7", 0, NODE_UP);
	nodes[14] = add_node(c, 14, "r7", 1, NODE_DOWN);
	cluster_finish(c);
	cluster_rack(c, "r2")->admin_state = ADMIN_DRAINING;
	nodes[9]->health = HEALTH_FAILED;
	nodes[13]->admin_state = ADMIN_DRAINED;
	if (node_use_add(nodes[11], a, 0, 0x0f) < 0)
		exit(1);
	cluster_recount(c);
	return c;
}

int main(void)
{
	struct node *nodes[16];
	struct job *dummy_job = xcalloc(1, 1024);
	struct alloc a;
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq q;
	struct ctl ctl;
	struct err e;
	char *text;

	memset(&ctl, 0, sizeof(ctl));
	memset(&a, 0, sizeof(a));
	a.job_id = 42;
	a.job = dummy_job;

	check_policy_example();

	/* Label values: backslash, quote and newline are escaped. */
	metrics_label_value(b, "a\"b\\c\nd");
	text = drain(b);
	is_str(text, "a\\\"b\\\\c\\nd", "label values are escaped");
	free(text);

	/* Hooks are no-ops while the endpoint is off. */
	metrics_rpc(&ctl, "submit_job", 0, 10);
	metrics_health_event(&ctl, "xid", 79);
	ok(1, "hooks without an endpoint do nothing");

	ctl.base = event_base_new();
	ctl.cfg.http_listen = xstrdup("127.0.0.1:0");
	ctl.cfg.web_dir = xstrdup("");
	ctl.cfg.heartbeat_interval_sec = 3;
	snprintf(ctl.id, sizeof(ctl.id), "ctl\"1");
	ctl.cluster = build(nodes, &a);
	ctl.jobs = job_table_create();
	ctl.active = true;
	ctl.stats.placements = 5;

	ctl.cfg.http_listen[0] = 'x';
	ok(http_create(&ctl, &e) == NULL, "a bad http_listen is refused");
	like(e.msg, "numeric host:port", "... with a clear error");
	ctl.cfg.http_listen[0] = '1';
	ctl.http = http_create(&ctl, &e);
	if (!ok(ctl.http != NULL, "the endpoint binds 127.0.0.1:0"))
		diag("%s", e.msg);
	if (!ctl.http)
		return done_testing();
	ok(http_port(ctl.http) > 0, "it reports the port it got (%d)",
	   http_port(ctl.http));

	metrics_rpc(&ctl, "submit_job", 0, 1500);
	metrics_rpc(&ctl, "submit_job", 0, 1500);
	metrics_rpc(&ctl, "submit_job", 3, 10);
	metrics_rpc(&ctl, "cancel_job", 99, 10);
	metrics_health_event(&ctl, "xid", 79);
	metrics_health_event(&ctl, "xid", 79);
	metrics_health_event(&ctl, "ecc", 0);
	for (int i = 0; i < 600; i++)
		metrics_health_event(&ctl, "xid", 1000 + i);
	metrics_sched_pass(&ctl, 2000);
	metrics_heartbeat_lag(&ctl, 20);

	metrics_render(http_metrics(ctl.http), &ctl, b);
	text = drain(b);
	is_int(check_syntax(text), 0, "every exposition line is well formed");
	ok(has_line(text, "# TYPE colossus_nodes gauge"), "TYPE lines");
	ok(has_line(text, "colossus_controller_info{version=\"" PACKAGE_VERSION
			  "\",id=\"ctl\\\"1\"} 1"),
	   "controller id escaped in a label");
	ok(has_line(text, "colossus_nodes{state=\"up\",admin=\"none\","
			  "health=\"ok\"} 4"),
	   "nodes up, not drained, healthy");
	ok(has_line(text, "colossus_nodes{state=\"up\",admin=\"draining\","
			  "health=\"ok\"} 2"),
	   "a rack's drain counts for its nodes");
	ok(has_line(text, "colossus_nodes{state=\"up\",admin=\"drained\","
			  "health=\"ok\"} 1"),
	   "a drained node");
	ok(has_line(text, "colossus_nodes{state=\"up\",admin=\"none\","
			  "health=\"failed\"} 1"),
	   "a failed node");
	ok(has_line(text, "colossus_nodes{state=\"down\",admin=\"none\","
			  "health=\"ok\"} 4"),
	   "nodes down");
	ok(has_line(text, "colossus_nodes{state=\"unknown\",admin=\"none\","
			  "health=\"ok\"} 2"),
	   "nodes not heard from");
	ok(has_line(text, "colossus_nodes{state=\"down\",admin=\"drained\","
			  "health=\"failed\"} 0"),
	   "empty combinations are written as 0");
	ok(has_line(text, "colossus_gpus{state=\"down\",admin=\"none\","
			  "health=\"ok\"} 32"),
	   "GPUs by node state");
	ok(has_line(text, "colossus_gpus_allocated 4"), "GPUs allocated");
	/* Schedulable: n1, n10, n11 (4 free), n12. */
	ok(has_line(text, "colossus_gpus_free_schedulable 28"),
	   "free GPUs count only nodes that may get work");
	ok(has_line(text, "colossus_racks{admin=\"draining\",health=\"ok\"} 1"),
	   "racks by admin state");
	ok(has_line(text, "colossus_racks_drained 0"), "racks drained");
	ok(has_line(text, "colossus_placements_total 5"), "placements");
	ok(has_line(text, "colossus_rpc_requests_total{method=\"submit_job\","
			  "status=\"ok\"} 2"),
	   "RPCs by method and status");
	ok(has_line(text, "colossus_rpc_requests_total{method=\"submit_job\","
			  "status=\"permission\"} 1"),
	   "... errors by their status");
	ok(has_line(text, "colossus_rpc_requests_total{method=\"cancel_job\","
			  "status=\"other\"} 1"),
	   "... an unknown status is 'other'");
	ok(has_line(text, "colossus_rpc_errors_total{method=\"submit_job\"} 1"),
	   "RPC errors per method");
	ok(has_line(text, "colossus_rpc_duration_seconds_bucket{method="
			  "\"submit_job\",le=\"0.0001\"} 1"),
	   "RPC latency: 10 us in the first bucket");
	ok(has_line(text, "colossus_rpc_duration_seconds_bucket{method="
			  "\"submit_job\",le=\"0.001\"} 1"),
	   "... 1.5 ms not below 1 ms");
	ok(has_line(text, "colossus_rpc_duration_seconds_bucket{method="
			  "\"submit_job\",le=\"0.0025\"} 3"),
	   "... buckets are cumulative");
	ok(has_line(text, "colossus_rpc_duration_seconds_bucket{method="
			  "\"submit_job\",le=\"+Inf\"} 3"),
	   "... +Inf holds the count");
	ok(has_line(text, "colossus_rpc_duration_seconds_count{method="
			  "\"submit_job\"} 3"),
	   "... and so does _count");
	ok(has_line(text, "colossus_health_events_total{kind=\"xid\","
			  "xid=\"79\"} 2"),
	   "health events by kind and XID");
	ok(has_line(text, "colossus_health_events_total{kind=\"ecc\","
			  "xid=\"0\"} 1"),
	   "... other kinds with xid 0");
	ok(has_line(text, "colossus_health_events_total{kind=\"other\","
			  "xid=\"0\"} 90"),
	   "... series are bounded (512); the rest count as other");
	ok(has_line(text, "colossus_sched_pass_duration_seconds_count 1"),
	   "scheduling pass histogram");
	ok(has_line(text, "colossus_sched_pass_duration_seconds_bucket{le="
			  "\"0.0025\"} 1"),
	   "... 2 ms below 2.5 ms");
	ok(has_line(text, "colossus_heartbeat_lag_seconds_bucket{le="
			  "\"0.025\"} 1"),
	   "heartbeat lag histogram");
	ok(has_line(text, "colossus_db_up 0"), "database state");
	ok(has_line(text, "colossus_controller_active 1"), "active flag");
	ok(strstr(text, "\nprocess_resident_memory_bytes ") != NULL,
	   "process memory");
	free(text);

	TAILQ_INIT(&q);
	is_int(http_api_racks(&ctl, &q, b), 200, "/api/racks answers 200");
	text = drain(b);
	like(text, "\"name\":\"r1\",\"state\":\"idle\"",
	     "a rack with a node down but one up is idle...");
	like(text, "\"name\":\"r1\".*\"problems\":1,",
	     "... and reports one problem node");
	like(text, "\"name\":\"r2\",\"state\":\"draining\"", "rack draining");
	like(text, "\"name\":\"r3\",\"state\":\"down\"", "rack down");
	like(text, "\"name\":\"r4\",\"state\":\"unknown\"", "rack unknown");
	like(text, "\"name\":\"r5\",\"state\":\"unhealthy\"", "rack unhealthy");
	like(text, "\"name\":\"r6\",\"state\":\"busy\"", "rack busy");
	like(text, "\"name\":\"r6\"[^}]*\"used\":4,\"jobs\":1",
	     "... with its GPUs in use and its job");
	like(text, "\"name\":\"r7\",\"state\":\"drained\"",
	     "rack whose every node up is drained");
	like(text,
	     "\"racks_by_state\":\\{\"idle\":1,\"busy\":1,"
	     "\"draining\":1,\"drained\":1,\"down\":1,\"unhealthy\":1,"
	     "\"unknown\":1\\}",
	     "totals by state");
	free(text);

	is_int(http_api_nodes(&ctl, &q, b), 200, "/api/nodes answers 200");
	text = drain(b);
	like(text,
	     "\"name\":\"n11\".*\"gpu\":\\[\\{\"index\":0,\"state\":"
	     "\"used\",\"job\":42\\}",
	     "a node's GPUs name the job holding them");
	like(text, "\"name\":\"n11\".*\"jobs\":\\[42\\]", "... and its jobs");
	free(text);
	evhttp_add_header(&q, "limit", "2");
	evhttp_add_header(&q, "offset", "3");
	is_int(http_api_nodes(&ctl, &q, b), 200, "/api/nodes in pages");
	text = drain(b);
	like(text,
	     "\"matched\":14,\"nodes\":\\[\\{\"name\":\"n04\".*"
	     "\\{\"name\":\"n05\"",
	     "... limit and offset pick n04 and n05 of 14");
	ok(!strstr(text, "\"n06\"") && !strstr(text, "\"n03\""),
	   "... and no other");
	free(text);
	evhttp_clear_headers(&q);
	evhttp_add_header(&q, "rack", "nope");
	is_int(http_api_nodes(&ctl, &q, b), 404, "an unknown rack is 404");
	text = drain(b);
	like(text, "^\\{\"error\":\"no such rack\"\\}", "... with a message");
	free(text);
	evhttp_clear_headers(&q);

	node_use_remove(nodes[11], &a);
	http_destroy(ctl.http);
	ctl.http = NULL;
	metrics_rpc(&ctl, "submit_job", 0, 10);
	ok(1, "hooks after the endpoint is gone do nothing");
	job_table_destroy(ctl.jobs);
	cluster_destroy(ctl.cluster);
	free(ctl.cfg.http_listen);
	free(ctl.cfg.web_dir);
	event_base_free(ctl.base);
	evbuffer_free(b);
	free(dummy_job);
	return done_testing();
}
