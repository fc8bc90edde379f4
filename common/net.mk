# Network and database plumbing shared by the programs.
libcommon_a_SOURCES += \
	common/frame.c common/frame.h \
	common/tlsctx.c common/tlsctx.h \
	common/rpcconn.c common/rpcconn.h \
	common/pgq.c common/pgq.h
