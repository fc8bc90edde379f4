/*
 * Topology file parser (see topofile.h for the format).  Lines are
 * tokenized in a scratch copy; node lines are expanded with the hostlist
 * module.  Duplicate detection and per-rack slot counters use small
 * open-addressing hash maps keyed by strings the struct already owns, so
 * a 25,000-node file costs a few allocations per node and no scans.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"
#include "common/log.h"
#include "common/topofile.h"
#include "common/xalloc.h"

/* Most tokens a line may have: keyword, name and a few keys, plus slack. */
#define TOPOFILE_MAX_TOKENS 16

/* ---- string -> size_t map ---------------------------------------------- */

struct topofile_slot {
	const char *key; /* borrowed from the struct being built */
	size_t val;
};

struct topofile_map {
	struct topofile_slot *v;
	size_t cap, n; /* cap is a power of two */
};

static uint64_t topofile_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct topofile_slot *topofile_map_slot(struct topofile_map *m,
					       const char *key)
{
	size_t i = (size_t)topofile_hash(key) & (m->cap - 1);

	while (m->v[i].key && strcmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static struct topofile_slot *topofile_map_get(struct topofile_map *m,
					      const char *key)
{
	struct topofile_slot *s;

	if (!m->cap)
		return NULL;
	s = topofile_map_slot(m, key);
	return s->key ? s : NULL;
}

/* Insert key (which must be absent and must outlive the map). */
static struct topofile_slot *topofile_map_put(struct topofile_map *m,
					      const char *key, size_t val)
{
	struct topofile_slot *s;

	if ((m->n + 1) * 2 > m->cap) {
		struct topofile_map big = { NULL, m->cap ? m->cap * 2 : 64, 0 };

		big.v = xcalloc(big.cap, sizeof(*big.v));
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				*topofile_map_slot(&big, m->v[i].key) = m->v[i];
		big.n = m->n;
		free(m->v);
		*m = big;
	}
	s = topofile_map_slot(m, key);
	s->key = key;
	s->val = val;
	m->n++;
	return s;
}

static void topofile_map_fini(struct topofile_map *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- parser state ------------------------------------------------------ */

enum topofile_kind {
	TOPOFILE_HALL,
	TOPOFILE_POD,
	TOPOFILE_RACK,
	TOPOFILE_NODE,
};

/* The keywords; parent_key is the required key naming the parent. */
static const struct {
	const char *keyword;
	const char *parent_key;
} topofile_kinds[] = {
	[TOPOFILE_HALL] = { "hall", NULL },
	[TOPOFILE_POD] = { "pod", "hall" },
	[TOPOFILE_RACK] = { "rack", "pod" },
	[TOPOFILE_NODE] = { "node", "rack" },
};

struct topofile_parser {
	struct topofile *t;
	const char *name;
	unsigned line;
	struct err *e;
	size_t cap[3]; /* capacity of halls, pods, racks */
	size_t node_cap;
	struct topofile_map seen[4]; /* name -> defining line, per kind */
	struct topofile_map slots;   /* rack name -> nodes seen so far */
};

/* One "key=value" token of a line, split in place. */
struct topofile_kv {
	char *key;
	char *val;
};

static int topofile_fail(struct topofile_parser *p, const char *fmt, ...)
	PRINTF_LIKE(2, 3);
static int topofile_fail(struct topofile_parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->e, "%s:%u: %s", p->name, p->line, msg);
}

static const char *topofile_esc(const char *s, char *buf, size_t len)
{
	return log_escape(s, buf, len);
}

static int topofile_check_name(struct topofile_parser *p, const char *what,
			       const char *s)
{
	char shown[96];

	if (util_valid_name(s, TOPOFILE_NAME_MAX))
		return 0;
	return topofile_fail(p,
			     "invalid %s '%s' (use A-Z a-z 0-9 . _ -, at most "
			     "%d characters)",
			     what, topofile_esc(s, shown, sizeof(shown)),
			     TOPOFILE_NAME_MAX);
}

/* Fail if name was already defined as kind; otherwise remember it. */
static int topofile_claim(struct topofile_parser *p, enum topofile_kind kind,
			  const char *name)
{
	struct topofile_slot *s = topofile_map_get(&p->seen[kind], name);

	if (s)
		return topofile_fail(p,
				     "duplicate %s '%s' (first defined on "
				     "line %zu)",
				     topofile_kinds[kind].keyword, name,
				     s->val);
	topofile_map_put(&p->seen[kind], name, p->line);
	return 0;
}

/*
 * Split the tokens after "keyword name" into key=value pairs, checking
 * each key against the allowed list (NULL-terminated) and rejecting
 * repeats.  vals[i] receives the value of allowed[i]; absent keys stay
 * NULL.
 */
static int topofile_keys(struct topofile_parser *p, enum topofile_kind kind,
			 char **tok, size_t ntok, const char *const *allowed,
			 char **vals)
{
	const char *kw = topofile_kinds[kind].keyword;
	char shown[96];

	for (size_t i = 0; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		size_t k;

		if (!eq)
			return topofile_fail(
				p,
				"unexpected '%s' in %s line "
				"(expected key=value)",
				topofile_esc(tok[i], shown, sizeof(shown)), kw);
		*eq = '\0';
		for (k = 0; allowed[k]; k++)
			if (!strcmp(allowed[k], tok[i]))
				break;
		if (!allowed[k])
			return topofile_fail(
				p, "unknown key '%s' for %s",
				topofile_esc(tok[i], shown, sizeof(shown)), kw);
		if (vals[k])
			return topofile_fail(p, "key '%s' given twice",
					     allowed[k]);
		if (!eq[1])
			return topofile_fail(p, "empty value for key '%s'",
					     allowed[k]);
		vals[k] = eq + 1;
	}
	return 0;
}

/* ---- hall, pod, rack --------------------------------------------------- */

static int topofile_item(struct topofile_parser *p, enum topofile_kind kind,
			 char **tok, size_t ntok)
{
	const char *parent_key = topofile_kinds[kind].parent_key;
	const char *allowed[2] = { parent_key, NULL };
	char *vals[1] = { NULL };
	struct topo_item **arr, *it;
	size_t *n;
	char what[32];

	arr = kind == TOPOFILE_HALL  ? &p->t->halls
	      : kind == TOPOFILE_POD ? &p->t->pods
				     : &p->t->racks;
	n = kind == TOPOFILE_HALL  ? &p->t->nhalls
	    : kind == TOPOFILE_POD ? &p->t->npods
				   : &p->t->nracks;

	if (ntok < 2 || strchr(tok[1], '='))
		return topofile_fail(p, "%s line without a name",
				     topofile_kinds[kind].keyword);
	snprintf(what, sizeof(what), "%s name", topofile_kinds[kind].keyword);
	if (topofile_check_name(p, what, tok[1]) < 0)
		return -1;
	if (topofile_keys(p, kind, tok + 2, ntok - 2, allowed, vals) < 0)
		return -1;
	if (parent_key) {
		if (!vals[0])
			return topofile_fail(p, "%s '%s' needs %s=<name>",
					     topofile_kinds[kind].keyword,
					     tok[1], parent_key);
		snprintf(what, sizeof(what), "%s name", parent_key);
		if (topofile_check_name(p, what, vals[0]) < 0)
			return -1;
	}

	if (*n == p->cap[kind]) {
		p->cap[kind] = p->cap[kind] ? p->cap[kind] * 2 : 16;
		*arr = xreallocarray(*arr, p->cap[kind], sizeof(**arr));
	}
	it = &(*arr)[*n];
	it->name = xstrdup(tok[1]);
	it->parent = vals[0] ? xstrdup(vals[0]) : NULL;
	it->line = p->line;
	(*n)++;
	/* Claim after storing: the map borrows the stored name. */
	return topofile_claim(p, kind, it->name);
}

/* ---- node -------------------------------------------------------------- */

static int topofile_gpus(struct topofile_parser *p, const char *s,
			 unsigned *out)
{
	char shown[64];
	unsigned v = 0;
	const char *q;

	for (q = s; *q >= '0' && *q <= '9' && v <= TOPOFILE_MAX_GPUS; q++)
		v = v * 10 + (unsigned)(*q - '0');
	if (q == s || *q || v < 1 || v > TOPOFILE_MAX_GPUS)
		return topofile_fail(p, "bad gpu count '%s' (expected 1..%d)",
				     topofile_esc(s, shown, sizeof(shown)),
				     TOPOFILE_MAX_GPUS);
	*out = v;
	return 0;
}

/* Split "a,b,c" (in place) into validated, distinct feature names. */
static int topofile_features(struct topofile_parser *p, char *s, char ***out,
			     size_t *nout)
{
	char **v = NULL;
	size_t n = 0;
	char *item = s;

	for (;;) {
		char *comma = strchr(item, ',');

		if (comma)
			*comma = '\0';
		if (topofile_check_name(p, "feature", item) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(v[i], item)) {
				topofile_fail(p, "feature '%s' listed twice",
					      item);
				goto fail;
			}
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = item; /* borrowed from the line until copied */
		if (!comma)
			break;
		item = comma + 1;
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	free(v);
	return -1;
}

static void topofile_grow_nodes(struct topofile_parser *p, size_t extra)
{
	size_t want = p->t->nnodes + extra;

	if (want <= p->node_cap)
		return;
	p->node_cap = MAX(want, p->node_cap * 2);
	p->t->nodes =
		xreallocarray(p->t->nodes, p->node_cap, sizeof(*p->t->nodes));
}

static int topofile_node(struct topofile_parser *p, char **tok, size_t ntok)
{
	static const char *const allowed[] = { "rack", "gpus", "model",
					       "features", NULL };
	char *vals[4] = { NULL, NULL, NULL, NULL };
	unsigned gpus = TOPOFILE_DEFAULT_GPUS;
	const char *model = TOPOFILE_DEFAULT_MODEL;
	char **features = NULL;
	size_t nfeatures = 0, count;
	struct hostlist *hl = NULL;
	struct topofile_slot *slot;
	char shown[96];
	int r = -1;

	if (ntok < 2 || strchr(tok[1], '='))
		return topofile_fail(p, "node line without a hostlist");
	if (topofile_keys(p, TOPOFILE_NODE, tok + 2, ntok - 2, allowed, vals) <
	    0)
		return -1;
	if (!vals[0])
		return topofile_fail(
			p, "node '%s' needs rack=<name>",
			topofile_esc(tok[1], shown, sizeof(shown)));
	if (topofile_check_name(p, "rack name", vals[0]) < 0)
		return -1;
	if (vals[1] && topofile_gpus(p, vals[1], &gpus) < 0)
		return -1;
	if (vals[2]) {
		if (topofile_check_name(p, "model", vals[2]) < 0)
			return -1;
		model = vals[2];
	}
	if (vals[3] && topofile_features(p, vals[3], &features, &nfeatures) < 0)
		return -1;

	/*
	 * Each line may expand to the whole limit; the file total is checked
	 * right after, so memory stays bounded either way.
	 */
	hl = hostlist_create();
	if (hostlist_parse(hl, tok[1], TOPOFILE_MAX_NODES, p->e) < 0) {
		err_prefix(p->e, "%s:%u", p->name, p->line);
		goto out;
	}
	count = hostlist_count(hl);
	if (count > TOPOFILE_MAX_NODES - p->t->nnodes) {
		topofile_fail(p, "too many nodes (at most %d per file)",
			      TOPOFILE_MAX_NODES);
		goto out;
	}
	topofile_grow_nodes(p, count);

	slot = topofile_map_get(&p->slots, vals[0]);
	for (size_t i = 0; i < count; i++) {
		const char *name = hostlist_nth(hl, i);
		struct topo_node *nd;

		if (topofile_check_name(p, "node name", name) < 0)
			goto out;
		nd = &p->t->nodes[p->t->nnodes++];
		memset(nd, 0, sizeof(*nd));
		nd->name = xstrdup(name);
		nd->rack = xstrdup(vals[0]);
		nd->gpus = gpus;
		nd->model = xstrdup(model);
		nd->line = p->line;
		if (nfeatures) {
			nd->features = xcalloc(nfeatures, sizeof(char *));
			for (size_t f = 0; f < nfeatures; f++)
				nd->features[f] = xstrdup(features[f]);
			nd->nfeatures = nfeatures;
		}
		if (topofile_claim(p, TOPOFILE_NODE, nd->name) < 0)
			goto out;
		/* The first node of a rack lends its rack string to the map. */
		if (!slot)
			slot = topofile_map_put(&p->slots, nd->rack, 0);
		nd->slot = (unsigned)slot->val++;
	}
	r = 0;
out:
	hostlist_destroy(hl);
	free(features);
	return r;
}

/* ---- lines and files --------------------------------------------------- */

static int topofile_line(struct topofile_parser *p, char *line)
{
	char *tok[TOPOFILE_MAX_TOKENS];
	char shown[96];
	size_t ntok = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *s = line;;) {
		s += strspn(s, " \t\r\v\f");
		if (!*s)
			break;
		if (ntok == TOPOFILE_MAX_TOKENS)
			return topofile_fail(p, "too many fields");
		tok[ntok++] = s;
		s += strcspn(s, " \t\r\v\f");
		if (*s)
			*s++ = '\0';
	}
	if (ntok == 0)
		return 0;
	for (size_t k = 0; k < ARRAY_SIZE(topofile_kinds); k++) {
		if (strcmp(tok[0], topofile_kinds[k].keyword))
			continue;
		if (k == TOPOFILE_NODE)
			return topofile_node(p, tok, ntok);
		return topofile_item(p, (enum topofile_kind)k, tok, ntok);
	}
	return topofile_fail(p,
			     "unknown keyword '%s' (expected hall, pod, rack "
			     "or node)",
			     topofile_esc(tok[0], shown, sizeof(shown)));
}

void topofile_free(struct topofile *t)
{
	struct topo_item *arrs[3];
	size_t ns[3];

	if (!t)
		return;
	arrs[0] = t->halls;
	arrs[1] = t->pods;
	arrs[2] = t->racks;
	ns[0] = t->nhalls;
	ns[1] = t->npods;
	ns[2] = t->nracks;
	for (size_t a = 0; a < 3; a++) {
		for (size_t i = 0; i < ns[a]; i++) {
			free(arrs[a][i].name);
			free(arrs[a][i].parent);
		}
		free(arrs[a]);
	}
	for (size_t i = 0; i < t->nnodes; i++) {
		struct topo_node *nd = &t->nodes[i];

		free(nd->name);
		free(nd->rack);
		free(nd->model);
		for (size_t f = 0; f < nd->nfeatures; f++)
			free(nd->features[f]);
		free(nd->features);
	}
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

int topofile_parse(const char *text, const char *name, struct topofile *out,
		   struct err *e)
{
	struct topofile_parser p = { .t = out, .e = e };
	const char *s = text;
	char *buf = NULL;
	size_t bufcap = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	p.name = name ? name : "<topology>";
	while (*s) {
		size_t len = strcspn(s, "\n");

		p.line++;
		if (len + 1 > bufcap) {
			bufcap = MAX(len + 1, bufcap * 2);
			buf = xrealloc(buf, bufcap);
		}
		memcpy(buf, s, len);
		buf[len] = '\0';
		if ((r = topofile_line(&p, buf)) < 0)
			break;
		s += len;
		if (*s == '\n')
			s++;
	}
	free(buf);
	for (size_t k = 0; k < ARRAY_SIZE(p.seen); k++)
		topofile_map_fini(&p.seen[k]);
	topofile_map_fini(&p.slots);
	if (r < 0)
		topofile_free(out);
	return r;
}

int topofile_load(const char *path, struct topofile *out, struct err *e)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 1 << 16;
	char *buf;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (!f)
		return err_set(e, "%s: %s", path, strerror(errno));
	buf = xmalloc(cap);
	for (;;) {
		len += fread(buf + len, 1, cap - 1 - len, f);
		if (ferror(f)) {
			err_set(e, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (len > TOPOFILE_MAX_FILE_SIZE) {
			err_set(e, "%s: larger than %u bytes", path,
				TOPOFILE_MAX_FILE_SIZE);
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
	r = topofile_parse(buf, path, out, e);
out:
	free(buf);
	fclose(f);
	return r;
}
