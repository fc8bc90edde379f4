/*
 * A streaming JSON writer for --json output: objects, arrays and scalars
 * written straight to a FILE, pretty-printed with two-space indents.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 (the
 * protocol does not guarantee it) become U+FFFD, so the output always
 * parses.  The writer trusts its caller to nest calls correctly; it keeps
 * only what it needs to place commas and newlines.
 */
#ifndef CLIENT_JSON_H
#define CLIENT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* container at depth has an item */
	bool after_key;			/* a key was written, value next */
	/* One line, no blanks (JSON Lines); set after json_init. */
	bool compact;
};

void json_init(struct json *j, FILE *out);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
/* Inside an object: the key of the next value. */
void json_key(struct json *j, const char *key);
/* NULL writes "" (proto3 has no absent strings). */
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
/* NaN and infinities are written as null. */
void json_double(struct json *j, double v);
void json_null(struct json *j);
/* End the document with a newline. */
void json_finish(struct json *j);

/* Key and value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Write s as a quoted, escaped JSON string literal. */
void json_write_string(FILE *out, const char *s);

#endif
