/*
 * The agent's configuration table; docs/config.md lists every key.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "nodeagent/settings.h"

#define O(f) offsetof(struct agent_config, f)
#define R CFG_RELOADABLE

const struct cfg_opt agent_config_table[] = {
	{ "agent", "node_name", CFG_STR, O(node_name), "", 0, 0, 0,
	  "this node's name (default: the certificate's CN)" },
	{ "agent", "controllers", CFG_LIST, O(controllers), "127.0.0.1:6817", 0,
	  0, 0, "controller addresses (host:port), tried in order" },
	{ "agent", "state_dir", CFG_STR, O(state_dir),
	  LOCALSTATEDIR "/lib/colossus/agent", 0, 0, 0,
	  "where workloads are recorded so an agent restart loses nothing" },
	{ "agent", "address", CFG_STR, O(address), "", 0, 0, 0,
	  "address other nodes reach this one at (MASTER_ADDR); default: "
	  "the address of the controller connection" },
	{ "agent", "control_socket", CFG_STR, O(control_socket), "", 0, 0, 0,
	  "Unix socket for status and simulated fault injection; empty = off" },
	{ "agent", "log_level", CFG_LOGLEVEL, O(log_level), "info", R, 0, 0,
	  "err, warn, info or debug" },
	{ "agent", "debug", CFG_STR, O(debug), "", R, 0, 0,
	  "debug subsystems: rpc,tls,launch,health or all" },
	{ "agent", "syslog", CFG_BOOL, O(syslog), "false", 0, 0, 0,
	  "log to syslog instead of stderr" },
	{ "agent", "boot_id_file", CFG_STR, O(boot_id_file),
	  "/proc/sys/kernel/random/boot_id", 0, 0, 0,
	  "where this boot's id is read (a new id tells the controller the "
	  "node rebooted; tests point it at a file)" },
	{ "agent", "metrics_listen", CFG_STR, O(metrics_listen), "", 0, 0, 0,
	  "numeric host:port serving this node's Prometheus /metrics (plain "
	  "HTTP, read-only); empty = off" },
	{ "tls", "ca_file", CFG_STR, O(ca_file), "", CFG_REQUIRED, 0, 0,
	  "CA certificate" },
	{ "tls", "cert_file", CFG_STR, O(cert_file), "", CFG_REQUIRED, 0, 0,
	  "this node's certificate (CN = node name, OU = node)" },
	{ "tls", "key_file", CFG_STR, O(key_file), "", CFG_REQUIRED, 0, 0,
	  "this node's private key" },
	{ "gpu", "backend", CFG_STR, O(gpu_backend), "nvml", 0, 0, 0,
	  "nvml (real GPUs), sim (simulated) or none" },
	{ "gpu", "nvml_library", CFG_STR, O(nvml_library), "libnvidia-ml.so.1",
	  0, 0, 0, "NVML library loaded with dlopen" },
	{ "gpu", "kmsg", CFG_STR, O(kmsg_path), "/dev/kmsg", 0, 0, 0,
	  "kernel log read for NVRM Xid lines; empty = off" },
	{ "gpu", "poll_interval", CFG_DURATION, O(poll_interval_sec), "5s", 0,
	  1, 3600, "how often GPU telemetry is read" },
	{ "gpu", "sim_model", CFG_STR, O(sim_model), "H100", 0, 0, 0,
	  "simulated GPU model (H100 or H200)" },
	{ "gpu", "sim_gpus", CFG_INT, O(sim_gpus), "8", 0, 0, 16,
	  "number of simulated GPUs" },
	{ "nic", "interfaces", CFG_LIST, O(nics), "", 0, 0, 0,
	  "network interfaces whose link state is reported" },
	{ "nic", "sysfs_net", CFG_STR, O(sysfs_net), "/sys/class/net", 0, 0, 0,
	  "where interface state is read (for tests)" },
	{ "launch", "cgroup_root", CFG_STR, O(cgroup_root), "auto", 0, 0, 0,
	  "cgroup v2 mount: auto (find it), a path, or none (process groups)" },
	{ "launch", "cgroup_parent", CFG_STR, O(cgroup_parent), "colossus", 0,
	  0, 0, "cgroup under the root that holds one cgroup per job" },
	{ "launch", "allow_root", CFG_BOOL, O(allow_root), "false", 0, 0, 0,
	  "run jobs as root when the controller also allows it" },
	{ "launch", "prepare_expiry", CFG_DURATION, O(prepare_expiry_sec), "5m",
	  R, 10, 86400,
	  "a prepared job that is never started is cleaned up after this" },
	{ "launch", "kill_timeout", CFG_DURATION, O(kill_timeout_sec), "60s", R,
	  5, 3600,
	  "after SIGKILL, processes still present this long make the fence "
	  "fail (the node needs attention)" },
	{ "health", "validation_command", CFG_STR, O(validation_command), "", 0,
	  0, 0,
	  "return-to-service check, run with /bin/sh -c (exit 0 = pass); "
	  "empty = the agent's own GPU self-check" },
	{ "health", "expected_gpus", CFG_INT, O(expected_gpus), "0", 0, 0, 16,
	  "the self-check fails when fewer GPUs are visible; 0 = no check" },
	{ "health", "probe_command", CFG_STR, O(probe_command), "", 0, 0, 0,
	  "site probe run with /bin/sh -c every probe_interval; its stdout "
	  "must be one JSON object (docs/agent.md); empty = off" },
	{ "health", "probe_interval", CFG_DURATION, O(probe_interval_sec),
	  "60s", 0, 1, 86400, "how often the probe runs" },
	{ "health", "probe_timeout", CFG_DURATION, O(probe_timeout_sec), "30s",
	  0, 1, 3600, "a probe still running after this is killed" },
	{ "health", "probe_max_kib", CFG_INT, O(probe_max_kib), "64", 0, 1,
	  1024, "largest probe output accepted, in KiB" },
	CFG_END,
};

int agent_config_load(struct agent_config *cfg, const char *path, struct err *e)
{
	memset(cfg, 0, sizeof(*cfg));
	if (cfg_defaults(agent_config_table, cfg, e) < 0)
		return -1;
	if (path && cfg_load_file(agent_config_table, cfg, path, e) < 0)
		return -1;
	return 0;
}

void agent_config_free(struct agent_config *cfg)
{
	cfg_free(agent_config_table, cfg);
}
