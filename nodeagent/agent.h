/*
 * struct agent: the node agent's whole state, passed to every callback;
 * and struct workload: one job incarnation (job id, epoch) on this node.
 *
 * A workload lives in a directory under state_dir that both the agent and
 * the job's shepherd process write (see wlfiles.h), so that an agent
 * restart re-adopts running ranks and never loses an exit code.
 */
#ifndef NODEAGENT_AGENT_H
#define NODEAGENT_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/rpcconn.h"
#include "nodeagent/cgroup.h"
#include "nodeagent/gpu.h"
#include "nodeagent/settings.h"
#include "proto/rpc.h"

struct hmap;
struct control;
struct nicwatch;
struct health;
struct health_exec;
struct validate;
struct probe;
struct progress;

enum wl_state {
	WL_PREPARED = 1, /* ready; waiting for StartJob */
	WL_RUNNING = 2,	 /* shepherd started            */
	WL_DONE = 3,	 /* every rank exited, cleaned  */
};

enum wl_cause {
	WL_CAUSE_NONE = 0,
	WL_CAUSE_KILLED = 1,
	WL_CAUSE_TIMEOUT = 2,
};

struct wl_rank {
	uint32_t rank;
	uint32_t local_rank;
	bool exited;
	bool sent;  /* reported in a RankExits not yet answered */
	bool acked; /* the controller has it */
	int32_t exit_code;
	int32_t signal;
	int cause; /* Colossus__ExitCause */
	int64_t end_time_ms;
	char detail[200];
};

/* A KillJob waiting for the fence to complete. */
struct wl_kill_wait {
	struct wl_kill_wait *next;
	struct rpcconn *conn; /* referenced */
	uint64_t req_id;
};

struct workload {
	struct agent *ag;
	uint64_t job_id;
	uint32_t epoch;
	enum wl_state state;
	char dir[PATH_MAX];
	char cgroup[PATH_MAX]; /* "" when not using cgroups */
	struct wl_rank *ranks;
	uint32_t nranks;
	uint16_t gpu_mask;
	uid_t uid;
	pid_t shepherd;
	uint64_t shepherd_start;
	int wd; /* inotify watch */
	uint64_t time_limit_sec;
	uint32_t kill_grace_sec;
	int64_t start_wall; /* when started (Unix s)           */
	int64_t prepared_mono_ms;
	enum wl_cause cause; /* why it is being stopped         */
	bool killing;
	bool sigkill_sent;
	int64_t kill_started_ms;
	bool done_marker;    /* shepherd finished and cleaned up */
	bool final_sent;     /* every exit sent; omit from heartbeats */
	struct event *timer; /* time limit, grace, prepare expiry */
	struct wl_kill_wait *kill_waits;
	struct workload *next, *prev;
	uint32_t node_rank; /* this node's place in the gang     */
	uint32_t num_nodes;
	uint32_t master_port; /* picked at prepare (node-rank 0)   */
	/* Hang detection (progress.c): 0 = off. */
	uint32_t progress_timeout_sec;
	bool progress_loaded; /* the limit is known (after a restart: read
			       * from launch.pb) */
	bool hang_reported;   /* once per incarnation */
};

struct agent {
	struct event_base *base;
	struct agent_config cfg;
	char *config_path;
	char node[64];
	char self_exe[PATH_MAX];
	char boot_id[64];
	SSL_CTX *tls;
	/* Controller link (link.c). */
	struct rpcconn *conn;
	bool registered;
	size_t ctl_index;
	unsigned backoff_ms;
	struct event *reconnect_ev;
	struct event *hb_ev;
	uint32_t hb_interval_ms;
	/* The controller's lease (from registration; 0 before): reconnect
	 * attempts stay well inside it.  */
	uint32_t lease_ms;
	/* GPUs the controller's topology gives this node (0: not told);
	 * the return-to-service self-check wants at least that many. */
	uint32_t topology_gpus;
	uint64_t hb_seq;
	char local_addr[64]; /* our side of the controller connection */
	/* Workloads (workload.c). */
	struct workload *workloads;
	struct hmap *wl_index;
	int nworkloads;
	int inotify_fd;
	struct event *inotify_ev;
	struct event *scan_ev;
	/* Hardware. */
	struct gpu_backend *gpu;
	struct event *gpu_ev;
	struct cgroup_env cg;
	struct nicwatch *nicwatch; /* NIC link state (nicwatch.c) */
	/* Health (health.c, health_exec.c, validate.c, probe.c,
	 * progress.c). */
	struct health *health;
	struct health_exec *execs; /* site commands running */
	struct validate *validate;
	struct probe *probe;
	struct progress *progress;
	/*
	 * The LaunchJob handler: NULL = launch_prepare.  The real agent
	 * routes it through progress.c (which adds the progress file);
	 * the simulator, which links link.c without it, leaves it NULL.
	 */
	void (*prepare_fn)(struct agent *ag, struct rpcconn *c,
			   const Colossus__Request *req);
	/* Signals and control socket. */
	struct event *sig_chld, *sig_term, *sig_int, *sig_hup;
	struct control *control;
	bool stopping;
};

#endif
