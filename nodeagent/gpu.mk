# nodeagent/gpu.mk: the node agent's GPU layer (libagentgpu.a): the nvml,
# sim and none backends, kernel log parsing, XID de-duplication and NIC
# link state.  Programs link it as
#   libagentgpu.a libcommon.a $(DEP_LIBS) -lpthread
# ($(LIBS) from configure already carries -ldl for dlopen).
noinst_LIBRARIES += libagentgpu.a
libagentgpu_a_SOURCES = \
	nodeagent/gpu.c nodeagent/gpu.h nodeagent/gpu_int.h \
	nodeagent/gpu_nvml.c nodeagent/nvml_abi.h \
	nodeagent/gpu_sim.c \
	nodeagent/kmsg.c nodeagent/kmsg.h \
	nodeagent/xid_dedup.c nodeagent/xid_dedup.h \
	nodeagent/nic.c nodeagent/nic.h
libagentgpu_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
