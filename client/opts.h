/*
 * A small table-driven command-line option parser for the colossus CLI.
 *
 * Why not getopt_long: the CLI parses the same options from two sources
 * (the command line and a batch script's #COLOSSUS lines), accepts global
 * options before and after the subcommand, needs error messages that name
 * the option and say what to do, and must be callable repeatedly from unit
 * tests without global state.  The tables also generate --help, so help
 * and parser cannot drift apart.
 *
 * Syntax accepted: "--name value", "--name=value", "-N value", "-Nvalue",
 * bundled flags "-PH", and "--" to end options.  Long names must match
 * exactly (no abbreviations: scripts stay valid when options are added).
 */
#ifndef CLIENT_OPTS_H
#define CLIENT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "common/util.h"

enum opts_arg {
	OPTS_FLAG,  /* takes no value; val is NULL in the callback */
	OPTS_VALUE, /* takes exactly one value */
};

struct opts_def {
	const char *name; /* long name without "--" */
	char shortopt;	  /* 0 = none */
	enum opts_arg arg;
	int id;		     /* passed to the callback; aliases share an id */
	const char *metavar; /* for help: "N", "FILE" */
	const char *help;    /* one line; NULL hides the entry (an alias) */
};

/* The table ends with an entry whose name is NULL. */
#define OPTS_END                                                               \
	{                                                                      \
		NULL, 0, OPTS_FLAG, 0, NULL, NULL                              \
	}

/*
 * Called once per option found, in command-line order.  name is the
 * spelling the user gave ("--nodes" or "-N") for messages.  Return 0, or
 * -1 with e set ("invalid node count 'x'"); the parser prefixes the
 * option's name.
 */
typedef int (*opts_fn)(void *arg, int id, const char *name, const char *val,
		       struct err *e);

/* One table and what to call for it; the first table that knows wins. */
struct opts_set {
	const struct opts_def *defs;
	opts_fn fn;
	void *arg;
};

enum opts_flags {
	/* The first positional argument ends option parsing (POSIX). */
	OPTS_STOP_AT_POSITIONAL = 1 << 0,
	/* Positional arguments are an error (script directives). */
	OPTS_NO_POSITIONAL = 1 << 1,
};

/* What is left after the options: borrowed pointers into argv. */
struct opts_rest {
	char **args;
	size_t n;
	bool dashdash; /* options were ended by "--" */
};

/*
 * Parse argv[0..argc-1] (no program name).  Positional arguments are
 * collected in rest (rest->args is heap-allocated; free it).  Returns 0,
 * or -1 with e set and rest empty.
 */
int opts_parse(int argc, char **argv, const struct opts_set *sets, size_t nsets,
	       unsigned flags, struct opts_rest *rest, struct err *e) MUSTCHECK;
void opts_rest_free(struct opts_rest *rest);

/* Print one aligned help line per visible entry of defs. */
void opts_help(FILE *out, const struct opts_def *defs);

/*
 * Strict number parsers for option values: decimal digits only, no sign
 * unless the type is signed, no trailing text, range-checked.  Return 0
 * or -1 with e set ("'x' is not a number").
 */
int opts_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		   struct err *e) MUSTCHECK;
int opts_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   struct err *e) MUSTCHECK;
int opts_parse_i32(const char *s, int32_t min, int32_t max, int32_t *out,
		   struct err *e) MUSTCHECK;

#endif
