/*
 * colossus-sim: start-up, the connection ramp, watching registrations,
 * statistics and shut-down.  See sim.h for the design and bench/README.md
 * for how the benchmarks drive it.
 *
 *   options -> logging -> open-file limit -> node list (this slice) ->
 *   identities (a key and certificate per node, made here) -> GPU
 *   inventories -> ramp: link_start() per node -> loop.
 *
 * Output on stdout, one line each, for people and scripts alike:
 *   sim: event=identities|connecting|all_registered|registration_lost ...
 *   sim: t=SECONDS started=.. conn=.. reg=.. ... (every --stats-interval)
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/sim/sim.h"
#include "common/hmap.h"
#include "common/hostlist.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/gpu.h"
#include "nodeagent/health.h"
#include "nodeagent/link.h"
#include "nodeagent/settings.h"
#include "nodeagent/workload.h"

#define SIM_WATCH_MS 100

double sim_rand01(void)
{
	return ((double)random() + 0.5) / ((double)RAND_MAX + 1.0);
}

/* Descriptors: one socket per node, two eventfds per own GPU backend. */
static void sim_raise_fd_limit(const struct sim *sim)
{
	rlim_t need =
		(rlim_t)sim->nnodes * (sim->opt.gpu_per_node ? 3 : 1) + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur < need) {
		struct rlimit want = { need, need > rl.rlim_max ? need
								: rl.rlim_max };

		/* Root with CAP_SYS_RESOURCE may raise the hard limit. */
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				fatal("setrlimit: %s", strerror(errno));
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need)
		fatal("%u nodes need %llu descriptors but the limit is %llu "
		      "(hard limit; raising it needs CAP_SYS_RESOURCE): run "
		      "several processes with --slice",
		      sim->nnodes, (unsigned long long)need,
		      (unsigned long long)rl.rlim_cur);
}

static struct gpu_backend *sim_open_gpu(struct sim *sim, const char *node,
					const char *model)
{
	struct gpu_backend_cfg gc;
	struct gpu_backend *b;
	struct err e;

	memset(&gc, 0, sizeof(gc));
	gc.kind = "sim";
	gc.kmsg_path = "";
	gc.sim_model = model;
	gc.sim_gpus = sim->opt.gpus;
	gc.sim_node = node;
	b = gpu_backend_open(&gc, &e);
	if (!b)
		fatal("GPU backend for %s: %s", node, e.msg);
	return b;
}

