# nodeagent/: colossus-nodeagent (and the shepherd, the same binary).
include $(srcdir)/nodeagent/gpu.mk

sbin_PROGRAMS += colossus-nodeagent
noinst_LIBRARIES += libagent.a
# Everything but main.c, so unit tests and the simulator link the modules.
libagent_a_SOURCES = \
	nodeagent/agent.h \
	nodeagent/cgroup.c nodeagent/cgroup.h \
	nodeagent/control.c nodeagent/control.h \
	nodeagent/health.c nodeagent/health.h \
	nodeagent/health_exec.c nodeagent/health_exec.h \
	nodeagent/health_json.c nodeagent/health_json.h \
	nodeagent/launch.c nodeagent/launch.h \
	nodeagent/link.c nodeagent/link.h \
	nodeagent/metrics_node.c nodeagent/metrics_node.h \
	nodeagent/nicwatch.c nodeagent/nicwatch.h \
	nodeagent/probe.c nodeagent/probe.h \
	nodeagent/proctree.c nodeagent/proctree.h \
	nodeagent/progress.c nodeagent/progress.h \
	nodeagent/settings.c nodeagent/settings.h \
	nodeagent/shepherd.c nodeagent/shepherd.h \
	nodeagent/validate.c nodeagent/validate.h \
	nodeagent/wlfiles.c nodeagent/wlfiles.h \
	nodeagent/workload.c nodeagent/workload.h
libagent_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_nodeagent_SOURCES = nodeagent/main.c
colossus_nodeagent_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_nodeagent_LDADD = libagent.a libagentgpu.a $(COMMON_LIBS) \
	$(DEP_LIBS) -lpthread
