/*
 * The table-driven INI parser.  A program describes its configuration
 * struct with one array of struct cfg_opt; this module fills defaults,
 * parses files and command-line overrides into the struct, checks required
 * keys, dumps the struct back in file syntax, frees its heap values and,
 * on reload, puts back values that may not change at run time.
 *
 * The module owns nothing between calls.  Strings and lists it stores in
 * the program's struct belong to that struct and are released by
 * cfg_free().
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "common/xalloc.h"

/* Config files are small; anything larger is a mistake (or not config). */
#define CFG_MAX_FILE_SIZE (4u << 20)

static void *cfg_ptr(const struct cfg_opt *o, void *conf)
{
	return (char *)conf + o->offset;
}

static const void *cfg_cptr(const struct cfg_opt *o, const void *conf)
{
	return (const char *)conf + o->offset;
}

/* "section.name", or "name" for top-level keys. */
static const char *cfg_keyname(const struct cfg_opt *o, char *buf, size_t len)
{
	if (o->section[0])
		snprintf(buf, len, "%s.%s", o->section, o->name);
	else
		snprintf(buf, len, "%s", o->name);
	return buf;
}

static bool cfg_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static bool cfg_is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Escape an untrusted string for a message (values come from files). */
static const char *cfg_esc(const char *s, char *buf, size_t len)
{
	return log_escape(s, buf, len);
}

/* Trim trailing whitespace of s in place. */
static void cfg_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && cfg_is_space(s[n - 1]))
		s[--n] = '\0';
}

static char *cfg_ltrim(char *s)
{
	while (cfg_is_space(*s))
		s++;
	return s;
}

/* ---- lists ------------------------------------------------------------ */

static void cfg_list_clear(struct cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void cfg_list_copy(struct cfg_list *dst, const struct cfg_list *src)
{
	dst->n = src->n;
	dst->items = src->n ? xcalloc(src->n, sizeof(char *)) : NULL;
	for (size_t i = 0; i < src->n; i++)
		dst->items[i] = xstrdup(src->items[i]);
}

/* Split "a, b ,c" into trimmed items; "" (or blanks) is the empty list. */
static int cfg_list_parse(const char *val, struct cfg_list *out, struct err *e)
{
	char *copy = xstrdup(val);
	char *p = cfg_ltrim(copy);
	struct cfg_list l = { NULL, 0 };

	if (*p) {
		for (;;) {
			char *comma = strchr(p, ',');
			char *item;

			if (comma)
				*comma = '\0';
			item = cfg_ltrim(p);
			cfg_rtrim(item);
			if (!*item) {
				cfg_list_clear(&l);
				free(copy);
				return err_set(e, "empty item in list");
			}
			l.items =
				xreallocarray(l.items, l.n + 1, sizeof(char *));
			l.items[l.n++] = xstrdup(item);
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	free(copy);
	*out = l;
	return 0;
}

static bool cfg_list_equal(const struct cfg_list *a, const struct cfg_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]))
			return false;
	return true;
}

/* ---- typed values ----------------------------------------------------- */

static int cfg_parse_int(const struct cfg_opt *o, const char *val, int64_t *out,
			 struct err *e)
{
	const char *p = val;
	char shown[64];
	char *end;
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return err_set(e, "'%s' is not an integer",
			       cfg_esc(val, shown, sizeof(shown)));
	errno = 0;
	v = strtoll(val, &end, 10);
	if (*end)
		return err_set(e, "'%s' is not an integer",
			       cfg_esc(val, shown, sizeof(shown)));
	if (errno == ERANGE)
		return err_set(e, "'%s' is out of range",
			       cfg_esc(val, shown, sizeof(shown)));
	if (v < o->min)
		return err_set(e, "%lld is below the minimum %" PRId64, v,
			       o->min);
	if (o->max != 0 && v > o->max)
		return err_set(e, "%lld is above the maximum %" PRId64, v,
			       o->max);
	*out = v;
	return 0;
}

