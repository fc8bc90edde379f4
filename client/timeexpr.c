/*
 * Time expressions for the command line (see timeexpr.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/timeexpr.h"
#include "common/timeparse.h"

#define TIMEEXPR_HELP                                                          \
	"(examples: now, now+2h, 2026-12-01T08:00, 2026-12-01, "               \
	"1767254400)"

/* Read exactly n digits; returns the value or -1. */
static int timeexpr_digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static bool timeexpr_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int timeexpr_mdays(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	return m == 2 && timeexpr_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), for UTC times. */
static int64_t timeexpr_days(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* "+02:00", "-0500", "Z": offset east of UTC in seconds. */
static int timeexpr_zone(const char *p, int64_t *off)
{
	int sign, h, m = 0;

	if (!strcmp(p, "Z") || !strcmp(p, "z")) {
		*off = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((h = timeexpr_digits(&p, 2)) < 0 || h > 23)
		return -1;
	if (*p == ':')
		p++;
	if (*p && ((m = timeexpr_digits(&p, 2)) < 0 || m > 59))
		return -1;
	if (*p)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

static int timeexpr_iso(const char *s, int64_t *out, struct err *e)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool has_zone = false;
	int64_t off = 0;

	if ((y = timeexpr_digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = timeexpr_digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = timeexpr_digits(&p, 2)) < 0)
		return err_set(e, "'%.40s' is not a time " TIMEEXPR_HELP, s);
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > timeexpr_mdays(y, mo))
		return err_set(e, "'%.40s': no such date", s);
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = timeexpr_digits(&p, 2)) < 0 || *p++ != ':' ||
		    (mi = timeexpr_digits(&p, 2)) < 0)
			return err_set(e,
				       "'%.40s': the time of day must be "
				       "HH:MM or HH:MM:SS",
				       s);
		if (*p == ':') {
			p++;
			if ((sec = timeexpr_digits(&p, 2)) < 0)
				return err_set(e,
					       "'%.40s': the time of day must "
					       "be HH:MM or HH:MM:SS",
					       s);
		}
		if (h > 23 || mi > 59 || sec > 59)
			return err_set(e, "'%.40s': no such time of day", s);
	}
	if (*p) {
		if (timeexpr_zone(p, &off) < 0)
			return err_set(e,
				       "'%.40s': unexpected '%.10s' (a zone is "
				       "Z, +HH:MM or -HHMM)",
				       s, p);
		has_zone = true;
	}
	if (has_zone) {
		*out = timeexpr_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		       sec - off;
	} else {
		struct tm tm;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1; /* let the zone rules decide */
		t = mktime(&tm);
		if (t == (time_t)-1)
			return err_set(e, "'%.40s': not a local time", s);
		*out = (int64_t)t;
	}
	return 0;
}

int timeexpr_parse(const char *s, int64_t now, int64_t *out, struct err *e)
{
	uint64_t dur;
	int64_t v;

	if (!s || !*s)
		return err_set(e, "empty time " TIMEEXPR_HELP);
	if (!strncmp(s, "now", 3)) {
		const char *rest = s + 3;
		struct err sub;

		if (!*rest) {
			*out = now;
			return 0;
		}
		if ((*rest != '+' && *rest != '-') || !rest[1])
			return err_set(
				e, "'%.40s' is not a time " TIMEEXPR_HELP, s);
		if (timeparse_duration(rest + 1, &dur, &sub) < 0)
			return err_set(e, "'%.40s': %s", s, sub.msg);
		*out = *rest == '+' ? now + (int64_t)dur : now - (int64_t)dur;
		return 0;
	}
	if (s[0] == '@' || strspn(s, "0123456789") == strlen(s)) {
		const char *num = s[0] == '@' ? s + 1 : s;
		char *end;

		/* A 4-digit year alone is a date typed short, not 1970. */
		if (!*num || strspn(num, "0123456789") != strlen(num) ||
		    strlen(num) > 12 || (s[0] != '@' && strlen(num) < 6))
			return err_set(
				e, "'%.40s' is not a time " TIMEEXPR_HELP, s);
		v = (int64_t)strtoll(num, &end, 10);
		*out = v;
		return 0;
	}
	return timeexpr_iso(s, out, e);
}
