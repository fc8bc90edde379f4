/*
 * The probe output checker.  See health_json.h.  A recursive descent
 * parser that validates and, when asked, reports every scalar with its
 * path; depth is bounded, so is the recursion.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodeagent/health_json.h"

struct jp {
	const unsigned char *s;
	size_t len, pos;
	int depth;
	struct err *e;
	/* Walking: the path of the current value, and where each level of
	 * it starts (to cut it back when the level ends). */
	health_json_fn cb;
	void *arg;
	char path[HEALTH_JSON_MAX_PATH];
	size_t plen;
	bool overflow; /* the path did not fit: no callbacks below it */
};

static int jp_fail(struct jp *p, const char *what)
{
	return err_set(p->e, "byte %zu: %s", p->pos, what);
}

static void jp_blank(struct jp *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool jp_eat(struct jp *p, char c)
{
	jp_blank(p);
	if (p->pos < p->len && p->s[p->pos] == (unsigned char)c) {
		p->pos++;
		return true;
	}
	return false;
}

static bool jp_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting at pos (its first byte >= 0x80). */
static int jp_utf8(struct jp *p)
{
	unsigned char c = p->s[p->pos];
	int more;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) {
		more = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		cp = c & 0x07;
	} else {
		return jp_fail(p, "invalid UTF-8");
	}
	if (p->pos + (size_t)more >= p->len)
		return jp_fail(p, "truncated UTF-8");
	for (int i = 1; i <= more; i++) {
		unsigned char k = p->s[p->pos + (size_t)i];

		if ((k & 0xc0) != 0x80)
			return jp_fail(p, "invalid UTF-8");
		cp = cp << 6 | (k & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return jp_fail(p, "invalid UTF-8");
	p->pos += (size_t)more + 1;
	return 0;
}

static int jp_string(struct jp *p)
{
	if (!jp_eat(p, '"'))
		return jp_fail(p, "expected a string");
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];

		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return jp_fail(p, "control character in a string");
		if (c == '\\') {
			if (++p->pos >= p->len)
				break;
			c = p->s[p->pos];
			if (c == 'u') {
				if (p->pos + 4 >= p->len)
					break;
				for (int i = 1; i <= 4; i++)
					if (!jp_hex(p->s[p->pos + (size_t)i]))
						return jp_fail(
							p, "bad \\u escape");
				p->pos += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || !c)
				return jp_fail(p, "bad escape");
			p->pos++;
			continue;
		}
		if (c >= 0x80) {
			if (jp_utf8(p) < 0)
				return -1;
			continue;
		}
		p->pos++;
	}
	return jp_fail(p, "unterminated string");
}

static bool jp_digit(struct jp *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static int jp_number(struct jp *p)
{
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (!jp_digit(p))
		return jp_fail(p, "bad number");
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (jp_digit(p))
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!jp_digit(p))
			return jp_fail(p, "bad number");
		while (jp_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!jp_digit(p))
			return jp_fail(p, "bad number");
		while (jp_digit(p))
			p->pos++;
	}
	return 0;
}

static int jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		return jp_fail(p, "unexpected character");
	p->pos += n;
	return 0;
}

static int jp_value(struct jp *p);

/* Append ".seg" (or "seg" at the top) to the path; returns the old length. */
static size_t jp_push(struct jp *p, const char *seg, size_t n)
{
	size_t old = p->plen;

	if (!p->cb || p->overflow)
		return old;
	if (old + (old ? 1 : 0) + n + 1 > sizeof(p->path)) {
		p->overflow = true;
		return old;
	}
	if (old)
		p->path[p->plen++] = '.';
	memcpy(p->path + p->plen, seg, n);
	p->plen += n;
	p->path[p->plen] = '\0';
	return old;
}

static void jp_pop(struct jp *p, size_t old, bool was_overflow)
{
	if (!p->cb)
		return;
	p->overflow = was_overflow;
	p->plen = old;
	p->path[old] = '\0';
}

static int jp_object(struct jp *p)
{
	if (!jp_eat(p, '{'))
		return jp_fail(p, "expected '{'");
	if (++p->depth > HEALTH_JSON_MAX_DEPTH)
		return jp_fail(p, "nested too deeply");
	if (jp_eat(p, '}')) {
		p->depth--;
		return 0;
	}
	do {
		size_t start, old;
		bool ovf = p->overflow;
		char key[HEALTH_JSON_MAX_PATH];

		jp_blank(p);
		start = p->pos;
		if (jp_string(p) < 0)
			return -1;
		if (p->cb &&
		    health_json_unquote((const char *)p->s + start,
					p->pos - start, key, sizeof(key)) < 0)
			p->overflow = true;
		if (!jp_eat(p, ':'))
			return jp_fail(p, "expected ':'");
		old = jp_push(p, key, p->cb ? strlen(key) : 0);
		if (jp_value(p) < 0)
			return -1;
		jp_pop(p, old, ovf);
	} while (jp_eat(p, ','));
	if (!jp_eat(p, '}'))
		return jp_fail(p, "expected ',' or '}'");
	p->depth--;
	return 0;
}

