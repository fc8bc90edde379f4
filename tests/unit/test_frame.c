/*
 * Unit tests for common/frame.c: the 4-byte big-endian length header,
 * frame_check on partial, complete, empty and oversized buffers (and the
 * same through an evbuffer split across chains), pack/unpack round trips
 * of Requests and Responses with several body types, rejection of
 * oversized frames at pack time, and rejection of bytes that are not a
 * usable Frame.
 *
 * Protects DESIGN invariant 7 (malformed or oversized frames get a clear
 * error): the length is judged before any body is allocated, and
 * frame_unpack never hands out a Frame without a request or response.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/frame.h"
#include "common/xalloc.h"
#include "tests/lib/tap.h"

/* A deterministic generator (xorshift64), independent of libc's rand(). */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_header(void)
{
	uint8_t hdr[RPC_FRAME_HEADER];
	static const uint32_t vals[] = { 0,	     1,		 255,
					 256,	     0x01020304, 0x7fffffff,
					 0x80000000, 0xffffffff };

	frame_put_header(hdr, 0x01020304);
	ok(hdr[0] == 1 && hdr[1] == 2 && hdr[2] == 3 && hdr[3] == 4,
	   "header is big-endian (01 02 03 04)");
	frame_put_header(hdr, 0xa1b2c3d4);
	ok(hdr[0] == 0xa1 && hdr[1] == 0xb2 && hdr[2] == 0xc3 && hdr[3] == 0xd4,
	   "header keeps high bits of every byte");
	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		frame_put_header(hdr, vals[i]);
		is_int(frame_get_header(hdr), vals[i],
		       "header round trip of %u", (unsigned)vals[i]);
	}
	{
		const uint8_t raw[4] = { 0x00, 0x00, 0x01, 0x00 };

		is_int(frame_get_header(raw), 256,
		       "00 00 01 00 decodes as 256");
	}
}

static void test_check(void)
{
	uint8_t buf[64];
	uint32_t len;

	memset(buf, 0xee, sizeof(buf));
	for (size_t avail = 0; avail < RPC_FRAME_HEADER; avail++) {
		len = 12345;
		is_int(frame_check(buf, avail, 100, &len), FRAME_NEED_MORE,
		       "%zu bytes: header incomplete -> need more", avail);
	}

	frame_put_header(buf, 10);
	len = 0;
	is_int(frame_check(buf, 4, 100, &len), FRAME_NEED_MORE,
	       "header only, body of 10 missing -> need more");
	is_int(len, 10, "len is reported as soon as the header is complete");
	is_int(frame_check(buf, 13, 100, &len), FRAME_NEED_MORE,
	       "9 of 10 body bytes -> need more");
	is_int(frame_check(buf, 14, 100, &len), FRAME_READY,
	       "10 of 10 body bytes -> ready");
	is_int(len, 10, "ready frame reports its body length");
	is_int(frame_check(buf, 40, 100, &len), FRAME_READY,
	       "more bytes than one frame -> ready (the next one follows)");
	is_int(frame_check(buf, 14, 10, &len), FRAME_READY,
	       "length exactly at max is accepted");
	is_int(frame_check(buf, 14, 9, &len), FRAME_TOO_BIG,
	       "length one above max is too big");
	is_int(frame_check(buf, 4, 9, &len), FRAME_TOO_BIG,
	       "too big is known from the header alone");

	frame_put_header(buf, 0);
	len = 77;
	is_int(frame_check(buf, 4, 100, &len), FRAME_EMPTY,
	       "zero length -> empty");
	is_int(len, 0, "empty frame reports len 0");
	is_int(frame_check(buf, 20, 100, &len), FRAME_EMPTY,
	       "zero length is empty even with bytes after it");

	frame_put_header(buf, 0xffffffff);
	is_int(frame_check(buf, 4, RPC_MAX_FRAME_LIMIT, &len), FRAME_TOO_BIG,
	       "4 GiB announced length -> too big");
	is_int(len, 0xffffffff, "too big reports the announced length");
	frame_put_header(buf, RPC_MAX_FRAME_DEFAULT + 1);
	is_int(frame_check(buf, 4, RPC_MAX_FRAME_DEFAULT, &len), FRAME_TOO_BIG,
	       "default max + 1 -> too big");
}

