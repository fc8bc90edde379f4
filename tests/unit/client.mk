# tests/unit/client.mk: unit tests for the colossus CLI's pure parts
# (directives, submit options, --format, JSON, names, exit codes,
# configuration).  They link libclient.a, which holds everything but
# client/main.c.
CLIENT_TEST_LIBS = libclient.a $(COMMON_LIBS) $(DEP_LIBS)
CLIENT_TESTS = \
	tests/unit/test_directives \
	tests/unit/test_submitopts \
	tests/unit/test_format \
	tests/unit/test_names \
	tests/unit/test_clientconf
check_PROGRAMS += $(CLIENT_TESTS)
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
