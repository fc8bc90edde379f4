/*
 * Fault injection and the control FIFO.
 *
 * Three Poisson processes, each with a rate per unit-hour of simulated
 * time (--time-scale compresses time, so rates per real second grow by
 * the same factor):
 *
 *   GPU XID     per GPU-hour: the node's sim GPU backend raises the XID
 *               (through gpu_backend_command, the path real faults take),
 *               nodeagent/health.c reports it to the controller as a
 *               HealthReport event, and, with --xid-crash, the ranks on
 *               that GPU die with status 1 as a CUDA error makes them.
 *   node loss   per node-hour: the agent goes silent (no heartbeat, no
 *               answer, no reconnect; its ranks are gone) and comes back
 *               empty after --repair seconds, as a rebooted server would.
 *   rack alarm  per rack-hour: a cooling alarm.  Racks report health
 *               once issue 5 lands; simfault_rack_alarm() is the hook
 *               where that report goes.  Today it is counted and logged.
 *
 * The control FIFO (--control PATH) takes one command per line, for
 * benchmarks that time the response to one precise fault:
 *
 *   stats | lose NODE | restore NODE | restart NODE | xid NODE GPU [CODE]
 *   rack-alarm RACK (r0001 or a 0-based index) | quit
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/sim/sim.h"
#include "common/log.h"
#include "nodeagent/gpu.h"
#include "nodeagent/health.h"
#include "nodeagent/link.h"

enum { FAULT_XID, FAULT_LOSS, FAULT_RACK, FAULT_KINDS };

struct sim_node *sim_find_node(struct sim *sim, const char *name)
{
	for (uint32_t i = 0; i < sim->nnodes; i++)
		if (!strcmp(sim->nodes[i]->ag.node, name))
			return sim->nodes[i];
	return NULL;
}

/* Events per real second of one fault kind. */
static double simfault_rate(const struct sim *sim, int kind)
{
	double per_hour;

	switch (kind) {
	case FAULT_XID:
		per_hour = sim->opt.xid_rate * sim->nnodes * sim->opt.gpus;
		break;
	case FAULT_LOSS:
		per_hour = sim->opt.node_loss_rate * sim->nnodes;
		break;
	default:
		per_hour = sim->opt.rack_alarm_rate * sim->nracks;
		break;
	}
	return per_hour / 3600.0 * sim->opt.time_scale;
}

static void simfault_arm(struct sim *sim, int kind)
{
	double rate = simfault_rate(sim, kind), delay;
	struct timeval tv;

	if (rate <= 0 || !sim->fault_ev[kind])
		return;
	delay = -log(sim_rand01()) / rate;
	if (delay > 86400.0 * 365)
		delay = 86400.0 * 365;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	evtimer_add(sim->fault_ev[kind], &tv);
}

/* A random node that is up (registered and not lost), or NULL. */
static struct sim_node *simfault_pick(struct sim *sim)
{
	for (int tries = 0; tries < 64 && sim->nnodes; tries++) {
		struct sim_node *n =
			sim->nodes[(uint32_t)(sim_rand01() * sim->nnodes) %
				   sim->nnodes];

		if (!n->silent && n->ag.registered)
			return n;
	}
	return NULL;
}

static void simfault_repair_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_node *node = arg;

	(void)fd;
	(void)what;
	simfault_restore_node(node->sim, node);
}

void simfault_lose_node(struct sim *sim, struct sim_node *node)
{
	struct agent *ag = &node->ag;

	if (node->silent || !node->started)
		return;
	node->silent = true;
	sim->nsilent++;
	sim->c.node_losses++;
	log_warn("node=%s: lost (simulated): silent from now on", ag->node);
	/* No heartbeat, no reconnect; link.c honours stopping. */
	ag->stopping = true;
	event_del(ag->hb_ev);
	event_del(ag->reconnect_ev);
	simlaunch_node_lost(node);
	if (sim->opt.repair_sec > 0) {
		double secs = sim->opt.repair_sec / sim->opt.time_scale;
		struct timeval tv = {
			(time_t)secs, (suseconds_t)((secs - (time_t)secs) * 1e6)
		};

		if (!node->repair_ev)
			node->repair_ev = evtimer_new(sim->base,
						      simfault_repair_cb, node);
		evtimer_add(node->repair_ev, &tv);
	}
}

void simfault_restore_node(struct sim *sim, struct sim_node *node)
{
	struct agent *ag = &node->ag;
	static const struct timeval zero = { 0, 0 };

	if (!node->silent)
		return;
	node->silent = false;
	sim->nsilent--;
	ag->stopping = false;
	log_warn("node=%s: back (simulated reboot)", ag->node);
	if (node->repair_ev)
		evtimer_del(node->repair_ev);
	/* The old connection (if the controller kept it) is dead. */
	if (ag->conn)
		rpcconn_close(ag->conn, "node rebooted");
	else
		evtimer_add(ag->reconnect_ev, &zero);
}

