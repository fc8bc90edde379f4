/*
 * The controller link.  See link.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"
#include "nodeagent/health.h"
#include "nodeagent/launch.h"
#include "nodeagent/link.h"
#include "nodeagent/validate.h"
#include "nodeagent/workload.h"

#define LINK_BACKOFF_MIN_MS 200
#define LINK_BACKOFF_MAX_MS 10000

static void link_connect(struct agent *ag);

static void link_reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_connect(arg);
}

static void link_schedule_reconnect(struct agent *ag)
{
	struct timeval tv;
	unsigned delay, max;

	if (ag->stopping)
		return;
	if (!ag->backoff_ms)
		ag->backoff_ms = LINK_BACKOFF_MIN_MS;
	/* Full jitter: 12,544 agents must not reconnect in lockstep. */
	delay = ag->backoff_ms / 2 +
		(unsigned)(random() % (ag->backoff_ms / 2 + 1));
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(ag->reconnect_ev, &tv);
	/*
	 * A controller that comes back (or a standby that takes over) gives
	 * every node one lease to re-register before declaring it down:
	 * never wait longer than a third of it between attempts.
	 */
	max = LINK_BACKOFF_MAX_MS;
	if (ag->lease_ms && ag->lease_ms / 3 < max)
		max = MAX(ag->lease_ms / 3, LINK_BACKOFF_MIN_MS);
	ag->backoff_ms = MIN(ag->backoff_ms * 2, max);
}

static void link_next_controller(struct agent *ag)
{
	if (ag->cfg.controllers.n)
		ag->ctl_index = (ag->ctl_index + 1) % ag->cfg.controllers.n;
}

/* ---- exits ------------------------------------------------------------ */

struct exits_ref {
	struct agent *ag;
	uint64_t job_id;
	uint32_t epoch;
	uint32_t *ranks;
	size_t n;
};

static void link_exits_reply_cb(struct rpcconn *c,
				const Colossus__Response *resp, const char *why,
				void *arg)
{
	struct exits_ref *ref = arg;
	struct workload *w = workload_find(ref->ag, ref->job_id, ref->epoch);

	(void)c;
	if (w) {
		if (resp && resp->status == COLOSSUS__STATUS__STATUS_OK) {
			workload_exits_acked(w, ref->ranks, ref->n);
		} else {
			/* Re-sent after the next registration. */
			for (uint32_t i = 0; i < w->nranks; i++)
				w->ranks[i].sent = false;
			w->final_sent = false;
			log_warn("job=%" PRIu64 ": exits not acknowledged: %s",
				 ref->job_id,
				 resp ? (resp->error ? resp->error : "error")
				      : why);
		}
	}
	free(ref->ranks);
	free(ref);
}

void link_report_exits(struct agent *ag, struct workload *w)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__RankExits m = COLOSSUS__RANK_EXITS__INIT;
	Colossus__RankExit *xs, **ptrs;
	struct exits_ref *ref;
	bool all_exited = true;
	struct err e;
	size_t n = 0;

	if (!ag->registered || !workload_exits_reportable(w))
		return;
	xs = xcalloc(w->nranks + 1, sizeof(*xs));
	ptrs = xcalloc(w->nranks + 1, sizeof(*ptrs));
	ref = xcalloc(1, sizeof(*ref));
	ref->ranks = xcalloc(w->nranks + 1, sizeof(*ref->ranks));
	for (uint32_t i = 0; i < w->nranks; i++) {
		struct wl_rank *r = &w->ranks[i];

		if (!r->exited)
			all_exited = false;
		if (!r->exited || r->acked || r->sent)
			continue;
		colossus__rank_exit__init(&xs[n]);
		xs[n].rank = r->rank;
		xs[n].exit_code = r->exit_code;
		xs[n].signal = r->signal;
		xs[n].cause = (Colossus__ExitCause)r->cause;
		xs[n].end_time_ms = r->end_time_ms;
		xs[n].detail = r->detail;
		ptrs[n] = &xs[n];
		ref->ranks[n] = r->rank;
		n++;
	}
	if (n == 0) {
		free(xs);
		free(ptrs);
		free(ref->ranks);
		free(ref);
		return;
	}
	m.job_id = w->job_id;
	m.epoch = w->epoch;
	m.n_exits = n;
	m.exits = ptrs;
	req.body_case = COLOSSUS__REQUEST__BODY_RANK_EXITS;
	req.rank_exits = &m;
	ref->ag = ag;
	ref->job_id = w->job_id;
	ref->epoch = w->epoch;
	ref->n = n;
	if (rpcconn_request(ag->conn, &req, 30000, link_exits_reply_cb, ref,
			    &e) < 0) {
		log_warn("job=%" PRIu64 ": cannot report exits: %s", w->job_id,
			 e.msg);
		free(ref->ranks);
		free(ref);
	} else {
		for (size_t k = 0; k < n; k++)
			for (uint32_t i = 0; i < w->nranks; i++)
				if (w->ranks[i].rank == ref->ranks[k])
					w->ranks[i].sent = true;
		/* Its last exits are on the way: heartbeats stop listing it,
		 * so the controller never mistakes it for a stale job. */
		if (all_exited)
			w->final_sent = true;
	}
	free(xs);
	free(ptrs);
}

