# common/: libcommon.a, what the three programs share.
noinst_LIBRARIES += libcommon.a
libcommon_a_SOURCES = \
	common/util.c common/util.h \
	common/err.c common/err.h \
	common/xalloc.c common/xalloc.h \
	common/log.c common/log.h \
	common/hmap.c common/hmap.h
libcommon_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
# text.mk: pure text parsers (hostlist, config, time limits).
include $(srcdir)/common/text.mk
# net.mk: framing, TLS, RPC connections, async PostgreSQL.
include $(srcdir)/common/net.mk
