# tests/: unit tests (TAP programs) and integration scripts (*.t).
noinst_HEADERS += tests/lib/tap.h
include $(srcdir)/tests/unit/common.mk
include $(srcdir)/tests/unit/agent.mk
include $(srcdir)/tests/unit/agent_health.mk
include $(srcdir)/tests/unit/controller.mk
include $(srcdir)/tests/unit/client.mk
include $(srcdir)/tests/unit/power.mk
include $(srcdir)/tests/integration/local.mk
