/*
 * Unit tests for common/cfg.c: defaults, every value type and its bounds,
 * quoting and comments, file:line error messages (unknown sections and
 * keys, duplicates, malformed lines), required keys, command-line
 * overrides, cfg_dump round trips and reload (keep non-reloadable keys).
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cfg.h"
#include "tests/lib/tap.h"

struct conf {
	char *name;
	int level;
	int64_t port;
	uint64_t timeout;
	struct cfg_list peers;
	int64_t count;
	struct cfg_list models;
	bool verbose;
	char *motd;
	int64_t offset;
	char *conninfo;
	char *extra;
};

#define OFF(f) offsetof(struct conf, f)
#define R CFG_RELOADABLE

static const struct cfg_opt table[] = {
	{ "", "name", CFG_STR, OFF(name), "colossus", R, 0, 0, "cluster name" },
	{ "", "level", CFG_LOGLEVEL, OFF(level), "info", R, 0, 0, "log level" },
	{ "net", "port", CFG_INT, OFF(port), "5432", 0, 1, 65535, "TCP port" },
	{ "net", "timeout", CFG_DURATION, OFF(timeout), "30s", R, 1, 7200,
	  "request timeout" },
	{ "net", "peers", CFG_LIST, OFF(peers), NULL, 0, 0, 0, "peer list" },
	{ "gpu", "count", CFG_INT, OFF(count), NULL, CFG_REQUIRED, 1, 16,
	  "GPUs per node" },
	{ "gpu", "models", CFG_LIST, OFF(models), "H100, H200", R, 0, 0,
	  "GPU models" },
	{ "misc", "verbose", CFG_BOOL, OFF(verbose), "no", R, 0, 0,
	  "chatty output" },
	{ "misc", "motd", CFG_STR, OFF(motd), NULL, R, 0, 0,
	  "message of the day" },
	{ "misc", "offset", CFG_INT, OFF(offset), "-5", R, -100, 100,
	  "signed offset" },
	{ "db", "conninfo", CFG_STR, OFF(conninfo), NULL, CFG_REQUIRED, 0, 0,
	  "libpq connection string" },
	/* A top-level key after the sections: cfg_dump must hoist it. */
	{ "", "extra", CFG_STR, OFF(extra), NULL, R, 0, 0, "extra text" },
	CFG_END,
};

static void fresh(struct conf *c)
{
	struct err e = { "" };

	memset(c, 0, sizeof(*c));
	if (cfg_defaults(table, c, &e) < 0) {
		diag("defaults failed: %s", e.msg);
		abort();
	}
}

static void test_defaults(void)
{
	struct conf c;
	struct err e = { "" };

	fresh(&c);
	is_str(c.name, "colossus", "string default");
	is_int(c.level, LOG_INFO, "log level default");
	is_int(c.port, 5432, "int default");
	is_int(c.timeout, 30, "duration default");
	is_int(c.peers.n, 0, "NULL list default is empty");
	ok(c.peers.items == NULL, "empty list has no items array");
	is_int(c.count, 0, "NULL int default is 0");
	is_int(c.models.n, 2, "list default has 2 items");
	is_str(c.models.items[1], "H200", "list items are trimmed");
	ok(c.verbose == false, "bool default");
	is_str(c.motd, "", "NULL string default is \"\"");
	is_int(c.offset, -5, "negative int default");
	ok(cfg_check_required(table, &c, &e) == -1, "required keys missing");
	is_str(e.msg, "missing required keys: gpu.count, db.conninfo",
	       "message lists every missing key");
	/* cfg_defaults on a filled struct replaces (and frees) values. */
	ok(cfg_defaults(table, &c, &e) == 0, "defaults again");
	cfg_free(table, &c);
	ok(c.name == NULL && c.models.n == 0 && c.models.items == NULL,
	   "cfg_free clears pointers");
	cfg_free(table, &c);
	ok(1, "cfg_free twice is harmless");
}

