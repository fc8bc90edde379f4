/*
 * --format: which columns a listing prints, by name.
 *
 *   --format id,name,state,time        exactly these columns
 *   --format +account,qos              the defaults, then these
 *   --format id,name:40,reason:0       with widths (0 = unlimited)
 *
 * Names are matched without regard to case, and '-' equals '_'.  A
 * listing declares its columns in a table of struct format_col; the
 * default selection is itself a format string, parsed the same way.
 * Pure.
 */
#ifndef CLIENT_FORMAT_H
#define CLIENT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "client/output.h"
#include "common/err.h"
#include "common/util.h"

#define FORMAT_MAX_COLS 32
#define FORMAT_MAX_WIDTH 1000

struct format_col {
	const char *name;   /* "time_limit" */
	const char *header; /* "TIME_LIMIT" */
	unsigned width;	    /* default maximum width, 0 = unlimited */
	bool right;	    /* right-aligned (numbers) */
	const char *help;   /* one line for --help */
};

/* The table ends with an entry whose name is NULL. */
#define FORMAT_END                                                             \
	{                                                                      \
		NULL, NULL, 0, false, NULL                                     \
	}

struct format_sel {
	size_t n;
	size_t idx[FORMAT_MAX_COLS];	 /* index into the column table */
	unsigned width[FORMAT_MAX_COLS]; /* maximum width, 0 = unlimited */
};

/*
 * Select columns: spec NULL or "" gives the defaults; "+..." appends to
 * the defaults.  Returns 0, or -1 with e set (unknown column with the
 * valid names, empty item, bad width, too many columns).
 */
int format_parse(const struct format_col *cols, const char *defaults,
		 const char *spec, struct format_sel *out,
		 struct err *e) MUSTCHECK;
/* An empty table with the selected columns' headers and widths. */
struct output_table *format_table(const struct format_col *cols,
				  const struct format_sel *sel);
/* "  id          job id" lines for --help. */
void format_help(FILE *out, const struct format_col *cols);

#endif
