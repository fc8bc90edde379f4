/*
 * Unit tests for nodeagent/xid_dedup.c: the window, the key (GPU by index
 * or bus id, kind, code), forgetting a GPU, and the bounded table.
 */
#include "config.h"

#include "nodeagent/xid_dedup.h"
#include "tests/lib/tap.h"

#define XID 1
#define LOST 3

int main(void)
{
	struct xid_dedup d;
	int admitted;

	xid_dedup_init(&d, 0);
	is_int(d.window_ms, XID_DEDUP_WINDOW_MS,
	       "0 selects the default window");

	ok(xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 1000),
	   "first XID 79 on GPU 3 admitted");
	ok(!xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 1500),
	   "same XID 0.5 s later is a duplicate");
	ok(!xid_dedup_admit(&d, 3, "", XID, 79, 2000),
	   "same GPU index without bus id is a duplicate");
	ok(!xid_dedup_admit(&d, -1, "0000:18:00", XID, 79, 2500),
	   "unmapped kmsg event with the same bus id is a duplicate");
	ok(xid_dedup_admit(&d, -1, "0000:2a:00", XID, 79, 2500),
	   "unmapped event with another bus id is new");
	ok(xid_dedup_admit(&d, 3, "0000:18:00", XID, 48, 2600),
	   "another code on the same GPU is new");
	ok(xid_dedup_admit(&d, 4, "0000:3a:00", XID, 79, 2700),
	   "same code on another GPU is new");
	ok(xid_dedup_admit(&d, 3, "0000:18:00", LOST, 79, 2800),
	   "another kind with the same code is new");
	ok(!xid_dedup_admit(&d, 3, NULL, LOST, 79, 2900),
	   "NULL bus id is accepted, duplicate by index");

	/* The window runs from the admitted event, not the last duplicate. */
	ok(!xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 10999),
	   "still inside the window at 9.999 s");
	ok(xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 11000),
	   "a repeating fault is reported again after the window");
	ok(!xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 6000),
	   "an event out of order within the window is a duplicate");

	xid_dedup_forget_gpu(&d, 3);
	ok(xid_dedup_admit(&d, 3, "0000:18:00", XID, 79, 11500),
	   "after forgetting the GPU the same XID is new");
	ok(!xid_dedup_admit(&d, 4, "0000:3a:00", XID, 79, 11500),
	   "forgetting GPU 3 kept GPU 4's entry");

	/* A custom window. */
	xid_dedup_init(&d, 100);
	ok(xid_dedup_admit(&d, 0, "", XID, 13, 0), "window 100: first");
	ok(!xid_dedup_admit(&d, 0, "", XID, 13, 99), "window 100: at 99 ms");
	ok(xid_dedup_admit(&d, 0, "", XID, 13, 100), "window 100: at 100 ms");
	ok(xid_dedup_admit(&d, -1, "", XID, 13, 100),
	   "unknown GPU and no bus id never matches a known one");
	ok(xid_dedup_admit(&d, -1, "", XID, 13, 101),
	   "nor another unidentified event");

	/* Bounded: many distinct keys evict the oldest, never grow. */
	xid_dedup_init(&d, 0);
	admitted = 0;
	for (unsigned c = 0; c < 4 * XID_DEDUP_SLOTS; c++)
		admitted += xid_dedup_admit(&d, 1, "", XID, c, 1000 + c);
	is_int(admitted, 4 * XID_DEDUP_SLOTS, "all distinct keys admitted");
	ok(!xid_dedup_admit(&d, 1, "", XID, 4 * XID_DEDUP_SLOTS - 1, 1300),
	   "the newest key is still remembered");
	ok(xid_dedup_admit(&d, 1, "", XID, 0, 1300),
	   "the oldest key was evicted (an extra report, never a lost one)");
	is_int(sizeof(d.slot) / sizeof(d.slot[0]), XID_DEDUP_SLOTS,
	       "table size is fixed");
	return done_testing();
}