/* ---- heartbeats -------------------------------------------------------- */

static void link_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
	Colossus__Workload **list;
	size_t n;
	struct err e;

	(void)fd;
	(void)what;
	if (!ag->registered)
		return;
	n = workload_list(ag, false, &list);
	hb.seq = ++ag->hb_seq;
	hb.running_ranks = workload_running_ranks(ag);
	hb.sent_ms = util_now_wall_ms();
	hb.n_workloads = n;
	hb.workloads = list;
	req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
	req.heartbeat = &hb;
	if (rpcconn_notify(ag->conn, &req, &e) < 0)
		log_warn("heartbeat not sent: %s", e.msg);
	workload_list_free(list, n);
}

/* ---- registration ------------------------------------------------------- */

static void link_read_boot_id(struct agent *ag)
{
	FILE *f = fopen(ag->cfg.boot_id_file && *ag->cfg.boot_id_file
				? ag->cfg.boot_id_file
				: "/proc/sys/kernel/random/boot_id",
			"re");

	ag->boot_id[0] = '\0';
	if (!f)
		return;
	if (fgets(ag->boot_id, sizeof(ag->boot_id), f))
		ag->boot_id[strcspn(ag->boot_id, "\n")] = '\0';
	fclose(f);
}

static void link_register_reply_cb(struct rpcconn *c,
				   const Colossus__Response *resp,
				   const char *why, void *arg)
{
	struct agent *ag = arg;
	const Colossus__RegisterNodeReply *r;
	struct timeval tv;

	if (!resp || resp->status != COLOSSUS__STATUS__STATUS_OK) {
		const char *msg =
			resp ? (resp->error ? resp->error : "error") : why;

		log_warn("registration refused by %s: %s",
			 ag->cfg.controllers.items[ag->ctl_index], msg);
		/*
		 * No link_next_controller() here: link_on_close() moves on
		 * to the next controller for any unregistered connection;
		 * doing it twice sent an agent of a pair back to the standby
		 * for ever (bench/failover.sh).
		 */
		rpcconn_close(c, "registration refused");
		return;
	}
	r = resp->register_node;
	ag->registered = true;
	ag->backoff_ms = 0;
	ag->lease_ms = r ? r->lease_ms : 0;
	ag->topology_gpus = r ? r->topology_gpus : 0;
	ag->hb_interval_ms =
		r && r->heartbeat_interval_ms ? r->heartbeat_interval_ms : 3000;
	log_info("registered with controller %s (%s); heartbeat every %u ms",
		 ag->cfg.controllers.items[ag->ctl_index],
		 r && r->controller_id ? r->controller_id : "?",
		 ag->hb_interval_ms);
	/*
	 * The registration carried every exit unacknowledged when it was
	 * sent (marked sent then): the controller has those.  A rank that
	 * exited while the reply was on its way was not in it, and is
	 * reported just below; acknowledging it here made the controller
	 * see its workload vanish without exits and requeue a finished job.
	 */
	for (struct workload *w = ag->workloads, *next; w; w = next) {
		uint32_t *ranks = xcalloc(w->nranks + 1, sizeof(*ranks));
		size_t n = 0;

		next = w->next;
		if (workload_exits_reportable(w))
			for (uint32_t i = 0; i < w->nranks; i++)
				if (w->ranks[i].exited && w->ranks[i].sent &&
				    !w->ranks[i].acked)
					ranks[n++] = w->ranks[i].rank;
		if (n)
			workload_exits_acked(w, ranks, n);
		free(ranks);
	}
	for (size_t i = 0; r && i < r->n_fence; i++)
		launch_fence(ag, r->fence[i]->job_id, r->fence[i]->epoch);
	tv.tv_sec = ag->hb_interval_ms / 1000;
	tv.tv_usec = (ag->hb_interval_ms % 1000) * 1000;
	event_del(ag->hb_ev);
	event_add(ag->hb_ev, &tv);
	/* Exits that arrived while we were away. */
	for (struct workload *w = ag->workloads, *next; w; w = next) {
		next = w->next;
		link_report_exits(ag, w);
	}
	/* Health events that waited, and a first full sample. */
	health_registered(ag, r ? r->health_sample_interval_ms : 0);
}

