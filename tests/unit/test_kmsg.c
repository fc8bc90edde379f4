/*
 * Unit tests for nodeagent/kmsg.c: bus id normalisation, parsing of the
 * NVIDIA driver's kernel log lines in their various forms, and the reader
 * over a growing regular file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodeagent/kmsg.h"
#include "tests/lib/tap.h"

static enum kmsg_kind parse(const char *line, struct kmsg_record *rec)
{
	return kmsg_parse(line, strlen(line), rec);
}

static void check_norm(const char *in, const char *want)
{
	char out[KMSG_BUSID_LEN];
	int rc = kmsg_busid_normalize(in, out, sizeof(out));

	if (want) {
		is_int(rc, 0, "normalize '%s' succeeds", in);
		is_str(out, want, "normalize '%s'", in);
	} else {
		is_int(rc, -1, "normalize '%s' rejected", in);
		is_str(out, "", "rejected '%s' leaves empty output", in);
	}
}

static void test_normalize(void)
{
	char small[8];

	check_norm("00000000:18:00.0", "0000:18:00");
	check_norm("0000:18:00", "0000:18:00");
	check_norm("0000:18:00.0", "0000:18:00");
	check_norm("00000000:2A:00.0", "0000:2a:00");
	check_norm("0000:db:00", "0000:db:00");
	check_norm("18:00.0", "0000:18:00");
	check_norm("00000001:9A:1F.0", "0001:9a:1f");
	check_norm("", NULL);
	check_norm("PCI", NULL);
	check_norm("0000:18:00.0x", NULL);
	check_norm("0000:100:00.0", NULL);
	check_norm("0000:18:20.0", NULL);
	check_norm("0000:18:00.", NULL);
	check_norm("18", NULL);
	is_int(kmsg_busid_normalize("0000:18:00", small, sizeof(small)), -1,
	       "normalize into a too-small buffer fails");
}

static void test_parse(void)
{
	struct kmsg_record r;
	char buf[256];

	is_int(parse("NVRM: Xid (PCI:0000:18:00): 79, pid=1234, name=python, "
		     "GPU has fallen off the bus.",
		     &r),
	       KMSG_XID, "plain Xid line");
	is_int(r.code, 79, "Xid code");
	is_str(r.bus_id, "0000:18:00", "Xid bus id");
	is_int(r.pid, 1234, "Xid pid");
	is_int(r.priority, -1, "no prefix: priority -1");
	is_int(r.ts_us, -1, "no prefix: timestamp -1");
	ok(!strncmp(r.text, "NVRM: Xid (PCI:0000:18:00): 79", 30),
	   "text starts at NVRM: '%s'", r.text);

	is_int(parse("6,1234,5678901,-;NVRM: Xid (PCI:0000:2a:00): 48, "
		     "pid='<unknown>', name=<unknown>, An uncorrectable double "
		     "bit error",
		     &r),
	       KMSG_XID, "/dev/kmsg record with prefix");
	is_int(r.priority, 6, "priority parsed");
	is_int(r.seq, 1234, "sequence parsed");
	is_int(r.ts_us, 5678901, "timestamp parsed");
	is_int(r.code, 48, "code 48");
	is_str(r.bus_id, "0000:2a:00", "bus id");
	is_int(r.pid, -1, "unknown pid is -1");

	is_int(parse("6,99,100,-,caller=T12;NVRM: Xid (PCI:0000:3a:00): 13, "
		     "pid=77, name=a.out, Graphics Exception",
		     &r),
	       KMSG_XID, "prefix with extra fields");
	is_int(r.code, 13, "code 13");
	is_int(r.seq, 99, "sequence with extra fields");

	is_int(parse("[ 1234.567890] NVRM: Xid (0000:9a:00): 31, pid=99, "
		     "name=train, Ch 00000010, intr 10000000. MMU Fault",
		     &r),
	       KMSG_XID, "dmesg form without PCI: prefix");
	is_int(r.code, 31, "code 31");
	is_str(r.bus_id, "0000:9a:00", "bus id without PCI:");
	is_int(r.pid, 99, "pid 99");

	is_int(parse("NVRM: GPU 0000:18:00.0: GPU has fallen off the bus.", &r),
	       KMSG_GPU_LOST, "fallen off the bus");
	is_str(r.bus_id, "0000:18:00", "lost GPU bus id");
	is_int(r.code, 0, "lost has no code");

	is_int(parse("4,7,8,-;NVRM: GPU at PCI:0000:db:00: GPU has fallen off "
		     "the bus.",
		     &r),
	       KMSG_GPU_LOST, "fallen off the bus, 'at PCI:' form");
	is_str(r.bus_id, "0000:db:00", "bus id of the 'at PCI:' form");

	is_int(parse("NVRM: GPU at PCI:0000:18:00: "
		     "GPU-5c0b6d9e-1f4c-3b7a-8d2e-0a1b2c3d4e5f",
		     &r),
	       KMSG_IGNORE, "GPU announcement is not a fault");

	is_int(parse("SXid (PCI:0000:05:00.0): 24007, Fatal, Link 44 "
		     "sourcetrack "
		     "timeout error",
		     &r),
	       KMSG_SXID, "SXid");
	is_int(r.code, 24007, "SXid code");
	is_str(r.bus_id, "0000:05:00", "SXid bus id");

	is_int(parse("3,5,6,-;nvidia-nvswitch0: SXid (PCI:0000:06:00.0): "
		     "20034, "
		     "Non-fatal, Link 32 LTSSM Fault Up",
		     &r),
	       KMSG_SXID, "SXid with a driver prefix");

	is_int(parse("4,100,200,-;usb 1-1: new high-speed USB device", &r),
	       KMSG_IGNORE, "unrelated record");
	is_int(parse("", &r), KMSG_IGNORE, "empty line");
	is_int(parse("NVRM: Xid (PCI:0000:18:00): abc", &r), KMSG_IGNORE,
	       "Xid without a number");
	is_int(parse("NVRM: Xid PCI:0000:18:00: 79", &r), KMSG_IGNORE,
	       "Xid without parentheses");
	is_str(r.bus_id, "", "ignored line has no bus id");

	snprintf(buf, sizeof(buf), "%s",
		 "6,5,6,-;NVRM: Xid (PCI:0000:5d:00): 94, pid=1, name=x, "
		 "Contained\n SUBSYSTEM=pci\n DEVICE=+pci:0000:5d:00.0\n");
	is_int(parse(buf, &r), KMSG_XID, "record with dictionary lines");
	is_int(r.code, 94, "code 94");
	ok(!strstr(r.text, "SUBSYSTEM"), "dictionary not in text: '%s'",
	   r.text);

	is_int(parse("NVRM: Xid (PCI:0000:18:00): 13, pid=5, name=a\001b\tc, x",
		     &r),
	       KMSG_XID, "Xid with control characters");
	ok(strstr(r.text, "name=a?b?c") != NULL,
	   "control characters replaced: '%s'", r.text);

	/* The length bounds the parse: the code is cut off here. */
	snprintf(buf, sizeof(buf), "NVRM: Xid (PCI:0000:18:00): 79");
	is_int(kmsg_parse(buf, strlen(buf) - 2, &r), KMSG_IGNORE,
	       "length limits the parse");
	is_int(kmsg_parse(buf, strlen(buf) - 1, &r), KMSG_XID,
	       "one digit within the length");
	is_int(r.code, 7, "only the digits within the length count");

	/*
	 * "pid=" at the very end of the length, with digits beyond it: the
	 * pid is read only up to the length (strtol used to run on).  The
	 * copy has no NUL, so a sanitizer build catches any overread.
	 */
	snprintf(buf, sizeof(buf), "NVRM: Xid (PCI:0000:18:00): 79, pid=12345");
	is_int(kmsg_parse(buf, strlen(buf) - 3, &r), KMSG_XID,
	       "pid cut by the length");
	is_int(r.pid, 12, "pid digits only within the length");
	{
		size_t n = strlen(buf);
		char *exact = malloc(n);

		memcpy(exact, buf, n);
		is_int(kmsg_parse(exact, n, &r), KMSG_XID,
		       "unterminated line ending in the pid");
		is_int(r.pid, 12345, "pid at the end of an unterminated line");
		free(exact);
	}
	is_int(parse("NVRM: Xid (PCI:0000:18:00): 79, pid=99999999999999", &r),
	       KMSG_XID, "absurd pid");
	ok(r.pid >= 0, "absurd pid does not overflow: %d", r.pid);
}

