/*
 * jsoncheck: read one JSON document on stdin, fail unless it is valid
 * (RFC 8259, one value, nothing after it), and print selected values, so
 * shell tests can parse the CLI's --json output back without python or
 * jq.
 *
 *   jsoncheck                   validate only
 *   jsoncheck .jobs[0].state    print a value (strings unquoted)
 *   jsoncheck '.jobs[].id'      every element of an array, one per line
 *   jsoncheck '.jobs#'          the length of an array or object
 *   jsoncheck -k .racks[0]      the keys of an object, one per line
 *   jsoncheck -k .              the keys of the top object
 *
 * A path that does not exist prints nothing and makes the exit status 3.
 * Exit status: 0 ok, 1 invalid JSON, 2 usage, 3 a path matched nothing.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *text; /* number text, decoded string, "true"/"false" */
	struct jval **items;
	char **keys; /* objects */
	size_t n;
};

static const char *src;
static size_t pos, len;
static int depth;

static void fail(const char *what)
{
	fprintf(stderr, "jsoncheck: invalid JSON at byte %zu: %s\n", pos, what);
	/* _exit: the half-built tree is not a leak worth reporting. */
	_exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "jsoncheck: out of memory\n");
		exit(1);
	}
	return p;
}

static void ws(void)
{
	while (pos < len && strchr(" \t\r\n", src[pos]))
		pos++;
}

static struct jval *parse(void);

static void put_utf8(char **out, size_t *n, unsigned cp)
{
	char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	*out = xrealloc(*out, *n + k + 1);
	memcpy(*out + *n, b, k);
	*n += k;
}

static unsigned hex4(void)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++, pos++) {
		char c = pos < len ? src[pos] : 0;

		if (!isxdigit((unsigned char)c))
			fail("bad \\u escape");
		v = v * 16 + (unsigned)(isdigit((unsigned char)c)
						? c - '0'
						: (tolower((unsigned char)c) -
						   'a' + 10));
	}
	return v;
}

