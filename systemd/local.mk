# systemd/: service units for the two daemons, with the install paths
# filled in.  They go to $(prefix)/lib/systemd/system unless
# systemdunitdir is given (packages: make systemdunitdir=/lib/systemd/system).
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = systemd/colossus-controller.service \
	systemd/colossus-nodeagent.service
EXTRA_DIST += systemd/colossus-controller.service.in \
	systemd/colossus-nodeagent.service.in
CLEANFILES += $(systemdunit_DATA)

SYSTEMD_SUBST = sed -e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g'

systemd/colossus-controller.service: systemd/colossus-controller.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(SYSTEMD_SUBST) $(srcdir)/systemd/colossus-controller.service.in > $@.tmp && \
	mv $@.tmp $@
systemd/colossus-nodeagent.service: systemd/colossus-nodeagent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(SYSTEMD_SUBST) $(srcdir)/systemd/colossus-nodeagent.service.in > $@.tmp && \
	mv $@.tmp $@