static void test_load_good(void)
{
	static const char text[] =
		"# comment\n"
		"; another comment\n"
		"\n"
		"name = \"  spaced # name  \"   # trailing comment\n"
		"level=debug\r\n"
		"extra =   plain value, with spaces   \n"
		"[net]\n"
		"port = 7000 # inline\n"
		"\ttimeout\t=\t1h\r\n"
		"peers = a.example:1 , b.example:2,c\n"
		"  [ gpu ]   # gpu section\n"
		"count = 8\n"
		"models =\n"
		"[misc]\n"
		"verbose = YES\n"
		"motd = \"say \\\"hi\\\" \\\\ bye\" ; comment\n"
		"offset = -100\n"
		"[db]\n"
		"conninfo = host=/tmp dbname=x\n"
		"[misc]\n"
		"; sections may be reopened\n";
	struct conf c;
	struct err e = { "" };
	int r;

	fresh(&c);
	r = cfg_load_string(table, &c, "good.conf", text, &e);
	ok(r == 0, "valid file loads");
	if (r < 0)
		diag("%s", e.msg);
	is_str(c.name, "  spaced # name  ", "quoted value keeps spaces and #");
	is_int(c.level, LOG_DEBUG, "log level");
	is_str(c.extra, "plain value, with spaces", "unquoted value trimmed");
	is_int(c.port, 7000, "int with inline comment");
	is_int(c.timeout, 3600, "duration with tabs and CRLF");
	is_int(c.peers.n, 3, "three peers");
	is_str(c.peers.items[0], "a.example:1", "peer 0 trimmed");
	is_str(c.peers.items[1], "b.example:2", "peer 1 trimmed");
	is_str(c.peers.items[2], "c", "peer 2");
	is_int(c.count, 8, "count");
	is_int(c.models.n, 0, "empty value is an empty list");
	ok(c.verbose, "YES is true");
	is_str(c.motd, "say \"hi\" \\ bye", "escapes in quoted value");
	is_int(c.offset, -100, "minimum is inclusive");
	is_str(c.conninfo, "host=/tmp dbname=x", "value may contain '='");
	ok(cfg_check_required(table, &c, &e) == 0, "required keys present");
	cfg_free(table, &c);

	fresh(&c);
	ok(cfg_load_string(table, &c, "empty.conf", "", &e) == 0,
	   "empty file loads");
	ok(cfg_load_string(table, &c, "nonl.conf", "[net]\nport = 9", &e) ==
			   0 &&
		   c.port == 9,
	   "last line without newline");
	cfg_free(table, &c);
}

static void test_bools(void)
{
	static const char *yes[] = { "true", "yes", "on", "1", "TRUE", "On" };
	static const char *no[] = { "false", "no", "off", "0", "False", "NO" };
	struct conf c;
	struct err e = { "" };

	fresh(&c);
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		c.verbose = false;
		ok(cfg_set(table, &c, "misc.verbose", yes[i], &e) == 0 &&
			   c.verbose,
		   "'%s' is true", yes[i]);
		ok(cfg_set(table, &c, "misc.verbose", no[i], &e) == 0 &&
			   !c.verbose,
		   "'%s' is false", no[i]);
	}
	cfg_free(table, &c);
}

static void test_levels(void)
{
	static const struct {
		const char *in;
		int level;
	} levels[] = { { "err", LOG_ERR },
		       { "error", LOG_ERR },
		       { "warn", LOG_WARNING },
		       { "warning", LOG_WARNING },
		       { "info", LOG_INFO },
		       { "debug", LOG_DEBUG },
		       { "0", 0 },
		       { "5", 5 } };
	struct conf c;
	struct err e = { "" };

	fresh(&c);
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		ok(cfg_set(table, &c, "level", levels[i].in, &e) == 0 &&
			   c.level == levels[i].level,
		   "log level '%s'", levels[i].in);
	ok(cfg_set(table, &c, "level", "8", &e) == -1, "level 8 rejected");
	ok(cfg_set(table, &c, "level", "", &e) == -1, "empty level rejected");
	cfg_free(table, &c);
}

struct bad_case {
	const char *text;
	const char *msg; /* exact message */
};

