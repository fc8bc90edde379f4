/*
 * Table-driven option parsing for the CLI (see opts.h for the syntax).
 * Pure: no I/O except opts_help, no globals.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "client/opts.h"
#include "common/xalloc.h"

static const struct opts_def *opts_find_long(const struct opts_set *sets,
					     size_t nsets, const char *name,
					     size_t len, size_t *set)
{
	for (size_t s = 0; s < nsets; s++)
		for (const struct opts_def *d = sets[s].defs; d->name; d++)
			if (strlen(d->name) == len &&
			    !strncmp(d->name, name, len)) {
				*set = s;
				return d;
			}
	return NULL;
}

static const struct opts_def *opts_find_short(const struct opts_set *sets,
					      size_t nsets, char c, size_t *set)
{
	for (size_t s = 0; s < nsets; s++)
		for (const struct opts_def *d = sets[s].defs; d->name; d++)
			if (d->shortopt && d->shortopt == c) {
				*set = s;
				return d;
			}
	return NULL;
}

static void opts_rest_push(struct opts_rest *rest, char *arg, size_t *cap)
{
	if (rest->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		rest->args = xreallocarray(rest->args, *cap, sizeof(char *));
	}
	rest->args[rest->n++] = arg;
}

static int opts_call(const struct opts_set *set, const struct opts_def *d,
		     const char *spelled, const char *val, struct err *e)
{
	struct err sub;

	err_clear(&sub);
	if (set->fn(set->arg, d->id, spelled, val, &sub) == 0)
		return 0;
	return err_set(e, "%s: %s", spelled, sub.msg);
}

/* A "--name[=value]" argument; *i may advance past a separate value. */
static int opts_long(int argc, char **argv, int *i, const struct opts_set *sets,
		     size_t nsets, struct err *e)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct opts_def *d;
	char spelled[80];
	size_t set;

	snprintf(spelled, sizeof(spelled), "--%.*s", (int)MIN(len, 60), arg);
	d = opts_find_long(sets, nsets, arg, len, &set);
	if (!d)
		return err_set(e, "unknown option '%s'", spelled);
	if (d->arg == OPTS_FLAG) {
		if (eq)
			return err_set(e, "option %s takes no value", spelled);
		return opts_call(&sets[set], d, spelled, NULL, e);
	}
	if (eq)
		return opts_call(&sets[set], d, spelled, eq + 1, e);
	if (*i + 1 >= argc)
		return err_set(e, "option %s needs a value (%s)", spelled,
			       d->metavar ? d->metavar : "VALUE");
	(*i)++;
	return opts_call(&sets[set], d, spelled, argv[*i], e);
}

/* A "-abc" or "-Nvalue" argument. */
static int opts_short(int argc, char **argv, int *i,
		      const struct opts_set *sets, size_t nsets, struct err *e)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		char spelled[3] = { '-', *p, '\0' };
		const struct opts_def *d;
		size_t set;

		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return err_set(e, "invalid option in '%.40s'",
				       argv[*i]);
		d = opts_find_short(sets, nsets, *p, &set);
		if (!d)
			return err_set(e, "unknown option '%s'", spelled);
		if (d->arg == OPTS_FLAG) {
			if (opts_call(&sets[set], d, spelled, NULL, e) < 0)
				return -1;
			continue;
		}
		if (p[1])
			return opts_call(&sets[set], d, spelled, p + 1, e);
		if (*i + 1 >= argc)
			return err_set(e, "option %s needs a value (%s)",
				       spelled,
				       d->metavar ? d->metavar : "VALUE");
		(*i)++;
		return opts_call(&sets[set], d, spelled, argv[*i], e);
	}
	return 0;
}

