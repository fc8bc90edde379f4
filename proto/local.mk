# proto/: the wire contract.  protoc-c generates C into the build dir.
PROTO_FILES = proto/types.proto proto/agent.proto proto/client.proto proto/health.proto proto/rpc.proto
PROTO_GEN_C = proto/types.pb-c.c proto/agent.pb-c.c proto/client.pb-c.c proto/health.pb-c.c proto/rpc.pb-c.c
PROTO_GEN_H = $(PROTO_GEN_C:.c=.h)

noinst_LIBRARIES += libproto.a
nodist_libproto_a_SOURCES = $(PROTO_GEN_C) $(PROTO_GEN_H)
libproto_a_CFLAGS = -std=gnu11 $(SANITIZER_CFLAGS) $(PROTOBUF_C_CFLAGS)
noinst_HEADERS += proto/rpc.h
EXTRA_DIST += $(PROTO_FILES)
BUILT_SOURCES += $(PROTO_GEN_C) $(PROTO_GEN_H)
CLEANFILES += $(PROTO_GEN_C) $(PROTO_GEN_H) proto/.protoc-stamp

# One protoc-c run produces every generated file; a stamp keeps it to one.
proto/.protoc-stamp: $(PROTO_FILES)
	$(AM_V_GEN)$(MKDIR_P) proto && \
	$(PROTOC_C) --proto_path=$(srcdir)/proto --c_out=proto $(PROTO_FILES:proto/%=$(srcdir)/proto/%) && \
	touch $@
$(PROTO_GEN_C) $(PROTO_GEN_H): proto/.protoc-stamp
