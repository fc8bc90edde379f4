/*
 * Kernel log (/dev/kmsg) parsing for GPU faults.  The NVIDIA driver logs
 * XIDs and "fallen off the bus" there, sometimes before NVML can report
 * them, so the agent reads both (../shared/HEALTH.md section 1, "Log
 * formats").
 *
 * kmsg_parse() is a pure function over one line.  The reader opens a path
 * and returns the records that appeared since it was opened: /dev/kmsg is
 * read one record per read() from the end of the ring (the backlog from
 * before the agent started is skipped so old XIDs are not replayed);
 * a regular file (tests) is read from its start, line by line, and may
 * keep growing.
 */
#ifndef NODEAGENT_KMSG_H
#define NODEAGENT_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Normalised bus id "dddd:bb:dd" plus room for odd input. */
#define KMSG_BUSID_LEN 32
#define KMSG_TEXT_LEN 160

enum kmsg_kind {
	KMSG_IGNORE = 0,   /* not a GPU fault line */
	KMSG_XID = 1,	   /* NVRM: Xid (PCI:...): code */
	KMSG_GPU_LOST = 2, /* NVRM: GPU ...: GPU has fallen off the bus */
	KMSG_SXID = 3,	   /* NVSwitch SXid: not a GPU XID */
};

struct kmsg_record {
	enum kmsg_kind kind;
	int priority;  /* facility << 3 | level; -1 without kmsg prefix */
	uint64_t seq;  /* kmsg sequence number; 0 without prefix */
	int64_t ts_us; /* microseconds since boot; -1 without prefix */
	unsigned code; /* XID or SXID number */
	int pid;       /* pid= in an Xid line; -1 if absent */
	char bus_id[KMSG_BUSID_LEN]; /* normalised, "" if none */
	/* The message from "NVRM:"/"SXid" on, control characters as '?'. */
	char text[KMSG_TEXT_LEN];
};

/*
 * Parse one line (len bytes, no terminator needed; a trailing newline is
 * ignored).  Accepts the /dev/kmsg record form "6,1234,5678901,-;msg" or a
 * bare message (dmesg output, test files).  Fills rec and returns its kind;
 * KMSG_IGNORE leaves the fault fields empty.
 */
enum kmsg_kind kmsg_parse(const char *line, size_t len,
			  struct kmsg_record *rec);

/*
 * Normalise a PCI bus id for comparison: NVML's "00000000:18:00.0", the
 * kernel's "0000:18:00" or "0000:18:00.0" and a bare "18:00.0" all become
 * "0000:18:00" (domain 4+ hex digits, lower case, function dropped: a GPU
 * is function 0).  Returns 0, or -1 if in is not a bus id (out is then "").
 */
int kmsg_busid_normalize(const char *in, char *out, size_t outlen) MUSTCHECK;

struct kmsg_reader;

typedef void (*kmsg_record_fn)(const struct kmsg_record *rec, void *arg);

/*
 * Open path non-blocking.  A character device (/dev/kmsg) is positioned
 * at the end; anything else is read from the beginning.  Returns NULL
 * with e set when the path cannot be opened (e.g. EPERM under
 * kernel.dmesg_restrict without CAP_SYSLOG).
 */
struct kmsg_reader *kmsg_reader_open(const char *path, struct err *e);
/* No-op on NULL. */
void kmsg_reader_close(struct kmsg_reader *r);
int kmsg_reader_fd(const struct kmsg_reader *r);
/* True when poll() on the fd is meaningful (/dev/kmsg, not a file). */
bool kmsg_reader_pollable(const struct kmsg_reader *r);
/*
 * Read whatever is available now without blocking and call cb for every
 * record whose kind is not KMSG_IGNORE, before returning.  Reads at most
 * a few thousand records per call so a flood cannot starve the caller.
 * Returns the number of lines examined, or -1 with errno set on a read
 * error other than "nothing more yet" and "records were overwritten".
 */
int kmsg_reader_read(struct kmsg_reader *r, kmsg_record_fn cb, void *arg);

#endif
