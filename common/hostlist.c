/*
 * Hostlist expressions: expansion of "n[00001-00008],login1" into an
 * ordered array of names and compression of such an array back into an
 * expression.
 *
 * A struct hostlist owns a growable array of entries.  Each entry owns its
 * name and caches the split into prefix and numeric suffix, so that
 * sorting and formatting never re-scan the strings.  Parsing runs in two
 * passes over the expression: the first validates it and counts the names
 * without allocating, the second appends them.  That keeps "hl unchanged
 * on error" trivially true and lets the max_names guard fire before a
 * single name of "n[0-999999999]" is built.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/xalloc.h"

struct hostlist_entry {
	char *name;
	uint64_t num;  /* value of the numeric suffix when ndig > 0 */
	uint32_t plen; /* length of the part before the numeric suffix */
	uint32_t ndig; /* digits in the numeric suffix; 0 = none */
};

struct hostlist {
	struct hostlist_entry *v;
	size_t n, cap;
};

/* A growable output string for hostlist_format. */
struct hostlist_buf {
	char *p;
	size_t len, cap;
};

struct hostlist *hostlist_create(void)
{
	return xcalloc(1, sizeof(struct hostlist));
}

void hostlist_destroy(struct hostlist *hl)
{
	if (!hl)
		return;
	for (size_t i = 0; i < hl->n; i++)
		free(hl->v[i].name);
	free(hl->v);
	free(hl);
}

