# tests/unit/client.mk: unit tests for the colossus CLI's pure parts
# (directives, submit options, --format, JSON, names, exit codes,
# configuration, time expressions, --sort, output paths, the rack map).
# They link libclient.a, which holds everything but client/main.c.
# test_ratelimit covers controller/ratelimit.c, the per-user listing
# limit that exists for the CLI (issue 6).
CLIENT_TEST_LIBS = libclient.a $(COMMON_LIBS) $(DEP_LIBS)
CLIENT_TESTS = \
	tests/unit/test_directives \
	tests/unit/test_submitopts \
	tests/unit/test_format \
	tests/unit/test_names \
	tests/unit/test_clientconf \
	tests/unit/test_timeexpr \
	tests/unit/test_jobsort \
	tests/unit/test_jobpath \
	tests/unit/test_rackmap
check_PROGRAMS += $(CLIENT_TESTS) tests/unit/test_ratelimit
TESTS += tests/unit/test_ratelimit
TESTS += $(CLIENT_TESTS)

tests_unit_test_directives_SOURCES = tests/unit/test_directives.c
tests_unit_test_directives_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_directives_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_submitopts_SOURCES = tests/unit/test_submitopts.c
tests_unit_test_submitopts_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_submitopts_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_format_SOURCES = tests/unit/test_format.c
tests_unit_test_format_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_format_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_names_SOURCES = tests/unit/test_names.c
tests_unit_test_names_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_names_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_clientconf_SOURCES = tests/unit/test_clientconf.c
tests_unit_test_clientconf_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_clientconf_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_timeexpr_SOURCES = tests/unit/test_timeexpr.c
tests_unit_test_timeexpr_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_timeexpr_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_jobsort_SOURCES = tests/unit/test_jobsort.c
tests_unit_test_jobsort_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_jobsort_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_jobpath_SOURCES = tests/unit/test_jobpath.c
tests_unit_test_jobpath_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_jobpath_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_rackmap_SOURCES = tests/unit/test_rackmap.c
tests_unit_test_rackmap_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_rackmap_LDADD = $(CLIENT_TEST_LIBS)
tests_unit_test_ratelimit_SOURCES = tests/unit/test_ratelimit.c
tests_unit_test_ratelimit_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_ratelimit_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)
