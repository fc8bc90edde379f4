/*
 * colossus-controller: start-up and shut-down order.
 *
 *   config -> logging -> TLS -> schema migrations (blocking, before the
 *   loop) -> event loop -> database queue -> listener -> load the model
 *   from the database (async) -> serve.
 *
 * Everything after the migrations runs on one libevent loop that never
 * blocks on the network or the database.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"
#include "controller/alloc.h"
#include "controller/cluster.h"
#include "controller/ctl.h"
#include "controller/events.h"
#include "controller/fairshare.h"
#include "controller/drain.h"
#include "controller/gang.h"
#include "controller/health.h"
#include "controller/http.h"
#include "controller/job.h"
#include "controller/leader.h"
#include "controller/load.h"
#include "controller/metrics.h"
#include "controller/migrations.h"
#include "controller/node.h"
#include "controller/nodewrite.h"
#include "controller/peer.h"
#include "controller/powerctl.h"
#include "controller/qos.h"
#include "controller/resv.h"
#include "controller/sched.h"
#include "controller/submitq.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: colossus-controller [-c FILE] [options]\n"
		"\n"
		"  -c, --config FILE    configuration file (default %s/colossus/"
		"controller.conf)\n"
		"  -s, --set KEY=VALUE  override a setting (section.key=value)\n"
		"      --dump-config    print the effective configuration and "
		"exit\n"
		"      --migrate-only   apply schema migrations and exit\n"
		"  -V, --version        print the version and exit\n"
		"  -h, --help           this text\n",
		SYSCONFDIR);
}

/* Run a scheduling pass (the periodic full one, or what ctl_sched_run
 * picks), and time it. */
static void ctl_sched_timed(struct ctl *ctl, bool periodic)
{
	uint64_t passes = ctl->stats.sched_passes;
	int64_t t0;

	if (ctl->sched_running)
		return;
	ctl->sched_running = true;
	t0 = util_now_mono_us();
	if (periodic)
		sched_pass(ctl);
	else
		ctl_sched_run(ctl);
	/* A pass skipped (inactive, database down) is not a duration. */
	if (ctl->stats.sched_passes != passes)
		metrics_sched_pass(ctl, util_now_mono_us() - t0);
	ctl->sched_running = false;
}

static void ctl_sched_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_sched_timed(arg, true);
}

static void ctl_sched_soon_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_sched_timed(arg, false);
}

/* Charge running jobs' GPU time to their accounts; save now and then. */
static void ctl_fairshare_tick(struct ctl *ctl)
{
	int64_t now = util_now_mono_ms();
	double dt = ctl->last_fairshare_mono_ms
			    ? (double)(now - ctl->last_fairshare_mono_ms) / 1000
			    : 0;

	ctl->last_fairshare_mono_ms = now;
	fairshare_set_halflife(ctl->fairshare,
			       (double)ctl->cfg.fairshare_halflife_sec);
	fairshare_decay(ctl->fairshare, (double)now / 1000.0);
	for (struct alloc *a = ctl->allocs; a && dt > 0; a = a->next) {
		const struct job *job = a->job;
		double gpus = 0;

		if (!job || job->state != JOB_RUNNING)
			continue;
		for (int i = 0; i < a->nparts; i++)
			gpus += __builtin_popcount(a->parts[i].gpu_mask);
		fairshare_charge(ctl->fairshare,
				 *job->account ? job->account : job->user,
				 gpus * dt);
	}
	if (now - ctl->last_usage_save_mono_ms >= 60000) {
		ctl->last_usage_save_mono_ms = now;
		load_save_usage(ctl);
	}
}

static void ctl_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *ctl = arg;
	static int ticks;

	(void)fd;
	(void)what;
	if (!ctl->active)
		return;
	node_sweep(ctl);
	gang_sweep(ctl);
	drain_sweep(ctl);
	health_sweep(ctl);
	ctl_fairshare_tick(ctl);
	if (++ticks % 60 == 0)
		job_expire_finished(ctl);
}

void ctl_loaded(struct ctl *ctl)
{
	ctl->loaded = true;
	ctl->active = ctl->leader;
	node_grace_begin(ctl);
	log_info("controller %s active: serving on %s (port %d)", ctl->id,
		 ctl->cfg.listen, listener_port(ctl->listener));
	ctl_sched_soon(ctl);
}

static void ctl_db_state_cb(bool connected, void *arg)
{
	struct ctl *ctl = arg;

	ctl->db_up = connected;
	if (!connected) {
		log_warn("db: unavailable; running jobs continue, changes "
			 "that need a write are refused until it is back");
		leader_db_down(ctl);
		return;
	}
	/* Nothing acts before the leader lock is (re)taken: leader.c. */
	leader_db_up(ctl);
}

