# nodeagent/: colossus-nodeagent.
include $(srcdir)/nodeagent/gpu.mk
