/*
 * bench/benchlayout: the in-memory cluster layout, QOS table and setup
 * lines shared by bench/placebench and bench/tracesim (see
 * benchlayout.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchlayout.h"
#include "common/err.h"
#include "controller/cluster.h"
#include "controller/qos.h"
#include "proto/rpc.h"

#if defined(__SANITIZE_ADDRESS__)
#define BL_SAN "WITH SANITIZERS: figures are not representative"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BL_SAN "WITH SANITIZERS: figures are not representative"
#endif
#endif
#ifndef BL_SAN
#define BL_SAN "no sanitizers"
#endif

double bl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The first line of a /proc file that starts with key, after its ':'
 * (the whole first line if key is ""), or "?". */
static void bl_proc(const char *path, const char *key, char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "?");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (*key && (strncmp(line, key, strlen(key)) || !v))
			continue;
		v = *key ? v + 1 + strspn(v + 1, " \t") : line;
		v[strcspn(v, "\n")] = '\0';
		snprintf(buf, len, "%s", v);
		break;
	}
	if (f)
		fclose(f);
}

void bl_print_machine(void)
{
	char model[128], mem[64], load[128];
	struct utsname u;

	bl_proc("/proc/cpuinfo", "model name", model, sizeof(model));
	bl_proc("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	bl_proc("/proc/loadavg", "", load, sizeof(load));
	if (strchr(load, '/')) /* keep the 1, 5 and 15 min averages */
		*strrchr(strtok(load, "/"), ' ') = '\0';
	printf("machine:    %ld cores (%s), %.1f GiB memory\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model,
	       strtod(mem, NULL) / 1048576.0);
	if (uname(&u) == 0)
		printf("kernel:     %s %s\n", u.sysname, u.release);
	printf("build:      %s, %s, compiler %s\n", PACKAGE_STRING, BL_SAN,
	       __VERSION__);
	printf("load:       %s (1/5/15 min, before starting; other work on "
	       "this machine skews every time measured)\n",
	       load);
}

struct cluster *bl_build(int npods, bool h200)
{
	struct cluster *c = cluster_create();
	int nh = 0, nr = 0, nn = 0;
	char hall[16], pod[16], rack[16], node[16];
	bool ok = true;
	struct err e;

	for (int p = 1; p <= npods; p++) {
		const char *model;

		if ((p - 1) % BL_PODS_PER_HALL == 0) {
			snprintf(hall, sizeof(hall), "h%d", ++nh);
			ok = ok && cluster_add_hall(c, nh, hall, &e);
		}
		model = h200 && nh > 4 ? "H200" : "H100";
		snprintf(pod, sizeof(pod), "p%03d", p);
		ok = ok && cluster_add_pod(c, p, pod, hall, &e);
		for (int r = 0; r < BL_RACKS_PER_POD; r++) {
			snprintf(rack, sizeof(rack), "r%04d", ++nr);
			ok = ok && cluster_add_rack(c, nr, rack, pod, &e);
			for (int n = 0; n < BL_NODES_PER_RACK; n++) {
				snprintf(node, sizeof(node), "n%05d", ++nn);
				ok = ok &&
				     cluster_add_node(c, nn, node, rack, n,
						      BL_GPUS, model, &e);
			}
		}
	}
	if (!ok) {
		fprintf(stderr, "bench: building the layout: %s\n", e.msg);
		exit(1);
	}
	cluster_finish(c);
	for (int i = 0; i < cluster_nnodes(c); i++) {
		struct node *n = cluster_node_at(c, i);

		n->state = NODE_UP;
		node_recount(n);
	}
	return c;
}

/* A QOS as sql/0002_scheduler.sql installs it (preempts up to 2). */
static void bl_qos(struct qos_table *t, const char *name, int priority,
		   const char *p1, const char *p2)
{
	Colossus__Qos m = COLOSSUS__QOS__INIT;
	char *pre[2] = { (char *)p1, (char *)p2 };
	struct err e;

	m.name = (char *)name;
	m.priority = priority;
	m.preempt = pre;
	m.n_preempt = p2 ? 2 : p1 ? 1 : 0;
	m.preempt_mode = (char *)"requeue";
	m.grace_sec = 60;
	if (qos_put(t, &m, &e) < 0) {
		fprintf(stderr, "bench: qos %s: %s\n", name, e.msg);
		exit(1);
	}
}

void bl_qos_defaults(struct qos_table *t)
{
	bl_qos(t, "low", 0, NULL, NULL);
	bl_qos(t, "normal", 100, "low", NULL);
	bl_qos(t, "high", 1000, "low", NULL);
	bl_qos(t, "hero", 10000, "low", "normal");
}
