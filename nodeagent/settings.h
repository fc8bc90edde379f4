/*
 * The agent's configuration: one struct and its table (settings.c).
 */
#ifndef NODEAGENT_SETTINGS_H
#define NODEAGENT_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

struct agent_config {
	/* [agent] */
	char *node_name; /* default: the certificate's CN          */
	struct cfg_list controllers; /* host:port, tried in order         */
	char *state_dir;
	char *address;	      /* advertised for MASTER_ADDR             */
	char *control_socket; /* fault injection and status; "" = off   */
	int log_level;
	char *debug;
	bool syslog;
	char *boot_id_file;
	char *metrics_listen; /* host:port of /metrics; "" = off     */
	/* [tls] */
	char *ca_file;
	char *cert_file;
	char *key_file;
	/* [gpu] */
	char *gpu_backend; /* nvml, sim, none                        */
	char *nvml_library;
	char *kmsg_path;
	uint64_t poll_interval_sec;
	char *sim_model;
	int64_t sim_gpus;
	/* [nic] */
	struct cfg_list nics;
	char *sysfs_net;
	/* [launch] */
	char *cgroup_root; /* "auto", a cgroup2 mount path, or "none" */
	char *cgroup_parent;
	bool allow_root; /* agent-side consent to run jobs as root */
	uint64_t prepare_expiry_sec;
	uint64_t kill_timeout_sec;
	/* [health] */
	char *validation_command; /* "" = built-in GPU self-check */
	int64_t expected_gpus;
	char *probe_command; /* "" = no probe */
	uint64_t probe_interval_sec;
	uint64_t probe_timeout_sec;
	int64_t probe_max_kib;
};

extern const struct cfg_opt agent_config_table[];

int agent_config_load(struct agent_config *cfg, const char *path,
		      struct err *e) MUSTCHECK;
void agent_config_free(struct agent_config *cfg);

#endif
