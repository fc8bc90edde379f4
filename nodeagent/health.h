/*
 * Health reporting: what the agent tells the controller about its GPUs,
 * NICs and jobs (HealthReport, docs/health.md).
 *
 *   events    sent at once, batched per loop turn: XIDs and other GPU
 *             faults from the backend (already de-duplicated), NIC links
 *             going down or up, hung jobs (progress.c), probe failures
 *             (probe.c).  One report is in flight at a time; events
 *             raised meanwhile, or while the controller is away, wait in
 *             a bounded queue and go after the next registration.
 *   samples   every GPU reading and every NIC, every
 *             health_sample_interval_ms of the registration reply
 *             (60 s by default): never per heartbeat.
 *   changes   a full reading sent early (at most once a second) when a
 *             discrete state changed: a GPU lost, a remap pending, an
 *             NVLink down, a throttle reason, a temperature band, ...,
 *             so reading-based rules see faults in seconds.
 *   probe     the site probe's readings of the node's rack (probe.c);
 *             its events go with the others.
 *
 * Loop thread only.
 */
#ifndef NODEAGENT_HEALTH_H
#define NODEAGENT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

struct agent;

/* Events that wait for the controller; more are dropped (and logged). */
#define HEALTH_QUEUE_MAX 1024
/* Events per report. */
#define HEALTH_BATCH_MAX 256

/* A discrete fault, as HealthEvent (proto/health.proto) carries it. */
struct health_event {
	int gpu_index;	 /* -1 for the node */
	char kind[16];	 /* xid, dbe, gpu_lost, recovery, backend_error,
			  * nic_down, nic_up, hang, probe */
	unsigned code;	 /* XID, recovery action */
	int64_t time_ms; /* wall clock; 0 = now */
	char source[8];	 /* nvml, kmsg, sim, sysfs, agent, probe */
	char detail[200];
	char nic[32];
	uint64_t job_id; /* hang */
	uint32_t epoch;
};

/* Timers and queues (after the GPU backend and the NIC watcher). */
int health_start(struct agent *ag, struct err *e) MUSTCHECK;
void health_stop(struct agent *ag);
/*
 * The link registered: send what waited, a first full sample, and
 * sample every interval_ms from now on (0: 60 s).
 */
void health_registered(struct agent *ag, uint32_t interval_ms);
/* The GPU backend's fd is readable: take its events and readings. */
void health_gpu_wake(struct agent *ag);
/* Queue one event; it is sent at the end of this loop turn. */
void health_push(struct agent *ag, const struct health_event *ev);
/* Send the probe's readings of this node's rack (not kept if the
 * controller is away: the next probe run replaces them). */
void health_send_rack(struct agent *ag, const Colossus__RackReadings *rack);
/* "events_sent=N queued=N dropped=N samples=N" for the status line. */
void health_describe(const struct agent *ag, char *buf, size_t len);

#endif