static bool hostlist_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool hostlist_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Number of decimal digits of v (1 for 0). */
static uint32_t hostlist_ndigits(uint64_t v)
{
	uint32_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void hostlist_reserve(struct hostlist *hl, size_t extra)
{
	size_t want = hl->n + extra;

	if (want <= hl->cap)
		return;
	if (want < hl->cap * 2)
		want = hl->cap * 2;
	if (want < 16)
		want = 16;
	hl->v = xreallocarray(hl->v, want, sizeof(*hl->v));
	hl->cap = want;
}

/* Append a name the caller has validated; takes ownership of name. */
static void hostlist_append_owned(struct hostlist *hl, char *name, size_t len)
{
	struct hostlist_entry *en;
	size_t nd = 0;

	hostlist_reserve(hl, 1);
	en = &hl->v[hl->n++];
	en->name = name;
	while (nd < len && hostlist_is_digit(name[len - 1 - nd]))
		nd++;
	/*
	 * Digit runs too long for a uint64_t are not numbers to us: the name
	 * is then formatted verbatim, which still round-trips.
	 */
	if (nd > HOSTLIST_MAX_DIGITS)
		nd = 0;
	en->ndig = (uint32_t)nd;
	en->plen = (uint32_t)(len - nd);
	en->num = 0;
	for (size_t i = len - nd; i < len; i++)
		en->num = en->num * 10 + (uint64_t)(name[i] - '0');
}

int hostlist_push(struct hostlist *hl, const char *name)
{
	if (!util_valid_name(name, HOSTLIST_NAME_MAX)) {
		errno = EINVAL;
		return -1;
	}
	hostlist_append_owned(hl, xstrdup(name), strlen(name));
	return 0;
}

size_t hostlist_count(const struct hostlist *hl)
{
	return hl->n;
}

const char *hostlist_nth(const struct hostlist *hl, size_t i)
{
	return i < hl->n ? hl->v[i].name : NULL;
}

/* ---- parsing ---------------------------------------------------------- */

struct hostlist_scan {
	const char *expr;
	struct hostlist *out; /* NULL in the counting pass */
	size_t count;	      /* names produced so far by this expression */
	size_t limit;	      /* names this expression may still produce */
	size_t max_names;     /* the caller's limit, for messages */
	struct err *e;
};

/*
 * Report an error at p, quoting a bounded, escaped copy of the expression
 * and the offending character (expressions come from users and files).
 */
static int hostlist_fail(struct hostlist_scan *sc, const char *p,
			 const char *what)
{
	char shown[64];
	char ch[16];

	log_escape(sc->expr, shown, sizeof(shown));
	if (*p == '\0')
		snprintf(ch, sizeof(ch), "end of input");
	else if (*p >= 0x20 && *p < 0x7f)
		snprintf(ch, sizeof(ch), "'%c'", *p);
	else
		snprintf(ch, sizeof(ch), "byte 0x%02x", (unsigned char)*p);
	return err_set(sc->e, "hostlist '%s%s': %s at offset %zu (%s)", shown,
		       strlen(shown) < strlen(sc->expr) ? "..." : "", what,
		       (size_t)(p - sc->expr), ch);
}

_Static_assert(HOSTLIST_MAX_DIGITS == 18, "update the message below");

/*
 * Read a range number at *pp: 1..HOSTLIST_MAX_DIGITS digits.  Stores the
 * value and the digit count and advances *pp.  upper: this is the number
 * after '-', which only changes the message when it is missing.
 */
static int hostlist_scan_num(struct hostlist_scan *sc, const char **pp,
			     bool upper, uint64_t *val, uint32_t *width)
{
	const char *p = *pp;
	uint64_t v = 0;
	uint32_t n = 0;

	if (!hostlist_is_digit(*p)) {
		if (upper)
			return hostlist_fail(sc, p, "missing end of range");
		if (*p == ']' || *p == ',')
			return hostlist_fail(sc, p, "empty range");
		return hostlist_fail(sc, p, "expected a number");
	}
	while (hostlist_is_digit(*p)) {
		if (++n > HOSTLIST_MAX_DIGITS)
			return hostlist_fail(sc, *pp,
					     "number longer than 18 digits");
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*val = v;
	*width = n;
	*pp = p;
	return 0;
}

/* Account for count more names; fails once the limit would be exceeded. */
static int hostlist_scan_add(struct hostlist_scan *sc, const char *p,
			     uint64_t count)
{
	if (count > sc->limit - sc->count) {
		char what[96];

		snprintf(what, sizeof(what), "exceeds the limit of %zu names",
			 sc->max_names);
		return hostlist_fail(sc, p, what);
	}
	sc->count += (size_t)count;
	return 0;
}

/* Emit prefix + lo..hi (padded to width) + suffix; lengths are checked. */
static void hostlist_emit_range(struct hostlist_scan *sc, const char *pre,
				size_t plen, uint64_t lo, uint64_t hi,
				uint32_t width, const char *suf, size_t slen)
{
	for (uint64_t v = lo;; v++) {
		size_t len = plen + MAX(width, hostlist_ndigits(v)) + slen;
		char *name = xmalloc(len + 1);

		snprintf(name, len + 1, "%.*s%0*llu%.*s", (int)plen, pre,
			 (int)width, (unsigned long long)v, (int)slen, suf);
		hostlist_append_owned(sc->out, name, len);
		if (v == hi)
			break;
	}
}

/*
 * Scan one item at *pp: prefix ["[" ranges "]" suffix].  Leaves *pp on
 * the ',' or NUL that ends the item.
 */
static int hostlist_scan_item(struct hostlist_scan *sc, const char **pp)
{
	const char *pre = *pp, *p = *pp;
	const char *open, *suf;
	size_t plen, slen;

	while (hostlist_is_name_char(*p))
		p++;
	plen = (size_t)(p - pre);
	if (*p != '[') {
		if (*p == ']')
			return hostlist_fail(sc, p, "unbalanced ']'");
		if (*p != ',' && *p != '\0')
			return hostlist_fail(sc, p, "invalid character");
		if (plen == 0)
			return hostlist_fail(sc, p, "empty name");
		if (plen > HOSTLIST_NAME_MAX)
			return hostlist_fail(sc, pre, "name too long");
		if (hostlist_scan_add(sc, pre, 1) < 0)
			return -1;
		if (sc->out)
			hostlist_append_owned(sc->out, xstrndup(pre, plen),
					      plen);
		*pp = p;
		return 0;
	}

	/*
	 * Find the end of the ranges and the suffix first: every name needs
	 * both, and the ranges may then be scanned knowing their characters
	 * are digits, '-' and ',' only.
	 */
	open = p;
	p = open + 1 + strspn(open + 1, "0123456789,-");
	if (*p == '[')
		return hostlist_fail(sc, p, "nested '['");
	if (*p == '\0')
		return hostlist_fail(sc, open, "unbalanced '['");
	if (*p != ']')
		return hostlist_fail(sc, p, "invalid character in range");
	suf = ++p;
	while (hostlist_is_name_char(*p))
		p++;
	slen = (size_t)(p - suf);
	if (*p == '[')
		return hostlist_fail(sc, p,
				     "only one bracket allowed per item");
	if (*p == ']')
		return hostlist_fail(sc, p, "unbalanced ']'");
	if (*p != ',' && *p != '\0')
		return hostlist_fail(sc, p, "invalid character");
	*pp = p;

	p = open + 1;
	for (;;) {
		uint64_t lo, hi;
		uint32_t width, hwidth;
		const char *start = p;

		if (hostlist_scan_num(sc, &p, false, &lo, &width) < 0)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (hostlist_scan_num(sc, &p, true, &hi, &hwidth) < 0)
				return -1;
			if (lo > hi)
				return hostlist_fail(
					sc, start,
					"range start is above its end");
		}
		if (plen + MAX(width, hostlist_ndigits(hi)) + slen >
		    HOSTLIST_NAME_MAX)
			return hostlist_fail(sc, start, "name too long");
		if (hostlist_scan_add(sc, start, hi - lo + 1) < 0)
			return -1;
		if (sc->out)
			hostlist_emit_range(sc, pre, plen, lo, hi, width, suf,
					    slen);
		if (*p == ']')
			return 0;
		if (*p != ',')
			return hostlist_fail(sc, p, "expected ',' or ']'");
		p++;
	}
}

static int hostlist_scan(struct hostlist_scan *sc)
{
	const char *p = sc->expr;

	if (*p == '\0')
		return err_set(sc->e, "empty hostlist expression");
	for (;;) {
		if (hostlist_scan_item(sc, &p) < 0)
			return -1;
		if (*p == '\0')
			return 0;
		p++; /* the ',' between items */
		if (*p == '\0')
			return hostlist_fail(sc, p, "empty name");
	}
}

int hostlist_parse(struct hostlist *hl, const char *expr, size_t max_names,
		   struct err *e)
{
	struct hostlist_scan sc = { .expr = expr,
				    .max_names = max_names,
				    .e = e };

	if (!expr)
		return err_set(e, "empty hostlist expression");
	if (hl->n > max_names)
		return err_set(e, "hostlist already holds more than %zu names",
			       max_names);
	sc.limit = max_names - hl->n;
	if (hostlist_scan(&sc) < 0)
		return -1;
	/* The second pass cannot fail: everything was checked above. */
	hostlist_reserve(hl, sc.count);
	sc.out = hl;
	sc.count = 0;
	if (hostlist_scan(&sc) < 0)
		fatal("hostlist: second pass failed on '%s'", expr);
	return 0;
}

/* ---- sorting ---------------------------------------------------------- */

static int hostlist_cmp(const void *a, const void *b)
{
	const struct hostlist_entry *x = a, *y = b;
	int c = memcmp(x->name, y->name, MIN(x->plen, y->plen));

	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	if ((x->ndig > 0) != (y->ndig > 0))
		return x->ndig ? 1 : -1;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	if (x->ndig != y->ndig)
		return x->ndig < y->ndig ? -1 : 1;
	return strcmp(x->name, y->name);
}

void hostlist_sort_uniq(struct hostlist *hl)
{
	size_t o = 0;

	if (hl->n < 2)
		return;
	qsort(hl->v, hl->n, sizeof(*hl->v), hostlist_cmp);
	for (size_t i = 0; i < hl->n; i++) {
		if (o > 0 && !strcmp(hl->v[o - 1].name, hl->v[i].name)) {
			free(hl->v[i].name);
			continue;
		}
		hl->v[o++] = hl->v[i];
	}
	hl->n = o;
}

/* ---- formatting ------------------------------------------------------- */

static void hostlist_buf_add(struct hostlist_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + n + 1);

		b->p = xrealloc(b->p, MAX(cap, (size_t)64));
		b->cap = MAX(cap, (size_t)64);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void hostlist_buf_num(struct hostlist_buf *b, uint64_t v, uint32_t width)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%0*llu", (int)width,
			 (unsigned long long)v);

	hostlist_buf_add(b, tmp, (size_t)n);
}

