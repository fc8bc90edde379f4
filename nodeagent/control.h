/*
 * The agent's local control socket (Unix, created under umask 077: root
 * only): one command per line, one reply line ("ok ..." or "error: ...").
 * Used by admins for status and by tests and the simulator to inject
 * faults (see docs/agent.md):
 *
 *   status                 workloads, controller, GPU backend, NICs
 *   gpu <sim command>      e.g. "gpu xid 3 79", "gpu temp 2 91"
 *   nic <name> up|down|none  force a watched NIC (nicwatch.h)
 */
#ifndef NODEAGENT_CONTROL_H
#define NODEAGENT_CONTROL_H

#include "common/err.h"

struct agent;
struct control;

struct control *control_create(struct agent *ag, const char *path,
			       struct err *e);
void control_destroy(struct control *c);
/*
 * Client side: send one command line to the socket at path, print the
 * reply line.  Returns 0 on "ok", 1 on "error", 2 if it cannot connect.
 */
int control_client(const char *path, const char *command);

#endif
