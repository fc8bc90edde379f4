# tests/fuzz/: libFuzzer targets for every parser that reads input from
# peers, users or files (DESIGN invariant 7).  See tests/fuzz/README.md.
#
#   ./configure --enable-fuzzers CC=clang && make fuzz
#   tests/fuzz/run.sh . 60            # each target for 60 s on its corpus
#   make fuzz-run                     # each for FUZZ_SECONDS (10), for CI
#
# The targets are EXTRA_PROGRAMS: only `make fuzz` builds them.  The
# parsers they exercise are compiled again into two private libraries
# with libFuzzer's coverage instrumentation and ASan+UBSan.
FUZZ_TARGETS = \
	tests/fuzz/fuzz_frame tests/fuzz/fuzz_request tests/fuzz/fuzz_cfg \
	tests/fuzz/fuzz_topofile tests/fuzz/fuzz_hostlist \
	tests/fuzz/fuzz_timeparse tests/fuzz/fuzz_directives \
	tests/fuzz/fuzz_submitopts tests/fuzz/fuzz_kmsg
EXTRA_PROGRAMS = $(FUZZ_TARGETS)
EXTRA_LIBRARIES = tests/fuzz/libfuzzsrc.a tests/fuzz/libfuzzproto.a
noinst_HEADERS += tests/fuzz/fuzz.h tests/fuzz/fuzz_proto.h
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run.sh tests/fuzz/gen-corpus.py \
	tests/fuzz/corpus
CLEANFILES += $(FUZZ_TARGETS) $(EXTRA_LIBRARIES)

if FUZZERS
# WARNING_CFLAGS holds only flags this compiler accepts (configure.ac).
FUZZ_INSTR_FLAGS = -g -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LINK_FLAGS = -fsanitize=fuzzer,address,undefined
FUZZ_WARNINGS = $(WARNING_CFLAGS)
fuzz: $(BUILT_SOURCES)
	@$(CC) --version 2>/dev/null | grep -q clang || { \
		echo "make fuzz: CC must be clang (./configure --enable-fuzzers CC=clang)" >&2; \
		exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS)
# What CI runs: every target briefly (FUZZ_SECONDS each).
FUZZ_SECONDS = 10
fuzz-run: fuzz
	$(SHELL) $(srcdir)/tests/fuzz/run.sh . $(FUZZ_SECONDS)
else
FUZZ_INSTR_FLAGS =
FUZZ_LINK_FLAGS =
FUZZ_WARNINGS =
fuzz fuzz-run:
	@echo "make $@: configure with --enable-fuzzers CC=clang first" >&2
	@exit 1
endif
.PHONY: fuzz fuzz-run

# The parsers under test, instrumented.
tests_fuzz_libfuzzsrc_a_SOURCES = \
	common/util.c common/err.c common/xalloc.c common/log.c \
	common/hostlist.c common/timeparse.c common/cfg.c common/topofile.c \
	common/frame.c \
	client/opts.c client/directives.c client/submitopts.c \
	nodeagent/kmsg.c controller/jobspec.c
tests_fuzz_libfuzzsrc_a_CFLAGS = -std=gnu11 $(FUZZ_WARNINGS) $(FUZZ_INSTR_FLAGS) \
	$(DEP_CFLAGS)
# Generated protobuf-c code: instrumented too, without our warnings.
nodist_tests_fuzz_libfuzzproto_a_SOURCES = $(PROTO_GEN_C)
tests_fuzz_libfuzzproto_a_CFLAGS = -std=gnu11 $(FUZZ_INSTR_FLAGS) \
	$(PROTOBUF_C_CFLAGS)

FUZZ_LINK_LIBS = tests/fuzz/libfuzzsrc.a tests/fuzz/libfuzzproto.a $(DEP_LIBS)
FUZZ_TARGET_FLAGS = -std=gnu11 $(FUZZ_WARNINGS) $(FUZZ_INSTR_FLAGS) $(DEP_CFLAGS)

tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_frame_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_frame_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_request_SOURCES = tests/fuzz/fuzz_request.c
tests_fuzz_fuzz_request_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_request_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_request_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_cfg_SOURCES = tests/fuzz/fuzz_cfg.c
tests_fuzz_fuzz_cfg_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_cfg_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cfg_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_topofile_SOURCES = tests/fuzz/fuzz_topofile.c
tests_fuzz_fuzz_topofile_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_topofile_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_topofile_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_hostlist_SOURCES = tests/fuzz/fuzz_hostlist.c
tests_fuzz_fuzz_hostlist_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_hostlist_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_hostlist_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_timeparse_SOURCES = tests/fuzz/fuzz_timeparse.c
tests_fuzz_fuzz_timeparse_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_timeparse_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_timeparse_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_directives_SOURCES = tests/fuzz/fuzz_directives.c
tests_fuzz_fuzz_directives_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_directives_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_directives_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_submitopts_SOURCES = tests/fuzz/fuzz_submitopts.c
tests_fuzz_fuzz_submitopts_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_submitopts_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_submitopts_LDADD = $(FUZZ_LINK_LIBS)
tests_fuzz_fuzz_kmsg_SOURCES = tests/fuzz/fuzz_kmsg.c
tests_fuzz_fuzz_kmsg_CFLAGS = $(FUZZ_TARGET_FLAGS)
tests_fuzz_fuzz_kmsg_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_kmsg_LDADD = $(FUZZ_LINK_LIBS)
