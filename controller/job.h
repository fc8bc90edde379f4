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

#define JOB_MAX_EXCLUDE 32

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
	/* Node ids a requeued job must avoid (the ones that failed it). */
	int exclude[JOB_MAX_EXCLUDE];
	int nexclude;
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
/* Fill a protocol JobInfo (strings borrowed from job). */
void job_to_info(const struct job *job, Colossus__JobInfo *info);
/* Drop finished jobs older than the retention from memory. */
void job_expire_finished(struct ctl *ctl);

#endif