static const struct bad_case bad[] = {
	{ "foo = 1", "t.conf:1: unknown key 'foo'" },
	{ "[gpu]\nfoo = 1", "t.conf:2: unknown key 'foo' in section [gpu]" },
	{ "# c\n\n[gpu]\n  \nbogus=1",
	  "t.conf:5: unknown key 'bogus' in section [gpu]" },
	{ "[net]\ncount = 1",
	  "t.conf:2: unknown key 'count' in section [net]" },
	{ "[nope]", "t.conf:1: unknown section [nope]" },
	{ "[net]\nport = 1\nport = 2",
	  "t.conf:3: duplicate key 'port' in section [net] (first set on line "
	  "2)" },
	{ "[net]\nport=1\n[gpu]\ncount=2\n[net]\nport=3",
	  "t.conf:6: duplicate key 'port' in section [net] (first set on line "
	  "2)" },
	{ "name = a\nname = a", "t.conf:2: duplicate key 'name' (first set on "
				"line 1)" },
	{ "name", "t.conf:1: expected '=' after key 'name'" },
	{ "name value", "t.conf:1: expected '=' after key 'name'" },
	{ "= 5", "t.conf:1: expected 'key = value', got '= 5'" },
	{ "\xff = 1", "t.conf:1: expected 'key = value', got '\\xff = 1'" },
	{ "[gpu", "t.conf:1: missing ']' in section header" },
	{ "[]", "t.conf:1: empty section name" },
	{ "[gpu] x", "t.conf:1: unexpected text after section header: 'x'" },
	{ "name = \"abc", "t.conf:1: unterminated quoted value" },
	{ "name = \"a\" b",
	  "t.conf:1: unexpected text after quoted value: 'b'" },
	{ "name = \"a\\n\"",
	  "t.conf:1: unknown escape in quoted value (only \\\" and \\\\)" },
	{ "[net]\nport = 0",
	  "t.conf:2: key 'port' in section [net]: 0 is below the minimum 1" },
	{ "[net]\nport = 65536", "t.conf:2: key 'port' in section [net]: "
				 "65536 is above the maximum 65535" },
	{ "[net]\nport = 12x",
	  "t.conf:2: key 'port' in section [net]: '12x' is not an integer" },
	{ "[net]\nport = 1 2",
	  "t.conf:2: key 'port' in section [net]: '1 2' is not an integer" },
	{ "[net]\nport = 99999999999999999999",
	  "t.conf:2: key 'port' in section [net]: '99999999999999999999' is "
	  "out of range" },
	{ "[net]\nport =",
	  "t.conf:2: key 'port' in section [net]: '' is not an integer" },
	{ "[misc]\nverbose = maybe",
	  "t.conf:2: key 'verbose' in section [misc]: 'maybe' is not a "
	  "boolean (use true/false, yes/no, on/off or 1/0)" },
	{ "[misc]\noffset = -101", "t.conf:2: key 'offset' in section [misc]: "
				   "-101 is below the minimum -100" },
	{ "[net]\ntimeout = 0", "t.conf:2: key 'timeout' in section [net]: 0s "
				"is below the minimum 1s" },
	{ "[net]\ntimeout = 3h", "t.conf:2: key 'timeout' in section [net]: 3h "
				 "is above the maximum 2h" },
	{ "[net]\ntimeout = 5ms",
	  "t.conf:2: key 'timeout' in section [net]: invalid duration '5ms': "
	  "unknown unit (use d, h, m or s)" },
	{ "level = loud", "t.conf:1: key 'level': 'loud' is not a log level "
			  "(use err, warn, info or debug)" },
	{ "[net]\npeers = a,,b",
	  "t.conf:2: key 'peers' in section [net]: empty item in list" },
	{ "[net]\npeers = a,",
	  "t.conf:2: key 'peers' in section [net]: empty item in list" },
};

static void test_load_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct conf c;
		struct err e = { "" };
		int r;

		fresh(&c);
		r = cfg_load_string(table, &c, "t.conf", bad[i].text, &e);
		ok(r == -1 && !strcmp(e.msg, bad[i].msg), "rejected: %s",
		   bad[i].msg);
		if (r != -1 || strcmp(e.msg, bad[i].msg))
			diag("  r=%d got '%s'", r, e.msg);
		cfg_free(table, &c);
	}
}

