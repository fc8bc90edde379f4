/*
 * Unit tests for controller/jobspec.c: jobspec_validate fills in defaults
 * (nodes from a GPU total, GPUs per node, ranks per node, one rank per
 * GPU, time limit default and cap, restart limit) and refuses every kind
 * of bad spec with a message for the user.
 *
 * Protects DESIGN invariant 7 (invalid job specs get a clear error and
 * nothing is stored) and, through the size rules, invariant 4's premise
 * that multi-node gangs take whole nodes.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "controller/jobspec.h"
#include "tests/lib/tap.h"

static char *cmd_argv[] = { "/bin/true" };

/* A minimal valid spec: one command, everything else default. */
static void spec_init(Colossus__JobSpec *s)
{
	colossus__job_spec__init(s);
	s->n_argv = 1;
	s->argv = cmd_argv;
}

static struct jobspec_limits lim_init(void)
{
	struct jobspec_limits l;

	memset(&l, 0, sizeof(l));
	l.cluster_nodes = 1000;
	l.gpus_per_node = 8;
	l.default_time_limit = 3600;
	l.max_time_limit = 7 * 24 * 3600;
	l.default_max_restarts = 3;
	l.next_job_id = 100;
	l.is_admin = false;
	return l;
}

/* Validate and expect success; print the error otherwise. */
static bool accepts(Colossus__JobSpec *s, const struct jobspec_limits *l)
{
	struct err e = { "" };

	if (jobspec_validate(s, l, &e) == 0)
		return true;
	diag("refused: %s", e.msg);
	return false;
}

/*
 * Validate and expect refusal with a message containing want (which
 * proves the refusal came from the rule under test, not another one).
 */
static void refuses(Colossus__JobSpec *s, const struct jobspec_limits *l,
		    const char *want, const char *what)
{
	struct err e = { "" };
	int rc = jobspec_validate(s, l, &e);

	ok(rc == -1 && e.msg[0] && strstr(e.msg, want), "refused: %s", what);
	if (rc != -1)
		diag("  accepted, expected an error containing '%s'", want);
	else if (!strstr(e.msg, want))
		diag("  message '%s' does not contain '%s'", e.msg, want);
}

