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
#include "controller/sched.h"

int64_t ctl_now_ms(void)
{
	return util_now_mono_ms();
}

/* New jobs remembered for a pass over them alone; past this many a full
 * pass is as cheap. */
#define CTL_SCHED_FRESH_MAX 65536

/*
 * Milliseconds until a full pass may run.  Changes (exits, submits) come
 * in bursts; one pass per min_pass_interval serves them all.  And full
 * passes take at most a quarter of the loop's time: on a big cluster with
 * a long queue a pass costs tens of milliseconds, and a pass per change
 * would starve the submits (and heartbeats) that trigger it.
 */
static int64_t ctl_sched_full_wait(const struct ctl *ctl)
{
	int64_t wait = ctl->cfg.min_pass_interval_ms;
	int64_t busy = (int64_t)(ctl->sched_full_last_us / 1000) * 3;

	if (busy > wait)
		wait = busy;
	return wait - (util_now_mono_ms() - ctl->last_full_pass_mono_ms);
}

/* Run the scheduling timer in wait ms, or sooner if it is armed sooner. */
static void ctl_sched_arm(struct ctl *ctl, int64_t wait)
{
	int64_t now = util_now_mono_ms();
	struct timeval tv = { 0, 0 };

	if (!ctl->sched_soon)
		return;
	if (wait < 0)
		wait = 0;
	if (evtimer_pending(ctl->sched_soon, NULL)) {
		if (ctl->sched_soon_at_mono_ms <= now + wait)
			return;
		evtimer_del(ctl->sched_soon);
	}
	ctl->sched_soon_at_mono_ms = now + wait;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	evtimer_add(ctl->sched_soon, &tv);
}

void ctl_sched_soon(struct ctl *ctl)
{
	ctl->sched_full_wanted = true;
	ctl_sched_arm(ctl, ctl_sched_full_wait(ctl));
}

void ctl_sched_new_job(struct ctl *ctl, uint64_t job_id)
{
	int64_t since = util_now_mono_ms() - ctl->last_pass_mono_ms;

	if (ctl->sched_nfresh == CTL_SCHED_FRESH_MAX) {
		ctl_sched_soon(ctl);
		return;
	}
	if (ctl->sched_nfresh == ctl->sched_fresh_cap) {
		ctl->sched_fresh_cap =
			ctl->sched_fresh_cap ? ctl->sched_fresh_cap * 2 : 256;
		ctl->sched_fresh =
			xreallocarray(ctl->sched_fresh, ctl->sched_fresh_cap,
				      sizeof(*ctl->sched_fresh));
	}
	ctl->sched_fresh[ctl->sched_nfresh++] = job_id;
	if (ctl->sched_full_wanted)
		ctl_sched_arm(ctl, ctl_sched_full_wait(ctl));
	else
		ctl_sched_arm(ctl, ctl->cfg.min_pass_interval_ms - since);
}

void ctl_sched_run(struct ctl *ctl)
{
	int64_t wait;

	if (ctl->sched_full_wanted) {
		wait = ctl_sched_full_wait(ctl);
		/* Not before its turn.  New jobs wait for it too: the change
		 * may have moved the blocks they would be placed around (a
		 * reservation created, a node drained). */
		if (wait <= 0)
			sched_pass(ctl);
		else
			ctl_sched_arm(ctl, wait);
		return;
	}
	if (ctl->sched_nfresh)
		sched_pass_new(ctl);
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