static void test_set(void)
{
	struct conf c;
	struct err e = { "" };

	fresh(&c);
	ok(cfg_set(table, &c, "net.port", "80", &e) == 0 && c.port == 80,
	   "set net.port");
	ok(cfg_set(table, &c, "name", "one", &e) == 0, "set name");
	ok(cfg_set(table, &c, "name", "two", &e) == 0, "set name again");
	is_str(c.name, "two", "string replaced (old one freed; ASan checks)");
	ok(cfg_set(table, &c, "gpu.models", " a , b ", &e) == 0 &&
		   c.models.n == 2 && !strcmp(c.models.items[0], "a"),
	   "set list replaces the default list");
	ok(cfg_set(table, &c, "port", "80", &e) == -1, "bare 'port' unknown");
	is_str(e.msg, "unknown key 'port'", "message");
	ok(cfg_set(table, &c, "net.port", "0", &e) == -1, "bound checked");
	is_str(e.msg, "net.port: 0 is below the minimum 1", "message");
	is_int(c.port, 80, "failed set leaves the value");
	ok(cfg_set(table, &c, "gpu.models", "x,", &e) == -1 && c.models.n == 2,
	   "failed list set leaves the list");
	ok(cfg_set(table, &c, "nope.x", "1", &e) == -1, "unknown section");

	/*
	 * A value from --set or an admin RPC may hold a newline, which no
	 * file value can and cfg_dump could not write back: refused, and
	 * the old value stays (found by tests/fuzz/fuzz_cfg).
	 */
	ok(cfg_set(table, &c, "misc.motd", "line one", &e) == 0, "set motd");
	ok(cfg_set(table, &c, "misc.motd", "line one\nline two", &e) == -1,
	   "value with a newline refused");
	is_str(e.msg, "misc.motd: the value contains a newline", "message");
	is_str(c.motd, "line one", "refused newline leaves the value");
	ok(cfg_set(table, &c, "net.port", "81\n", &e) == -1 && c.port == 80,
	   "trailing newline refused for a number too");
	ok(cfg_set(table, &c, "misc.motd", "tab\there", &e) == 0,
	   "a tab is still allowed");
	cfg_free(table, &c);
}

static char *dump_to_string(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	cfg_dump(table, c, f);
	fclose(f);
	return buf;
}

static void test_dump_round_trip(void)
{
	struct conf a, b;
	struct err e = { "" };
	char *text, *text2;
	int r;

	fresh(&a);
	if (cfg_set(table, &a, "name", "  lead and trail  ", &e) < 0 ||
	    cfg_set(table, &a, "misc.motd",
		    "has # hash, \"quotes\" and \\ backslash", &e) < 0 ||
	    cfg_set(table, &a, "extra", "", &e) < 0 ||
	    cfg_set(table, &a, "gpu.models", "a#1, b\"2, c", &e) < 0 ||
	    cfg_set(table, &a, "net.peers", "", &e) < 0 ||
	    cfg_set(table, &a, "net.timeout", "1h30m", &e) < 0 ||
	    cfg_set(table, &a, "level", "5", &e) < 0 ||
	    cfg_set(table, &a, "gpu.count", "16", &e) < 0 ||
	    cfg_set(table, &a, "misc.offset", "-7", &e) < 0 ||
	    cfg_set(table, &a, "misc.verbose", "on", &e) < 0 ||
	    cfg_set(table, &a, "db.conninfo", "host=x port=1", &e) < 0) {
		diag("%s", e.msg);
		abort();
	}
	text = dump_to_string(&a);
	ok(strstr(text, "# cluster name\nname = \"  lead and trail  \"\n") !=
		   NULL,
	   "dump has help and quoted value");
	ok(strstr(text, "extra = \"\"") != NULL, "empty string dumped as \"\"");
	ok(strstr(text, "extra") < strstr(text, "[net]"),
	   "top-level keys come before the first section");
	ok(strstr(text, "timeout = 1h30m\n") != NULL, "duration dumped");
	ok(strstr(text, "(restart to change)") != NULL,
	   "non-reloadable keys are marked");

	fresh(&b);
	r = cfg_load_string(table, &b, "dump", text, &e);
	ok(r == 0, "dump output loads");
	if (r < 0) {
		diag("%s", e.msg);
		diag("%s", text);
	}
	is_str(b.name, a.name, "name survives");
	is_str(b.motd, a.motd, "motd survives");
	is_str(b.extra, "", "empty string survives");
	is_int(b.models.n, 3, "list length survives");
	is_str(b.models.items[0], "a#1", "list item with # survives");
	is_str(b.models.items[1], "b\"2", "list item with quote survives");
	is_int(b.peers.n, 0, "empty list survives");
	is_int(b.timeout, 5400, "duration survives");
	is_int(b.level, 5, "numeric log level survives");
	is_int(b.count, 16, "int survives");
	is_int(b.offset, -7, "negative int survives");
	ok(b.verbose, "bool survives");
	is_str(b.conninfo, "host=x port=1", "conninfo survives");
	is_int(b.port, 5432, "default survives");
	text2 = dump_to_string(&b);
	is_str(text2, text, "dump(load(dump)) == dump");
	ok(cfg_keep_nonreloadable(table, &a, &b, NULL) == 0,
	   "no key differs after the round trip");
	free(text);
	free(text2);
	cfg_free(table, &a);
	cfg_free(table, &b);

	/* The defaults round-trip too, NULL defaults included. */
	fresh(&a);
	fresh(&b);
	text = dump_to_string(&a);
	ok(strstr(text, "\n# count =\n") != NULL,
	   "unset required key is commented out");
	ok(cfg_load_string(table, &b, "dump", text, &e) == 0,
	   "dump of defaults loads");
	ok(cfg_check_required(table, &b, &e) == -1,
	   "and still lacks its required keys");
	text2 = dump_to_string(&b);
	is_str(text2, text, "defaults round-trip");
	free(text);
	free(text2);
	cfg_free(table, &a);
	cfg_free(table, &b);
}