static void test_check_evbuffer(void)
{
	struct evbuffer *in = evbuffer_new();
	uint8_t hdr[RPC_FRAME_HEADER];
	uint8_t body[300];
	uint32_t len;

	len = 999;
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_NEED_MORE,
	       "evbuffer: empty buffer -> need more");

	/* Header arriving one byte at a time, in separate chains. */
	frame_put_header(hdr, 300);
	for (int i = 0; i < RPC_FRAME_HEADER - 1; i++) {
		evbuffer_add(in, &hdr[i], 1);
		is_int(frame_check_evbuffer(in, 1000, &len), FRAME_NEED_MORE,
		       "evbuffer: %d header bytes -> need more", i + 1);
	}
	evbuffer_add(in, &hdr[RPC_FRAME_HEADER - 1], 1);
	len = 0;
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_NEED_MORE,
	       "evbuffer: split header complete, body missing -> need more");
	is_int(len, 300, "evbuffer: split header decodes to 300");

	memset(body, 'x', sizeof(body));
	evbuffer_add(in, body, 150);
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_NEED_MORE,
	       "evbuffer: half the body -> need more");
	evbuffer_add(in, body, 149);
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_NEED_MORE,
	       "evbuffer: one body byte short -> need more");
	evbuffer_add(in, body, 1);
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_READY,
	       "evbuffer: whole body -> ready");
	is_int(frame_check_evbuffer(in, 300, &len), FRAME_READY,
	       "evbuffer: body exactly at max -> ready");
	is_int(frame_check_evbuffer(in, 299, &len), FRAME_TOO_BIG,
	       "evbuffer: body one above max -> too big");
	is_int(evbuffer_get_length(in), RPC_FRAME_HEADER + 300,
	       "evbuffer: checking removes nothing");
	evbuffer_add(in, hdr, 2);
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_READY,
	       "evbuffer: trailing partial next frame -> first still ready");
	evbuffer_drain(in, evbuffer_get_length(in));

	frame_put_header(hdr, 0);
	evbuffer_add(in, hdr, sizeof(hdr));
	is_int(frame_check_evbuffer(in, 1000, &len), FRAME_EMPTY,
	       "evbuffer: zero length -> empty");
	evbuffer_drain(in, evbuffer_get_length(in));

	/* An oversized announcement is refused before the body arrives. */
	frame_put_header(hdr, 64u * 1024 * 1024);
	evbuffer_add(in, hdr, sizeof(hdr));
	is_int(frame_check_evbuffer(in, RPC_MAX_FRAME_DEFAULT, &len),
	       FRAME_TOO_BIG, "evbuffer: 64 MiB announced -> too big at once");
	is_int(len, 64u * 1024 * 1024, "evbuffer: too big reports the length");
	evbuffer_free(in);
}

/*
 * Take one whole frame off the head of in and unpack it; NULL if there is
 * no whole frame or it does not decode.
 */
static Colossus__Frame *take_frame(struct evbuffer *in, uint32_t max)
{
	uint32_t len = 0;
	uint8_t *p;
	Colossus__Frame *f;

	if (frame_check_evbuffer(in, max, &len) != FRAME_READY)
		return NULL;
	p = evbuffer_pullup(in, (ev_ssize_t)(RPC_FRAME_HEADER + len));
	if (!p)
		return NULL;
	f = frame_unpack(p + RPC_FRAME_HEADER, len);
	evbuffer_drain(in, RPC_FRAME_HEADER + len);
	return f;
}

