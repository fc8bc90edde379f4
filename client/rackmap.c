/*
 * Drawing the rack map (see rackmap.h).
 */
#include "config.h"

#include <string.h>

#include "client/rackmap.h"

const struct rackmap_legend_entry rackmap_legend[] = {
	{ '#', OUTPUT_GREEN, "busy (every GPU used)" },
	{ '+', OUTPUT_GREEN, "busy" },
	{ '.', OUTPUT_PLAIN, "idle" },
	{ '*', OUTPUT_YELLOW, "some nodes down, drained or unhealthy" },
	{ '!', OUTPUT_RED, "unhealthy" },
	{ 'd', OUTPUT_YELLOW, "draining" },
	{ 'D', OUTPUT_BLUE, "drained" },
	{ 'X', OUTPUT_RED, "down" },
	{ '?', OUTPUT_DIM, "unknown (no agent heard from yet)" },
	{ 0, OUTPUT_PLAIN, NULL },
};

static char rackmap_find(char c, enum output_color *color)
{
	for (const struct rackmap_legend_entry *l = rackmap_legend; l->cell;
	     l++)
		if (l->cell == c) {
			*color = l->color;
			return c;
		}
	*color = OUTPUT_PLAIN;
	return c;
}

char rackmap_cell(const Colossus__RackInfo *r, enum output_color *color)
{
	const char *st = r->state ? r->state : "";

	if (!strcmp(st, "busy") || !strcmp(st, "idle")) {
		if (r->problems)
			return rackmap_find('*', color);
		if (!strcmp(st, "idle"))
			return rackmap_find('.', color);
		return rackmap_find(
			r->gpus && r->gpus_used >= r->gpus ? '#' : '+', color);
	}
	if (!strcmp(st, "unhealthy"))
		return rackmap_find('!', color);
	if (!strcmp(st, "draining"))
		return rackmap_find('d', color);
	if (!strcmp(st, "drained"))
		return rackmap_find('D', color);
	if (!strcmp(st, "down"))
		return rackmap_find('X', color);
	return rackmap_find('?', color);
}

static const char *rackmap_str(const char *s)
{
	return s ? s : "";
}

/* A run of cells of one colour is written with one escape sequence. */
struct rackmap_pen {
	FILE *out;
	bool color;
	enum output_color cur;
};

static void rackmap_put(struct rackmap_pen *p, char c, enum output_color col)
{
	if (p->color && col != p->cur) {
		if (p->cur != OUTPUT_PLAIN)
			fputs(OUTPUT_COLOR_RESET, p->out);
		if (col != OUTPUT_PLAIN)
			fputs(output_color_code(col), p->out);
		p->cur = col;
	}
	fputc(c, p->out);
}

static void rackmap_pen_reset(struct rackmap_pen *p)
{
	if (p->color && p->cur != OUTPUT_PLAIN)
		fputs(OUTPUT_COLOR_RESET, p->out);
	p->cur = OUTPUT_PLAIN;
}

static bool rackmap_same(const char *a, const char *b)
{
	return !strcmp(rackmap_str(a), rackmap_str(b));
}

void rackmap_render(FILE *out, Colossus__RackInfo *const *racks, size_t n,
		    unsigned width, bool color)
{
	size_t hallw = 0, podw = 0, podcells = 0;
	struct rackmap_pen pen = { out, color, OUTPUT_PLAIN };

	/* Label widths and the widest pod, so columns line up. */
	for (size_t i = 0, run = 0; i < n; i++) {
		size_t hl = strlen(rackmap_str(racks[i]->hall));
		size_t pl = strlen(rackmap_str(racks[i]->pod));

		hallw = hl > hallw ? hl : hallw;
		podw = pl > podw ? pl : podw;
		if (i && rackmap_same(racks[i]->pod, racks[i - 1]->pod) &&
		    rackmap_same(racks[i]->hall, racks[i - 1]->hall))
			run++;
		else
			run = 1;
		podcells = run > podcells ? run : podcells;
	}
	for (size_t i = 0; i < n;) {
		const char *hall = rackmap_str(racks[i]->hall);
		size_t prefix = hallw + 1 + podw + 1, per_line;
		bool first_line = true;

		per_line = width > prefix
				   ? (width - prefix + 1) / (podcells + 1)
				   : 0;
		if (per_line == 0)
			per_line = 1;
		/* One hall: lines of per_line pods. */
		while (i < n && rackmap_same(racks[i]->hall, hall)) {
			fprintf(out, "%-*s %-*s", (int)hallw,
				first_line ? hall : "", (int)podw,
				rackmap_str(racks[i]->pod));
			first_line = false;
			for (size_t p = 0; p < per_line && i < n &&
					   rackmap_same(racks[i]->hall, hall);
			     p++) {
				const char *pod = rackmap_str(racks[i]->pod);
				size_t cells = 0;

				fputc(' ', out);
				while (i < n &&
				       rackmap_same(racks[i]->hall, hall) &&
				       rackmap_same(racks[i]->pod, pod)) {
					enum output_color c;
					char ch = rackmap_cell(racks[i], &c);

					rackmap_put(&pen, ch, c);
					cells++;
					i++;
				}
				rackmap_pen_reset(&pen);
				/* Pad a short pod unless it ends the line. */
				if (p + 1 < per_line && i < n &&
				    rackmap_same(racks[i]->hall, hall))
					for (; cells < podcells; cells++)
						fputc(' ', out);
			}
			fputc('\n', out);
		}
	}
}

void rackmap_render_legend(FILE *out, unsigned width, bool color)
{
	size_t used = 0;

	for (const struct rackmap_legend_entry *l = rackmap_legend; l->cell;
	     l++) {
		size_t w = 2 + strlen(l->meaning);
		const char *code = color ? output_color_code(l->color) : NULL;

		if (used && used + 2 + w > width) {
			fputc('\n', out);
			used = 0;
		}
		if (used) {
			fputs("  ", out);
			used += 2;
		}
		if (code)
			fprintf(out, "%s%c%s %s", code, l->cell,
				OUTPUT_COLOR_RESET, l->meaning);
		else
			fprintf(out, "%c %s", l->cell, l->meaning);
		used += w;
	}
	if (used)
		fputc('\n', out);
}
