/*
 * Unit tests for common/hostlist.c: expansion, zero padding, limits,
 * malformed expressions, compression, sort/uniq, and parse/format round
 * trips over a few thousand random lists (fixed seed, so reproducible).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hostlist.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

/* A deterministic generator (xorshift64), independent of libc's rand(). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned rng_below(unsigned n)
{
	return (unsigned)(rng() % n);
}

/* Join the names of hl with spaces, for compact comparisons. */
static char *joined(const struct hostlist *hl)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < hostlist_count(hl); i++)
		len += strlen(hostlist_nth(hl, i)) + 1;
	s = xcalloc(1, len);
	for (size_t i = 0; i < hostlist_count(hl); i++) {
		if (i)
			strcat(s, " ");
		strcat(s, hostlist_nth(hl, i));
	}
	return s;
}

/* Parse expr into a fresh list and compare the expansion with want. */
static void expands(const char *expr, const char *want)
{
	struct hostlist *hl = hostlist_create();
	struct err e = { "" };
	int r = hostlist_parse(hl, expr, 1000, &e);
	char *got;

	if (r < 0)
		diag("error: %s", e.msg);
	got = joined(hl);
	ok(r == 0 && !strcmp(got, want), "'%s' expands to '%s'", expr, want);
	if (r == 0 && strcmp(got, want))
		diag("  got: '%s'", got);
	free(got);
	hostlist_destroy(hl);
}

/* expr must fail with a message containing what, leaving hl unchanged. */
static void rejects(const char *expr, const char *what)
{
	struct hostlist *hl = hostlist_create();
	struct err e = { "" };
	int r;

	if (hostlist_push(hl, "keep1") < 0)
		abort();
	r = hostlist_parse(hl, expr, 1000, &e);
	ok(r == -1 && strstr(e.msg, what) && hostlist_count(hl) == 1 &&
		   !strcmp(hostlist_nth(hl, 0), "keep1"),
	   "rejects '%s' (%s)", expr, what);
	if (r != -1 || !strstr(e.msg, what))
		diag("  r=%d msg='%s'", r, e.msg);
	hostlist_destroy(hl);
}

