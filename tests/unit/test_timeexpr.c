/*
 * Unit tests for client/timeexpr.c: reservation and history times
 * ("now", "now+2h", ISO 8601 with and without zone, Unix seconds) and
 * malformed ones.  Runs in UTC and in a zone with an offset so local
 * times are checked against known values.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/timeexpr.h"
#include "tests/lib/tap.h"

#define NOW 1795500000LL /* 2026-11-24T04:40:00Z */

static int64_t parse_ok(const char *s)
{
	struct err e;
	int64_t v = -1;

	if (timeexpr_parse(s, NOW, &v, &e) < 0)
		diag("'%s': %s", s, e.msg);
	return v;
}

static void bad(const char *s, const char *want)
{
	struct err e;
	int64_t v = 4242;
	int rc = timeexpr_parse(s, NOW, &v, &e);

	ok(rc < 0 && v == 4242, "'%s' is refused", s);
	if (rc < 0 && want)
		ok(strstr(e.msg, want) != NULL, "  saying '%s' (%s)", want,
		   e.msg);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	is_int(parse_ok("now"), NOW, "now");
	is_int(parse_ok("now+2h"), NOW + 7200, "now+2h");
	is_int(parse_ok("now-1d"), NOW - 86400, "now-1d");
	is_int(parse_ok("now+1h30m"), NOW + 5400, "now+1h30m");
	is_int(parse_ok("now+90"), NOW + 90, "now+90 (seconds)");
	is_int(parse_ok("1767254400"), 1767254400, "Unix seconds");
	is_int(parse_ok("@1767254400"), 1767254400, "@Unix seconds");
	is_int(parse_ok("2026-01-01T08:00"), 1767254400, "ISO local (UTC)");
	is_int(parse_ok("2026-01-01 08:00"), 1767254400, "a space for T");
	is_int(parse_ok("2026-01-01T08:00:30"), 1767254430, "with seconds");
	is_int(parse_ok("2026-01-01"), 1767225600, "a date is midnight");
	is_int(parse_ok("2026-01-01T08:00Z"), 1767254400, "Z");
	is_int(parse_ok("2026-01-01T10:00+02:00"), 1767254400, "+02:00");
	is_int(parse_ok("2026-01-01T03:00-0500"), 1767254400, "-0500");
	is_int(parse_ok("2024-02-29"), 1709164800, "a leap day");

	/* Local time follows TZ (a zone without daylight saving). */
	setenv("TZ", "UTC-3", 1); /* POSIX: three hours east */
	tzset();
	is_int(parse_ok("2026-01-01T11:00"), 1767254400, "local time at +3");
	is_int(parse_ok("2026-01-01T08:00Z"), 1767254400, "Z ignores TZ");
	setenv("TZ", "UTC", 1);
	tzset();

	bad("", "empty");
	bad("yesterday", "is not a time");
	bad("now+", "is not a time");
	bad("now*2", "is not a time");
	bad("now+2x", NULL);
	bad("2026", "is not a time");
	bad("2026-13-01", "no such date");
	bad("2023-02-29", "no such date");
	bad("2026-01-32", "no such date");
	bad("2026-01-01T25:00", "no such time of day");
	bad("2026-01-01T08", "HH:MM");
	bad("2026-01-01T08:00:61", "no such time of day");
	bad("2026-01-01T08:00+25:00", "zone");
	bad("2026-01-01T08:00 UTC", "zone");
	bad("1969-12-31", "no such date");
	bad("@", "is not a time");
	bad("@12x", "is not a time");
	bad("1234567890123", "is not a time");
	return done_testing();
}
