/*
 * Cluster topology files: the text an operator writes (or
 * scripts/gen-topology.sh generates) to describe halls, pods, racks and
 * nodes, parsed into plain arrays.  Pure: text in, struct out; nothing
 * here touches the database, which is where the controller checks that
 * referenced parents exist.
 *
 * Format, one object per line; '#' starts a comment (anywhere), blank
 * lines are ignored, tokens are separated by spaces or tabs:
 *
 *   hall  <name>
 *   pod   <name> hall=<hall>
 *   rack  <name> pod=<pod>
 *   node  <hostlist> rack=<rack> [gpus=<1..16>] [model=<name>]
 *                                [features=<a,b,c>]
 *
 * Names (and models, features, parents) satisfy
 * util_valid_name(name, TOPOFILE_NAME_MAX).  A node line expands its
 * hostlist expression ("n[00001-00008]"); gpus defaults to 8 and model to
 * H100.  Each node's slot is its position among the nodes of its rack in
 * file order, counted from 0 across all node lines for that rack.
 *
 * Errors: a name defined twice with the same kind (two racks 'r1', or a
 * node listed twice), an unknown keyword or key, a key given twice on a
 * line, a missing name or required key, a bad number or name, more than
 * TOPOFILE_MAX_NODES nodes.  A parent that the file references but does
 * not define is NOT an error (the file may extend objects that already
 * exist); a parent defined later in the file is fine too.
 */
#ifndef COMMON_TOPOFILE_H
#define COMMON_TOPOFILE_H

#include <stddef.h>

#include "common/err.h"

#define TOPOFILE_NAME_MAX 63
#define TOPOFILE_MAX_NODES 200000
#define TOPOFILE_MAX_GPUS 16
#define TOPOFILE_DEFAULT_GPUS 8
#define TOPOFILE_DEFAULT_MODEL "H100"
/* Largest file topofile_load reads. */
#define TOPOFILE_MAX_FILE_SIZE (64u << 20)

/* A hall, pod or rack.  parent is NULL for halls. */
struct topo_item {
	char *name;
	char *parent;
	unsigned line; /* where it was defined, for the caller's messages */
};

struct topo_node {
	char *name;
	char *rack;
	unsigned gpus;
	char *model;
	char **features; /* nfeatures names, NULL when none */
	size_t nfeatures;
	unsigned slot; /* 0-based position in its rack, in file order */
	unsigned line;
};

/* Every array is in file order; every string is owned by the struct. */
struct topofile {
	struct topo_item *halls, *pods, *racks;
	size_t nhalls, npods, nracks;
	struct topo_node *nodes;
	size_t nnodes;
};

/*
 * Parse text into *out, which is overwritten (not freed) first.  name is
 * used in messages ("topo.txt:7: duplicate rack 'r0012' (first defined on
 * line 3)"); NULL means "<topology>".  Returns 0 with *out filled (free it
 * with topofile_free), or -1 with e set and *out empty.
 */
int topofile_parse(const char *text, const char *name, struct topofile *out,
		   struct err *e) MUSTCHECK;
/*
 * Read the file at path (at most TOPOFILE_MAX_FILE_SIZE bytes, no NUL
 * bytes) and parse it as topofile_parse does, naming it path in messages.
 */
int topofile_load(const char *path, struct topofile *out,
		  struct err *e) MUSTCHECK;
/* Free everything *t holds and zero it.  No-op on NULL. */
void topofile_free(struct topofile *t);

#endif
