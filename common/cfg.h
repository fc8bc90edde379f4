/*
 * Table-driven configuration files.
 *
 * Format (INI): "key = value" lines, "[section]" headers, "#" or ";"
 * comments, blank lines ignored.  Values may be double-quoted ("..." with
 * \" and \\ escapes) to keep leading/trailing spaces or a '#'.  An unknown
 * section or key, a malformed line, a duplicate key or an invalid value is
 * an error naming the file and line: "agent.conf:12: unknown key 'foo'".
 *
 * Details: a '#' anywhere in an unquoted value starts a comment, while
 * ';' does so only at the start of a line or after a quoted value or a
 * section header.  Unquoted values are trimmed.  A section header may
 * appear more than once; a key may still be set only once per file.
 * CFG_INT and CFG_DURATION values are checked against min always and
 * against max unless max is 0.  A NULL default gives "" (CFG_STR), an
 * empty list, 0 or false; cfg_defaults() refuses a table whose implicit
 * 0 is outside the key's bounds, unless the key is CFG_REQUIRED.
 *
 * Each program declares one table of struct cfg_opt describing its struct;
 * the parser, defaults, --dump-config, reload and the docs check all use it.
 */
#ifndef COMMON_CFG_H
#define COMMON_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

enum cfg_type {
	CFG_STR,      /* char *, heap-owned by the struct ("" allowed)       */
	CFG_INT,      /* int64_t, bounded by min/max                          */
	CFG_BOOL,     /* bool: true/false/yes/no/on/off/1/0                   */
	CFG_DURATION, /* uint64_t seconds, via timeparse_duration ("30s")     */
	CFG_LIST,     /* struct cfg_list: comma-separated, items trimmed      */
	CFG_LOGLEVEL, /* int syslog level: err/warn/info/debug                */
};

enum cfg_flag {
	CFG_RELOADABLE = 1 << 0, /* may change on SIGHUP                     */
	CFG_REQUIRED = 1 << 1,	 /* must be set (no usable default)          */
};

struct cfg_list {
	char **items;
	size_t n;
};

struct cfg_opt {
	const char *section; /* "" for keys before any [section]          */
	const char *name;
	enum cfg_type type;
	size_t offset;	     /* offsetof() into the program's struct       */
	const char *defval;  /* default in file syntax; NULL = zero/empty  */
	unsigned flags;
	int64_t min, max;    /* CFG_INT and CFG_DURATION bounds (max 0 = none) */
	const char *help;    /* one line, shown by --dump-config and docs  */
};

/* The table ends with an entry whose name is NULL. */
#define CFG_END { NULL, NULL, CFG_STR, 0, NULL, 0, 0, 0, NULL }

/* Fill conf with every default.  Returns 0 or -1 with e set (bad default). */
int cfg_defaults(const struct cfg_opt *table, void *conf, struct err *e)
	MUSTCHECK;
/*
 * Parse the file at path into conf (which holds defaults already).
 * Returns 0, or -1 with e set to "path:line: message".  On error conf may
 * hold some new values; callers parse into a scratch struct and swap.
 */
int cfg_load_file(const struct cfg_opt *table, void *conf, const char *path,
		  struct err *e) MUSTCHECK;
/* Same, from a string (for tests); name is used in messages. */
int cfg_load_string(const struct cfg_opt *table, void *conf, const char *name,
		    const char *text, struct err *e) MUSTCHECK;
/*
 * Set one key given as "section.name" or "name" (command-line overrides).
 * Errors read "net.port: 0 is below the minimum 1"; conf is unchanged.
 * A value holding a newline is refused, as no file could hold it.
 */
int cfg_set(const struct cfg_opt *table, void *conf, const char *key,
	    const char *value, struct err *e) MUSTCHECK;
/*
 * Check CFG_REQUIRED keys were given.  Returns 0 or -1 with e set to
 * "missing required keys: gpu.count, db.conninfo".  The check is by value:
 * a required key is missing while it holds its empty value (NULL or ""
 * string, empty list, 0).  CFG_BOOL and CFG_LOGLEVEL cannot be required
 * (cfg_defaults rejects such a table).
 */
int cfg_check_required(const struct cfg_opt *table, const void *conf,
		       struct err *e) MUSTCHECK;
/*
 * Write every key with its current value and help, in file syntax that
 * cfg_load_* reads back to the same values.  Top-level keys come first,
 * then each section once.  A required key that is still empty is written
 * commented out.  Log levels print as err/warn/info/debug, or as the
 * syslog number 0..7 for other levels (also accepted by the parser).
 */
void cfg_dump(const struct cfg_opt *table, const void *conf, FILE *out);
/* Free every heap value in conf (strings, lists).  conf itself is not freed. */
void cfg_free(const struct cfg_opt *table, void *conf);
/*
 * For reload: for each key without CFG_RELOADABLE whose value differs
 * between old and new, copy the old value back into new and call warn(key)
 * so the caller can log it.  Returns the number of keys reverted.
 */
int cfg_keep_nonreloadable(const struct cfg_opt *table, const void *old,
			   void *new_conf, void (*warn)(const char *key));

#endif
