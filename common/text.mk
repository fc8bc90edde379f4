# text.mk: pure text parsers (hostlist, config, time limits, topology files).
# Included from common/local.mk, which defines libcommon_a_SOURCES.
libcommon_a_SOURCES += \
	common/hostlist.c common/hostlist.h \
	common/timeparse.c common/timeparse.h \
	common/cfg.c common/cfg.h \
	common/topofile.c common/topofile.h

# Generates the phase 1/2 site topology for topofile tests and rollouts.
dist_noinst_SCRIPTS += scripts/gen-topology.sh
