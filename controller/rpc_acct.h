/*
 * Accounting reads shared by `history`, `report` and `job show`: jobs with
 * their attempts (allocations), read from the views of
 * sql/0003_accounting.sql in one query per request.
 *
 * RPC_ACCT_COLUMNS is the select list every such query uses, over
 * "jobs j", "job_attempts a" and "attempt_nodes n" (LEFT JOINed, one row
 * per job, attempt and node rank, ordered by job, then epoch, then node
 * rank); rpc_acct_parse() turns the rows back into JobInfo messages.
 */
#ifndef CONTROLLER_RPC_ACCT_H
#define CONTROLLER_RPC_ACCT_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/rpc.h"

struct pgq_result;

#define RPC_ACCT_COLUMNS                                                       \
	"j.id, j.user_name, j.account, j.qos, j.name, j.state, j.reason, "     \
	"j.nodes, j.gpus_per_node, j.time_limit_sec, j.epoch, j.restarts, "    \
	"j.exit_code, extract(epoch FROM j.submit_time)::bigint, "             \
	"extract(epoch FROM j.start_time)::bigint, "                           \
	"extract(epoch FROM j.end_time)::bigint, j.array_job_id, "             \
	"j.array_task, a.epoch, extract(epoch FROM a.start_time)::bigint, "    \
	"extract(epoch FROM a.end_time)::bigint, a.end_reason, a.exit_code, "  \
	"n.node_rank, n.node, array_to_string(n.gpu_indexes, ','), "           \
	"array_to_string(n.gpu_uuids, ',')"

/* The joins that go with RPC_ACCT_COLUMNS after "FROM jobs j". */
#define RPC_ACCT_JOINS                                                         \
	" LEFT JOIN job_attempts a ON a.job_id = j.id"                         \
	" LEFT JOIN attempt_nodes n ON n.job_id = a.job_id AND"                \
	" n.epoch = a.epoch"

/* Columns after RPC_ACCT_COLUMNS start at this index. */
#define RPC_ACCT_NCOLS 27

/*
 * Jobs of the result's first statement, in row order, each with its
 * attempts (ranks with node, GPU indexes and UUIDs) and its nodelist (the
 * last attempt's nodes as a hostlist).  Everything is heap-allocated:
 * free with rpc_acct_jobs_free().
 */
struct rpc_acct_jobs {
	Colossus__JobInfo **jobs;
	size_t n;
};

void rpc_acct_parse(const struct pgq_result *res, struct rpc_acct_jobs *out);
void rpc_acct_jobs_free(struct rpc_acct_jobs *jobs);

#endif
