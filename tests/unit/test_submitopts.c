/*
 * Unit tests for client/submitopts.c and client/opts.c: submit options
 * from the command line and from #COLOSSUS lines into a JobSpec, their
 * precedence, time limits and bad values.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/submitopts.h"
#include "tests/lib/tap.h"

/* Parse a NULL-terminated word list as the command line.  0 or -1. */
static int cli(struct submit_opts *so, struct opts_rest *rest, struct err *e,
	       ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, e);
	while (argc < 63 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return submitopts_parse_cli(so, argc, argv, NULL, 0, rest, e);
}

/* Parse one option and return 0/-1; e holds the message. */
static int one(struct submit_opts *so, const char *opt, const char *val,
	       struct err *e)
{
	struct opts_rest rest;
	int rc = cli(so, &rest, e, (char *)opt, (char *)val, (char *)NULL);

	if (rc == 0)
		opts_rest_free(&rest);
	return rc;
}

static int load(struct submit_opts *so, const char *text, const char *name,
		struct err *e)
{
	return submitopts_load_script(so, text, strlen(text), name, NULL, e);
}

static void test_sizes_and_names(void)
{
	struct submit_opts so;
	struct opts_rest rest;
	struct err e;

	submitopts_init(&so);
	ok(cli(&so, &rest, &e, "-N", "4", "--gpus-per-node=8", "-J", "pretrain",
	       "-A", "ml-research", "-q", "high", "--gpu-model", "H200",
	       "--ranks-per-node", "8", "--", "python", "train.py", "--lr",
	       "3e-4", (char *)NULL) == 0,
	   "a full command line parses");
	is_int(so.spec.nodes, 4, "-N 4");
	is_int(so.spec.gpus_per_node, 8, "--gpus-per-node=8");
	is_str(so.spec.name, "pretrain", "-J");
	is_str(so.spec.account, "ml-research", "-A");
	is_str(so.spec.qos, "high", "-q is the QOS (as in sbatch)");
	is_str(so.spec.gpu_model, "H200", "--gpu-model");
	is_int(so.spec.ranks_per_node, 8, "--ranks-per-node");
	ok(rest.dashdash, "the command follows --");
	is_int(rest.n, 4, "four command words");
	is_str(rest.args[2], "--lr", "options after -- belong to the command");
	submitopts_set_command(&so, (int)rest.n, rest.args);
	opts_rest_free(&rest);
	ok(submitopts_finish(&so, "/home/alice", &e) == 0, "finish");
	is_str(so.spec.workdir, "/home/alice", "workdir defaults to the cwd");
	is_int(so.spec.n_argv, 4, "argv copied into the spec");
	is_str(so.spec.argv[0], "python", "argv[0]");
	ok(!so.quiet, "not quiet by default");
	submitopts_fini(&so);

	submitopts_init(&so);
	ok(one(&so, "-G", "16", &e) == 0 && so.spec.gpus == 16, "-G 16");
	ok(one(&so, "--rank-per-gpu", NULL, &e) == 0 && so.spec.rank_per_gpu,
	   "--rank-per-gpu");
	ok(one(&so, "--quiet", NULL, &e) == 0 && so.quiet, "--quiet");
	submitopts_fini(&so);

	submitopts_init(&so);
	ok(one(&so, "--parsable", NULL, &e) == 0 && so.quiet,
	   "--parsable is --quiet");
	ok(one(&so, "--ntasks-per-node", "2", &e) == 0 &&
		   so.spec.ranks_per_node == 2,
	   "--ntasks-per-node is an alias");
	ok(one(&so, "--job-name", "x", &e) == 0 && !strcmp(so.spec.name, "x"),
	   "--job-name is an alias");
	ok(one(&so, "-J", "y", &e) == 0 && !strcmp(so.spec.name, "y"),
	   "a repeated scalar option replaces the value");
	submitopts_fini(&so);
}

