/*
 * Where a job's output goes: its stdout/stderr patterns expanded the way
 * the node agent's shepherd expands them (%j job id, %r rank, %e epoch,
 * %n node name, %% a percent sign), relative paths taken from the
 * working directory.  `colossus job show` prints them per rank.  Pure.
 */
#ifndef CLIENT_JOBPATH_H
#define CLIENT_JOBPATH_H

#include <stddef.h>
#include <stdint.h>

/* The agent's default when a job gives no --output. */
#define JOBPATH_DEFAULT_STDOUT "colossus-%j-%r.out"

/*
 * Expand pattern (NULL or "" means the default) for one rank into out.
 * workdir (may be NULL) prefixes a relative result.  Returns 0, or -1
 * if the pattern has an unknown %x or the result does not fit.
 */
int jobpath_expand(const char *pattern, const char *workdir, uint64_t job,
		   unsigned rank, unsigned epoch, const char *node, char *out,
		   size_t len);

#endif