static void sim_build_nodes(struct sim *sim)
{
	struct hostlist *all = hostlist_create(), *h200 = NULL;
	uint32_t first, last;
	int64_t t0 = util_now_mono_ms();
	struct err e;

	if (hostlist_parse(all, sim->opt.nodes, 1000000, &e) < 0)
		fatal("--nodes: %s", e.msg);
	if (sim->opt.h200) {
		h200 = hostlist_create();
		if (hostlist_parse(h200, sim->opt.h200, 1000000, &e) < 0)
			fatal("--h200: %s", e.msg);
		hostlist_sort_uniq(h200);
	}
	sim->total = (uint32_t)hostlist_count(all);
	first = (uint32_t)((uint64_t)sim->total * (sim->opt.slice - 1) /
			   sim->opt.slices);
	last = (uint32_t)((uint64_t)sim->total * sim->opt.slice /
			  sim->opt.slices);
	sim->nnodes = last - first;
	if (!sim->nnodes)
		fatal("no nodes in slice %u/%u of %u", sim->opt.slice,
		      sim->opt.slices, sim->total);
	sim->first_rack = first / sim->opt.nodes_per_rack;
	sim->nracks =
		(last - 1) / sim->opt.nodes_per_rack - sim->first_rack + 1;
	sim_raise_fd_limit(sim);
	if (simpki_init(sim, &e) < 0)
		fatal("%s", e.msg);
	sim->nodes = xcalloc(sim->nnodes, sizeof(*sim->nodes));
	for (uint32_t i = 0; i < sim->nnodes; i++) {
		struct sim_node *node = xcalloc(1, sizeof(*node));
		struct agent *ag = &node->ag;
		const char *name = hostlist_nth(all, first + i);
		bool is_h200 = false;

		if (util_strlcpy(ag->node, name, sizeof(ag->node)) < 0)
			fatal("node name %s is too long", name);
		if (h200)
			for (size_t k = 0; k < hostlist_count(h200) && !is_h200;
			     k++)
				is_h200 = !strcmp(hostlist_nth(h200, k), name);
		node->sim = sim;
		node->index = i;
		node->global = first + i;
		node->rack = node->global / sim->opt.nodes_per_rack;
		ag->base = sim->base;
		/* Shallow copy: every node shares the template's strings. */
		ag->cfg = sim->tmpl;
		if (sim->opt.gpu_per_node) {
			ag->gpu = sim_open_gpu(sim, name,
					       is_h200 ? "H200" : "H100");
			node->own_gpu = true;
		} else {
			int m = is_h200 ? 1 : 0;

			if (!sim->shared_gpu[m])
				sim->shared_gpu[m] = sim_open_gpu(
					sim, m ? "sim-h200" : "sim-h100",
					m ? "H200" : "H100");
			ag->gpu = sim->shared_gpu[m];
		}
		if (simpki_node(sim, node, &e) < 0)
			fatal("%s", e.msg);
		if (workload_table_init(ag, &e) < 0)
			fatal("%s", e.msg);
		sim->nodes[i] = node;
	}
	hostlist_destroy(all);
	hostlist_destroy(h200);
	printf("sim: event=identities nodes=%u slice=%u/%u total=%u "
	       "mode=%s took_ms=%" PRId64 "\n",
	       sim->nnodes, sim->opt.slice, sim->opt.slices, sim->total,
	       sim->opt.sim_cert ? "sim-cert" : "per-node-cert",
	       util_now_mono_ms() - t0);
	fflush(stdout);
}

/* ---- ramp ---------------------------------------------------------------- */

/* Agents with a connection that is not registered yet: handshaking. */
static uint32_t sim_count_connecting(struct sim *sim)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < sim->next_start; i++) {
		const struct agent *ag = &sim->nodes[i]->ag;

		n += ag->conn && !ag->registered;
	}
	sim->connecting = n;
	return n;
}

/* How many more agents may start a handshake now. */
static uint32_t sim_handshake_budget(struct sim *sim)
{
	if (!sim->opt.max_handshakes)
		return UINT32_MAX;
	return sim->connecting < sim->opt.max_handshakes
		       ? sim->opt.max_handshakes - sim->connecting
		       : 0;
}

static void sim_ramp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	uint32_t target = sim->nnodes, budget;

	(void)fd;
	(void)what;
	if (sim->stopping)
		return;
	if (sim->opt.connect_rate > 0) {
		double secs =
			(double)(util_now_wall_ms() - sim->connect_ms) / 1000.0;
		double want = floor(secs * sim->opt.connect_rate) + 1;

		if (want < target)
			target = (uint32_t)want;
	}
	sim_count_connecting(sim);
	budget = sim_handshake_budget(sim);
	while (sim->next_start < target && budget > 0) {
		struct sim_node *node = sim->nodes[sim->next_start++];

		node->started = true;
		link_start(&node->ag);
		budget--;
		sim->connecting++;
	}
	if (sim->next_start < sim->nnodes) {
		struct timeval tv = { 0, 10000 };

		evtimer_add(sim->ramp_ev, &tv);
	}
}

/*
 * Admission for reconnects that link.c's own timers start: one process
 * does the client side of every handshake, which a real cluster spreads
 * over thousands of CPUs.  Past --max-handshakes in flight, reconnects
 * due before the next tick are pushed back by 0.1-0.5 s, so handshakes
 * finish instead of all timing out together.  Counted in "postponed".
 */