/* Build a list from space-separated names and compare its format. */
static void formats(const char *names, const char *want)
{
	struct hostlist *hl = hostlist_create();
	char *copy = xstrdup(names), *save = NULL, *got;

	for (char *t = strtok_r(copy, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		if (hostlist_push(hl, t) < 0)
			abort();
	got = hostlist_format(hl);
	is_str(got, want, "format '%s'", names);
	free(got);
	free(copy);
	hostlist_destroy(hl);
}

static void test_parse(void)
{
	expands("n[00001-00008,00012],login1",
		"n00001 n00002 n00003 n00004 n00005 n00006 n00007 n00008 "
		"n00012 login1");
	expands("n1", "n1");
	expands("a,b,c", "a b c");
	expands("n[001-010]",
		"n001 n002 n003 n004 n005 n006 n007 n008 n009 n010");
	expands("n[8-10]", "n8 n9 n10");
	expands("n[098-101]", "n098 n099 n100 n101");
	expands("n[01-3]", "n01 n02 n03");
	expands("n[7]", "n7");
	expands("n[3-3]", "n3");
	expands("n[1-2]-ib", "n1-ib n2-ib");
	expands("[1-3]", "1 2 3");
	expands("gpu-[1,3,5-6].site", "gpu-1.site gpu-3.site gpu-5.site "
				      "gpu-6.site");
	expands("n[1-2],n[1-2]", "n1 n2 n1 n2");
	expands("n[3,1,2]", "n3 n1 n2");
	expands("a.b_c-d", "a.b_c-d");
	expands("n[0]", "n0");
	expands("n[000000000000000001-000000000000000002]",
		"n000000000000000001 n000000000000000002");
	expands("n[999999999999999998-999999999999999999]",
		"n999999999999999998 n999999999999999999");
}

static void test_append_and_limits(void)
{
	struct hostlist *hl = hostlist_create();
	struct err e = { "" };

	ok(hostlist_parse(hl, "a[1-3]", 10, &e) == 0, "parse a[1-3]");
	ok(hostlist_parse(hl, "b[1-7]", 10, &e) == 0,
	   "appending up to exactly max_names works");
	is_int(hostlist_count(hl), 10, "ten names");
	is_str(hostlist_nth(hl, 3), "b1", "appended after the first list");
	ok(hostlist_parse(hl, "c", 10, &e) == -1,
	   "one more name than max_names fails");
	ok(strstr(e.msg, "exceeds the limit of 10 names") != NULL,
	   "message: %s", e.msg);
	is_int(hostlist_count(hl), 10, "list unchanged after failure");
	ok(hostlist_nth(hl, 10) == NULL, "nth past the end is NULL");
	hostlist_destroy(hl);

	hl = hostlist_create();
	ok(hostlist_parse(hl, "n[0-999999999]", 100000, &e) == -1,
	   "n[0-999999999] is refused by max_names");
	ok(strstr(e.msg, "exceeds the limit of 100000 names") != NULL,
	   "message: %s", e.msg);
	is_int(hostlist_count(hl), 0, "nothing appended");
	ok(hostlist_parse(hl, "n[1-5],m[1-5]", 9, &e) == -1,
	   "limit counts the whole expression");
	is_int(hostlist_count(hl), 0, "nothing appended");
	ok(hostlist_parse(hl, "n[1-999999999999999999]", 1000, &e) == -1,
	   "an 18-digit range is refused before expansion");
	hostlist_destroy(hl);
	hostlist_destroy(NULL);
	ok(1, "hostlist_destroy(NULL) is a no-op");
}

static void test_malformed(void)
{
	char longname[300];

	rejects("", "empty");
	rejects("n[", "unbalanced '['");
	rejects("n[1-2", "unbalanced '['");
	rejects("n[1-2,", "unbalanced '['");
	rejects("n]", "unbalanced ']'");
	rejects("n[1-2]]", "unbalanced ']'");
	rejects("]", "unbalanced ']'");
	rejects("n[[1-2]]", "nested '['");
	rejects("n[1-[2]]", "nested '['");
	rejects("n[1-2]x[3]", "one bracket");
	rejects("n[5-3]", "above its end");
	rejects("n[]", "empty range");
	rejects("n[1,,2]", "empty range");
	rejects("n[1,]", "empty range");
	rejects("n[,1]", "empty range");
	rejects("n[1-]", "missing end of range");
	rejects("n[-1]", "expected a number");
	rejects("n[1--2]", "missing end of range");
	rejects("n[1-2-3]", "expected ',' or ']'");
	rejects("n[a-b]", "invalid character in range");
	rejects("n[1 -2]", "invalid character in range");
	rejects("n[1234567890123456789]", "longer than 18 digits");
	rejects("n[1-1234567890123456789]", "longer than 18 digits");
	rejects("a,,b", "empty name");
	rejects(",a", "empty name");
	rejects("a,", "empty name");
	rejects("a b", "invalid character");
	rejects("a\tb", "invalid character");
	rejects("n@1", "invalid character");
	rejects("n[1-2]@", "invalid character");
	rejects("n\xc3\xa9", "invalid character");
	rejects("n[1-2],", "empty name");
	memset(longname, 'x', 299);
	longname[299] = '\0';
	rejects(longname, "name too long");
	/* 254 + 2 digits of "10" is one over HOSTLIST_NAME_MAX. */
	memset(longname, 'x', 254);
	memcpy(longname + 254, "[1-10]", 7);
	rejects(longname, "name too long");
	memcpy(longname + 254, "[1-9]", 6);
	expands(longname + 250, "xxxx1 xxxx2 xxxx3 xxxx4 xxxx5 xxxx6 xxxx7 "
				"xxxx8 xxxx9");

	{
		struct hostlist *hl = hostlist_create();
		struct err e = { "" };

		ok(hostlist_parse(hl, NULL, 10, &e) == -1, "NULL expression");
		ok(hostlist_parse(hl, "n[1-2", 10, &e) == -1 &&
			   strstr(e.msg, "'n[1-2'") &&
			   strstr(e.msg, "offset 1"),
		   "message quotes expression and offset: %s", e.msg);
		ok(hostlist_parse(hl, "n\x01", 10, &e) == -1 &&
			   strstr(e.msg, "\\x01") && strstr(e.msg, "0x01"),
		   "control characters are escaped: %s", e.msg);
		hostlist_destroy(hl);
	}
}

static void test_push(void)
{
	struct hostlist *hl = hostlist_create();
	const char *bad[] = { "", "a b", "a,b", "n[1]", "a\n", "\xc3\xa9" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		ok(hostlist_push(hl, bad[i]) == -1 && errno == EINVAL,
		   "push rejects invalid name #%zu", i);
	}
	ok(hostlist_push(hl, "ok-name_1.x") == 0, "push accepts valid name");
	is_int(hostlist_count(hl), 1, "one name stored");
	hostlist_destroy(hl);
}

static void test_format(void)
{
	char *s;
	struct hostlist *hl = hostlist_create();

	s = hostlist_format(hl);
	is_str(s, "", "empty list formats as \"\"");
	free(s);
	hostlist_destroy(hl);

	formats("n01 n02 n03 n07", "n[01-03,07]");
	formats("n5", "n5");
	formats("login", "login");
	formats("a1 login a2", "a1,login,a2");
	formats("n9 n10", "n[9-10]");
	formats("n09 n10", "n[09-10]");
	formats("n9 n010", "n[9,010]");
	formats("n099 n100 n101", "n[099-101]");
	formats("n1 n01", "n[1,01]");
	formats("a1 a2 b1 b2", "a[1-2],b[1-2]");
	formats("n3 n1 n2", "n[3,1-2]");
	formats("n1 n2 n1 n2", "n[1-2,1-2]");
	formats("n2 n1", "n[2,1]");
	formats("n1-ib n2-ib", "n1-ib,n2-ib");
	formats("1 2 3 5", "[1-3,5]");
	formats("gpu-1 gpu-2", "gpu-[1-2]");
	formats("n12345678901234567890 n12345678901234567891",
		"n12345678901234567890,n12345678901234567891");
	formats("n0 n1", "n[0-1]");
	formats("x a1 a2 x", "x,a[1-2],x");
	formats("r1n1 r1n2 r2n1", "r1n[1-2],r2n1");
}

static void test_sort_uniq(void)
{
	struct hostlist *hl = hostlist_create();
	const char *in[] = { "n10", "n9", "n09", "n1", "a",
			     "n1",  "b2", "b",	 "n1", "m" };
	char *got;

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		if (hostlist_push(hl, in[i]) < 0)
			abort();
	hostlist_sort_uniq(hl);
	got = joined(hl);
	is_str(got, "a b b2 m n1 n9 n09 n10", "sort by (prefix, number), uniq");
	free(got);
	got = hostlist_format(hl);
	is_str(got, "a,b,b2,m,n[1,9,09-10]", "sorted list formats");
	free(got);
	hostlist_destroy(hl);

	hl = hostlist_create();
	hostlist_sort_uniq(hl);
	is_int(hostlist_count(hl), 0, "sort_uniq on an empty list");
	hostlist_destroy(hl);
}

static void test_large(void)
{
	struct hostlist *hl = hostlist_create();
	struct err e = { "" };
	int64_t t0 = util_now_mono_us();
	char *s;
	int r;

	r = hostlist_parse(hl, "n[00001-25088]", 200000, &e);
	ok(r == 0, "parse n[00001-25088]");
	is_int(hostlist_count(hl), 25088, "25088 names");
	is_str(hostlist_nth(hl, 25087), "n25088", "last name");
	s = hostlist_format(hl);
	is_str(s, "n[00001-25088]", "formats back to one range");
	free(s);
	/* Information only: the contract is milliseconds, not asserted. */
	diag("parse+format of 25088 names: %lld us",
	     (long long)(util_now_mono_us() - t0));

	/* Reverse order: no ranges, but still linear. */
	hostlist_destroy(hl);
	hl = hostlist_create();
	for (int i = 25088; i >= 1; i--) {
		char name[16];

		snprintf(name, sizeof(name), "n%05d", i);
		if (hostlist_push(hl, name) < 0)
			abort();
	}
	s = hostlist_format(hl);
	ok(!strncmp(s, "n[25088,25087,", 14), "descending list keeps order");
	free(s);
	hostlist_sort_uniq(hl);
	s = hostlist_format(hl);
	is_str(s, "n[00001-25088]", "sorted descending list is one range");
	free(s);
	hostlist_destroy(hl);
}

/* A random name: prefix + optional zero-padded number + optional suffix. */
static void random_name(char *out, size_t len, uint64_t *last, int *lastw)
{
	static const char *prefixes[] = {
		"n", "gpu-", "r1n", "a.b_c", "", "x"
	};
	static const char *suffixes[] = { "", "", "", "", "-ib", "x" };
	const char *pre = prefixes[rng_below(ARRAY_SIZE(prefixes))];
	uint64_t num;
	int width;

	if (rng_below(10) == 0) {
		snprintf(out, len, "login%s", rng_below(2) ? "" : "-a");
		return;
	}
	/* Mostly continue a run so that ranges form. */
	if (rng_below(3) && *last < 99999) {
		num = *last + 1;
		width = *lastw;
	} else {
		num = rng_below(3) == 0 ? rng() % 1000000000000000000ull
					: rng_below(2000);
		width = (int)rng_below(7);
	}
	*last = num;
	*lastw = width;
	if (rng_below(20) == 0)
		pre = "n";
	snprintf(out, len, "%s%0*llu%s", pre, width, (unsigned long long)num,
		 suffixes[rng_below(ARRAY_SIZE(suffixes))]);
}

static bool same_names(const struct hostlist *a, const struct hostlist *b)
{
	if (hostlist_count(a) != hostlist_count(b))
		return false;
	for (size_t i = 0; i < hostlist_count(a); i++)
		if (strcmp(hostlist_nth(a, i), hostlist_nth(b, i)))
			return false;
	return true;
}

static void test_round_trip_lists(void)
{
	int bad = 0;

	for (int iter = 0; iter < 3000; iter++) {
		struct hostlist *a = hostlist_create(), *b = hostlist_create();
		size_t n = 1 + rng_below(60);
		uint64_t last = 0;
		int lastw = 1;
		struct err e = { "" };
		char *s1, *s2 = NULL;

		for (size_t i = 0; i < n; i++) {
			char name[64];

			random_name(name, sizeof(name), &last, &lastw);
			if (hostlist_push(a, name) < 0) {
				diag("bad generated name '%s'", name);
				bad++;
			}
		}
		if (iter % 2)
			hostlist_sort_uniq(a);
		s1 = hostlist_format(a);
		if (hostlist_parse(b, s1, 100000, &e) < 0) {
			if (bad++ < 5)
				diag("iter %d: '%s' does not parse: %s", iter,
				     s1, e.msg);
		} else if (!same_names(a, b)) {
			if (bad++ < 5)
				diag("iter %d: '%s' parses differently", iter,
				     s1);
		} else {
			s2 = hostlist_format(b);
			if (strcmp(s1, s2) && bad++ < 5)
				diag("iter %d: '%s' reformats as '%s'", iter,
				     s1, s2);
		}
		free(s1);
		free(s2);
		hostlist_destroy(a);
		hostlist_destroy(b);
	}
	is_int(bad, 0, "3000 random lists: format -> parse -> same list");
}

/* Random expressions: parse -> format -> parse gives the same list. */
static void test_round_trip_exprs(void)
{
	int bad = 0;

	for (int iter = 0; iter < 2000; iter++) {
		char expr[4096] = "";
		size_t items = 1 + rng_below(6);
		struct hostlist *a = hostlist_create(), *b = hostlist_create();
		struct err e = { "" };
		char *s;

		for (size_t i = 0; i < items; i++) {
			size_t len = strlen(expr);
			size_t ranges = 1 + rng_below(4);
			int width = 1 + (int)rng_below(5);

			snprintf(expr + len, sizeof(expr) - len, "%s%s[",
				 i ? "," : "", rng_below(2) ? "n" : "node-");
			for (size_t r = 0; r < ranges; r++) {
				unsigned lo = rng_below(200),
					 hi = lo + rng_below(30);

				len = strlen(expr);
				if (rng_below(2))
					snprintf(expr + len, sizeof(expr) - len,
						 "%s%0*u-%0*u", r ? "," : "",
						 width, lo, width, hi);
				else
					snprintf(expr + len, sizeof(expr) - len,
						 "%s%0*u", r ? "," : "", width,
						 lo);
			}
			len = strlen(expr);
			snprintf(expr + len, sizeof(expr) - len, "]%s",
				 rng_below(4) ? "" : "-ib");
		}
		if (hostlist_parse(a, expr, 100000, &e) < 0) {
			if (bad++ < 5)
				diag("'%s' does not parse: %s", expr, e.msg);
			goto next;
		}
		s = hostlist_format(a);
		if (hostlist_parse(b, s, 100000, &e) < 0 || !same_names(a, b)) {
			if (bad++ < 5)
				diag("'%s' -> '%s' does not round-trip", expr,
				     s);
		}
		free(s);
	next:
		hostlist_destroy(a);
		hostlist_destroy(b);
	}
	is_int(bad, 0, "2000 random expressions: parse -> format -> parse");
}

int main(void)
{
	test_parse();
	test_append_and_limits();
	test_malformed();
	test_push();
	test_format();
	test_sort_uniq();
	test_large();
	test_round_trip_lists();
	test_round_trip_exprs();
	return done_testing();
}
