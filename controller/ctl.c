/*
 * Small services of the controller context that every module uses:
 * asking for a scheduling pass, the clock.
 */
#include "config.h"

#include <event2/event.h>

#include "common/util.h"
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
	wait = ctl->cfg.min_pass_interval_ms - since;
	if (wait > 0)
		tv.tv_usec = (suseconds_t)(wait * 1000);
	evtimer_add(ctl->sched_soon, &tv);
}