static void sim_gate_reconnects(struct sim *sim)
{
	struct timeval now, when;
	uint32_t budget = sim_handshake_budget(sim);
	static const uint32_t horizon_us = SIM_WATCH_MS * 1000;

	if (!sim->opt.max_handshakes)
		return;
	event_base_gettimeofday_cached(sim->base, &now);
	for (uint32_t k = 0; k < sim->next_start; k++) {
		/* Start the walk at a moving place: no node always waits. */
		uint32_t i = (k + sim->gate_offset) % sim->next_start;
		struct agent *ag = &sim->nodes[i]->ag;
		int64_t due_us;

		if (!ag->reconnect_ev ||
		    !evtimer_pending(ag->reconnect_ev, &when))
			continue;
		due_us = ((int64_t)when.tv_sec - now.tv_sec) * 1000000 +
			 (when.tv_usec - now.tv_usec);
		if (due_us > horizon_us)
			continue;
		if (budget > 0) {
			budget--;
			sim->connecting++;
			continue;
		}
		when.tv_sec = 0;
		when.tv_usec = (suseconds_t)(horizon_us +
					     sim_rand01() * 4 * horizon_us);
		evtimer_add(ag->reconnect_ev, &when);
		sim->postponed++;
	}
	sim->gate_offset += 997;
}

/* ---- watch and statistics -------------------------------------------- */

static void sim_event(struct sim *sim, const char *what, int64_t since_ms)
{
	int64_t now = util_now_wall_ms();

	printf("sim: event=%s nodes=%u reg=%u silent=%u wall_ms=%" PRId64
	       " since_connect_ms=%" PRId64 " since_ms=%" PRId64 "\n",
	       what, sim->nnodes, sim->nreg, sim->nsilent, now,
	       now - sim->connect_ms, since_ms >= 0 ? now - since_ms : -1);
	fflush(stdout);
}

/*
 * How late a periodic timer of priority pri ran: the loop's own lag.
 * Priority 0 is what heartbeats see; priority 1 what socket I/O sees.
 */
static void sim_note_lag(struct sim *sim, int pri)
{
	int64_t now = util_now_mono_ms();
	int64_t late = sim->lag_last_ms[pri]
			       ? now - sim->lag_last_ms[pri] - SIM_WATCH_MS
			       : 0;

	if (late > sim->lag_max_ms[pri])
		sim->lag_max_ms[pri] = late;
	sim->lag_last_ms[pri] = now;
}

static void sim_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sim_note_lag(arg, 1);
}

static void sim_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	uint32_t conn = 0, reg = 0, target;

	(void)fd;
	(void)what;
	sim_note_lag(sim, 0);
	for (uint32_t i = 0; i < sim->nnodes; i++) {
		struct sim_node *node = sim->nodes[i];
		struct agent *ag = &node->ag;

		if (ag->conn)
			conn++;
		if (ag->conn && !ag->registered && !node->attempt_ms)
			node->attempt_ms = util_now_mono_ms();
		if (!ag->conn && node->attempt_ms) {
			sim->c.failed_attempts++;
			node->attempt_ms = 0;
		}
		if (ag->registered) {
			reg++;
			if (!node->was_registered)
				sim->c.registrations++;
			if (node->attempt_ms) {
				int64_t ms =
					util_now_mono_ms() - node->attempt_ms;
				unsigned b = 0;

				while (b < 31 && (1ll << b) < ms)
					b++;
				sim->reg_lat[b]++;
				node->attempt_ms = 0;
			}
		}
		node->was_registered = ag->registered;
		if (node->silent && ag->hb_ev)
			event_del(ag->hb_ev);
	}
	sim->nconn = conn;
	sim->nreg = reg;
	sim_count_connecting(sim);
	sim_gate_reconnects(sim);
	target = sim->nnodes - sim->nsilent;
	if (!sim->all_registered && target && reg >= target) {
		sim->all_registered = true;
		sim_event(sim, "all_registered",
			  sim->reg_lost_ms ? sim->reg_lost_ms : -1);
	} else if (sim->all_registered && reg < target) {
		sim->all_registered = false;
		sim->reg_lost_ms = util_now_wall_ms();
		sim_event(sim, "registration_lost", -1);
	}
	simjob_flush(sim);
}

