# web/: the rack map page, served by the controller's HTTP endpoint from
# [controller] web_dir (default $(pkgdatadir)/web).  Plain files, no
# build step.
webdir = $(pkgdatadir)/web
dist_web_DATA = web/index.html web/rackmap.css web/rackmap.js \
	web/favicon.svg
