/*
 * rpcsend: a test-only protocol client that does what well-behaved
 * programs never do, so integration tests can check the controller's
 * answers to hostile or mistaken peers (DESIGN invariants 6 and 7).
 *
 *   rpcsend --addr HOST:PORT --ca CA --cert CERT --key KEY [--count N]
 *           MODE [ARG...]
 *
 * --count N sends the request N times on one connection, one after the
 * other (each waits for its response), for rate-limit tests.
 * --wait-alert MS waits up to MS milliseconds after the handshake for the
 * server to refuse the certificate, so its TLS alert is read (and
 * printed) before a request races the server's close.
 *
 * Modes:
 *   whoami             a well-formed request (proves the server serves)
 *   register NODE      register claiming to be NODE
 *   register-gpu NODE MODEL  register as NODE with one GPU of MODEL (any
 *                      bytes) in the inventory
 *   heartbeat          a heartbeat before any registration (with an id)
 *   garbage N          a frame of N random bytes
 *   oversize N         a header announcing N bytes, then nothing
 *   empty              a zero-length frame
 *   unknown            a request whose body is a field this server lacks
 *   version            a request with another major protocol version
 *   submit-as USER     submit a job; USER only goes in the job name (the
 *                      server must take the owner from the certificate)
 *   submit             submit a held one-node job
 *   cancel ID...       cancel these jobs (results: job:status,...)
 *   hold ID...         hold these jobs (results: job:status,...)
 *   release ID...      release these held jobs (results as for hold)
 *   call METHOD        a request whose body is METHOD's message (the
 *                      proto field name, as in docs/security.md), empty:
 *                      enough to test who may call what
 *   truncated N M      announce a frame of N bytes, send only M, close
 *   submit-batch NAME...  one held job per NAME (any bytes), all frames
 *                      in one write, so the controller reads them in one
 *                      loop iteration and group-commits them together
 *
 * Prints one line per response: "status=N error=TEXT id=ID body=NAME
 * [job=...] [name=... role=...] [results=...]", "handshake failed" or
 * "closed", and exits 0 once a response arrived (or the server closed),
 * 1 on local errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/frame.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"
#include "proto/rpc.h"

static int tcp_connect(const char *addr)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sa;
	int fd;

	if (!colon || colon - addr >= (int)sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int send_all(SSL *ssl, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		int n = SSL_write(ssl, p, (int)len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(SSL *ssl, Colossus__Request *req)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	uint8_t *buf;
	size_t len;
	struct err e;
	int rc;

	if (!req->version)
		req->version = RPC_VERSION;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = req;
	if (frame_pack(&f, RPC_MAX_FRAME_LIMIT, &buf, &len, &e) < 0)
		return -1;
	rc = send_all(ssl, buf, len);
	free(buf);
	return rc;
}

/*
 * The server hung up: print "closed", with the TLS alert or error that
 * came with it ("...alert certificate revoked") so tests can tell why.
 */
static void rpcsend_closed(SSL *ssl, int rc)
{
	char errs[512];

	(void)SSL_get_error(ssl, rc);
	tlsctx_errors(errs, sizeof(errs));
	printf("closed%s%s\n", errs[0] ? ": " : "", errs);
	fflush(stdout);
}

static const char *rpcsend_body_name(const Colossus__Response *resp)
{
	const ProtobufCFieldDescriptor *fd;

	if (resp->body_case == COLOSSUS__RESPONSE__BODY__NOT_SET)
		return "none";
	fd = protobuf_c_message_descriptor_get_field(
		&colossus__response__descriptor, (unsigned)resp->body_case);
	return fd ? fd->name : "unknown";
}

/*
 * Set req's body to an empty message of the request field named method.
 * Returns the message (freed by the caller) or NULL if there is no such
 * field.  Generic, so new methods need no new mode here.
 */
