# tests/integration/agent.mk: integration tests of the node agent (issue 4):
# rank environment and GPUs, users and the agent's files, time limits,
# agent restarts, fencing, a real rendezvous between ranks, the NVML path
# against the stub library, process-tree fallback, batch scripts and NIC
# state.  t0106 runs tests/tools/rendezvous; t0107 needs the NVML stubs
# of tests/unit/agent.mk (both are check programs, built by make check).
check_PROGRAMS += tests/tools/rendezvous
tests_tools_rendezvous_SOURCES = tests/tools/rendezvous.c
tests_tools_rendezvous_CFLAGS = $(AM_CFLAGS)

AGENT_INTEGRATION_TESTS = \
	tests/integration/t0101-agent-env.t \
	tests/integration/t0102-agent-user.t \
	tests/integration/t0103-agent-timeout.t \
	tests/integration/t0104-agent-restart.t \
	tests/integration/t0105-agent-fence.t \
	tests/integration/t0106-agent-rendezvous.t \
	tests/integration/t0107-agent-nvml.t \
	tests/integration/t0108-agent-nocgroup.t \
	tests/integration/t0109-agent-script.t \
	tests/integration/t0110-agent-nic.t \
	tests/integration/t0111-agent-link.t \
	tests/integration/t0112-agent-launch-errors.t
TESTS += $(AGENT_INTEGRATION_TESTS)
EXTRA_DIST += $(AGENT_INTEGRATION_TESTS)
