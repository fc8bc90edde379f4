/*
 * Validation and normalisation of submitted job specs (DESIGN invariant
 * 7: bad input gets a clear error).  Pure: no I/O; unit tested.
 */
#ifndef CONTROLLER_JOBSPEC_H
#define CONTROLLER_JOBSPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

/* Limits on what one job may ask for. */
#define JOBSPEC_MAX_ARGS 1024
#define JOBSPEC_MAX_ARG_LEN 4096
#define JOBSPEC_MAX_ARGV_BYTES (64 * 1024)
#define JOBSPEC_MAX_ENV 4096
#define JOBSPEC_MAX_ENV_BYTES (256 * 1024)
#define JOBSPEC_MAX_SCRIPT (1024 * 1024)
#define JOBSPEC_MAX_PATH 4096
#define JOBSPEC_MAX_NAME 128
#define JOBSPEC_MAX_DEPS 128
#define JOBSPEC_MAX_RANKS_PER_NODE 256
#define JOBSPEC_MAX_NODES 200000

struct jobspec_limits {
	uint32_t cluster_nodes;	     /* nodes in the topology            */
	uint32_t gpus_per_node;	     /* GPUs of a whole node (8)         */
	uint64_t default_time_limit; /* seconds; 0 = unlimited          */
	uint64_t max_time_limit;     /* seconds; 0 = no cap               */
	uint32_t default_max_restarts;
	uint64_t next_job_id; /* dependencies must be below this   */
	bool is_admin;
};

/*
 * Check spec and fill in defaults in place (nodes from a GPU total,
 * gpus_per_node, ranks_per_node, time limit, restart limit).  Returns 0,
 * or -1 with e set to a message meant for the user.
 */
int jobspec_validate(Colossus__JobSpec *spec, const struct jobspec_limits *lim,
		     struct err *e) MUSTCHECK;

/*
 * Whether s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF) without NUL bytes: what
 * PostgreSQL accepts in a text column.
 */
bool jobspec_utf8_valid(const char *s, size_t len);

/*
 * Check that every string field of msg, at any depth (repeated fields,
 * nested messages, the set member of a oneof), is valid UTF-8, as proto3
 * requires and protobuf-c does not check.  Returns 0, or -1 with e set
 * to "field spec.name is not valid UTF-8".  msg may be NULL.
 */
int jobspec_check_strings(const ProtobufCMessage *msg, struct err *e) MUSTCHECK;

#define JOBSPEC_MAX_ARRAY 10000

/*
 * Parse a job array spec as sbatch takes it: "0-99", "1,3,5-9",
 * "0-30:10" (step), each optionally ending in "%N" (at most N tasks
 * running at once).  *tasks (caller frees) receives the task ids in
 * order, *n their count, *limit N or 0.  Returns 0 or -1 with e set.
 */
int jobspec_parse_array(const char *s, uint32_t **tasks, size_t *n,
			uint32_t *limit, struct err *e) MUSTCHECK;

#endif