static void link_fill_inventory(struct agent *ag, Colossus__NodeInventory *inv,
				Colossus__GpuInfo *gpus,
				Colossus__GpuInfo **gptrs)
{
	const struct gpu_inventory *gi = gpu_backend_inventory(ag->gpu);
	static char hostname[256];

	if (gethostname(hostname, sizeof(hostname)) < 0)
		hostname[0] = '\0';
	inv->hostname = hostname;
	for (unsigned i = 0; i < gi->count; i++) {
		colossus__gpu_info__init(&gpus[i]);
		gpus[i].index = gi->gpus[i].index;
		gpus[i].uuid = (char *)gi->gpus[i].uuid;
		gpus[i].model = (char *)gi->gpus[i].model;
		gpus[i].memory_mib = gi->gpus[i].memory_mib;
		gpus[i].pci_bus_id = (char *)gi->gpus[i].pci_bus_id;
		gpus[i].numa_node = gi->gpus[i].numa_node;
		gpus[i].serial = (char *)gi->gpus[i].serial;
		gptrs[i] = &gpus[i];
	}
	inv->n_gpus = gi->count;
	inv->gpus = gptrs;
	inv->cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	inv->memory_mib = (uint64_t)sysconf(_SC_PHYS_PAGES) *
			  (uint64_t)sysconf(_SC_PAGESIZE) / (1024 * 1024);
	inv->boot_id = ag->boot_id;
	inv->agent_version = (char *)PACKAGE_VERSION;
	inv->gpu_backend = (char *)gi->backend;
	inv->driver_version = (char *)gi->driver_version;
	inv->address = ag->cfg.address && *ag->cfg.address ? ag->cfg.address
							   : ag->local_addr;
}

static void link_send_register(struct agent *ag)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__RegisterNode m = COLOSSUS__REGISTER_NODE__INIT;
	Colossus__NodeInventory inv = COLOSSUS__NODE_INVENTORY__INIT;
	Colossus__GpuInfo gpus[GPU_MAX];
	Colossus__GpuInfo *gptrs[GPU_MAX];
	Colossus__Workload **list;
	size_t n;
	struct err e;

	link_read_boot_id(ag);
	link_fill_inventory(ag, &inv, gpus, gptrs);
	n = workload_list(ag, true, &list);
	m.node = ag->node;
	m.inventory = &inv;
	m.n_workloads = n;
	m.workloads = list;
	req.body_case = COLOSSUS__REQUEST__BODY_REGISTER_NODE;
	req.register_node = &m;
	/* Mark what the registration reports, so it is not sent twice. */
	for (struct workload *w = ag->workloads; w; w = w->next)
		if (workload_exits_reportable(w))
			for (uint32_t i = 0; i < w->nranks; i++)
				if (w->ranks[i].exited && !w->ranks[i].acked)
					w->ranks[i].sent = true;
	if (rpcconn_request(ag->conn, &req, 30000, link_register_reply_cb, ag,
			    &e) < 0) {
		log_warn("cannot send registration: %s", e.msg);
		rpcconn_close(ag->conn, "registration failed");
	}
	workload_list_free(list, n);
}

/* ---- connection ----------------------------------------------------------- */

static void link_on_request(struct rpcconn *c, const Colossus__Request *req,
			    void *arg)
{
	struct agent *ag = arg;

	switch (req->body_case) {
	case COLOSSUS__REQUEST__BODY_LAUNCH_JOB:
		if (ag->prepare_fn)
			ag->prepare_fn(ag, c, req);
		else
			launch_prepare(ag, c, req);
		break;
	case COLOSSUS__REQUEST__BODY_START_JOB:
		launch_start(ag, c, req);
		break;
	case COLOSSUS__REQUEST__BODY_KILL_JOB:
		launch_kill_request(ag, c, req);
		break;
	case COLOSSUS__REQUEST__BODY_RUN_VALIDATION:
		validate_request(ag, c, req);
		break;
	default:
		if (req->id)
			rpcconn_respond_error(
				c, req->id,
				COLOSSUS__STATUS__STATUS_UNSUPPORTED,
				"the agent does not handle request body %d",
				(int)req->body_case);
		break;
	}
}

