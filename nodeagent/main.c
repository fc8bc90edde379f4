/*
 * colossus-nodeagent: start-up order.
 *
 *   "--shepherd DIR" -> the shepherd (a different program in one binary)
 *   config -> logging -> TLS -> GPU backend -> NICs -> health reporting ->
 *   cgroups -> state directory (re-adopting workloads) -> hang detection
 *   and the site probe -> control socket -> controller link -> loop.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/control.h"
#include "nodeagent/health.h"
#include "nodeagent/health_exec.h"
#include "nodeagent/launch.h"
#include "nodeagent/link.h"
#include "nodeagent/metrics_node.h"
#include "nodeagent/nicwatch.h"
#include "nodeagent/probe.h"
#include "nodeagent/progress.h"
#include "nodeagent/shepherd.h"
#include "nodeagent/validate.h"
#include "nodeagent/workload.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: colossus-nodeagent [-c FILE] [options]\n"
		"\n"
		"  -c, --config FILE    configuration file (default "
		"%s/colossus/"
		"agent.conf)\n"
		"  -s, --set KEY=VALUE  override a setting "
		"(section.key=value)\n"
		"      --dump-config    print the effective configuration and "
		"exit\n"
		"      --control SOCKET COMMAND\n"
		"                       send one command to a running agent's "
		"control socket\n"
		"  -V, --version        print the version and exit\n"
		"  -h, --help           this text\n",
		SYSCONFDIR);
}

static void agent_reload_warn(const char *key)
{
	log_warn("reload: %s changed; it takes effect at the next restart",
		 key);
}

/*
 * SIGHUP: reread the file and apply what is safe to change while jobs
 * run (the keys marked reloadable: logging, prepare expiry, kill
 * timeout); everything else keeps its running value, with a warning.
 */
static void agent_reload(struct agent *ag)
{
	struct agent_config fresh;
	unsigned mask;
	struct err e;

	if (agent_config_load(&fresh, ag->config_path, &e) < 0 ||
	    log_debug_parse(fresh.debug, &mask, &e) < 0) {
		log_err("reload: %s; keeping the running configuration", e.msg);
		agent_config_free(&fresh);
		return;
	}
	cfg_keep_nonreloadable(agent_config_table, &ag->cfg, &fresh,
			       agent_reload_warn);
	ag->cfg.log_level = fresh.log_level;
	ag->cfg.prepare_expiry_sec = fresh.prepare_expiry_sec;
	ag->cfg.kill_timeout_sec = fresh.kill_timeout_sec;
	log_set_level(ag->cfg.log_level);
	log_set_debug(mask);
	agent_config_free(&fresh);
	log_info("configuration reloaded from %s", ag->config_path);
}

static void agent_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *ag = arg;

	(void)what;
	if (sig == SIGCHLD) {
		/* Site commands first: launch_reap takes any child it sees. */
		health_exec_reap(ag);
		launch_reap(ag);
		return;
	}
	if (sig == SIGHUP) {
		agent_reload(ag);
		return;
	}
	/*
	 * Ranks keep running when the agent stops: the shepherds own them,
	 * and the next agent re-adopts them (restart safety).
	 */
	log_info("signal %d: stopping; %d workloads keep running", (int)sig,
		 ag->nworkloads);
	link_stop(ag);
	{
		struct timeval tv = { 0, 200000 };

		event_base_loopexit(ag->base, &tv);
	}
}

static void agent_gpu_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	health_gpu_wake(arg);
}

