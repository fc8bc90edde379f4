/*
 * bench/benchlayout: what the in-memory scheduler benchmarks
 * (placebench, tracesim) share: the scripts/gen-topology.sh layout built
 * as a struct cluster, the default QOS table, the machine description
 * printed before figures, and a microsecond clock.  No controller,
 * database or network.
 */
#ifndef BENCH_BENCHLAYOUT_H
#define BENCH_BENCHLAYOUT_H

#include <stdbool.h>

struct cluster;
struct qos_table;

#define BL_PODS_PER_HALL 49
#define BL_RACKS_PER_POD 8
#define BL_NODES_PER_RACK 8
#define BL_NODES_PER_POD (BL_RACKS_PER_POD * BL_NODES_PER_RACK)
#define BL_GPUS 8

/*
 * npods pods of 8 racks of 8 nodes of 8 GPUs, 49 pods a hall, named as
 * gen-topology.sh names them (h1, p001, r0001, n00001, numbered across
 * the site), every node up.  h200: halls 5 and above are H200 (phase
 * 2), else every node is H100.  Exits on error.
 */
struct cluster *bl_build(int npods, bool h200);

/* The QOS levels of sql/0002_scheduler.sql: low, normal (preempts low),
 * high (preempts low) and hero (preempts low and normal). */
void bl_qos_defaults(struct qos_table *t);

/* Print the machine, kernel, build and load lines of a "== setup"
 * block, so a figure can be read against what it ran on. */
void bl_print_machine(void);

/* CLOCK_MONOTONIC in microseconds. */
double bl_now_us(void);

#endif
