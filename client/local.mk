# client/: the colossus command.
bin_PROGRAMS += colossus
noinst_LIBRARIES += libclient.a
# Everything but main.c lives in a library so unit tests link the modules.
libclient_a_SOURCES = \
	client/cli.c client/cli.h \
	client/clientconf.c client/clientconf.h \
	client/cmd.h \
	client/cmd_admin.c client/cmd_job.c client/cmd_jobfmt.c \
	client/cmd_node.c client/cmd_submit.c \
	client/directives.c client/directives.h \
	client/exitcode.c client/exitcode.h \
	client/format.c client/format.h \
	client/json.c client/json.h \
	client/names.c client/names.h \
	client/opts.c client/opts.h \
	client/output.c client/output.h \
	client/rpcclient.c client/rpcclient.h \
	client/submitopts.c client/submitopts.h
libclient_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_SOURCES = client/main.c
colossus_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
colossus_LDADD = libclient.a $(COMMON_LIBS) $(DEP_LIBS)
