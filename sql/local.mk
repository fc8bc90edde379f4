# sql/: numbered migrations, embedded into the controller and installed.
SQL_MIGRATIONS = sql/0001_init.sql sql/0002_scheduler.sql sql/0003_accounting.sql sql/0004_health.sql sql/0005_ha.sql \
	sql/0006_power.sql
sqldir = $(pkgdatadir)/sql
dist_sql_DATA = $(SQL_MIGRATIONS)
EXTRA_DIST += sql/embed.sh
CLEANFILES += sql/migrations.c

sql/migrations.c: $(SQL_MIGRATIONS) $(srcdir)/sql/embed.sh
	$(AM_V_GEN)$(MKDIR_P) sql && \
	$(SHELL) $(srcdir)/sql/embed.sh $@ $(SQL_MIGRATIONS:%=$(srcdir)/%)
