/*
 * Small services of the controller context that every module uses:
 * asking for a scheduling pass, the clock, and reading the configuration
 * again with the command line's overrides.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/cfg.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/ctl.h"

int64_t ctl_now_ms(void)
{
	return util_now_mono_ms();
}

void ctl_sched_soon(struct ctl *ctl)
{
	int64_t since, wait;
	struct timeval tv = { 0, 0 };

	if (!ctl->sched_soon || evtimer_pending(ctl->sched_soon, NULL))
		return;
	/*
	 * Changes (exits, submits) come in bursts; one pass per
	 * min_pass_interval serves them all.
	 */
	since = util_now_mono_ms() - ctl->last_pass_mono_ms;
	wait = ctl->cfg.min_pass_interval_ms;
	/*
	 * And never more than a quarter of the loop's time: on a big
	 * cluster a pass costs tens of milliseconds, and a pass per submit
	 * would starve the submits (and heartbeats) that trigger it.
	 */
	if ((int64_t)(ctl->stats.sched_last_us / 1000) * 3 > wait)
		wait = (int64_t)(ctl->stats.sched_last_us / 1000) * 3;
	wait -= since;
	if (wait > 0)
		tv.tv_usec = (suseconds_t)(wait * 1000);
	evtimer_add(ctl->sched_soon, &tv);
}

int ctl_apply_overrides(const struct ctl *ctl, struct ctl_config *cfg,
			struct err *e)
{
	for (int i = 0; i < ctl->noverrides; i++) {
		const char *kv = ctl->overrides[i];
		const char *eq = strchr(kv, '=');
		char *key;
		int rc;

		if (!eq)
			return err_set(e, "--set needs KEY=VALUE, got '%.200s'",
				       kv);
		/* A copy: argv stays intact for the next reload. */
		key = xstrdup(kv);
		key[eq - kv] = '\0';
		rc = cfg_set(ctl_config_table, cfg, key, eq + 1, e);
		if (rc < 0)
			err_prefix(e, "--set %.100s", key);
		free(key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int ctl_config_reread(const struct ctl *ctl, struct ctl_config *cfg,
		      struct err *e)
{
	if (ctl_config_load(cfg, ctl->config_path, e) < 0) {
		if (!ctl->noverrides)
			return -1;
		/* The overrides may supply required keys, as at start. */
		ctl_config_free(cfg);
		memset(cfg, 0, sizeof(*cfg));
		if (cfg_defaults(ctl_config_table, cfg, e) < 0)
			return -1;
		if (access(ctl->config_path, F_OK) == 0 &&
		    cfg_load_file(ctl_config_table, cfg, ctl->config_path, e) <
			    0)
			return -1;
	}
	if (ctl_apply_overrides(ctl, cfg, e) < 0 ||
	    cfg_check_required(ctl_config_table, cfg, e) < 0)
		return -1;
	if (cfg->lease_sec <= cfg->heartbeat_interval_sec)
		return err_set(e, "[nodes] lease must be longer than "
				  "heartbeat_interval");
	return 0;
}