static void test_defaults(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;

	spec_init(&s);
	ok(accepts(&s, &l), "minimal spec accepted");
	is_int(s.nodes, 1, "default: one node");
	is_int(s.gpus_per_node, 8, "default: a whole node's GPUs");
	is_int(s.gpus, 8, "gpus total filled in");
	is_int(s.ranks_per_node, 1, "default: one rank per node");
	is_int(s.time_limit_sec, 3600, "default time limit applied");
	is_int(s.max_restarts, 3, "default restart limit applied");

	spec_init(&s);
	s.gpus = 3;
	ok(accepts(&s, &l), "gpus = 3 accepted");
	ok(s.nodes == 1 && s.gpus_per_node == 3, "3 GPUs -> 1 node x 3 GPUs");

	spec_init(&s);
	s.gpus = 8;
	ok(accepts(&s, &l) && s.nodes == 1 && s.gpus_per_node == 8,
	   "8 GPUs -> 1 node x 8");

	spec_init(&s);
	s.gpus = 64;
	ok(accepts(&s, &l) && s.nodes == 8 && s.gpus_per_node == 8 &&
		   s.gpus == 64,
	   "64 GPUs -> 8 nodes x 8");

	spec_init(&s);
	s.gpus = 8000;
	ok(accepts(&s, &l) && s.nodes == 1000, "8000 GPUs -> 1000 nodes");

	spec_init(&s);
	s.nodes = 4;
	ok(accepts(&s, &l) && s.gpus_per_node == 8 && s.gpus == 32,
	   "nodes = 4 -> 8 GPUs per node, 32 total");

	spec_init(&s);
	s.nodes = 1;
	s.gpus_per_node = 2;
	ok(accepts(&s, &l) && s.gpus == 2, "1 node x 2 GPUs accepted");

	spec_init(&s);
	s.gpus = 4;
	s.rank_per_gpu = 1;
	ok(accepts(&s, &l) && s.ranks_per_node == 4,
	   "rank_per_gpu: ranks per node = GPUs per node (4)");

	spec_init(&s);
	s.nodes = 2;
	s.rank_per_gpu = 1;
	s.ranks_per_node = 1; /* rank_per_gpu wins */
	ok(accepts(&s, &l) && s.ranks_per_node == 8,
	   "rank_per_gpu on 2 nodes -> 8 ranks per node");

	spec_init(&s);
	s.ranks_per_node = 16;
	ok(accepts(&s, &l) && s.ranks_per_node == 16,
	   "explicit ranks per node kept");
	spec_init(&s);
	s.ranks_per_node = JOBSPEC_MAX_RANKS_PER_NODE;
	ok(accepts(&s, &l), "ranks per node at the limit accepted");

	spec_init(&s);
	s.time_limit_sec = 600;
	ok(accepts(&s, &l) && s.time_limit_sec == 600,
	   "explicit time limit kept");
	spec_init(&s);
	s.time_limit_sec = l.max_time_limit;
	ok(accepts(&s, &l), "time limit equal to the maximum accepted");

	spec_init(&s);
	s.max_restarts = 10;
	ok(accepts(&s, &l) && s.max_restarts == 10,
	   "explicit restart limit kept");
	spec_init(&s);
	s.max_restarts = 1000;
	ok(accepts(&s, &l), "restart limit 1000 accepted");

	/* No limits configured: unlimited time. */
	{
		struct jobspec_limits u = lim_init();

		u.default_time_limit = 0;
		u.max_time_limit = 0;
		spec_init(&s);
		ok(accepts(&s, &u) && s.time_limit_sec == 0,
		   "no default and no cap: time limit stays unlimited (0)");
		u.gpus_per_node = 0; /* 0 means 8 */
		spec_init(&s);
		ok(accepts(&s, &u) && s.gpus_per_node == 8,
		   "limits.gpus_per_node 0 means 8");
		u.cluster_nodes = 0; /* unknown size: no cap */
		spec_init(&s);
		s.nodes = 5000;
		ok(accepts(&s, &u), "cluster size 0: no node cap");
	}

	/* A batch script instead of argv. */
	spec_init(&s);
	s.n_argv = 0;
	s.argv = NULL;
	s.script = "#!/bin/sh\necho hi\n";
	ok(accepts(&s, &l), "batch script without argv accepted");

	/* Valid names, env, paths, dependencies. */
	{
		char *env[] = { "A=1", "_X=", "PATH=/usr/bin:/bin",
				"LONG_NAME_9=a=b=c" };
		char *feat[] = { "ib", "nvme.local", "H100-80GB" };
		uint64_t after[] = { 1, 99 };

		spec_init(&s);
		s.n_env = ARRAY_SIZE(env);
		s.env = env;
		s.workdir = "/home/alice/run";
		s.stdout_path = "out-%j-%r.log";
		s.account = "ml-research_2";
		s.qos = "high";
		s.gpu_model = "H100";
		s.n_features = ARRAY_SIZE(feat);
		s.features = feat;
		s.n_after = 1;
		s.after = after;
		s.n_after_ok = 1;
		s.after_ok = after + 1;
		s.within = COLOSSUS__LEVEL__LEVEL_POD;
		s.name = "train llama \xc3\xa9t\xc3\xa9";
		s.nice = 5;
		ok(accepts(&s, &l), "a full valid spec is accepted");
	}
	spec_init(&s);
	s.nice = -5;
	{
		struct jobspec_limits a = lim_init();

		a.is_admin = true;
		ok(accepts(&s, &a), "negative nice accepted for admins");
	}
	spec_init(&s);
	s.nodes = 8;
	s.segment = 4;
	ok(accepts(&s, &l), "segment 4 of 8 nodes accepted");
	spec_init(&s);
	s.nodes = 8;
	s.segment = 8;
	ok(accepts(&s, &l), "segment equal to the node count accepted");
	spec_init(&s);
	s.nodes = 1000;
	ok(accepts(&s, &l), "exactly the cluster's node count accepted");
}

