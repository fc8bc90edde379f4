/*
 * The colossus command's exit codes.  They are part of its interface
 * (scripts test them), documented in docs/cli.md and in `colossus
 * --help`; never renumber one.
 *
 * Each protocol status maps to exactly one code, so a script can tell
 * "no such job" from "not yours" from "controller down" without parsing
 * messages.
 */
#ifndef CLIENT_EXITCODE_H
#define CLIENT_EXITCODE_H

enum exitcode {
	EXITCODE_OK = 0,
	EXITCODE_ERROR = 1,	  /* server-side failure, or anything else  */
	EXITCODE_USAGE = 2,	  /* bad command line or configuration      */
	EXITCODE_NOT_FOUND = 3,	  /* no such job, node, ...                 */
	EXITCODE_PERMISSION = 4,  /* the certificate's role may not do it   */
	EXITCODE_UNAVAILABLE = 5, /* controller unreachable, busy or down   */
	EXITCODE_INVALID = 6,	  /* the controller rejected the request    */
	EXITCODE_CONFLICT = 7,	  /* the object's state does not allow it   */
};

/* The exit code for a Colossus__Status (unknown statuses give 1). */
int exitcode_from_status(int status);
/* One-line meaning of an exit code, for --help and messages. */
const char *exitcode_describe(int code);
/*
 * Combine per-item results (cancel of several jobs): 0 when every item
 * succeeded, the common code when every failure had the same one, and
 * EXITCODE_ERROR when failures differ.  Start with acc = EXITCODE_OK
 * and fold every item's code in.
 */
int exitcode_combine(int acc, int code);

#endif
