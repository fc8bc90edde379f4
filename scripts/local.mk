# scripts/: the development PKI tool is installed; the rest ship in the
# distribution for building, testing and the demo.
dist_bin_SCRIPTS = scripts/colossus-certs
dist_noinst_SCRIPTS += scripts/build.sh scripts/demo.sh scripts/test.sh \
	scripts/install-deps.sh
EXTRA_DIST += .ci/run
