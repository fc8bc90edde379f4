-- Colossus schema, migration 2: what the scheduler needs beyond jobs.

-- Arrays, admin priority override and reservations on jobs.
ALTER TABLE jobs ADD COLUMN array_job_id bigint;
ALTER TABLE jobs ADD COLUMN array_task integer;
ALTER TABLE jobs ADD COLUMN priority_boost integer NOT NULL DEFAULT 0;
CREATE INDEX jobs_array ON jobs(array_job_id) WHERE array_job_id IS NOT NULL;

-- Qualities of service, defined by admins.
CREATE TABLE qos (
	name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$'),
	priority      integer NOT NULL DEFAULT 0,
	preempt       text[] NOT NULL DEFAULT '{}',
	preempt_mode  text NOT NULL DEFAULT 'requeue'
	              CHECK (preempt_mode IN ('requeue', 'cancel')),
	grace_sec     integer NOT NULL DEFAULT 60 CHECK (grace_sec >= 0),
	max_time_limit_sec bigint NOT NULL DEFAULT 0,
	max_nodes     integer NOT NULL DEFAULT 0,
	description   text NOT NULL DEFAULT ''
);
INSERT INTO qos (name, priority, preempt, description) VALUES
	('low', 0, '{}', 'preemptible work; runs when nothing else wants the GPUs'),
	('normal', 100, '{low}', 'the default'),
	('high', 1000, '{low}', 'urgent work; preempts low'),
	('hero', 10000, '{low,normal}', 'whole-cluster runs; preempts low and normal');

-- Nodes set aside for a window (maintenance, hero runs).
CREATE TABLE reservations (
	name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,63}$'),
	nodes       text NOT NULL,
	node_ids    integer[] NOT NULL,
	start_time  timestamptz NOT NULL,
	end_time    timestamptz NOT NULL CHECK (end_time > start_time),
	users       text[] NOT NULL DEFAULT '{}',
	accounts    text[] NOT NULL DEFAULT '{}',
	maintenance boolean NOT NULL DEFAULT false,
	reason      text NOT NULL DEFAULT '',
	created_by  text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL DEFAULT now()
);

-- Fair share: decayed GPU-seconds per account, saved periodically.
CREATE TABLE account_usage (
	account    text PRIMARY KEY,
	usage      double precision NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now()
);