static void ctl_reload(struct ctl *ctl)
{
	struct ctl_config fresh;
	struct tlsctx_cfg tc;
	SSL_CTX *tls;
	unsigned mask;
	struct err e;

	if (ctl_config_reread(ctl, &fresh, &e) < 0) {
		log_err("reload: %s; keeping the running configuration", e.msg);
		ctl_config_free(&fresh);
		return;
	}
	if (log_debug_parse(fresh.debug, &mask, &e) < 0) {
		log_err("reload: %s; keeping the running configuration", e.msg);
		ctl_config_free(&fresh);
		return;
	}
	memset(&tc, 0, sizeof(tc));
	tc.ca_file = fresh.ca_file;
	tc.cert_file = fresh.cert_file;
	tc.key_file = fresh.key_file;
	tc.crl_file = fresh.crl_file;
	tc.server = true;
	tc.allow_tls12 = ctl->cfg.allow_tls12;
	tls = tlsctx_build(&tc, &e);
	if (!tls) {
		log_err("reload: TLS: %s; keeping the running configuration",
			e.msg);
		ctl_config_free(&fresh);
		return;
	}
	cfg_keep_nonreloadable(ctl_config_table, &ctl->cfg, &fresh, NULL);
	/* Open connections keep the old context; new ones get this one. */
	SSL_CTX_free(ctl->tls);
	ctl->tls = tls;
	ctl_config_free(&ctl->cfg);
	ctl->cfg = fresh;
	log_set_level(ctl->cfg.log_level);
	log_set_debug(mask);
	if (ctl->health && health_reload(ctl, &e) < 0)
		log_err("reload: health policy: %s; keeping the running policy",
			e.msg);
	if (powerctl_reload(ctl, &e) < 0)
		log_err("reload: power: %s; keeping the running settings",
			e.msg);
	log_info("configuration reloaded from %s", ctl->config_path);
}

static void ctl_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctl *ctl = arg;

	(void)what;
	if (sig == SIGHUP) {
		ctl_reload(ctl);
		return;
	}
	if (sig == SIGCHLD) {
		leader_child_exited(ctl);
		return;
	}
	if (ctl->stopping) {
		log_info("second signal: exiting now");
		event_base_loopbreak(ctl->base);
		return;
	}
	/*
	 * Graceful: stop accepting and close connections.  Jobs keep
	 * running on the agents; the next controller picks them up.
	 */
	log_info("signal %d: shutting down", (int)sig);
	ctl->stopping = true;
	ctl->active = false;
	listener_pause(ctl->listener);
	peer_close_all(ctl);
	{
		struct timeval tv = { 0, 200000 };

		event_base_loopexit(ctl->base, &tv);
	}
}

/* One descriptor per agent: 25,088 agents need far more than 1,024. */
static void ctl_raise_fd_limit(void)
{
	struct rlimit want = { 262144, 262144 }, rl;

	/* Root may raise the hard limit too (up to fs.nr_open). */
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the open-file limit: %s",
			 strerror(errno));
	else if (rl.rlim_cur < 30000)
		log_warn("open-file limit is %llu: fewer agents than that can "
			 "connect (raise LimitNOFILE)",
			 (unsigned long long)rl.rlim_cur);
}

static void ctl_default_id(struct ctl *ctl)
{
	char host[48];

	if (ctl->cfg.id && *ctl->cfg.id) {
		if (util_strlcpy(ctl->id, ctl->cfg.id, sizeof(ctl->id)) < 0)
			log_warn("controller id truncated to '%s'", ctl->id);
		return;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "controller");
	host[sizeof(host) - 1] = '\0';
	snprintf(ctl->id, sizeof(ctl->id), "%s:%d", host, (int)getpid());
}