static int agent_parse_args(struct agent *ag, int argc, char **argv, bool *dump)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **sets = NULL;
	int nsets = 0, c, rc = -1;
	struct err e;

	ag->config_path = xasprintf("%s/colossus/agent.conf", SYSCONFDIR);
	while ((c = getopt_long(argc, argv, "c:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			free(ag->config_path);
			ag->config_path = xstrdup(optarg);
			break;
		case 's':
			sets = xreallocarray(sets, (size_t)nsets + 1,
					     sizeof(*sets));
			sets[nsets++] = optarg;
			break;
		case 'D':
			*dump = true;
			break;
		case 'V':
			printf("colossus-nodeagent %s (protocol %d.%d)\n",
			       PACKAGE_VERSION, RPC_VERSION_MAJOR,
			       RPC_VERSION_MINOR);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr,
			"colossus-nodeagent: unexpected argument '%s'\n",
			argv[optind]);
		exit(2);
	}
	if (agent_config_load(
		    &ag->cfg,
		    access(ag->config_path, F_OK) == 0 ? ag->config_path : NULL,
		    &e) < 0) {
		fprintf(stderr, "colossus-nodeagent: %s\n", e.msg);
		goto out;
	}
	for (int i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');

		if (!eq) {
			fprintf(stderr,
				"colossus-nodeagent: --set needs "
				"KEY=VALUE, got '%s'\n",
				sets[i]);
			goto out;
		}
		*eq = '\0';
		if (cfg_set(agent_config_table, &ag->cfg, sets[i], eq + 1, &e) <
		    0) {
			fprintf(stderr, "colossus-nodeagent: --set %s: %s\n",
				sets[i], e.msg);
			goto out;
		}
	}
	if (!*dump &&
	    cfg_check_required(agent_config_table, &ag->cfg, &e) < 0) {
		fprintf(stderr, "colossus-nodeagent: %s: %s\n", ag->config_path,
			e.msg);
		goto out;
	}
	rc = 0;
out:
	free(sets);
	return rc;
}

static void agent_free(struct agent *ag)
{
	control_destroy(ag->control);
	probe_stop(ag);
	progress_stop(ag);
	validate_stop(ag);
	health_exec_stop_all(ag);
	workload_table_fini(ag);
	health_stop(ag);
	nicwatch_stop(ag);
	if (ag->gpu_ev)
		event_free(ag->gpu_ev);
	gpu_backend_close(ag->gpu);
	if (ag->reconnect_ev)
		event_free(ag->reconnect_ev);
	if (ag->hb_ev)
		event_free(ag->hb_ev);
	if (ag->sig_chld)
		event_free(ag->sig_chld);
	if (ag->sig_term)
		event_free(ag->sig_term);
	if (ag->sig_int)
		event_free(ag->sig_int);
	if (ag->sig_hup)
		event_free(ag->sig_hup);
	if (ag->tls)
		SSL_CTX_free(ag->tls);
	if (ag->base)
		event_base_free(ag->base);
	agent_config_free(&ag->cfg);
	free(ag->config_path);
}

static void agent_identity(struct agent *ag)
{
	struct tls_identity id;
	struct err e;

	if (tlsctx_cert_identity(ag->cfg.cert_file, &id, &e) < 0)
		fatal("%s: %s", ag->cfg.cert_file, e.msg);
	if (id.role != TLS_ROLE_NODE && id.role != TLS_ROLE_SIM)
		fatal("%s is a %s certificate; the agent needs OU=node",
		      ag->cfg.cert_file, tlsctx_role_name(id.role));
	if (ag->cfg.node_name && *ag->cfg.node_name) {
		if (id.role == TLS_ROLE_NODE &&
		    strcmp(ag->cfg.node_name, id.name))
			fatal("node_name %s does not match the certificate "
			      "(CN=%s)",
			      ag->cfg.node_name, id.name);
		snprintf(ag->node, sizeof(ag->node), "%s", ag->cfg.node_name);
	} else {
		snprintf(ag->node, sizeof(ag->node), "%s", id.name);
	}
}

