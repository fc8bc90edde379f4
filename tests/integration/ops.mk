# tests/integration/ops.mk: operating Colossus -- the HTTP endpoint
# (metrics, JSON views, TLS, a real Prometheus), the rack map page in a
# real browser, what `make install` puts in place, the agents' own
# metrics, /readyz on a controller pair, SIGHUP and SIGTERM.  Included
# from local.mk.
OPS_TESTS = \
	tests/integration/t0900-ops-metrics.t \
	tests/integration/t0901-ops-rackmap.t \
	tests/integration/t0902-ops-install.t \
	tests/integration/t0903-ops-agent-metrics.t \
	tests/integration/t0904-ops-standby.t
TESTS += $(OPS_TESTS) tests/unit/test_metrics
EXTRA_DIST += $(OPS_TESTS) tests/lib/webdriver.sh
check_PROGRAMS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_metrics_LDADD = $(colossus_controller_LDADD)
# The rack map test leaves its screenshots here.
CLEANFILES += tests/artifacts/rackmap.png tests/artifacts/rackmap-detail.png
