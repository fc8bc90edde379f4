/*
 * Unit tests for client/rackmap.c: a rack's cell from its state, and
 * the map of the whole 100k-GPU cluster (4 halls x 49 pods x 8 racks =
 * 1,568 racks) fitting a terminal: every line within the width, every
 * rack drawn once, halls and pods labelled, colour only when asked.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/rackmap.h"
#include "tests/lib/tap.h"

#define HALLS 4
#define PODS 49
#define RACKS 8
#define N (HALLS * PODS * RACKS)

static Colossus__RackInfo infos[N];
static Colossus__RackInfo *ptrs[N];
static char names[N][3][16];

static void cluster(void)
{
	for (int i = 0; i < N; i++) {
		int h = i / (PODS * RACKS), p = i / RACKS;

		colossus__rack_info__init(&infos[i]);
		snprintf(names[i][0], 16, "r%04d", i + 1);
		snprintf(names[i][1], 16, "p%03d", p + 1);
		snprintf(names[i][2], 16, "h%d", h + 1);
		infos[i].name = names[i][0];
		infos[i].pod = names[i][1];
		infos[i].hall = names[i][2];
		infos[i].state = (char *)(i % 3 ? "busy" : "idle");
		infos[i].gpus = 64;
		infos[i].gpus_used = i % 3 == 1 ? 64 : i % 3 == 2 ? 8 : 0;
		ptrs[i] = &infos[i];
	}
	infos[5].state = (char *)"down";
	infos[6].state = (char *)"drained";
	infos[7].state = (char *)"draining";
	infos[8].state = (char *)"unhealthy";
	infos[9].state = (char *)"unknown";
	infos[10].problems = 2;
}

/* Render into a string (caller frees). */
static char *render(Colossus__RackInfo **v, size_t n, unsigned width,
		    bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	rackmap_render(f, v, n, width, color);
	fclose(f);
	return buf;
}

/* Widest line (escape sequences not counted), line count, cells. */
static void measure(const char *s, size_t *maxw, size_t *lines, size_t *cells)
{
	size_t w = 0;
	bool in_esc = false, in_label = true;
	int spaces_seen = 0;

	*maxw = *lines = *cells = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '\033') {
			in_esc = true;
			continue;
		}
		if (in_esc) {
			in_esc = *p != 'm';
			continue;
		}
		if (*p == '\n') {
			(*lines)++;
			*maxw = w > *maxw ? w : *maxw;
			w = 0;
			in_label = true;
			spaces_seen = 0;
			continue;
		}
		w++;
		/* Cells follow the "HALL POD " labels (fixed width 8). */
		if (in_label && w == 8)
			in_label = false;
		else if (!in_label && *p != ' ')
			(*cells)++;
		(void)spaces_seen;
	}
}

static void test_cells(void)
{
	Colossus__RackInfo r = COLOSSUS__RACK_INFO__INIT;
	enum output_color c;

	r.state = (char *)"idle";
	is_int(rackmap_cell(&r, &c), '.', "idle is '.'");
	r.state = (char *)"busy";
	r.gpus = 64;
	r.gpus_used = 8;
	is_int(rackmap_cell(&r, &c), '+', "partly busy is '+'");
	ok(c == OUTPUT_GREEN, "  in green");
	r.gpus_used = 64;
	is_int(rackmap_cell(&r, &c), '#', "every GPU used is '#'");
	r.problems = 1;
	is_int(rackmap_cell(&r, &c), '*', "a busy rack with a bad node is '*'");
	ok(c == OUTPUT_YELLOW, "  in yellow");
	r.state = (char *)"down";
	is_int(rackmap_cell(&r, &c), 'X', "down is 'X'");
	ok(c == OUTPUT_RED, "  in red");
	r.state = (char *)"unhealthy";
	is_int(rackmap_cell(&r, &c), '!', "unhealthy is '!'");
	r.state = (char *)"draining";
	is_int(rackmap_cell(&r, &c), 'd', "draining is 'd'");
	r.state = (char *)"drained";
	is_int(rackmap_cell(&r, &c), 'D', "drained is 'D'");
	r.state = (char *)"unknown";
	is_int(rackmap_cell(&r, &c), '?', "unknown is '?'");
	r.state = (char *)"something new";
	is_int(rackmap_cell(&r, &c), '?', "a state this client does not know");
	for (const struct rackmap_legend_entry *l = rackmap_legend; l->cell;
	     l++)
		ok(l->meaning && *l->meaning, "legend explains '%c'", l->cell);
}

static void test_whole_cluster(void)
{
	static const unsigned widths[] = { 80, 100, 132, 200 };
	char *s;
	size_t maxw, lines, cells;

	for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		unsigned w = widths[k];
		size_t per_line = (w - 8 + 1) / 9;
		size_t want_lines = HALLS * ((PODS + per_line - 1) / per_line);

		s = render(ptrs, N, w, false);
		measure(s, &maxw, &lines, &cells);
		ok(maxw <= w, "1,568 racks fit %u columns (widest line %zu)", w,
		   maxw);
		is_int(lines, want_lines, "  in %zu lines", want_lines);
		is_int(cells, N, "  every rack has its cell");
		ok(!strchr(s, '\033'), "  no escape sequences without colour");
		free(s);
	}
	s = render(ptrs, N, 80, false);
	ok(!strncmp(s, "h1 p001 .#+.#XDd !?*+.#+.", 25),
	   "first line: hall, pod, then cells (%.30s)", s);
	ok(strstr(s, "\nh2 p050 ") && strstr(s, "\nh4 p148 "),
	   "each hall starts a line with its name and first pod");
	ok(strstr(s, "\n   p009 ") != NULL,
	   "continuation lines carry the pod name only");
	free(s);
	s = render(ptrs, N, 80, true);
	measure(s, &maxw, &lines, &cells);
	ok(strchr(s, '\033') != NULL, "colour uses escape sequences");
	ok(maxw <= 80 && cells == N, "colour does not change the layout");
	free(s);
}

static void test_odd_shapes(void)
{
	char *s;
	size_t maxw, lines, cells;

	/* A 1-rack pod next to 8-rack pods is padded to line up. */
	infos[8].pod = names[0][1];
	s = render(ptrs, 24, 200, false);
	ok(strstr(s, "h1 p001 .#+.#XDd! ?*+.#+.   #") != NULL,
	   "pods are separated, a short pod padded: %s", s);
	free(s);
	infos[8].pod = names[8][1];
	/* Narrower than one pod: one pod per line rather than nothing. */
	s = render(ptrs, 16, 10, false);
	measure(s, &maxw, &lines, &cells);
	is_int(lines, 2, "too narrow: one pod per line");
	free(s);
	s = render(ptrs, 0, 80, false);
	ok(!s || !*s, "no racks, no lines");
	free(s);
}

static void test_legend(void)
{
	char *buf = NULL;
	size_t len = 0, maxw = 0, w = 0;
	FILE *f = open_memstream(&buf, &len);

	rackmap_render_legend(f, 60, false);
	fclose(f);
	for (const char *p = buf; *p; p++) {
		if (*p == '\n') {
			maxw = w > maxw ? w : maxw;
			w = 0;
		} else {
			w++;
		}
	}
	ok(maxw <= 60, "legend wraps at the width (widest %zu)", maxw);
	ok(strstr(buf, "X down") && strstr(buf, "D drained"),
	   "legend names the cells");
	free(buf);
}

int main(void)
{
	cluster();
	test_cells();
	test_whole_cluster();
	test_odd_shapes();
	test_legend();
	return done_testing();
}
