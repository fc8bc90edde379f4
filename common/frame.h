/*
 * Length-prefixed protobuf framing: a 4-byte big-endian length followed by
 * one packed colossus.Frame.  The length is checked against a maximum
 * before anything is allocated, so a peer cannot make us reserve memory by
 * announcing a huge frame.
 */
#ifndef COMMON_FRAME_H
#define COMMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "common/err.h"
#include "proto/rpc.h"

enum frame_status {
	FRAME_NEED_MORE = 0, /* not a whole frame yet                     */
	FRAME_READY = 1,     /* a whole frame of *len body bytes is there */
	FRAME_TOO_BIG = -1,  /* announced length exceeds the maximum      */
	FRAME_EMPTY = -2,    /* zero length: never valid                  */
};

void frame_put_header(uint8_t hdr[RPC_FRAME_HEADER], uint32_t len);
uint32_t frame_get_header(const uint8_t hdr[RPC_FRAME_HEADER]);
/*
 * Look at avail bytes of buf: is a whole frame there?  *len receives the
 * announced body length whenever the header is complete.
 */
enum frame_status frame_check(const uint8_t *buf, size_t avail, uint32_t max,
			      uint32_t *len);
/* Same, for the head of an evbuffer (does not remove anything). */
enum frame_status frame_check_evbuffer(struct evbuffer *in, uint32_t max,
				       uint32_t *len);
/*
 * Pack f with its header and append to out.  Returns 0, or -1 with e set
 * when the packed size exceeds max.
 */
int frame_write_evbuffer(struct evbuffer *out, const Colossus__Frame *f,
			 uint32_t max, struct err *e) MUSTCHECK;
/*
 * Pack f with its header into a new heap buffer (*out, *outlen) for
 * blocking writers.  Returns 0 or -1 with e set.
 */
int frame_pack(const Colossus__Frame *f, uint32_t max, uint8_t **out,
	       size_t *outlen, struct err *e) MUSTCHECK;
/*
 * Unpack a frame body.  Returns a Frame the caller frees with
 * colossus__frame__free_unpacked(f, NULL), or NULL if the bytes are not a
 * valid Frame or carry neither a request nor a response.
 */
Colossus__Frame *frame_unpack(const uint8_t *body, size_t len);
/* Name of a request body case, for logs ("submit_job"); "unknown" if none. */
const char *frame_request_name(const Colossus__Request *req);

#endif
