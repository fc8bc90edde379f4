/*
 * colossus-sim: thousands of simulated node agents in one process.
 *
 * Every simulated node is one struct agent (nodeagent/agent.h) driven by
 * the real controller link (nodeagent/link.c, linked unchanged): its own
 * TLS connection, its own certificate (or the shared simulator one),
 * registration, heartbeats at the interval the controller gives, exit
 * reports and fences.  What link.c calls in workload.h and launch.h is
 * implemented here without processes or files (simwl.c, simlaunch.c):
 * a rank "runs" for the duration its command asks for, then exits.
 *
 * One event_base, one thread.  struct sim owns every node; struct
 * sim_node embeds the agent as its first member, so the code here gets
 * from an agent to its node with sim_node_of().
 */
#ifndef BENCH_SIM_SIM_H
#define BENCH_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "nodeagent/agent.h"

struct hmap;
struct sim;
struct simpki;

struct sim_opts {
	const char *controllers; /* "host:port[,host:port]"            */
	const char *ca_file;	 /* CA certificate (always)              */
	const char *ca_key;	 /* CA key: per-node certificates        */
	const char *sim_cert;	 /* or one OU=sim certificate for all    */
	const char *sim_key;
	const char *nodes;	/* hostlist of every simulated node     */
	const char *h200;	/* hostlist of nodes with H200 GPUs     */
	unsigned slice, slices; /* this process runs slice/slices       */
	unsigned nodes_per_rack;
	unsigned gpus;
	bool gpu_per_node;	 /* one sim GPU backend per node          */
	double connect_rate;	 /* agents started per second; 0 = all   */
	unsigned max_handshakes; /* agents connecting at once; 0 = any   */
	double stats_interval;	 /* seconds                              */
	double run_for;		 /* exit after this long; 0 = until signal */
	double time_scale;	 /* job durations and limits divided by it */
	double default_run;	 /* seconds; 0 = until killed            */
	unsigned kill_delay_ms;	 /* ranks die this long after SIGTERM    */
	double xid_rate;	 /* per GPU-hour                         */
	double node_loss_rate;	 /* per node-hour                        */
	double rack_alarm_rate;	 /* per rack-hour                        */
	double repair_sec;	 /* a lost node comes back after; 0 = never */
	unsigned xid_code;
	bool xid_crash; /* an XID kills the ranks on that GPU   */
	/*
	 * ... this long after the XID went to the controller: the driver
	 * logs the XID before the CUDA program notices and aborts.
	 */
	unsigned xid_crash_delay_ms;
	unsigned long seed;
	const char *job_log;
	const char *control; /* FIFO of commands                      */
	int log_level;
	const char *debug;
};

struct sim_counters {
	uint64_t launches; /* LaunchJob orders accepted             */
	uint64_t starts;   /* StartJob orders                       */
	uint64_t exits;	   /* rank exits                            */
	uint64_t kills;	   /* KillJob orders                        */
	uint64_t fences;   /* stale workloads fenced at registration */
	uint64_t heartbeats;
	uint64_t registrations;	  /* not-registered -> registered          */
	uint64_t failed_attempts; /* connections gone before registering  */
	uint64_t refused;	  /* launch orders answered with an error  */
	uint64_t jobs_started;	  /* jobs whose every node got StartJob     */
	uint64_t xids;
	uint64_t node_losses;
	uint64_t rack_alarms;
};

struct sim_node {
	struct agent ag; /* first: see sim_node_of() */
	struct sim *sim;
	uint32_t index;	 /* in this process's node array            */
	uint32_t global; /* in the whole node list (all slices)     */
	uint32_t rack;	 /* global / nodes_per_rack                 */
	bool started;	 /* link_start() called                     */
	bool was_registered;
	bool silent;	    /* lost: sends and answers nothing         */
	bool own_gpu;	    /* ag.gpu belongs to this node              */
	int64_t attempt_ms; /* watch first saw this connection attempt */
	struct event *repair_ev;
	struct event *crash_ev; /* ranks on crash_gpu die (XID)        */
	unsigned crash_gpu, crash_code;
};

/* Per-job timing, summed over this process's nodes (see simjob.c). */
struct sim_job {
	uint64_t job_id;
	uint32_t epoch;
	uint32_t num_nodes;
	uint32_t nlaunch, nstart, nended;
	int64_t first_launch_ms, last_launch_ms;
	int64_t first_start_ms, last_start_ms;
	bool changed;
	bool complete; /* every node of the gang got StartJob here */
	struct sim_job *next_changed;
};

