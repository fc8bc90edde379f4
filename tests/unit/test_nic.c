/*
 * Unit tests for nodeagent/nic.c against a fake sysfs tree in a temp dir:
 * state reading, refresh and transitions, overrides, bad configuration.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodeagent/nic.h"
#include "tests/lib/tap.h"

static char root[64];

/* Write root/ifname/attr; value NULL removes the file. */
static void attr(const char *ifname, const char *name, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, ifname);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, ifname, name);
	if (!value) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	if (!f) {
		diag("cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", value);
	fclose(f);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		diag("cleanup of %s failed", root);
}

static void test_read(void)
{
	const struct nic_link *l;
	struct nic *n;
	struct err e;

	err_clear(&e);
	n = nic_create(root, "ib0,ib1 eth0,ib2", &e);
	ok(n != NULL, "create with four names: %s", e.msg);
	if (!n)
		return;
	is_int(nic_count(n), 4, "four interfaces");

	l = nic_get(n, 0);
	is_str(l->name, "ib0", "first is ib0");
	ok(l->present && l->up, "ib0 present and up");
	is_str(l->operstate, "up", "ib0 operstate");
	is_int(l->carrier, 1, "ib0 carrier");
	is_int(l->speed_mbps, 400000, "ib0 speed");

	l = nic_find(n, "ib1");
	ok(l && l->present && !l->up, "ib1 present and down");
	is_int(l ? l->carrier : 9, -1, "ib1 carrier unreadable is -1");
	is_int(l ? l->speed_mbps : 9, -1, "ib1 speed -1 when down");

	l = nic_find(n, "eth0");
	ok(l && l->up, "eth0 up: operstate unknown with carrier 1");
	l = nic_find(n, "ib2");
	ok(l && !l->present && !l->up, "ib2 missing: not present, down");
	ok(nic_get(n, 4) == NULL, "index out of range is NULL");
	ok(nic_find(n, "ib9") == NULL, "unknown name is NULL");

	is_int(nic_refresh(n), 0, "refresh without change");
	attr("ib0", "operstate", "down");
	attr("ib0", "carrier", "0");
	is_int(nic_refresh(n), 1, "ib0 went down: one change");
	l = nic_find(n, "ib0");
	ok(!l->up, "ib0 now down");
	is_int(l->transitions, 1, "one transition");
	attr("ib0", "operstate", "up");
	attr("ib0", "carrier", "1");
	attr("ib2", "operstate", "up");
	attr("ib2", "carrier", "1");
	is_int(nic_refresh(n), 2, "ib0 back up and ib2 appeared");
	is_int(nic_find(n, "ib0")->transitions, 2, "ib0 flapped twice");
	ok(nic_find(n, "ib2")->present, "ib2 now present");

	/* Overrides: fault injection without touching sysfs. */
	ok(nic_set_override(n, "ib0", "down", &e) == 0, "override ib0 down");
	ok(!nic_find(n, "ib0")->up, "ib0 forced down at once");
	is_int(nic_find(n, "ib0")->transitions, 3, "override counts");
	is_int(nic_refresh(n), 0, "refresh keeps the override");
	ok(!nic_find(n, "ib0")->up, "still down after refresh");
	ok(nic_set_override(n, "ib1", "up", &e) == 0, "override ib1 up");
	ok(nic_find(n, "ib1")->up, "ib1 forced up");
	ok(nic_set_override(n, "ib0", "none", &e) == 0, "clear override");
	ok(nic_find(n, "ib0")->up, "ib0 follows sysfs again");
	is_int(nic_find(n, "ib0")->override, NIC_OVERRIDE_NONE,
	       "override cleared");
	ok(nic_set_override(n, "ib7", "down", &e) < 0, "unknown interface");
	ok(strstr(e.msg, "ib7") != NULL, "error names it: %s", e.msg);
	ok(nic_set_override(n, "ib0", "sideways", &e) < 0, "bad state");
	ok(strstr(e.msg, "sideways") != NULL, "error names it: %s", e.msg);

	/* Manual read of one link. */
	{
		struct nic_link one;

		memset(&one, 0, sizeof(one));
		snprintf(one.name, sizeof(one.name), "eth0");
		nic_read_link(root, &one);
		ok(one.present && one.up, "nic_read_link eth0");
		is_int(one.speed_mbps, 100000, "eth0 speed");
	}
	nic_destroy(n);
	nic_destroy(NULL);
}

static void test_config(void)
{
	char many[NIC_MAX * 8 + 32];
	struct nic *n;
	struct err e;
	size_t len = 0;

	n = nic_create(root, "", &e);
	ok(n && nic_count(n) == 0, "empty list is fine");
	nic_destroy(n);
	n = nic_create(root, NULL, &e);
	ok(n && nic_count(n) == 0, "NULL list is fine");
	nic_destroy(n);
	n = nic_create(root, " ib0 ,, ib1 ", &e);
	ok(n && nic_count(n) == 2, "separators are lenient");
	nic_destroy(n);

	ok(nic_create(root, "ib0,ib0", &e) == NULL, "duplicate rejected");
	ok(strstr(e.msg, "twice") != NULL, "says why: %s", e.msg);
	ok(nic_create(root, "a/b", &e) == NULL, "slash rejected");
	ok(nic_create(root, "..", &e) == NULL, "dot-dot rejected");
	ok(nic_create(root, "averyveryverylongname0", &e) == NULL,
	   "name over IFNAMSIZ rejected");
	for (int i = 0; i <= NIC_MAX; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "if%d,",
					i);
	ok(nic_create(root, many, &e) == NULL, "more than NIC_MAX rejected");

	/* The real sysfs, where there is one. */
	n = nic_create(NULL, "lo", &e);
	ok(n != NULL, "default root");
	if (n && access(NIC_SYSFS_DEFAULT "/lo", F_OK) == 0)
		ok(nic_find(n, "lo")->present, "lo present in /sys/class/net");
	else
		skip(1, "no /sys/class/net/lo");
	nic_destroy(n);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_nic.XXXXXX");
	if (!mkdtemp(root)) {
		printf("1..0 # SKIP cannot create a temp dir\n");
		return 0;
	}
	attr("ib0", "operstate", "up");
	attr("ib0", "carrier", "1");
	attr("ib0", "speed", "400000");
	/* A down link: carrier and speed cannot be read (EINVAL in sysfs). */
	attr("ib1", "operstate", "down");
	attr("ib1", "speed", "-1");
	attr("eth0", "operstate", "unknown");
	attr("eth0", "carrier", "1");
	attr("eth0", "speed", "100000");
	test_read();
	test_config();
	cleanup();
	return done_testing();
}
