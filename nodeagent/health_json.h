/*
 * A strict JSON reader for the site probe's output (probe.c): the text
 * must be one JSON object (RFC 8259), with nothing after it but blanks,
 * no control characters or invalid UTF-8 in strings, and nesting no
 * deeper than HEALTH_JSON_MAX_DEPTH, or it is refused as a whole.  The
 * walker reports every scalar with its path ("rack.coolant_flow_lpm",
 * "events.0.code": keys joined by dots, array elements by index), which
 * is all the probe needs: it picks the paths it knows.
 *
 * Pure: no allocation, no state.
 */
#ifndef NODEAGENT_HEALTH_JSON_H
#define NODEAGENT_HEALTH_JSON_H

#include <stddef.h>

#include "common/err.h"

#define HEALTH_JSON_MAX_DEPTH 32
/* Longer paths are not reported (the text is still checked). */
#define HEALTH_JSON_MAX_PATH 128

enum health_json_type {
	HEALTH_JSON_STRING,
	HEALTH_JSON_NUMBER,
	HEALTH_JSON_TRUE,
	HEALTH_JSON_FALSE,
	HEALTH_JSON_NULL,
};

struct health_json_item {
	const char *path; /* "rack.leak", "events.2.code"; "" at the top */
	enum health_json_type type;
	const char *raw; /* the token as written (strings with quotes) */
	size_t len;
};

typedef void (*health_json_fn)(const struct health_json_item *it, void *arg);

/*
 * Check that text[0..len) is exactly one JSON object (leading and
 * trailing blanks allowed).  Returns 0, or -1 with e set to what is
 * wrong and where ("byte 17: expected ':'").
 */
int health_json_object(const char *text, size_t len, struct err *e) MUSTCHECK;
/*
 * The same check, calling cb for every scalar in document order.  cb may
 * have run for part of the text when this fails: collect, and use the
 * result only on 0.
 */
int health_json_walk(const char *text, size_t len, health_json_fn cb, void *arg,
		     struct err *e) MUSTCHECK;
/*
 * Decode a string token (raw, with its quotes, as the walker gives it)
 * into buf, NUL-terminated, escapes resolved (\u as UTF-8).  Returns 0,
 * or -1 if it did not fit (buf then holds a truncated prefix).
 */
int health_json_unquote(const char *raw, size_t len, char *buf,
			size_t blen) MUSTCHECK;
/* A number token as a double.  Returns 0 or -1. */
int health_json_number(const char *raw, size_t len, double *v) MUSTCHECK;

#endif