#define RATE(f) ((double)(sim->c.f - sim->last.f) / secs)

/* Upper bound (ms) of the q-quantile of the registration times; 0 if none. */
static unsigned sim_reg_quantile(const struct sim *sim, double q)
{
	uint64_t n = 0, seen = 0;

	for (unsigned b = 0; b < 32; b++)
		n += sim->reg_lat[b];
	if (!n)
		return 0;
	for (unsigned b = 0; b < 32; b++) {
		seen += sim->reg_lat[b];
		if ((double)seen >= q * (double)n)
			return 1u << b;
	}
	return 1u << 31;
}

void sim_print_stats(struct sim *sim, bool final)
{
	int64_t now = util_now_wall_ms();
	double secs = (double)(now - sim->last_stats_ms) / 1000.0;
	uint64_t wl = 0, ranks = 0, gpus = 0;

	if (secs <= 0)
		secs = 1e-3;
	for (uint32_t i = 0; i < sim->nnodes; i++)
		for (struct workload *w = sim->nodes[i]->ag.workloads; w;
		     w = w->next) {
			wl++;
			if (w->state != WL_RUNNING)
				continue;
			for (uint32_t r = 0; r < w->nranks; r++)
				ranks += !w->ranks[r].exited;
			if (!workload_finished(w))
				gpus += (uint64_t)__builtin_popcount(
					w->gpu_mask);
		}
	printf("sim: %st=%.1f started=%u conn=%u reg=%u connecting=%u "
	       "postponed=%u silent=%u wl=%" PRIu64 " ranks=%" PRIu64
	       " gpus_busy=%" PRIu64
	       " launch/s=%.0f start/s=%.0f exit/s=%.0f kill/s=%.0f "
	       "hb/s=%.0f jobs_started=%" PRIu64 " launches=%" PRIu64
	       " starts=%" PRIu64 " exits=%" PRIu64 " kills=%" PRIu64
	       " fences=%" PRIu64 " refused=%" PRIu64 " regs=%" PRIu64
	       " xids=%" PRIu64 " lost=%" PRIu64 " rack_alarms=%" PRIu64
	       " failed_attempts=%" PRIu64 " reg_ms_p50<=%u reg_ms_p99<=%u"
	       " lag_ms=%" PRId64 "/%" PRId64 " wall_ms=%" PRId64 "\n",
	       final ? "final " : "", (double)(now - sim->t0_ms) / 1000.0,
	       sim->next_start, sim->nconn, sim->nreg, sim->connecting,
	       sim->postponed, sim->nsilent, wl, ranks, gpus, RATE(launches),
	       RATE(starts), RATE(exits), RATE(kills), RATE(heartbeats),
	       sim->c.jobs_started, sim->c.launches, sim->c.starts,
	       sim->c.exits, sim->c.kills, sim->c.fences, sim->c.refused,
	       sim->c.registrations, sim->c.xids, sim->c.node_losses,
	       sim->c.rack_alarms, sim->c.failed_attempts,
	       sim_reg_quantile(sim, 0.5), sim_reg_quantile(sim, 0.99),
	       sim->lag_max_ms[0], sim->lag_max_ms[1], now);
	sim->lag_max_ms[0] = sim->lag_max_ms[1] = 0;
	fflush(stdout);
	memset(sim->reg_lat, 0, sizeof(sim->reg_lat));
	sim->last = sim->c;
	sim->last_stats_ms = now;
}

static void sim_stats_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sim_print_stats(arg, false);
}

/* ---- stopping ---------------------------------------------------------- */

