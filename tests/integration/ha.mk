# tests/integration/ha.mk: durability, recovery and the standby
# controller (issue 7) against the real controller, agents, CLI and a
# PostgreSQL server that the tests stop and restart.
HA_INTEGRATION_TESTS = \
	tests/integration/t0701-ha-submit-kill.t \
	tests/integration/t0702-ha-pg-restart.t \
	tests/integration/t0703-ha-failover.t \
	tests/integration/t0704-ha-stale-session.t \
	tests/integration/t0705-ha-slow-reregister.t \
	tests/integration/t0706-ha-stop-inflight.t
TESTS += $(HA_INTEGRATION_TESTS)
EXTRA_DIST += $(HA_INTEGRATION_TESTS) tests/lib/ha.sh
