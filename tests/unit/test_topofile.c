/*
 * Unit tests for common/topofile.c: a small hand-written file checked
 * field by field, slots across several node lines, undefined and
 * forward-referenced parents, every kind of error with its file:line
 * message, the node cap, a generated 25,088-node site, files on disk and,
 * when $top_srcdir is set (make check sets it), the output of
 * scripts/gen-topology.sh for phases 1 and 2.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "common/topofile.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

static void test_small(void)
{
	static const char text[] =
		"# site\n"
		"hall h1\n"
		"pod p001 hall=h1   # trailing comment\n"
		"\n"
		"rack r0001 pod=p001\n"
		"node n[01-03] rack=r0001\n"
		"\tnode  n[04-05]\track=r0001 gpus=4 model=H200 "
		"features=ib,nvme\r\n"
		"rack r0002 pod=p001\n"
		"node n06,login1 features=fat rack=r0002 gpus=16\n"
		"node n07 rack=r0001\n";
	struct topofile t;
	struct err e = { "" };
	int r;

	r = topofile_parse(text, "small.txt", &t, &e);
	ok(r == 0, "small file parses");
	if (r < 0) {
		diag("%s", e.msg);
		return;
	}
	is_int(t.nhalls, 1, "1 hall");
	is_int(t.npods, 1, "1 pod");
	is_int(t.nracks, 2, "2 racks");
	is_int(t.nnodes, 8, "8 nodes");
	is_str(t.halls[0].name, "h1", "hall name");
	ok(t.halls[0].parent == NULL, "hall has no parent");
	is_int(t.halls[0].line, 2, "hall line");
	is_str(t.pods[0].name, "p001", "pod name");
	is_str(t.pods[0].parent, "h1", "pod parent");
	is_str(t.racks[1].name, "r0002", "rack name");
	is_str(t.racks[1].parent, "p001", "rack parent");
	is_int(t.racks[1].line, 8, "rack line");

	is_str(t.nodes[0].name, "n01", "first node");
	is_str(t.nodes[0].rack, "r0001", "first node rack");
	is_int(t.nodes[0].gpus, 8, "default gpus");
	is_str(t.nodes[0].model, "H100", "default model");
	is_int(t.nodes[0].nfeatures, 0, "no features");
	ok(t.nodes[0].features == NULL, "features NULL when none");
	is_int(t.nodes[0].slot, 0, "slot 0");
	is_int(t.nodes[2].slot, 2, "slot 2");
	is_int(t.nodes[3].slot, 3, "slots continue on the next node line");
	is_str(t.nodes[3].name, "n04", "n04");
	is_int(t.nodes[3].gpus, 4, "gpus=4");
	is_str(t.nodes[3].model, "H200", "model=H200");
	is_int(t.nodes[3].nfeatures, 2, "two features");
	is_str(t.nodes[3].features[1], "nvme", "feature 2 (CRLF stripped)");
	is_int(t.nodes[3].line, 7, "node line");
	is_int(t.nodes[4].slot, 4, "n05 slot 4");
	is_str(t.nodes[5].name, "n06", "n06");
	is_int(t.nodes[5].slot, 0, "first node of r0002 has slot 0");
	is_str(t.nodes[6].name, "login1", "login1");
	is_int(t.nodes[6].slot, 1, "login1 slot 1");
	is_int(t.nodes[6].gpus, 16, "gpus=16 (keys in any order)");
	is_str(t.nodes[6].features[0], "fat", "feature fat");
	is_str(t.nodes[7].name, "n07", "n07");
	is_int(t.nodes[7].slot, 5, "r0001 continues after another rack");
	topofile_free(&t);
	ok(t.nodes == NULL && t.nnodes == 0, "topofile_free zeroes");
	topofile_free(&t);
	topofile_free(NULL);
	ok(1, "topofile_free twice and on NULL");
}

static void test_parents(void)
{
	static const char text[] = "rack r9 pod=p-existing\n"
				   "node n1 rack=r-existing\n"
				   "pod p2 hall=h-later\n"
				   "hall h-later\n"
				   "node n2 rack=r9\n";
	struct topofile t;
	struct err e = { "" };

	ok(topofile_parse(text, NULL, &t, &e) == 0,
	   "undefined and later-defined parents are allowed");
	is_int(t.nnodes, 2, "2 nodes");
	is_int(t.nodes[0].slot, 0, "slot in an undefined rack");
	is_int(t.nodes[1].slot, 0, "slot in a defined rack");
	topofile_free(&t);

	ok(topofile_parse("", "empty.txt", &t, &e) == 0 && t.nnodes == 0 &&
		   t.nhalls == 0,
	   "empty text is an empty topology");
	topofile_free(&t);
	ok(topofile_parse("# only\n\n   \n\t# comments\n", "c.txt", &t, &e) ==
			   0 &&
		   t.nnodes == 0,
	   "comments and blank lines only");
	topofile_free(&t);
	ok(topofile_parse("hall h1\nhall h2\npod h1 hall=h1\nrack h1 pod=h1\n"
			  "node h1 rack=h1",
			  "k.txt", &t, &e) == 0,
	   "the same name in different kinds is fine");
	topofile_free(&t);
}

struct bad_case {
	const char *text;
	const char *msg; /* exact message */
};