static void sim_stop_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	uint32_t open = 0;

	(void)fd;
	(void)what;
	for (uint32_t i = 0; i < sim->nnodes; i++)
		open += sim->nodes[i]->ag.conn != NULL;
	/* Closing flushes for up to a second; then give up waiting. */
	if (open == 0 || ++sim->stop_rounds > 60) {
		event_base_loopexit(sim->base, NULL);
		return;
	}
	{
		struct timeval tv = { 0, 50000 };

		evtimer_add(sim->stop_ev, &tv);
	}
}

static void sim_stop(struct sim *sim)
{
	struct timeval tv = { 0, 50000 };

	if (sim->stopping)
		return;
	sim->stopping = true;
	sim_print_stats(sim, true);
	simfault_stop(sim);
	for (uint32_t i = 0; i < sim->nnodes; i++) {
		struct sim_node *node = sim->nodes[i];

		if (node->repair_ev)
			evtimer_del(node->repair_ev);
		if (node->started)
			link_stop(&node->ag);
	}
	evtimer_add(sim->stop_ev, &tv);
}

static void sim_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sim *sim = arg;

	(void)what;
	if (sim->stopping) {
		event_base_loopbreak(sim->base);
		return;
	}
	log_warn("signal %d: stopping", (int)sig);
	sim_stop(sim);
}

static void sim_runfor_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sim_stop(arg);
}

static void sim_free(struct sim *sim)
{
	for (uint32_t i = 0; sim->nodes && i < sim->nnodes; i++) {
		struct sim_node *node = sim->nodes[i];
		struct agent *ag = &node->ag;

		if (!node)
			continue;
		workload_table_fini(ag);
		if (ag->conn) {
			/* Still flushing after a minute: drop it. */
			rpcconn_unref(ag->conn);
			ag->conn = NULL;
		}
		if (ag->hb_ev)
			event_free(ag->hb_ev);
		if (ag->reconnect_ev)
			event_free(ag->reconnect_ev);
		if (node->repair_ev)
			event_free(node->repair_ev);
		if (node->crash_ev)
			event_free(node->crash_ev);
		health_stop(ag);
		if (node->own_gpu)
			gpu_backend_close(ag->gpu);
		SSL_CTX_free(ag->tls);
		free(node);
	}
	free(sim->nodes);
	for (int m = 0; m < 2; m++)
		gpu_backend_close(sim->shared_gpu[m]);
	simjob_fini(sim);
	if (sim->job_log)
		fclose(sim->job_log);
	simpki_fini(sim);
	agent_config_free(&sim->tmpl);
	if (sim->ramp_ev)
		event_free(sim->ramp_ev);
	if (sim->watch_ev)
		event_free(sim->watch_ev);
	if (sim->probe_ev)
		event_free(sim->probe_ev);
	if (sim->stats_ev)
		event_free(sim->stats_ev);
	if (sim->stop_ev)
		event_free(sim->stop_ev);
	if (sim->sig_term)
		event_free(sim->sig_term);
	if (sim->sig_int)
		event_free(sim->sig_int);
	if (sim->base)
		event_base_free(sim->base);
}

