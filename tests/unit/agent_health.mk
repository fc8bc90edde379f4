# tests/unit/agent_health.mk: unit tests of the node agent's health layer
# (issue 5): the site probe's JSON reader and its mapping to rack
# readings and node events.
AGENT_HEALTH_TESTS = tests/unit/test_health_json
check_PROGRAMS += $(AGENT_HEALTH_TESTS)
TESTS += $(AGENT_HEALTH_TESTS)

tests_unit_test_health_json_SOURCES = tests/unit/test_health_json.c
tests_unit_test_health_json_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_health_json_LDADD = libagent.a libagentgpu.a \
	$(COMMON_LIBS) $(DEP_LIBS) -lpthread -lm
