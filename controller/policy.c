/*
 * Health policy parsing and matching.  See policy.h and docs/health.md.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeparse.h"
#include "common/util.h"
#include "common/xalloc.h"
#include "controller/policy.h"

/*
 * The default policy, from NVIDIA's XID catalogue and the guidance in
 * ../shared/HEALTH.md section 3.1.  Sites override it with
 * [health] policy_file.
 */
static const char policy_default[] =
	"# Colossus default health policy (see docs/health.md).\n"
	"# Application-class XIDs: the program's fault, never the node's.\n"
	"xid 13,31,43,45,68,109 -> none : application error\n"
	"# Memory.\n"
	"xid 63 -> degrade : row remap pending, reset at next idle\n"
	"xid 92 -> none : excessive single-bit ECC (trend only)\n"
	"xid 94 -> requeue : contained ECC error, the gang lost a rank\n"
	"xid 48,95,140 -> requeue drain reset : uncorrectable ECC\n"
	"xid 64 -> requeue drain rma : row remapping failed\n"
	"dbe -> requeue drain reset : double-bit ECC error\n"
	"ecc_dbe > 0 -> requeue drain reset : volatile double-bit ECC\n"
	"remap_failure -> requeue drain rma : row remapping failed\n"
	"remap_pending -> degrade : row remap pending\n"
	"# The GPU is gone.\n"
	"xid 79 -> requeue drain reboot : GPU fell off the bus\n"
	"gpu_lost -> requeue drain reboot : GPU fell off the bus\n"
	"# NVLink and the fabric.\n"
	"xid 74,136 -> requeue drain reboot : NVLink error\n"
	"nvlink_down -> requeue drain reset : NVLink link inactive\n"
	"nvlink_errors >= 1 -> drain : NVLink replay/recovery >= 1/min\n"
	"nvlink_crc >= 100 -> requeue drain : NVLink CRC >= 100/s\n"
	"# GPU firmware, timeouts.\n"
	"xid 46,62,119,120,143,155,156,158 -> requeue drain reset : GPU "
	"fault (reset required)\n"
	"recovery 1 -> drain reset : driver asks for a GPU reset\n"
	"recovery 2 -> requeue drain reboot : driver asks for a node "
	"reboot\n"
	"recovery 3,4 -> requeue drain reset : driver asks to drain "
	"peer-to-peer and reset\n"
	"# Temperature and power.\n"
	"temp >= shutdown-2 -> requeue drain : GPU at its shutdown "
	"temperature\n"
	"temp >= slowdown-5 for 10m -> drain : GPU near slowdown for 10 "
	"minutes\n"
	"temp >= slowdown-5 -> degrade : GPU near its slowdown "
	"temperature\n"
	"throttle hw_thermal for 60s -> degrade : hardware thermal "
	"slowdown\n"
	"throttle hw_power_brake -> degrade : power brake (check PSUs)\n"
	"sm_clock < 90 for 5m -> degrade : slow GPU (fail-slow)\n"
	"pcie_degraded -> drain : PCIe link trained down (riser or slot)\n"
	"# Network.\n"
	"nic_down for 30s -> requeue drain : NIC link down\n"
	"nic_flaps >= 2 within 5m -> requeue drain : NIC link flapping\n"
	"# Jobs.\n"
	"hang -> requeue : job stopped making progress\n"
	"# Rack cooling and power.\n"
	"rack_pumps_failed >= 1 -> rack_degrade : CDU pump redundancy "
	"lost\n"
	"rack_flow < 20 for 30s -> rack_drain alert : coolant flow low\n"
	"rack_supply_temp > 40 for 30s -> rack_drain alert : coolant too "
	"warm\n"
	"rack_leak warning -> rack_drain alert : leak warning\n"
	"rack_leak critical -> rack_requeue rack_drain alert : leak "
	"critical: emergency fence\n"
	"rack_power_lost -> rack_requeue rack_drain alert : rack lost "
	"power\n";

const char *policy_default_text(void)
{
	return policy_default;
}

