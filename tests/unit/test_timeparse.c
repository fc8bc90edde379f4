/*
 * Unit tests for common/timeparse.c: every accepted form of time limits
 * and durations, the rejected ones with their messages, the Slurm-style
 * printer and parse(format(x)) == x round trips.
 */
#include "config.h"

#include "common/timeparse.h"
#include "tests/lib/tap.h"

#define MAXS TIMEPARSE_MAX_SEC

struct good {
	const char *in;
	uint64_t sec;
};

struct bad {
	const char *in;
	const char *msg; /* substring of the error */
};

static const struct good limit_good[] = {
	{ "90", 5400 },
	{ "0", 0 },
	{ "1", 60 },
	{ "05:30", 330 },
	{ "90:00", 5400 },
	{ "0:59", 59 },
	{ "1:02:03", 3723 },
	{ "48:00:00", 172800 },
	{ "2-0", 172800 },
	{ "1-12", 129600 },
	{ "1-12:30", 131400 },
	{ "1-12:30:15", 131415 },
	{ "0-0:0:1", 1 },
	{ "30s", 30 },
	{ "90m", 5400 },
	{ "4h", 14400 },
	{ "2d", 172800 },
	{ "1h30m", 5400 },
	{ "1d2h3m4s", 93784 },
	{ "1d4s", 86404 },
	{ "0s", 0 },
	{ "infinite", 0 },
	{ "INFINITE", 0 },
	{ "unlimited", 0 },
	{ "Unlimited", 0 },
	{ "365-00:00:00", MAXS },
	{ "365d", MAXS },
	{ "525600", MAXS },
	{ "8760:00:00", MAXS },
	{ "00000000000000000000090", 5400 },
};

static const struct bad limit_bad[] = {
	{ "", "empty time limit" },
	{ "-1", "negative" },
	{ "-5:00", "negative" },
	{ "abc", "must start with a number" },
	{ "infinity", "must start with a number" },
	{ "1:60", "below 60" },
	{ "1:2:60", "below 60" },
	{ "1:60:00", "below 60" },
	{ "1:2:3:4", "too many ':'" },
	{ "1-24", "below 24" },
	{ "1-", "missing number" },
	{ "1-:30", "expected a number" },
	{ ":30", "must start with a number" },
	{ "1::2", "expected a number" },
	{ "1:", "missing number" },
	{ "1h30", "missing unit" },
	{ "30m1h", "order d, h, m, s" },
	{ "1h1h", "order d, h, m, s" },
	{ "5x", "unknown unit" },
	{ "5ms", "unknown unit" },
	{ "5H", "unknown unit" },
	{ "1.5h", "unexpected character" },
	{ " 5", "must start with a number" },
	{ "5 ", "expected [D-]HH:MM:SS" },
	{ "+5", "must start with a number" },
	{ "1 h", "unexpected character" },
	{ "1-2-3", "expected [D-]HH:MM:SS" },
	{ "366d", "maximum of 365 days" },
	{ "365-00:00:01", "maximum of 365 days" },
	{ "525601", "maximum of 365 days" },
	{ "99999999999999999999999", "maximum of 365 days" },
	{ "18446744073709551617", "maximum of 365 days" },
	{ "1:0x", "unexpected character" },
	{ "1d-2h", "expected a number" },
};

static const struct good dur_good[] = {
	{ "0", 0 },	    { "10", 10 },	  { "10s", 10 },
	{ "30m", 1800 },    { "1h30m", 5400 },	  { "2d", 172800 },
	{ "1d1s", 86401 },  { "31536000", MAXS }, { "365d", MAXS },
	{ "8760h", MAXS },  { "0s", 0 },	  { "525600m", MAXS },
	{ "1h0m0s", 3600 },
};

static const struct bad dur_bad[] = {
	{ "", "empty duration" },
	{ "500ms", "unknown unit" },
	{ "1:30", "written with units" },
	{ "1-0", "written with units" },
	{ "-1", "negative" },
	{ "1h30", "missing unit" },
	{ "31536001", "maximum of 365 days" },
	{ "366d", "maximum of 365 days" },
	{ "abc", "must start with a number" },
	{ "10 s", "unexpected character" },
	{ "1y", "unknown unit" },
	{ "infinite", "must start with a number" },
	{ "2h1d", "order d, h, m, s" },
	{ "s", "must start with a number" },
	{ "1e3", "unknown unit" },
};

