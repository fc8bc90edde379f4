/*
 * The context every colossus subcommand runs in: global options, the
 * merged configuration, the connection to the controller, and the helpers
 * that turn failures into one message on stderr and an exit code.
 *
 * Commands are functions int fn(struct cli *, int argc, char **argv)
 * returning an exit code (client/exitcode.h); argv holds the words after
 * the command name.  They parse their options with cli_parse(), which
 * also accepts the global options, so "colossus jobs --json" and
 * "colossus --json jobs" mean the same.
 */
#ifndef CLIENT_CLI_H
#define CLIENT_CLI_H

#include <stdbool.h>

#include "client/clientconf.h"
#include "client/opts.h"
#include "client/rpcclient.h"
#include "common/util.h"
#include "proto/rpc.h"

struct cli {
	const char *cmd; /* "submit", "job show": prefix of messages */
	/* Global options from the command line; NULL when not given. */
	const char *config_file;
	const char *controller, *cert, *key, *ca;
	const char *timeout, *connect_timeout;
	bool json, no_header, verbose, help;
	bool color; /* stdout is a terminal and NO_COLOR is unset */

	struct client_config cfg;
	bool cfg_loaded;
	struct rpcclient *rpc;
};

typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv);

/* The global options (for parsing and --help). */
extern const struct opts_def cli_global_defs[];

void cli_init(struct cli *cli);
void cli_fini(struct cli *cli);
/* The opts_fn for cli_global_defs; arg is the struct cli. */
int cli_global_apply(void *arg, int id, const char *name, const char *val,
		     struct err *e);

/*
 * Parse a command's argv with its table (defs may be NULL) and the global
 * options.  Returns EXITCODE_OK, or EXITCODE_USAGE after printing the
 * error.
 */
int cli_parse(struct cli *cli, int argc, char **argv,
	      const struct opts_def *defs, opts_fn fn, void *arg,
	      unsigned flags, struct opts_rest *rest) MUSTCHECK;

/* Load the configuration once.  Returns an exit code (printed on error). */
int cli_config(struct cli *cli) MUSTCHECK;
/* Configuration, then the client (not yet connected).  Exit code. */
int cli_connect(struct cli *cli) MUSTCHECK;
/* The same without printing: 0, or -1 with e set. */
int cli_connect_quiet(struct cli *cli, struct err *e) MUSTCHECK;
/*
 * Send req and wait for the answer.  On success returns EXITCODE_OK with
 * *resp set (status OK and body case expect; free it with
 * rpcclient_response_free).  Otherwise prints what went wrong and what to
 * do, and returns the exit code.
 */
int cli_call(struct cli *cli, Colossus__Request *req, int expect,
	     Colossus__Response **resp) MUSTCHECK;
/*
 * Print the error of a response that failed (status != OK) the way
 * cli_call does, and return its exit code.
 */
int cli_status_error(struct cli *cli, const Colossus__Response *resp);
/*
 * Print "colossus CMD: failed to ..." for a local call failure and
 * return its exit code.
 */
int cli_rpc_error(struct cli *cli, const struct err *e);

void cli_error(const struct cli *cli, const char *fmt, ...) PRINTF_LIKE(2, 3);
void cli_warn(const struct cli *cli, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Usage error: the message plus "see colossus CMD --help".  Returns 2. */
int cli_usage(const struct cli *cli, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* The identity (CN) in our own certificate, for --me.  Exit code. */
int cli_my_name(struct cli *cli, char *name, size_t len) MUSTCHECK;

#endif
