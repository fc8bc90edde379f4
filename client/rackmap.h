/*
 * The rack map of `colossus racks`: one character cell per rack, racks of
 * a pod side by side, pods separated by a blank, one block of lines per
 * hall, wrapped to the terminal's width.  The 1,568 racks of the
 * 100k-GPU cluster (4 halls x 49 pods x 8 racks) take 28 lines at 80
 * columns and 16 at 132.
 *
 *   h1 p001 ######## ####++.. ........ ..*..... ....
 *      p006 dddddddd DDDDDDDD XX?..... ........
 *
 * A cell's character and colour come from the rack's state word (the
 * same words as the web rack map): see rackmap_legend.  Colour never
 * changes widths.  Pure: writes to the FILE it is given.
 */
#ifndef CLIENT_RACKMAP_H
#define CLIENT_RACKMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "client/output.h"
#include "proto/rpc.h"

struct rackmap_legend_entry {
	char cell;
	enum output_color color;
	const char *meaning;
};

/* Every cell character with its meaning, ending with a 0 cell. */
extern const struct rackmap_legend_entry rackmap_legend[];

/* The cell for one rack. */
char rackmap_cell(const Colossus__RackInfo *r, enum output_color *color);

/*
 * Draw the map of racks (in hall, pod, rack order; a new hall or pod
 * starts wherever the name changes) in lines of at most width columns
 * (at least one pod per line, so a very narrow width may be exceeded).
 */
void rackmap_render(FILE *out, Colossus__RackInfo *const *racks, size_t n,
		    unsigned width, bool color);
/* The legend, wrapped to width. */
void rackmap_render_legend(FILE *out, unsigned width, bool color);

#endif