static void test_time_and_placement(void)
{
	static const struct {
		const char *in;
		uint64_t sec;
	} limits[] = {
		{ "90", 5400 },		  { "90m", 5400 },
		{ "4h", 14400 },	  { "1h30m", 5400 },
		{ "2-00:00:00", 172800 }, { "30:00", 1800 },
		{ "1:02:03", 3723 },
	};
	struct submit_opts so;
	struct err e;

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		submitopts_init(&so);
		ok(one(&so, "-t", limits[i].in, &e) == 0 &&
			   so.spec.time_limit_sec == limits[i].sec,
		   "-t %s is %llu s", limits[i].in,
		   (unsigned long long)limits[i].sec);
		submitopts_fini(&so);
	}
	submitopts_init(&so);
	ok(one(&so, "-t", "1:75", &e) < 0, "-t 1:75 fails");
	ok(strstr(e.msg, "-t: invalid time limit '1:75'") == e.msg,
	   "the message names the option: %s", e.msg);
	ok(one(&so, "--time", "4x", &e) < 0, "an unknown unit fails");
	ok(strstr(e.msg, "--time: ") == e.msg,
	   "long spelling in the message: %s", e.msg);
	ok(one(&so, "-t", "unlimited", &e) < 0,
	   "'unlimited' is refused (0 on the wire is the site default)");
	ok(one(&so, "-t", "", &e) < 0, "an empty limit fails");

	ok(one(&so, "--within", "pod", &e) == 0 &&
		   so.spec.within == COLOSSUS__LEVEL__LEVEL_POD &&
		   so.spec.within_wait_sec == 0,
	   "--within pod");
	ok(one(&so, "--within", "Rack@30m", &e) == 0 &&
		   so.spec.within == COLOSSUS__LEVEL__LEVEL_RACK &&
		   so.spec.within_wait_sec == 1800,
	   "--within Rack@30m: level and wait");
	ok(one(&so, "--within", "rak", &e) < 0, "an unknown level fails");
	ok(one(&so, "--within", "hall@soon", &e) < 0, "a bad wait fails");
	ok(one(&so, "--segment", "4", &e) == 0 && so.spec.segment == 4,
	   "--segment");
	ok(one(&so, "--progress-timeout", "30m", &e) == 0 &&
		   so.spec.progress_timeout_sec == 1800,
	   "--progress-timeout 30m");
	submitopts_fini(&so);
}

static void test_bad_numbers(void)
{
	static const char *const bad[][2] = {
		{ "-N", "0" },
		{ "-N", "x" },
		{ "-N", "-1" },
		{ "-N", "2x" },
		{ "-N", "99999999999999999999999" },
		{ "--gpus-per-node", "17" },
		{ "-G", "0" },
		{ "--ranks-per-node", "0" },
		{ "--max-restarts", "0" },
		{ "--max-restarts", "1001" },
		{ "--nice", "abc" },
		{ "--mem", "0" },
		{ "--mem", "12X" },
		{ "--mem", "G" },
		{ "--cpus-per-node", "0" },
		{ "--gpu-model", "H 100" },
		{ "-A", "bad/acct" },
		{ "--after", "0" },
		{ "--afterok", "1,,2" },
		{ "--after", "x" },
		{ "-x", "n[1-" },
		{ "-C", "a|b" },
		{ "-C", "a,,b" },
		{ "--export", "=v" },
		{ "--export", "1A=v" },
		{ "--export", "" },
		{ "-D", "" },
		{ "-d", "after:3" },
		{ "-d", "afterstart:3" },
		{ "-d", "afterok" },
		{ "-d", "afterok:x" },
	};
	struct submit_opts so;
	struct err e;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		submitopts_init(&so);
		e.msg[0] = '\0';
		ok(one(&so, bad[i][0], bad[i][1], &e) < 0, "%s '%s' fails (%s)",
		   bad[i][0], bad[i][1], e.msg);
		submitopts_fini(&so);
	}
	submitopts_init(&so);
	ok(one(&so, "--nodez", "2", &e) < 0, "an unknown option fails");
	is_str(e.msg, "unknown option '--nodez'", "and is named");
	ok(one(&so, "-N", NULL, &e) < 0, "a missing value fails");
	is_str(e.msg, "option -N needs a value (N)", "and says what it needs");
	ok(one(&so, "--hold=yes", NULL, &e) < 0, "a flag with a value fails");
	submitopts_fini(&so);
}