static void test_round_trip(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct err e = { "" };
	Colossus__Frame f;
	Colossus__Frame *g;
	Colossus__Request req;
	Colossus__Response resp;
	Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
	Colossus__SubmitJob sj = COLOSSUS__SUBMIT_JOB__INIT;
	Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	Colossus__WhoAmI who = COLOSSUS__WHO_AM_I__INIT;
	Colossus__SubmitJobReply sjr = COLOSSUS__SUBMIT_JOB_REPLY__INIT;
	Colossus__WhoAmIReply wr = COLOSSUS__WHO_AM_IREPLY__INIT;
	Colossus__KillJobReply kr = COLOSSUS__KILL_JOB_REPLY__INIT;
	char *argv[3] = { "/usr/bin/python3", "train.py", "--lr=3e-4" };
	char *env[2] = { "A=1", "UTF8=h\xc3\xa9llo \"q\" \\" };
	uint64_t ids[5] = { 7, 8, 9, 1ull << 40, UINT64_MAX };
	int rc = 0;

	/* 1: heartbeat request */
	hb.seq = 123456789012ull;
	hb.running_ranks = 8;
	hb.sent_ms = -5;
	colossus__request__init(&req);
	req.id = 1;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
	req.heartbeat = &hb;
	colossus__frame__init(&f);
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 2: submit_job request with strings of every kind */
	spec.name = "job with spaces";
	spec.nodes = 4;
	spec.gpus_per_node = 8;
	spec.n_argv = 3;
	spec.argv = argv;
	spec.n_env = 2;
	spec.env = env;
	spec.time_limit_sec = 1ull << 33;
	spec.nice = -3;
	sj.spec = &spec;
	sj.submit_key = "key-1";
	colossus__request__init(&req);
	req.id = UINT64_MAX;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
	req.submit_job = &sj;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 3: kill_job notification (id 0) */
	kj.job_id = 42;
	kj.epoch = 3;
	kj.signal = 9;
	kj.reason = "node n0001 lost";
	colossus__request__init(&req);
	req.id = 0;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 4: whoami request with an empty body message */
	colossus__request__init(&req);
	req.id = 5;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
	req.whoami = &who;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 5: submit_job response */
	sjr.job_id = 7;
	sjr.n_array_job_ids = 5;
	sjr.array_job_ids = ids;
	colossus__response__init(&resp);
	resp.id = 2;
	resp.version = RPC_VERSION;
	resp.body_case = COLOSSUS__RESPONSE__BODY_SUBMIT_JOB;
	resp.submit_job = &sjr;
	colossus__frame__init(&f);
	f.kind_case = COLOSSUS__FRAME__KIND_RESPONSE;
	f.response = &resp;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 6: whoami response */
	wr.name = "alice";
	wr.role = "user";
	wr.protocol_version = RPC_VERSION;
	wr.active = 1;
	colossus__response__init(&resp);
	resp.id = 5;
	resp.body_case = COLOSSUS__RESPONSE__BODY_WHOAMI;
	resp.whoami = &wr;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 7: error response without a body */
	colossus__response__init(&resp);
	resp.id = 9;
	resp.status = COLOSSUS__STATUS__STATUS_CONFLICT;
	resp.error = "job 9 already finished";
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	/* 8: kill_job response */
	kr.clean = 1;
	kr.detail = "3 processes killed";
	colossus__response__init(&resp);
	resp.id = 11;
	resp.body_case = COLOSSUS__RESPONSE__BODY_KILL_JOB;
	resp.kill_job = &kr;
	rc |= frame_write_evbuffer(buf, &f, RPC_MAX_FRAME_DEFAULT, &e);

	ok(rc == 0, "eight frames written to one evbuffer");
	if (rc)
		diag("error: %s", e.msg);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_REQUEST && g->request &&
		   g->request->id == 1 && g->request->version == RPC_VERSION &&
		   g->request->body_case == COLOSSUS__REQUEST__BODY_HEARTBEAT &&
		   g->request->heartbeat->seq == 123456789012ull &&
		   g->request->heartbeat->running_ranks == 8 &&
		   g->request->heartbeat->sent_ms == -5,
	   "heartbeat request round trip");
	if (g)
		is_str(frame_request_name(g->request), "heartbeat",
		       "name of a heartbeat request");
	else
		skip(1, "no frame");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_REQUEST &&
		   g->request->id == UINT64_MAX &&
		   g->request->body_case ==
			   COLOSSUS__REQUEST__BODY_SUBMIT_JOB &&
		   g->request->submit_job->spec &&
		   !strcmp(g->request->submit_job->submit_key, "key-1"),
	   "submit_job request round trip (id 2^64-1)");
	if (g && g->request->body_case == COLOSSUS__REQUEST__BODY_SUBMIT_JOB &&
	    g->request->submit_job->spec) {
		const Colossus__JobSpec *s = g->request->submit_job->spec;

		ok(s->n_argv == 3 && !strcmp(s->argv[0], argv[0]) &&
			   !strcmp(s->argv[2], "--lr=3e-4"),
		   "argv survives");
		ok(s->n_env == 2 && !strcmp(s->env[1], env[1]),
		   "UTF-8, quotes and backslashes survive");
		ok(s->nodes == 4 && s->gpus_per_node == 8 &&
			   s->time_limit_sec == (1ull << 33) && s->nice == -3,
		   "numeric fields survive");
		is_str(s->name, "job with spaces", "job name survives");
		is_str(frame_request_name(g->request), "submit_job",
		       "name of a submit_job request");
	} else {
		skip(5, "no frame");
	}
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_REQUEST &&
		   g->request->id == 0 &&
		   g->request->body_case == COLOSSUS__REQUEST__BODY_KILL_JOB &&
		   g->request->kill_job->job_id == 42 &&
		   g->request->kill_job->epoch == 3 &&
		   g->request->kill_job->signal == 9 &&
		   !strcmp(g->request->kill_job->reason, "node n0001 lost"),
	   "kill_job notification round trip");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_REQUEST &&
		   g->request->id == 5 &&
		   g->request->body_case == COLOSSUS__REQUEST__BODY_WHOAMI &&
		   g->request->whoami,
	   "whoami request with empty body round trip");
	if (g)
		is_str(frame_request_name(g->request), "whoami",
		       "name of a whoami request");
	else
		skip(1, "no frame");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_RESPONSE && g->response &&
		   g->response->id == 2 &&
		   g->response->status == COLOSSUS__STATUS__STATUS_OK &&
		   g->response->body_case ==
			   COLOSSUS__RESPONSE__BODY_SUBMIT_JOB &&
		   g->response->submit_job->job_id == 7 &&
		   g->response->submit_job->n_array_job_ids == 5 &&
		   g->response->submit_job->array_job_ids[3] == (1ull << 40) &&
		   g->response->submit_job->array_job_ids[4] == UINT64_MAX,
	   "submit_job response with repeated ids round trip");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		   g->response->id == 5 &&
		   g->response->body_case == COLOSSUS__RESPONSE__BODY_WHOAMI &&
		   !strcmp(g->response->whoami->name, "alice") &&
		   !strcmp(g->response->whoami->role, "user") &&
		   g->response->whoami->active &&
		   g->response->whoami->protocol_version == RPC_VERSION,
	   "whoami response round trip");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		   g->response->id == 9 &&
		   g->response->status == COLOSSUS__STATUS__STATUS_CONFLICT &&
		   !strcmp(g->response->error, "job 9 already finished") &&
		   g->response->body_case == COLOSSUS__RESPONSE__BODY__NOT_SET,
	   "error response without body round trip");
	colossus__frame__free_unpacked(g, NULL);

	g = take_frame(buf, RPC_MAX_FRAME_DEFAULT);
	ok(g && g->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		   g->response->id == 11 &&
		   g->response->body_case ==
			   COLOSSUS__RESPONSE__BODY_KILL_JOB &&
		   g->response->kill_job->clean &&
		   !strcmp(g->response->kill_job->detail, "3 processes killed"),
	   "kill_job response round trip");
	colossus__frame__free_unpacked(g, NULL);

	is_int(evbuffer_get_length(buf), 0, "every byte was consumed");
	evbuffer_free(buf);
}

