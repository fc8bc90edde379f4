# docs/: shipped with the distribution.
EXTRA_DIST += docs/architecture.md docs/config.md docs/topology.md \
	docs/protocol.md docs/security.md docs/cli.md \
	scripts/gen-config-doc.sh