static void test_values(void)
{
	struct submit_opts so;
	struct opts_rest rest;
	uint64_t mib = 0;
	struct err e;

	ok(submitopts_parse_mem("4096", &mib, &e) == 0 && mib == 4096,
	   "--mem 4096 is MiB");
	ok(submitopts_parse_mem("512M", &mib, &e) == 0 && mib == 512, "512M");
	ok(submitopts_parse_mem("64g", &mib, &e) == 0 && mib == 65536, "64g");
	ok(submitopts_parse_mem("1T", &mib, &e) == 0 && mib == 1048576, "1T");
	ok(submitopts_parse_mem("2000000T", &mib, &e) < 0, "absurd sizes fail");

	submitopts_init(&so);
	setenv("TEST_SUBMITOPTS_VAR", "from here", 1);
	ok(cli(&so, &rest, &e, "--export", "A=1", "--export", "B=x=y",
	       "--export", "TEST_SUBMITOPTS_VAR", "--after", "5,6", "--after",
	       "7", "--afterok", "8", "-d", "afterok:9:10,afterany:11", "-x",
	       "n[00001-00004]", "-x", "gpu7", "-C", "ib,nvme&bigmem",
	       "--requeue", "--max-restarts", "5", "-H", "--nice", "-5",
	       "--mem", "64G", "--cpus-per-node", "96", "-o", "out-%j-%r.log",
	       "-e", "err-%j.log", "--", "true", (char *)NULL) == 0,
	   "list options parse: %s", e.msg);
	opts_rest_free(&rest);
	is_int(so.spec.n_env, 3, "three variables");
	is_str(so.spec.env[1], "B=x=y", "value may contain '='");
	is_str(so.spec.env[2], "TEST_SUBMITOPTS_VAR=from here",
	       "NAME alone copies the value from the environment");
	is_int(so.spec.n_after, 4, "--after lists and -d afterany");
	is_int(so.spec.after[3], 11, "afterany: is --after");
	is_int(so.spec.n_after_ok, 3, "--afterok and -d afterok");
	is_int(so.spec.after_ok[2], 10, "afterok:9:10");
	is_int(so.spec.n_exclude_nodes, 2, "two exclude expressions");
	is_str(so.spec.exclude_nodes[0], "n[00001-00004]", "sent as written");
	is_int(so.spec.n_features, 3, "features split at ',' and '&'");
	is_str(so.spec.features[2], "bigmem", "last feature");
	ok(so.spec.requeue_on_failure, "--requeue");
	is_int(so.spec.max_restarts, 5, "--max-restarts");
	ok(so.spec.hold, "-H holds");
	is_int(so.spec.nice, -5, "--nice -5 (the controller checks who)");
	is_int(so.spec.memory_mib, 65536, "--mem 64G");
	is_int(so.spec.cpus_per_node, 96, "--cpus-per-node");
	is_str(so.spec.stdout_path, "out-%j-%r.log", "-o kept as a pattern");
	is_str(so.spec.stderr_path, "err-%j.log", "-e");
	ok(one(&so, "--no-requeue", NULL, &e) == 0 &&
		   !so.spec.requeue_on_failure,
	   "--no-requeue");
	submitopts_fini(&so);
	ok(so.spec.n_env == 0 && so.spec.env == NULL,
	   "fini leaves an empty spec");
}

static void test_finish(void)
{
	struct submit_opts so;
	char *argv[] = { (char *)"true" };
	struct err e;

	submitopts_init(&so);
	ok(submitopts_finish(&so, "/tmp", &e) < 0, "nothing to run fails");
	submitopts_set_command(&so, 1, argv);
	ok(one(&so, "-D", "runs/7", &e) == 0, "-D relative");
	ok(submitopts_finish(&so, "/home/bob/", &e) == 0, "finish");
	is_str(so.spec.workdir, "/home/bob/runs/7",
	       "a relative -D is made absolute");
	submitopts_fini(&so);

	submitopts_init(&so);
	submitopts_set_command(&so, 1, argv);
	ok(one(&so, "-D", "/scratch/x", &e) == 0 &&
		   submitopts_finish(&so, "/home/bob", &e) == 0 &&
		   !strcmp(so.spec.workdir, "/scratch/x"),
	   "an absolute -D is kept");
	submitopts_fini(&so);

	submitopts_init(&so);
	submitopts_set_command(&so, 1, argv);
	ok(one(&so, "-G", "16", &e) == 0 && one(&so, "-N", "2", &e) == 0,
	   "-G and -N parse");
	ok(submitopts_finish(&so, "/", &e) < 0, "but together are refused");
	ok(strstr(e.msg, "not both") != NULL, "with a reason: %s", e.msg);
	submitopts_fini(&so);

	submitopts_init(&so);
	submitopts_set_command(&so, 1, argv);
	ok(one(&so, "-N", "6", &e) == 0 && one(&so, "--segment", "4", &e) == 0,
	   "-N 6 --segment 4 parse");
	ok(submitopts_finish(&so, "/", &e) < 0, "a non-dividing segment fails");
	submitopts_fini(&so);
}