int main(int argc, char **argv)
{
	struct sim sim;
	struct event *runfor = NULL;
	struct timeval tv;
	unsigned mask;
	struct err e;

	memset(&sim, 0, sizeof(sim));
	sim.control_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	log_init("colossus-sim", false);
	sim_parse_args(&sim, argc, argv);
	log_set_level(sim.opt.log_level);
	if (log_debug_parse(sim.opt.debug ? sim.opt.debug : "", &mask, &e) < 0)
		fatal("%s", e.msg);
	log_set_debug(mask);
	srandom((unsigned)sim.opt.seed);
	sim.t0_ms = util_now_wall_ms();

	if (agent_config_load(&sim.tmpl, NULL, &e) < 0 ||
	    cfg_set(agent_config_table, &sim.tmpl, "agent.controllers",
		    sim.opt.controllers, &e) < 0)
		fatal("--controller: %s", e.msg);
	{
		/*
		 * Two priorities: our own rare timers (watch, stats) first,
		 * everything else (heartbeat timers, socket I/O) second, at
		 * most 10 ms of it per loop pass.  Heartbeat timers must not
		 * be above the I/O: libevent runs only the highest non-empty
		 * queue per pass, 4,000+ heartbeats a second keep that queue
		 * busy, and a heartbeat is only written to its socket by the
		 * I/O callbacks, so under load the I/O starved for tens of
		 * seconds and the controller closed the silent connections.
		 */
		struct event_config *ec = event_config_new();
		struct timeval slice = { 0, 10000 };

		if (!ec || event_config_set_max_dispatch_interval(ec, &slice,
								  -1, 1) < 0)
			fatal("cannot configure the event loop");
		sim.base = event_base_new_with_config(ec);
		event_config_free(ec);
		if (!sim.base || event_base_priority_init(sim.base, 2) < 0)
			fatal("cannot create the event loop");
	}
	sim.jobs = hmap_create();
	if (sim.opt.job_log) {
		char path[4096];

		/* One log per process: "FILE.I" for slice I of several. */
		if (sim.opt.slices > 1)
			snprintf(path, sizeof(path), "%s.%u", sim.opt.job_log,
				 sim.opt.slice);
		else
			snprintf(path, sizeof(path), "%s", sim.opt.job_log);
		sim.job_log = fopen(path, "we");
		if (!sim.job_log)
			fatal("%s: %s", path, strerror(errno));
		fprintf(sim.job_log,
			"# wall_ms job epoch num_nodes launched started ended "
			"first_launch_ms last_launch_ms first_start_ms "
			"last_start_ms\n");
	}
	sim_build_nodes(&sim);
	if (sim.opt.control && simfault_control_open(&sim, &e) < 0)
		fatal("%s", e.msg);

	sim.sig_term = evsignal_new(sim.base, SIGTERM, sim_signal_cb, &sim);
	sim.sig_int = evsignal_new(sim.base, SIGINT, sim_signal_cb, &sim);
	event_add(sim.sig_term, NULL);
	event_add(sim.sig_int, NULL);
	sim.stop_ev = evtimer_new(sim.base, sim_stop_wait_cb, &sim);
	sim.watch_ev = event_new(sim.base, -1, EV_PERSIST, sim_watch_cb, &sim);
	event_priority_set(sim.watch_ev, 0);
	sim.probe_ev = event_new(sim.base, -1, EV_PERSIST, sim_probe_cb, &sim);
	tv.tv_sec = 0;
	tv.tv_usec = SIM_WATCH_MS * 1000;
	event_add(sim.watch_ev, &tv);
	event_add(sim.probe_ev, &tv);
	sim.stats_ev = event_new(sim.base, -1, EV_PERSIST, sim_stats_cb, &sim);
	event_priority_set(sim.stats_ev, 0);
	tv.tv_sec = (time_t)sim.opt.stats_interval;
	tv.tv_usec =
		(suseconds_t)((sim.opt.stats_interval - (double)tv.tv_sec) *
			      1e6);
	event_add(sim.stats_ev, &tv);
	if (sim.opt.run_for > 0) {
		runfor = evtimer_new(sim.base, sim_runfor_cb, &sim);
		tv.tv_sec = (time_t)sim.opt.run_for;
		tv.tv_usec =
			(suseconds_t)((sim.opt.run_for - (double)tv.tv_sec) *
				      1e6);
		evtimer_add(runfor, &tv);
	}
	simfault_start(&sim);

	sim.connect_ms = sim.last_stats_ms = util_now_wall_ms();
	sim_event(&sim, "connecting", -1);
	sim.ramp_ev = evtimer_new(sim.base, sim_ramp_cb, &sim);
	sim_ramp_cb(-1, 0, &sim);

	event_base_dispatch(sim.base);

	if (runfor)
		event_free(runfor);
	simfault_stop(&sim);
	sim_free(&sim);
	return 0;
}