int main(int argc, char **argv)
{
	struct agent ag;
	struct metrics_node *metrics = NULL;
	struct gpu_backend_cfg gc;
	struct tlsctx_cfg tc;
	bool dump = false;
	unsigned mask;
	ssize_t n;
	struct err e;

	/* The shepherd shares the binary but nothing else. */
	if (argc == 3 && !strcmp(argv[1], "--shepherd"))
		return shepherd_main(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--control"))
		return control_client(argv[2], argv[3]);

	memset(&ag, 0, sizeof(ag));
	signal(SIGPIPE, SIG_IGN);
	log_init("colossus-nodeagent", false);
	if (agent_parse_args(&ag, argc, argv, &dump) < 0) {
		agent_free(&ag);
		return 1;
	}
	if (dump) {
		cfg_dump(agent_config_table, &ag.cfg, stdout);
		agent_free(&ag);
		return 0;
	}
	log_init("colossus-nodeagent", ag.cfg.syslog);
	log_set_level(ag.cfg.log_level);
	if (log_debug_parse(ag.cfg.debug, &mask, &e) < 0)
		fatal("%s", e.msg);
	log_set_debug(mask);
	n = readlink("/proc/self/exe", ag.self_exe, sizeof(ag.self_exe) - 1);
	if (n <= 0)
		fatal("cannot find my own executable");
	ag.self_exe[n] = '\0';
	agent_identity(&ag);

	memset(&tc, 0, sizeof(tc));
	tc.ca_file = ag.cfg.ca_file;
	tc.cert_file = ag.cfg.cert_file;
	tc.key_file = ag.cfg.key_file;
	ag.tls = tlsctx_build(&tc, &e);
	if (!ag.tls)
		fatal("TLS: %s", e.msg);

	ag.base = event_base_new();
	if (!ag.base)
		fatal("cannot create the event loop");

	memset(&gc, 0, sizeof(gc));
	gc.kind = ag.cfg.gpu_backend;
	gc.nvml_library = ag.cfg.nvml_library;
	gc.kmsg_path = ag.cfg.kmsg_path;
	gc.poll_interval_ms = (unsigned)ag.cfg.poll_interval_sec * 1000;
	gc.sim_model = ag.cfg.sim_model;
	gc.sim_gpus = (unsigned)ag.cfg.sim_gpus;
	gc.sim_node = ag.node;
	ag.gpu = gpu_backend_open(&gc, &e);
	if (!ag.gpu)
		fatal("GPU backend: %s", e.msg);
	{
		const struct gpu_inventory *inv = gpu_backend_inventory(ag.gpu);

		if (inv->problem[0])
			log_warn("GPU backend %s: %s; this node offers no GPUs",
				 inv->backend, inv->problem);
		else
			log_info("GPU backend %s: %u GPUs (driver %s)",
				 inv->backend, inv->count,
				 inv->driver_version[0] ? inv->driver_version
							: "-");
	}
	if (gpu_backend_event_fd(ag.gpu) >= 0) {
		ag.gpu_ev = event_new(ag.base, gpu_backend_event_fd(ag.gpu),
				      EV_READ | EV_PERSIST, agent_gpu_cb, &ag);
		event_add(ag.gpu_ev, NULL);
	}

	if (nicwatch_start(&ag, &e) < 0)
		fatal("[nic] interfaces: %s", e.msg);
	if (health_start(&ag, &e) < 0)
		fatal("health: %s", e.msg);

	cgroup_env_init(&ag.cg, ag.cfg.cgroup_root, ag.cfg.cgroup_parent);
	if (!ag.cg.usable)
		log_warn("cgroups: %s; jobs are tracked as process trees",
			 ag.cg.why);
	else if (ag.cg.why[0])
		log_info("cgroups: %s", ag.cg.why);

	if (workload_table_init(&ag, &e) < 0)
		fatal("%s", e.msg);
	ag.sig_chld = evsignal_new(ag.base, SIGCHLD, agent_signal_cb, &ag);
	ag.sig_term = evsignal_new(ag.base, SIGTERM, agent_signal_cb, &ag);
	ag.sig_int = evsignal_new(ag.base, SIGINT, agent_signal_cb, &ag);
	ag.sig_hup = evsignal_new(ag.base, SIGHUP, agent_signal_cb, &ag);
	event_add(ag.sig_chld, NULL);
	event_add(ag.sig_term, NULL);
	event_add(ag.sig_int, NULL);
	event_add(ag.sig_hup, NULL);
	workload_readopt(&ag);
	if (progress_start(&ag, &e) < 0)
		fatal("%s", e.msg);
	probe_start(&ag);

	if (ag.cfg.control_socket && *ag.cfg.control_socket) {
		ag.control = control_create(&ag, ag.cfg.control_socket, &e);
		if (!ag.control)
			fatal("%s", e.msg);
	}
	log_info("colossus-nodeagent %s starting for node %s; controllers: "
		 "%zu configured",
		 PACKAGE_VERSION, ag.node, ag.cfg.controllers.n);
	if (ag.cfg.metrics_listen && *ag.cfg.metrics_listen) {
		metrics = metrics_node_start(&ag, &e);
		if (!metrics)
			fatal("%s", e.msg);
	}
	link_start(&ag);
	event_base_dispatch(ag.base);
	log_info("colossus-nodeagent stopped");
	metrics_node_stop(metrics);
	agent_free(&ag);
	return 0;
}