static const struct bad_case bad[] = {
	{ "hall h1\nhall h1", "topo.txt:2: duplicate hall 'h1' (first defined "
			      "on line 1)" },
	{ "pod p1 hall=h\n\npod p1 hall=h",
	  "topo.txt:3: duplicate pod 'p1' (first defined on line 1)" },
	{ "rack r0012 pod=p\n#\n\n\n\n\nrack r0012 pod=q",
	  "topo.txt:7: duplicate rack 'r0012' (first defined on line 1)" },
	{ "node n[1-3] rack=r\nnode n3 rack=s",
	  "topo.txt:2: duplicate node 'n3' (first defined on line 1)" },
	{ "node n1,n1 rack=r",
	  "topo.txt:1: duplicate node 'n1' (first defined on line 1)" },
	{ "switch s1", "topo.txt:1: unknown keyword 'switch' (expected hall, "
		       "pod, rack or node)" },
	{ "Hall h1", "topo.txt:1: unknown keyword 'Hall' (expected hall, pod, "
		     "rack or node)" },
	{ "hall h1 pod=x", "topo.txt:1: unknown key 'pod' for hall" },
	{ "pod p1 hall=h1 color=red", "topo.txt:1: unknown key 'color' for "
				      "pod" },
	{ "node n1 rack=r cpus=4", "topo.txt:1: unknown key 'cpus' for node" },
	{ "pod p1", "topo.txt:1: pod 'p1' needs hall=<name>" },
	{ "rack r1", "topo.txt:1: rack 'r1' needs pod=<name>" },
	{ "node n1 gpus=8", "topo.txt:1: node 'n1' needs rack=<name>" },
	{ "hall", "topo.txt:1: hall line without a name" },
	{ "pod hall=h1", "topo.txt:1: pod line without a name" },
	{ "node rack=r1", "topo.txt:1: node line without a hostlist" },
	{ "hall h1 h2", "topo.txt:1: unexpected 'h2' in hall line (expected "
			"key=value)" },
	{ "pod p1 hall=h1 hall=h2", "topo.txt:1: key 'hall' given twice" },
	{ "pod p1 hall=", "topo.txt:1: empty value for key 'hall'" },
	{ "node n1 rack=r gpus=0",
	  "topo.txt:1: bad gpu count '0' (expected 1..16)" },
	{ "node n1 rack=r gpus=17",
	  "topo.txt:1: bad gpu count '17' (expected 1..16)" },
	{ "node n1 rack=r gpus=8x",
	  "topo.txt:1: bad gpu count '8x' (expected 1..16)" },
	{ "node n1 rack=r gpus=-1",
	  "topo.txt:1: bad gpu count '-1' (expected 1..16)" },
	{ "node n1 rack=r gpus=99999999999999999999",
	  "topo.txt:1: bad gpu count '99999999999999999999' (expected 1..16)" },
	{ "hall h/1", "topo.txt:1: invalid hall name 'h/1' (use A-Z a-z 0-9 . "
		      "_ -, at most 63 characters)" },
	{ "pod p1 hall=h:1", "topo.txt:1: invalid hall name 'h:1' (use A-Z a-z "
			     "0-9 . _ -, at most 63 characters)" },
	{ "node n1 rack=r model=H1 00", "topo.txt:1: unexpected '00' in node "
					"line (expected key=value)" },
	{ "node n1 rack=r model=H/100", "topo.txt:1: invalid model 'H/100' "
					"(use A-Z a-z 0-9 . _ -, at most 63 "
					"characters)" },
	{ "node n1 rack=r features=a,,b",
	  "topo.txt:1: invalid feature '' (use A-Z a-z 0-9 . _ -, at most 63 "
	  "characters)" },
	{ "node n1 rack=r features=a,b,a",
	  "topo.txt:1: feature 'a' listed twice" },
	{ "node n[1-3 rack=r",
	  "topo.txt:1: hostlist 'n[1-3': unbalanced '[' at offset 1 ('[')" },
	{ "node n[3-1] rack=r", "topo.txt:1: hostlist 'n[3-1]': range start "
				"is above its end at offset 2 ('3')" },
	{ "hall h1\n\nnode n\x01 rack=r",
	  "topo.txt:3: hostlist 'n\\x01': invalid character at offset 1 (byte "
	  "0x01)" },
	{ "node n[1-200001] rack=r",
	  "topo.txt:1: hostlist 'n[1-200001]': exceeds the limit of 200000 "
	  "names at offset 2 ('1')" },
	{ "node a[1-150000] rack=r\nnode b[1-50001] rack=s",
	  "topo.txt:2: too many nodes (at most 200000 per file)" },
	{ "hall h1 # fine\nrack r1 pod=p1 # fine\nbogus",
	  "topo.txt:3: unknown keyword 'bogus' (expected hall, pod, rack or "
	  "node)" },
};

