/*
 * The agent's view of its NICs: the nic module (nic.h) created from the
 * [nic] settings at start, re-read from sysfs every poll interval, with
 * every up/down change logged, and overrides for fault injection (the
 * control socket's "nic NAME up|down|none").
 *
 * Reporting NIC state to the controller is the health layer's job; it
 * reads the current state through nicwatch_links().
 */
#ifndef NODEAGENT_NICWATCH_H
#define NODEAGENT_NICWATCH_H

#include "common/err.h"

struct agent;
struct nic;

/*
 * Create the watcher from ag->cfg (nic.interfaces, nic.sysfs_net) and
 * start its refresh timer (gpu.poll_interval).  No interfaces configured
 * is fine (an empty list).  Returns 0, or -1 with e set for a bad
 * interface list.
 */
int nicwatch_start(struct agent *ag, struct err *e) MUSTCHECK;
/* Stop the timer and free everything.  No-op if never started. */
void nicwatch_stop(struct agent *ag);
/*
 * The current state of every watched interface (nic_count/nic_get), or
 * NULL before nicwatch_start.  Borrowed; valid until nicwatch_stop.
 */
const struct nic *nicwatch_links(const struct agent *ag);
/* Re-read sysfs now and log changes; returns how many links changed. */
unsigned nicwatch_refresh(struct agent *ag);
/*
 * Force NAME "up" or "down", or "none" to follow sysfs again; logs the
 * change.  Returns 0, or -1 with e set (unknown interface or state).
 */
int nicwatch_override(struct agent *ag, const char *name, const char *state,
		      struct err *e) MUSTCHECK;
/* "ib0:up,ib1:down(forced)" for status lines; "-" when none. */
void nicwatch_describe(const struct agent *ag, char *buf, size_t len);

#endif
