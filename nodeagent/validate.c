/*
 * The return-to-service check.  See validate.h.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/health_exec.h"
#include "nodeagent/validate.h"

#define VALIDATE_DEFAULT_TIMEOUT_SEC 600
#define VALIDATE_MAX_OUTPUT 8192
#define VALIDATE_RETRY_MS 500
/* Fallback thresholds when the backend does not know its own. */
#define VALIDATE_SLOWDOWN_C 87

struct validate_wait {
	struct validate_wait *next;
	struct rpcconn *conn; /* referenced */
	uint64_t id;
};

struct validate {
	struct agent *ag;
	struct validate_wait *waits;
	struct health_exec *run; /* the site command, while it runs */
	struct event *retry;	 /* self-check waiting for readings */
	int64_t deadline_ms;	 /* monotonic */
	unsigned timeout_ms;
};

static void validate_answer(struct validate *v, bool ok, const char *detail)
{
	struct agent *ag = v->ag;

	if (ok)
		log_info("validation passed: %s", detail);
	else
		log_warn("validation failed: %s", detail);
	while (v->waits) {
		struct validate_wait *w = v->waits;
		Colossus__Response resp = COLOSSUS__RESPONSE__INIT;
		Colossus__ValidationResult res =
			COLOSSUS__VALIDATION_RESULT__INIT;
		struct err e;

		v->waits = w->next;
		res.ok = ok;
		res.detail = (char *)detail;
		resp.id = w->id;
		resp.body_case = COLOSSUS__RESPONSE__BODY_RUN_VALIDATION;
		resp.run_validation = &res;
		if (!rpcconn_is_closed(w->conn) &&
		    rpcconn_respond(w->conn, &resp, &e) < 0)
			log_sub(LOG_SUB_HEALTH, "validation reply dropped: %s",
				e.msg);
		rpcconn_unref(w->conn);
		free(w);
	}
	if (v->retry)
		event_free(v->retry);
	free(v);
	ag->validate = NULL;
}

/* Append "; text" (or text) to detail, keeping it terminated. */
static void validate_add(char *detail, size_t len, int *nfail, const char *fmt,
			 ...) PRINTF_LIKE(4, 5);
static void validate_add(char *detail, size_t len, int *nfail, const char *fmt,
			 ...)
{
	size_t used = strlen(detail);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (*nfail)
		used += (size_t)snprintf(detail + used, len - used, "; ");
	va_start(ap, fmt);
	vsnprintf(detail + used, len - used, fmt, ap);
	va_end(ap);
	(*nfail)++;
}

int validate_selfcheck(struct agent *ag, char *detail, size_t len)
{
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	struct gpu_sample s[GPU_MAX];
	size_t n = gpu_backend_samples(ag->gpu, s, GPU_MAX);
	unsigned expected;
	int nfail = 0;

	detail[0] = '\0';
	if (inv->problem[0]) {
		snprintf(detail, len, "GPU backend %s: %s", inv->backend,
			 inv->problem);
		return 0;
	}
	/* The site's count, or the topology's when the controller said. */
	expected =
		ag->cfg.expected_gpus > 0 ? (unsigned)ag->cfg.expected_gpus : 0;
	if (ag->topology_gpus > expected)
		expected = ag->topology_gpus;
	if (inv->count < expected)
		validate_add(detail, len, &nfail,
			     "%u GPUs visible, %u expected", inv->count,
			     expected);
	for (size_t i = 0; i < n; i++) {
		const struct gpu_sample *g = &s[i];
		int slow = g->slowdown_temp_c > 0 ? g->slowdown_temp_c
						  : VALIDATE_SLOWDOWN_C;

		if (g->lost) {
			validate_add(detail, len, &nfail,
				     "GPU %u: lost (fell off the bus)",
				     g->index);
			continue;
		}
		if (!g->time_ms)
			return -1;
		if ((g->valid & GPU_F_REMAP) && g->remap_failure)
			validate_add(detail, len, &nfail,
				     "GPU %u: row remapping failed", g->index);
		else if ((g->valid & GPU_F_REMAP) && g->remap_pending)
			validate_add(detail, len, &nfail,
				     "GPU %u: row remap pending (reset needed)",
				     g->index);
		if ((g->valid & GPU_F_ECC) && g->ecc_dbe_volatile)
			validate_add(detail, len, &nfail,
				     "GPU %u: %" PRIu64 " volatile double-bit "
				     "ECC errors",
				     g->index, g->ecc_dbe_volatile);
		if ((g->valid & GPU_F_TEMP) && g->temp_c >= slow)
			validate_add(detail, len, &nfail,
				     "GPU %u: %d C, at its slowdown "
				     "temperature (%d C)",
				     g->index, g->temp_c, slow);
		if ((g->valid & GPU_F_NVLINK) && g->nvlink_down_mask)
			validate_add(
				detail, len, &nfail,
				"GPU %u: NVLink links down (mask 0x%" PRIx64
				")",
				g->index, g->nvlink_down_mask);
		if ((g->valid & GPU_F_RECOVERY) &&
		    g->recovery_action != GPU_RECOVERY_NONE)
			validate_add(detail, len, &nfail,
				     "GPU %u: the driver asks for recovery "
				     "action %u",
				     g->index, g->recovery_action);
		if ((g->valid & GPU_F_PCIE) &&
		    ((g->pcie_width_max && g->pcie_width < g->pcie_width_max) ||
		     (g->pcie_gen_max && g->pcie_gen < g->pcie_gen_max)))
			validate_add(
				detail, len, &nfail,
				"GPU %u: PCIe x%u gen %u, below x%u gen %u",
				g->index, g->pcie_width, g->pcie_gen,
				g->pcie_width_max, g->pcie_gen_max);
	}
	if (nfail)
		return 0;
	snprintf(detail, len, "GPU self-check: %u GPUs healthy (backend %s)",
		 inv->count, inv->backend);
	return 1;
}

