/*
 * Batch script directives: the leading "#COLOSSUS" lines of a script
 * passed to `colossus submit SCRIPT`, which carry submit options the way
 * "#SBATCH" lines do for sbatch.
 *
 *   #!/bin/bash
 *   #COLOSSUS -N 4 --gpus-per-node 8
 *   #COLOSSUS --name "llama 70b"   # a comment after the options
 *   #COLOSSUS -t 2-00:00:00
 *   srun-like work starts here...
 *
 * Rules (the same as sbatch's, plus quoting):
 * - "#COLOSSUS" starts in column 1 and is followed by a blank or the end
 *   of the line.  Other spellings of it ("#colossus") are errors, so a
 *   typo cannot silently drop an option.
 * - Only the header counts: directives are read up to the first line that
 *   is neither blank nor a comment.  Later #COLOSSUS lines are ignored
 *   (ignored_line reports the first one, for a warning).  A first line
 *   starting with "#!" is the interpreter line.
 * - Words are split at blanks; '...' quotes literally, "..." quotes with
 *   \" \\ \$ \` escapes, a backslash outside quotes escapes the next
 *   character, and an unquoted '#' at the start of a word begins a
 *   comment.  Nothing is expanded ($HOME stays $HOME).  An unterminated
 *   quote or a trailing backslash is an error naming the line.
 *
 * Pure: text in, words out.
 */
#ifndef CLIENT_DIRECTIVES_H
#define CLIENT_DIRECTIVES_H

#include <stddef.h>

#include "common/err.h"
#include "common/util.h"

struct directive_line {
	unsigned line; /* 1-based line number in the script */
	int argc;
	char **argv; /* argc words, NULL-terminated; owned */
};

struct directives {
	struct directive_line *lines; /* only lines with at least one word */
	size_t n;
	unsigned ignored_line; /* first #COLOSSUS line after the header, or 0 */
};

/*
 * Parse the directives of a script of len bytes.  name is used in
 * messages ("job.sh:3: unterminated quote").  Returns 0 with *out filled
 * (free with directives_free), or -1 with e set and *out empty.
 */
int directives_parse(const char *text, size_t len, const char *name,
		     struct directives *out, struct err *e) MUSTCHECK;
/* Free everything *d holds and zero it.  No-op on NULL. */
void directives_free(struct directives *d);

#endif
