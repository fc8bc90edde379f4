/*
 * Human output: aligned plain-text tables and terminal colour.
 *
 * A table collects every cell first, then prints each column as wide as
 * its widest cell (capped by the column's maximum, where long cells are
 * cut and end in '+'), separated by two spaces, with no trailing blanks.
 * Control characters in cells become '?': cell text comes from the
 * controller and from other users (job names), and must not be able to
 * send escape sequences to the reader's terminal.
 *
 * Colour is used only when output_color_enabled() says so: the stream is
 * a terminal, NO_COLOR is unset or empty (https://no-color.org) and TERM
 * is not "dumb".  Colour never changes column widths.
 */
#ifndef CLIENT_OUTPUT_H
#define CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

enum output_color {
	OUTPUT_PLAIN = 0,
	OUTPUT_GREEN,
	OUTPUT_YELLOW,
	OUTPUT_RED,
	OUTPUT_BLUE,
	OUTPUT_DIM,
};

struct output_col {
	const char *header;
	unsigned maxwidth; /* 0 = unlimited */
	bool right;	   /* right-align (numbers) */
};

struct output_table;

/* cols is copied. */
struct output_table *output_table_create(const struct output_col *cols,
					 size_t ncols);
/* No-op on NULL. */
void output_table_destroy(struct output_table *t);
/* Start a new row; cells are then added left to right. */
void output_table_row(struct output_table *t);
/* Add a cell to the current row (text copied; NULL is ""). */
void output_table_cell(struct output_table *t, enum output_color color,
		       const char *text);
void output_table_cellf(struct output_table *t, enum output_color color,
			const char *fmt, ...) PRINTF_LIKE(3, 4);
size_t output_table_rows(const struct output_table *t);
/* Print the header line (if header) and every row. */
void output_table_print(const struct output_table *t, FILE *out, bool header,
			bool color);

/* The escape sequence that starts colour c; NULL for OUTPUT_PLAIN. */
const char *output_color_code(enum output_color c);
#define OUTPUT_COLOR_RESET "\033[0m"

/* Should colour be written to out?  (See the top of this file.) */
bool output_color_enabled(FILE *out);
/* Display width of a UTF-8 string: one column per code point. */
size_t output_width(const char *s);
/*
 * Local date and time "2024-11-24 14:05:09" for Unix seconds, or "-" for
 * 0.  Returns out.
 */
const char *output_time(int64_t unix_sec, char *out, size_t len);
/*
 * A duration as squeue prints it: "M:SS", "H:MM:SS" or "D-HH:MM:SS";
 * negative values print as "0:00".  Returns out.
 */
const char *output_duration(int64_t sec, char *out, size_t len);

#endif