/* frame_pack and frame_write_evbuffer agree byte for byte. */
static void test_pack_matches(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct err e = { "" };
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	uint8_t *packed = NULL;
	size_t plen = 0;
	int r1, r2;

	kj.job_id = 77;
	kj.reason = "test";
	req.id = 3;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	r1 = frame_write_evbuffer(buf, &f, 1000, &e);
	r2 = frame_pack(&f, 1000, &packed, &plen, &e);
	ok(r1 == 0 && r2 == 0, "frame_pack and frame_write_evbuffer succeed");
	is_int(plen, evbuffer_get_length(buf), "same length");
	ok(packed && plen == evbuffer_get_length(buf) &&
		   !memcmp(packed, evbuffer_pullup(buf, -1), plen),
	   "same bytes");
	if (packed) {
		Colossus__Frame *g;

		is_int(frame_get_header(packed), plen - RPC_FRAME_HEADER,
		       "frame_pack header holds the body length");
		g = frame_unpack(packed + RPC_FRAME_HEADER,
				 plen - RPC_FRAME_HEADER);
		ok(g && g->request->kill_job->job_id == 77,
		   "frame_pack output unpacks");
		colossus__frame__free_unpacked(g, NULL);
	} else {
		skip(2, "frame_pack failed");
	}
	free(packed);
	evbuffer_free(buf);
}

