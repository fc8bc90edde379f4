# bench/: the cluster simulator, the load generator and the benchmark
# scripts (see bench/README.md).  Nothing here runs in `make check`: the
# benchmarks are long and print figures; tests/integration/bench.mk has a
# short smoke test of the simulator.
noinst_PROGRAMS += bench/colossus-sim bench/submitload bench/placebench \
	bench/tracesim

# The simulator links the real controller link (nodeagent/link.c) and the
# agent's settings table unchanged, and provides its own workload.h and
# launch.h (no processes): so not libagent.a, which holds the real ones.
bench_colossus_sim_SOURCES = \
	bench/sim/sim.h bench/sim/simwl.h \
	bench/sim/main.c \
	bench/sim/simfault.c \
	bench/sim/simjob.c \
	bench/sim/simlaunch.c \
	bench/sim/simopts.c \
	bench/sim/simpki.c \
	bench/sim/simwl.c \
	nodeagent/link.c nodeagent/settings.c \
	nodeagent/health.c nodeagent/health_exec.c nodeagent/health_json.c \
	nodeagent/validate.c nodeagent/nicwatch.c nodeagent/proctree.c
bench_colossus_sim_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_colossus_sim_LDADD = libagentgpu.a $(COMMON_LIBS) $(DEP_LIBS) -lpthread -lm

# Submit load generator: one process per client, the CLI's rpcclient.
bench_submitload_SOURCES = bench/submitload.c
bench_submitload_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_submitload_LDADD = libclient.a $(COMMON_LIBS) $(DEP_LIBS)

# Placement and scheduling-pass micro-benchmark (issue 3): the real
# place.c/plan.c on in-memory 12,544/25,088-node layouts.
bench_placebench_SOURCES = bench/placebench.c \
	bench/benchlayout.c bench/benchlayout.h
bench_placebench_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_placebench_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)

# Trace replay in simulated time (issue 3): plan_run/place_find against
# first-fit FIFO on the same in-memory layout; the default trace is the
# shared one next to the source tree.
bench_tracesim_SOURCES = bench/tracesim.c \
	bench/benchlayout.c bench/benchlayout.h
bench_tracesim_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTS_DEFAULT_TRACE='"$(abs_top_srcdir)/../shared/traces/itp_elasticflow_5clusters.csv"'
bench_tracesim_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
bench_tracesim_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS) -lm

dist_noinst_SCRIPTS += bench/lib.sh bench/connect-storm.sh \
	bench/submit-throughput.sh bench/sched-throughput.sh bench/cli-list.sh \
	bench/fault-requeue.sh bench/failover.sh bench/trace-replay.sh \
	bench/power-ramp.sh
EXTRA_DIST += bench/README.md
