/*
 * colossus-sim's command line: the options, their defaults and --help.
 * See bench/README.md for what each one is for.
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "bench/sim/sim.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: colossus-sim --controller HOST:PORT[,...] --ca FILE\n"
		"                    (--ca-key FILE | --sim-cert FILE "
		"--sim-key "
		"FILE) [options]\n"
		"\n"
		"Nodes and identities:\n"
		"  --nodes HOSTLIST        simulated nodes (default "
		"n[00001-12544])\n"
		"  --slice I/K             run only the I-th of K equal slices "
		"(1-based)\n"
		"  --ca-key FILE           make a key and certificate per node "
		"(OU=node)\n"
		"  --sim-cert FILE, --sim-key FILE\n"
		"                          one OU=sim certificate for every "
		"node "
		"(needs\n"
		"                          [limits] allow_simulator on the "
		"controller)\n"
		"  --gpus N                GPUs per node (default 8)\n"
		"  --h200 HOSTLIST         these nodes have H200s (others "
		"H100)\n"
		"  --gpu-per-node          one sim GPU backend per node (2 "
		"descriptors each;\n"
		"                          default: one shared inventory per "
		"model)\n"
		"  --nodes-per-rack N      for rack faults (default 8)\n"
		"Running:\n"
		"  --connect-rate N        agents started per second (default "
		"0 "
		"= all at once)\n"
		"  --max-handshakes N      agents connecting at once, the rest "
		"wait (default\n"
		"                          128; 0 = no limit; see README)\n"
		"  --stats-interval SEC    statistics line period (default 1)\n"
		"  --run-for SEC           stop after this long (default: "
		"until "
		"SIGTERM)\n"
		"  --job-log FILE          per-job launch/start times (see "
		"simjob.c)\n"
		"  --control FIFO          read commands (stats, lose, "
		"restore, "
		"restart, xid,\n"
		"                          rack-alarm, quit) from this FIFO\n"
		"Jobs:\n"
		"  --default-run SEC       run time of jobs that name none "
		"(default 0 = until\n"
		"                          killed); jobs give theirs as 'sleep "
		"N' or\n"
		"                          COLOSSUS_SIM_DURATION=N, and "
		"COLOSSUS_SIM_EXIT=CODE\n"
		"  --time-scale X          divide durations and time limits by "
		"X (default 1)\n"
		"  --kill-delay MS         ranks die this long after SIGTERM "
		"(default 0)\n"
		"Faults (rates per hour of simulated time):\n"
		"  --xid-rate R            XIDs per GPU-hour\n"
		"  --xid-code N            XID raised (default 79)\n"
		"  --no-xid-crash          an XID does not kill the ranks on "
		"that GPU\n"
		"  --xid-crash-delay MS    they die this long after the XID is "
		"reported\n"
		"                          (default 200)\n"
		"  --node-loss-rate R      silent node losses per node-hour\n"
		"  --repair SEC            a lost node comes back after this "
		"(default never)\n"
		"  --rack-alarm-rate R     cooling alarms per rack-hour\n"
		"  --seed N                random seed\n"
		"  -v, --verbose           log info (twice: debug)\n"
		"      --debug SUBS        debug subsystems (rpc,launch,...)\n"
		"  -h, --help              this text\n");
}

static double sim_parse_num(const char *opt, const char *s, double min)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v < min) {
		fprintf(stderr,
			"colossus-sim: --%s needs a number >= %g, got "
			"'%s'\n",
			opt, min, s);
		exit(2);
	}
	return v;
}

void sim_parse_args(struct sim *sim, int argc, char **argv)
{
	enum {
		O_CA = 256,
		O_CAKEY,
		O_SIMCERT,
		O_SIMKEY,
		O_NODES,
		O_SLICE,
		O_NPR,
		O_GPUS,
		O_H200,
		O_GPN,
		O_RATE,
		O_STATS,
		O_RUNFOR,
		O_JOBLOG,
		O_CONTROL,
		O_DEFRUN,
		O_SCALE,
		O_KILLDELAY,
		O_XID,
		O_XIDCODE,
		O_NOCRASH,
		O_CRASHDELAY,
		O_LOSS,
		O_REPAIR,
		O_RACK,
		O_SEED,
		O_DEBUG,
		O_MAXHS,
	};
	static const struct option opts[] = {
		{ "controller", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, O_CA },
		{ "ca-key", required_argument, NULL, O_CAKEY },
		{ "sim-cert", required_argument, NULL, O_SIMCERT },
		{ "sim-key", required_argument, NULL, O_SIMKEY },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "slice", required_argument, NULL, O_SLICE },
		{ "nodes-per-rack", required_argument, NULL, O_NPR },
		{ "gpus", required_argument, NULL, O_GPUS },
		{ "h200", required_argument, NULL, O_H200 },
		{ "gpu-per-node", no_argument, NULL, O_GPN },
		{ "connect-rate", required_argument, NULL, O_RATE },
		{ "max-handshakes", required_argument, NULL, O_MAXHS },
		{ "stats-interval", required_argument, NULL, O_STATS },
		{ "run-for", required_argument, NULL, O_RUNFOR },
		{ "job-log", required_argument, NULL, O_JOBLOG },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "default-run", required_argument, NULL, O_DEFRUN },
		{ "time-scale", required_argument, NULL, O_SCALE },
		{ "kill-delay", required_argument, NULL, O_KILLDELAY },
		{ "xid-rate", required_argument, NULL, O_XID },
		{ "xid-code", required_argument, NULL, O_XIDCODE },
		{ "no-xid-crash", no_argument, NULL, O_NOCRASH },
		{ "xid-crash-delay", required_argument, NULL, O_CRASHDELAY },
		{ "node-loss-rate", required_argument, NULL, O_LOSS },
		{ "repair", required_argument, NULL, O_REPAIR },
		{ "rack-alarm-rate", required_argument, NULL, O_RACK },
		{ "seed", required_argument, NULL, O_SEED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "debug", required_argument, NULL, O_DEBUG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts *o = &sim->opt;
	int c;

	o->nodes = "n[00001-12544]";
	o->slice = 1;
	o->slices = 1;
	o->nodes_per_rack = 8;
	o->gpus = 8;
	o->stats_interval = 1;
	o->max_handshakes = 128;
	o->time_scale = 1;
	o->xid_code = 79;
	o->xid_crash = true;
	o->xid_crash_delay_ms = 200;
	o->seed = (unsigned long)getpid();
	o->log_level = LOG_WARNING;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->controllers = optarg;
			break;
		case O_CA:
			o->ca_file = optarg;
			break;
		case O_CAKEY:
			o->ca_key = optarg;
			break;
		case O_SIMCERT:
			o->sim_cert = optarg;
			break;
		case O_SIMKEY:
			o->sim_key = optarg;
			break;
		case O_NODES:
			o->nodes = optarg;
			break;
		case O_SLICE:
			if (sscanf(optarg, "%u/%u", &o->slice, &o->slices) !=
				    2 ||
			    !o->slice || o->slice > o->slices) {
				fprintf(stderr, "colossus-sim: --slice I/K "
						"with 1 <= I <= K\n");
				exit(2);
			}
			break;
		case O_NPR:
			o->nodes_per_rack = (unsigned)sim_parse_num(
				"nodes-per-rack", optarg, 1);
			break;
		case O_GPUS:
			o->gpus = (unsigned)sim_parse_num("gpus", optarg, 1);
			if (o->gpus > 16) {
				fprintf(stderr, "colossus-sim: --gpus 1..16\n");
				exit(2);
			}
			break;
		case O_H200:
			o->h200 = optarg;
			break;
		case O_GPN:
			o->gpu_per_node = true;
			break;
		case O_RATE:
			o->connect_rate =
				sim_parse_num("connect-rate", optarg, 0);
			break;
		case O_MAXHS:
			o->max_handshakes = (unsigned)sim_parse_num(
				"max-handshakes", optarg, 0);
			break;
		case O_STATS:
			o->stats_interval =
				sim_parse_num("stats-interval", optarg, 0.1);
			break;
		case O_RUNFOR:
			o->run_for = sim_parse_num("run-for", optarg, 0);
			break;
		case O_JOBLOG:
			o->job_log = optarg;
			break;
		case O_CONTROL:
			o->control = optarg;
			break;
		case O_DEFRUN:
			o->default_run =
				sim_parse_num("default-run", optarg, 0);
			break;
		case O_SCALE:
			o->time_scale =
				sim_parse_num("time-scale", optarg, 0.001);
			break;
		case O_KILLDELAY:
			o->kill_delay_ms = (unsigned)sim_parse_num("kill-delay",
								   optarg, 0);
			break;
		case O_XID:
			o->xid_rate = sim_parse_num("xid-rate", optarg, 0);
			break;
		case O_XIDCODE:
			o->xid_code =
				(unsigned)sim_parse_num("xid-code", optarg, 0);
			break;
		case O_NOCRASH:
			o->xid_crash = false;
			break;
		case O_CRASHDELAY:
			o->xid_crash_delay_ms = (unsigned)sim_parse_num(
				"xid-crash-delay", optarg, 0);
			break;
		case O_LOSS:
			o->node_loss_rate =
				sim_parse_num("node-loss-rate", optarg, 0);
			break;
		case O_REPAIR:
			o->repair_sec = sim_parse_num("repair", optarg, 0);
			break;
		case O_RACK:
			o->rack_alarm_rate =
				sim_parse_num("rack-alarm-rate", optarg, 0);
			break;
		case O_SEED:
			o->seed =
				(unsigned long)sim_parse_num("seed", optarg, 0);
			break;
		case 'v':
			o->log_level = o->log_level == LOG_WARNING ? LOG_INFO
								   : LOG_DEBUG;
			break;
		case O_DEBUG:
			o->debug = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc || !o->controllers || !o->ca_file ||
	    (!o->ca_key && !(o->sim_cert && o->sim_key)) ||
	    (o->ca_key && o->sim_cert)) {
		fprintf(stderr, "colossus-sim: need --controller, --ca and "
				"either --ca-key or --sim-cert with "
				"--sim-key\n");
		usage(stderr);
		exit(2);
	}
}
