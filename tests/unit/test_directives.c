/*
 * Unit tests for client/directives.c: #COLOSSUS lines in batch scripts,
 * their quoting, malformed lines, and where directives stop.
 */
#include "config.h"

#include <string.h>

#include "client/directives.h"
#include "tests/lib/tap.h"

static int parse(const char *text, struct directives *d, struct err *e)
{
	return directives_parse(text, strlen(text), "job.sh", d, e);
}

/* Join every word of every line with '|' for compact comparisons. */
static const char *joined(const struct directives *d)
{
	static char buf[1024];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		for (int k = 0; k < d->lines[i].argc; k++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "%s%s", used ? "|" : "",
						 d->lines[i].argv[k]);
	return buf;
}

static void test_basic(void)
{
	struct directives d;
	struct err e;

	ok(parse("#!/bin/bash\n#COLOSSUS -N 4 --gpus-per-node 8\n"
		 "#COLOSSUS -t 2-00:00:00\necho hi\n",
		 &d, &e) == 0,
	   "a plain header parses");
	is_int(d.n, 2, "two directive lines");
	is_int(d.lines[0].line, 2, "first directive is on line 2");
	is_int(d.lines[0].argc, 4, "four words on it");
	is_str(d.lines[0].argv[3], "8", "last word");
	ok(d.lines[0].argv[4] == NULL, "argv is NULL-terminated");
	is_int(d.lines[1].line, 3, "second directive is on line 3");
	is_str(joined(&d), "-N|4|--gpus-per-node|8|-t|2-00:00:00",
	       "words in order");
	is_int(d.ignored_line, 0, "nothing ignored");
	directives_free(&d);

	ok(parse("", &d, &e) == 0 && d.n == 0, "an empty script has none");
	directives_free(&d);
	ok(parse("echo hi\n", &d, &e) == 0 && d.n == 0,
	   "a script without directives has none");
	directives_free(&d);
	ok(parse("#COLOSSUS -N 2", &d, &e) == 0 && d.n == 1,
	   "a last line without newline counts");
	directives_free(&d);
	ok(parse("#COLOSSUS\n#COLOSSUS   \n", &d, &e) == 0 && d.n == 0,
	   "directives without words are dropped");
	directives_free(&d);
}

static void test_header_end(void)
{
	struct directives d;
	struct err e;

	ok(parse("#!/bin/sh\n\n# a comment\n   # indented comment\n"
		 "#COLOSSUS -N 2\n\t\nhostname\n#COLOSSUS -N 9\n"
		 "#COLOSSUS -J late\n",
		 &d, &e) == 0,
	   "directives after the first command parse");
	is_str(joined(&d), "-N|2", "only the header's directive is used");
	is_int(d.ignored_line, 8, "the first late directive is reported");
	directives_free(&d);

	ok(parse("#COLOSSUS -J a\r\n#COLOSSUS -N 3\r\nrun\r\n", &d, &e) == 0,
	   "CRLF line ends parse");
	is_str(joined(&d), "-J|a|-N|3", "carriage returns are stripped");
	directives_free(&d);

	ok(parse("#COLOSSUSX -N 2\n#COLOSSUS -N 3\n", &d, &e) == 0,
	   "#COLOSSUSX is an ordinary comment");
	is_str(joined(&d), "-N|3", "and contributes nothing");
	directives_free(&d);

	ok(parse(" #COLOSSUS -N 2\n", &d, &e) == 0 && d.n == 0,
	   "an indented #COLOSSUS is a comment (as with #SBATCH)");
	directives_free(&d);

	ok(parse("# COLOSSUS -N 2\n#COLOSSUS\t-N\t5\n", &d, &e) == 0,
	   "'# COLOSSUS' is a comment; tabs separate words");
	is_str(joined(&d), "-N|5", "tab-separated directive");
	directives_free(&d);
}

static void test_quoting(void)
{
	struct directives d;
	struct err e;

	ok(parse("#COLOSSUS -J \"llama 70b\" --export 'A=x y' B\\ C\n", &d,
		 &e) == 0,
	   "quoted words parse");
	is_str(joined(&d), "-J|llama 70b|--export|A=x y|B C",
	       "double, single and backslash quoting");
	directives_free(&d);

	ok(parse("#COLOSSUS --export \"Q=a\\\"b\\\\c\\$d\\x\"\n", &d, &e) == 0,
	   "escapes in double quotes");
	is_str(joined(&d), "--export|Q=a\"b\\c$d\\x",
	       "\\\" \\\\ \\$ unescape, others stay");
	directives_free(&d);

	ok(parse("#COLOSSUS -J '' -N 2\n", &d, &e) == 0, "empty quotes");
	is_int(d.lines[0].argc, 4, "'' is a word of its own");
	is_str(d.lines[0].argv[1], "", "and it is empty");
	directives_free(&d);

	ok(parse("#COLOSSUS -N 2 # two nodes\n", &d, &e) == 0,
	   "trailing comment");
	is_str(joined(&d), "-N|2", "an unquoted # starting a word ends it");
	directives_free(&d);

	ok(parse("#COLOSSUS -J a#b '#c'\n", &d, &e) == 0, "# inside words");
	is_str(joined(&d), "-J|a#b|#c", "# inside a word or quotes is kept");
	directives_free(&d);

	ok(parse("#COLOSSUS --export A=$HOME\n", &d, &e) == 0, "no expansion");
	is_str(joined(&d), "--export|A=$HOME", "$HOME stays literal");
	directives_free(&d);

	ok(parse("#COLOSSUS -J x'y z'\"w\"\n", &d, &e) == 0,
	   "adjacent quoted parts");
	is_str(joined(&d), "-J|xy zw", "join into one word");
	directives_free(&d);
}

static void test_errors(void)
{
	struct directives d;
	struct err e;

	ok(parse("#!/bin/sh\n#COLOSSUS -J 'open\n", &d, &e) < 0,
	   "unterminated single quote fails");
	is_str(e.msg, "job.sh:2: unterminated ' quote",
	       "the message names file and line");
	ok(d.n == 0 && d.lines == NULL, "the output is empty on error");

	ok(parse("#COLOSSUS -J \"open\n", &d, &e) < 0,
	   "unterminated double quote fails");
	is_str(e.msg, "job.sh:1: unterminated \" quote", "message");

	ok(parse("#COLOSSUS -N 2 \\\n#COLOSSUS 3\n", &d, &e) < 0,
	   "a trailing backslash fails (no continuation lines)");
	is_str(e.msg, "job.sh:1: backslash at the end of the line", "message");

	ok(parse("#colossus -N 2\n", &d, &e) < 0, "#colossus is refused");
	is_str(e.msg, "job.sh:1: write the directive as #COLOSSUS (upper case)",
	       "so a typo cannot silently drop options");

	ok(directives_parse("#COLOSSUS -N 2\n\0x", 16, "bin", &d, &e) < 0,
	   "a NUL byte fails");
	is_str(e.msg, "bin: contains a NUL byte (not a text script?)",
	       "message");

	ok(parse("echo\n#colossus late\n#COLOSSUS 'bad\n", &d, &e) == 0,
	   "after the header nothing is parsed, not even bad lines");
	is_int(d.ignored_line, 3, "but the late directive is reported");
	directives_free(&d);
	directives_free(NULL);
	ok(1, "directives_free(NULL) is a no-op");
}

int main(void)
{
	test_basic();
	test_header_end();
	test_quoting();
	test_errors();
	return done_testing();
}