static void test_command(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	char **many;
	char *big;

	spec_init(&s);
	s.n_argv = 0;
	s.argv = NULL;
	refuses(&s, &l, "no command", "no argv and no script");
	s.script = "";
	refuses(&s, &l, "no command", "no argv and an empty script");

	{
		char *empty[] = { "", "x" };

		spec_init(&s);
		s.n_argv = 2;
		s.argv = empty;
		refuses(&s, &l, "empty", "empty command name");
	}

	many = xcalloc(JOBSPEC_MAX_ARGS + 1, sizeof(char *));
	for (int i = 0; i <= JOBSPEC_MAX_ARGS; i++)
		many[i] = "a";
	spec_init(&s);
	s.n_argv = JOBSPEC_MAX_ARGS;
	s.argv = many;
	ok(accepts(&s, &l), "%d arguments accepted", JOBSPEC_MAX_ARGS);
	spec_init(&s);
	s.n_argv = JOBSPEC_MAX_ARGS + 1;
	s.argv = many;
	refuses(&s, &l, "too many arguments", "one argument too many");

	big = xmalloc(JOBSPEC_MAX_ARG_LEN + 2);
	memset(big, 'a', JOBSPEC_MAX_ARG_LEN + 1);
	big[JOBSPEC_MAX_ARG_LEN] = '\0';
	{
		char *args[] = { "/bin/echo", big };

		spec_init(&s);
		s.n_argv = 2;
		s.argv = args;
		ok(accepts(&s, &l), "argument of %d bytes accepted",
		   JOBSPEC_MAX_ARG_LEN);
		big[JOBSPEC_MAX_ARG_LEN] = 'a';
		big[JOBSPEC_MAX_ARG_LEN + 1] = '\0';
		spec_init(&s);
		s.n_argv = 2;
		s.argv = args;
		refuses(&s, &l, "argument 1", "argument one byte too long");
	}
	/* Many arguments each within the limit but too much in total. */
	big[JOBSPEC_MAX_ARG_LEN] = '\0';
	for (int i = 0; i < 20; i++)
		many[i] = big;
	spec_init(&s);
	s.n_argv = 20;
	s.argv = many;
	refuses(&s, &l, "command line", "command line above 64 KiB");

	{
		size_t n = JOBSPEC_MAX_SCRIPT + 1;
		char *script = xmalloc(n + 1);

		memset(script, '#', n);
		script[n] = '\0';
		spec_init(&s);
		s.script = script;
		refuses(&s, &l, "script", "batch script above 1 MiB");
		free(script);
	}
	free(big);
	free(many);
}

