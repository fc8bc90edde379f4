/*
 * The controller's configuration: one struct, one table (config.c) that
 * the parser, --dump-config, SIGHUP reload and docs/config.md all use.
 */
#ifndef CONTROLLER_SETTINGS_H
#define CONTROLLER_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

struct ctl_config {
	/* [controller] */
	char *listen;		  /* host:port for agents and clients        */
	char *http_listen;	  /* host:port for /metrics; "" = off        */
	bool http_tls;		  /* HTTPS with client certificates          */
	char *web_dir;		  /* rack map page files                     */
	char *id;		  /* this controller's name (default hostname) */
	int log_level;
	char *debug;		  /* subsystem debug flags                   */
	bool syslog;
	/* [tls] */
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *crl_file;
	bool allow_tls12;
	/* [database] */
	char *db;		  /* libpq connection string                 */
	int64_t leader_retry_ms;
	uint64_t db_liveness_sec;
	/* [nodes] */
	uint64_t heartbeat_interval_sec;
	uint64_t lease_sec;
	uint64_t restart_grace_max_sec;
	/* [jobs] */
	uint64_t prepare_timeout_sec;
	uint64_t kill_grace_sec;
	int64_t max_restarts;
	uint64_t default_time_limit_sec;
	uint64_t max_time_limit_sec;
	uint64_t finished_retention_sec;
	bool allow_root_jobs;
	int64_t requeue_backoff_sec;
	/* [scheduler] */
	uint64_t sched_interval_sec;
	int64_t submit_batch_max;
	int64_t place_batch_max;
	int64_t min_pass_interval_ms;
	int64_t bf_depth;
	uint64_t bf_drain_after_sec;
	uint64_t bf_horizon_sec;
	/* [priority] */
	int64_t prio_weight_age;
	int64_t prio_weight_size;
	int64_t prio_weight_fairshare;
	int64_t prio_weight_qos;
	uint64_t prio_max_age_sec;
	uint64_t fairshare_halflife_sec;
	/* [health] */
	char *policy_file;
	uint64_t burst_window_sec;
	uint64_t breaker_window_sec;
	int64_t breaker_node_pct;
	int64_t breaker_racks;
	uint64_t return_window_sec;
	uint64_t validation_timeout_sec;
	uint64_t sample_interval_sec;
	uint64_t samples_retention_sec;
	int64_t lemon_count;
	int64_t lemon_jobs;
	uint64_t lemon_window_sec;
	int64_t rack_power_pct;
	int64_t rail_nodes;
	int64_t clear_samples;
	/* [limits] */
	int64_t max_frame_kib;
	int64_t max_connections;
	int64_t max_pending_per_conn;
	uint64_t handshake_timeout_sec;
	uint64_t client_idle_timeout_sec;
	bool allow_simulator;
	int64_t max_handshakes;	  /* TLS handshakes in progress at once      */
	int64_t submit_rate;	  /* submissions per second per identity     */
	int64_t submit_burst;	  /* ... beyond the rate, at once            */
	/* [power] (parsed and checked by power.c) */
	struct cfg_list node_power; /* "H100 idle=2.5kW busy=10.2kW", ...    */
	char *power_site_limit;	  /* "150MW"; "0" = unlimited                */
	char *power_hall_limit;
	char *power_rack_limit;
	char *power_ramp;	  /* most change of draw per window          */
	uint64_t power_ramp_window_sec;
	int64_t power_stale_samples;
	char *power_drop_event;
	bool power_reserve;
};

extern const struct cfg_opt ctl_config_table[];

/*
 * Load defaults, then path (unless NULL), then validate cross-field rules
 * (lease longer than the heartbeat interval, ...).  Returns 0 or -1 with e.
 */
int ctl_config_load(struct ctl_config *cfg, const char *path, struct err *e)
	MUSTCHECK;
void ctl_config_free(struct ctl_config *cfg);

#endif
