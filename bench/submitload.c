/*
 * submitload: the submit benchmark's load generator.
 *
 * N clients, one process each (fork), each with its own TLS connection
 * through the CLI's blocking rpcclient, submit jobs one after the other
 * as fast as the controller acknowledges them, for a fixed time or a
 * fixed number of jobs.  A job counts only when its SubmitJob reply says
 * OK, i.e. after the controller committed it (DESIGN invariant 1), so
 * "acknowledged" here is what the database must hold afterwards: every
 * acknowledged id is written to OUT/ids.<client> for the script to check.
 *
 * Job mixes (--mix):
 *   small         1 node, 1 GPU, "sleep RUN"
 *   backlog       the scheduling benchmark's mix: 98% one-node jobs of
 *                 1, 2, 4 or 8 GPUs (35/15/15/35%), 2% whole-node gangs
 *                 of 2..1024 nodes (sizes 2^k, weights 40, 25, 15, 8, 5,
 *                 3, 2, 1, 0.6, 0.4%); job k is the same whatever the
 *                 number of clients (seeded by --seed and k)
 *   gang:N        N whole nodes of 8 GPUs
 *
 * Trace replay (--trace FILE, the CSV of ../shared/traces: submit_s,
 * gpus, duration_s, ...): each job is submitted at its submit time
 * divided by --time-scale (client k of N takes rows k, k+N, ...), as
 * "sleep DURATION" (the simulator divides durations by the same scale)
 * with a time limit of twice the duration; 1-8 GPUs on one node, more
 * as whole 8-GPU nodes.  --days D keeps the first D days, --copies K
 * submits every row K times (K times the offered load, for a cluster
 * bigger than the trace's), --big-gangs G adds G whole-node gangs of
 * 64, 128, ..., 4096 nodes (in turn, 4 hours each) spread evenly over
 * the window, standing for the pre-training runs the trace lacks.
 * Every acknowledged job goes to OUT/trace.<client> as "id due_ms
 * ack_ms nodes gpus_per_node duration_s".
 *
 * Output: one summary line (acked, errors, rate, latency percentiles).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/rpcclient.h"
#include "common/util.h"
#include "common/xalloc.h"

struct load_opts {
	struct rpcclient_opts rpc;
	unsigned clients;
	double seconds;
	uint64_t count;
	const char *mix;
	unsigned gang_nodes;
	double run;
	bool hold;
	uint64_t seed;
	const char *out;
	char **env;
	size_t nenv;
	/* Trace replay. */
	const char *trace;
	double time_scale, days;
	unsigned copies, big_gangs;
	struct trace_job *tjobs;
	size_t ntjobs;
};

struct trace_job {
	double submit_s, duration_s;
	unsigned nodes, gpn;
};

struct load_summary {
	uint64_t acked, errors, lost;
	int64_t first_us, last_us; /* wall clock of first send, last ack */
	uint64_t nlat;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: submitload --controller HOST:PORT --ca F --cert F "
		"--key F --out DIR\n"
		"                  [--clients N] (--seconds S | --count N)\n"
		"                  [--mix small|backlog|gang:N] [--run SEC] "
		"[--hold]\n"
		"                  [--env NAME=VALUE]... [--seed N]\n"
		"       submitload ... --out DIR --trace CSV [--time-scale X] "
		"[--days D]\n"
		"                  [--copies K] [--big-gangs G] "
		"[--clients N]\n");
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A uniform number in [0, 1) from the k-th draw of job j. */
static double draw(uint64_t seed, uint64_t j, unsigned k)
{
	return (double)(splitmix(seed ^ splitmix(j * 8 + k)) >> 11) /
	       9007199254740992.0;
}

static unsigned pick(double u, const double *w, const unsigned *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u < w[i])
			return v[i];
		u -= w[i];
	}
	return v[n - 1];
}

/* Size of job k (nodes, GPUs per node) for the mix. */
static void job_size(const struct load_opts *o, uint64_t k, unsigned *nodes,
		     unsigned *gpn)
{
	static const double gw[] = { 0.35, 0.15, 0.15, 0.35 };
	static const unsigned gv[] = { 1, 2, 4, 8 };
	static const double nw[] = { 0.40, 0.25, 0.15, 0.08,  0.05,
				     0.03, 0.02, 0.01, 0.006, 0.004 };
	static const unsigned nv[] = {
		2, 4, 8, 16, 32, 64, 128, 256, 512, 1024
	};

	if (o->gang_nodes) {
		*nodes = o->gang_nodes;
		*gpn = 8;
	} else if (!strcmp(o->mix, "backlog") && draw(o->seed, k, 0) >= 0.98) {
		*nodes = pick(draw(o->seed, k, 1), nw, nv, 10);
		*gpn = 8;
	} else if (!strcmp(o->mix, "backlog")) {
		*nodes = 1;
		*gpn = pick(draw(o->seed, k, 1), gw, gv, 4);
	} else {
		*nodes = 1;
		*gpn = 1;
	}
}

