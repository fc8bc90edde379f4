-- Colossus schema, migration 5: the leader term.
--
-- The active controller holds an advisory lock on the session it writes
-- through, so any write it commits proves it still leads.  Each time a
-- controller takes the lock it increments term: a controller that lost
-- and regained the lock knows from the term whether anyone else led in
-- between (then its memory is stale and it reloads).
CREATE TABLE leader (
	id     integer PRIMARY KEY CHECK (id = 1),
	term   bigint NOT NULL DEFAULT 0,
	holder text NOT NULL DEFAULT '',
	since  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO leader (id) VALUES (1);
