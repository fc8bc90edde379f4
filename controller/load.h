/*
 * Rebuilding the in-memory model from PostgreSQL (DESIGN invariant 2).
 * Runs asynchronously on the event loop; until it finishes the
 * controller answers "loading, retry".
 */
#ifndef CONTROLLER_LOAD_H
#define CONTROLLER_LOAD_H

struct ctl;

/* Start loading; calls ctl_loaded() when the model is complete. */
void load_start(struct ctl *ctl);
/* Parse "{1,2,3}" into a new int array; returns count or -1. */
int load_int_array(const char *s, int **out);

/* Defined in main.c: the model is loaded, start serving. */
void ctl_loaded(struct ctl *ctl);

#endif