static int trace_cmp(const void *a, const void *b)
{
	const struct trace_job *x = a, *y = b;

	return x->submit_s < y->submit_s ? -1 : x->submit_s > y->submit_s;
}

/* Read the CSV (header line first), keep the window, add the gangs. */
static int trace_load(struct load_opts *o)
{
	FILE *f = fopen(o->trace, "r");
	char line[512];
	size_t cap = 0;
	double last = 0;

	if (!f) {
		fprintf(stderr, "submitload: %s: %s\n", o->trace,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		double t, d;
		unsigned g;

		if (sscanf(line, "%lf,%u,%lf", &t, &g, &d) != 3 || !g)
			continue;
		if (o->days > 0 && t >= o->days * 86400)
			break;
		for (unsigned c = 0; c < o->copies; c++) {
			struct trace_job *j;

			if (o->ntjobs == cap) {
				cap = cap ? cap * 2 : 4096;
				o->tjobs = xreallocarray(o->tjobs, cap,
							 sizeof(*o->tjobs));
			}
			j = &o->tjobs[o->ntjobs++];
			j->submit_s = t;
			j->duration_s = d;
			j->nodes = g <= 8 ? 1 : (g + 7) / 8;
			j->gpn = g <= 8 ? g : 8;
		}
		last = t;
	}
	fclose(f);
	for (unsigned i = 0; i < o->big_gangs; i++) {
		struct trace_job *j;

		o->tjobs = xreallocarray(o->tjobs, o->ntjobs + 1,
					 sizeof(*o->tjobs));
		j = &o->tjobs[o->ntjobs++];
		j->submit_s = last * (i + 0.5) / o->big_gangs;
		j->duration_s = 4 * 3600;
		j->nodes = 64u << (i % 7);
		j->gpn = 8;
	}
	qsort(o->tjobs, o->ntjobs, sizeof(*o->tjobs), trace_cmp);
	return 0;
}

static int client_main(const struct load_opts *o, unsigned id, int64_t start_us,
		       uint64_t quota)
{
	struct rpcclient *rc;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__WhoAmI who = COLOSSUS__WHO_AM_I__INIT;
	Colossus__Response *resp;
	struct load_summary sum;
	uint32_t *lat = NULL;
	size_t latcap = 0;
	char path[4096], run[32], key[64];
	FILE *ids, *f, *tr = NULL;
	int64_t end_us = start_us + (int64_t)(o->seconds * 1e6);
	struct err e;

	memset(&sum, 0, sizeof(sum));
	rc = rpcclient_create(&o->rpc, &e);
	if (!rc) {
		fprintf(stderr, "submitload: %s\n", e.msg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ids.%u", o->out, id);
	ids = fopen(path, "w");
	if (!ids) {
		fprintf(stderr, "submitload: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (o->trace) {
		snprintf(path, sizeof(path), "%s/trace.%u", o->out, id);
		tr = fopen(path, "w");
		if (!tr) {
			fprintf(stderr, "submitload: %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		quota = o->ntjobs / o->clients + (id < o->ntjobs % o->clients);
	}
	/* Connect (TLS handshake) before the clock starts. */
	req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
	req.whoami = &who;
	resp = rpcclient_call(rc, &req, &e);
	if (!resp) {
		fprintf(stderr, "submitload: client %u: %s\n", id, e.msg);
		return 1;
	}
	rpcclient_response_free(resp);
	while (now_us() < start_us)
		usleep(1000);
	snprintf(run, sizeof(run), "%.0f", o->run);
	for (uint64_t n = 0; quota ? n < quota : now_us() < end_us; n++) {
		Colossus__SubmitJob sub = COLOSSUS__SUBMIT_JOB__INIT;
		Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
		char *argv[] = { (char *)"sleep", run };
		uint64_t k = n * o->clients + id;
		unsigned nodes, gpn;
		int64_t t0, due_us = 0;

		if (tr) {
			const struct trace_job *tj = &o->tjobs[k];

			nodes = tj->nodes;
			gpn = tj->gpn;
			snprintf(run, sizeof(run), "%.0f", tj->duration_s);
			spec.time_limit_sec = (uint64_t)(2 * tj->duration_s);
			due_us = start_us +
				 (int64_t)(tj->submit_s / o->time_scale * 1e6);
			while (now_us() < due_us)
				usleep((useconds_t)MIN(due_us - now_us() + 1,
						       100000));
		} else {
			job_size(o, k, &nodes, &gpn);
		}
		spec.name = (char *)"bench";
		spec.nodes = nodes;
		spec.gpus_per_node = gpn;
		spec.n_argv = 2;
		spec.argv = argv;
		spec.n_env = o->nenv;
		spec.env = o->env;
		spec.workdir = (char *)"/tmp";
		spec.hold = o->hold;
		snprintf(key, sizeof(key), "load-%d-%u-%" PRIu64, (int)getpid(),
			 id, n);
		sub.spec = &spec;
		sub.submit_key = key;
		req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
		req.submit_job = &sub;
		t0 = now_us();
		if (!sum.first_us)
			sum.first_us = t0;
		resp = rpcclient_call(rc, &req, &e);
		if (!resp) {
			sum.lost++;
			fprintf(stderr, "submitload: client %u: %s\n", id,
				e.msg);
			if (rpcclient_failure(rc) != RPCCLIENT_FAIL_LOST)
				break;
			continue;
		}
		if (resp->status != COLOSSUS__STATUS__STATUS_OK ||
		    resp->body_case != COLOSSUS__RESPONSE__BODY_SUBMIT_JOB) {
			if (sum.errors++ < 5)
				fprintf(stderr,
					"submitload: client %u: status %d: "
					"%s\n",
					id, (int)resp->status,
					resp->error ? resp->error : "");
			rpcclient_response_free(resp);
			continue;
		}
		fprintf(ids, "%" PRIu64 "\n", resp->submit_job->job_id);
		sum.acked++;
		sum.last_us = now_us();
		if (tr)
			fprintf(tr,
				"%" PRIu64 " %" PRId64 " %" PRId64
				" %u %u %s\n",
				resp->submit_job->job_id, due_us / 1000,
				sum.last_us / 1000, nodes, gpn, run);
		rpcclient_response_free(resp);
		if (sum.nlat == latcap) {
			latcap = latcap ? latcap * 2 : 4096;
			lat = xreallocarray(lat, latcap, sizeof(*lat));
		}
		lat[sum.nlat++] = (uint32_t)(sum.last_us - t0);
	}
	fclose(ids);
	if (tr)
		fclose(tr);
	rpcclient_destroy(rc);
	snprintf(path, sizeof(path), "%s/lat.%u", o->out, id);
	f = fopen(path, "w");
	if (!f || fwrite(&sum, sizeof(sum), 1, f) != 1 ||
	    (sum.nlat && fwrite(lat, sizeof(*lat), sum.nlat, f) != sum.nlat)) {
		fprintf(stderr, "submitload: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fclose(f);
	free(lat);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int gather(const struct load_opts *o, int64_t start_us, int failed)
{
	struct load_summary tot;
	uint32_t *all = NULL;
	size_t n = 0;
	int64_t last = start_us, first = 0;
	double secs;

	memset(&tot, 0, sizeof(tot));
	for (unsigned i = 0; i < o->clients; i++) {
		char path[4096];
		struct load_summary s;
		FILE *f;

		snprintf(path, sizeof(path), "%s/lat.%u", o->out, i);
		f = fopen(path, "r");
		if (!f || fread(&s, sizeof(s), 1, f) != 1) {
			if (f)
				fclose(f);
			failed++;
			continue;
		}
		all = xreallocarray(all, n + s.nlat + 1, sizeof(*all));
		if (fread(all + n, sizeof(*all), s.nlat, f) != s.nlat)
			failed++;
		fclose(f);
		n += s.nlat;
		tot.acked += s.acked;
		tot.errors += s.errors;
		tot.lost += s.lost;
		if (s.last_us > last)
			last = s.last_us;
		if (s.first_us && (!first || s.first_us < first))
			first = s.first_us;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	secs = (double)(last - start_us) / 1e6;
	printf("submitload: clients=%u mix=%s seconds=%.2f acked=%" PRIu64
	       " errors=%" PRIu64 " lost=%" PRIu64 " rate=%.1f/s",
	       o->clients, o->mix, secs, tot.acked, tot.errors, tot.lost,
	       secs > 0 ? (double)tot.acked / secs : 0.0);
	if (n)
		printf(" lat_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f",
		       all[n / 2] / 1000.0, all[n * 9 / 10] / 1000.0,
		       all[n * 99 / 100] / 1000.0, all[n - 1] / 1000.0);
	printf(" first_send_ms=%" PRId64 " failed_clients=%d\n", first / 1000,
	       failed);
	free(all);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "controller", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'k' },
		{ "clients", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'N' },
		{ "mix", required_argument, NULL, 'm' },
		{ "run", required_argument, NULL, 'r' },
		{ "hold", no_argument, NULL, 'H' },
		{ "env", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 'S' },
		{ "out", required_argument, NULL, 'o' },
		{ "trace", required_argument, NULL, 'T' },
		{ "time-scale", required_argument, NULL, 'x' },
		{ "days", required_argument, NULL, 'd' },
		{ "copies", required_argument, NULL, 'K' },
		{ "big-gangs", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_opts o;
	pid_t *pids;
	int64_t start_us;
	int c, failed = 0;

	memset(&o, 0, sizeof(o));
	o.clients = 1;
	o.mix = "small";
	o.run = 600;
	o.seed = 1;
	o.time_scale = 1000;
	o.copies = 1;
	o.rpc.call_timeout_ms = 120000;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.rpc.controllers = optarg;
			break;
		case 'a':
			o.rpc.ca_file = optarg;
			break;
		case 'C':
			o.rpc.cert_file = optarg;
			break;
		case 'k':
			o.rpc.key_file = optarg;
			break;
		case 'n':
			o.clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o.seconds = strtod(optarg, NULL);
			break;
		case 'N':
			o.count = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			o.mix = optarg;
			break;
		case 'r':
			o.run = strtod(optarg, NULL);
			break;
		case 'H':
			o.hold = true;
			break;
		case 'e':
			o.env = xreallocarray(o.env, o.nenv + 1,
					      sizeof(*o.env));
			o.env[o.nenv++] = optarg;
			break;
		case 'S':
			o.seed = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'T':
			o.trace = optarg;
			break;
		case 'x':
			o.time_scale = strtod(optarg, NULL);
			break;
		case 'd':
			o.days = strtod(optarg, NULL);
			break;
		case 'K':
			o.copies = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'G':
			o.big_gangs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!strncmp(o.mix, "gang:", 5))
		o.gang_nodes = (unsigned)strtoul(o.mix + 5, NULL, 10);
	if (optind != argc || !o.rpc.controllers || !o.rpc.ca_file ||
	    !o.rpc.cert_file || !o.rpc.key_file || !o.out || !o.clients ||
	    o.clients > 1024 || (o.seconds <= 0 && !o.count && !o.trace) ||
	    (strcmp(o.mix, "small") && strcmp(o.mix, "backlog") &&
	     !o.gang_nodes)) {
		usage(stderr);
		return 2;
	}
	if (o.trace) {
		if (o.time_scale <= 0 || !o.copies || trace_load(&o) < 0)
			return 2;
		o.mix = "trace";
		if (o.ntjobs < o.clients)
			o.clients = o.ntjobs ? (unsigned)o.ntjobs : 1;
	}
	if (o.count && o.count < o.clients)
		o.clients = (unsigned)o.count;
	if (mkdir(o.out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "submitload: %s: %s\n", o.out, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	/* Every client connects, then all start together. */
	start_us = now_us() + 500000 + 20000 * (int64_t)o.clients;
	pids = xcalloc(o.clients, sizeof(*pids));
	for (unsigned i = 0; i < o.clients; i++) {
		uint64_t quota = o.count ? o.count / o.clients +
						   (i < o.count % o.clients)
					 : 0;

		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "submitload: fork: %s\n",
				strerror(errno));
			failed++;
			continue;
		}
		if (pids[i] == 0)
			_exit(client_main(&o, i, start_us, quota));
	}
	for (unsigned i = 0; i < o.clients; i++) {
		int st;

		if (pids[i] > 0 && (waitpid(pids[i], &st, 0) < 0 ||
				    !WIFEXITED(st) || WEXITSTATUS(st)))
			failed++;
	}
	free(pids);
	free(o.env);
	free(o.tjobs);
	return gather(&o, start_us, failed);
}