static const struct {
	const char *name;
	enum policy_signal sig;
	int args; /* 0 none, 1 code list, 2 comparison, 3 leak level */
} policy_signals[] = {
	{ "xid", SIG_XID, 1 },
	{ "gpu_lost", SIG_GPU_LOST, 0 },
	{ "dbe", SIG_DBE, 0 },
	{ "recovery", SIG_RECOVERY, 1 },
	{ "temp", SIG_TEMP, 2 },
	{ "ecc_dbe", SIG_ECC_DBE, 2 },
	{ "ecc_sbe_rate", SIG_ECC_SBE_RATE, 2 },
	{ "remap_pending", SIG_REMAP_PENDING, 0 },
	{ "remap_failure", SIG_REMAP_FAILURE, 0 },
	{ "nvlink_down", SIG_NVLINK_DOWN, 0 },
	{ "nvlink_errors", SIG_NVLINK_ERRORS, 2 },
	{ "nvlink_crc", SIG_NVLINK_CRC, 2 },
	{ "pcie_degraded", SIG_PCIE_DEGRADED, 0 },
	{ "throttle", SIG_THROTTLE, 1 },
	{ "sm_clock", SIG_SM_CLOCK, 2 },
	{ "nic_down", SIG_NIC_DOWN, 0 },
	{ "nic_flaps", SIG_NIC_FLAPS, 2 },
	{ "hang", SIG_HANG, 0 },
	{ "rack_leak", SIG_RACK_LEAK, 3 },
	{ "rack_flow", SIG_RACK_FLOW, 2 },
	{ "rack_supply_temp", SIG_RACK_SUPPLY_TEMP, 2 },
	{ "rack_pumps_failed", SIG_RACK_PUMPS_FAILED, 2 },
	{ "rack_fans_failed", SIG_RACK_FANS_FAILED, 2 },
	{ "rack_power_lost", SIG_RACK_POWER_LOST, 0 },
};

static const struct {
	const char *name;
	unsigned bit;
} policy_actions[] = {
	{ "none", ACT_NONE },
	{ "degrade", ACT_DEGRADE },
	{ "drain", ACT_DRAIN },
	{ "requeue", ACT_REQUEUE },
	{ "rack_drain", ACT_RACK_DRAIN },
	{ "rack_degrade", ACT_RACK_DEGRADE },
	{ "rack_requeue", ACT_RACK_REQUEUE },
	{ "reset", ACT_RESET },
	{ "reboot", ACT_REBOOT },
	{ "rma", ACT_RMA },
	{ "alert", ACT_ALERT },
};

static const struct {
	const char *name;
	unsigned bit;
} policy_throttles[] = {
	{ "hw_slowdown", 0x8 },
	{ "sw_thermal", 0x20 },
	{ "hw_thermal", 0x40 },
	{ "hw_power_brake", 0x80 },
};

const char *policy_signal_name(enum policy_signal s)
{
	for (size_t i = 0; i < ARRAY_SIZE(policy_signals); i++)
		if (policy_signals[i].sig == s)
			return policy_signals[i].name;
	return "?";
}

const char *policy_actions_str(unsigned actions, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(policy_actions); i++)
		if (actions & policy_actions[i].bit)
			used += (size_t)snprintf(buf + used,
						 used < len ? len - used : 0,
						 "%s%s", used ? " " : "",
						 policy_actions[i].name);
	return buf;
}

int policy_severity(unsigned a)
{
	/* Fences outrank drains outrank degrades outrank records. */
	return ((a & (ACT_REQUEUE | ACT_RACK_REQUEUE)) ? 8 : 0) +
	       ((a & (ACT_DRAIN | ACT_RACK_DRAIN)) ? 4 : 0) +
	       ((a & (ACT_DEGRADE | ACT_RACK_DEGRADE)) ? 2 : 0) +
	       ((a & (ACT_RMA | ACT_REBOOT | ACT_RESET)) ? 1 : 0);
}

bool policy_code_match(const struct policy_rule *r, unsigned code)
{
	if (r->signal == SIG_THROTTLE) {
		for (int i = 0; i < r->ncodes; i++)
			if (code & r->codes[i])
				return true;
		return false;
	}
	for (int i = 0; i < r->ncodes; i++)
		if (r->codes[i] == code)
			return true;
	return false;
}

bool policy_compare(const struct policy_rule *r, double value,
		    double slowdown, double shutdown)
{
	double limit = r->value;

	if (r->base == BASE_SLOWDOWN) {
		if (slowdown <= 0)
			return false; /* the GPU did not say its limits */
		limit += slowdown;
	} else if (r->base == BASE_SHUTDOWN) {
		if (shutdown <= 0)
			return false;
		limit += shutdown;
	}
	switch (r->op) {
	case OP_GE:
		return value >= limit;
	case OP_GT:
		return value > limit;
	case OP_LE:
		return value <= limit;
	case OP_LT:
		return value < limit;
	case OP_EQ:
		return value == limit;
	default:
		return value != 0;
	}
}