static void test_table(const char *what,
		       int (*fn)(const char *, uint64_t *, struct err *),
		       const struct good *good, size_t ngood,
		       const struct bad *bad, size_t nbad)
{
	for (size_t i = 0; i < ngood; i++) {
		struct err e = { "" };
		uint64_t sec = 12345;
		int r = fn(good[i].in, &sec, &e);

		if (r < 0)
			diag("error: %s", e.msg);
		ok(r == 0 && sec == good[i].sec, "%s '%s' = %llu", what,
		   good[i].in, (unsigned long long)good[i].sec);
		if (r == 0 && sec != good[i].sec)
			diag("  got %llu", (unsigned long long)sec);
	}
	for (size_t i = 0; i < nbad; i++) {
		struct err e = { "" };
		uint64_t sec = 12345;
		int r = fn(bad[i].in, &sec, &e);

		ok(r == -1 && sec == 12345 && strstr(e.msg, bad[i].msg),
		   "%s '%s' rejected: %s", what, bad[i].in, bad[i].msg);
		if (r != -1 || !strstr(e.msg, bad[i].msg))
			diag("  r=%d sec=%llu msg='%s'", r,
			     (unsigned long long)sec, e.msg);
	}
}

static void test_messages(void)
{
	struct err e = { "" };
	uint64_t sec;

	ok(timeparse_limit("1:75", &sec, &e) == -1, "1:75 fails");
	is_str(e.msg,
	       "invalid time limit '1:75': minutes and seconds must "
	       "be below 60",
	       "message names the value and the reason");
	ok(timeparse_duration("5\n", &sec, &e) == -1 &&
		   strstr(e.msg, "'5\\x0a'"),
	   "control characters are escaped: %s", e.msg);
	ok(timeparse_limit(NULL, &sec, &e) == -1 &&
		   !strcmp(e.msg, "empty time limit"),
	   "NULL is empty");
	ok(timeparse_duration(NULL, &sec, NULL) == -1, "NULL err is allowed");
}

static void test_format(void)
{
	static const struct good fmt[] = {
		{ "UNLIMITED", 0 },	   { "00:01", 1 },
		{ "00:59", 59 },	   { "01:00", 60 },
		{ "59:59", 3599 },	   { "01:00:00", 3600 },
		{ "23:59:59", 86399 },	   { "1-00:00:00", 86400 },
		{ "1-02:03:04", 93784 },   { "365-00:00:00", MAXS },
		{ "10-00:00:00", 864000 },
	};
	static const struct good dfmt[] = {
		{ "0s", 0 },	   { "1s", 1 },		  { "1m", 60 },
		{ "1h30m", 5400 }, { "1d2h3m4s", 93784 }, { "365d", MAXS },
		{ "1d1s", 86401 },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(fmt); i++)
		is_str(timeparse_format(fmt[i].sec, buf, sizeof(buf)),
		       fmt[i].in, "format %llu",
		       (unsigned long long)fmt[i].sec);
	for (size_t i = 0; i < ARRAY_SIZE(dfmt); i++)
		is_str(timeparse_format_duration(dfmt[i].sec, buf, sizeof(buf)),
		       dfmt[i].in, "format_duration %llu",
		       (unsigned long long)dfmt[i].sec);
	is_str(timeparse_format(0, buf, 4), "UNL", "format truncates to len");
	is_str(timeparse_format_duration(93784, buf, 4), "1d2",
	       "format_duration truncates to len");
	buf[0] = 'x';
	timeparse_format(5, buf, 0);
	ok(buf[0] == 'x', "len 0 writes nothing");
}

/* parse(format(x)) == x over a spread of values, both printers. */
static void test_round_trip(void)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	int bad_limit = 0, bad_dur = 0;

	for (int i = 0; i < 20000; i++) {
		char buf[32];
		struct err e = { "" };
		uint64_t sec, back = ~0ull;

		if (i < 10000) {
			sec = (uint64_t)i * 7;
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sec = x % (MAXS + 1);
		}
		timeparse_format(sec, buf, sizeof(buf));
		if (timeparse_limit(buf, &back, &e) < 0 || back != sec) {
			if (bad_limit++ < 5)
				diag("limit %llu -> '%s' -> %llu (%s)",
				     (unsigned long long)sec, buf,
				     (unsigned long long)back, e.msg);
		}
		timeparse_format_duration(sec, buf, sizeof(buf));
		if (timeparse_duration(buf, &back, &e) < 0 || back != sec) {
			if (bad_dur++ < 5)
				diag("duration %llu -> '%s' -> %llu (%s)",
				     (unsigned long long)sec, buf,
				     (unsigned long long)back, e.msg);
		}
	}
	is_int(bad_limit, 0, "timeparse_limit(timeparse_format(x)) == x");
	is_int(bad_dur, 0,
	       "timeparse_duration(timeparse_format_duration(x)) == x");
}

int main(void)
{
	test_table("limit", timeparse_limit, limit_good, ARRAY_SIZE(limit_good),
		   limit_bad, ARRAY_SIZE(limit_bad));
	test_table("duration", timeparse_duration, dur_good,
		   ARRAY_SIZE(dur_good), dur_bad, ARRAY_SIZE(dur_bad));
	test_messages();
	test_format();
	test_round_trip();
	return done_testing();
}