static void validate_self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct validate *v = arg;
	char detail[400];
	int rc = validate_selfcheck(v->ag, detail, sizeof(detail));
	struct timeval tv = { 0, VALIDATE_RETRY_MS * 1000 };

	(void)fd;
	(void)what;
	if (rc >= 0) {
		validate_answer(v, rc == 1, detail);
		return;
	}
	if (util_now_mono_ms() >= v->deadline_ms) {
		validate_answer(v, false,
				"GPU self-check: the GPU backend gave no "
				"readings in time");
		return;
	}
	evtimer_add(v->retry, &tv);
}

/* The last non-empty line of out, cleaned for a one-line detail. */
static void validate_last_line(const char *out, size_t len, char *buf,
			       size_t blen)
{
	size_t end = len, start;

	while (end > 0 && (out[end - 1] == '\n' || out[end - 1] == '\r' ||
			   out[end - 1] == ' ' || out[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && out[start - 1] != '\n')
		start--;
	if (end - start >= blen)
		end = start + blen - 1;
	for (size_t i = start; i < end; i++)
		buf[i - start] = (unsigned char)out[i] < 0x20 ||
						 (unsigned char)out[i] == 0x7f
					 ? '?'
					 : out[i];
	buf[end - start] = '\0';
}

static void validate_cmd_cb(const struct health_exec_result *r, void *arg)
{
	struct validate *v = arg;
	bool ok = !r->timed_out && !r->too_much && r->status >= 0 &&
		  WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
	char how[64], line[200], detail[320];

	v->run = NULL;
	health_exec_describe(r, v->timeout_ms, how, sizeof(how));
	validate_last_line(r->out, r->len, line, sizeof(line));
	snprintf(detail, sizeof(detail), "validation command %s (%s)%s%s",
		 ok ? "passed" : "failed", how, line[0] ? ": " : "", line);
	validate_answer(v, ok, detail);
}

void validate_request(struct agent *ag, struct rpcconn *c,
		      const Colossus__Request *req)
{
	const Colossus__RunValidation *m = req->run_validation;
	struct validate *v = ag->validate;
	struct validate_wait *w;
	const char *cmd = ag->cfg.validation_command;
	unsigned timeout_sec =
		m->timeout_sec ? m->timeout_sec : VALIDATE_DEFAULT_TIMEOUT_SEC;

	if (!req->id) {
		/* Nobody to tell the result to. */
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->conn = c;
	w->id = req->id;
	rpcconn_ref(c);
	if (v) {
		/* One check at a time; a second request shares its result. */
		w->next = v->waits;
		v->waits = w;
		return;
	}
	v = xcalloc(1, sizeof(*v));
	v->ag = ag;
	v->waits = w;
	v->timeout_ms = timeout_sec * 1000;
	v->deadline_ms = util_now_mono_ms() + (int64_t)v->timeout_ms;
	ag->validate = v;
	log_info("validation requested (%s): %s",
		 m->reason && *m->reason ? m->reason : "no reason given",
		 cmd && *cmd ? cmd : "GPU self-check");
	if (cmd && *cmd) {
		char node[96], reason[300];
		const char *env[3] = { node, reason, NULL };
		struct err e;

		snprintf(node, sizeof(node), "COLOSSUS_NODE_NAME=%s", ag->node);
		snprintf(reason, sizeof(reason),
			 "COLOSSUS_VALIDATION_REASON=%.250s",
			 m->reason ? m->reason : "");
		v->run = health_exec_start(ag, cmd, env, v->timeout_ms,
					   VALIDATE_MAX_OUTPUT, validate_cmd_cb,
					   v, &e);
		if (!v->run) {
			char detail[300];

			snprintf(detail, sizeof(detail),
				 "cannot run the validation command: %s",
				 e.msg);
			validate_answer(v, false, detail);
		}
		return;
	}
	v->retry = evtimer_new(ag->base, validate_self_cb, v);
	/* From the loop, never before this handler returns. */
	event_active(v->retry, EV_TIMEOUT, 0);
}

void validate_stop(struct agent *ag)
{
	struct validate *v = ag->validate;

	if (!v)
		return;
	health_exec_cancel(v->run);
	while (v->waits) {
		struct validate_wait *w = v->waits;

		v->waits = w->next;
		rpcconn_unref(w->conn);
		free(w);
	}
	if (v->retry)
		event_free(v->retry);
	free(v);
	ag->validate = NULL;
}
