# etc/: example configuration files, installed as *.example beside the
# real ones, which `make install` never creates or overwrites.
colossusconfdir = $(sysconfdir)/colossus
dist_colossusconf_DATA = etc/controller.conf.example \
	etc/agent.conf.example etc/client.conf.example \
	etc/health.policy.example
# Prometheus alert rules, an example to load with rule_files:.
promdir = $(pkgdatadir)/prometheus
dist_prom_DATA = etc/colossus-alerts.yml
