/*
 * The controller's configuration table.  docs/config.md is checked
 * against this table by a test, so every key here is documented there.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "controller/power.h"
#include "controller/settings.h"

#define O(f) offsetof(struct ctl_config, f)
#define R CFG_RELOADABLE

const struct cfg_opt ctl_config_table[] = {
	{ "controller", "listen", CFG_STR, O(listen), "127.0.0.1:6817", 0, 0, 0,
	  "address (host:port) agents and clients connect to" },
	{ "controller", "http_listen", CFG_STR, O(http_listen), "", 0, 0, 0,
	  "address for the HTTP endpoint (/metrics, rack map); empty = off" },
	{ "controller", "http_tls", CFG_BOOL, O(http_tls), "false", 0, 0, 0,
	  "HTTP endpoint over TLS with the controller's certificate; clients "
	  "need a user, admin or monitor certificate" },
	{ "controller", "web_dir", CFG_STR, O(web_dir), PKGDATADIR "/web", 0,
	  0, 0, "folder of the rack map page's files, read at start" },
	{ "controller", "id", CFG_STR, O(id), "", 0, 0, 0,
	  "name of this controller in logs and HA status (default: hostname)" },
	{ "controller", "log_level", CFG_LOGLEVEL, O(log_level), "info", R, 0,
	  0, "err, warn, info or debug" },
	{ "controller", "debug", CFG_STR, O(debug), "", R, 0, 0,
	  "debug subsystems: rpc,db,sched,node,tls,health,launch or all" },
	{ "controller", "syslog", CFG_BOOL, O(syslog), "false", 0, 0, 0,
	  "log to syslog instead of stderr" },
	{ "tls", "ca_file", CFG_STR, O(ca_file), "", CFG_REQUIRED, 0, 0,
	  "CA certificate that signs every agent, user and controller" },
	{ "tls", "cert_file", CFG_STR, O(cert_file), "", CFG_REQUIRED, 0, 0,
	  "this controller's certificate (OU=controller)" },
	{ "tls", "key_file", CFG_STR, O(key_file), "", CFG_REQUIRED, 0, 0,
	  "this controller's private key" },
	{ "tls", "crl_file", CFG_STR, O(crl_file), "", R, 0, 0,
	  "certificate revocation list (PEM); reloaded on SIGHUP" },
	{ "tls", "allow_tls12", CFG_BOOL, O(allow_tls12), "false", 0, 0, 0,
	  "accept TLS 1.2 (strong ciphers only) as well as TLS 1.3" },
	{ "database", "conninfo", CFG_STR, O(db), "", 0, 0, 0,
	  "libpq connection string; empty = PGHOST/PGDATABASE/... from the "
	  "environment" },
	{ "database", "leader_retry_ms", CFG_INT, O(leader_retry_ms), "500", R,
	  50, 60000,
	  "a standby tries to take the leader lock this often" },
	{ "database", "liveness_timeout", CFG_DURATION, O(db_liveness_sec),
	  "8s", 0, 2, 600,
	  "no answer from PostgreSQL for this long (a query pending, or a "
	  "connection attempt) and the session is treated as lost: the "
	  "leader stops acting.  Keep it well under the server-side "
	  "keepalive detection the leader sets on its session (25 s)" },
	{ "nodes", "heartbeat_interval", CFG_DURATION,
	  O(heartbeat_interval_sec), "3s", 0, 1, 60,
	  "how often agents send heartbeats" },
	{ "nodes", "lease", CFG_DURATION, O(lease_sec), "10s", 0, 2, 3600,
	  "a node silent for this long is down and its jobs requeued" },
	{ "nodes", "restart_grace_max", CFG_DURATION,
	  O(restart_grace_max_sec), "120s", R, 0, 3600,
	  "after a controller start or takeover, nodes that have not "
	  "re-registered are not declared down while other agents are "
	  "still registering (one within the last lease), for at most this "
	  "long; the first lease is always granted" },
	{ "jobs", "prepare_timeout", CFG_DURATION, O(prepare_timeout_sec),
	  "30s", R, 1, 3600,
	  "every node of a gang must be prepared within this time" },
	{ "jobs", "kill_grace", CFG_DURATION, O(kill_grace_sec), "10s", R, 0,
	  3600, "time between SIGTERM and SIGKILL when a job is stopped" },
	{ "jobs", "max_restarts", CFG_INT, O(max_restarts), "3", R, 0, 1000,
	  "default infrastructure requeues per job before it fails" },
	{ "jobs", "default_time_limit", CFG_DURATION,
	  O(default_time_limit_sec), "0", R, 0, 0,
	  "time limit of jobs that give none; 0 = unlimited" },
	{ "jobs", "max_time_limit", CFG_DURATION, O(max_time_limit_sec), "0",
	  R, 0, 0, "largest time limit a job may ask for; 0 = no cap" },
	{ "jobs", "finished_retention", CFG_DURATION,
	  O(finished_retention_sec), "1h", R, 0, 0,
	  "how long finished jobs stay in memory for listings" },
	{ "jobs", "allow_root", CFG_BOOL, O(allow_root_jobs), "false", R, 0,
	  0, "let jobs run as root (a user certificate named root)" },
	{ "jobs", "requeue_backoff", CFG_DURATION, O(requeue_backoff_sec),
	  "1s", R, 0, 3600,
	  "wait before a job requeued a second time may start again (the "
	  "first restart is immediate; doubles per further restart)" },
	{ "scheduler", "interval", CFG_DURATION, O(sched_interval_sec), "1s",
	  R, 1, 60, "a scheduling pass runs at least this often" },
	{ "scheduler", "submit_batch_max", CFG_INT, O(submit_batch_max),
	  "2000", R, 1, 100000,
	  "most submissions committed in one database transaction" },
	{ "scheduler", "place_batch_max", CFG_INT, O(place_batch_max), "256",
	  R, 1, 100000,
	  "most placements of a pass committed in one database transaction "
	  "(the first ones launch while the rest commit)" },
	{ "scheduler", "min_pass_interval_ms", CFG_INT,
	  O(min_pass_interval_ms), "20", R, 0, 10000,
	  "passes triggered by changes run at most this often (and leave "
	  "at least 3 times the last pass's duration between them)" },
	{ "scheduler", "backfill_depth", CFG_INT, O(bf_depth), "8", R, 0, 1000,
	  "highest-priority blocked jobs that get a reservation of the "
	  "nodes they will get (others backfill around them)" },
	{ "scheduler", "backfill_drain_after", CFG_DURATION,
	  O(bf_drain_after_sec), "0", R, 0, 0,
	  "the top blocked job, once it has waited this long, drains its "
	  "reserved nodes: no more backfill there, so it starts when they "
	  "are free rather than at the end of their time limits (bounds "
	  "the wait of near-whole-cluster gangs, costs utilization when "
	  "the cluster is overloaded; see docs/scheduler.md); 0 = never" },
	{ "scheduler", "backfill_horizon", CFG_DURATION, O(bf_horizon_sec),
	  "7d", R, 60, 0, "how far ahead backfill plans" },
	{ "priority", "weight_age", CFG_INT, O(prio_weight_age), "1000", R, 0,
	  1000000, "priority for waiting max_age (grows linearly)" },
	{ "priority", "weight_size", CFG_INT, O(prio_weight_size), "1000", R,
	  0, 1000000, "priority for asking for the whole cluster" },
	{ "priority", "weight_fairshare", CFG_INT, O(prio_weight_fairshare),
	  "2000", R, 0, 1000000,
	  "priority of an account that used nothing lately" },
	{ "priority", "weight_qos", CFG_INT, O(prio_weight_qos), "10000", R, 0,
	  1000000, "priority of the highest QOS" },
	{ "priority", "max_age", CFG_DURATION, O(prio_max_age_sec), "7d", R, 60,
	  0, "waiting longer than this adds no more priority" },
	{ "priority", "fairshare_halflife", CFG_DURATION,
	  O(fairshare_halflife_sec), "7d", R, 60, 0,
	  "past usage counts half after this long" },
	{ "health", "policy_file", CFG_STR, O(policy_file), "", R, 0, 0,
	  "health policy (docs/health.md); empty = the built-in default" },
	{ "health", "burst_window", CFG_DURATION, O(burst_window_sec), "3m", R,
	  1, 3600,
	  "XIDs on a node this close together are one incident" },
	{ "health", "breaker_window", CFG_DURATION, O(breaker_window_sec),
	  "10m", R, 60, 86400, "window of the automated-drain circuit breaker" },
	{ "health", "breaker_node_pct", CFG_INT, O(breaker_node_pct), "2", R, 0,
	  100, "automated node drains in the window that trip the breaker (% "
	  "of nodes)" },
	{ "health", "breaker_racks", CFG_INT, O(breaker_racks), "3", R, 0,
	  100000, "automated rack drains in the window that trip it" },
	{ "health", "return_window", CFG_DURATION, O(return_window_sec), "7d",
	  R, 0, 0,
	  "a node that fails again this soon after returning is flagged RMA" },
	{ "health", "validation_timeout", CFG_DURATION,
	  O(validation_timeout_sec), "10m", R, 10, 86400,
	  "the return-to-service check must finish within this" },
	{ "health", "sample_interval", CFG_DURATION, O(sample_interval_sec),
	  "60s", R, 5, 3600, "agents send full GPU and NIC readings this often" },
	{ "health", "samples_retention", CFG_DURATION,
	  O(samples_retention_sec), "1d", R, 3600, 0,
	  "readings history kept in PostgreSQL (whole days)" },
	{ "health", "lemon_count", CFG_INT, O(lemon_count), "3", R, 1, 1000,
	  "application XIDs on a node that make it a lemon suspect..." },
	{ "health", "lemon_jobs", CFG_INT, O(lemon_jobs), "2", R, 1, 1000,
	  "... when they come from at least this many jobs ..." },
	{ "health", "lemon_window", CFG_DURATION, O(lemon_window_sec), "24h", R,
	  60, 0, "... within this window" },
	{ "health", "rack_power_pct", CFG_INT, O(rack_power_pct), "50", R, 1,
	  100, "share of a rack's nodes in power brake that is a rack power "
	  "event" },
	{ "health", "rail_nodes", CFG_INT, O(rail_nodes), "8", R, 2, 100000,
	  "nodes losing the same NIC within 10 s: a switch fault, not node "
	  "faults" },
	{ "health", "clear_samples", CFG_INT, O(clear_samples), "3", R, 1, 100,
	  "healthy samples in a row before a degraded node is clear again" },
	{ "limits", "max_frame_kib", CFG_INT, O(max_frame_kib), "4096", 0, 16,
	  65536, "largest protocol frame accepted, in KiB" },
	{ "limits", "max_connections", CFG_INT, O(max_connections), "60000",
	  R, 1, 1000000, "connections beyond this are refused" },
	{ "limits", "max_pending_per_conn", CFG_INT, O(max_pending_per_conn),
	  "64", R, 1, 100000,
	  "requests a client may have unanswered at once" },
	{ "limits", "handshake_timeout", CFG_DURATION,
	  O(handshake_timeout_sec), "10s", R, 1, 300,
	  "a TLS handshake must finish within this time" },
	{ "limits", "client_idle_timeout", CFG_DURATION,
	  O(client_idle_timeout_sec), "5m", R, 1, 0,
	  "a client connection idle this long is closed" },
	{ "limits", "allow_simulator", CFG_BOOL, O(allow_simulator), "false",
	  0, 0, 0,
	  "accept OU=sim certificates speaking for any node (benchmarks only)" },
	{ "limits", "max_handshakes", CFG_INT, O(max_handshakes), "512", R, 1,
	  1000000,
	  "TLS handshakes in progress at once; more connections wait in the "
	  "accept queue (bounds the memory a connection flood takes)" },
	{ "limits", "submit_rate", CFG_INT, O(submit_rate), "1000", R, 0,
	  1000000,
	  "job submissions per second one identity (certificate) may make; "
	  "0 = no limit" },
	{ "limits", "submit_burst", CFG_INT, O(submit_burst), "10000", R, 1,
	  10000000,
	  "submissions one identity may make at once beyond submit_rate" },
	{ "power", "node_power", CFG_LIST, O(node_power), "", R, 0, 0,
	  "node draw by GPU model, overriding the built-in figures "
	  "(docs/power.md): MODEL idle=W busy=W [gpus=N gpu_idle=W "
	  "gpu_max=W], comma-separated" },
	{ "power", "site_limit", CFG_STR, O(power_site_limit), "0", R, 0, 0,
	  "most the whole site may draw (e.g. 150MW); 0 = unlimited" },
	{ "power", "hall_limit", CFG_STR, O(power_hall_limit), "0", R, 0, 0,
	  "most each hall may draw, unless set per hall with colossus "
	  "power limit; 0 = unlimited" },
	{ "power", "rack_limit", CFG_STR, O(power_rack_limit), "0", R, 0, 0,
	  "most each rack may draw, unless set per rack; 0 = unlimited" },
	{ "power", "ramp", CFG_STR, O(power_ramp), "0", R, 0, 0,
	  "most the cluster's draw may rise (or fall, by planned stops) "
	  "within ramp_window (e.g. 20MW); bigger gangs start and stop in "
	  "waves; 0 = no ramp limit" },
	{ "power", "ramp_window", CFG_DURATION, O(power_ramp_window_sec),
	  "10s", R, 1, 3600, "the window of the ramp limit" },
	{ "power", "stale_samples", CFG_INT, O(power_stale_samples), "3", R,
	  1, 1000,
	  "GPU power readings older than this many [health] sample "
	  "intervals are not used (the model is)" },
	{ "power", "drop_event", CFG_STR, O(power_drop_event), "1MW", R, 0, 0,
	  "unplanned stops of running gangs dropping at least this much "
	  "are recorded as power_drop events" },
	{ "power", "reserve", CFG_BOOL, O(power_reserve), "true", R, 0, 0,
	  "a job waiting for power holds back lower-priority jobs in the "
	  "hall or site it waits for (false: they may use the headroom)" },
	CFG_END,
};

int ctl_config_load(struct ctl_config *cfg, const char *path, struct err *e)
{
	struct power_cfg pc;

	memset(cfg, 0, sizeof(*cfg));
	if (cfg_defaults(ctl_config_table, cfg, e) < 0)
		return -1;
	if (path && cfg_load_file(ctl_config_table, cfg, path, e) < 0)
		return -1;
	if (cfg_check_required(ctl_config_table, cfg, e) < 0)
		return err_prefix(e, "%s", path ? path : "configuration");
	if (power_cfg_from(&pc, cfg, e) < 0)
		return err_prefix(e, "%s", path ? path : "configuration");
	if (cfg->lease_sec <= cfg->heartbeat_interval_sec)
		return err_set(e,
			       "%s: [nodes] lease (%llus) must be longer than "
			       "heartbeat_interval (%llus)",
			       path ? path : "configuration",
			       (unsigned long long)cfg->lease_sec,
			       (unsigned long long)cfg->heartbeat_interval_sec);
	return 0;
}

void ctl_config_free(struct ctl_config *cfg)
{
	cfg_free(ctl_config_table, cfg);
}
