/*
 * Fuzz target: kernel log lines (nodeagent/kmsg.c), which the agent reads
 * from /dev/kmsg to catch GPU XIDs.  kmsg_parse takes len bytes with no
 * terminator, and libFuzzer's buffer is exactly that long, so any read
 * past the line is caught.  Properties: text and bus_id are terminated
 * inside their arrays; an ignored line carries no fault fields; a bus id
 * that normalises is in the "dddd:bb:dd" form and normalises to itself.
 * The input is also read with kmsg_reader (through a pipe), which splits
 * lines and drops over-long ones.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "nodeagent/kmsg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fz_check_record(const struct kmsg_record *rec)
{
	FUZZ_CHECK(memchr(rec->text, '\0', sizeof(rec->text)) != NULL,
		   "text not terminated");
	FUZZ_CHECK(memchr(rec->bus_id, '\0', sizeof(rec->bus_id)) != NULL,
		   "bus id not terminated");
	if (rec->kind == KMSG_IGNORE)
		FUZZ_CHECK(rec->code == 0 && rec->pid == -1 && !rec->bus_id[0],
			   "ignored line with fault fields");
	if (rec->bus_id[0]) {
		char again[KMSG_BUSID_LEN];

		FUZZ_CHECK(kmsg_busid_normalize(rec->bus_id, again,
						sizeof(again)) == 0 &&
				   !strcmp(again, rec->bus_id),
			   "bus id '%s' is not normal", rec->bus_id);
	}
}

static void fz_record_cb(const struct kmsg_record *rec, void *arg)
{
	(*(int *)arg)++;
	FUZZ_CHECK(rec->kind != KMSG_IGNORE, "the reader passed an ignored "
					     "line");
	fz_check_record(rec);
}

/*
 * Feed the input to kmsg_reader through a pipe opened by path (no disk
 * I/O, so the target stays fast).  Inputs larger than a pipe holds are
 * only parsed, not read.
 */
static void fz_reader(const uint8_t *data, size_t size)
{
	struct kmsg_reader *r;
	char path[64];
	struct err e;
	int fds[2], seen = 0;

	if (size > 60000)
		return;
	FUZZ_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	r = kmsg_reader_open(path, &e);
	FUZZ_CHECK(r != NULL, "%s", e.msg);
	FUZZ_CHECK(!kmsg_reader_pollable(r), "a pipe is not pollable");
	FUZZ_CHECK(write(fds[1], data, size) == (ssize_t)size, "write");
	close(fds[1]);
	while (kmsg_reader_read(r, fz_record_cb, &seen) > 0)
		;
	kmsg_reader_close(r);
	close(fds[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsg_record rec;
	char *s = fuzz_cstr(data, size);
	char norm[KMSG_BUSID_LEN];
	enum kmsg_kind k;

#ifdef FUZZ_KMSG_PAD
	/*
	 * Build with -DFUZZ_KMSG_PAD to hand kmsg_parse a copy followed by a
	 * newline, hiding reads of the byte after the line (the strtol in
	 * kmsg_parse_xid_tail) while looking for other bugs.
	 */
	char *padded = fuzz_cstr(data, size);

	padded[size] = '\n';
	k = kmsg_parse(padded, size, &rec);
	free(padded);
#else
	k = kmsg_parse((const char *)data, size, &rec);
#endif
	FUZZ_CHECK(k == rec.kind, "returned %d, recorded %d", (int)k,
		   (int)rec.kind);
	fz_check_record(&rec);
	if (kmsg_busid_normalize(s, norm, sizeof(norm)) == 0) {
		char again[KMSG_BUSID_LEN];

		FUZZ_CHECK(strlen(norm) >= 10 &&
				   norm[strlen(norm) - 3] == ':' &&
				   norm[strlen(norm) - 6] == ':',
			   "'%s' normalised to '%s'", s, norm);
		FUZZ_CHECK(kmsg_busid_normalize(norm, again, sizeof(again)) ==
					   0 &&
				   !strcmp(again, norm),
			   "'%s' is not stable", norm);
	} else {
		FUZZ_CHECK(norm[0] == '\0', "a refused id left '%s'", norm);
	}
	fz_reader(data, size);
	free(s);
	return 0;
}