int opts_parse(int argc, char **argv, const struct opts_set *sets, size_t nsets,
	       unsigned flags, struct opts_rest *rest, struct err *e)
{
	size_t cap = 0;
	int i;

	memset(rest, 0, sizeof(*rest));
	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		int rc;

		if (!strcmp(a, "--")) {
			if (flags & OPTS_NO_POSITIONAL) {
				err_set(e, "'--' is not allowed here");
				goto fail;
			}
			rest->dashdash = true;
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			/* "-" alone is a positional (stdin by convention). */
			if (flags & OPTS_NO_POSITIONAL) {
				err_set(e,
					"unexpected argument '%.60s' "
					"(only options are allowed here)",
					a);
				goto fail;
			}
			if (flags & OPTS_STOP_AT_POSITIONAL)
				break;
			opts_rest_push(rest, a, &cap);
			continue;
		}
		if (a[1] == '-')
			rc = opts_long(argc, argv, &i, sets, nsets, e);
		else
			rc = opts_short(argc, argv, &i, sets, nsets, e);
		if (rc < 0)
			goto fail;
	}
	for (; i < argc; i++)
		opts_rest_push(rest, argv[i], &cap);
	return 0;
fail:
	opts_rest_free(rest);
	return -1;
}

void opts_rest_free(struct opts_rest *rest)
{
	free(rest->args);
	memset(rest, 0, sizeof(*rest));
}

/* Print text wrapped at blanks into lines of at most width columns. */
static void opts_wrap(FILE *out, const char *text, int indent, int width)
{
	const char *p = text;
	bool first = true;

	while (*p) {
		int len = (int)strlen(p), cut = len;

		if (len > width) {
			cut = width;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width; /* one overlong word */
		}
		fprintf(out, "%*s%.*s\n", first ? 0 : indent, "", cut, p);
		first = false;
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void opts_help(FILE *out, const struct opts_def *defs)
{
	enum { LEFT = 26, INDENT = 30, WIDTH = 79 - INDENT };

	for (const struct opts_def *d = defs; d->name; d++) {
		char left[64];
		int n;

		if (!d->help)
			continue;
		if (d->shortopt)
			n = snprintf(left, sizeof(left), "-%c, --%s",
				     d->shortopt, d->name);
		else
			n = snprintf(left, sizeof(left), "    --%s", d->name);
		if (d->arg == OPTS_VALUE && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
				 d->metavar ? d->metavar : "VALUE");
		if (strlen(left) > LEFT)
			fprintf(out, "  %s\n%*s", left, INDENT, "");
		else
			fprintf(out, "  %-*s  ", LEFT, left);
		opts_wrap(out, d->help, INDENT, WIDTH);
	}
}

/* Digits only, at most 20 of them: the value must fit a uint64_t. */
static int opts_digits(const char *s, uint64_t *out, struct err *e)
{
	char *end;
	unsigned long long v;

	if (!*s)
		return err_set(e, "empty value where a number is needed");
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return err_set(e, "'%.40s' is not a whole number", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end)
		return err_set(e, "'%.40s' is too large", s);
	*out = v;
	return 0;
}

int opts_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		   struct err *e)
{
	uint64_t v = 0;

	if (opts_digits(s, &v, e) < 0)
		return -1;
	if (v < min || v > max)
		return err_set(e,
			       "%" PRIu64 " is out of range (%" PRIu64
			       "..%" PRIu64 ")",
			       v, min, max);
	*out = v;
	return 0;
}

int opts_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		   struct err *e)
{
	uint64_t v = 0;

	if (opts_parse_u64(s, min, max, &v, e) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int opts_parse_i32(const char *s, int32_t min, int32_t max, int32_t *out,
		   struct err *e)
{
	bool neg = s[0] == '-';
	uint64_t v = 0;
	int64_t sv;

	if (s[0] == '+' || s[0] == '-')
		s++;
	if (opts_digits(s, &v, e) < 0)
		return -1;
	/* Bound the magnitude first so the signed value cannot overflow. */
	if (v > (uint64_t)INT32_MAX + 1)
		return err_set(e, "%s%.40s is out of range (%d..%d)",
			       neg ? "-" : "", s, min, max);
	sv = neg ? -(int64_t)v : (int64_t)v;
	if (sv < min || sv > max)
		return err_set(e, "%" PRId64 " is out of range (%d..%d)", sv,
			       min, max);
	*out = (int32_t)sv;
	return 0;
}
