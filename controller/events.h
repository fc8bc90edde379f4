/*
 * Batched event recording (see events.c).  ctl_event() in ctl.h is the
 * entry point for everyone else.
 */
#ifndef CONTROLLER_EVENTS_H
#define CONTROLLER_EVENTS_H

struct ctl;
struct events;

struct events *events_create(struct ctl *ctl);
/* Drops events not yet written. */
void events_destroy(struct events *ev);
/* Write queued events soon (after reconnect, for example). */
void events_kick(struct events *ev);

#endif
