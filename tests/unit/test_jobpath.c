/*
 * Unit tests for client/jobpath.c: output patterns expanded as the
 * agent's shepherd expands them, relative to the working directory.
 */
#include "config.h"

#include "client/jobpath.h"
#include "tests/lib/tap.h"

static const char *x(const char *pat, const char *wd)
{
	static char buf[256];

	if (jobpath_expand(pat, wd, 4711, 3, 2, "n00042", buf, sizeof(buf)) < 0)
		return "error";
	return buf;
}

int main(void)
{
	char small[16];

	is_str(x(NULL, "/home/a"), "/home/a/colossus-4711-3.out",
	       "no pattern: the agent's default");
	is_str(x("", "/home/a/"), "/home/a/colossus-4711-3.out",
	       "empty pattern, workdir with a slash");
	is_str(x("logs/%j-%r-%e-%n.log", "/w"), "/w/logs/4711-3-2-n00042.log",
	       "every escape");
	is_str(x("/abs/%j.out", "/w"), "/abs/4711.out", "absolute pattern");
	is_str(x("100%%-%j", NULL), "100%-4711", "%% and no workdir");
	is_str(x("bad-%x", "/w"), "error", "unknown escape");
	ok(jobpath_expand("%j%j%j%j", NULL, 4711, 0, 1, "n", small,
			  sizeof(small)) < 0,
	   "too long for the buffer");
	return done_testing();
}
