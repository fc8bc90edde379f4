# Power-aware scheduling (issue 11): staggered starts and stops within the
# ramp, across controller restarts; power limits held at run time; an
# unplanned stop recorded and its requeued restart within the ramp.
POWER_TESTS = \
	tests/integration/t1101-power-waves.t \
	tests/integration/t1102-power-limit.t \
	tests/integration/t1103-power-unplanned.t
TESTS += $(POWER_TESTS)
EXTRA_DIST += $(POWER_TESTS)
