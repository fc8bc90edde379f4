/*
 * Fuzz target: batch-script directives (client/directives.c), the
 * "#COLOSSUS" header lines `colossus submit SCRIPT` reads.  Properties:
 * every returned line has at least one word, a NULL-terminated argv and
 * a line number that grows, and ignored_line (if any) follows them.
 */
#include "config.h"

#include "client/directives.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct directives d;
	struct err e;
	unsigned last = 0;

	if (directives_parse((const char *)data, size, "fuzz.sh", &d, &e) < 0) {
		FUZZ_CHECK(d.n == 0 && !d.lines, "a failed parse left lines");
		FUZZ_CHECK(!strncmp(e.msg, "fuzz.sh", 7), "message '%s'",
			   e.msg);
		return 0;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct directive_line *l = &d.lines[i];

		FUZZ_CHECK(l->argc >= 1 && l->argv[l->argc] == NULL,
			   "line %u: argc %d", l->line, l->argc);
		FUZZ_CHECK(l->line > last, "line %u after %u", l->line, last);
		for (int a = 0; a < l->argc; a++)
			(void)strlen(l->argv[a]);
		last = l->line;
	}
	FUZZ_CHECK(d.ignored_line == 0 || d.ignored_line > last,
		   "ignored line %u before directive line %u", d.ignored_line,
		   last);
	directives_free(&d);
	return 0;
}
