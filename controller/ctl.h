/*
 * struct ctl: the controller's whole state, passed as the argument of
 * every callback.  Subsystems are created in main.c in the order listed
 * here and destroyed in reverse.
 */
#ifndef CONTROLLER_CTL_H
#define CONTROLLER_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/pgq.h"
#include "controller/settings.h"

struct cluster;
struct job_table;
struct alloc;
struct listener;
struct peer;
struct submitq;
struct http;
struct hmap;
struct events;
struct qos_table;
struct resv_table;
struct fairshare;
struct health;
struct powerctl;
struct nodewrite;

struct ctl_stats {
	uint64_t jobs_submitted;
	uint64_t jobs_started;
	uint64_t jobs_finished;
	uint64_t jobs_requeued;
	uint64_t sched_passes;
	uint64_t sched_new_passes; /* of them, passes over new jobs only */
	uint64_t sched_last_us;
	uint64_t sched_max_us;
	uint64_t placements;
	uint64_t backfilled;
	uint64_t preemptions;
	uint32_t pending_last;
	uint64_t heartbeats;
	uint64_t rpc_requests;
	uint64_t rpc_errors;
	uint64_t conns_accepted;
	uint64_t conns_refused;
};

struct ctl {
	struct event_base *base;
	struct ctl_config cfg;
	char *config_path;
	/* --set KEY=VALUE (argv strings), reapplied on every reload. */
	char **overrides;
	int noverrides;
	char id[64];
	SSL_CTX *tls;		  /* swapped on reload; never modified    */
	struct pgq *db;
	bool db_up;
	bool model_loaded;	  /* topology, jobs, allocations loaded   */
	bool loaded;		  /* ... and ready to serve               */
	bool active;		  /* serving (not loading, not standby)   */
	bool standby;		  /* another controller leads             */
	bool leader;		  /* we hold the leader lock              */
	int64_t term;		  /* leader term we took                  */
	struct event *leader_ev;
	struct event *blip_ev;	  /* half a lease after losing the lock   */
	bool blip_agents_released;
	pid_t migrate_pid;
	char self_exe[4096];
	bool stopping;
	int64_t started_mono_ms;
	/* Until this time nodes that have not re-registered are not declared
	 * down: a fresh controller grants every node a full lease.  After
	 * it, while agents are still registering, those not back yet keep
	 * waiting (node_restart_grace()), up to restart_grace_max. */
	int64_t grace_until_mono_ms;
	int64_t grace_start_mono_ms;
	int64_t last_register_mono_ms; /* the latest agent registration */
	struct cluster *cluster;
	struct job_table *jobs;
	struct alloc *allocs;	  /* every live or ending allocation      */
	struct hmap *alloc_index; /* (job id, epoch) -> allocation        */
	int nallocs;
	struct submitq *submitq;
	struct qos_table *qos;
	struct resv_table *resv;
	struct fairshare *fairshare;
	/* Final states of jobs no longer in memory, for dependencies. */
	struct hmap *finished_states;
	void *breaker;		  /* drain.c */
	struct health *health;	  /* health.c */
	struct powerctl *power;	  /* powerctl.c: budgets, ramp, waves     */
	int64_t last_pass_mono_ms;
	int64_t last_fairshare_mono_ms;
	int64_t last_usage_save_mono_ms;
	struct listener *listener;
	struct peer *peers;	  /* every connection                     */
	int npeers;
	struct http *http;
	struct events *events;
	struct nodewrite *nodewrite; /* node rows, in batches */
	struct event *sched_timer;
	struct event *sched_soon;  /* zero-delay pass after a change      */
	int64_t sched_soon_at_mono_ms; /* when sched_soon is due         */
	bool sched_running;
	/*
	 * Jobs committed since the last full pass.  When nothing but new
	 * jobs changed, a pass over them alone (sched_pass_new) places
	 * them around the reservations the last full pass left; the full
	 * pass over a long queue is kept for changes that can help any
	 * job, and for the periodic timer (ctl_sched_soon,
	 * ctl_sched_new_job).
	 */
	uint64_t *sched_fresh;
	size_t sched_nfresh, sched_fresh_cap;
	bool sched_full_wanted;
	int64_t last_full_pass_mono_ms;
	uint64_t sched_full_last_us; /* how long the last full pass took */
	int sched_full_reserved;     /* reservations it made */
	struct event *sweep_timer;
	struct event *sig_term, *sig_int, *sig_hup, *sig_chld;
	struct ctl_stats stats;
};

/* Ask for a full scheduling pass at the end of this loop iteration (or
 * as soon as the pass rate limit allows): something changed that may let
 * any pending job start. */
void ctl_sched_soon(struct ctl *ctl);
/* A new job was committed: ask for a pass over the new jobs (a full one
 * if one is wanted anyway). */
void ctl_sched_new_job(struct ctl *ctl, uint64_t job_id);
/* The scheduling timer: a full pass when one is wanted and allowed, else
 * a pass over the new jobs. */
void ctl_sched_run(struct ctl *ctl);
/* Record an event row (kind, severity, reason; ids may be 0). */
void ctl_event(struct ctl *ctl, const char *kind, const char *severity,
	       const char *actor, uint64_t job_id, int node_id, int rack_id,
	       const char *reason);
/* Wall clock seconds / monotonic milliseconds, for brevity. */
int64_t ctl_now_ms(void);
/*
 * Apply the command line's --set overrides (ctl->overrides) to cfg.
 * Returns 0, or -1 with e set ("--set KEY: why"); cfg may then hold some
 * of them.
 */
int ctl_apply_overrides(const struct ctl *ctl, struct ctl_config *cfg,
			struct err *e) MUSTCHECK;
/*
 * Read the configuration again for a reload: the file, then the --set
 * overrides, so a reload never drops what the command line set (they
 * may also supply keys the file lacks).  Returns 0, or -1 with e set;
 * cfg is to be freed with ctl_config_free either way.
 */
int ctl_config_reread(const struct ctl *ctl, struct ctl_config *cfg,
		      struct err *e) MUSTCHECK;

#endif
