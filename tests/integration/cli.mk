# tests/integration/cli.mk: the colossus CLI (issue 6) and the
# scheduler end to end through it (issue 3): every command and option
# against the real controller, agents and PostgreSQL; --json parsed
# back with tests/tools/jsoncheck; exit codes; priority, backfill,
# preemption, reservations, dependencies, arrays and holds.
check_PROGRAMS += tests/tools/jsoncheck
tests_tools_jsoncheck_SOURCES = tests/tools/jsoncheck.c
tests_tools_jsoncheck_CFLAGS = $(AM_CFLAGS)

SCHED_INTEGRATION_TESTS = \
	tests/integration/t0301-sched-backfill.t \
	tests/integration/t0302-sched-preempt.t \
	tests/integration/t0303-sched-reservations.t \
	tests/integration/t0304-sched-deps.t \
	tests/integration/t0305-sched-arrays.t \
	tests/integration/t0306-sched-hold.t \
	tests/integration/t0307-sched-place-batches.t
CLI_INTEGRATION_TESTS = \
	tests/integration/t0601-cli-jobs.t \
	tests/integration/t0602-cli-show-why.t \
	tests/integration/t0603-cli-hold.t \
	tests/integration/t0604-cli-admin.t \
	tests/integration/t0605-cli-racks.t \
	tests/integration/t0606-cli-history.t \
	tests/integration/t0607-cli-misc.t \
	tests/integration/t0608-cli-submit.t \
	tests/integration/t0609-cli-drain.t \
	tests/integration/t0610-cli-events.t
TESTS += $(SCHED_INTEGRATION_TESTS) $(CLI_INTEGRATION_TESTS)
EXTRA_DIST += $(SCHED_INTEGRATION_TESTS) $(CLI_INTEGRATION_TESTS) \
	tests/lib/clitest.sh
