/*
 * Column selection for listings (see format.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/opts.h"
#include "common/xalloc.h"

/* Compare a user's column name with a table name: any case, '-' = '_'. */
static bool format_name_eq(const char *user, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len && name[i]; i++) {
		char u = user[i] == '-' ? '_'
					: (char)tolower((unsigned char)user[i]);

		if (u != name[i])
			return false;
	}
	return i == len && name[i] == '\0';
}

static int format_valid_names(const struct format_col *cols, char *buf,
			      size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct format_col *c = cols; c->name; c++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", c->name);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return 0;
}

/* Append the columns of spec (no leading '+') to out. */
static int format_add(const struct format_col *cols, const char *spec,
		      struct format_sel *out, struct err *e)
{
	const char *p = spec;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		size_t nlen = colon ? (size_t)(colon - p) : len;
		unsigned width;
		size_t i;

		if (nlen == 0)
			return err_set(e, "empty column name in '%.80s'", spec);
		for (i = 0; cols[i].name; i++)
			if (format_name_eq(p, nlen, cols[i].name))
				break;
		if (!cols[i].name) {
			char valid[400];

			format_valid_names(cols, valid, sizeof(valid));
			return err_set(e, "unknown column '%.*s' (valid: %s)",
				       (int)MIN(nlen, 40), p, valid);
		}
		width = cols[i].width;
		if (colon) {
			char num[16];
			size_t wl = len - nlen - 1;
			uint32_t w;
			struct err sub;

			if (wl == 0 || wl >= sizeof(num))
				return err_set(e,
					       "bad width for column '%s' "
					       "in '%.80s'",
					       cols[i].name, spec);
			memcpy(num, colon + 1, wl);
			num[wl] = '\0';
			if (opts_parse_u32(num, 0, FORMAT_MAX_WIDTH, &w, &sub) <
			    0)
				return err_set(e,
					       "bad width for column '%s': "
					       "%s",
					       cols[i].name, sub.msg);
			width = w;
		}
		if (out->n == FORMAT_MAX_COLS)
			return err_set(e, "more than %d columns",
				       FORMAT_MAX_COLS);
		out->idx[out->n] = i;
		out->width[out->n] = width;
		out->n++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int format_parse(const struct format_col *cols, const char *defaults,
		 const char *spec, struct format_sel *out, struct err *e)
{
	struct format_sel sel;

	memset(&sel, 0, sizeof(sel));
	if (!spec || !*spec || spec[0] == '+') {
		if (format_add(cols, defaults, &sel, e) < 0)
			return err_prefix(e, "default columns");
	}
	if (spec && *spec &&
	    format_add(cols, spec[0] == '+' ? spec + 1 : spec, &sel, e) < 0)
		return -1;
	*out = sel;
	return 0;
}

struct output_table *format_table(const struct format_col *cols,
				  const struct format_sel *sel)
{
	struct output_col oc[FORMAT_MAX_COLS];

	for (size_t i = 0; i < sel->n; i++) {
		oc[i].header = cols[sel->idx[i]].header;
		oc[i].maxwidth = sel->width[i];
		oc[i].right = cols[sel->idx[i]].right;
	}
	return output_table_create(oc, sel->n);
}

void format_help(FILE *out, const struct format_col *cols)
{
	for (const struct format_col *c = cols; c->name; c++)
		fprintf(out, "  %-16s  %s\n", c->name, c->help ? c->help : "");
}