static ProtobufCMessage *rpcsend_empty_body(Colossus__Request *req,
					    const char *method)
{
	const ProtobufCFieldDescriptor *fd =
		protobuf_c_message_descriptor_get_field_by_name(
			&colossus__request__descriptor, method);
	const ProtobufCMessageDescriptor *md;
	ProtobufCMessage *m;

	if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE ||
	    !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return NULL;
	md = fd->descriptor;
	m = xcalloc(1, md->sizeof_message);
	protobuf_c_message_init(md, m);
	*(uint32_t *)((char *)req + fd->quantifier_offset) = fd->id;
	*(ProtobufCMessage **)((char *)req + fd->offset) = m;
	return m;
}

/*
 * Read frames for up to 10 s; print each response.  Returns 0 when want
 * responses arrived, 2 when the server closed, 1 on a timeout or a bad
 * frame.
 */
static int read_responses(SSL *ssl, int fd, int want)
{
	uint8_t hdr[4], *body;
	int got = 0;

	while (got < want) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		size_t have = 0;
		uint32_t len;
		Colossus__Frame *f;

		if (!SSL_pending(ssl) && poll(&pfd, 1, 10000) <= 0) {
			printf("timeout\n");
			return 1;
		}
		while (have < 4) {
			int n = SSL_read(ssl, hdr + have, (int)(4 - have));

			if (n <= 0) {
				rpcsend_closed(ssl, n);
				return 2;
			}
			have += (size_t)n;
		}
		len = frame_get_header(hdr);
		if (len == 0 || len > RPC_MAX_FRAME_LIMIT) {
			printf("bad frame from server\n");
			return 1;
		}
		body = xmalloc(len);
		for (have = 0; have < len;) {
			int n = SSL_read(ssl, body + have, (int)(len - have));

			if (n <= 0) {
				free(body);
				rpcsend_closed(ssl, n);
				return 2;
			}
			have += (size_t)n;
		}
		f = frame_unpack(body, len);
		free(body);
		if (!f || f->kind_case != COLOSSUS__FRAME__KIND_RESPONSE) {
			printf("unexpected frame\n");
			if (f)
				colossus__frame__free_unpacked(f, NULL);
			continue;
		}
		printf("status=%d error=%s id=%llu body=%s",
		       (int)f->response->status,
		       f->response->error ? f->response->error : "",
		       (unsigned long long)f->response->id,
		       rpcsend_body_name(f->response));
		if (f->response->body_case ==
		    COLOSSUS__RESPONSE__BODY_SUBMIT_JOB)
			printf(" job=%llu", (unsigned long long)f->response
						    ->submit_job->job_id);
		if (f->response->body_case == COLOSSUS__RESPONSE__BODY_WHOAMI)
			printf(" name=%s role=%s", f->response->whoami->name,
			       f->response->whoami->role);
		if (f->response->body_case ==
		    COLOSSUS__RESPONSE__BODY_CANCEL_JOB) {
			const Colossus__CancelJobReply *c =
				f->response->cancel_job;

			printf(" results=");
			for (size_t k = 0; k < c->n_results; k++)
				printf("%s%llu:%d", k ? "," : "",
				       (unsigned long long)c->results[k]
					       ->job_id,
				       (int)c->results[k]->status);
		}
		if (f->response->body_case ==
		    COLOSSUS__RESPONSE__BODY_HOLD_JOB) {
			const Colossus__HoldJobReply *h = f->response->hold_job;

			printf(" results=");
			for (size_t k = 0; k < h->n_results; k++)
				printf("%s%llu:%d", k ? "," : "",
				       (unsigned long long)h->results[k]
					       ->job_id,
				       (int)h->results[k]->status);
		}
		printf("\n");
		fflush(stdout);
		colossus__frame__free_unpacked(f, NULL);
		got++;
	}
	return 0;
}

/*
 * Modes that send raw bytes rather than one request.  Returns 1 if mode
 * was one of them (and was sent), 0 if not, -1 on a bad argument.
 */
