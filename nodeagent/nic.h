/*
 * NIC link state for the interfaces a node's training traffic depends on
 * (the RDMA rails, typically ib0..ib7 or the RoCE ports).  State comes
 * from sysfs: <root>/<ifname>/{operstate,carrier,speed}, root being
 * /sys/class/net unless a test points it at a fake tree.
 *
 * A link can be forced up or down with nic_set_override(), which is how
 * the simulator and fault-injection tests break a rail without touching
 * the host.  The sysfs files are in-memory kernel attributes, so reading
 * a handful of them per poll does not block the event loop.
 */
#ifndef NODEAGENT_NIC_H
#define NODEAGENT_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define NIC_NAME_LEN 32
#define NIC_MAX 32
#define NIC_SYSFS_DEFAULT "/sys/class/net"

enum nic_override {
	NIC_OVERRIDE_NONE = 0,
	NIC_OVERRIDE_UP = 1,
	NIC_OVERRIDE_DOWN = 2,
};

struct nic_link {
	char name[NIC_NAME_LEN];
	bool present;	    /* the sysfs directory exists */
	bool up;	    /* effective state, override applied */
	char operstate[16]; /* as read: "up", "down", "unknown", ... */
	int carrier;	    /* 1, 0, or -1 when unreadable (link down) */
	int speed_mbps;	    /* -1 when unknown */
	enum nic_override override;
	uint64_t transitions; /* up<->down changes seen by nic_refresh */
};

struct nic;

/*
 * Watch the interfaces named in names, separated by commas and/or spaces
 * ("ib0,ib1" or "ib0 ib1"; "" = none).  root NULL or "" means
 * NIC_SYSFS_DEFAULT.  Reads the initial state.  Returns NULL with e set
 * for a bad name, a duplicate, or more than NIC_MAX interfaces.
 */
struct nic *nic_create(const char *root, const char *names, struct err *e);
/* No-op on NULL. */
void nic_destroy(struct nic *n);
size_t nic_count(const struct nic *n);
/* The i-th interface in configuration order, NULL if out of range. */
const struct nic_link *nic_get(const struct nic *n, size_t i);
/* Look an interface up by name; NULL if not watched. */
const struct nic_link *nic_find(const struct nic *n, const char *name);
/*
 * Re-read sysfs for every interface.  Returns how many changed their
 * effective up/down state since the previous refresh.
 */
unsigned nic_refresh(struct nic *n);
/*
 * Force an interface "up" or "down", or "none" to follow sysfs again.
 * Takes effect at once (no refresh needed) and counts as a transition
 * if it changes the effective state.  Returns 0, or -1 with e set for an
 * unknown interface or state.
 */
int nic_set_override(struct nic *n, const char *name, const char *state,
		     struct err *e) MUSTCHECK;

/*
 * Read one interface from sysfs into link (name must be set; the override
 * is applied, transitions are left alone).  Pure apart from the reads.
 */
void nic_read_link(const char *root, struct nic_link *link);

#endif
