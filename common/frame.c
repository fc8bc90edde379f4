/*
 * Frame encoding and decoding.  Pure functions over byte buffers and
 * evbuffers; no I/O and no logging.
 */
#include "config.h"

#include <string.h>

#include "common/frame.h"
#include "common/xalloc.h"

void frame_put_header(uint8_t hdr[RPC_FRAME_HEADER], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

uint32_t frame_get_header(const uint8_t hdr[RPC_FRAME_HEADER])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	       (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];
}

enum frame_status frame_check(const uint8_t *buf, size_t avail, uint32_t max,
			      uint32_t *len)
{
	uint32_t n;

	if (avail < RPC_FRAME_HEADER)
		return FRAME_NEED_MORE;
	n = frame_get_header(buf);
	*len = n;
	if (n == 0)
		return FRAME_EMPTY;
	if (n > max)
		return FRAME_TOO_BIG;
	if (avail - RPC_FRAME_HEADER < n)
		return FRAME_NEED_MORE;
	return FRAME_READY;
}

enum frame_status frame_check_evbuffer(struct evbuffer *in, uint32_t max,
				       uint32_t *len)
{
	uint8_t hdr[RPC_FRAME_HEADER];
	size_t avail = evbuffer_get_length(in);
	enum frame_status st;

	if (avail < RPC_FRAME_HEADER)
		return FRAME_NEED_MORE;
	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return FRAME_NEED_MORE;
	/* Only the header is inspected here; the body stays in the buffer. */
	st = frame_check(hdr, sizeof(hdr), max, len);
	if (st == FRAME_NEED_MORE && avail - RPC_FRAME_HEADER >= *len)
		return FRAME_READY;
	return st;
}

int frame_write_evbuffer(struct evbuffer *out, const Colossus__Frame *f,
			 uint32_t max, struct err *e)
{
	size_t size = colossus__frame__get_packed_size(f);
	struct evbuffer_iovec vec;
	uint8_t *p;

	if (size == 0 || size > max)
		return err_set(e, "frame of %zu bytes exceeds the limit of %u",
			       size, max);
	if (evbuffer_reserve_space(out, RPC_FRAME_HEADER + size, &vec, 1) < 1 ||
	    vec.iov_len < RPC_FRAME_HEADER + size)
		return err_set(e, "cannot reserve %zu bytes in output buffer",
			       size + RPC_FRAME_HEADER);
	p = vec.iov_base;
	frame_put_header(p, (uint32_t)size);
	colossus__frame__pack(f, p + RPC_FRAME_HEADER);
	vec.iov_len = RPC_FRAME_HEADER + size;
	if (evbuffer_commit_space(out, &vec, 1) < 0)
		return err_set(e, "cannot commit output buffer");
	return 0;
}

int frame_pack(const Colossus__Frame *f, uint32_t max, uint8_t **out,
	       size_t *outlen, struct err *e)
{
	size_t size = colossus__frame__get_packed_size(f);
	uint8_t *p;

	if (size == 0 || size > max)
		return err_set(e, "frame of %zu bytes exceeds the limit of %u",
			       size, max);
	p = xmalloc(RPC_FRAME_HEADER + size);
	frame_put_header(p, (uint32_t)size);
	colossus__frame__pack(f, p + RPC_FRAME_HEADER);
	*out = p;
	*outlen = RPC_FRAME_HEADER + size;
	return 0;
}

Colossus__Frame *frame_unpack(const uint8_t *body, size_t len)
{
	Colossus__Frame *f = colossus__frame__unpack(NULL, len, body);

	if (!f)
		return NULL;
	if (f->kind_case != COLOSSUS__FRAME__KIND_REQUEST &&
	    f->kind_case != COLOSSUS__FRAME__KIND_RESPONSE) {
		colossus__frame__free_unpacked(f, NULL);
		return NULL;
	}
	if ((f->kind_case == COLOSSUS__FRAME__KIND_REQUEST && !f->request) ||
	    (f->kind_case == COLOSSUS__FRAME__KIND_RESPONSE && !f->response)) {
		colossus__frame__free_unpacked(f, NULL);
		return NULL;
	}
	return f;
}

const char *frame_request_name(const Colossus__Request *req)
{
	const ProtobufCFieldDescriptor *fd;

	if (!req || req->body_case == COLOSSUS__REQUEST__BODY__NOT_SET)
		return "unknown";
	fd = protobuf_c_message_descriptor_get_field(
		&colossus__request__descriptor, (unsigned)req->body_case);
	return fd ? fd->name : "unknown";
}