static int rpcsend_raw(SSL *ssl, int fd, const char *mode, int argc,
		       char **argv)
{
	if (!strcmp(mode, "garbage") && argc >= 1) {
		uint32_t n = (uint32_t)atoi(argv[0]);
		uint8_t *buf = xmalloc(n + 4);

		frame_put_header(buf, n);
		srandom(42);
		for (uint32_t k = 0; k < n; k++)
			buf[4 + k] = (uint8_t)(random() & 0xff);
		/* A leading 0xff byte is never a valid field tag. */
		if (n)
			buf[4] = 0xff;
		send_all(ssl, buf, n + 4);
		free(buf);
		return 1;
	}
	if (!strcmp(mode, "oversize") && argc >= 1) {
		uint8_t hdr[4];

		frame_put_header(hdr, (uint32_t)strtoul(argv[0], NULL, 10));
		send_all(ssl, hdr, 4);
		return 1;
	}
	if (!strcmp(mode, "truncated") && argc >= 2) {
		uint32_t n = (uint32_t)strtoul(argv[0], NULL, 10);
		uint32_t m = (uint32_t)strtoul(argv[1], NULL, 10);
		uint8_t *buf;

		if (m >= n)
			return -1;
		buf = xcalloc(1, 4 + m);
		frame_put_header(buf, n);
		/* Field 1 (request), length n - 2: a plausible start. */
		if (m >= 2) {
			buf[4] = 0x0a;
			buf[5] = 0x7f;
		}
		send_all(ssl, buf, 4 + m);
		free(buf);
		/* Hang up mid-frame: the server must just drop it. */
		SSL_shutdown(ssl);
		close(fd);
		printf("sent %u of %u bytes and closed\n", m, n);
		return 2;
	}
	if (!strcmp(mode, "empty")) {
		uint8_t hdr[4] = { 0, 0, 0, 0 };

		send_all(ssl, hdr, 4);
		return 1;
	}
	if (!strcmp(mode, "unknown")) {
		/*
		 * Frame{request{id=7, version=1.0, field 999: ""}}: a body
		 * from a future protocol minor version this server lacks.
		 */
		static const uint8_t frame[] = { 0,    0,    0,	   11,	 0x0a,
						 9,    0x08, 0x07, 0x10, 0x80,
						 0x80, 0x04, 0xba, 0x3e, 0x00 };

		send_all(ssl, frame, sizeof(frame));
		return 1;
	}
	return 0;
}

/* Holds whatever a request points to, so it can be sent repeatedly. */
struct rpcsend_req {
	Colossus__Request req;
	Colossus__WhoAmI whoami;
	Colossus__RegisterNode reg;
	Colossus__NodeInventory inv;
	Colossus__GpuInfo gpu;
	Colossus__GpuInfo *gpus[1];
	Colossus__Heartbeat hb;
	Colossus__SubmitJob submit;
	Colossus__JobSpec spec;
	Colossus__CancelJob cancel;
	Colossus__HoldJob hold;
	char *argvv[1];
	uint64_t *ids;
	ProtobufCMessage *empty;
};

