/*
 * Parsing and printing of time limits and durations as Slurm users write
 * them.
 *
 * Time limits (timeparse_limit): "90" (minutes, as Slurm), "MM:SS",
 * "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS", and suffixed forms "30s",
 * "90m", "4h", "2d", combinations such as "1h30m".  "infinite" and
 * "unlimited" give 0, meaning no limit.
 *
 * Durations (timeparse_duration): suffixed forms only ("500ms" is not
 * accepted; "10s", "30m", "1h30m", "2d"); a bare number is seconds.
 */
#ifndef COMMON_TIMEPARSE_H
#define COMMON_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Largest value either parser accepts: 365 days. */
#define TIMEPARSE_MAX_SEC (365ull * 24 * 3600)

/*
 * Both parsers store the value in *sec and return 0, or return -1 with e
 * set ("invalid time limit '1:75': minutes and seconds must be below 60")
 * and *sec unchanged.  Empty strings, signs, whitespace, unknown units,
 * repeated or out-of-order units ("30m1h"), fields of 60 and more after a
 * ':', hours of 24 and more after "D-", and values above
 * TIMEPARSE_MAX_SEC are errors.  "infinite"/"unlimited" are matched
 * without regard to case; unit letters are lower case.
 */
int timeparse_limit(const char *s, uint64_t *sec, struct err *e) MUSTCHECK;
int timeparse_duration(const char *s, uint64_t *sec, struct err *e) MUSTCHECK;
/*
 * Print sec as Slurm does: "MM:SS" under an hour, "HH:MM:SS" under a day,
 * "D-HH:MM:SS" beyond; 0 prints "UNLIMITED".  Returns out.
 */
const char *timeparse_format(uint64_t sec, char *out, size_t len);
/*
 * Print sec in the unit form timeparse_duration reads back: "1h30m",
 * "2d", "45s"; 0 prints "0s".  32 bytes always suffice.  Returns out.
 */
const char *timeparse_format_duration(uint64_t sec, char *out, size_t len);

#endif
