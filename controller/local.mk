# controller/: colossus-controller.
sbin_PROGRAMS += colossus-controller
noinst_LIBRARIES += libcontroller.a
# Everything but main.c lives in a library so unit tests link the modules.
libcontroller_a_SOURCES = \
	controller/alloc.c controller/alloc.h \
	controller/cluster.c controller/cluster.h \
	controller/settings.c controller/settings.h \
	controller/ctl.c controller/ctl.h \
	controller/drain.c controller/drain.h \
	controller/events.c controller/events.h \
	controller/health.c controller/health.h \
	controller/explain.c controller/explain.h \
	controller/gang.c controller/gang.h \
	controller/http.c controller/http.h controller/http_api.c controller/http_api.h controller/metrics.c controller/metrics.h \
	controller/job.c controller/job.h \
	controller/leader.c controller/leader.h \
	controller/jobspec.c controller/jobspec.h \
	controller/listen.c controller/peer.h \
	controller/load.c controller/load.h \
	controller/migrate.c controller/migrations.h \
	controller/node.c controller/node.h \
	controller/nodewrite.c controller/nodewrite.h \
	controller/place.c controller/place.h \
	controller/policy.c controller/policy.h \
	controller/plan.c controller/plan.h \
	controller/power.c controller/power.h \
	controller/powerctl.c controller/powerctl.h controller/power_wave.c \
	controller/qos.c controller/qos.h \
	controller/resv.c controller/resv.h \
	controller/fairshare.c controller/fairshare.h \
	controller/rpc.c controller/rpc.h \
	controller/rpc_admin.c controller/rpc_job.c controller/rpc_node.c \
	controller/rpc_sched.c controller/rpc_acct.c controller/rpc_acct.h \
	controller/rpc_health.c \
	controller/ratelimit.c controller/ratelimit.h \
	controller/rpc_power.c \
	controller/sched.c controller/sched.h \
	controller/submitq.c controller/submitq.h
nodist_libcontroller_a_SOURCES = sql/migrations.c
libcontroller_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
BUILT_SOURCES += sql/migrations.c
colossus_controller_SOURCES = controller/main.c
colossus_controller_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_controller_LDADD = libcontroller.a $(COMMON_LIBS) $(DEP_LIBS)
