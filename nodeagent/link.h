/*
 * The agent's link to the controller: connect (TLS, verifying that the
 * peer is a controller), register with the inventory and every workload
 * it holds, heartbeat, report exits, and reconnect with backoff and
 * jitter across the configured controller addresses.
 */
#ifndef NODEAGENT_LINK_H
#define NODEAGENT_LINK_H

#include "nodeagent/agent.h"

void link_start(struct agent *ag);
void link_stop(struct agent *ag);
/* Report this workload's exits that the controller does not have yet. */
void link_report_exits(struct agent *ag, struct workload *w);

#endif
