-- Colossus schema, migration 1: topology, jobs, allocations, events.
--
-- PostgreSQL is the truth (DESIGN invariant 2); the controller's memory
-- is a cache rebuilt from these tables at start.  Heartbeats are never
-- written here; only state changes, decisions and events are.
--
-- Never edit a released migration: add a new numbered file instead.

CREATE TABLE halls (
	id    serial PRIMARY KEY,
	name  text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$')
);

CREATE TABLE pods (
	id      serial PRIMARY KEY,
	hall_id integer NOT NULL REFERENCES halls(id),
	name    text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$')
);

CREATE TABLE racks (
	id           serial PRIMARY KEY,
	pod_id       integer NOT NULL REFERENCES pods(id),
	name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$'),
	-- Administrative state of the whole rack (a rack drain).
	admin_state  text NOT NULL DEFAULT 'none'
	             CHECK (admin_state IN ('none', 'draining', 'drained')),
	admin_reason text NOT NULL DEFAULT '',
	health       text NOT NULL DEFAULT 'ok'
	             CHECK (health IN ('ok', 'degraded', 'failed')),
	health_reason text NOT NULL DEFAULT ''
);
CREATE INDEX racks_pod ON racks(pod_id);

CREATE TABLE nodes (
	id           serial PRIMARY KEY,
	rack_id      integer NOT NULL REFERENCES racks(id),
	name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$'),
	slot         integer NOT NULL DEFAULT 0,
	gpus         integer NOT NULL DEFAULT 8 CHECK (gpus BETWEEN 0 AND 16),
	gpu_model    text NOT NULL DEFAULT 'H100',
	features     text[] NOT NULL DEFAULT '{}',
	-- Liveness as last recorded (up/down); heartbeats stay in memory.
	state        text NOT NULL DEFAULT 'unknown'
	             CHECK (state IN ('unknown', 'up', 'down')),
	admin_state  text NOT NULL DEFAULT 'none'
	             CHECK (admin_state IN ('none', 'draining', 'drained')),
	admin_reason text NOT NULL DEFAULT '',
	health       text NOT NULL DEFAULT 'ok'
	             CHECK (health IN ('ok', 'degraded', 'failed')),
	health_reason text NOT NULL DEFAULT '',
	boot_id      text NOT NULL DEFAULT '',
	address      text NOT NULL DEFAULT '',
	last_register timestamptz
);
CREATE INDEX nodes_rack ON nodes(rack_id);

-- GPUs as the node's agent last reported them.
CREATE TABLE gpus (
	node_id     integer NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
	idx         smallint NOT NULL CHECK (idx BETWEEN 0 AND 15),
	uuid        text NOT NULL,
	model       text NOT NULL,
	memory_mib  bigint NOT NULL DEFAULT 0,
	pci_bus_id  text NOT NULL DEFAULT '',
	numa_node   smallint NOT NULL DEFAULT -1,
	serial      text NOT NULL DEFAULT '',
	PRIMARY KEY (node_id, idx)
);

CREATE TABLE jobs (
	id             bigint PRIMARY KEY,
	user_name      text NOT NULL,
	account        text NOT NULL DEFAULT '',
	qos            text NOT NULL DEFAULT 'normal',
	name           text NOT NULL DEFAULT '',
	state          text NOT NULL CHECK (state IN ('pending', 'held',
	               'starting', 'running', 'completing', 'completed',
	               'failed', 'cancelled', 'timeout')),
	reason         text NOT NULL DEFAULT '',
	nodes          integer NOT NULL CHECK (nodes > 0),
	gpus_per_node  integer NOT NULL CHECK (gpus_per_node BETWEEN 0 AND 16),
	time_limit_sec bigint NOT NULL DEFAULT 0,
	-- The whole request as a packed colossus.JobSpec: new spec fields need
	-- no migration; the columns above exist for queries and reports.
	spec           bytea NOT NULL,
	epoch          integer NOT NULL DEFAULT 0,
	restarts       integer NOT NULL DEFAULT 0,
	exit_code      integer,
	submit_time    timestamptz NOT NULL DEFAULT now(),
	start_time     timestamptz,
	end_time       timestamptz,
	-- Client-chosen key that makes a retried submission idempotent.
	submit_key     text
);
CREATE INDEX jobs_active ON jobs(state) WHERE state IN ('pending', 'held',
	'starting', 'running', 'completing');
CREATE INDEX jobs_user ON jobs(user_name, submit_time);
CREATE INDEX jobs_end ON jobs(end_time);
CREATE UNIQUE INDEX jobs_submit_key ON jobs(user_name, submit_key)
	WHERE submit_key IS NOT NULL;

-- One row per incarnation (epoch) of a job.  node_ids[i] is node-rank i;
-- gpu_masks[i] is the bitmask of GPU indexes it uses on that node.  Ranks
-- are numbered node by node: rank = i * ranks_per_node + local rank.
CREATE TABLE allocations (
	job_id         bigint NOT NULL REFERENCES jobs(id),
	epoch          integer NOT NULL CHECK (epoch > 0),
	node_ids       integer[] NOT NULL,
	gpu_masks      integer[] NOT NULL,
	ranks_per_node integer NOT NULL DEFAULT 1,
	created_at     timestamptz NOT NULL DEFAULT now(),
	started_at     timestamptz,
	ended_at       timestamptz,
	end_reason     text NOT NULL DEFAULT '',
	exit_code      integer,
	PRIMARY KEY (job_id, epoch),
	CHECK (cardinality(node_ids) = cardinality(gpu_masks))
);
CREATE INDEX allocations_open ON allocations(job_id) WHERE ended_at IS NULL;

-- Every state transition with who, what and why.
CREATE TABLE events (
	id       bigserial PRIMARY KEY,
	at       timestamptz NOT NULL DEFAULT now(),
	kind     text NOT NULL,
	severity text NOT NULL DEFAULT 'info'
	         CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
	actor    text NOT NULL DEFAULT 'controller',
	job_id   bigint,
	node_id  integer,
	rack_id  integer,
	reason   text NOT NULL DEFAULT '',
	detail   jsonb
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_job ON events(job_id, at) WHERE job_id IS NOT NULL;
CREATE INDEX events_node ON events(node_id, at) WHERE node_id IS NOT NULL;
CREATE INDEX events_rack ON events(rack_id, at) WHERE rack_id IS NOT NULL;

-- Rank placement of every allocation, for admins querying by hand.
CREATE VIEW allocation_ranks AS
SELECT a.job_id, a.epoch, (r.i - 1) AS node_rank, n.name AS node,
       r.mask AS gpu_mask, a.ranks_per_node
FROM allocations a
CROSS JOIN LATERAL unnest(a.node_ids, a.gpu_masks) WITH ORDINALITY
	AS r(node_id, mask, i)
JOIN nodes n ON n.id = r.node_id;