struct collect {
	int n;
	struct kmsg_record rec[16];
};

static void collect_cb(const struct kmsg_record *rec, void *arg)
{
	struct collect *c = arg;

	if (c->n < 16)
		c->rec[c->n] = *rec;
	c->n++;
}

static int append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	size_t len = strlen(s);
	int rc;

	if (fd < 0)
		return -1;
	rc = write(fd, s, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

static void test_reader(void)
{
	char dir[] = "/tmp/test_kmsg.XXXXXX";
	char path[128];
	struct kmsg_reader *r;
	struct collect c;
	struct err e;
	char *big;

	if (!mkdtemp(dir)) {
		diag("mkdtemp: %s", strerror(errno));
		ok(0, "temp dir");
		return;
	}
	snprintf(path, sizeof(path), "%s/kmsg", dir);

	err_clear(&e);
	ok(kmsg_reader_open(path, &e) == NULL, "missing file: NULL");
	ok(strstr(e.msg, path) != NULL, "error names the path: %s", e.msg);

	ok(append(path,
		  "6,1,10,-;NVRM: Xid (PCI:0000:18:00): 79, pid=1, name=x, "
		  "GPU has fallen off the bus.\n"
		  "6,2,11,-;eth0: link up\n"
		  "NVRM: GPU 0000:2a:00.0: GPU has fallen off the bus.\n") == 0,
	   "write file");
	r = kmsg_reader_open(path, &e);
	ok(r != NULL, "open regular file");
	if (!r)
		return;
	ok(!kmsg_reader_pollable(r), "a regular file is not pollable");
	ok(kmsg_reader_fd(r) >= 0, "has an fd");
	memset(&c, 0, sizeof(c));
	is_int(kmsg_reader_read(r, collect_cb, &c), 3,
	       "file read from the start: 3 lines");
	is_int(c.n, 2, "2 fault records");
	is_int(c.rec[0].kind, KMSG_XID, "first is the Xid");
	is_int(c.rec[1].kind, KMSG_GPU_LOST, "second is the lost GPU");
	is_str(c.rec[1].bus_id, "0000:2a:00", "lost GPU bus id");

	memset(&c, 0, sizeof(c));
	is_int(kmsg_reader_read(r, collect_cb, &c), 0, "nothing new");
	ok(append(path, "NVRM: Xid (PCI:0000:3a:00): 4") == 0, "append part");
	is_int(kmsg_reader_read(r, collect_cb, &c), 0,
	       "incomplete line is kept");
	is_int(c.n, 0, "no record yet");
	ok(append(path, "8, pid=2, name=y, DBE\n") == 0, "append rest");
	is_int(kmsg_reader_read(r, collect_cb, &c), 1, "line completed");
	is_int(c.n, 1, "one record");
	is_int(c.rec[0].code, 48, "split line joined: code 48");
	is_str(c.rec[0].bus_id, "0000:3a:00", "split line bus id");

	/* A line longer than the buffer is skipped, the next one is not. */
	big = malloc(20000);
	memset(big, 'x', 19998);
	memcpy(big, "NVRM: Xid (PCI:0000:5d:00): 13, ", 32);
	big[19998] = '\n';
	big[19999] = '\0';
	ok(append(path, big) == 0, "append a 20000-byte line");
	free(big);
	ok(append(path, "NVRM: Xid (PCI:0000:9a:00): 63, pid=3, name=z\n") == 0,
	   "append a normal line");
	memset(&c, 0, sizeof(c));
	ok(kmsg_reader_read(r, collect_cb, &c) >= 1, "read after long line");
	is_int(c.n, 1, "only the normal line is reported");
	is_int(c.rec[0].code, 63, "it is XID 63");
	kmsg_reader_close(r);
	kmsg_reader_close(NULL);
	unlink(path);
	rmdir(dir);

	/* /dev/kmsg itself, where the test may read it (root, no restrict). */
	r = kmsg_reader_open("/dev/kmsg", &e);
	if (r) {
		ok(kmsg_reader_pollable(r), "/dev/kmsg is pollable");
		memset(&c, 0, sizeof(c));
		ok(kmsg_reader_read(r, collect_cb, &c) >= 0,
		   "/dev/kmsg read does not fail (backlog skipped)");
		kmsg_reader_close(r);
	} else {
		skip(2, "/dev/kmsg not readable here");
	}
}

int main(void)
{
	test_normalize();
	test_parse();
	test_reader();
	return done_testing();
}
