# docs/: shipped with the distribution.
EXTRA_DIST += docs/architecture.md docs/config.md docs/topology.md \
	docs/protocol.md docs/security.md docs/cli.md docs/health.md \
	docs/ha.md docs/scheduler.md \
	scripts/gen-config-doc.sh
EXTRA_DIST += docs/admin-guide.md docs/user-guide.md docs/slurm-mapping.md
# Every docs/*.md is listed here, including those of one feature.
EXTRA_DIST += docs/power.md docs/agent.md docs/gpu-backends.md
