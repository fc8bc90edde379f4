/*
 * Fuzz target: frame decoding (common/frame.c) as rpcconn uses it on
 * every byte a peer sends (DESIGN invariant 7).  The input is a byte
 * stream: frames are cut from it with frame_check and frame_check_evbuffer
 * (which must agree), each body is unpacked with frame_unpack, and every
 * frame that decodes must re-encode to bytes that decode to the same
 * encoding again (pack(unpack(pack(unpack(x)))) == pack(unpack(x))).
 */
#include "config.h"

#include <event2/buffer.h>

#include "common/frame.h"
#include "common/xalloc.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_proto.h"

/* Small, so that the fuzzer also reaches FRAME_TOO_BIG cheaply. */
#define FUZZ_MAX_FRAME (64u * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fuzz_roundtrip(const Colossus__Frame *f)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	Colossus__Frame *g;
	struct err e;

	if (f->kind_case == COLOSSUS__FRAME__KIND_REQUEST)
		(void)frame_request_name(f->request);
	if (frame_pack(f, RPC_MAX_FRAME_LIMIT, &a, &alen, &e) < 0)
		return; /* an empty Frame packs to 0 bytes: refused, fine */
	FUZZ_CHECK(frame_get_header(a) == alen - RPC_FRAME_HEADER,
		   "header %u for %zu bytes", frame_get_header(a), alen);
	g = frame_unpack(a + RPC_FRAME_HEADER, alen - RPC_FRAME_HEADER);
	if (!g) {
		FUZZ_CHECK(fuzz_has_tag0(&f->base),
			   "a packed frame of %zu bytes does not unpack", alen);
		free(a);
		return;
	}
	FUZZ_CHECK(g->kind_case == f->kind_case, "kind %d became %d",
		   (int)f->kind_case, (int)g->kind_case);
	FUZZ_CHECK(frame_pack(g, RPC_MAX_FRAME_LIMIT, &b, &blen, &e) == 0,
		   "repack failed: %s", e.msg);
	FUZZ_CHECK(alen == blen && !memcmp(a, b, alen),
		   "re-encoding differs (%zu vs %zu bytes)", alen, blen);
	colossus__frame__free_unpacked(g, NULL);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in = evbuffer_new();
	size_t off = 0;

	evbuffer_add(in, data, size);
	for (;;) {
		uint32_t len = 0, elen = 0;
		enum frame_status st = frame_check(data + off, size - off,
						   FUZZ_MAX_FRAME, &len);
		enum frame_status est =
			frame_check_evbuffer(in, FUZZ_MAX_FRAME, &elen);
		Colossus__Frame *f;

		FUZZ_CHECK(st == est, "frame_check %d, evbuffer %d", (int)st,
			   (int)est);
		if (st != FRAME_READY)
			break;
		FUZZ_CHECK(len == elen && len > 0 && len <= FUZZ_MAX_FRAME &&
				   len <= size - off - RPC_FRAME_HEADER,
			   "length %u/%u at %zu of %zu", len, elen, off, size);
		f = frame_unpack(data + off + RPC_FRAME_HEADER, len);
		if (f) {
			FUZZ_CHECK(
				(f->kind_case ==
					 COLOSSUS__FRAME__KIND_REQUEST &&
				 f->request) ||
					(f->kind_case ==
						 COLOSSUS__FRAME__KIND_RESPONSE &&
					 f->response),
				"frame_unpack returned kind %d",
				(int)f->kind_case);
			fuzz_roundtrip(f);
			colossus__frame__free_unpacked(f, NULL);
		}
		off += RPC_FRAME_HEADER + len;
		evbuffer_drain(in, RPC_FRAME_HEADER + len);
	}
	evbuffer_free(in);
	return 0;
}