static char *string(void)
{
	char *out = xrealloc(NULL, 1);
	size_t n = 0;

	pos++; /* the opening quote */
	for (;;) {
		unsigned char c;

		if (pos >= len)
			fail("unterminated string");
		c = (unsigned char)src[pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			fail("control character in a string");
		if (c == '\\') {
			char e = pos < len ? src[pos++] : 0;
			unsigned cp;

			switch (e) {
			case '"':
			case '\\':
			case '/':
				put_utf8(&out, &n, (unsigned)e);
				break;
			case 'b':
				put_utf8(&out, &n, '\b');
				break;
			case 'f':
				put_utf8(&out, &n, '\f');
				break;
			case 'n':
				put_utf8(&out, &n, '\n');
				break;
			case 'r':
				put_utf8(&out, &n, '\r');
				break;
			case 't':
				put_utf8(&out, &n, '\t');
				break;
			case 'u':
				cp = hex4();
				if (cp >= 0xd800 && cp < 0xdc00) {
					unsigned lo;

					if (pos + 1 >= len ||
					    src[pos] != '\\' ||
					    src[pos + 1] != 'u')
						fail("lone surrogate");
					pos += 2;
					lo = hex4();
					if (lo < 0xdc00 || lo > 0xdfff)
						fail("bad surrogate pair");
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp < 0xe000) {
					fail("lone surrogate");
				}
				put_utf8(&out, &n, cp);
				break;
			default:
				fail("bad escape");
			}
			continue;
		}
		out = xrealloc(out, n + 2);
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

static char *number(void)
{
	size_t start = pos;

	if (src[pos] == '-')
		pos++;
	if (pos < len && src[pos] == '0')
		pos++;
	else if (pos < len && isdigit((unsigned char)src[pos]))
		while (pos < len && isdigit((unsigned char)src[pos]))
			pos++;
	else
		fail("bad number");
	if (pos < len && src[pos] == '.') {
		pos++;
		if (pos >= len || !isdigit((unsigned char)src[pos]))
			fail("bad fraction");
		while (pos < len && isdigit((unsigned char)src[pos]))
			pos++;
	}
	if (pos < len && (src[pos] == 'e' || src[pos] == 'E')) {
		pos++;
		if (pos < len && (src[pos] == '+' || src[pos] == '-'))
			pos++;
		if (pos >= len || !isdigit((unsigned char)src[pos]))
			fail("bad exponent");
		while (pos < len && isdigit((unsigned char)src[pos]))
			pos++;
	}
	return strndup(src + start, pos - start);
}

static struct jval *parse(void)
{
	struct jval *v = calloc(1, sizeof(*v));

	if (!v || ++depth > 200)
		fail("nested too deep");
	ws();
	if (pos >= len)
		fail("unexpected end");
	if (src[pos] == '{' || src[pos] == '[') {
		bool obj = src[pos] == '{';
		char close = obj ? '}' : ']';

		v->type = obj ? J_OBJ : J_ARR;
		pos++;
		ws();
		if (pos < len && src[pos] == close) {
			pos++;
			depth--;
			return v;
		}
		for (;;) {
			v->items = xrealloc(v->items,
					    (v->n + 1) * sizeof(*v->items));
			if (obj) {
				ws();
				if (pos >= len || src[pos] != '"')
					fail("object key expected");
				v->keys = xrealloc(
					v->keys, (v->n + 1) * sizeof(*v->keys));
				v->keys[v->n] = string();
				ws();
				if (pos >= len || src[pos++] != ':')
					fail("':' expected");
			}
			v->items[v->n++] = parse();
			ws();
			if (pos < len && src[pos] == ',') {
				pos++;
				continue;
			}
			if (pos < len && src[pos] == close) {
				pos++;
				break;
			}
			fail(obj ? "',' or '}' expected"
				 : "',' or ']' expected");
		}
	} else if (src[pos] == '"') {
		v->type = J_STR;
		v->text = string();
	} else if (!strncmp(src + pos, "true", 4) ||
		   !strncmp(src + pos, "false", 5)) {
		v->type = J_BOOL;
		v->text = strdup(src[pos] == 't' ? "true" : "false");
		pos += src[pos] == 't' ? 4 : 5;
	} else if (!strncmp(src + pos, "null", 4)) {
		v->type = J_NULL;
		pos += 4;
	} else if (src[pos] == '-' || isdigit((unsigned char)src[pos])) {
		v->type = J_NUM;
		v->text = number();
	} else {
		fail("unexpected character");
	}
	depth--;
	return v;
}

static bool printed;
/* Global, so leak checkers see the tree as reachable at exit. */
static struct jval *root;

static void show(const struct jval *v, bool keys)
{
	printed = true;
	if (keys) {
		for (size_t i = 0; v->type == J_OBJ && i < v->n; i++)
			printf("%s\n", v->keys[i]);
		return;
	}
	switch (v->type) {
	case J_NULL:
		printf("null\n");
		break;
	case J_OBJ:
		printf("object\n");
		break;
	case J_ARR:
		printf("array\n");
		break;
	default:
		printf("%s\n", v->text);
	}
}

/* Walk path p from v, printing what it selects. */
static void walk(const struct jval *v, const char *p, bool keys)
{
	if (!*p) {
		show(v, keys);
		return;
	}
	if (*p == '#' && !p[1]) {
		if (v->type == J_ARR || v->type == J_OBJ) {
			printf("%zu\n", v->n);
			printed = true;
		}
		return;
	}
	if (*p == '.' && (!p[1] || p[1] == '#')) {
		walk(v, p + 1, keys); /* "." is the value itself */
		return;
	}
	if (*p == '.') {
		size_t k = strcspn(p + 1, ".[#");

		if (v->type != J_OBJ)
			return;
		for (size_t i = 0; i < v->n; i++)
			if (strlen(v->keys[i]) == k &&
			    !strncmp(v->keys[i], p + 1, k))
				walk(v->items[i], p + 1 + k, keys);
		return;
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (!end || v->type != J_ARR)
			return;
		if (end == p + 1) {
			for (size_t i = 0; i < v->n; i++)
				walk(v->items[i], end + 1, keys);
		} else {
			size_t i = strtoul(p + 1, NULL, 10);

			if (i < v->n)
				walk(v->items[i], end + 1, keys);
		}
		return;
	}
	fprintf(stderr, "jsoncheck: bad path at '%s'\n", p);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	bool keys = false;
	int rc = 0;

	if (!buf)
		return 1;
	for (size_t r; (r = fread(buf + len, 1, cap - len, stdin)) > 0;) {
		len += r;
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	src = buf;
	root = parse();
	ws();
	if (pos != len)
		fail("text after the document");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-k")) {
			keys = true;
			continue;
		}
		if (argv[i][0] != '.' && argv[i][0] != '[' &&
		    argv[i][0] != '#') {
			fprintf(stderr, "usage: jsoncheck [-k] [PATH...]\n");
			return 2;
		}
		printed = false;
		walk(root, argv[i], keys);
		if (!printed)
			rc = 3;
	}
	/* The tree is freed by exit: this is a one-shot test tool. */
	return rc;
}