static void test_errors(void)
{
	char longname[80], text[300];
	struct topofile t;
	struct err e = { "" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		memset(&t, 0xff, sizeof(t)); /* out is overwritten first */
		r = topofile_parse(bad[i].text, "topo.txt", &t, &e);
		ok(r == -1 && !strcmp(e.msg, bad[i].msg) && t.nnodes == 0 &&
			   t.nodes == NULL && t.nhalls == 0 && t.halls == NULL,
		   "rejected: %s", bad[i].msg);
		if (r != -1 || strcmp(e.msg, bad[i].msg))
			diag("  r=%d got '%s'", r, e.msg);
	}

	/* 63 characters is the longest name; 64 is refused. */
	memset(longname, 'x', 64);
	longname[63] = '\0';
	snprintf(text, sizeof(text), "rack %s pod=p\nnode %s rack=%s", longname,
		 longname, longname);
	ok(topofile_parse(text, "t", &t, &e) == 0, "63-character names");
	topofile_free(&t);
	longname[63] = 'x';
	longname[64] = '\0';
	snprintf(text, sizeof(text), "rack %s pod=p", longname);
	ok(topofile_parse(text, "t", &t, &e) == -1 &&
		   strstr(e.msg, "invalid rack name"),
	   "64-character rack name: %s", e.msg);
	snprintf(text, sizeof(text), "node %s rack=r", longname);
	ok(topofile_parse(text, "t", &t, &e) == -1 &&
		   strstr(e.msg, "invalid node name"),
	   "64-character node name: %s", e.msg);
	ok(topofile_parse("hall h1", NULL, &t, &e) == 0, "NULL name ok");
	topofile_free(&t);
	ok(topofile_parse("hall h1\nhall h1", NULL, &t, &e) == -1 &&
		   !strncmp(e.msg, "<topology>:2: ", 14),
	   "NULL name in messages: %s", e.msg);
}

/* The 200,000-node cap is inclusive. */
static void test_cap(void)
{
	struct topofile t;
	struct err e = { "" };

	ok(topofile_parse("node a[1-150000] rack=r\nnode b[1-50000] rack=s",
			  "cap.txt", &t, &e) == 0,
	   "exactly 200000 nodes parse");
	is_int(t.nnodes, TOPOFILE_MAX_NODES, "200000 nodes");
	is_int(t.nodes[199999].slot, 49999, "last slot");
	topofile_free(&t);
}

