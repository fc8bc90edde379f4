/*
 * Jobs: the job object, the table of jobs the controller holds in memory,
 * and the job state machine.
 *
 * Every state change goes through job_set_state(), which checks the move
 * against the transition table, logs it, records an event and queues the
 * database write.  Changes whose effect others must be able to rely on
 * (submit, cancel, placement) are committed before anyone is told; see
 * rpc_job.c and sched.c.
 */
#ifndef CONTROLLER_JOB_H
#define CONTROLLER_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

struct ctl;
struct alloc;
struct node;
struct pgq_txn;

/* Values equal the protocol's JobState. */
enum job_state {
	JOB_PENDING = 1,
	JOB_HELD = 2,
	JOB_STARTING = 3,
	JOB_RUNNING = 4,
	JOB_COMPLETING = 5,
	JOB_COMPLETED = 6,
	JOB_FAILED = 7,
	JOB_CANCELLED = 8,
	JOB_TIMEOUT = 9,
};

/* Weighted priority factors of a pending job (colossus job show). */
struct prio_factors {
	double age, size, fairshare, qos, boost, nice;
};

struct job {
	uint64_t id;
	enum job_state state;
	char *user;
	char *account;
	char *qos;
	char *name;
	uint8_t *spec; /* packed colossus.JobSpec */
	size_t spec_len;
	uint32_t nodes;
	uint32_t gpus_per_node;
	uint32_t ranks_per_node;
	uint64_t time_limit_sec;
	uint32_t epoch;	   /* of the newest allocation; 0 = never placed */
	uint32_t restarts; /* infrastructure requeues so far */
	uint32_t max_restarts;
	int64_t submit_time; /* wall seconds */
	int64_t start_time;
	int64_t end_time;
	int exit_code;
	bool has_exit_code;
	char *reason;		 /* why pending / why it ended */
	struct alloc *alloc;	 /* live incarnation, or NULL */
	int64_t eligible_mono_ms; /* not placed before (requeue backoff) */
	double priority;
	/* Node ids to avoid: the user's --exclude plus nodes that failed it. */
	int *exclude;
	int nexclude;

	/* Scheduling fields cached from the spec (no unpack per pass). */
	int within;	       /* enum place_level */
	uint32_t within_wait_sec;
	uint32_t segment;
	char **features;
	int nfeatures;
	uint64_t *after;      /* start after these end (any state) */
	int nafter;
	uint64_t *after_ok;   /* ... after these complete successfully */
	int nafter_ok;
	uint64_t *after_not_ok; /* ... after these end unsuccessfully */
	int nafter_not_ok;
	uint64_t array_job_id; /* first job of the array, 0 if none */
	uint32_t array_task;
	uint32_t array_limit;  /* most tasks of the array running at once */
	char *reservation;     /* "" = none */
	int32_t nice;
	int32_t boost;	       /* admin priority override */
	bool requeue_on_failure;

	/* Set by each scheduling pass. */
	struct prio_factors factors;
	uint32_t queue_pos;
	int64_t expected_start; /* wall seconds, 0 = unknown */
	/* Nodes this job preempted others for, held until it starts. */
	int *claim;
	int nclaim;
	int64_t claim_until_mono_ms;
	bool preempted;	       /* being stopped to make room for another */
	bool cancel_pending; /* cancel being committed: do not place */
	bool dirty;	     /* memory is ahead of the database */
	int64_t finished_mono_ms;
	char *gpu_model;     /* "" = any */
	char *submit_key;    /* client retry key, NULL if none */
	char *nodelist;      /* hostlist of the newest allocation (kept after it ends) */
};

/* Is the state final (completed, failed, cancelled, timeout)? */
bool job_state_final(enum job_state s);
const char *job_state_name(enum job_state s);
int job_state_parse(const char *s);

/*
 * Build a job from a validated spec.  spec bytes are copied.  The job is
 * not in the table until job_table_add().
 */
struct job *job_create(uint64_t id, const char *user, const uint8_t *spec,
		       size_t spec_len, const Colossus__JobSpec *parsed);
void job_destroy(struct job *job);
struct cluster;
/* Exclude the nodes the spec's --exclude hostlists name. */
void job_resolve_excludes(struct job *job, const struct cluster *c,
			  const Colossus__JobSpec *spec);
/* Add a node id to the job's exclusion list (no duplicates). */
void job_exclude(struct job *job, int node_id);

struct job_table;
struct job_table *job_table_create(void);
/* Destroys every job too. */
void job_table_destroy(struct job_table *t);
void job_table_add(struct job_table *t, struct job *job);
struct job *job_table_get(const struct job_table *t, uint64_t id);
/* Remove and destroy. */
void job_table_remove(struct job_table *t, struct job *job);
size_t job_table_count(const struct job_table *t);
/* Iterate (pos starts at 0); the table must not change meanwhile. */
struct job *job_table_next(const struct job_table *t, size_t *pos);
/* Take the next job id. */
uint64_t job_table_next_id(struct job_table *t);
/* The id the next job will get, without taking it. */
uint64_t job_table_peek_next_id(const struct job_table *t);
void job_table_set_next_id(struct job_table *t, uint64_t next);

/*
 * Move a job to a new state: checks the transition, logs it, records an
 * event and persists the job's state row (asynchronously; a failed write
 * leaves the job dirty and it is written again after reconnect).
 * Returns 0, or -1 if the transition is not allowed (a bug; logged).
 */
int job_set_state(struct ctl *ctl, struct job *job, enum job_state to,
		  const char *reason);
/*
 * The same, adding the state write to transaction t instead of writing
 * it alone (used where the change must commit with other rows).
 */
int job_set_state_txn(struct ctl *ctl, struct job *job, enum job_state to,
		      const char *reason, struct pgq_txn *t);
void job_set_reason(struct job *job, const char *reason);
/* Add the job's state-row UPDATE to a transaction. */
void job_add_persist(struct pgq_txn *t, const struct job *job);
/* Write the job's current state row; used by job_set_state and the flusher. */
void job_persist(struct ctl *ctl, struct job *job);
/* Write every dirty job again (after the database comes back). */
void job_flush_dirty(struct ctl *ctl);
/*
 * Fill a protocol JobInfo (strings borrowed from job); pf (may be NULL)
 * is storage for the priority factors.
 */
void job_to_info(const struct job *job, Colossus__JobInfo *info,
		 Colossus__PriorityFactors *pf);
/* Drop finished jobs older than the retention from memory. */
void job_expire_finished(struct ctl *ctl);

#endif