static void test_file(void)
{
	char path[] = "/tmp/test_cfg.XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[gpu]\ncount = 4\n[db]\nconninfo = x\n";
	struct conf c;
	struct err e = { "" };
	char want[256];

	if (fd < 0 || write(fd, text, sizeof(text) - 1) < 0)
		abort();
	close(fd);
	fresh(&c);
	ok(cfg_load_file(table, &c, path, &e) == 0 && c.count == 4,
	   "load from a file");
	ok(cfg_check_required(table, &c, &e) == 0, "required satisfied");

	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, "[gpu]\n\ncount = 99\n", 18) < 0)
		abort();
	close(fd);
	ok(cfg_load_file(table, &c, path, &e) == -1, "bad value in file");
	snprintf(want, sizeof(want),
		 "%s:3: key 'count' in section [gpu]: 99 is above the "
		 "maximum 16",
		 path);
	is_str(e.msg, want, "file message names path and line");

	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, "name = a\0b\n", 11) < 0)
		abort();
	close(fd);
	ok(cfg_load_file(table, &c, path, &e) == -1 &&
		   strstr(e.msg, "NUL byte"),
	   "NUL byte rejected: %s", e.msg);
	unlink(path);
	ok(cfg_load_file(table, &c, path, &e) == -1 && strstr(e.msg, path) &&
		   strstr(e.msg, "No such file or directory"),
	   "missing file: %s", e.msg);
	cfg_free(table, &c);
}

static char warned[8][64];
static int nwarned;

static void warn_cb(const char *key)
{
	if (nwarned < 8)
		snprintf(warned[nwarned++], sizeof(warned[0]), "%s", key);
}