/* Text like gen-topology.sh's phase 2, built here. */
static char *site_text(int halls, int pods, int racks, int nodes)
{
	size_t cap = 64 + (size_t)halls * pods * racks * 100, len = 0;
	char *s = xmalloc(cap);
	int pod = 0, rack = 0, node = 0;

	for (int h = 1; h <= halls; h++) {
		len += (size_t)snprintf(s + len, cap - len, "hall h%d\n", h);
		for (int p = 0; p < pods; p++) {
			pod++;
			len += (size_t)snprintf(s + len, cap - len,
						"pod p%03d hall=h%d\n", pod, h);
			for (int r = 0; r < racks; r++) {
				rack++;
				len += (size_t)snprintf(
					s + len, cap - len,
					"rack r%04d pod=p%03d\n"
					"node n[%05d-%05d] rack=r%04d gpus=8 "
					"model=%s\n",
					rack, pod, node + 1, node + nodes, rack,
					h > 4 ? "H200" : "H100");
				node += nodes;
			}
		}
	}
	return s;
}

static void test_large(void)
{
	char *text = site_text(8, 49, 8, 8);
	struct topofile t;
	struct err e = { "" };
	int64_t t0 = util_now_mono_us();
	bool slots_ok = true;
	int r;

	r = topofile_parse(text, "site.txt", &t, &e);
	diag("parsing 25,088 nodes took %lld us",
	     (long long)(util_now_mono_us() - t0));
	ok(r == 0, "generated site parses");
	if (r < 0) {
		diag("%s", e.msg);
		free(text);
		return;
	}
	is_int(t.nnodes, 25088, "25088 nodes");
	is_int(t.nracks, 3136, "3136 racks");
	is_int(t.npods, 392, "392 pods");
	is_int(t.nhalls, 8, "8 halls");
	for (size_t i = 0; i < t.nnodes; i++)
		if (t.nodes[i].slot != i % 8)
			slots_ok = false;
	ok(slots_ok, "every rack has slots 0..7");
	is_str(t.nodes[25087].name, "n25088", "last node");
	is_str(t.nodes[25087].model, "H200", "last node is H200");
	topofile_free(&t);

	/* The same text appended twice duplicates everything. */
	{
		size_t len = strlen(text);
		char *twice = xmalloc(2 * len + 1);

		memcpy(twice, text, len);
		memcpy(twice + len, text, len + 1);
		ok(topofile_parse(twice, "twice.txt", &t, &e) == -1 &&
			   strstr(e.msg, "duplicate hall 'h1' (first defined "
					 "on line 1)"),
		   "doubled file: %s", e.msg);
		free(twice);
	}
	free(text);
}

static void test_load(void)
{
	char path[] = "/tmp/test_topofile.XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "hall h1\npod p1 hall=h1\nrack r1 pod=p1\n"
				   "node n[1-4] rack=r1\n";
	static const char more[] = "rack r1 pod=p1\n";
	struct topofile t;
	struct err e = { "" };
	char want[256];

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	ok(topofile_load(path, &t, &e) == 0 && t.nnodes == 4,
	   "load from a file");
	topofile_free(&t);

	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, more, strlen(more)) < 0)
		abort();
	close(fd);
	ok(topofile_load(path, &t, &e) == -1, "duplicate rack in a file");
	snprintf(want, sizeof(want),
		 "%s:5: duplicate rack 'r1' (first defined on line 3)", path);
	is_str(e.msg, want, "message names the path and line");

	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, "hall h1\0\n", 9) != 9)
		abort();
	close(fd);
	ok(topofile_load(path, &t, &e) == -1 && strstr(e.msg, "NUL byte"),
	   "NUL byte rejected: %s", e.msg);
	unlink(path);
	ok(topofile_load(path, &t, &e) == -1 &&
		   strstr(e.msg, "No such file or directory"),
	   "missing file: %s", e.msg);
}