/* ---- parsing ---------------------------------------------------------------- */

struct policy_lexer {
	char *toks[64];
	int n, i;
};

static int policy_tokenize(char *line, struct policy_lexer *lx)
{
	char *p = line;

	lx->n = lx->i = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (lx->n == (int)ARRAY_SIZE(lx->toks))
			return -1;
		lx->toks[lx->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

static const char *policy_next(struct policy_lexer *lx)
{
	return lx->i < lx->n ? lx->toks[lx->i++] : NULL;
}

static const char *policy_peek(const struct policy_lexer *lx)
{
	return lx->i < lx->n ? lx->toks[lx->i] : NULL;
}

static int policy_codes(const char *s, struct policy_rule *r, bool throttle,
			bool recovery, struct err *e)
{
	char buf[256];
	char *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return err_set(e, "code list too long");
	memcpy(buf, s, strlen(s) + 1);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned v = 0;
		char *end;

		if (r->ncodes == POLICY_MAX_CODES)
			return err_set(e, "more than %d codes",
				       POLICY_MAX_CODES);
		if (throttle) {
			bool found = false;

			for (size_t i = 0; i < ARRAY_SIZE(policy_throttles); i++)
				if (!strcmp(tok, policy_throttles[i].name)) {
					v = policy_throttles[i].bit;
					found = true;
				}
			if (!found)
				return err_set(e,
					       "unknown throttle reason '%.32s' "
					       "(hw_slowdown, sw_thermal, "
					       "hw_thermal, hw_power_brake)",
					       tok);
		} else {
			unsigned long x;

			errno = 0;
			x = strtoul(tok, &end, 10);
			if (errno || *end || end == tok || x > 100000 ||
			    (recovery && (x < 1 || x > 5)))
				return err_set(e, "bad code '%.32s'", tok);
			v = (unsigned)x;
		}
		r->codes[r->ncodes++] = v;
	}
	if (!r->ncodes)
		return err_set(e, "empty code list");
	return 0;
}

static int policy_op(const char *s, enum policy_op *op)
{
	static const struct {
		const char *s;
		enum policy_op op;
	} ops[] = { { ">=", OP_GE }, { ">", OP_GT }, { "<=", OP_LE },
		    { "<", OP_LT },  { "==", OP_EQ }, { "=", OP_EQ } };

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(s, ops[i].s)) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

/* "42", "-1.5", "slowdown-5", "shutdown", "shutdown+1". */
static int policy_value(const char *s, struct policy_rule *r, struct err *e)
{
	const char *num = s;
	char *end;

	r->base = BASE_ABS;
	if (!strncmp(s, "slowdown", 8)) {
		r->base = BASE_SLOWDOWN;
		num = s + 8;
	} else if (!strncmp(s, "shutdown", 8)) {
		r->base = BASE_SHUTDOWN;
		num = s + 8;
	}
	if (r->base != BASE_ABS && r->signal != SIG_TEMP)
		return err_set(e, "slowdown/shutdown apply to temp only");
	if (r->base != BASE_ABS && !*num) {
		r->value = 0;
		return 0;
	}
	errno = 0;
	r->value = strtod(num, &end);
	if (errno || *end || end == num)
		return err_set(e, "bad value '%.32s'", s);
	return 0;
}

static int policy_duration(const char *s, uint64_t *sec, struct err *e)
{
	if (!s)
		return err_set(e, "duration missing");
	if (timeparse_duration(s, sec, e) < 0)
		return -1;
	return 0;
}

static int policy_parse_rule(char *line, struct policy_rule *r, struct err *e)
{
	struct policy_lexer lx;
	const char *tok;
	char *colon = strchr(line, ':');
	int args = -1;

	memset(r, 0, sizeof(r[0]));
	if (colon) {
		char *rs = colon + 1;

		*colon = '\0';
		while (*rs == ' ')
			rs++;
		snprintf(r->reason, sizeof(r->reason), "%s", rs);
	}
	if (policy_tokenize(line, &lx) < 0)
		return err_set(e, "too many words");
	tok = policy_next(&lx);
	for (size_t i = 0; tok && i < ARRAY_SIZE(policy_signals); i++)
		if (!strcmp(tok, policy_signals[i].name)) {
			r->signal = policy_signals[i].sig;
			args = policy_signals[i].args;
		}
	if (args < 0)
		return err_set(e, "unknown signal '%.32s'", tok ? tok : "");
	if (args == 1) {
		tok = policy_next(&lx);
		if (!tok || !strcmp(tok, "->"))
			return err_set(e, "%s needs a list of codes",
				       policy_signal_name(r->signal));
		if (policy_codes(tok, r, r->signal == SIG_THROTTLE,
				 r->signal == SIG_RECOVERY, e) < 0)
			return -1;
	} else if (args == 2) {
		tok = policy_next(&lx);
		if (!tok || !strcmp(tok, "->") || policy_op(tok, &r->op) < 0)
			return err_set(e, "%s needs a comparison (>=, >, <=, <, "
				       "==) and a value",
				       policy_signal_name(r->signal));
		tok = policy_next(&lx);
		if (tok && !strcmp(tok, "->"))
			return err_set(e, "%s: bad value (missing)",
				       policy_signal_name(r->signal));
		if (!tok || policy_value(tok, r, e) < 0)
			return tok ? -1
				   : err_set(e, "%s needs a value",
					     policy_signal_name(r->signal));
	} else if (args == 3) {
		tok = policy_next(&lx);
		r->op = OP_GE;
		if (tok && !strcmp(tok, "warning"))
			r->value = 1;
		else if (tok && !strcmp(tok, "critical"))
			r->value = 2;
		else
			return err_set(e, "rack_leak needs warning or critical");
	}
	while ((tok = policy_peek(&lx)) && strcmp(tok, "->")) {
		policy_next(&lx);
		if (!strcmp(tok, "for")) {
			if (policy_duration(policy_next(&lx), &r->for_sec, e) < 0)
				return -1;
		} else if (!strcmp(tok, "within")) {
			if (policy_duration(policy_next(&lx), &r->within_sec,
					    e) < 0)
				return -1;
		} else {
			return err_set(e, "unexpected '%.32s' (expected for, "
				       "within or ->)",
				       tok);
		}
	}
	if (!policy_next(&lx))
		return err_set(e, "missing '->' and actions");
	if (r->signal == SIG_NIC_FLAPS && !r->within_sec)
		return err_set(e, "nic_flaps needs 'within DURATION'");
	while ((tok = policy_next(&lx)) != NULL) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(policy_actions); i++)
			if (!strcmp(tok, policy_actions[i].name)) {
				r->actions |= policy_actions[i].bit;
				found = true;
			}
		if (!found)
			return err_set(e, "unknown action '%.32s' (none, "
				       "degrade, drain, requeue, rack_drain, "
				       "rack_degrade, rack_requeue, reset, "
				       "reboot, rma, alert)",
				       tok);
	}
	if (!r->actions)
		return err_set(e, "no actions after '->'");
	if ((r->actions & ACT_NONE) && r->actions != ACT_NONE)
		return err_set(e, "'none' cannot be combined with other "
			       "actions");
	return 0;
}

