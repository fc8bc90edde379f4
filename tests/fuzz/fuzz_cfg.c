/*
 * Fuzz target: the INI configuration parser (common/cfg.c) with a table
 * holding every option type, top-level and sectioned keys, a section
 * spread over the table, bounds, and a required key.
 *
 * The input is a configuration file; after its first NUL byte (if any)
 * comes "key=value" for cfg_set, as --set passes it.  Properties checked:
 * - whatever loads, cfg_dump writes a file that loads back to the very
 *   same values (cfg.h promises this);
 * - a failed cfg_set leaves the struct unchanged.
 */
#include "config.h"

#include <stdbool.h>

#include "common/cfg.h"
#include "common/xalloc.h"
#include "tests/fuzz/fuzz.h"

struct fz_conf {
	char *name;
	int64_t count;
	int64_t offset;
	bool flag;
	uint64_t timeout;
	uint64_t retention;
	struct cfg_list peers;
	int level;
	char *conninfo;
	int64_t pool;
	struct cfg_list tags;
	char *motd;
};

#define O(f) offsetof(struct fz_conf, f)
#define R CFG_RELOADABLE

/* Every type; [net] is split by [log] to exercise cfg_dump's grouping. */
#define FZ_TABLE(RL)                                                                \
	{                                                                           \
		"", "name", CFG_STR, O(name),	"default name",                     \
		RL, 0,	    0,	     "a string"                                     \
	},                                                                          \
		{ "", "count", CFG_INT, O(count), "4", 0, 1, 64, "bounded int" },   \
		{ "net", "flag", CFG_BOOL, O(flag), "false", RL, 0, 0, "a bool" },  \
		{ "net", "timeout", CFG_DURATION, O(timeout),	     "30s",         \
		  RL,	 1,	    3600,	  "bounded duration" },             \
		{ "log", "level", CFG_LOGLEVEL, O(level), "info", RL,               \
		  0,	 0,	  "a log level" },                                  \
		{ "log",                                                            \
		  "retention",                                                      \
		  CFG_DURATION,                                                     \
		  O(retention),                                                     \
		  NULL,                                                             \
		  0,                                                                \
		  0,                                                                \
		  0,                                                                \
		  "unbounded duration, no default" },                               \
		{ "net", "peers", CFG_LIST, O(peers), "a, b", RL, 0, 0, "a list" }, \
		{ "net", "offset", CFG_INT, O(offset),	   "-5",                    \
		  0,	 -100,	   100,	    "negative int" },                       \
		{ "db",		"conninfo", CFG_STR, O(conninfo),      NULL,        \
		  CFG_REQUIRED, 0,	    0,	     "required string" },           \
		{ "db", "pool", CFG_INT, O(pool),	 NULL,                      \
		  RL,	0,	0,	 "unbounded int" },                         \
		{ "db", "tags", CFG_LIST, O(tags), NULL, 0, 0, 0, "empty list" },   \
		{ "", "motd", CFG_STR, O(motd), NULL, RL, 0, 0, "empty string" },   \
		CFG_END

static const struct cfg_opt fz_table[] = { FZ_TABLE(R) };
/* The same keys, none reloadable: cfg_keep_nonreloadable then counts
 * every key whose values differ, which is our equality test. */
static const struct cfg_opt fz_strict[] = { FZ_TABLE(0) };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fz_defaults(struct fz_conf *c)
{
	struct err e;

	memset(c, 0, sizeof(*c));
	FUZZ_CHECK(cfg_defaults(fz_table, c, &e) == 0, "defaults: %s", e.msg);
}

/* Number of keys whose values differ between a and b (b may change). */
static int fz_diff(const struct fz_conf *a, struct fz_conf *b)
{
	return cfg_keep_nonreloadable(fz_strict, a, b, NULL);
}

static void fz_roundtrip(const struct fz_conf *a)
{
	struct fz_conf b;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct err e;

	FUZZ_CHECK(out != NULL, "open_memstream");
	cfg_dump(fz_table, a, out);
	fclose(out);
	fz_defaults(&b);
	FUZZ_CHECK(cfg_load_string(fz_table, &b, "dump", text, &e) == 0,
		   "the dump does not load: %s\n%s", e.msg, text);
	FUZZ_CHECK(fz_diff(a, &b) == 0, "the dump loads to other values:\n%s",
		   text);
	cfg_free(fz_table, &b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	size_t tlen = strlen(text);
	struct fz_conf a, before;
	struct err e;

	fz_defaults(&a);
	if (cfg_load_string(fz_table, &a, "fuzz", text, &e) == 0) {
		(void)cfg_check_required(fz_table, &a, &e);
		fz_roundtrip(&a);
	} else {
		FUZZ_CHECK(!strncmp(e.msg, "fuzz:", 5), "message '%s'", e.msg);
	}
	cfg_free(fz_table, &a);

	if (tlen < size) {
		char *kv = text + tlen + 1;
		char *eq = strchr(kv, '=');

		if (eq) {
			*eq = '\0';
			fz_defaults(&a);
			fz_defaults(&before);
			if (cfg_set(fz_table, &a, kv, eq + 1, &e) == 0)
				fz_roundtrip(&a);
			else
				FUZZ_CHECK(fz_diff(&before, &a) == 0,
					   "a failed cfg_set changed the "
					   "struct");
			cfg_free(fz_table, &a);
			cfg_free(fz_table, &before);
		}
	}
	free(text);
	return 0;
}
