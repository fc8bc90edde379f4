-- Colossus schema, migration 3: accounting views.
--
-- `colossus history` and `colossus report` are computed from these views
-- (controller/rpc_acct.c, one query per request); admins may query them
-- by hand too.  They add no table: allocations already hold one row per
-- attempt (incarnation) of a job, with its nodes and GPU masks.
--
-- An attempt's start is when its allocation was committed (started_at
-- where recorded), its end when every node released it; a running
-- attempt counts up to now().  GPU UUIDs are those the node's agent
-- reported last: a GPU swapped since the attempt shows its successor.

-- GPUs set in a 16-bit allocation mask.
CREATE FUNCTION gpu_count(mask integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT count(*)::integer FROM generate_series(0, 15) b
   WHERE (mask >> b) & 1 = 1 $$;

-- One row per node of an attempt: node rank, node name, GPUs by index
-- and by UUID.
CREATE VIEW attempt_nodes AS
SELECT a.job_id, a.epoch, (r.i - 1)::integer AS node_rank,
       n.name AS node, r.mask AS gpu_mask,
       ARRAY(SELECT b FROM generate_series(0, 15) b
             WHERE (r.mask >> b) & 1 = 1 ORDER BY b) AS gpu_indexes,
       ARRAY(SELECT g.uuid FROM gpus g
             WHERE g.node_id = r.node_id AND (r.mask >> g.idx) & 1 = 1
             ORDER BY g.idx) AS gpu_uuids
FROM allocations a
CROSS JOIN LATERAL unnest(a.node_ids, a.gpu_masks) WITH ORDINALITY
	AS r(node_id, mask, i)
JOIN nodes n ON n.id = r.node_id;

-- One row per attempt with its size, time and outcome:
--   requeued   a later attempt replaced it, or the job waits again
--   running    the job's current attempt, still live
--   completed, failed, cancelled, timeout: how the job's last attempt ended
-- failed is true for requeued and failed attempts: the GPU time they
-- used is "lost" in colossus report.
CREATE VIEW job_attempts AS
SELECT a.job_id, a.epoch, j.user_name, j.account, j.qos,
       j.name AS job_name,
       a.created_at AS placed_at,
       COALESCE(a.started_at, a.created_at) AS start_time,
       a.ended_at AS end_time,
       a.end_reason,
       COALESCE(a.exit_code,
                CASE WHEN a.epoch = j.epoch THEN j.exit_code END)
		AS exit_code,
       cardinality(a.node_ids) AS nodes,
       (SELECT COALESCE(sum(gpu_count(m)), 0)::integer
        FROM unnest(a.gpu_masks) m) AS gpus,
       o.outcome,
       o.outcome IN ('requeued', 'failed') AS failed,
       (SELECT COALESCE(sum(gpu_count(m)), 0) FROM unnest(a.gpu_masks) m)
	 * EXTRACT(epoch FROM COALESCE(a.ended_at, now())
	                    - COALESCE(a.started_at, a.created_at))
	 / 3600.0 AS gpu_hours
FROM allocations a
JOIN jobs j ON j.id = a.job_id
CROSS JOIN LATERAL (SELECT CASE
	WHEN a.epoch < j.epoch OR j.state IN ('pending', 'held')
		THEN 'requeued'
	WHEN j.state IN ('starting', 'running', 'completing')
		THEN 'running'
	ELSE j.state END AS outcome) o;

-- GPU-hours per account, user and day (by the attempt's start), with
-- the share lost to failed attempts.  colossus report clips attempts to
-- its period exactly; this view is for quick looks by hand.
CREATE VIEW usage_by_account AS
SELECT account, user_name, date_trunc('day', start_time) AS day,
       count(DISTINCT job_id) AS jobs,
       count(*) AS attempts,
       count(*) FILTER (WHERE failed) AS failed_attempts,
       sum(gpu_hours) AS gpu_hours,
       COALESCE(sum(gpu_hours) FILTER (WHERE failed), 0)
		AS failed_gpu_hours
FROM job_attempts
GROUP BY account, user_name, date_trunc('day', start_time);

CREATE INDEX allocations_created ON allocations(created_at);