static int link_on_connected(struct rpcconn *c, void *arg)
{
	struct agent *ag = arg;
	struct tls_identity id;
	struct err e;

	if (tlsctx_peer_identity(rpcconn_ssl(c), &id, &e) < 0) {
		log_err("controller %s: %s",
			ag->cfg.controllers.items[ag->ctl_index], e.msg);
		return -1;
	}
	if (id.role != TLS_ROLE_CONTROLLER) {
		log_err("controller %s presented a %s certificate ('%s'), not "
			"a controller's; refusing it",
			ag->cfg.controllers.items[ag->ctl_index],
			tlsctx_role_name(id.role), id.name);
		return -1;
	}
	log_sub(LOG_SUB_RPC, "connected to controller %s (%s)",
		ag->cfg.controllers.items[ag->ctl_index], id.name);
	link_send_register(ag);
	return 0;
}

static void link_on_close(struct rpcconn *c, const char *why, void *arg)
{
	struct agent *ag = arg;

	if (ag->conn != c)
		return;
	if (ag->registered)
		log_warn("lost controller %s: %s",
			 ag->cfg.controllers.items[ag->ctl_index], why);
	else
		log_sub(LOG_SUB_RPC, "controller %s: %s",
			ag->cfg.controllers.items[ag->ctl_index], why);
	if (!ag->registered)
		link_next_controller(ag);
	ag->registered = false;
	event_del(ag->hb_ev);
	for (struct workload *w = ag->workloads; w; w = w->next) {
		for (uint32_t i = 0; i < w->nranks; i++)
			w->ranks[i].sent = false;
		w->final_sent = false;
	}
	rpcconn_unref(c);
	ag->conn = NULL;
	link_schedule_reconnect(ag);
}

static const struct rpcconn_ops link_ops = {
	.on_request = link_on_request,
	.on_connected = link_on_connected,
	.on_close = link_on_close,
};

static void link_connect(struct agent *ag)
{
	const char *target;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct bufferevent *bev;
	struct rpcconn_opts opts;
	char host[256];
	const char *colon;
	SSL *ssl;

	if (ag->stopping || ag->conn || !ag->cfg.controllers.n)
		return;
	target = ag->cfg.controllers.items[ag->ctl_index];
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(target, (struct sockaddr *)&ss, &sslen) <
	    0) {
		log_err("controller address '%s' is not a numeric host:port",
			target);
		link_next_controller(ag);
		link_schedule_reconnect(ag);
		return;
	}
	colon = strrchr(target, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon ? colon - target : 0),
		 target);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	ssl = SSL_new(ag->tls);
	/* The controller's certificate must name the address we dialled. */
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	bev = bufferevent_openssl_socket_new(
		ag->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
		BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		link_schedule_reconnect(ag);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	memset(&opts, 0, sizeof(opts));
	opts.max_frame = RPC_MAX_FRAME_DEFAULT;
	opts.max_output = 64u * 1024 * 1024;
	opts.handshake_timeout_ms = 10000;
	opts.label = "controller";
	ag->conn = rpcconn_create(ag->base, bev, &opts, &link_ops, ag);
	rpcconn_set_peer(ag->conn, target);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, sslen) <
	    0) {
		log_sub(LOG_SUB_RPC, "connect %s: %s", target, strerror(errno));
		rpcconn_close(ag->conn, "connect failed");
		return;
	}
	{
		struct sockaddr_storage local;
		socklen_t llen = sizeof(local);
		int fd = bufferevent_getfd(bev);

		if (fd >= 0 &&
		    getsockname(fd, (struct sockaddr *)&local, &llen) == 0 &&
		    local.ss_family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&local)->sin_addr,
				  ag->local_addr, sizeof(ag->local_addr));
	}
}

void link_start(struct agent *ag)
{
	ag->reconnect_ev = evtimer_new(ag->base, link_reconnect_cb, ag);
	ag->hb_ev = event_new(ag->base, -1, EV_PERSIST, link_heartbeat_cb, ag);
	link_connect(ag);
}

void link_stop(struct agent *ag)
{
	ag->stopping = true;
	if (ag->conn)
		rpcconn_close(ag->conn, "agent stopping");
}