static bool hostlist_same_prefix(const struct hostlist_entry *a,
				 const struct hostlist_entry *b)
{
	return a->plen == b->plen && !memcmp(a->name, b->name, a->plen);
}

/*
 * True if e is the number after hi written with padding width: its digits
 * are exactly what "%0*llu" prints, so a range "lo-hi" reproduces it.
 */
static bool hostlist_extends(const struct hostlist_entry *e, uint64_t hi,
			     uint32_t width)
{
	return e->num == hi + 1 &&
	       e->ndig == MAX(width, hostlist_ndigits(e->num));
}

/*
 * Write the ranges of entries v[i..j) (same prefix, all numeric) and
 * return.  A range starts at an entry, takes its digit count as padding,
 * and absorbs following entries while they continue it.
 */
static void hostlist_format_ranges(struct hostlist_buf *b,
				   const struct hostlist_entry *v, size_t i,
				   size_t j)
{
	bool first = true;

	while (i < j) {
		uint64_t lo = v[i].num, hi = lo;
		uint32_t width = v[i].ndig;

		i++;
		while (i < j && hostlist_extends(&v[i], hi, width)) {
			hi = v[i].num;
			i++;
		}
		if (!first)
			hostlist_buf_add(b, ",", 1);
		first = false;
		hostlist_buf_num(b, lo, width);
		if (hi != lo) {
			hostlist_buf_add(b, "-", 1);
			hostlist_buf_num(b, hi, width);
		}
	}
}

char *hostlist_format(const struct hostlist *hl)
{
	struct hostlist_buf b = { NULL, 0, 0 };
	size_t i = 0;

	hostlist_buf_add(&b, "", 0);
	while (i < hl->n) {
		const struct hostlist_entry *en = &hl->v[i];
		size_t j = i + 1;

		if (i > 0)
			hostlist_buf_add(&b, ",", 1);
		if (en->ndig == 0) {
			hostlist_buf_add(&b, en->name, strlen(en->name));
			i++;
			continue;
		}
		while (j < hl->n && hl->v[j].ndig > 0 &&
		       hostlist_same_prefix(en, &hl->v[j]))
			j++;
		if (j - i == 1) {
			hostlist_buf_add(&b, en->name, strlen(en->name));
		} else {
			hostlist_buf_add(&b, en->name, en->plen);
			hostlist_buf_add(&b, "[", 1);
			hostlist_format_ranges(&b, hl->v, i, j);
			hostlist_buf_add(&b, "]", 1);
		}
		i = j;
	}
	return b.p;
}
