# tests/unit/agent.mk: node agent unit tests, and the fake NVML library
# the real NVML backend is tested against.
#
# The stub is a shared object built as a check program: -fPIC to compile,
# -shared to link.  Its per-target CFLAGS/LDFLAGS replace AM_CFLAGS and
# AM_LDFLAGS, so it is never built with the sanitizer flags: a sanitized
# test binary dlopens a plain library, as it would the real driver's.
# tests/stub/old/ is an "old driver" without the newer symbols, for the
# fallback paths (see the top of tests/stub/nvml_stub.c).
NVML_STUB_CFLAGS = -std=gnu11 $(WARNING_CFLAGS) -fPIC
NVML_STUB_SOURCES = tests/stub/nvml_stub.c tests/stub/nvml_stub_script.c \
	tests/stub/nvml_stub.h nodeagent/nvml_abi.h
check_PROGRAMS += tests/stub/libnvidia-ml.so.1 tests/stub/old/libnvidia-ml.so.1
tests_stub_libnvidia_ml_so_1_SOURCES = $(NVML_STUB_SOURCES)
tests_stub_libnvidia_ml_so_1_CFLAGS = $(NVML_STUB_CFLAGS)
tests_stub_libnvidia_ml_so_1_LDFLAGS = -shared
tests_stub_libnvidia_ml_so_1_LDADD =
tests_stub_old_libnvidia_ml_so_1_SOURCES = $(NVML_STUB_SOURCES)
tests_stub_old_libnvidia_ml_so_1_CPPFLAGS = $(AM_CPPFLAGS) -DNVML_STUB_OLD
tests_stub_old_libnvidia_ml_so_1_CFLAGS = $(NVML_STUB_CFLAGS)
tests_stub_old_libnvidia_ml_so_1_LDFLAGS = -shared
tests_stub_old_libnvidia_ml_so_1_LDADD =

AGENT_TEST_LIBS = libagentgpu.a libcommon.a $(DEP_LIBS) -lpthread
AGENT_TESTS = \
	tests/unit/test_kmsg \
	tests/unit/test_xid_dedup \
	tests/unit/test_nic \
	tests/unit/test_gpu_sim \
	tests/unit/test_gpu_nvml
check_PROGRAMS += $(AGENT_TESTS)
TESTS += $(AGENT_TESTS)

tests_unit_test_kmsg_SOURCES = tests/unit/test_kmsg.c
tests_unit_test_kmsg_LDADD = $(AGENT_TEST_LIBS)
tests_unit_test_xid_dedup_SOURCES = tests/unit/test_xid_dedup.c
tests_unit_test_xid_dedup_LDADD = $(AGENT_TEST_LIBS)
tests_unit_test_nic_SOURCES = tests/unit/test_nic.c
tests_unit_test_nic_LDADD = $(AGENT_TEST_LIBS)
tests_unit_test_gpu_sim_SOURCES = tests/unit/test_gpu_sim.c
tests_unit_test_gpu_sim_LDADD = $(AGENT_TEST_LIBS)
# test_gpu_nvml dlopens both stubs from $(top_builddir)/tests/stub.
tests_unit_test_gpu_nvml_SOURCES = tests/unit/test_gpu_nvml.c
tests_unit_test_gpu_nvml_LDADD = $(AGENT_TEST_LIBS)
EXTRA_tests_unit_test_gpu_nvml_DEPENDENCIES = \
	tests/stub/libnvidia-ml.so.1$(EXEEXT) \
	tests/stub/old/libnvidia-ml.so.1$(EXEEXT)