static int ctl_parse_args(struct ctl *ctl, int argc, char **argv,
			  bool *dump, bool *migrate_only)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "migrate-only", no_argument, NULL, 'M' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **sets = NULL;
	int nsets = 0, c;
	struct err e;

	ctl->config_path = xasprintf("%s/colossus/controller.conf", SYSCONFDIR);
	while ((c = getopt_long(argc, argv, "c:s:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			free(ctl->config_path);
			ctl->config_path = xstrdup(optarg);
			break;
		case 's':
			sets = xreallocarray(sets, (size_t)nsets + 1,
					     sizeof(*sets));
			sets[nsets++] = optarg;
			break;
		case 'D':
			*dump = true;
			break;
		case 'M':
			*migrate_only = true;
			break;
		case 'V':
			printf("colossus-controller %s (protocol %d.%d, schema "
			       "%d)\n",
			       PACKAGE_VERSION, RPC_VERSION_MAJOR,
			       RPC_VERSION_MINOR, migrate_latest());
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
		fprintf(stderr, "colossus-controller: unexpected argument "
				"'%s'\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (ctl_config_load(&ctl->cfg, ctl->config_path, &e) < 0) {
		/* Overrides may supply required keys: retry with them. */
		ctl_config_free(&ctl->cfg);
		memset(&ctl->cfg, 0, sizeof(ctl->cfg));
		if (cfg_defaults(ctl_config_table, &ctl->cfg, &e) < 0 ||
		    (access(ctl->config_path, F_OK) == 0 &&
		     cfg_load_file(ctl_config_table, &ctl->cfg,
				   ctl->config_path, &e) < 0)) {
			fprintf(stderr, "colossus-controller: %s\n", e.msg);
			free(sets);
			return -1;
		}
	}
	/* Kept (ctl_free frees them): SIGHUP reapplies them. */
	ctl->overrides = sets;
	ctl->noverrides = nsets;
	if (ctl_apply_overrides(ctl, &ctl->cfg, &e) < 0) {
		fprintf(stderr, "colossus-controller: %s\n", e.msg);
		return -1;
	}
	if (!*dump && cfg_check_required(ctl_config_table, &ctl->cfg, &e) < 0) {
		fprintf(stderr, "colossus-controller: %s\n", e.msg);
		return -1;
	}
	if (ctl->cfg.lease_sec <= ctl->cfg.heartbeat_interval_sec) {
		fprintf(stderr, "colossus-controller: [nodes] lease must be "
				"longer than heartbeat_interval\n");
		return -1;
	}
	return 0;
}

static void ctl_free(struct ctl *ctl)
{
	/*
	 * First: queries still in flight are completed as failed here, and
	 * their callbacks use the jobs, allocations, nodes and the submit
	 * queue freed below (a SIGTERM during a busy moment at 12,544 nodes
	 * crashed when they ran after those were gone).
	 */
	pgq_destroy(ctl->db);
	ctl->db = NULL;
	nodewrite_destroy(ctl->nodewrite);
	ctl->nodewrite = NULL;
	http_destroy(ctl->http);
	ctl->http = NULL;
	submitq_destroy(ctl->submitq);
	powerctl_destroy(ctl);
	health_fini(ctl);
	free(ctl->breaker);
	alloc_destroy_all(ctl);
	job_table_destroy(ctl->jobs);
	qos_table_destroy(ctl->qos);
	resv_table_destroy(ctl->resv);
	fairshare_destroy(ctl->fairshare);
	hmap_destroy(ctl->finished_states);
	cluster_destroy(ctl->cluster);
	hmap_destroy(ctl->alloc_index);
	events_destroy(ctl->events);
	listener_destroy(ctl->listener);
	if (ctl->sched_timer)
		event_free(ctl->sched_timer);
	if (ctl->sched_soon)
		event_free(ctl->sched_soon);
	free(ctl->sched_fresh);
	if (ctl->sweep_timer)
		event_free(ctl->sweep_timer);
	if (ctl->sig_term)
		event_free(ctl->sig_term);
	if (ctl->sig_int)
		event_free(ctl->sig_int);
	if (ctl->sig_hup)
		event_free(ctl->sig_hup);
	if (ctl->sig_chld)
		event_free(ctl->sig_chld);
	leader_fini(ctl);
	if (ctl->tls)
		SSL_CTX_free(ctl->tls);
	if (ctl->base)
		event_base_free(ctl->base);
	ctl_config_free(&ctl->cfg);
	free(ctl->config_path);
	free(ctl->overrides);
}

int main(int argc, char **argv)
{
	struct ctl ctl;
	bool dump = false, migrate_only = false;
	struct tlsctx_cfg tc;
	struct pgq_cfg pc;
	char app_name[128];
	unsigned mask;
	struct err e;
	struct timeval tv;
	int version;

	memset(&ctl, 0, sizeof(ctl));
	signal(SIGPIPE, SIG_IGN);
	log_init("colossus-controller", false);
	if (ctl_parse_args(&ctl, argc, argv, &dump, &migrate_only) < 0) {
		ctl_free(&ctl);
		return 1;
	}
	if (dump) {
		cfg_dump(ctl_config_table, &ctl.cfg, stdout);
		ctl_free(&ctl);
		return 0;
	}
	log_init("colossus-controller", ctl.cfg.syslog);
	log_set_level(ctl.cfg.log_level);
	if (log_debug_parse(ctl.cfg.debug, &mask, &e) < 0)
		fatal("%s", e.msg);
	log_set_debug(mask);
	ctl_default_id(&ctl);
	ctl_raise_fd_limit();

	version = migrate_run(ctl.cfg.db, migrate_only, &e);
	if (version < 0)
		fatal("%s", e.msg);
	log_info("database schema at version %d", version);
	if (migrate_only) {
		ctl_free(&ctl);
		return 0;
	}

	memset(&tc, 0, sizeof(tc));
	tc.ca_file = ctl.cfg.ca_file;
	tc.cert_file = ctl.cfg.cert_file;
	tc.key_file = ctl.cfg.key_file;
	tc.crl_file = ctl.cfg.crl_file;
	tc.server = true;
	tc.allow_tls12 = ctl.cfg.allow_tls12;
	ctl.tls = tlsctx_build(&tc, &e);
	if (!ctl.tls)
		fatal("TLS: %s", e.msg);

	ctl.base = event_base_new();
	if (!ctl.base)
		fatal("cannot create the event loop");
	ctl.started_mono_ms = util_now_mono_ms();
	ctl.cluster = cluster_create();
	ctl.jobs = job_table_create();
	ctl.alloc_index = hmap_create();
	ctl.qos = qos_table_create();
	ctl.resv = resv_table_create();
	ctl.fairshare = fairshare_create((double)ctl.cfg.fairshare_halflife_sec);
	ctl.finished_states = hmap_create();
	if (health_init(&ctl, &e) < 0)
		fatal("health policy: %s", e.msg);
	if (powerctl_create(&ctl, &e) < 0)
		fatal("power: %s", e.msg);
	ctl.events = events_create(&ctl);
	ctl.nodewrite = nodewrite_create(&ctl);
	ctl.submitq = submitq_create(&ctl);
	ctl.sched_soon = evtimer_new(ctl.base, ctl_sched_soon_cb, &ctl);
	ctl.sched_timer = event_new(ctl.base, -1, EV_PERSIST, ctl_sched_cb,
				    &ctl);
	tv.tv_sec = (time_t)ctl.cfg.sched_interval_sec;
	tv.tv_usec = 0;
	event_add(ctl.sched_timer, &tv);
	ctl.sweep_timer = event_new(ctl.base, -1, EV_PERSIST, ctl_sweep_cb,
				    &ctl);
	tv.tv_sec = 1;
	event_add(ctl.sweep_timer, &tv);
	ctl.sig_term = evsignal_new(ctl.base, SIGTERM, ctl_signal_cb, &ctl);
	ctl.sig_int = evsignal_new(ctl.base, SIGINT, ctl_signal_cb, &ctl);
	ctl.sig_hup = evsignal_new(ctl.base, SIGHUP, ctl_signal_cb, &ctl);
	event_add(ctl.sig_term, NULL);
	event_add(ctl.sig_int, NULL);
	event_add(ctl.sig_hup, NULL);
	ctl.sig_chld = evsignal_new(ctl.base, SIGCHLD, ctl_signal_cb, &ctl);
	event_add(ctl.sig_chld, NULL);
	{
		ssize_t n = readlink("/proc/self/exe", ctl.self_exe,
				     sizeof(ctl.self_exe) - 1);

		ctl.self_exe[n > 0 ? n : 0] = '\0';
	}

	memset(&pc, 0, sizeof(pc));
	pc.conninfo = ctl.cfg.db;
	/* Unique per controller: leader.c recognises its own stale session
	 * by it (controller ids must differ within a cluster). */
	snprintf(app_name, sizeof(app_name), "colossus-controller:%s", ctl.id);
	pc.application_name = app_name;
	pc.liveness_ms = (unsigned)ctl.cfg.db_liveness_sec * 1000;
	ctl.db = pgq_create(ctl.base, &pc, ctl_db_state_cb, &ctl);

	ctl.listener = listener_create(&ctl, &e);
	if (!ctl.listener)
		fatal("%s", e.msg);
	log_info("colossus-controller %s starting as %s; listening on %s "
		 "(port %d)",
		 PACKAGE_VERSION, ctl.id, ctl.cfg.listen,
		 listener_port(ctl.listener));
	if (*ctl.cfg.http_listen) {
		ctl.http = http_create(&ctl, &e);
		if (!ctl.http)
			fatal("%s", e.msg);
	}

	event_base_dispatch(ctl.base);

	log_info("colossus-controller stopped");
	ctl_free(&ctl);
	return 0;
}
