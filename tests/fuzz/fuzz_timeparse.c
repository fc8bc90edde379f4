/*
 * Fuzz target: time limits and durations (common/timeparse.c), parsed
 * from `colossus submit -t`, #COLOSSUS lines and config files.
 * Properties: accepted values are at most TIMEPARSE_MAX_SEC; the printed
 * forms parse back to the same value (timeparse_format with
 * timeparse_limit, timeparse_format_duration with timeparse_duration).
 */
#include "config.h"

#include "common/timeparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fz_check(uint64_t sec)
{
	char buf[64];
	uint64_t back = 12345;
	struct err e;

	FUZZ_CHECK(sec <= TIMEPARSE_MAX_SEC, "%llu s accepted",
		   (unsigned long long)sec);
	timeparse_format(sec, buf, sizeof(buf));
	FUZZ_CHECK(timeparse_limit(buf, &back, &e) == 0 && back == sec,
		   "%llu printed as '%s' reads back as %llu (%s)",
		   (unsigned long long)sec, buf, (unsigned long long)back,
		   e.msg);
	timeparse_format_duration(sec, buf, sizeof(buf));
	FUZZ_CHECK(timeparse_duration(buf, &back, &e) == 0 && back == sec,
		   "%llu printed as '%s' reads back as %llu",
		   (unsigned long long)sec, buf, (unsigned long long)back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint64_t sec = 777;
	struct err e;

	if (timeparse_limit(s, &sec, &e) == 0)
		fz_check(sec);
	else
		FUZZ_CHECK(sec == 777, "a failed parse changed the value");
	sec = 777;
	if (timeparse_duration(s, &sec, &e) == 0)
		fz_check(sec);
	else
		FUZZ_CHECK(sec == 777, "a failed parse changed the value");
	/* Any value prints into the documented 32 bytes. */
	if (size >= 8) {
		uint64_t v;
		char buf[32];

		memcpy(&v, data, sizeof(v));
		FUZZ_CHECK(strlen(timeparse_format_duration(
				   v, buf, sizeof(buf))) < sizeof(buf) - 1,
			   "duration %llu fills the buffer",
			   (unsigned long long)v);
		(void)timeparse_format(v, buf, sizeof(buf));
	}
	free(s);
	return 0;
}
