# tests/integration/health.mk: integration tests of GPU and rack health
# (issue 5): policy rules, fatal faults in running gangs, lost nodes,
# rack alarms, drains, return to service, the circuit breaker and hang
# detection, against the real controller, agents (simulated GPUs),
# PostgreSQL and CLI.
HEALTH_INTEGRATION_TESTS = \
	tests/integration/t0501-health-policy.t \
	tests/integration/t0502-health-xid-requeue.t \
	tests/integration/t0503-health-rack.t \
	tests/integration/t0504-health-drain.t \
	tests/integration/t0505-health-return.t \
	tests/integration/t0506-health-breaker.t \
	tests/integration/t0507-health-hang.t \
	tests/integration/t0508-health-rack-lost.t
TESTS += $(HEALTH_INTEGRATION_TESTS)
EXTRA_DIST += $(HEALTH_INTEGRATION_TESTS)