struct sim {
	struct event_base *base;
	struct sim_opts opt;
	struct sim_node **nodes;
	uint32_t nnodes; /* in this process                          */
	uint32_t total;	 /* in the whole node list                   */
	uint32_t nracks; /* racks with a node in this process         */
	uint32_t first_rack;
	struct agent_config tmpl; /* shared by every node (shallow copies) */
	struct simpki *pki;	  /* CA, or the shared --sim-cert context */
	struct gpu_backend *shared_gpu[2]; /* H100, H200                  */
	/* Start-up and connection ramp. */
	int64_t t0_ms;	     /* wall clock at start                     */
	int64_t connect_ms;  /* wall clock when connecting began        */
	uint32_t next_start; /* next node to link_start()              */
	struct event *ramp_ev;
	/* Watching registration. */
	uint32_t nconn, nreg, nsilent;
	uint32_t connecting; /* connection open, not registered yet      */
	uint32_t postponed;  /* reconnects delayed by --max-handshakes   */
	uint32_t gate_offset;
	bool all_registered;
	int64_t reg_lost_ms; /* when the count last fell from "all"      */
	struct event *watch_ev;
	/* Loop lag: how late 100 ms timers of priority 0 and 1 ran. */
	struct event *probe_ev;
	int64_t lag_last_ms[2], lag_max_ms[2];
	/* Statistics. */
	struct sim_counters c, last;
	/* Connect-to-registered times since the last stats line, by
	 * power of two of milliseconds (watch resolution: 100 ms). */
	uint32_t reg_lat[32];
	int64_t last_stats_ms;
	struct event *stats_ev;
	/* Jobs. */
	struct hmap *jobs;
	struct sim_job *changed;
	FILE *job_log;
	/* Faults. */
	struct event *fault_ev[3];
	/* Control FIFO. */
	int control_fd;
	struct event *control_ev;
	char control_buf[1024];
	size_t control_len;
	/* Stopping. */
	struct event *sig_term, *sig_int, *stop_ev;
	int stop_rounds;
	bool stopping;
};

static inline struct sim_node *sim_node_of(struct agent *ag)
{
	return (struct sim_node *)(void *)ag;
}

/* simpki.c: identities. */
/*
 * Load the CA (and its key when certificates are made here).  Returns 0
 * or -1 with e set.
 */
int simpki_init(struct sim *sim, struct err *e) MUSTCHECK;
/* Give node its TLS context (own key and certificate, or the shared one). */
int simpki_node(struct sim *sim, struct sim_node *node,
		struct err *e) MUSTCHECK;
void simpki_fini(struct sim *sim);

/* simjob.c: per-job timing and the job log. */
void simjob_launch(struct sim *sim, const Colossus__LaunchJob *m);
void simjob_start(struct sim *sim, uint64_t job_id, uint32_t epoch);
void simjob_ended(struct sim *sim, uint64_t job_id, uint32_t epoch);
/* Write the jobs that changed since the last call to the job log. */
void simjob_flush(struct sim *sim);
void simjob_fini(struct sim *sim);

/* simfault.c: fault injection and the control FIFO. */
void simfault_start(struct sim *sim);
void simfault_stop(struct sim *sim);
/* The node goes silent (lost); it comes back after repair_sec. */
void simfault_lose_node(struct sim *sim, struct sim_node *node);
void simfault_restore_node(struct sim *sim, struct sim_node *node);
/* XID code on GPU gpu of node. */
void simfault_xid(struct sim *sim, struct sim_node *node, unsigned gpu,
		  unsigned code);
/*
 * Rack cooling alarm (loss of coolant flow).  The hook where the health
 * report goes once agents send health (issue 5); for now it is counted
 * and logged.
 */
void simfault_rack_alarm(struct sim *sim, uint32_t rack);
int simfault_control_open(struct sim *sim, struct err *e) MUSTCHECK;
struct sim_node *sim_find_node(struct sim *sim, const char *name);

/* simlaunch.c: ranks of a silent node freeze; drop them. */
void simlaunch_node_lost(struct sim_node *node);
/* Crash the ranks of node that use GPU gpu (an XID). */
void simlaunch_gpu_fault(struct sim_node *node, unsigned gpu, unsigned code);

/* simopts.c: parse the command line into sim->opt (exits on error). */
void sim_parse_args(struct sim *sim, int argc, char **argv);

/* main.c */
void sim_print_stats(struct sim *sim, bool final);
double sim_rand01(void);

#endif
