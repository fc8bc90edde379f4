/*
 * Points in time as people type them on the command line (reservation
 * start and end, history and report periods):
 *
 *   now                    the current time
 *   now+2h, now-1d30m      now plus or minus a duration (timeparse units)
 *   2026-12-01T08:00       ISO 8601 local time; seconds optional, ' ' may
 *   2026-12-01 08:00:30    replace 'T'
 *   2026-12-01             local midnight
 *   2026-12-01T08:00Z      UTC; or with an offset: +02:00, -0500
 *   1767254400, @1767254400  Unix seconds
 *
 * Pure apart from the local time zone (mktime); now is passed in so that
 * tests are repeatable.
 */
#ifndef CLIENT_TIMEEXPR_H
#define CLIENT_TIMEEXPR_H

#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

/*
 * Parse s relative to now (Unix seconds).  Returns 0 with *out set, or
 * -1 with e set ("'2026-13-01' is not a date ..."), *out unchanged.
 */
int timeexpr_parse(const char *s, int64_t now, int64_t *out,
		   struct err *e) MUSTCHECK;

#endif