static int jp_array(struct jp *p)
{
	unsigned idx = 0;

	if (!jp_eat(p, '['))
		return jp_fail(p, "expected '['");
	if (++p->depth > HEALTH_JSON_MAX_DEPTH)
		return jp_fail(p, "nested too deeply");
	if (jp_eat(p, ']')) {
		p->depth--;
		return 0;
	}
	do {
		char seg[16];
		int n = snprintf(seg, sizeof(seg), "%u", idx++);
		bool ovf = p->overflow;
		size_t old = jp_push(p, seg, (size_t)n);

		if (jp_value(p) < 0)
			return -1;
		jp_pop(p, old, ovf);
	} while (jp_eat(p, ','));
	if (!jp_eat(p, ']'))
		return jp_fail(p, "expected ',' or ']'");
	p->depth--;
	return 0;
}

/* A scalar ended at pos: report it. */
static int jp_scalar(struct jp *p, size_t start, enum health_json_type t,
		     int rc)
{
	struct health_json_item it;

	if (rc < 0 || !p->cb || p->overflow)
		return rc;
	it.path = p->path;
	it.type = t;
	it.raw = (const char *)p->s + start;
	it.len = p->pos - start;
	p->cb(&it, p->arg);
	return 0;
}

static int jp_value(struct jp *p)
{
	size_t start;

	jp_blank(p);
	if (p->pos >= p->len)
		return jp_fail(p, "unexpected end");
	start = p->pos;
	switch (p->s[p->pos]) {
	case '{':
		return jp_object(p);
	case '[':
		return jp_array(p);
	case '"':
		return jp_scalar(p, start, HEALTH_JSON_STRING, jp_string(p));
	case 't':
		return jp_scalar(p, start, HEALTH_JSON_TRUE,
				 jp_word(p, "true"));
	case 'f':
		return jp_scalar(p, start, HEALTH_JSON_FALSE,
				 jp_word(p, "false"));
	case 'n':
		return jp_scalar(p, start, HEALTH_JSON_NULL,
				 jp_word(p, "null"));
	default:
		return jp_scalar(p, start, HEALTH_JSON_NUMBER, jp_number(p));
	}
}

int health_json_object(const char *text, size_t len, struct err *e)
{
	return health_json_walk(text, len, NULL, NULL, e);
}

int health_json_walk(const char *text, size_t len, health_json_fn cb, void *arg,
		     struct err *e)
{
	struct jp p;

	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)text;
	p.len = len;
	p.e = e;
	p.cb = cb;
	p.arg = arg;
	jp_blank(&p);
	if (p.pos >= p.len || p.s[p.pos] != '{')
		return jp_fail(&p, "not a JSON object");
	if (jp_object(&p) < 0)
		return -1;
	jp_blank(&p);
	if (p.pos != p.len)
		return jp_fail(&p, "text after the object");
	return 0;
}

static int jp_hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Put code point cp as UTF-8 at buf[*n] if it fits below blen. */
static bool jp_put_utf8(char *buf, size_t blen, size_t *n, uint32_t cp)
{
	unsigned char u[4];
	size_t k;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k >= blen)
		return false;
	memcpy(buf + *n, u, k);
	*n += k;
	return true;
}

int health_json_unquote(const char *raw, size_t len, char *buf, size_t blen)
{
	size_t n = 0, i = 1;

	if (!blen)
		return -1;
	buf[0] = '\0';
	if (len < 2 || raw[0] != '"' || raw[len - 1] != '"')
		return -1;
	while (i < len - 1) {
		char c = raw[i];
		uint32_t cp;

		if (c != '\\') {
			if (n + 1 >= blen)
				goto full;
			buf[n++] = c;
			i++;
			continue;
		}
		c = raw[++i];
		i++;
		switch (c) {
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (i + 4 > len - 1)
				return -1;
			cp = 0;
			for (int k = 0; k < 4; k++)
				cp = cp << 4 |
				     (uint32_t)jp_hexval(raw[i + (size_t)k]);
			i += 4;
			/* A surrogate pair is one character; a lone half is
			 * replaced (it has no UTF-8 form). */
			if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= len - 1 &&
			    raw[i] == '\\' && raw[i + 1] == 'u') {
				uint32_t lo = 0;

				for (int k = 0; k < 4; k++)
					lo = lo << 4 |
					     (uint32_t)jp_hexval(
						     raw[i + 2 + (size_t)k]);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			break;
		default:
			cp = (unsigned char)c;
			break;
		}
		if (!jp_put_utf8(buf, blen, &n, cp))
			goto full;
	}
	buf[n] = '\0';
	return 0;
full:
	buf[n] = '\0';
	return -1;
}

int health_json_number(const char *raw, size_t len, double *v)
{
	char tmp[64];
	char *end;

	if (!len || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, raw, len);
	tmp[len] = '\0';
	*v = strtod(tmp, &end);
	return *end ? -1 : 0;
}
