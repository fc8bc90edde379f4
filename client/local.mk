# client/: the colossus command.
bin_PROGRAMS += colossus
noinst_LIBRARIES += libclient.a
# Everything but main.c lives in a library so unit tests link the modules.
libclient_a_SOURCES = \
	client/cli.c client/cli.h \
	client/clientconf.c client/clientconf.h \
	client/cmd.h \
	client/cmd_acct.c client/cmd_admin.c client/cmd_drain.c \
	client/cmd_events.c client/cmd_health.c client/cmd_job.c \
	client/cmd_jobfmt.c client/cmd_jobshow.c client/cmd_node.c \
	client/cmd_power.c \
	client/cmd_qos.c client/cmd_racks.c client/cmd_sched.c \
	client/cmd_submit.c \
	client/directives.c client/directives.h \
	client/exitcode.c client/exitcode.h \
	client/format.c client/format.h \
	client/jobpath.c client/jobpath.h \
	client/jobsort.c client/jobsort.h \
	client/json.c client/json.h \
	client/names.c client/names.h \
	client/opts.c client/opts.h \
	client/output.c client/output.h \
	client/rackmap.c client/rackmap.h \
	client/rpcclient.c client/rpcclient.h \
	client/submitopts.c client/submitopts.h \
	client/timeexpr.c client/timeexpr.h
libclient_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_SOURCES = client/main.c
colossus_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_LDADD = libclient.a $(COMMON_LIBS) $(DEP_LIBS)

# A man page per command (client/man/gen-man.sh regenerates them from
# the CLI's help; t0607 checks they name every option).
CLIENT_MANS = \
	client/man/colossus-submit.1 client/man/colossus-cancel.1 \
	client/man/colossus-jobs.1 client/man/colossus-job.1 \
	client/man/colossus-hold.1 client/man/colossus-release.1 \
	client/man/colossus-nodes.1 client/man/colossus-racks.1 \
	client/man/colossus-qos.1 client/man/colossus-reservation.1 \
	client/man/colossus-history.1 client/man/colossus-report.1 \
	client/man/colossus-whoami.1 client/man/colossus-version.1 \
	client/man/colossus-topology.1 \
	client/man/colossus-drain.1 client/man/colossus-resume.1 \
	client/man/colossus-events.1 client/man/colossus-health.1 \
	client/man/colossus-node.1 client/man/colossus-breaker.1 \
	client/man/colossus-rack.1 client/man/colossus-power.1
# man_MANS (section from the .1 suffix) keeps clear of docs/man/local.mk,
# which sets dist_man1_MANS for colossus(1).
dist_man_MANS = $(CLIENT_MANS)
EXTRA_DIST += client/man/gen-man.sh

# Bash completion, installed under the command's name where
# bash-completion looks for it.
bashcompletiondir = $(datadir)/bash-completion/completions
bashcompletion_DATA = client/completion/colossus
EXTRA_DIST += client/completion/colossus.bash
CLEANFILES += client/completion/colossus
client/completion/colossus: $(srcdir)/client/completion/colossus.bash
	$(AM_V_GEN)$(MKDIR_P) client/completion && \
	cp $(srcdir)/client/completion/colossus.bash $@