static void test_oversize(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct err e = { "" };
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
	char *big = xmalloc(5000);
	size_t size;
	uint8_t *out = (uint8_t *)"untouched";
	size_t outlen = 12345;

	memset(big, 'r', 4999);
	big[4999] = '\0';
	kj.reason = big;
	req.id = 1;
	req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
	req.kill_job = &kj;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	size = colossus__frame__get_packed_size(&f);
	ok(size > 5000, "test frame packs to %zu bytes", size);

	err_clear(&e);
	is_int(frame_write_evbuffer(buf, &f, (uint32_t)size - 1, &e), -1,
	       "write: one byte over max is refused");
	ok(e.msg[0] != '\0', "write: refusal has a message (%s)", e.msg);
	is_int(evbuffer_get_length(buf), 0,
	       "write: nothing was appended on refusal");
	err_clear(&e);
	is_int(frame_write_evbuffer(buf, &f, 4096, &e), -1,
	       "write: far over max is refused");
	is_int(frame_write_evbuffer(buf, &f, (uint32_t)size, &e), 0,
	       "write: exactly max is accepted");
	is_int(evbuffer_get_length(buf), RPC_FRAME_HEADER + size,
	       "write: header + body appended");

	err_clear(&e);
	is_int(frame_pack(&f, (uint32_t)size - 1, &out, &outlen, &e), -1,
	       "pack: one byte over max is refused");
	ok(e.msg[0] != '\0', "pack: refusal has a message");
	ok(outlen == 12345 && !strcmp((const char *)out, "untouched"),
	   "pack: outputs untouched on refusal");

	{
		Colossus__Frame empty = COLOSSUS__FRAME__INIT;

		is_int(frame_write_evbuffer(buf, &empty, 1000, &e), -1,
		       "write: a frame that packs to 0 bytes is refused");
		is_int(frame_pack(&empty, 1000, &out, &outlen, &e), -1,
		       "pack: a frame that packs to 0 bytes is refused");
	}
	free(big);
	evbuffer_free(buf);
}

