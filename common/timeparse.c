/*
 * Time limits and durations written the way Slurm users write them, parsed
 * into seconds, and seconds printed back in Slurm's layout.
 *
 * Everything is bounded by TIMEPARSE_MAX_SEC.  Each number is capped at
 * that value while its digits are read, so no intermediate product can
 * overflow: the largest is TIMEPARSE_MAX_SEC * 86400, far below 2^64.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/timeparse.h"

/* What is being parsed, for messages and for the meaning of a bare number. */
struct timeparse_ctx {
	const char *what; /* "time limit" or "duration" */
	const char *s;
	struct err *e;
};

static int timeparse_fail(const struct timeparse_ctx *c, const char *why)
{
	char shown[64];

	return err_set(c->e, "invalid %s '%s': %s", c->what,
		       log_escape(c->s, shown, sizeof(shown)), why);
}

static bool timeparse_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool timeparse_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Read 1+ digits at *pp, capped at TIMEPARSE_MAX_SEC. */
static int timeparse_num(const struct timeparse_ctx *c, const char **pp,
			 uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (!timeparse_is_digit(*p))
		return timeparse_fail(c, *p ? "expected a number"
					    : "missing number at the end");
	for (; timeparse_is_digit(*p); p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		/* Every unit is >= 1s, so this already exceeds the maximum. */
		if (v > TIMEPARSE_MAX_SEC)
			return timeparse_fail(c, "longer than the maximum of "
						 "365 days");
	}
	*pp = p;
	*out = v;
	return 0;
}

static int timeparse_check_max(const struct timeparse_ctx *c, uint64_t sec)
{
	if (sec > TIMEPARSE_MAX_SEC)
		return timeparse_fail(c, "longer than the maximum of 365 days");
	return 0;
}

/*
 * Common checks before any form is tried.  Returns 1 if s needs further
 * parsing, or -1 with the error set.
 */
static int timeparse_precheck(const struct timeparse_ctx *c)
{
	if (!c->s || !*c->s)
		return err_set(c->e, "empty %s", c->what);
	if (c->s[0] == '-')
		return timeparse_fail(c, "negative values are not allowed");
	if (!timeparse_is_digit(c->s[0]))
		return timeparse_fail(c, "must start with a number");
	return 1;
}

/*
 * "1d2h3m4s" and any subset of its units, in that order.  Unit order is
 * enforced so that "30m1h" (probably a typo) is not silently accepted.
 */
static int timeparse_units(const struct timeparse_ctx *c, uint64_t *sec)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	const char *p = c->s;
	size_t next = 0; /* first unit still allowed */
	uint64_t total = 0;

	while (*p) {
		const char *u;
		uint64_t v;
		size_t i, ulen;

		if (timeparse_num(c, &p, &v) < 0)
			return -1;
		u = p;
		while (timeparse_is_alpha(*p))
			p++;
		ulen = (size_t)(p - u);
		if (ulen == 0)
			return timeparse_fail(c, *u ? "unexpected character"
						    : "missing unit after the "
						      "last number (d, h, m or "
						      "s)");
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (ulen == 1 && *u == units[i].unit)
				break;
		if (i == ARRAY_SIZE(units))
			return timeparse_fail(c, "unknown unit (use d, h, m or "
						 "s)");
		if (i < next)
			return timeparse_fail(c, "units must appear at most "
						 "once, in the order d, h, m, "
						 "s");
		next = i + 1;
		total += v * units[i].mult;
	}
	if (timeparse_check_max(c, total) < 0)
		return -1;
	*sec = total;
	return 0;
}

/*
 * "[D-]A[:B[:C]]".  Without days the fields are minutes, MM:SS or
 * HH:MM:SS; with days they are HH, HH:MM or HH:MM:SS.  The leading field
 * is not bounded ("90:00" is 90 minutes, as in Slurm) except hours after
 * a day count, which must be below 24.
 */