static void test_keep_nonreloadable(void)
{
	struct conf old, new_conf;
	struct err e = { "" };
	int n;

	fresh(&old);
	fresh(&new_conf);
	if (cfg_set(table, &old, "gpu.count", "8", &e) < 0 ||
	    cfg_set(table, &old, "db.conninfo", "host=a", &e) < 0 ||
	    cfg_set(table, &old, "net.peers", "x, y", &e) < 0 ||
	    cfg_set(table, &new_conf, "gpu.count", "4", &e) < 0 ||
	    cfg_set(table, &new_conf, "db.conninfo", "host=a", &e) < 0 ||
	    cfg_set(table, &new_conf, "net.peers", "x,y", &e) < 0 ||
	    cfg_set(table, &new_conf, "net.port", "7000", &e) < 0 ||
	    cfg_set(table, &new_conf, "name", "renamed", &e) < 0 ||
	    cfg_set(table, &new_conf, "gpu.models", "z", &e) < 0)
		abort();
	nwarned = 0;
	n = cfg_keep_nonreloadable(table, &old, &new_conf, warn_cb);
	is_int(n, 2, "two non-reloadable keys changed");
	is_int(nwarned, 2, "warn called twice");
	is_str(warned[0], "net.port", "warned about net.port");
	is_str(warned[1], "gpu.count", "warned about gpu.count");
	is_int(new_conf.port, 5432, "port kept");
	is_int(new_conf.count, 8, "count kept");
	is_str(new_conf.name, "renamed", "reloadable string changed");
	is_int(new_conf.models.n, 1, "reloadable list changed");
	is_str(new_conf.conninfo, "host=a", "equal strings compared by value");

	/* Lists compare item by item; a changed list is deep-copied back. */
	if (cfg_set(table, &new_conf, "net.peers", "x, z", &e) < 0 ||
	    cfg_set(table, &new_conf, "db.conninfo", "host=b", &e) < 0)
		abort();
	nwarned = 0;
	n = cfg_keep_nonreloadable(table, &old, &new_conf, warn_cb);
	is_int(n, 2, "changed list and string reverted");
	is_str(warned[0], "net.peers", "warned about net.peers");
	is_str(warned[1], "db.conninfo", "warned about db.conninfo");
	is_int(new_conf.peers.n, 2, "list restored");
	is_str(new_conf.peers.items[1], "y", "list item restored");
	ok(new_conf.peers.items != old.peers.items &&
		   new_conf.peers.items[0] != old.peers.items[0] &&
		   new_conf.conninfo != old.conninfo,
	   "restored values are copies");
	is_int(cfg_keep_nonreloadable(table, &old, &new_conf, NULL), 0,
	       "nothing left to revert (and warn may be NULL)");
	/* Both structs are freed: a shared pointer would double-free. */
	cfg_free(table, &old);
	cfg_free(table, &new_conf);
}

static void test_bad_tables(void)
{
	struct {
		int64_t n;
		bool b;
	} s = { 0, false };
	const struct cfg_opt bad_default[] = {
		{ "", "n", CFG_INT, 0, "100", 0, 1, 10, "n" },
		CFG_END,
	};
	const struct cfg_opt required_bool[] = {
		{ "", "b", CFG_BOOL, sizeof(int64_t), NULL, CFG_REQUIRED, 0, 0,
		  "b" },
		CFG_END,
	};
	const struct cfg_opt zero_out_of_bounds[] = {
		{ "", "n", CFG_INT, 0, NULL, 0, 1, 10, "n" },
		CFG_END,
	};
	const struct cfg_opt zero_duration[] = {
		{ "", "d", CFG_DURATION, 0, NULL, 0, 5, 0, "d" },
		CFG_END,
	};
	const struct cfg_opt zero_fine[] = {
		{ "", "n", CFG_INT, 0, NULL, 0, -3, 0, "n" },
		CFG_END,
	};
	struct err e = { "" };

	ok(cfg_defaults(bad_default, &s, &e) == -1, "bad default rejected");
	is_str(e.msg, "default for 'n': 100 is above the maximum 10",
	       "message names the key");
	ok(cfg_defaults(required_bool, &s, &e) == -1,
	   "required bool rejected: %s", e.msg);
	ok(cfg_defaults(zero_out_of_bounds, &s, &e) == -1,
	   "missing default outside the bounds rejected: %s", e.msg);
	ok(cfg_defaults(zero_duration, &s, &e) == -1,
	   "missing duration default below min rejected: %s", e.msg);
	ok(cfg_defaults(zero_fine, &s, &e) == 0 && s.n == 0,
	   "missing default inside the bounds is fine");
}

int main(void)
{
	test_defaults();
	test_load_good();
	test_bools();
	test_levels();
	test_load_bad();
	test_set();
	test_dump_round_trip();
	test_file();
	test_keep_nonreloadable();
	test_bad_tables();
	return done_testing();
}
