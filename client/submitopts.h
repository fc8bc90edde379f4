/*
 * `colossus submit` options: one table shared by the command line and a
 * batch script's #COLOSSUS lines, and the code that turns them into a
 * Colossus__JobSpec.
 *
 * Precedence: the command line is parsed first, then the script's
 * directives; a directive is ignored when the command line already gave
 * the same option, or another option of its group (-N, -G and
 * --gpus-per-node are one group, so "-G 16" on the command line replaces
 * the script's "-N 2").  Repeated list options (--export, --afterok, ...)
 * accumulate within one source.
 *
 * Pure apart from --export NAME, which copies NAME from the environment.
 */
#ifndef CLIENT_SUBMITOPTS_H
#define CLIENT_SUBMITOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/opts.h"
#include "common/err.h"
#include "common/util.h"
#include "proto/rpc.h"

enum submitopts_source {
	SUBMITOPTS_CLI = 0,
	SUBMITOPTS_SCRIPT,
};

struct submit_opts {
	/*
	 * The spec being built.  Strings are heap-allocated or protobuf-c's
	 * shared empty string; arrays are heap-allocated.  Owned.
	 */
	Colossus__JobSpec spec;
	bool quiet;		       /* --quiet / --parsable */
	enum submitopts_source source; /* where options come from now */
	uint64_t cli_groups;	       /* option groups the command line set */
};

/* The option table (for parsing and --help). */
extern const struct opts_def submitopts_defs[];

void submitopts_init(struct submit_opts *so);
/* Free everything so holds.  No-op on NULL. */
void submitopts_fini(struct submit_opts *so);
/* The opts_fn for submitopts_defs; arg is a struct submit_opts. */
int submitopts_apply(void *arg, int id, const char *name, const char *val,
		     struct err *e) MUSTCHECK;
/*
 * Parse the command line (argv after "submit"), with extra option sets
 * (the global options) tried after the submit table.  Parsing stops at
 * "--" or at the first positional argument; what remains is in rest.
 */
int submitopts_parse_cli(struct submit_opts *so, int argc, char **argv,
			 const struct opts_set *extra, size_t nextra,
			 struct opts_rest *rest, struct err *e) MUSTCHECK;
/*
 * Apply the directives of a script (text of len bytes; name for
 * messages), then keep the text as the job's script.  *ignored_line gets
 * the line of the first directive after the header (0 if none), for a
 * warning.  Errors read "job.sh:3: --nodes: 'x' is not a whole number".
 */
int submitopts_load_script(struct submit_opts *so, const char *text, size_t len,
			   const char *name, unsigned *ignored_line,
			   struct err *e) MUSTCHECK;
/* The command to run (argv copied). */
void submitopts_set_command(struct submit_opts *so, int argc,
			    char *const *argv);
/*
 * Last step: apply defaults (working directory = cwd; a relative -D is
 * taken relative to cwd) and check combinations the controller would
 * reject, so they are usage errors here.  cwd must be absolute.
 */
int submitopts_finish(struct submit_opts *so, const char *cwd,
		      struct err *e) MUSTCHECK;

/* Memory sizes for --mem: "4096" (MiB), "512M", "64G", "1T". */
int submitopts_parse_mem(const char *s, uint64_t *mib, struct err *e) MUSTCHECK;

#endif