static int cfg_parse_duration(const struct cfg_opt *o, const char *val,
			      uint64_t *out, struct err *e)
{
	char a[32], b[32];
	uint64_t v;

	if (timeparse_duration(val, &v, e) < 0)
		return -1;
	if (o->min > 0 && v < (uint64_t)o->min)
		return err_set(e, "%s is below the minimum %s",
			       timeparse_format_duration(v, a, sizeof(a)),
			       timeparse_format_duration((uint64_t)o->min, b,
							 sizeof(b)));
	if (o->max > 0 && v > (uint64_t)o->max)
		return err_set(e, "%s is above the maximum %s",
			       timeparse_format_duration(v, a, sizeof(a)),
			       timeparse_format_duration((uint64_t)o->max, b,
							 sizeof(b)));
	*out = v;
	return 0;
}

static int cfg_parse_bool(const char *val, bool *out, struct err *e)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char shown[64];

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(val, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(val, no[i])) {
			*out = false;
			return 0;
		}
	}
	return err_set(e,
		       "'%s' is not a boolean (use true/false, yes/no, "
		       "on/off or 1/0)",
		       cfg_esc(val, shown, sizeof(shown)));
}

/*
 * Log levels by name as log_level_parse() knows them, or as a syslog
 * number 0..7 so that every int can be dumped and read back.
 */
static int cfg_parse_loglevel(const char *val, int *out, struct err *e)
{
	int level = log_level_parse(val);
	char shown[64];

	if (level < 0 && val[0] >= '0' && val[0] <= '7' && val[1] == '\0')
		level = val[0] - '0';
	if (level < 0)
		return err_set(e,
			       "'%s' is not a log level (use err, warn, "
			       "info or debug)",
			       cfg_esc(val, shown, sizeof(shown)));
	*out = level;
	return 0;
}

/*
 * Parse val according to o and store it in conf, replacing (and freeing)
 * the previous value.  On error conf is unchanged.
 */
static int cfg_store(const struct cfg_opt *o, void *conf, const char *val,
		     struct err *e)
{
	void *p = cfg_ptr(o, conf);

	switch (o->type) {
	case CFG_STR: {
		/* Copy before freeing: val may be the current value itself. */
		char **s = p, *copy = xstrdup(val);

		free(*s);
		*s = copy;
		return 0;
	}
	case CFG_INT:
		return cfg_parse_int(o, val, p, e);
	case CFG_BOOL:
		return cfg_parse_bool(val, p, e);
	case CFG_DURATION:
		return cfg_parse_duration(o, val, p, e);
	case CFG_LOGLEVEL:
		return cfg_parse_loglevel(val, p, e);
	case CFG_LIST: {
		struct cfg_list l;

		if (cfg_list_parse(val, &l, e) < 0)
			return -1;
		cfg_list_clear(p);
		*(struct cfg_list *)p = l;
		return 0;
	}
	}
	return err_set(e, "unknown option type %d", (int)o->type);
}

/* ---- defaults, lookup, required --------------------------------------- */

/*
 * Table mistakes that would otherwise surface later: a required key whose
 * "missing" state cannot be told from a real value, and an optional key
 * whose implicit zero default is outside its own bounds (cfg_dump would
 * then write a file that does not load).
 */
static int cfg_check_opt(const struct cfg_opt *o, struct err *e)
{
	char key[128];
	bool zero_ok = true;

	cfg_keyname(o, key, sizeof(key));
	if ((o->flags & CFG_REQUIRED) &&
	    (o->type == CFG_BOOL || o->type == CFG_LOGLEVEL))
		return err_set(e,
			       "option '%s': a boolean or log level cannot be "
			       "required",
			       key);
	if (o->defval || (o->flags & CFG_REQUIRED))
		return 0;
	if (o->type == CFG_INT)
		zero_ok = o->min <= 0 && o->max >= 0;
	else if (o->type == CFG_DURATION)
		zero_ok = o->min <= 0;
	if (!zero_ok)
		return err_set(e,
			       "option '%s': needs a default (0 is out of "
			       "bounds)",
			       key);
	return 0;
}