/* Build the request for mode.  Returns 0, or -1 if mode is unknown. */
static int rpcsend_build(struct rpcsend_req *q, const char *mode, int argc,
			 char **argv)
{
	Colossus__Request *req = &q->req;

	colossus__request__init(req);
	req->id = 7;
	if (!strcmp(mode, "whoami") || !strcmp(mode, "version")) {
		colossus__who_am_i__init(&q->whoami);
		req->body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
		req->whoami = &q->whoami;
		if (!strcmp(mode, "version"))
			req->version = (RPC_VERSION_MAJOR + 1) << 16;
	} else if (!strcmp(mode, "register") && argc >= 1) {
		colossus__register_node__init(&q->reg);
		q->reg.node = argv[0];
		req->body_case = COLOSSUS__REQUEST__BODY_REGISTER_NODE;
		req->register_node = &q->reg;
	} else if (!strcmp(mode, "register-gpu") && argc >= 2) {
		colossus__register_node__init(&q->reg);
		colossus__node_inventory__init(&q->inv);
		colossus__gpu_info__init(&q->gpu);
		q->gpu.uuid = (char *)"GPU-00000000-0000-0000-0000-000000000000";
		q->gpu.model = argv[1];
		q->gpus[0] = &q->gpu;
		q->inv.n_gpus = 1;
		q->inv.gpus = q->gpus;
		q->reg.node = argv[0];
		q->reg.inventory = &q->inv;
		req->body_case = COLOSSUS__REQUEST__BODY_REGISTER_NODE;
		req->register_node = &q->reg;
	} else if (!strcmp(mode, "heartbeat")) {
		colossus__heartbeat__init(&q->hb);
		req->body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
		req->heartbeat = &q->hb;
	} else if ((!strcmp(mode, "submit-as") && argc >= 1) ||
		   !strcmp(mode, "submit")) {
		colossus__submit_job__init(&q->submit);
		colossus__job_spec__init(&q->spec);
		q->argvv[0] = (char *)"true";
		q->spec.name = argc >= 1 && !strcmp(mode, "submit-as")
				       ? argv[0]
				       : (char *)"rpcsend";
		q->spec.n_argv = 1;
		q->spec.argv = q->argvv;
		q->spec.hold = true;
		q->submit.spec = &q->spec;
		req->body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
		req->submit_job = &q->submit;
	} else if (!strcmp(mode, "cancel") && argc >= 1) {
		colossus__cancel_job__init(&q->cancel);
		q->ids = xcalloc((size_t)argc, sizeof(*q->ids));
		for (int k = 0; k < argc; k++)
			q->ids[k] = strtoull(argv[k], NULL, 10);
		q->cancel.n_job_ids = (size_t)argc;
		q->cancel.job_ids = q->ids;
		req->body_case = COLOSSUS__REQUEST__BODY_CANCEL_JOB;
		req->cancel_job = &q->cancel;
	} else if ((!strcmp(mode, "hold") || !strcmp(mode, "release")) &&
		   argc >= 1) {
		colossus__hold_job__init(&q->hold);
		q->hold.release = !strcmp(mode, "release");
		q->ids = xcalloc((size_t)argc, sizeof(*q->ids));
		for (int k = 0; k < argc; k++)
			q->ids[k] = strtoull(argv[k], NULL, 10);
		q->hold.n_job_ids = (size_t)argc;
		q->hold.job_ids = q->ids;
		req->body_case = COLOSSUS__REQUEST__BODY_HOLD_JOB;
		req->hold_job = &q->hold;
	} else if (!strcmp(mode, "call") && argc >= 1) {
		q->empty = rpcsend_empty_body(req, argv[0]);
		if (!q->empty)
			return -1;
	} else {
		return -1;
	}
	return 0;
}

/*
 * submit-batch: one held job per name, every frame in one buffer and one
 * write, then read as many responses (in whatever order they come).
 */
