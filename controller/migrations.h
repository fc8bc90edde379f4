/*
 * Schema migrations compiled into the controller (generated from sql/ by
 * sql/embed.sh) and the code that applies them.
 */
#ifndef CONTROLLER_MIGRATIONS_H
#define CONTROLLER_MIGRATIONS_H

#include <stdbool.h>

#include "common/err.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

/* Terminated by an entry with version 0. */
extern const struct migration migrations[];

/* The newest schema version this binary knows. */
int migrate_latest(void);
/*
 * Connect (blocking; only before the event loop runs, or in a child
 * process), take an advisory lock so that two controllers never migrate
 * at once, and apply every pending migration, each in its own
 * transaction.  Unless force is set, nothing is applied while another
 * controller leads (it is the leader's job).  Refuses a database whose
 * schema is newer than this binary.  Returns the newest version this
 * binary knows, or -1 with e set.
 */
int migrate_run(const char *conninfo, bool force, struct err *e) MUSTCHECK;

#endif
