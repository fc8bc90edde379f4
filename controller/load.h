/*
 * Rebuilding the in-memory model from PostgreSQL (DESIGN invariant 2).
 * Runs asynchronously on the event loop; until it finishes the
 * controller answers "loading, retry".
 */
#ifndef CONTROLLER_LOAD_H
#define CONTROLLER_LOAD_H

#include <stdint.h>

struct ctl;

/* Start loading; calls ctl_loaded() when the model is complete. */
void load_start(struct ctl *ctl);
/* Parse "{1,2,3}" into a new int array; returns count or -1. */
int load_int_array(const char *s, int **out);

/* Second step: states of dependencies no longer in memory, then serve. */
void load_dep_states(struct ctl *ctl);
/* Save fair-share usage (periodically). */
void load_save_usage(struct ctl *ctl);
/* The %N limit of an array spec ("0-99%10" -> 10), 0 if none. */
uint32_t load_array_limit(const char *spec);

/* Defined in main.c: the model is loaded, start serving. */
void ctl_loaded(struct ctl *ctl);

#endif
