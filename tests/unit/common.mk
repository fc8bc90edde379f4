# Unit tests for libcommon's text parsers (TAP programs, see tests/lib/tap.h).
check_PROGRAMS += tests/unit/test_hostlist tests/unit/test_timeparse \
	tests/unit/test_cfg tests/unit/test_topofile
TESTS += tests/unit/test_hostlist tests/unit/test_timeparse \
	tests/unit/test_cfg tests/unit/test_topofile

tests_unit_test_hostlist_SOURCES = tests/unit/test_hostlist.c
tests_unit_test_hostlist_LDADD = libcommon.a $(DEP_LIBS)
tests_unit_test_timeparse_SOURCES = tests/unit/test_timeparse.c
tests_unit_test_timeparse_LDADD = libcommon.a $(DEP_LIBS)
tests_unit_test_cfg_SOURCES = tests/unit/test_cfg.c
tests_unit_test_cfg_LDADD = libcommon.a $(DEP_LIBS)
# test_topofile runs scripts/gen-topology.sh when top_srcdir is set.
tests_unit_test_topofile_SOURCES = tests/unit/test_topofile.c
tests_unit_test_topofile_LDADD = libcommon.a $(DEP_LIBS)