static void simfault_crash_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim_node *node = arg;

	(void)fd;
	(void)what;
	if (!node->silent)
		simlaunch_gpu_fault(node, node->crash_gpu, node->crash_code);
}

void simfault_xid(struct sim *sim, struct sim_node *node, unsigned gpu,
		  unsigned code)
{
	struct agent *ag = &node->ag;
	struct timeval tv;
	struct gpu_event evs[8];
	char cmd[64];
	size_t n;
	struct err e;

	if (gpu >= sim->opt.gpus)
		return;
	sim->c.xids++;
	if (!node->own_gpu) {
		/*
		 * Shared inventory: give the node a backend of its own, so
		 * the fault is its own (costs two descriptors).
		 */
		struct gpu_backend_cfg gc;
		struct gpu_backend *b;

		memset(&gc, 0, sizeof(gc));
		gc.kind = "sim";
		gc.kmsg_path = "";
		gc.sim_model = gpu_backend_inventory(ag->gpu)->gpus[0].model;
		gc.sim_gpus = sim->opt.gpus;
		gc.sim_node = ag->node;
		b = gpu_backend_open(&gc, &e);
		if (!b) {
			log_warn("node=%s: no GPU backend for the fault: %s",
				 ag->node, e.msg);
			return;
		}
		ag->gpu = b;
		node->own_gpu = true;
	}
	snprintf(cmd, sizeof(cmd), "xid %u %u", gpu, code);
	if (gpu_backend_command(ag->gpu, cmd, &e) < 0) {
		log_warn("node=%s: %s: %s", ag->node, cmd, e.msg);
		return;
	}
	/*
	 * The XID reaches the controller as a real agent's does: a
	 * HealthReport event from nodeagent/health.c, which takes it from
	 * the backend.  Health runs only on nodes that had a fault (its
	 * timers and periodic samples on every node would cost the
	 * simulator more than the controller).
	 */
	if (!ag->health && health_start(ag, &e) < 0)
		log_warn("node=%s: health: %s", ag->node, e.msg);
	if (ag->health)
		health_gpu_wake(ag);
	while ((n = gpu_backend_drain_events(ag->gpu, evs, 8)) > 0)
		for (size_t i = 0; i < n; i++)
			log_warn("node=%s gpu=%d: XID %u (simulated) %s",
				 ag->node, evs[i].gpu_index, evs[i].code,
				 evs[i].text);
	if (!sim->opt.xid_crash)
		return;
	if (!sim->opt.xid_crash_delay_ms) {
		simlaunch_gpu_fault(node, gpu, code);
		return;
	}
	if (!node->crash_ev)
		node->crash_ev =
			evtimer_new(sim->base, simfault_crash_cb, node);
	else if (evtimer_pending(node->crash_ev, NULL))
		simlaunch_gpu_fault(node, node->crash_gpu, node->crash_code);
	node->crash_gpu = gpu;
	node->crash_code = code;
	tv.tv_sec = sim->opt.xid_crash_delay_ms / 1000;
	tv.tv_usec = (sim->opt.xid_crash_delay_ms % 1000) * 1000;
	evtimer_add(node->crash_ev, &tv);
}

void simfault_rack_alarm(struct sim *sim, uint32_t rack)
{
	sim->c.rack_alarms++;
	/*
	 * The hook for rack health: once racks report cooling (issue 5),
	 * the alarm is sent from here.  Nothing else happens yet.
	 */
	log_warn("rack r%04u: coolant flow alarm (simulated); not reported "
		 "yet (no health RPC)",
		 rack + 1);
}

static void simfault_fire(struct sim *sim, int kind)
{
	struct sim_node *node;

	switch (kind) {
	case FAULT_XID:
		node = simfault_pick(sim);
		if (node)
			simfault_xid(sim, node,
				     (unsigned)(sim_rand01() * sim->opt.gpus) %
					     sim->opt.gpus,
				     sim->opt.xid_code);
		break;
	case FAULT_LOSS:
		node = simfault_pick(sim);
		if (node)
			simfault_lose_node(sim, node);
		break;
	default:
		if (sim->nracks)
			simfault_rack_alarm(
				sim, sim->first_rack + (uint32_t)(sim_rand01() *
								  sim->nracks) %
							       sim->nracks);
		break;
	}
	simfault_arm(sim, kind);
}

static void simfault_xid_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	simfault_fire(arg, FAULT_XID);
}

static void simfault_loss_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	simfault_fire(arg, FAULT_LOSS);
}

static void simfault_rack_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	simfault_fire(arg, FAULT_RACK);
}