int cfg_defaults(const struct cfg_opt *table, void *conf, struct err *e)
{
	char key[128];

	for (const struct cfg_opt *o = table; o->name; o++) {
		void *p = cfg_ptr(o, conf);

		if (cfg_check_opt(o, e) < 0)
			return -1;
		if (o->defval) {
			if (cfg_store(o, conf, o->defval, e) < 0)
				return err_prefix(
					e, "default for '%s'",
					cfg_keyname(o, key, sizeof(key)));
			continue;
		}
		switch (o->type) {
		case CFG_STR:
			free(*(char **)p);
			*(char **)p = xstrdup("");
			break;
		case CFG_INT:
			*(int64_t *)p = 0;
			break;
		case CFG_BOOL:
			*(bool *)p = false;
			break;
		case CFG_DURATION:
			*(uint64_t *)p = 0;
			break;
		case CFG_LIST:
			cfg_list_clear(p);
			break;
		case CFG_LOGLEVEL:
			*(int *)p = 0;
			break;
		}
	}
	return 0;
}

static const struct cfg_opt *cfg_find(const struct cfg_opt *table,
				      const char *section, const char *name)
{
	for (const struct cfg_opt *o = table; o->name; o++)
		if (!strcmp(o->section, section) && !strcmp(o->name, name))
			return o;
	return NULL;
}

static bool cfg_section_known(const struct cfg_opt *table, const char *section)
{
	for (const struct cfg_opt *o = table; o->name; o++)
		if (!strcmp(o->section, section))
			return true;
	return false;
}

int cfg_set(const struct cfg_opt *table, void *conf, const char *key,
	    const char *value, struct err *e)
{
	char name[128], shown[128];

	/*
	 * Compare against the full "section.name" of each entry rather than
	 * splitting key at a dot, so key names may contain dots themselves.
	 */
	for (const struct cfg_opt *o = table; o->name; o++) {
		if (strcmp(cfg_keyname(o, name, sizeof(name)), key))
			continue;
		/*
		 * A file value can never hold a newline, and cfg_dump could
		 * not write one back (found by tests/fuzz/fuzz_cfg).
		 */
		if (strchr(value, '\n'))
			return err_set(e, "%s: the value contains a newline",
				       name);
		if (cfg_store(o, conf, value, e) < 0)
			return err_prefix(e, "%s", name);
		return 0;
	}
	return err_set(e, "unknown key '%s'",
		       cfg_esc(key, shown, sizeof(shown)));
}

/* A required key is missing while it still holds its empty value. */
static bool cfg_is_empty(const struct cfg_opt *o, const void *conf)
{
	const void *p = cfg_cptr(o, conf);

	switch (o->type) {
	case CFG_STR:
		return !*(char *const *)p || !**(char *const *)p;
	case CFG_INT:
		return *(const int64_t *)p == 0;
	case CFG_DURATION:
		return *(const uint64_t *)p == 0;
	case CFG_LIST:
		return ((const struct cfg_list *)p)->n == 0;
	case CFG_BOOL:
	case CFG_LOGLEVEL:
		break;
	}
	return false;
}

int cfg_check_required(const struct cfg_opt *table, const void *conf,
		       struct err *e)
{
	char list[384] = "", key[128];
	size_t missing = 0;

	for (const struct cfg_opt *o = table; o->name; o++) {
		size_t len = strlen(list);

		if (!(o->flags & CFG_REQUIRED) || !cfg_is_empty(o, conf))
			continue;
		snprintf(list + len, sizeof(list) - len, "%s%s",
			 missing ? ", " : "", cfg_keyname(o, key, sizeof(key)));
		missing++;
	}
	if (missing)
		return err_set(e, "missing required key%s: %s",
			       missing > 1 ? "s" : "", list);
	return 0;
}

/* ---- parsing files ---------------------------------------------------- */

struct cfg_parse {
	const struct cfg_opt *table;
	void *conf;
	const char *name; /* file name for messages */
	unsigned line;
	const char *section;
	unsigned *seen; /* line where each table entry was set; 0 = not */
	struct err *e;
};

