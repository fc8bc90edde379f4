/*
 * Fixed-size table of recently admitted GPU fault events (see
 * xid_dedup.h).  64 slots cover a burst on every GPU of a node many times
 * over; a linear scan of them costs less than the event it filters.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nodeagent/xid_dedup.h"

void xid_dedup_init(struct xid_dedup *d, int64_t window_ms)
{
	memset(d, 0, sizeof(*d));
	d->window_ms = window_ms > 0 ? window_ms : XID_DEDUP_WINDOW_MS;
}

static bool xid_dedup_same_gpu(const struct xid_dedup_entry *s, int gpu,
			       const char *bus_id)
{
	if (gpu >= 0 && s->gpu >= 0)
		return gpu == s->gpu;
	/* One side could not map the bus id to an index: compare ids. */
	return bus_id[0] && s->bus_id[0] && !strcmp(bus_id, s->bus_id);
}

static int64_t xid_dedup_age(const struct xid_dedup_entry *s, int64_t now_ms)
{
	int64_t age = now_ms - s->admitted_ms;

	return age < 0 ? -age : age;
}

bool xid_dedup_admit(struct xid_dedup *d, int gpu, const char *bus_id, int kind,
		     unsigned code, int64_t now_ms)
{
	struct xid_dedup_entry *victim = NULL;

	if (!bus_id)
		bus_id = "";
	for (size_t i = 0; i < XID_DEDUP_SLOTS; i++) {
		struct xid_dedup_entry *s = &d->slot[i];

		if (!s->used) {
			if (!victim || victim->used)
				victim = s;
			continue;
		}
		if (s->kind == kind && s->code == code &&
		    xid_dedup_same_gpu(s, gpu, bus_id)) {
			if (xid_dedup_age(s, now_ms) < d->window_ms)
				return false;
			victim = s; /* expired: reuse the same slot */
			break;
		}
		if (!victim ||
		    (victim->used && s->admitted_ms < victim->admitted_ms))
			victim = s;
	}
	victim->used = true;
	victim->gpu = gpu;
	victim->kind = kind;
	victim->code = code;
	victim->admitted_ms = now_ms;
	/* Bus ids are short; an over-long one just compares unequal. */
	strncpy(victim->bus_id, bus_id, sizeof(victim->bus_id) - 1);
	victim->bus_id[sizeof(victim->bus_id) - 1] = '\0';
	return true;
}

void xid_dedup_forget_gpu(struct xid_dedup *d, int gpu)
{
	for (size_t i = 0; i < XID_DEDUP_SLOTS; i++)
		if (d->slot[i].used && d->slot[i].gpu == gpu)
			d->slot[i].used = false;
}
