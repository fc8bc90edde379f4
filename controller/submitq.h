/*
 * Group commit of submissions.  Submits arriving in the same loop
 * iteration are written with one multi-row INSERT; each client is
 * answered only after that transaction commits (DESIGN invariant 1).
 *
 * When the database connection drops with a batch in flight, its outcome
 * is unknown: those jobs wait in limbo until the connection is back, then
 * the ones that did commit join the job table (nothing committed is ever
 * invisible) and the rest are forgotten.  Clients retry with the same
 * submit key and get the job that exists.
 */
#ifndef CONTROLLER_SUBMITQ_H
#define CONTROLLER_SUBMITQ_H

struct ctl;
struct job;
struct rpc_req;
struct submitq;

struct submitq *submitq_create(struct ctl *ctl);
/* Answers every queued submit with "unavailable". */
void submitq_destroy(struct submitq *q);
/*
 * Queue a submission of njobs jobs (taken; several for an array) for the
 * next batch; r is answered after they commit, all together.
 */
void submitq_add(struct submitq *q, struct rpc_req *r, struct job **jobs,
		 int njobs);
/* A job with this (user, key) in memory or in flight, or NULL. */
struct job *submitq_find_key(struct submitq *q, const char *user,
			     const char *key, int *in_flight);
/* Forget a job's key (the job leaves memory). */
void submitq_forget_key(struct submitq *q, const struct job *job);
/* Remember the key of a job loaded from the database. */
void submitq_remember_key(struct submitq *q, struct job *job);
/* The database is back: resolve jobs in limbo. */
void submitq_db_up(struct submitq *q);

#endif
