/*
 * De-duplication of GPU fault events.  The same XID is usually seen twice,
 * once as an NVML event and once as a kernel log line, and a fault often
 * repeats itself for a while.  A report is suppressed when an event with
 * the same key was admitted less than the window ago; the key is (GPU,
 * kind, code), where the GPU is matched by index when both sides know it
 * and otherwise by normalised PCI bus id.
 *
 * The window runs from the last *admitted* event, not the last one seen:
 * a fault that keeps firing is reported again once per window, so the
 * controller knows it is still happening.
 *
 * Pure data structure: a fixed table, no allocation, no clock, no locking
 * (the caller serialises).  When the table is full the oldest entry is
 * reused, which can only cause an extra report, never a lost one.
 */
#ifndef NODEAGENT_XID_DEDUP_H
#define NODEAGENT_XID_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#define XID_DEDUP_SLOTS 64
#define XID_DEDUP_WINDOW_MS 10000
#define XID_DEDUP_BUSID_LEN 32

struct xid_dedup_entry {
	bool used;
	int gpu; /* -1 when unknown */
	int kind;
	unsigned code;
	int64_t admitted_ms;
	char bus_id[XID_DEDUP_BUSID_LEN]; /* normalised; "" when unknown */
};

struct xid_dedup {
	int64_t window_ms;
	struct xid_dedup_entry slot[XID_DEDUP_SLOTS];
};

/* window_ms <= 0 selects XID_DEDUP_WINDOW_MS. */
void xid_dedup_init(struct xid_dedup *d, int64_t window_ms);

/*
 * Decide whether an event is new.  gpu is the GPU index or -1, bus_id a
 * normalised bus id or "" / NULL.  Returns true (and remembers it) when
 * the event should be reported, false for a duplicate.  now_ms is the
 * event's time; events out of order by less than the window are also
 * duplicates.
 */
bool xid_dedup_admit(struct xid_dedup *d, int gpu, const char *bus_id, int kind,
		     unsigned code, int64_t now_ms);

/* Forget every entry of one GPU (after it was reset or cleared). */
void xid_dedup_forget_gpu(struct xid_dedup *d, int gpu);

#endif
