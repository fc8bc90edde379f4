-- Colossus schema, migration 4: health, drains and the readings history.

ALTER TABLE nodes ADD COLUMN drained_by text NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN drain_boot_id text NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
ALTER TABLE nodes ADD COLUMN returned_at timestamptz;
ALTER TABLE racks ADD COLUMN drained_by text NOT NULL DEFAULT '';

-- Periodic GPU readings, one row per node per sample (arrays indexed by
-- GPU), partitioned by day so old days are dropped whole.  The
-- controller creates tomorrow's partition and drops those past the
-- retention ([health] samples_retention).
CREATE TABLE node_samples (
	node_id     integer NOT NULL,
	at          timestamptz NOT NULL,
	temp_c      smallint[] NOT NULL,
	power_w     integer[] NOT NULL,
	sm_clock_mhz integer[] NOT NULL,
	ecc_sbe     bigint[] NOT NULL,
	ecc_dbe     bigint[] NOT NULL,
	nvlink_down bigint[] NOT NULL,
	throttle    bigint[] NOT NULL,
	nics_down   text[] NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (at);
CREATE INDEX node_samples_node ON node_samples (node_id, at);

-- Rack cooling and power readings, same scheme.
CREATE TABLE rack_samples (
	rack_id     integer NOT NULL,
	at          timestamptz NOT NULL,
	flow_lpm    double precision,
	supply_c    double precision,
	return_c    double precision,
	pumps_ok    integer,
	fans_ok     integer,
	leak        text,
	power_kw    double precision
) PARTITION BY RANGE (at);
CREATE INDEX rack_samples_rack ON rack_samples (rack_id, at);

-- "A GPU's last day": one row per GPU per sample.
CREATE VIEW gpu_samples AS
SELECT s.node_id, n.name AS node, g.i - 1 AS gpu, s.at,
       s.temp_c[g.i] AS temp_c, s.power_w[g.i] AS power_w,
       s.sm_clock_mhz[g.i] AS sm_clock_mhz, s.ecc_sbe[g.i] AS ecc_sbe,
       s.ecc_dbe[g.i] AS ecc_dbe, s.nvlink_down[g.i] AS nvlink_down,
       s.throttle[g.i] AS throttle
FROM node_samples s
JOIN nodes n ON n.id = s.node_id
CROSS JOIN LATERAL generate_subscripts(s.temp_c, 1) AS g(i);
