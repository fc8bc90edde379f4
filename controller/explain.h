/*
 * Why a job waits: its place in the queue, the reason the last pass
 * gave, when the backfill plan expects it to start, and the evidence at
 * the level it needs ("needs 64 free nodes in one pod; best pod p017 has
 * 58 usable; the rest is held by job 8812 until 14:20").
 */
#ifndef CONTROLLER_EXPLAIN_H
#define CONTROLLER_EXPLAIN_H

#include <stddef.h>

struct ctl;
struct job;

/* Write the explanation into buf (always NUL-terminated). */
void explain_job(struct ctl *ctl, const struct job *job, char *buf,
		 size_t len);

#endif
