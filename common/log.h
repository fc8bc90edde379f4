/*
 * Logging: one line per event, to stderr (the default, for systemd) or to
 * syslog.  Lines carry a level and free text; callers put key=value fields
 * in the text (job=17 node=n00012 epoch=3) so that grep finds a whole story.
 *
 * Per-subsystem debug flags (LOG_SUB_RPC, ...) enable debug lines for one
 * area without raising the global level; they can change at run time.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "common/err.h"
#include "common/util.h"

enum log_sub {
	LOG_SUB_RPC = 1 << 0,
	LOG_SUB_DB = 1 << 1,
	LOG_SUB_SCHED = 1 << 2,
	LOG_SUB_NODE = 1 << 3,
	LOG_SUB_TLS = 1 << 4,
	LOG_SUB_HEALTH = 1 << 5,
	LOG_SUB_LAUNCH = 1 << 6,
};

/*
 * Set the program name and destination.  use_syslog opens syslog with
 * LOG_DAEMON.  May be called again (on reload).
 */
void log_init(const char *ident, bool use_syslog);
/* Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
void log_set_level(int level);
int log_get_level(void);
/* Parse "err|warn|info|debug" into a syslog level; -1 if unknown. */
int log_level_parse(const char *s);
/*
 * Parse a comma-separated list of subsystem names ("rpc,db,sched", "all",
 * or "" for none) into a mask.  Returns 0 or -1 with e set.
 */
int log_debug_parse(const char *s, unsigned *mask, struct err *e) MUSTCHECK;
void log_set_debug(unsigned mask);
bool log_debug_enabled(unsigned sub);

void log_msg(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Write regardless of the level (used by log_sub, which filtered already). */
void log_msg_always(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Like log_msg, appending ": strerror(errno)". */
void log_errno_msg(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_errno(...) log_errno_msg(LOG_ERR, __VA_ARGS__)
/* Debug line for one subsystem; arguments are not evaluated when off. */
#define log_sub(sub, ...)                                   \
	do {                                                \
		if (log_debug_enabled(sub) ||               \
		    log_get_level() >= LOG_DEBUG)           \
			log_msg_always(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

/*
 * Copy an untrusted string into out, replacing control characters, quotes,
 * backslashes and non-ASCII bytes with \xNN, truncating to fit.  Returns out.
 */
const char *log_escape(const char *in, char *out, size_t outlen);

/* Print "fatal: ..." and exit(1).  Startup and broken invariants only. */
void fatal(const char *fmt, ...) PRINTF_LIKE(1, 2) NORETURN;

#endif
