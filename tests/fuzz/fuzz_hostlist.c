/*
 * Fuzz target: hostlist expressions (common/hostlist.c).  Properties:
 * format(parse(x)) parses to the same names in the same order; the same
 * holds after sort_uniq, whose result is sorted and free of duplicates;
 * a failed parse leaves the list unchanged.
 */
#include "config.h"

#include "common/hostlist.h"
#include "tests/fuzz/fuzz.h"

/* Small enough that "n[0-99999]" costs milliseconds, not seconds. */
#define FZ_MAX_NAMES 20000

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fz_same(const struct hostlist *a, const struct hostlist *b,
		    const char *expr)
{
	FUZZ_CHECK(hostlist_count(a) == hostlist_count(b),
		   "'%s' gives %zu names, not %zu", expr, hostlist_count(b),
		   hostlist_count(a));
	for (size_t i = 0; i < hostlist_count(a); i++)
		FUZZ_CHECK(!strcmp(hostlist_nth(a, i), hostlist_nth(b, i)),
			   "'%s': name %zu is '%s', not '%s'", expr, i,
			   hostlist_nth(b, i), hostlist_nth(a, i));
}

/* format(hl) must parse back to hl. */
static void fz_roundtrip(const struct hostlist *hl)
{
	char *expr = hostlist_format(hl);
	struct hostlist *back = hostlist_create();
	struct err e;

	if (hostlist_count(hl) == 0) {
		FUZZ_CHECK(expr[0] == '\0', "empty list formats as '%s'", expr);
	} else {
		FUZZ_CHECK(hostlist_parse(back, expr, FZ_MAX_NAMES, &e) == 0,
			   "formatted '%s' does not parse: %s", expr, e.msg);
		fz_same(hl, back, expr);
	}
	hostlist_destroy(back);
	free(expr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr = fuzz_cstr(data, size);
	struct hostlist *hl = hostlist_create();
	struct err e;

	/* A name first, so "unchanged on error" is a real check. */
	if (hostlist_push(hl, "pre1") < 0)
		abort();
	if (hostlist_parse(hl, expr, FZ_MAX_NAMES, &e) < 0) {
		FUZZ_CHECK(hostlist_count(hl) == 1 &&
				   !strcmp(hostlist_nth(hl, 0), "pre1"),
			   "a failed parse changed the list");
	} else {
		FUZZ_CHECK(hostlist_count(hl) <= FZ_MAX_NAMES, "%zu names",
			   hostlist_count(hl));
		fz_roundtrip(hl);
		hostlist_sort_uniq(hl);
		for (size_t i = 1; i < hostlist_count(hl); i++)
			FUZZ_CHECK(strcmp(hostlist_nth(hl, i - 1),
					  hostlist_nth(hl, i)) != 0,
				   "duplicate '%s' after sort_uniq",
				   hostlist_nth(hl, i));
		fz_roundtrip(hl);
	}
	hostlist_destroy(hl);
	free(expr);
	return 0;
}
