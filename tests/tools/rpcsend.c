/*
 * rpcsend: a test-only protocol client that does what well-behaved
 * programs never do, so integration tests can check the controller's
 * answers to hostile or mistaken peers (DESIGN invariants 6 and 7).
 *
 *   rpcsend --addr HOST:PORT --ca CA --cert CERT --key KEY MODE [ARG]
 *
 * Modes:
 *   whoami             a well-formed request (proves the server serves)
 *   register NODE      register claiming to be NODE
 *   heartbeat          a heartbeat before any registration (with an id)
 *   garbage N          a frame of N random bytes
 *   oversize N         a header announcing N bytes, then nothing
 *   empty              a zero-length frame
 *   unknown            a request whose body is a field this server lacks
 *   version            a request with another major protocol version
 *   submit-as USER     submit a job; USER only goes in the job name (the
 *                      server must take the owner from the certificate)
 *
 * Prints one line per response: "status=N error=TEXT [id=...]" and exits
 * 0 once a response arrived (or the server closed), 1 on local errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
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

/* Read frames for up to 10 s; print each response. */
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
				printf("closed\n");
				return 0;
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
				printf("closed\n");
				return 0;
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
		printf("status=%d error=%s id=%llu", (int)f->response->status,
		       f->response->error ? f->response->error : "",
		       (unsigned long long)f->response->id);
		if (f->response->body_case ==
		    COLOSSUS__RESPONSE__BODY_SUBMIT_JOB)
			printf(" job=%llu", (unsigned long long)f->response
							 ->submit_job->job_id);
		if (f->response->body_case == COLOSSUS__RESPONSE__BODY_WHOAMI)
			printf(" name=%s role=%s", f->response->whoami->name,
			       f->response->whoami->role);
		printf("\n");
		fflush(stdout);
		colossus__frame__free_unpacked(f, NULL);
		got++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	struct tlsctx_cfg tc;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	SSL_CTX *ctx;
	SSL *ssl;
	struct err e;
	const char *mode;
	int i, fd;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--addr"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--ca"))
			ca = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
	}
	if (!addr || !ca || !cert || !key || i >= argc) {
		fprintf(stderr, "usage: rpcsend --addr A --ca F --cert F --key F "
				"MODE [ARG]\n");
		return 1;
	}
	mode = argv[i];
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
		printf("handshake failed\n");
		return 0;
	}
	req.id = 7;
	if (!strcmp(mode, "whoami")) {
		Colossus__WhoAmI w = COLOSSUS__WHO_AM_I__INIT;

		req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
		req.whoami = &w;
		send_request(ssl, &req);
	} else if (!strcmp(mode, "register") && i + 1 < argc) {
		Colossus__RegisterNode r = COLOSSUS__REGISTER_NODE__INIT;

		r.node = argv[i + 1];
		req.body_case = COLOSSUS__REQUEST__BODY_REGISTER_NODE;
		req.register_node = &r;
		send_request(ssl, &req);
	} else if (!strcmp(mode, "heartbeat")) {
		Colossus__Heartbeat hb = COLOSSUS__HEARTBEAT__INIT;

		req.body_case = COLOSSUS__REQUEST__BODY_HEARTBEAT;
		req.heartbeat = &hb;
		send_request(ssl, &req);
	} else if (!strcmp(mode, "garbage") && i + 1 < argc) {
		uint32_t n = (uint32_t)atoi(argv[i + 1]);
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
	} else if (!strcmp(mode, "oversize") && i + 1 < argc) {
		uint8_t hdr[4];

		frame_put_header(hdr, (uint32_t)strtoul(argv[i + 1], NULL, 10));
		send_all(ssl, hdr, 4);
	} else if (!strcmp(mode, "empty")) {
		uint8_t hdr[4] = { 0, 0, 0, 0 };

		send_all(ssl, hdr, 4);
	} else if (!strcmp(mode, "unknown")) {
		/*
		 * Frame{request{id=7, version=1.0, field 999: ""}}: a body
		 * from a future protocol minor version this server lacks.
		 */
		static const uint8_t frame[] = { 0,    0,    0,	   11,	 0x0a,
						 9,    0x08, 0x07, 0x10, 0x80,
						 0x80, 0x04, 0xba, 0x3e, 0x00 };

		send_all(ssl, frame, sizeof(frame));
	} else if (!strcmp(mode, "version")) {
		Colossus__WhoAmI w = COLOSSUS__WHO_AM_I__INIT;

		req.version = (RPC_VERSION_MAJOR + 1) << 16;
		req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
		req.whoami = &w;
		send_request(ssl, &req);
	} else if (!strcmp(mode, "submit-as") && i + 1 < argc) {
		Colossus__SubmitJob s = COLOSSUS__SUBMIT_JOB__INIT;
		Colossus__JobSpec spec = COLOSSUS__JOB_SPEC__INIT;
		char *argvv[] = { (char *)"true" };

		spec.name = argv[i + 1];
		spec.n_argv = 1;
		spec.argv = argvv;
		spec.hold = true;
		s.spec = &spec;
		req.body_case = COLOSSUS__REQUEST__BODY_SUBMIT_JOB;
		req.submit_job = &s;
		send_request(ssl, &req);
	} else {
		fprintf(stderr, "rpcsend: unknown mode %s\n", mode);
		return 1;
	}
	return read_responses(ssl, fd, 1);
}
