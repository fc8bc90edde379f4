# Smoke test of the cluster simulator (bench/colossus-sim); the benchmarks
# themselves (bench/*.sh) are long and stay out of `make check`.
INTEGRATION_BENCH_TESTS = tests/integration/t0910-sim-smoke.t
TESTS += $(INTEGRATION_BENCH_TESTS)
EXTRA_DIST += $(INTEGRATION_BENCH_TESTS)