int policy_parse(const char *text, const char *name, struct policy *out,
		 struct err *e)
{
	const char *p = text;
	unsigned lineno = 0;
	int cap = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->source, sizeof(out->source), "%s", name);
	while (*p) {
		size_t len = strcspn(p, "\n");
		char line[1024];
		char *hash, *s;
		struct policy_rule r;

		lineno++;
		if (len >= sizeof(line)) {
			policy_free(out);
			return err_set(e, "%s:%u: line too long", name, lineno);
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len;
		if (*p == '\n')
			p++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++) {
		}
		if (!*s || *s == '\r')
			continue;
		if (policy_parse_rule(s, &r, e) < 0) {
			policy_free(out);
			return err_prefix(e, "%s:%u", name, lineno);
		}
		r.line = lineno;
		if (out->nrules == cap) {
			cap = cap ? cap * 2 : 32;
			out->rules = xreallocarray(out->rules, (size_t)cap,
						   sizeof(*out->rules));
		}
		out->rules[out->nrules++] = r;
	}
	if (!out->nrules) {
		policy_free(out);
		return err_set(e, "%s: no rules", name);
	}
	return 0;
}

int policy_load(const char *path, struct policy *out, struct err *e)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long size;
	int rc;

	if (!f)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 ||
	    size > (1 << 20) || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return err_set(e, "%s: unreadable or larger than 1 MiB", path);
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		return err_set(e, "%s: read error", path);
	}
	fclose(f);
	buf[size] = '\0';
	rc = policy_parse(buf, path, out, e);
	free(buf);
	return rc;
}

void policy_free(struct policy *p)
{
	free(p->rules);
	p->rules = NULL;
	p->nrules = 0;
}