static void test_script(void)
{
	const char *script = "#!/bin/bash\n"
			     "#COLOSSUS -N 8 --gpus-per-node 8\n"
			     "#COLOSSUS -J \"from script\" -t 48h\n"
			     "#COLOSSUS --export A=script --afterok 3\n"
			     "#COLOSSUS --rank-per-gpu\n"
			     "python train.py\n"
			     "#COLOSSUS -A late\n";
	struct submit_opts so;
	struct opts_rest rest;
	unsigned ignored = 0;
	struct err e;

	submitopts_init(&so);
	ok(cli(&so, &rest, &e, "-G", "4", "-J", "cli", "--export", "B=cli",
	       "job.sh", "extra", (char *)NULL) == 0,
	   "command line before the script");
	ok(!rest.dashdash && rest.n == 2, "positionals stop option parsing");
	is_str(rest.args[0], "job.sh", "the script");
	opts_rest_free(&rest);
	ok(submitopts_load_script(&so, script, strlen(script), "job.sh",
				  &ignored, &e) == 0,
	   "the script's directives apply: %s", e.msg);
	is_int(ignored, 7, "the late directive is reported");
	is_int(so.spec.gpus, 4, "-G from the command line");
	is_int(so.spec.nodes, 0,
	       "script -N ignored: the command line set the size group");
	is_int(so.spec.gpus_per_node, 0, "so is --gpus-per-node");
	is_str(so.spec.name, "cli", "command-line -J wins");
	is_int(so.spec.time_limit_sec, 48 * 3600, "script -t applies");
	is_int(so.spec.n_env, 1, "script --export ignored (cli gave one)");
	is_str(so.spec.env[0], "B=cli", "the command line's");
	is_int(so.spec.n_after_ok, 1, "script --afterok applies");
	ok(so.spec.rank_per_gpu, "script --rank-per-gpu applies");
	ok(so.spec.script && !strcmp(so.spec.script, script),
	   "the whole text is the job's script");
	is_str(so.spec.account, "",
	       "a directive after the command is not used");
	ok(submitopts_finish(&so, "/w", &e) == 0, "finish with only a script");
	submitopts_fini(&so);

	submitopts_init(&so);
	ok(load(&so, "#!/bin/sh\n#COLOSSUS -N x\n", "bad.sh", &e) < 0,
	   "a bad value in a directive fails");
	is_str(e.msg, "bad.sh:2: -N: 'x' is not a whole number",
	       "with file, line and option");
	ok(load(&so, "#COLOSSUS -N 2 hostname\n", "p.sh", &e) < 0,
	   "a positional word in a directive fails");
	ok(strstr(e.msg, "p.sh:1: unexpected argument 'hostname'") == e.msg,
	   "and is named: %s", e.msg);
	ok(load(&so, "#COLOSSUS --json\n", "g.sh", &e) < 0,
	   "global options are not directives");
	ok(load(&so, "#COLOSSUS -J 'x\n", "q.sh", &e) < 0,
	   "quoting errors propagate");
	is_str(e.msg, "q.sh:1: unterminated ' quote", "message");
	submitopts_fini(&so);
}

static void test_syntax(void)
{
	struct submit_opts so;
	struct opts_rest rest;
	struct err e;
	int32_t i32;
	uint32_t u32;

	submitopts_init(&so);
	ok(cli(&so, &rest, &e, "-HN2", "--nice=7", "-", "x", (char *)NULL) == 0,
	   "bundled flags, attached values, '-' as an argument");
	ok(so.spec.hold && so.spec.nodes == 2, "-HN2 is -H -N 2");
	is_int(so.spec.nice, 7, "--nice=7");
	is_int(rest.n, 2, "'-' stops option parsing");
	is_str(rest.args[0], "-", "and is kept");
	ok(!rest.dashdash, "no --");
	opts_rest_free(&rest);
	ok(cli(&so, &rest, &e, "-N", "3", "--", (char *)NULL) == 0 &&
		   rest.dashdash && rest.n == 0,
	   "a final -- gives an empty command");
	opts_rest_free(&rest);
	ok(cli(&so, &rest, &e, "-Z", (char *)NULL) < 0, "-Z is unknown");
	is_str(e.msg, "unknown option '-Z'", "and named");
	ok(cli(&so, &rest, &e, "--hold", "--nodes", (char *)NULL) < 0,
	   "a value missing at the end fails");
	submitopts_fini(&so);

	ok(opts_parse_i32("-2147483648", INT32_MIN, INT32_MAX, &i32, &e) == 0 &&
		   i32 == INT32_MIN,
	   "INT32_MIN parses");
	ok(opts_parse_i32("2147483648", INT32_MIN, INT32_MAX, &i32, &e) < 0,
	   "INT32_MAX + 1 fails");
	ok(opts_parse_i32("+5", -10, 10, &i32, &e) == 0 && i32 == 5, "+5");
	ok(opts_parse_i32("-", -10, 10, &i32, &e) < 0, "'-' alone fails");
	ok(opts_parse_u32("4294967295", 0, UINT32_MAX, &u32, &e) == 0 &&
		   u32 == UINT32_MAX,
	   "UINT32_MAX parses");
	ok(opts_parse_u32("4294967296", 0, UINT32_MAX, &u32, &e) < 0,
	   "UINT32_MAX + 1 fails");
	ok(opts_parse_u32("007", 0, 10, &u32, &e) == 0 && u32 == 7,
	   "leading zeros are fine");
	ok(opts_parse_u32(" 7", 0, 10, &u32, &e) < 0, "blanks are not");
}