static int rpcsend_submit_batch(SSL *ssl, int fd, int n, char **names)
{
	uint8_t *all = NULL;
	size_t used = 0;
	int rc;

	for (int k = 0; k < n; k++) {
		Colossus__Frame f = COLOSSUS__FRAME__INIT;
		Colossus__Request req = COLOSSUS__REQUEST__INIT;
		Colossus__SubmitJob sj = COLOSSUS__SUBMIT_JOB__INIT;
		Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
		char *cmd[1] = { (char *)"true" };
		uint8_t *buf;
		size_t len;
		struct err e;

		spec.name = names[k];
		spec.n_argv = 1;
		spec.argv = cmd;
		spec.hold = true;
		sj.spec = &spec;
		req.id = 100 + (uint64_t)k;
		req.version = RPC_VERSION;
		req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
		req.submit_job = &sj;
		f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
		f.request = &req;
		if (frame_pack(&f, RPC_MAX_FRAME_LIMIT, &buf, &len, &e) < 0) {
			fprintf(stderr, "rpcsend: %s\n", e.msg);
			free(all);
			return 1;
		}
		all = xrealloc(all, used + len);
		memcpy(all + used, buf, len);
		used += len;
		free(buf);
	}
	if (send_all(ssl, all, used) < 0) {
		free(all);
		rpcsend_closed(ssl, -1);
		return 0;
	}
	free(all);
	rc = read_responses(ssl, fd, n);
	return rc == 2 ? 0 : rc;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	struct tlsctx_cfg tc;
	struct rpcsend_req q;
	SSL_CTX *ctx;
	SSL *ssl;
	struct err e;
	const char *mode;
	int i, fd, count = 1, raw, rc = 0, wait_alert_ms = 0;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--addr"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--ca"))
			ca = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--count"))
			count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-alert"))
			wait_alert_ms = atoi(argv[i + 1]);
	}
	if (!addr || !ca || !cert || !key || i >= argc || count < 1) {
		fprintf(stderr,
			"usage: rpcsend --addr A --ca F --cert F --key F "
			"[--count N] [--wait-alert MS] MODE [ARG...]\n");
		return 1;
	}
	mode = argv[i];
	/* A server that hangs up must give "closed", not kill us. */
	signal(SIGPIPE, SIG_IGN);
	memset(&q, 0, sizeof(q));
	if (strcmp(mode, "garbage") && strcmp(mode, "oversize") &&
	    strcmp(mode, "truncated") && strcmp(mode, "empty") &&
	    strcmp(mode, "unknown") && strcmp(mode, "submit-batch") &&
	    rpcsend_build(&q, mode, argc - i - 1, argv + i + 1) < 0) {
		fprintf(stderr,
			"rpcsend: unknown mode or missing argument: "
			"%s\n",
			mode);
		return 1;
	}
	memset(&tc, 0, sizeof(tc));
	tc.ca_file = ca;
	tc.cert_file = cert;
	tc.key_file = key;
	ctx = tlsctx_build(&tc, &e);
	if (!ctx) {
		fprintf(stderr, "rpcsend: %s\n", e.msg);
		return 1;
	}
	fd = tcp_connect(addr);
	if (fd < 0) {
		fprintf(stderr, "rpcsend: cannot connect to %s\n", addr);
		return 1;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		char errs[512];

		printf("handshake failed: %s\n",
		       tlsctx_errors(errs, sizeof(errs)));
		goto out;
	}
	if (wait_alert_ms > 0) {
		/* TLS 1.3: the server judges our certificate after we think
		 * the handshake is done; its verdict may be on its way. */
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint8_t b;
		int n;

		if (poll(&pfd, 1, wait_alert_ms) > 0 &&
		    (n = SSL_peek(ssl, &b, 1)) <= 0) {
			rpcsend_closed(ssl, n);
			goto out;
		}
	}
	if (!strcmp(mode, "submit-batch")) {
		rc = rpcsend_submit_batch(ssl, fd, argc - i - 1, argv + i + 1);
		goto out;
	}
	raw = rpcsend_raw(ssl, fd, mode, argc - i - 1, argv + i + 1);
	if (raw < 0) {
		fprintf(stderr, "rpcsend: bad arguments for %s\n", mode);
		rc = 1;
		goto out;
	}
	if (raw == 2) {
		fd = -1; /* closed already */
		goto out;
	}
	if (raw == 1) {
		rc = read_responses(ssl, fd, 1) == 1;
		goto out;
	}
	for (int k = 0; k < count && rc == 0; k++) {
		if (send_request(ssl, &q.req) < 0) {
			rpcsend_closed(ssl, -1);
			break;
		}
		rc = read_responses(ssl, fd, 1);
	}
	if (rc == 2)
		rc = 0;
out:
	free(q.ids);
	free(q.empty);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}
