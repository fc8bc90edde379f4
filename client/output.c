/*
 * Aligned tables, colour and time formatting for human output (see
 * output.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/output.h"
#include "common/xalloc.h"

struct output_cell {
	char *text;
	enum output_color color;
};

struct output_table {
	struct output_col *cols;
	size_t ncols;
	struct output_cell *cells; /* rows * ncols, row-major */
	size_t nrows, cap_rows;
	size_t cur; /* next cell index in the current row */
};

struct output_table *output_table_create(const struct output_col *cols,
					 size_t ncols)
{
	struct output_table *t = xcalloc(1, sizeof(*t));

	t->cols = xcalloc(ncols ? ncols : 1, sizeof(*t->cols));
	memcpy(t->cols, cols, ncols * sizeof(*cols));
	t->ncols = ncols;
	return t;
}

void output_table_destroy(struct output_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t->cols);
	free(t);
}

void output_table_row(struct output_table *t)
{
	if (t->nrows == t->cap_rows) {
		t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 32;
		t->cells = xreallocarray(t->cells, t->cap_rows * t->ncols + 1,
					 sizeof(*t->cells));
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(*t->cells));
	t->nrows++;
	t->cur = 0;
}

/* Copy text, replacing control bytes so cells cannot drive the terminal. */
static char *output_sanitize(const char *text)
{
	char *s = xstrdup(text ? text : "");

	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

void output_table_cell(struct output_table *t, enum output_color color,
		       const char *text)
{
	struct output_cell *c;

	if (t->nrows == 0 || t->cur >= t->ncols)
		return; /* a caller bug; dropping the cell beats overflowing */
	c = &t->cells[(t->nrows - 1) * t->ncols + t->cur++];
	c->text = output_sanitize(text);
	c->color = color;
}

void output_table_cellf(struct output_table *t, enum output_color color,
			const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	output_table_cell(t, color, buf);
}

size_t output_table_rows(const struct output_table *t)
{
	return t->nrows;
}

size_t output_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}

/* Bytes of s that hold its first w code points. */
static size_t output_prefix_bytes(const char *s, size_t w)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (p[n]) {
		if ((p[n] & 0xc0) != 0x80) {
			if (w == 0)
				break;
			w--;
		}
		n++;
	}
	return n;
}

const char *output_color_code(enum output_color c)
{
	switch (c) {
	case OUTPUT_GREEN:
		return "\033[32m";
	case OUTPUT_YELLOW:
		return "\033[33m";
	case OUTPUT_RED:
		return "\033[31m";
	case OUTPUT_BLUE:
		return "\033[34m";
	case OUTPUT_DIM:
		return "\033[2m";
	case OUTPUT_PLAIN:
	default:
		return NULL;
	}
}

static void output_put_cell(FILE *out, const struct output_col *col,
			    const char *text, enum output_color color,
			    size_t width, bool last, bool use_color)
{
	size_t w = output_width(text);
	const char *code = use_color ? output_color_code(color) : NULL;
	size_t pad;

	if (col->maxwidth && w > col->maxwidth) {
		/* Cut to maxwidth - 1 code points and mark the cut. */
		size_t keep = output_prefix_bytes(text, col->maxwidth - 1);

		if (code)
			fputs(code, out);
		fwrite(text, 1, keep, out);
		fputc('+', out);
		if (code)
			fputs("\033[0m", out);
		w = col->maxwidth;
		pad = width > w ? width - w : 0;
		if (!last)
			fprintf(out, "%*s", (int)pad, "");
		return;
	}
	pad = width > w ? width - w : 0;
	if (col->right)
		fprintf(out, "%*s", (int)pad, "");
	if (code)
		fputs(code, out);
	fputs(text, out);
	if (code)
		fputs("\033[0m", out);
	if (!col->right && !last)
		fprintf(out, "%*s", (int)pad, "");
}

void output_table_print(const struct output_table *t, FILE *out, bool header,
			bool color)
{
	size_t *width = xcalloc(t->ncols + 1, sizeof(*width));

	for (size_t c = 0; c < t->ncols; c++) {
		if (header)
			width[c] = output_width(t->cols[c].header);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c].text;
			size_t w = output_width(s ? s : "");

			if (w > width[c])
				width[c] = w;
		}
		if (t->cols[c].maxwidth && width[c] > t->cols[c].maxwidth)
			width[c] = t->cols[c].maxwidth;
	}
	if (header) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputs("  ", out);
			output_put_cell(out, &t->cols[c], t->cols[c].header,
					OUTPUT_PLAIN, width[c],
					c + 1 == t->ncols, false);
		}
		fputc('\n', out);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		const struct output_cell *row = &t->cells[r * t->ncols];
		size_t end = t->ncols;

		/* Empty cells at the end would only leave trailing blanks. */
		while (end > 1 && (!row[end - 1].text || !*row[end - 1].text))
			end--;
		for (size_t c = 0; c < end; c++) {
			if (c)
				fputs("  ", out);
			output_put_cell(out, &t->cols[c],
					row[c].text ? row[c].text : "",
					row[c].color, width[c], c + 1 == end,
					color);
		}
		fputc('\n', out);
	}
	free(width);
}

bool output_color_enabled(FILE *out)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no_color && *no_color)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(out));
}

const char *output_time(int64_t unix_sec, char *out, size_t len)
{
	time_t t = (time_t)unix_sec;
	struct tm tm;

	if (unix_sec <= 0 || !localtime_r(&t, &tm) ||
	    !strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, len, "-");
	return out;
}

const char *output_duration(int64_t sec, char *out, size_t len)
{
	int64_t d, h, m, s;

	if (sec < 0)
		sec = 0;
	d = sec / 86400;
	h = sec / 3600 % 24;
	m = sec / 60 % 60;
	s = sec % 60;
	if (d)
		snprintf(out, len, "%lld-%02lld:%02lld:%02lld", (long long)d,
			 (long long)h, (long long)m, (long long)s);
	else if (h)
		snprintf(out, len, "%lld:%02lld:%02lld", (long long)h,
			 (long long)m, (long long)s);
	else
		snprintf(out, len, "%lld:%02lld", (long long)m, (long long)s);
	return out;
}
