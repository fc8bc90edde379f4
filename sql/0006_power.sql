-- Colossus schema, migration 6: power limits set by admins.
--
-- `colossus power limit` writes here before it answers (DESIGN
-- invariant 1); the controller loads the rows at start.  A row overrides
-- the [power] configuration for one scope: the site (name ''), a hall or
-- a rack, by name.  limit_w = 0 means unlimited; no row means the
-- configured default.
CREATE TABLE power_limits (
	scope   text NOT NULL CHECK (scope IN ('site', 'hall', 'rack')),
	name    text NOT NULL DEFAULT '',
	limit_w double precision NOT NULL CHECK (limit_w >= 0),
	set_by  text NOT NULL DEFAULT '',
	set_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (scope, name),
	CHECK ((scope = 'site') = (name = ''))
);
