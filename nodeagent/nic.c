/*
 * NIC link state from sysfs, with overrides for fault injection (see
 * nic.h).
 *
 * "Up" means operstate "up", or operstate "unknown" with carrier 1: some
 * drivers (and virtual links) never report an operstate, but carrier is
 * always meaningful.  Reading "carrier" or "speed" of a link that is down
 * fails with EINVAL; that is reported as -1, not as an error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "nodeagent/nic.h"

struct nic {
	char *root;
	size_t count;
	struct nic_link link[NIC_MAX];
};

/* Read a small sysfs attribute, trailing newline removed.  -1 on error. */
static int nic_read_attr(const char *root, const char *ifname, const char *attr,
			 char *buf, size_t size)
{
	char path[512];
	ssize_t got;
	int fd;
	int len;

	len = snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, attr);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		got = read(fd, buf, size - 1);
	} while (got < 0 && errno == EINTR);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return 0;
}

static int nic_read_int(const char *root, const char *ifname, const char *attr)
{
	char buf[32];
	char *end;
	long v;

	if (nic_read_attr(root, ifname, attr, buf, sizeof(buf)) < 0 || !buf[0])
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < -1 || v > 0x7fffffff)
		return -1;
	return (int)v;
}

static bool nic_effective_up(const struct nic_link *l)
{
	if (l->override == NIC_OVERRIDE_UP)
		return true;
	if (l->override == NIC_OVERRIDE_DOWN)
		return false;
	if (!l->present)
		return false;
	if (!strcmp(l->operstate, "up"))
		return true;
	return !strcmp(l->operstate, "unknown") && l->carrier == 1;
}

void nic_read_link(const char *root, struct nic_link *link)
{
	char dir[512];
	struct stat st;
	int len;

	if (!root || !*root)
		root = NIC_SYSFS_DEFAULT;
	link->operstate[0] = '\0';
	link->carrier = -1;
	link->speed_mbps = -1;
	len = snprintf(dir, sizeof(dir), "%s/%s", root, link->name);
	link->present = len > 0 && (size_t)len < sizeof(dir) &&
			stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	if (link->present) {
		if (nic_read_attr(root, link->name, "operstate",
				  link->operstate, sizeof(link->operstate)) < 0)
			link->operstate[0] = '\0';
		link->carrier = nic_read_int(root, link->name, "carrier");
		link->speed_mbps = nic_read_int(root, link->name, "speed");
		/* Down links report speed -1 or "unknown" (SPEED_UNKNOWN). */
		if (link->speed_mbps <= 0)
			link->speed_mbps = -1;
	}
	link->up = nic_effective_up(link);
}

static bool nic_valid_ifname(const char *s, size_t len)
{
	if (len == 0 || len >= NIC_NAME_LEN || len > 15)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && !memcmp(s, "..", 2)))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

struct nic *nic_create(const char *root, const char *names, struct err *e)
{
	struct nic *n = xcalloc(1, sizeof(*n));
	const char *p = names ? names : "";

	n->root = xstrdup(root && *root ? root : NIC_SYSFS_DEFAULT);
	while (*p) {
		size_t len = strcspn(p, ", \t");
		struct nic_link *l;

		if (len == 0) {
			p++;
			continue;
		}
		if (!nic_valid_ifname(p, len)) {
			err_set(e, "invalid interface name '%.*s'",
				(int)MIN(len, 64), p);
			goto fail;
		}
		if (n->count == NIC_MAX) {
			err_set(e, "too many interfaces (at most %d)", NIC_MAX);
			goto fail;
		}
		l = &n->link[n->count];
		memcpy(l->name, p, len);
		l->name[len] = '\0';
		if (nic_find(n, l->name)) {
			err_set(e, "interface %s listed twice", l->name);
			goto fail;
		}
		n->count++;
		nic_read_link(n->root, l);
		p += len;
	}
	return n;
fail:
	nic_destroy(n);
	return NULL;
}

void nic_destroy(struct nic *n)
{
	int saved = errno;

	if (!n)
		return;
	free(n->root);
	free(n);
	errno = saved;
}

size_t nic_count(const struct nic *n)
{
	return n->count;
}

const struct nic_link *nic_get(const struct nic *n, size_t i)
{
	return i < n->count ? &n->link[i] : NULL;
}

static struct nic_link *nic_lookup(struct nic *n, const char *name)
{
	for (size_t i = 0; i < n->count; i++)
		if (!strcmp(n->link[i].name, name))
			return &n->link[i];
	return NULL;
}

const struct nic_link *nic_find(const struct nic *n, const char *name)
{
	return nic_lookup((struct nic *)n, name);
}

unsigned nic_refresh(struct nic *n)
{
	unsigned changed = 0;

	for (size_t i = 0; i < n->count; i++) {
		struct nic_link *l = &n->link[i];
		bool was = l->up;

		nic_read_link(n->root, l);
		if (l->up != was) {
			l->transitions++;
			changed++;
		}
	}
	return changed;
}

int nic_set_override(struct nic *n, const char *name, const char *state,
		     struct err *e)
{
	struct nic_link *l = nic_lookup(n, name);
	enum nic_override o;
	bool was;

	if (!l)
		return err_set(e, "unknown interface '%s'", name);
	if (!strcmp(state, "up"))
		o = NIC_OVERRIDE_UP;
	else if (!strcmp(state, "down"))
		o = NIC_OVERRIDE_DOWN;
	else if (!strcmp(state, "none"))
		o = NIC_OVERRIDE_NONE;
	else
		return err_set(e, "bad link state '%s' (up, down or none)",
			       state);
	was = l->up;
	l->override = o;
	l->up = nic_effective_up(l);
	if (l->up != was)
		l->transitions++;
	return 0;
}