void simfault_start(struct sim *sim)
{
	for (int k = 0; k < FAULT_KINDS; k++) {
		if (simfault_rate(sim, k) <= 0)
			continue;
		static event_callback_fn const cbs[FAULT_KINDS] = {
			simfault_xid_cb, simfault_loss_cb, simfault_rack_cb
		};

		sim->fault_ev[k] = evtimer_new(sim->base, cbs[k], sim);
		simfault_arm(sim, k);
	}
}

void simfault_stop(struct sim *sim)
{
	for (int k = 0; k < FAULT_KINDS; k++)
		if (sim->fault_ev[k]) {
			event_free(sim->fault_ev[k]);
			sim->fault_ev[k] = NULL;
		}
	if (sim->control_ev) {
		event_free(sim->control_ev);
		sim->control_ev = NULL;
	}
	if (sim->control_fd >= 0) {
		close(sim->control_fd);
		sim->control_fd = -1;
	}
}

/* ---- control FIFO ------------------------------------------------------ */

static void simfault_command(struct sim *sim, char *line)
{
	char *argv[4] = { NULL };
	int argc = 0;
	struct sim_node *node = NULL;

	for (char *tok = strtok(line, " \t\r"); tok && argc < 4;
	     tok = strtok(NULL, " \t\r"))
		argv[argc++] = tok;
	if (!argc)
		return;
	if (argc >= 2 && strcmp(argv[0], "rack-alarm")) {
		node = sim_find_node(sim, argv[1]);
		if (!node) {
			printf("sim: control: no node %s here\n", argv[1]);
			fflush(stdout);
			return;
		}
	}
	if (!strcmp(argv[0], "stats")) {
		sim_print_stats(sim, false);
	} else if (!strcmp(argv[0], "lose") && node) {
		simfault_lose_node(sim, node);
	} else if (!strcmp(argv[0], "restore") && node) {
		simfault_restore_node(sim, node);
	} else if (!strcmp(argv[0], "restart") && node) {
		/* An agent restart: the connection drops, workloads stay. */
		if (node->ag.conn)
			rpcconn_close(node->ag.conn, "agent restart");
	} else if (!strcmp(argv[0], "xid") && node && argc >= 3) {
		simfault_xid(sim, node, (unsigned)atoi(argv[2]),
			     argc >= 4 ? (unsigned)atoi(argv[3])
				       : sim->opt.xid_code);
	} else if (!strcmp(argv[0], "rack-alarm") && argc >= 2) {
		const char *r = argv[1][0] == 'r' ? argv[1] + 1 : argv[1];
		long idx = strtol(r, NULL, 10) - (argv[1][0] == 'r' ? 1 : 0);

		if (idx >= 0)
			simfault_rack_alarm(sim, (uint32_t)idx);
	} else if (!strcmp(argv[0], "quit")) {
		raise(SIGTERM);
	} else {
		printf("sim: control: unknown command '%s'\n", argv[0]);
		fflush(stdout);
		return;
	}
	printf("sim: control: done %s%s%s wall_ms=%" PRId64 "\n", argv[0],
	       node ? " " : "", node ? node->ag.node : "", util_now_wall_ms());
	fflush(stdout);
}

static void simfault_control_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	ssize_t n;

	(void)what;
	for (;;) {
		char *nl;

		n = read(fd, sim->control_buf + sim->control_len,
			 sizeof(sim->control_buf) - 1 - sim->control_len);
		if (n <= 0)
			break;
		sim->control_len += (size_t)n;
		sim->control_buf[sim->control_len] = '\0';
		while ((nl = strchr(sim->control_buf, '\n')) != NULL) {
			size_t used = (size_t)(nl - sim->control_buf) + 1;

			*nl = '\0';
			simfault_command(sim, sim->control_buf);
			memmove(sim->control_buf, sim->control_buf + used,
				sim->control_len - used + 1);
			sim->control_len -= used;
		}
		/* A line longer than the buffer: drop it. */
		if (sim->control_len == sizeof(sim->control_buf) - 1)
			sim->control_len = 0;
	}
}

int simfault_control_open(struct sim *sim, struct err *e)
{
	const char *path = sim->opt.control;
	struct stat st;

	if (stat(path, &st) < 0) {
		if (mkfifo(path, 0600) < 0)
			return err_set(e, "mkfifo %s: %s", path,
				       strerror(errno));
	} else if (!S_ISFIFO(st.st_mode)) {
		return err_set(e, "%s exists and is not a FIFO", path);
	}
	/* Read-write: the FIFO never reports end-of-file between writers. */
	sim->control_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (sim->control_fd < 0)
		return err_set(e, "open %s: %s", path, strerror(errno));
	sim->control_ev =
		event_new(sim->base, sim->control_fd, EV_READ | EV_PERSIST,
			  simfault_control_cb, sim);
	event_add(sim->control_ev, NULL);
	return 0;
}
