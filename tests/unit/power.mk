# tests/unit/power.mk: power-aware scheduling (issue 11): the node model,
# the [power] configuration, the ramp ledger and wave plan, the budgets
# the planner enforces and which stops are staggered.
check_PROGRAMS += tests/unit/test_power
TESTS += tests/unit/test_power
tests_unit_test_power_SOURCES = tests/unit/test_power.c
tests_unit_test_power_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_unit_test_power_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)