static int cfg_fail(struct cfg_parse *cp, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
static int cfg_fail(struct cfg_parse *cp, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(cp->e, "%s:%u: %s", cp->name, cp->line, msg);
}

/* " in section [x]", or "" at top level, for messages about keys. */
static const char *cfg_where(const char *section, char *buf, size_t len)
{
	if (section[0])
		snprintf(buf, len, " in section [%s]", section);
	else
		buf[0] = '\0';
	return buf;
}

/*
 * Unquote the value starting at the opening '"' at p, in place.  Only
 * whitespace and a comment may follow the closing quote.
 */
static int cfg_unquote(struct cfg_parse *cp, char *p, char **out)
{
	char *r = p + 1, *w = p;
	char shown[64];

	for (;; r++) {
		if (*r == '\0')
			return cfg_fail(cp, "unterminated quoted value");
		if (*r == '"')
			break;
		if (*r == '\\') {
			r++;
			if (*r != '"' && *r != '\\')
				return cfg_fail(cp,
						"unknown escape in quoted "
						"value (only \\\" and \\\\)");
		}
		*w++ = *r;
	}
	r = cfg_ltrim(r + 1);
	if (*r && *r != '#' && *r != ';')
		return cfg_fail(cp, "unexpected text after quoted value: '%s'",
				cfg_esc(r, shown, sizeof(shown)));
	*w = '\0';
	*out = p;
	return 0;
}

static int cfg_parse_section(struct cfg_parse *cp, char *p)
{
	char *close = strchr(p, ']');
	char *name, *rest;
	char shown[64];

	if (!close)
		return cfg_fail(cp, "missing ']' in section header");
	*close = '\0';
	name = cfg_ltrim(p + 1);
	cfg_rtrim(name);
	rest = cfg_ltrim(close + 1);
	if (*rest && *rest != '#' && *rest != ';')
		return cfg_fail(cp,
				"unexpected text after section header: "
				"'%s'",
				cfg_esc(rest, shown, sizeof(shown)));
	if (!*name)
		return cfg_fail(cp, "empty section name");
	if (!cfg_section_known(cp->table, name))
		return cfg_fail(cp, "unknown section [%s]",
				cfg_esc(name, shown, sizeof(shown)));
	/* Sections are looked up in the table, whose strings outlive us. */
	for (const struct cfg_opt *o = cp->table; o->name; o++) {
		if (!strcmp(o->section, name)) {
			cp->section = o->section;
			break;
		}
	}
	return 0;
}

static int cfg_parse_line(struct cfg_parse *cp, char *line)
{
	char *p = cfg_ltrim(line), *key, *val, *hash;
	const struct cfg_opt *o;
	char where[96], shown[64];
	size_t idx;

	if (!*p || *p == '#' || *p == ';')
		return 0;
	if (*p == '[')
		return cfg_parse_section(cp, p);
	key = p;
	while (cfg_is_key_char(*p))
		p++;
	if (p == key)
		return cfg_fail(cp, "expected 'key = value', got '%s'",
				cfg_esc(line, shown, sizeof(shown)));
	val = cfg_ltrim(p);
	if (*val != '=') {
		*p = '\0';
		return cfg_fail(cp, "expected '=' after key '%s'",
				cfg_esc(key, shown, sizeof(shown)));
	}
	/* val is at or past p, so ending the key cannot touch the value. */
	val = cfg_ltrim(val + 1);
	*p = '\0';
	if (*val == '"') {
		if (cfg_unquote(cp, val, &val) < 0)
			return -1;
	} else {
		/* Unquoted values end at a comment (quote them to keep '#'). */
		hash = strchr(val, '#');
		if (hash)
			*hash = '\0';
		cfg_rtrim(val);
	}

	cfg_where(cp->section, where, sizeof(where));
	cfg_esc(key, shown, sizeof(shown));
	o = cfg_find(cp->table, cp->section, key);
	if (!o)
		return cfg_fail(cp, "unknown key '%s'%s", shown, where);
	idx = (size_t)(o - cp->table);
	if (cp->seen[idx])
		return cfg_fail(cp,
				"duplicate key '%s'%s (first set on line %u)",
				shown, where, cp->seen[idx]);
	cp->seen[idx] = cp->line;
	if (cfg_store(o, cp->conf, val, cp->e) < 0)
		return err_prefix(cp->e, "%s:%u: key '%s'%s", cp->name,
				  cp->line, shown, where);
	return 0;
}

int cfg_load_string(const struct cfg_opt *table, void *conf, const char *name,
		    const char *text, struct err *e)
{
	struct cfg_parse cp = { table, conf, name, 0, "", NULL, e };
	char *copy = xstrdup(text), *line = copy;
	size_t n = 0;
	int r = 0;

	while (table[n].name)
		n++;
	cp.seen = xcalloc(n + 1, sizeof(unsigned));
	while (line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		cp.line++;
		if ((r = cfg_parse_line(&cp, line)) < 0)
			break;
		line = nl ? nl + 1 : NULL;
	}
	free(cp.seen);
	free(copy);
	return r;
}

int cfg_load_file(const struct cfg_opt *table, void *conf, const char *path,
		  struct err *e)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 4096;
	char *buf;
	int r = -1;

	if (!f)
		return err_set(e, "%s: %s", path, strerror(errno));
	buf = xmalloc(cap);
	for (;;) {
		len += fread(buf + len, 1, cap - 1 - len, f);
		if (ferror(f)) {
			err_set(e, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (len > CFG_MAX_FILE_SIZE) {
			err_set(e, "%s: larger than %u bytes", path,
				CFG_MAX_FILE_SIZE);
			goto out;
		}
		if (feof(f))
			break;
		if (len == cap - 1) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (memchr(buf, '\0', len)) {
		err_set(e, "%s: contains a NUL byte", path);
		goto out;
	}
	buf[len] = '\0';
	r = cfg_load_string(table, conf, path, buf, e);
out:
	free(buf);
	fclose(f);
	return r;
}

/* ---- dumping ---------------------------------------------------------- */

/* Strings that would not survive an unquoted round trip. */
static bool cfg_needs_quotes(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || cfg_is_space(s[0]) || cfg_is_space(s[n - 1]) ||
	       strpbrk(s, "#\"\\") != NULL;
}

static void cfg_write_value(FILE *out, const char *s)
{
	if (!cfg_needs_quotes(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void cfg_dump_opt(const struct cfg_opt *o, const void *conf, FILE *out)
{
	const void *p = cfg_cptr(o, conf);
	char buf[64];

	fprintf(out, "# %s%s%s\n", o->help ? o->help : "",
		(o->flags & CFG_REQUIRED) ? " (required)" : "",
		(o->flags & CFG_RELOADABLE) ? "" : " (restart to change)");
	/*
	 * A required key that is not set yet has no valid value to show
	 * (0 may be out of bounds): comment it out so the file still loads
	 * and cfg_check_required reports it.
	 */
	if ((o->flags & CFG_REQUIRED) && cfg_is_empty(o, conf)) {
		fprintf(out, "# %s =\n\n", o->name);
		return;
	}
	fprintf(out, "%s = ", o->name);
	switch (o->type) {
	case CFG_STR: {
		const char *s = *(char *const *)p;

		cfg_write_value(out, s ? s : "");
		break;
	}
	case CFG_INT:
		fprintf(out, "%" PRId64, *(const int64_t *)p);
		break;
	case CFG_BOOL:
		fputs(*(const bool *)p ? "true" : "false", out);
		break;
	case CFG_DURATION:
		fputs(timeparse_format_duration(*(const uint64_t *)p, buf,
						sizeof(buf)),
		      out);
		break;
	case CFG_LIST: {
		const struct cfg_list *l = p;
		size_t len = 0;
		char *joined;

		for (size_t i = 0; i < l->n; i++)
			len += strlen(l->items[i]) + 2;
		joined = xcalloc(1, len + 1);
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				strcat(joined, ", ");
			strcat(joined, l->items[i]);
		}
		cfg_write_value(out, joined);
		free(joined);
		break;
	}
	case CFG_LOGLEVEL: {
		int level = *(const int *)p;

		if (level == LOG_ERR)
			fputs("err", out);
		else if (level == LOG_WARNING)
			fputs("warn", out);
		else if (level == LOG_INFO)
			fputs("info", out);
		else if (level == LOG_DEBUG)
			fputs("debug", out);
		else
			fprintf(out, "%d", level);
		break;
	}
	}
	fputs("\n\n", out);
}

void cfg_dump(const struct cfg_opt *table, const void *conf, FILE *out)
{
	/*
	 * Top-level keys must precede every section header, and a section's
	 * keys may be spread over the table; so write them grouped: top level
	 * first, then each section at its first appearance.
	 */
	for (const struct cfg_opt *o = table; o->name; o++)
		if (!o->section[0])
			cfg_dump_opt(o, conf, out);
	for (const struct cfg_opt *s = table; s->name; s++) {
		bool first = true;

		if (!s->section[0])
			continue;
		for (const struct cfg_opt *o = table; o < s; o++)
			if (!strcmp(o->section, s->section))
				first = false;
		if (!first)
			continue;
		fprintf(out, "[%s]\n", s->section);
		for (const struct cfg_opt *o = s; o->name; o++)
			if (!strcmp(o->section, s->section))
				cfg_dump_opt(o, conf, out);
	}
}

/* ---- freeing and reload ----------------------------------------------- */

void cfg_free(const struct cfg_opt *table, void *conf)
{
	for (const struct cfg_opt *o = table; o->name; o++) {
		void *p = cfg_ptr(o, conf);

		if (o->type == CFG_STR) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (o->type == CFG_LIST) {
			cfg_list_clear(p);
		}
	}
}

static bool cfg_equal(const struct cfg_opt *o, const void *a, const void *b)
{
	const void *pa = cfg_cptr(o, a), *pb = cfg_cptr(o, b);

	switch (o->type) {
	case CFG_STR: {
		const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;

		return !strcmp(sa ? sa : "", sb ? sb : "");
	}
	case CFG_INT:
		return *(const int64_t *)pa == *(const int64_t *)pb;
	case CFG_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case CFG_DURATION:
		return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case CFG_LIST:
		return cfg_list_equal(pa, pb);
	case CFG_LOGLEVEL:
		return *(const int *)pa == *(const int *)pb;
	}
	return true;
}

/* Deep-copy one value from src into dst, freeing what dst held. */
static void cfg_copy(const struct cfg_opt *o, const void *src, void *dst)
{
	const void *ps = cfg_cptr(o, src);
	void *pd = cfg_ptr(o, dst);

	switch (o->type) {
	case CFG_STR: {
		const char *s = *(char *const *)ps;

		free(*(char **)pd);
		*(char **)pd = s ? xstrdup(s) : NULL;
		break;
	}
	case CFG_LIST:
		cfg_list_clear(pd);
		cfg_list_copy(pd, ps);
		break;
	case CFG_INT:
		*(int64_t *)pd = *(const int64_t *)ps;
		break;
	case CFG_BOOL:
		*(bool *)pd = *(const bool *)ps;
		break;
	case CFG_DURATION:
		*(uint64_t *)pd = *(const uint64_t *)ps;
		break;
	case CFG_LOGLEVEL:
		*(int *)pd = *(const int *)ps;
		break;
	}
}

int cfg_keep_nonreloadable(const struct cfg_opt *table, const void *old,
			   void *new_conf, void (*warn)(const char *key))
{
	char key[128];
	int n = 0;

	for (const struct cfg_opt *o = table; o->name; o++) {
		if ((o->flags & CFG_RELOADABLE) || cfg_equal(o, old, new_conf))
			continue;
		cfg_copy(o, old, new_conf);
		n++;
		if (warn)
			warn(cfg_keyname(o, key, sizeof(key)));
	}
	return n;
}