static void test_garbage(void)
{
	uint8_t buf[512];
	Colossus__Frame *g;
	int bad = 0, decoded = 0;

	ok(frame_unpack((const uint8_t *)"", 0) == NULL,
	   "zero bytes: no request or response -> NULL");
	memset(buf, 0xff, 64);
	ok(frame_unpack(buf, 64) == NULL, "0xff bytes -> NULL");
	memset(buf, 0, 64);
	ok(frame_unpack(buf, 64) == NULL, "zero bytes (field 0) -> NULL");

	/* A valid KillJob whose only field (5: reason) Frame does not know. */
	{
		Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
		size_t n;

		kj.reason = "not a frame";
		n = colossus__kill_job__pack(&kj, buf);
		ok(n > 0 && frame_unpack(buf, n) == NULL,
		   "valid protobuf that is not a Frame (unknown field) -> "
		   "NULL");
	}
	/* A valid Heartbeat: field 1 is a varint, Frame's field 1 is a
	 * message, so the wire types disagree. */
	{
		Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;
		size_t n;

		hb.seq = 5;
		hb.running_ranks = 3;
		n = colossus__heartbeat__pack(&hb, buf);
		ok(n > 0 && frame_unpack(buf, n) == NULL,
		   "valid Heartbeat bytes are not a Frame -> NULL");
	}
	/* A hand-built Frame carrying only an unknown field 7 (varint). */
	{
		const uint8_t only_unknown[] = { 0x38, 0x01 };

		ok(frame_unpack(only_unknown, sizeof(only_unknown)) == NULL,
		   "Frame with neither request nor response -> NULL");
	}
	/* Frame.request = length 2, but only 1 byte follows. */
	{
		const uint8_t trunc[] = { 0x0a, 0x02, 0x08 };

		ok(frame_unpack(trunc, sizeof(trunc)) == NULL,
		   "request length past the end -> NULL");
	}
	/* Frame.request whose contents are an invalid tag. */
	{
		const uint8_t inner[] = { 0x0a, 0x02, 0xff, 0xff };

		ok(frame_unpack(inner, sizeof(inner)) == NULL,
		   "request with garbage inside -> NULL");
	}
	/* A Request with an unknown body field (id=4, field 99 varint): it
	 * decodes, and its name is "unknown" (the handler replies
	 * "unsupported"; the connection stays open). */
	{
		const uint8_t unk[] = {
			0x0a, 0x05, 0x08, 0x04, 0x98, 0x06, 0x01
		};

		g = frame_unpack(unk, sizeof(unk));
		ok(g && g->kind_case == COLOSSUS__FRAME__KIND_REQUEST &&
			   g->request->id == 4 &&
			   g->request->body_case ==
				   COLOSSUS__REQUEST__BODY__NOT_SET,
		   "request with unknown body decodes with no body case");
		is_str(g ? frame_request_name(g->request) : NULL, "unknown",
		       "its name is 'unknown'");
		colossus__frame__free_unpacked(g, NULL);
	}
	/* Every truncation of a valid frame is refused. */
	{
		Colossus__Frame f = COLOSSUS__FRAME__INIT;
		Colossus__Request req = COLOSSUS__REQUEST__INIT;
		Colossus__KillJob kj = COLOSSUS__KILL_JOB__INIT;
		size_t n;
		int accepted = 0;

		kj.job_id = 1234567;
		kj.reason = "truncate me";
		req.id = 99;
		req.body_case = COLOSSUS__REQUEST__BODY_KILL_JOB;
		req.kill_job = &kj;
		f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
		f.request = &req;
		n = colossus__frame__pack(&f, buf);
		for (size_t cut = 1; cut < n; cut++) {
			g = frame_unpack(buf, cut);
			if (g) {
				accepted++;
				diag("prefix of %zu/%zu bytes accepted", cut,
				     n);
				colossus__frame__free_unpacked(g, NULL);
			}
		}
		is_int(accepted, 0,
		       "no proper prefix of a %zu-byte frame "
		       "decodes",
		       n);
		g = frame_unpack(buf, n);
		ok(g != NULL, "the whole frame decodes");
		colossus__frame__free_unpacked(g, NULL);
	}

	/* Random bytes: whatever decodes must carry a request or response. */
	for (int i = 0; i < 20000; i++) {
		size_t n = 1 + (size_t)(rng() % sizeof(buf));

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rng();
		g = frame_unpack(buf, n);
		if (!g)
			continue;
		decoded++;
		if (!((g->kind_case == COLOSSUS__FRAME__KIND_REQUEST &&
		       g->request) ||
		      (g->kind_case == COLOSSUS__FRAME__KIND_RESPONSE &&
		       g->response)))
			bad++;
		colossus__frame__free_unpacked(g, NULL);
	}
	is_int(bad, 0,
	       "20000 random buffers: no body-less Frame handed out "
	       "(%d decoded)",
	       decoded);
}

static void test_names(void)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;

	is_str(frame_request_name(NULL), "unknown", "NULL request -> unknown");
	is_str(frame_request_name(&req), "unknown", "no body -> unknown");
	req.body_case = COLOSSUS__REQUEST__BODY_REGISTER_NODE;
	is_str(frame_request_name(&req), "register_node", "register_node");
	req.body_case = COLOSSUS__REQUEST__BODY_RANK_EXITS;
	is_str(frame_request_name(&req), "rank_exits", "rank_exits");
	req.body_case = COLOSSUS__REQUEST__BODY_LAUNCH_JOB;
	is_str(frame_request_name(&req), "launch_job", "launch_job");
	req.body_case = COLOSSUS__REQUEST__BODY_CANCEL_JOB;
	is_str(frame_request_name(&req), "cancel_job", "cancel_job");
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_NODES;
	is_str(frame_request_name(&req), "list_nodes", "list_nodes");
	req.body_case = COLOSSUS__REQUEST__BODY_APPLY_TOPOLOGY;
	is_str(frame_request_name(&req), "apply_topology", "apply_topology");
	req.body_case = (Colossus__Request__BodyCase)77;
	is_str(frame_request_name(&req), "unknown",
	       "a body case with no field -> unknown");
}

int main(void)
{
	test_header();
	test_check();
	test_check_evbuffer();
	test_round_trip();
	test_pack_matches();
	test_oversize();
	test_garbage();
	test_names();
	return done_testing();
}
