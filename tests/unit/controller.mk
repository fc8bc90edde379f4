# tests/unit/controller.mk: unit tests for the network/database plumbing
# in libcommon (frame, hmap, rpcconn, pgq) and for the controller's pure
# modules (jobspec, cluster + place).  TAP programs, see tests/lib/tap.h.
#
# test_pgq needs a real PostgreSQL: it is built as a check program but run
# through the wrapper tests/unit/pgq.t, which starts a private server
# (tests/lib/pg.sh), passes its conninfo in COLOSSUS_TEST_PG and stops it.
UNIT_NET_TESTS = \
	tests/unit/test_frame \
	tests/unit/test_hmap \
	tests/unit/test_rpcconn
UNIT_CTL_TESTS = \
	tests/unit/test_jobspec \
	tests/unit/test_place
check_PROGRAMS += $(UNIT_NET_TESTS) $(UNIT_CTL_TESTS) tests/unit/test_pgq
TESTS += $(UNIT_NET_TESTS) $(UNIT_CTL_TESTS) tests/unit/pgq.t
EXTRA_DIST += tests/unit/pgq.t

tests_unit_test_frame_SOURCES = tests/unit/test_frame.c
tests_unit_test_frame_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_frame_LDADD = $(COMMON_LIBS) $(DEP_LIBS)
tests_unit_test_hmap_SOURCES = tests/unit/test_hmap.c
tests_unit_test_hmap_LDADD = libcommon.a $(DEP_LIBS)
tests_unit_test_rpcconn_SOURCES = tests/unit/test_rpcconn.c
tests_unit_test_rpcconn_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_rpcconn_LDADD = $(COMMON_LIBS) $(DEP_LIBS)
tests_unit_test_pgq_SOURCES = tests/unit/test_pgq.c
tests_unit_test_pgq_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_pgq_LDADD = $(COMMON_LIBS) $(DEP_LIBS)

tests_unit_test_jobspec_SOURCES = tests/unit/test_jobspec.c
tests_unit_test_jobspec_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_jobspec_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)
tests_unit_test_place_SOURCES = tests/unit/test_place.c
tests_unit_test_place_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_place_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)

# The planner: priority order, backfill, preemption, reservations.
check_PROGRAMS += tests/unit/test_plan
TESTS += tests/unit/test_plan
tests_unit_test_plan_SOURCES = tests/unit/test_plan.c
tests_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_plan_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)

# The health policy language.
check_PROGRAMS += tests/unit/test_policy
TESTS += tests/unit/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_policy_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)
