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

int timeparse_limit(const char *s, uint64_t *sec, struct err *e) MUSTCHECK;
int timeparse_duration(const char *s, uint64_t *sec, struct err *e) MUSTCHECK;
/*
 * Print sec as Slurm does: "MM:SS" under an hour, "HH:MM:SS" under a day,
 * "D-HH:MM:SS" beyond; 0 prints "UNLIMITED".  Returns out.
 */
const char *timeparse_format(uint64_t sec, char *out, size_t len);

#endif