static void test_env(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	static const struct {
		const char *kv;
		const char *want;
		const char *what;
	} bad[] = {
		{ "NOEQUALS", "NAME=value", "no '='" },
		{ "=value", "NAME=value", "empty name" },
		{ "1ABC=x", "must start", "name starting with a digit" },
		{ "-X=1", "must start", "name starting with '-'" },
		{ "A-B=1", "invalid character", "'-' in a name" },
		{ "A B=1", "invalid character", "space in a name" },
		{ "A.B=1", "invalid character", "'.' in a name" },
		{ "\xc3\xa9=1", "must start", "non-ASCII name" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *env[] = { "OK=1", (char *)bad[i].kv };

		spec_init(&s);
		s.n_env = 2;
		s.env = env;
		refuses(&s, &l, bad[i].want, bad[i].what);
	}
	{
		char **env = xcalloc(JOBSPEC_MAX_ENV + 1, sizeof(char *));

		for (int i = 0; i <= JOBSPEC_MAX_ENV; i++)
			env[i] = "A=1";
		spec_init(&s);
		s.n_env = JOBSPEC_MAX_ENV;
		s.env = env;
		ok(accepts(&s, &l), "%d environment entries accepted",
		   JOBSPEC_MAX_ENV);
		spec_init(&s);
		s.n_env = JOBSPEC_MAX_ENV + 1;
		s.env = env;
		refuses(&s, &l, "too many environment",
			"one environment entry too many");
		free(env);
	}
	{
		/* 100 entries of 3000 bytes: 300 KB > 256 KiB. */
		char *val = xmalloc(3001);
		char *env[100];

		memcpy(val, "V=", 2);
		memset(val + 2, 'v', 2998);
		val[3000] = '\0';
		for (int i = 0; i < 100; i++)
			env[i] = val;
		spec_init(&s);
		s.n_env = 100;
		s.env = env;
		refuses(&s, &l, "environment is", "environment above 256 KiB");
		free(val);
	}
}

static void test_paths(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	char *longpath;

	spec_init(&s);
	s.workdir = "relative/dir";
	refuses(&s, &l, "absolute", "relative working directory");
	spec_init(&s);
	s.workdir = "./x";
	refuses(&s, &l, "absolute", "working directory ./x");
	spec_init(&s);
	s.workdir = "/tmp/a\nb";
	refuses(&s, &l, "control", "newline in the working directory");
	spec_init(&s);
	s.stdout_path = "/tmp/out\x1b[31m";
	refuses(&s, &l, "control", "escape character in the output path");
	spec_init(&s);
	s.stderr_path = "/tmp/err\x7f";
	refuses(&s, &l, "control", "DEL in the error path");
	spec_init(&s);
	s.stderr_path = "/tmp/err\t";
	refuses(&s, &l, "control", "tab in the error path");

	longpath = xmalloc(JOBSPEC_MAX_PATH + 2);
	longpath[0] = '/';
	memset(longpath + 1, 'p', JOBSPEC_MAX_PATH);
	longpath[JOBSPEC_MAX_PATH] = '\0';
	spec_init(&s);
	s.workdir = longpath;
	ok(accepts(&s, &l), "working directory of %d bytes accepted",
	   JOBSPEC_MAX_PATH);
	longpath[JOBSPEC_MAX_PATH] = 'p';
	longpath[JOBSPEC_MAX_PATH + 1] = '\0';
	spec_init(&s);
	s.workdir = longpath;
	refuses(&s, &l, "too long", "working directory one byte too long");
	free(longpath);
}

static void test_names(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	char name[JOBSPEC_MAX_NAME + 2];
	char acct[70];

	spec_init(&s);
	s.name = "bad\nname";
	refuses(&s, &l, "job name", "control character in the job name");
	memset(name, 'n', sizeof(name) - 1);
	name[JOBSPEC_MAX_NAME] = '\0';
	spec_init(&s);
	s.name = name;
	ok(accepts(&s, &l), "job name of %d characters accepted",
	   JOBSPEC_MAX_NAME);
	name[JOBSPEC_MAX_NAME] = 'n';
	name[JOBSPEC_MAX_NAME + 1] = '\0';
	spec_init(&s);
	s.name = name;
	refuses(&s, &l, "job name", "job name one character too long");

	spec_init(&s);
	s.account = "ml research";
	refuses(&s, &l, "account", "space in the account");
	spec_init(&s);
	s.account = "acct;drop";
	refuses(&s, &l, "account", "';' in the account");
	memset(acct, 'a', sizeof(acct));
	acct[63] = '\0';
	spec_init(&s);
	s.account = acct;
	ok(accepts(&s, &l), "account of 63 characters accepted");
	acct[63] = 'a';
	acct[64] = '\0';
	spec_init(&s);
	s.account = acct;
	refuses(&s, &l, "account", "account of 64 characters");

	spec_init(&s);
	s.qos = "hi/gh";
	refuses(&s, &l, "QOS", "'/' in the QOS");
	spec_init(&s);
	s.gpu_model = "H100 80GB";
	refuses(&s, &l, "GPU model", "space in the GPU model");
	memset(acct, 'm', 32);
	acct[32] = '\0';
	spec_init(&s);
	s.gpu_model = acct;
	refuses(&s, &l, "GPU model", "GPU model of 32 characters");
	{
		char *feat[] = { "ok", "bad feature" };

		spec_init(&s);
		s.n_features = 2;
		s.features = feat;
		refuses(&s, &l, "feature", "space in a feature");
	}
	{
		char *feat[] = { "" };

		spec_init(&s);
		s.n_features = 1;
		s.features = feat;
		refuses(&s, &l, "feature", "empty feature");
	}
}

static void test_size(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;

	spec_init(&s);
	s.nodes = 1001;
	refuses(&s, &l, "cluster has", "more nodes than the cluster");
	spec_init(&s);
	s.gpus = 8008;
	refuses(&s, &l, "cluster has",
		"a GPU total needing more nodes than the cluster");
	spec_init(&s);
	s.nodes = JOBSPEC_MAX_NODES + 1;
	l.cluster_nodes = 0;
	refuses(&s, &l, "more than any cluster", "more nodes than any cluster");
	l = lim_init();

	spec_init(&s);
	s.nodes = 2;
	s.gpus_per_node = 4;
	refuses(&s, &l, "whole nodes", "2 nodes x 4 GPUs (not whole nodes)");
	spec_init(&s);
	s.nodes = 16;
	s.gpus_per_node = 1;
	refuses(&s, &l, "whole nodes", "16 nodes x 1 GPU");

	spec_init(&s);
	s.gpus = 12;
	refuses(&s, &l, "multiple of 8", "12 GPUs (above 8, not a multiple)");
	spec_init(&s);
	s.gpus = 9;
	refuses(&s, &l, "multiple of 8", "9 GPUs");
	spec_init(&s);
	s.gpus = 63;
	refuses(&s, &l, "multiple of 8", "63 GPUs");
	spec_init(&s);
	s.gpus = 16;
	s.nodes = 2;
	refuses(&s, &l, "not both", "a GPU total together with nodes");
	spec_init(&s);
	s.gpus = 4;
	s.gpus_per_node = 4;
	refuses(&s, &l, "not both", "a GPU total together with GPUs per node");

	spec_init(&s);
	s.gpus_per_node = 17;
	refuses(&s, &l, "GPUs per node", "17 GPUs per node");

	spec_init(&s);
	s.ranks_per_node = JOBSPEC_MAX_RANKS_PER_NODE + 1;
	refuses(&s, &l, "ranks per node", "too many ranks per node");

	spec_init(&s);
	s.nodes = 8;
	s.segment = 3;
	refuses(&s, &l, "segment", "segment 3 does not divide 8 nodes");
	spec_init(&s);
	s.nodes = 4;
	s.segment = 8;
	refuses(&s, &l, "segment", "segment larger than the job");
	spec_init(&s);
	s.gpus = 4;
	s.segment = 2;
	refuses(&s, &l, "segment", "segment 2 for a one-node job");
}

/*
 * One-node jobs may take 1-8 GPUs (proto/types.proto: "1..8 for one-node
 * jobs").  Asking for more GPUs than a whole node has can never be
 * placed, so it must be refused, not left pending forever.  The GPU total
 * path already refuses 12 GPUs ("more than one node's worth must be a
 * multiple"); nodes x GPUs per node must agree.
 */
static void test_more_than_a_node(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	struct err e = { "" };

	spec_init(&s);
	s.nodes = 1;
	s.gpus_per_node = 12;
	ok(jobspec_validate(&s, &l, &e) == -1,
	   "1 node x 12 GPUs on 8-GPU nodes is refused (%s)",
	   e.msg[0] ? e.msg : "accepted");
}

static void test_time_and_misc(void)
{
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;

	spec_init(&s);
	s.time_limit_sec = l.max_time_limit + 1;
	refuses(&s, &l, "site maximum", "time limit above the site maximum");
	{
		struct jobspec_limits u = lim_init();

		u.max_time_limit = 0;
		spec_init(&s);
		s.time_limit_sec = 366ull * 24 * 3600;
		refuses(&s, &u, "year", "time limit above a year (no cap)");
		spec_init(&s);
		s.time_limit_sec = 365ull * 24 * 3600;
		ok(accepts(&s, &u), "time limit of exactly a year accepted");
	}
	{
		struct jobspec_limits u = lim_init();

		/* A default above the cap is the site's mistake, but the
		 * job must still not get more than the cap: refused, or
		 * capped. */
		struct err e = { "" };
		int rc;

		u.default_time_limit = 10 * 24 * 3600;
		spec_init(&s);
		rc = jobspec_validate(&s, &u, &e);
		ok(rc == -1 || s.time_limit_sec <= u.max_time_limit,
		   "a default above the cap is not silently granted (%s)",
		   rc ? e.msg : "accepted");
	}

	spec_init(&s);
	s.max_restarts = 1001;
	refuses(&s, &l, "restart limit", "restart limit above 1000");

	spec_init(&s);
	s.nice = -1;
	refuses(&s, &l, "negative nice", "negative nice for a user");

	spec_init(&s);
	s.within = (Colossus__Level)7;
	refuses(&s, &l, "placement level", "unknown placement level");
	spec_init(&s);
	s.within = (Colossus__Level)-1;
	refuses(&s, &l, "placement level", "negative placement level");

	{
		uint64_t deps[3] = { 5, 100, 7 };

		spec_init(&s);
		s.n_after = 3;
		s.after = deps;
		refuses(&s, &l, "unknown job 100",
			"after: a job id not yet assigned");
		deps[1] = 0;
		spec_init(&s);
		s.n_after = 3;
		s.after = deps;
		refuses(&s, &l, "unknown job 0", "after: job id 0");
		deps[1] = 99;
		spec_init(&s);
		s.n_after = 3;
		s.after = deps;
		ok(accepts(&s, &l), "after: known ids accepted");
		deps[2] = 1000;
		spec_init(&s);
		s.n_after_ok = 3;
		s.after_ok = deps;
		refuses(&s, &l, "unknown job 1000", "after_ok: unknown job id");
		deps[2] = 0;
		spec_init(&s);
		s.n_after_ok = 3;
		s.after_ok = deps;
		refuses(&s, &l, "unknown job 0", "after_ok: job id 0");
	}
	{
		uint64_t *deps = xcalloc(JOBSPEC_MAX_DEPS + 1, sizeof(*deps));

		for (int i = 0; i <= JOBSPEC_MAX_DEPS; i++)
			deps[i] = 1 + (uint64_t)(i % 90);
		spec_init(&s);
		s.n_after = JOBSPEC_MAX_DEPS;
		s.after = deps;
		ok(accepts(&s, &l), "%d dependencies accepted",
		   JOBSPEC_MAX_DEPS);
		spec_init(&s);
		s.n_after = JOBSPEC_MAX_DEPS / 2;
		s.after = deps;
		s.n_after_ok = JOBSPEC_MAX_DEPS / 2 + 1;
		s.after_ok = deps;
		refuses(&s, &l, "too many dependencies",
			"after + after_ok above the limit");
		spec_init(&s);
		s.n_after = JOBSPEC_MAX_DEPS + 1;
		s.after = deps;
		refuses(&s, &l, "too many dependencies",
			"after above the limit");
		free(deps);
	}
	{
		char *ex[65];

		for (int i = 0; i < 65; i++)
			ex[i] = "n[1-4]";
		spec_init(&s);
		s.n_exclude_nodes = 65;
		s.exclude_nodes = ex;
		refuses(&s, &l, "exclude", "too many exclude expressions");
	}
	spec_init(&s);
	s.memory_mib = (1ull << 30) + 1;
	refuses(&s, &l, "memory", "implausible memory limit");
}

/*
 * max_time_limit caps what a job may ask for.  With no default time limit
 * configured (0 = unlimited, the shipped default) a job that gives none
 * must not end up unlimited, which is more than the cap: it is either
 * refused or given at most the cap.
 */
static void test_cap_without_default(void)
{
	struct jobspec_limits u = lim_init();
	Colossus__JobSpec s;
	struct err e = { "" };
	int rc;

	u.default_time_limit = 0;
	u.max_time_limit = 3600;
	spec_init(&s);
	rc = jobspec_validate(&s, &u, &e);
	ok(rc == -1 || (s.time_limit_sec > 0 && s.time_limit_sec <= 3600),
	   "no time limit given, no default, cap 3600 s: not unlimited "
	   "(rc %d, time limit %llu)",
	   rc, (unsigned long long)s.time_limit_sec);
}

/*
 * UTF-8: protobuf-c passes any bytes in a string field; PostgreSQL
 * refuses invalid UTF-8 in a text column, which used to fail the whole
 * group-committed batch the job was in.
 */
static void test_utf8(void)
{
	static const struct {
		const char *s;
		bool valid;
		const char *what;
	} cases[] = {
		{ "", true, "empty" },
		{ "plain ascii", true, "ASCII" },
		{ "caf\xc3\xa9", true, "two-byte sequence" },
		{ "\xe8\xae\xad\xe7\xbb\x83", true, "three-byte sequences" },
		{ "\xf0\x9f\x9a\x80", true, "four-byte sequence (U+1F680)" },
		{ "\xf4\x8f\xbf\xbf", true, "U+10FFFF" },
		{ "\xef\xbf\xbd", true, "U+FFFD" },
		{ "\xff", false, "byte FF" },
		{ "\x80", false, "lone continuation byte" },
		{ "caf\xc3", false, "truncated two-byte sequence" },
		{ "\xe8\xae", false, "truncated three-byte sequence" },
		{ "\xc3\x28", false, "bad continuation byte" },
		{ "\xc0\xaf", false, "overlong '/' (C0)" },
		{ "\xc1\xbf", false, "overlong (C1)" },
		{ "\xe0\x80\xaf", false, "overlong three-byte '/'" },
		{ "\xf0\x80\x80\xaf", false, "overlong four-byte '/'" },
		{ "\xed\xa0\x80", false, "surrogate U+D800" },
		{ "\xed\xbf\xbf", false, "surrogate U+DFFF" },
		{ "\xf4\x90\x80\x80", false, "above U+10FFFF" },
		{ "\xf5\x80\x80\x80", false, "lead byte F5" },
		{ "\xf8\x88\x80\x80\x80", false, "five-byte form" },
	};
	struct jobspec_limits l = lim_init();
	Colossus__JobSpec s;
	struct err e = { "" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(jobspec_utf8_valid(cases[i].s, strlen(cases[i].s)) ==
			   cases[i].valid,
		   "utf8 %s: %s", cases[i].valid ? "valid" : "invalid",
		   cases[i].what);
	ok(!jobspec_utf8_valid("a\0b", 3), "NUL inside the length refused");
	ok(jobspec_utf8_valid("\xc3\xa9xyz", 2),
	   "only the bytes within the length count");
	ok(!jobspec_utf8_valid("\xc3\xa9", 1),
	   "a sequence cut by the length is refused");

	spec_init(&s);
	s.name = "\xe8\xae\xad\xe7\xbb\x83 caf\xc3\xa9 \xf0\x9f\x9a\x80";
	ok(accepts(&s, &l), "UTF-8 job name accepted");
	spec_init(&s);
	s.name = "bad\xff";
	refuses(&s, &l, "field name is not valid UTF-8",
		"invalid UTF-8 in the job name");
	spec_init(&s);
	s.workdir = "/tmp/\xc0\xaf";
	refuses(&s, &l, "field workdir is not valid UTF-8",
		"overlong form in the working directory");
	{
		char *argv[] = { "/bin/echo", "ok", "\xed\xa0\x80" };
		char *env[] = { "A=1", "B=\x80" };

		spec_init(&s);
		s.n_argv = 3;
		s.argv = argv;
		refuses(&s, &l, "field argv is not valid UTF-8",
			"surrogate in the third argument");
		spec_init(&s);
		s.n_env = 2;
		s.env = env;
		refuses(&s, &l, "field env is not valid UTF-8",
			"continuation byte in an environment value");
	}
	spec_init(&s);
	s.n_argv = 0;
	s.script = "#!/bin/sh\necho \xfe\n";
	refuses(&s, &l, "field script is not valid UTF-8",
		"invalid byte in the batch script");

	/* Nested messages and oneofs: a whole request is walked. */
	{
		Colossus__Request req = COLOSSUS__REQUEST__INIT;
		Colossus__SubmitJob sj = COLOSSUS__SUBMIT_JOB__INIT;

		spec_init(&s);
		sj.spec = &s;
		sj.submit_key = "0123abcd";
		req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
		req.submit_job = &sj;
		ok(jobspec_check_strings(&req.base, &e) == 0,
		   "valid request passes");
		sj.submit_key = "key\xff";
		ok(jobspec_check_strings(&req.base, &e) == -1 &&
			   !strcmp(e.msg, "field submit_job.submit_key is not "
					  "valid UTF-8"),
		   "submit key in a oneof body: '%s'", e.msg);
		sj.submit_key = "k";
		s.name = "\xc3";
		ok(jobspec_check_strings(&req.base, &e) == -1 &&
			   !strcmp(e.msg, "field submit_job.spec.name is not "
					  "valid UTF-8"),
		   "nested spec name: '%s'", e.msg);
		/* No oneof member is set: the union is not read. */
		req.body_case = COLOSSUS__REQUEST__BODY__NOT_SET;
		ok(jobspec_check_strings(&req.base, &e) == 0,
		   "inactive oneof member not read");
		ok(jobspec_check_strings(NULL, &e) == 0, "NULL message passes");
	}
	{
		Colossus__NodeInventory inv = COLOSSUS__NODE_INVENTORY__INIT;
		Colossus__GpuInfo g0 = COLOSSUS__GPU_INFO__INIT;
		Colossus__GpuInfo g1 = COLOSSUS__GPU_INFO__INIT;
		Colossus__GpuInfo *gpus[] = { &g0, &g1 };

		g0.model = "H100";
		g1.model = "H\xe2\x82";
		inv.n_gpus = 2;
		inv.gpus = gpus;
		ok(jobspec_check_strings(&inv.base, &e) == -1 &&
			   !strcmp(e.msg,
				   "field gpus.model is not valid UTF-8"),
		   "repeated nested message: '%s'", e.msg);
	}
}

int main(void)
{
	test_defaults();
	test_command();
	test_env();
	test_paths();
	test_names();
	test_size();
	test_more_than_a_node();
	test_time_and_misc();
	test_cap_without_default();
	test_utf8();
	return done_testing();
}
