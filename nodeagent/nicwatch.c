/*
 * NIC state for the agent (see nicwatch.h).  The reads are a few sysfs
 * attributes per interface, in-memory kernel files, so refreshing on the
 * loop does not block it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/nic.h"
#include "nodeagent/nicwatch.h"

struct nicwatch {
	struct nic *nic;
	struct event *timer;
	bool logged_up[NIC_MAX]; /* the state last logged, per interface */
};

static void nicwatch_log_link(const struct nic_link *l, const char *why)
{
	char name[NIC_NAME_LEN * 2];

	log_escape(l->name, name, sizeof(name));
	if (!l->present && l->override == NIC_OVERRIDE_NONE)
		log_warn("nic %s: %s (no such interface)", name,
			 l->up ? "up" : "down");
	else if (l->up)
		log_info("nic %s: up (%s, speed %d Mb/s)%s", name, why,
			 l->speed_mbps,
			 l->override != NIC_OVERRIDE_NONE ? ", forced" : "");
	else
		log_warn("nic %s: down (%s, operstate %s, carrier %d)%s", name,
			 why, l->operstate[0] ? l->operstate : "?", l->carrier,
			 l->override != NIC_OVERRIDE_NONE ? ", forced" : "");
}

/* Log every link whose effective state differs from what we logged. */
static unsigned nicwatch_log_changes(struct nicwatch *nw, const char *why)
{
	unsigned changed = 0;

	for (size_t i = 0; i < nic_count(nw->nic) && i < NIC_MAX; i++) {
		const struct nic_link *l = nic_get(nw->nic, i);

		if (l->up == nw->logged_up[i])
			continue;
		nw->logged_up[i] = l->up;
		nicwatch_log_link(l, why);
		changed++;
	}
	return changed;
}

unsigned nicwatch_refresh(struct agent *ag)
{
	struct nicwatch *nw = ag->nicwatch;

	if (!nw)
		return 0;
	nic_refresh(nw->nic);
	return nicwatch_log_changes(nw, "sysfs");
}

static void nicwatch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nicwatch_refresh(arg);
}

static char *nicwatch_join(const struct cfg_list *l)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->items[i]) + 1;
	s = xcalloc(1, len);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, l->items[i]);
	}
	return s;
}

int nicwatch_start(struct agent *ag, struct err *e)
{
	struct nicwatch *nw = xcalloc(1, sizeof(*nw));
	char *names = nicwatch_join(&ag->cfg.nics);
	struct timeval tv = { (time_t)ag->cfg.poll_interval_sec, 0 };

	nw->nic = nic_create(ag->cfg.sysfs_net, names, e);
	free(names);
	if (!nw->nic) {
		free(nw);
		return -1;
	}
	ag->nicwatch = nw;
	/* Every link's first state is logged, down ones as warnings. */
	for (size_t i = 0; i < nic_count(nw->nic) && i < NIC_MAX; i++) {
		const struct nic_link *l = nic_get(nw->nic, i);

		nw->logged_up[i] = l->up;
		nicwatch_log_link(l, "at start");
	}
	if (nic_count(nw->nic) == 0)
		return 0;
	nw->timer = event_new(ag->base, -1, EV_PERSIST, nicwatch_timer_cb, ag);
	event_add(nw->timer, &tv);
	return 0;
}

void nicwatch_stop(struct agent *ag)
{
	struct nicwatch *nw = ag->nicwatch;

	if (!nw)
		return;
	if (nw->timer)
		event_free(nw->timer);
	nic_destroy(nw->nic);
	free(nw);
	ag->nicwatch = NULL;
}

const struct nic *nicwatch_links(const struct agent *ag)
{
	return ag->nicwatch ? ag->nicwatch->nic : NULL;
}

int nicwatch_override(struct agent *ag, const char *name, const char *state,
		      struct err *e)
{
	struct nicwatch *nw = ag->nicwatch;
	char esc[NIC_NAME_LEN * 2];

	if (!nw)
		return err_set(e, "no NICs are watched");
	if (nic_set_override(nw->nic, name, state, e) < 0)
		return -1;
	log_info("nic %s: override %s", log_escape(name, esc, sizeof(esc)),
		 state);
	nicwatch_log_changes(nw, "override");
	return 0;
}

void nicwatch_describe(const struct agent *ag, char *buf, size_t len)
{
	const struct nic *n = nicwatch_links(ag);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; n && i < nic_count(n) && used + 1 < len; i++) {
		const struct nic_link *l = nic_get(n, i);
		int w = snprintf(buf + used, len - used, "%s%s:%s%s",
				 i ? "," : "", l->name, l->up ? "up" : "down",
				 l->override != NIC_OVERRIDE_NONE ? "(forced)"
								  : "");

		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}