/* Scheduler options: reservations, arrays, afternotok (issue 3). */
static void test_sched_options(void)
{
	static const char *const good_arrays[] = { "0-99", "1,3,5-9", "0-99%10",
						   "7", "0-0%1" };
	static const char *const bad_arrays[] = { "",	   "%4",   "a-3",
						  "3-1",   "1,,2", "1,",
						  "1-",	   "0-9%", "0-9%0",
						  "0-9%x", "-1",   "99999999" };
	struct submit_opts so;
	struct opts_rest rest;
	struct err e;

	submitopts_init(&so);
	ok(cli(&so, &rest, &e, "--reservation", "hero1", "--array", "0-5%2",
	       "--afternotok", "4,5", "-d", "afternotok:6:7,afterok:8", "--",
	       "true", (char *)NULL) == 0,
	   "--reservation, --array, --afternotok parse: %s", e.msg);
	opts_rest_free(&rest);
	is_str(so.spec.reservation, "hero1", "--reservation");
	is_str(so.spec.array, "0-5%2", "--array kept as written");
	is_int(so.spec.n_after_not_ok, 4, "--afternotok and -d afternotok");
	is_int(so.spec.after_not_ok[3], 7, "afternotok:6:7");
	is_int(so.spec.n_after_ok, 1, "mixed with afterok");
	submitopts_fini(&so);
	ok(so.spec.n_after_not_ok == 0 && so.spec.reservation != NULL &&
		   !*so.spec.reservation,
	   "fini frees the new fields");

	for (size_t i = 0; i < sizeof(good_arrays) / sizeof(*good_arrays);
	     i++) {
		submitopts_init(&so);
		ok(one(&so, "--array", good_arrays[i], &e) == 0,
		   "--array %s is accepted", good_arrays[i]);
		submitopts_fini(&so);
	}
	for (size_t i = 0; i < sizeof(bad_arrays) / sizeof(*bad_arrays); i++) {
		submitopts_init(&so);
		ok(one(&so, "--array", bad_arrays[i], &e) < 0,
		   "--array '%s' is refused: %s", bad_arrays[i], e.msg);
		submitopts_fini(&so);
	}
	submitopts_init(&so);
	ok(one(&so, "--reservation", "no spaces", &e) < 0 &&
		   strstr(e.msg, "reservation name"),
	   "a bad reservation name: %s", e.msg);
	ok(one(&so, "-d", "afternotok:x", &e) < 0, "afternotok:x: %s", e.msg);
	ok(one(&so, "-d", "afterburner:1", &e) < 0 &&
		   strstr(e.msg, "afternotok"),
	   "the error lists afternotok: %s", e.msg);
	ok(one(&so, "-a", "1-3", &e) == 0, "-a is --array");
	submitopts_fini(&so);
	/* Script directives carry them too; the command line wins. */
	submitopts_init(&so);
	ok(cli(&so, &rest, &e, "--array", "0-1", (char *)NULL) == 0,
	   "command line --array");
	opts_rest_free(&rest);
	ok(load(&so,
		"#!/bin/sh\n#COLOSSUS --array 0-99%5 --reservation r1\n"
		"#COLOSSUS --afternotok 3\ntrue\n",
		"job.sh", &e) == 0,
	   "directives: %s", e.msg);
	is_str(so.spec.array, "0-1", "the command line's --array wins");
	is_str(so.spec.reservation, "r1", "--reservation from the script");
	is_int(so.spec.n_after_not_ok, 1, "--afternotok from the script");
	submitopts_fini(&so);
}

int main(void)
{
	test_syntax();
	test_sizes_and_names();
	test_time_and_placement();
	test_bad_numbers();
	test_values();
	test_finish();
	test_script();
	test_sched_options();
	return done_testing();
}
