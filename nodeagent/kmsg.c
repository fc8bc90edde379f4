/*
 * Kernel log parsing and reading for GPU faults (see kmsg.h).  The parser
 * is deliberately lenient about spacing and the optional "PCI:" prefix:
 * driver releases have changed both, and a missed XID 79 costs far more
 * than an odd line mis-read as one.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "nodeagent/kmsg.h"

/* Upper bound of lines handled per kmsg_reader_read() call. */
#define KMSG_READ_MAX 4096
/* /dev/kmsg records are at most ~1 KiB of text plus the dictionary. */
#define KMSG_BUF_LEN 8192

struct kmsg_reader {
	int fd;
	bool chardev;
	bool skipping; /* line mode: discarding the rest of an over-long line */
	size_t len;    /* line mode: bytes of an incomplete line in buf */
	char buf[KMSG_BUF_LEN];
};

/* Find needle in the first len bytes of s (s need not be terminated). */
static const char *kmsg_memstr(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (n > len)
		return NULL;
	for (size_t i = 0; i + n <= len; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, n))
			return s + i;
	return NULL;
}

int kmsg_busid_normalize(const char *in, char *out, size_t outlen)
{
	unsigned long v[3];
	const char *p = in;
	char *end;
	int n = 0;
	int len;

	if (outlen)
		out[0] = '\0';
	while (n < 3) {
		if (!isxdigit((unsigned char)*p))
			return -1;
		v[n++] = strtoul(p, &end, 16);
		p = end;
		if (*p != ':')
			break;
		p++;
	}
	if (*p == '.') {
		/* The function: dropped, a GPU is always function 0. */
		p++;
		if (!isxdigit((unsigned char)*p))
			return -1;
		strtoul(p, &end, 16);
		p = end;
	}
	if (*p != '\0' || n < 2)
		return -1;
	if (v[n - 2] > 0xff || v[n - 1] > 0x1f ||
	    (n == 3 && v[0] > 0xffffffffUL))
		return -1;
	len = snprintf(out, outlen, "%04lx:%02lx:%02lx", n == 3 ? v[0] : 0UL,
		       v[n - 2], v[n - 1]);
	if (len < 0 || (size_t)len >= outlen) {
		if (outlen)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Copy the bus-id-looking token at p (hex digits, ':' and '.') into a
 * normalised id.  A trailing ':' ("0000:18:00.0: GPU has...") is not
 * part of it.
 */
static void kmsg_take_busid(const char *p, const char *lim, char *out,
			    size_t outlen)
{
	char tok[KMSG_BUSID_LEN];
	size_t n = 0;

	if (lim - p >= 4 && !memcmp(p, "PCI:", 4))
		p += 4;
	while (p < lim && n + 1 < sizeof(tok) &&
	       (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
		tok[n++] = *p++;
	while (n > 0 && tok[n - 1] == ':')
		n--;
	tok[n] = '\0';
	if (kmsg_busid_normalize(tok, out, outlen) < 0)
		out[0] = '\0';
}

/* Copy text for people: control and non-ASCII bytes become '?'. */
static void kmsg_copy_text(char *dst, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	for (; n + 1 < size && n < len; n++) {
		unsigned char c = (unsigned char)s[n];
		dst[n] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
}

/*
 * "6,1234,5678901,-;message": priority, sequence, microseconds since boot,
 * flags, possibly more comma fields, then ';'.  Returns the offset of the
 * message, or 0 when the line has no such prefix.
 */
static size_t kmsg_parse_prefix(const char *line, size_t len,
				struct kmsg_record *rec)
{
	unsigned long long f[3];
	size_t i = 0;

	for (int k = 0; k < 3; k++) {
		unsigned long long v = 0;
		size_t start = i;

		while (i < len && isdigit((unsigned char)line[i]) &&
		       i - start < 20)
			v = v * 10 + (unsigned)(line[i++] - '0');
		if (i == start || i >= len || line[i] != ',')
			return 0;
		f[k] = v;
		i++;
	}
	while (i < len && line[i] != ';' && line[i] != ' ')
		i++;
	if (i >= len || line[i] != ';')
		return 0;
	rec->priority = (int)(f[0] & 0x3ff);
	rec->seq = f[1];
	rec->ts_us = (int64_t)(f[2] & 0x7fffffffffffffffULL);
	return i + 1;
}

/* "Xid (PCI:0000:18:00): 79, pid=1234, ..." with p just past "Xid". */
static int kmsg_parse_xid_tail(const char *p, const char *lim,
			       struct kmsg_record *rec)
{
	const char *close;
	unsigned long code = 0;
	const char *q;
	int digits = 0;

	while (p < lim && *p == ' ')
		p++;
	if (p >= lim || *p != '(')
		return -1;
	close = memchr(p, ')', (size_t)(lim - p));
	if (!close)
		return -1;
	kmsg_take_busid(p + 1, close, rec->bus_id, sizeof(rec->bus_id));
	p = close + 1;
	while (p < lim && (*p == ':' || *p == ' '))
		p++;
	while (p < lim && isdigit((unsigned char)*p) && digits < 9) {
		code = code * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	if (!digits)
		return -1;
	rec->code = (unsigned)code;
	/*
	 * The line is not NUL-terminated at lim (a /dev/kmsg record goes on
	 * with its dictionary, a buffer with the next line), so the pid is
	 * read digit by digit up to lim, never with strtol.  Nine digits
	 * cannot overflow an int and exceed any pid_max.
	 */
	q = kmsg_memstr(p, (size_t)(lim - p), "pid=");
	if (q && q + 4 < lim && isdigit((unsigned char)q[4])) {
		long pid = 0;

		digits = 0;
		for (q += 4;
		     q < lim && isdigit((unsigned char)*q) && digits < 9;
		     q++, digits++)
			pid = pid * 10 + (*q - '0');
		rec->pid = (int)pid;
	}
	return 0;
}

static void kmsg_record_reset(struct kmsg_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->priority = -1;
	rec->ts_us = -1;
	rec->pid = -1;
}

enum kmsg_kind kmsg_parse(const char *line, size_t len, struct kmsg_record *rec)
{
	const char *msg, *lim, *p, *start;
	size_t off;

	kmsg_record_reset(rec);
	off = kmsg_parse_prefix(line, len, rec);
	msg = line + off;
	lim = line + len;
	/* A /dev/kmsg record may carry "\n KEY=value" dictionary lines. */
	p = memchr(msg, '\n', (size_t)(lim - msg));
	if (p)
		lim = p;

	if ((start = kmsg_memstr(msg, (size_t)(lim - msg), "NVRM: Xid"))) {
		if (kmsg_parse_xid_tail(start + 9, lim, rec) < 0)
			goto ignore;
		rec->kind = KMSG_XID;
	} else if ((start = kmsg_memstr(msg, (size_t)(lim - msg), "SXid"))) {
		if (kmsg_parse_xid_tail(start + 4, lim, rec) < 0)
			goto ignore;
		rec->kind = KMSG_SXID;
	} else if ((start = kmsg_memstr(msg, (size_t)(lim - msg), "NVRM: ")) &&
		   kmsg_memstr(start, (size_t)(lim - start),
			       "fallen off the bus")) {
		/* "NVRM: GPU 0000:18:00.0: GPU has fallen off the bus." */
		p = kmsg_memstr(start, (size_t)(lim - start), "GPU ");
		if (p) {
			p += 4;
			if (lim - p >= 3 && !memcmp(p, "at ", 3))
				p += 3;
			kmsg_take_busid(p, lim, rec->bus_id,
					sizeof(rec->bus_id));
		}
		rec->kind = KMSG_GPU_LOST;
	} else {
		goto ignore;
	}
	kmsg_copy_text(rec->text, sizeof(rec->text), start,
		       (size_t)(lim - start));
	return rec->kind;
ignore:
	rec->code = 0;
	rec->pid = -1;
	rec->bus_id[0] = '\0';
	rec->kind = KMSG_IGNORE;
	return KMSG_IGNORE;
}

struct kmsg_reader *kmsg_reader_open(const char *path, struct err *e)
{
	struct kmsg_reader *r;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err_set(e, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->chardev = S_ISCHR(st.st_mode);
	/*
	 * On /dev/kmsg SEEK_END moves to the next record to be written, so
	 * XIDs logged before the agent started (possibly before the last
	 * reboot's reset fixed them) are not reported again.
	 */
	if (r->chardev && lseek(fd, 0, SEEK_END) < 0) {
		err_set(e, "cannot seek %s: %s", path, strerror(errno));
		kmsg_reader_close(r);
		return NULL;
	}
	return r;
}

void kmsg_reader_close(struct kmsg_reader *r)
{
	int saved = errno;

	if (!r)
		return;
	close(r->fd);
	free(r);
	errno = saved;
}

int kmsg_reader_fd(const struct kmsg_reader *r)
{
	return r ? r->fd : -1;
}

bool kmsg_reader_pollable(const struct kmsg_reader *r)
{
	return r && r->chardev;
}

static void kmsg_handle_line(const char *line, size_t len, kmsg_record_fn cb,
			     void *arg)
{
	struct kmsg_record rec;

	if (kmsg_parse(line, len, &rec) != KMSG_IGNORE)
		cb(&rec, arg);
}

/* /dev/kmsg: every read() returns exactly one record. */
static int kmsg_read_records(struct kmsg_reader *r, kmsg_record_fn cb,
			     void *arg)
{
	int n = 0;

	while (n < KMSG_READ_MAX) {
		ssize_t got = read(r->fd, r->buf, sizeof(r->buf));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/*
			 * EPIPE: records were overwritten before we read them;
			 * the next read returns the oldest one still there.
			 * Counted, so a flood still ends this call.
			 */
			if (errno == EPIPE) {
				n++;
				continue;
			}
			return -1;
		}
		if (got == 0)
			break;
		kmsg_handle_line(r->buf, (size_t)got, cb, arg);
		n++;
	}
	return n;
}

/* A regular file: split into lines, keeping an incomplete last line. */
static int kmsg_read_lines(struct kmsg_reader *r, kmsg_record_fn cb, void *arg)
{
	int n = 0;

	while (n < KMSG_READ_MAX) {
		ssize_t got;
		size_t start = 0;
		char *nl;

		if (r->len == sizeof(r->buf)) {
			/* One line longer than the buffer: not ours. */
			r->len = 0;
			r->skipping = true;
		}
		got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		if (got == 0)
			break;
		r->len += (size_t)got;
		while ((nl = memchr(r->buf + start, '\n', r->len - start))) {
			size_t linelen = (size_t)(nl - (r->buf + start));

			if (!r->skipping)
				kmsg_handle_line(r->buf + start, linelen, cb,
						 arg);
			r->skipping = false;
			start += linelen + 1;
			n++;
		}
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
	}
	return n;
}

int kmsg_reader_read(struct kmsg_reader *r, kmsg_record_fn cb, void *arg)
{
	if (r->chardev)
		return kmsg_read_records(r, cb, arg);
	return kmsg_read_lines(r, cb, arg);
}