/* Run the generator and read all its output. */
static char *run_generator(const char *args)
{
	const char *top = getenv("top_srcdir");
	char cmd[1024];
	size_t len = 0, cap = 1 << 16;
	char *buf = xmalloc(cap);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "bash '%s/scripts/gen-topology.sh' %s", top,
		 args);
	p = popen(cmd, "r");
	if (!p) {
		free(buf);
		return NULL;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len - 1, p);

		len += n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	buf[len] = '\0';
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct topo_item *)a)->name,
		      ((const struct topo_item *)b)->name);
}

/* Parent of name among items sorted by name (NULL if not there). */
static const char *parent_of(const struct topo_item *sorted, size_t n,
			     const char *name)
{
	struct topo_item key = { (char *)name, NULL, 0 };
	const struct topo_item *it =
		bsearch(&key, sorted, n, sizeof(*sorted), item_cmp);

	return it ? it->parent : NULL;
}

/*
 * Check a generated site: counts, and that every node's model matches its
 * hall (H200 in h5..h8 for phase 2, H100 elsewhere).
 */
static void check_site(const char *args, size_t nodes, size_t racks,
		       size_t pods, size_t halls, size_t h200)
{
	char *text = run_generator(args);
	struct topofile t;
	struct err e = { "" };
	struct topo_item *rs, *ps;
	size_t n200 = 0, wrong = 0;

	ok(text != NULL, "gen-topology.sh %s runs", args);
	if (!text)
		return;
	ok(topofile_parse(text, "gen", &t, &e) == 0, "its output parses");
	free(text);
	if (e.msg[0]) {
		diag("%s", e.msg);
		return;
	}
	is_int(t.nnodes, nodes, "%zu nodes", nodes);
	is_int(t.nracks, racks, "%zu racks", racks);
	is_int(t.npods, pods, "%zu pods", pods);
	is_int(t.nhalls, halls, "%zu halls", halls);
	rs = xmalloc(t.nracks * sizeof(*rs));
	ps = xmalloc(t.npods * sizeof(*ps));
	memcpy(rs, t.racks, t.nracks * sizeof(*rs));
	memcpy(ps, t.pods, t.npods * sizeof(*ps));
	qsort(rs, t.nracks, sizeof(*rs), item_cmp);
	qsort(ps, t.npods, sizeof(*ps), item_cmp);
	for (size_t i = 0; i < t.nnodes; i++) {
		const struct topo_node *nd = &t.nodes[i];
		const char *pod = parent_of(rs, t.nracks, nd->rack);
		const char *hall = pod ? parent_of(ps, t.npods, pod) : NULL;
		int hnum = hall ? atoi(hall + 1) : 0;
		bool is200 = !strcmp(nd->model, "H200");

		n200 += is200;
		if (!hall || is200 != (hnum >= 5 && h200 > 0) ||
		    nd->gpus != 8 || nd->slot >= 8)
			wrong++;
	}
	is_int(n200, h200, "%zu H200 nodes", h200);
	is_int(wrong, 0,
	       "every node sits in a defined rack/pod/hall with the "
	       "right model");
	is_str(t.nodes[0].name, "n00001", "first node n00001");
	is_str(t.racks[0].name, "r0001", "first rack r0001");
	is_str(t.pods[0].name, "p001", "first pod p001");
	free(rs);
	free(ps);
	topofile_free(&t);
}

static void test_generator(void)
{
	if (!getenv("top_srcdir")) {
		skip(24, "top_srcdir not set (run through make check)");
		return;
	}
	check_site("", 12544, 1568, 196, 4, 0);
	check_site("--phase 2", 25088, 3136, 392, 8, 12544);
	{
		char *text = run_generator("--phase 3 2>/dev/null");

		ok(text == NULL, "--phase 3 is refused");
		free(text);
	}
	{
		char *text = run_generator("--halls 1 --pods-per-hall 2 "
					   "--racks-per-pod 3 --nodes-per-rack "
					   "1");
		struct topofile t;
		struct err e = { "" };

		ok(text && topofile_parse(text, "gen", &t, &e) == 0 &&
			   t.nnodes == 6 && t.nracks == 6 && t.npods == 2,
		   "custom sizes (one node per rack)");
		if (text)
			topofile_free(&t);
		free(text);
	}
}

int main(void)
{
	test_small();
	test_parents();
	test_errors();
	test_cap();
	test_large();
	test_load();
	test_generator();
	return done_testing();
}
