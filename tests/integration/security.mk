# tests/integration/security.mk: security and hostile-peer tests (issue 8):
# certificates refused at the handshake (expired, other CA, revoked, wrong
# role, none, plain TCP, TLS 1.2), every cell of the authorization table
# in docs/security.md, broken frames, slowloris, connection floods, and
# the controller's limits, and group commits that survive one bad
# submission.  tests/valgrind/run.sh runs some integration
# tests with the daemons under valgrind; it is not part of make check.
check_PROGRAMS += tests/tools/connflood
tests_tools_connflood_SOURCES = tests/tools/connflood.c
tests_tools_connflood_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_tools_connflood_LDADD = $(COMMON_LIBS) $(DEP_LIBS)

SECURITY_TESTS = \
	tests/integration/t0801-tls-certs.t \
	tests/integration/t0802-authz.t \
	tests/integration/t0803-hostile-conns.t \
	tests/integration/t0804-limits.t \
	tests/integration/t0805-submit-batch.t
TESTS += $(SECURITY_TESTS)
EXTRA_DIST += $(SECURITY_TESTS) tests/valgrind/run.sh \
	tests/valgrind/README.md tests/valgrind/colossus.supp
