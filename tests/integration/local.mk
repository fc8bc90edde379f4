# Integration tests: shell scripts (TAP) that start a real PostgreSQL,
# the controller, agents and the CLI over real TLS.  See tests/lib/cluster.sh.
check_PROGRAMS += tests/tools/rpcsend
tests_tools_rpcsend_SOURCES = tests/tools/rpcsend.c
tests_tools_rpcsend_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_tools_rpcsend_LDADD = $(COMMON_LIBS) $(DEP_LIBS)

INTEGRATION_TESTS = \
	tests/integration/t0000-docs.t \
	tests/integration/t0001-gang.t \
	tests/integration/t0002-cancel.t \
	tests/integration/t0003-restart.t \
	tests/integration/t0004-hostile.t
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/lib/tap.sh tests/lib/pg.sh \
	tests/lib/cluster.sh
include $(srcdir)/tests/integration/agent.mk
include $(srcdir)/tests/integration/security.mk
include $(srcdir)/tests/integration/ops.mk
include $(srcdir)/tests/integration/cli.mk
include $(srcdir)/tests/integration/bench.mk
include $(srcdir)/tests/integration/ha.mk
include $(srcdir)/tests/integration/power.mk
include $(srcdir)/tests/integration/health.mk
