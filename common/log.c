/*
 * The logger: the only global state besides the config snapshot.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static struct {
	char ident[64];
	bool use_syslog;
	int level;
	unsigned debug_mask;
} logger = { "colossus", false, LOG_INFO, 0 };

static const struct {
	const char *name;
	unsigned bit;
} log_subs[] = {
	{ "rpc", LOG_SUB_RPC },	      { "db", LOG_SUB_DB },
	{ "sched", LOG_SUB_SCHED },   { "node", LOG_SUB_NODE },
	{ "tls", LOG_SUB_TLS },	      { "health", LOG_SUB_HEALTH },
	{ "launch", LOG_SUB_LAUNCH },
};

void log_init(const char *ident, bool use_syslog)
{
	if (util_strlcpy(logger.ident, ident, sizeof(logger.ident)) < 0) {
		/* truncated program names are harmless */
	}
	if (logger.use_syslog)
		closelog();
	logger.use_syslog = use_syslog;
	if (use_syslog)
		openlog(logger.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	logger.level = level;
}

int log_get_level(void)
{
	return logger.level;
}

int log_level_parse(const char *s)
{
	if (!strcmp(s, "err") || !strcmp(s, "error"))
		return LOG_ERR;
	if (!strcmp(s, "warn") || !strcmp(s, "warning"))
		return LOG_WARNING;
	if (!strcmp(s, "info"))
		return LOG_INFO;
	if (!strcmp(s, "debug"))
		return LOG_DEBUG;
	return -1;
}

int log_debug_parse(const char *s, unsigned *mask, struct err *e)
{
	unsigned m = 0;
	const char *p = s;

	while (*p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		if (len == 3 && !strncmp(p, "all", 3)) {
			m = ~0u;
			found = true;
		}
		for (size_t i = 0; !found && i < ARRAY_SIZE(log_subs); i++) {
			if (strlen(log_subs[i].name) == len &&
			    !strncmp(p, log_subs[i].name, len)) {
				m |= log_subs[i].bit;
				found = true;
			}
		}
		if (!found && len > 0)
			return err_set(e,
				       "unknown debug subsystem '%.*s' (known: "
				       "rpc, db, sched, node, tls, health, "
				       "launch, all)",
				       (int)len, p);
		p += len;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return 0;
}

void log_set_debug(unsigned mask)
{
	logger.debug_mask = mask;
}

bool log_debug_enabled(unsigned sub)
{
	return (logger.debug_mask & sub) != 0;
}

static const char *log_level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warn";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* PRINTF_LIKE(2, 0): clang checks callers' formats, not this vsnprintf. */
static void log_vwrite(int level, const char *fmt, va_list ap,
		       const char *suffix) PRINTF_LIKE(2, 0);

static void log_vwrite(int level, const char *fmt, va_list ap,
		       const char *suffix)
{
	char line[2048];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (suffix)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 ": %s", suffix);
	if (logger.use_syslog) {
		syslog(level, "%s", line);
		return;
	}
	{
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s[%d] %s: %s\n", stamp,
			ts.tv_nsec / 1000000, logger.ident, (int)getpid(),
			log_level_name(level), line);
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > logger.level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap, NULL);
	va_end(ap);
}

void log_msg_always(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap, NULL);
	va_end(ap);
}

void log_errno_msg(int level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level > logger.level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

const char *log_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (; in && *in && o + 1 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			if (o + 5 > outlen)
				break;
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	if (!logger.use_syslog)
		fflush(stderr);
	exit(1);
}