static int timeparse_clock(const struct timeparse_ctx *c, uint64_t *sec)
{
	const char *p = c->s;
	uint64_t days = 0, f[3], total;
	bool have_days = false;
	size_t n = 0;

	if (timeparse_num(c, &p, &f[0]) < 0)
		return -1;
	if (*p == '-') {
		have_days = true;
		days = f[0];
		p++;
		if (timeparse_num(c, &p, &f[0]) < 0)
			return -1;
	}
	n = 1;
	while (*p == ':') {
		if (n == 3)
			return timeparse_fail(c, "too many ':' fields");
		p++;
		if (timeparse_num(c, &p, &f[n]) < 0)
			return -1;
		if (f[n] >= 60)
			return timeparse_fail(c, "minutes and seconds must be "
						 "below 60");
		n++;
	}
	if (*p)
		return timeparse_fail(c, "expected [D-]HH:MM:SS, MM:SS, "
					 "minutes, or units as in 1h30m");
	if (have_days) {
		if (f[0] >= 24)
			return timeparse_fail(c, "hours must be below 24 after "
						 "a day count");
		total = days * 86400 + f[0] * 3600;
		if (n > 1)
			total += f[1] * 60;
		if (n > 2)
			total += f[2];
	} else if (n == 1) {
		total = f[0] * 60;
	} else if (n == 2) {
		total = f[0] * 60 + f[1];
	} else {
		total = f[0] * 3600 + f[1] * 60 + f[2];
	}
	if (timeparse_check_max(c, total) < 0)
		return -1;
	*sec = total;
	return 0;
}

int timeparse_limit(const char *s, uint64_t *sec, struct err *e)
{
	struct timeparse_ctx c = { "time limit", s, e };
	int r;

	if (s && (!strcasecmp(s, "infinite") || !strcasecmp(s, "unlimited"))) {
		*sec = 0;
		return 0;
	}
	if ((r = timeparse_precheck(&c)) < 0)
		return r;
	/* A letter anywhere means the unit form; otherwise clock form. */
	for (const char *p = s; *p; p++)
		if (timeparse_is_alpha(*p))
			return timeparse_units(&c, sec);
	return timeparse_clock(&c, sec);
}

int timeparse_duration(const char *s, uint64_t *sec, struct err *e)
{
	struct timeparse_ctx c = { "duration", s, e };
	const char *p = s;
	uint64_t v;
	int r;

	if ((r = timeparse_precheck(&c)) < 0)
		return r;
	if (timeparse_num(&c, &p, &v) < 0)
		return -1;
	if (*p == '\0') {
		if (timeparse_check_max(&c, v) < 0)
			return -1;
		*sec = v;
		return 0;
	}
	if (*p == ':' || *p == '-')
		return timeparse_fail(&c, "durations are written with units, "
					  "as in 30s, 10m or 1h30m");
	return timeparse_units(&c, sec);
}

const char *timeparse_format(uint64_t sec, char *out, size_t len)
{
	unsigned long long d = sec / 86400, h = sec / 3600 % 24,
			   m = sec / 60 % 60, s = sec % 60;

	if (len == 0)
		return out;
	if (sec == 0)
		snprintf(out, len, "UNLIMITED");
	else if (sec < 3600)
		snprintf(out, len, "%02llu:%02llu", m, s);
	else if (sec < 86400)
		snprintf(out, len, "%02llu:%02llu:%02llu", h, m, s);
	else
		snprintf(out, len, "%llu-%02llu:%02llu:%02llu", d, h, m, s);
	return out;
}

const char *timeparse_format_duration(uint64_t sec, char *out, size_t len)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t o = 0;

	if (len == 0)
		return out;
	out[0] = '\0';
	if (sec == 0) {
		snprintf(out, len, "0s");
		return out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units) && o < len; i++) {
		uint64_t v = sec / units[i].mult;
		int n;

		if (v == 0)
			continue;
		sec -= v * units[i].mult;
		n = snprintf(out + o, len - o, "%llu%c", (unsigned long long)v,
			     units[i].unit);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}
