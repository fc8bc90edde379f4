/*
 * connflood: raw TCP abuse of the controller's listener, for the
 * hostile-peer tests (DESIGN invariant 7: no input may crash, hang or
 * exhaust the controller).  Nothing here speaks our protocol properly.
 *
 *   connflood HOST:PORT flood N [SECONDS]
 *       N connections one after the other, each closed quickly after
 *       sending junk, nothing, half a TLS ClientHello, or a TLS record
 *       header announcing a huge record.  Stops after SECONDS (default
 *       300) even if N were not reached.  Prints "flood: N connections,
 *       F failed".
 *   connflood HOST:PORT slowloris SECONDS
 *       Send a real TLS ClientHello one byte per second for at most
 *       SECONDS.  Prints "closed by server after B bytes" or "still open
 *       after SECONDS s".
 *   connflood HOST:PORT plain
 *       Send a well-formed whoami request frame without TLS.  Prints
 *       "closed" (nothing came back), or "got N bytes".
 *   connflood HOST:PORT hold N SECONDS
 *       Open N connections, send nothing, keep them SECONDS, then close.
 *       Prints "holding N" once they are open.
 *
 * Exit status 0 unless the arguments are wrong or nothing can connect.
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
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "common/frame.h"
#include "common/xalloc.h"
#include "proto/rpc.h"

static struct sockaddr_in flood_sa;

static int flood_parse(const char *addr)
{
	char host[128];
	const char *colon = strrchr(addr, ':');

	if (!colon || colon - addr >= (int)sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(&flood_sa, 0, sizeof(flood_sa));
	flood_sa.sin_family = AF_INET;
	flood_sa.sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &flood_sa.sin_addr) == 1 ? 0 : -1;
}

static int flood_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 5, 0 };

	if (fd < 0)
		return -1;
	/* Bounded: a full accept queue must not hang the test. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&flood_sa, sizeof(flood_sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A real ClientHello, taken from an in-memory TLS client. */
static size_t flood_client_hello(uint8_t *out, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	SSL_set_bio(ssl, rb, wb);
	(void)SSL_connect(ssl); /* wants to read the ServerHello */
	n = BIO_read(wb, out, (int)cap);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return n > 0 ? (size_t)n : 0;
}

static double flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int flood_run(long n, double secs)
{
	uint8_t hello[2048], junk[64];
	size_t hlen = flood_client_hello(hello, sizeof(hello));
	double end = flood_now() + secs;
	long done = 0, failed = 0;

	srandom(8);
	for (long i = 0; i < n && flood_now() < end; i++) {
		int fd = flood_connect();

		if (fd < 0) {
			failed++;
			/* The queue may be full: give the server a moment. */
			usleep(10000);
			continue;
		}
		switch (i % 4) {
		case 0:
			for (size_t k = 0; k < sizeof(junk); k++)
				junk[k] = (uint8_t)random();
			(void)send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
			break;
		case 1:
			break;
		case 2:
			(void)send(fd, hello, hlen / 2, MSG_NOSIGNAL);
			break;
		case 3: {
			/* A handshake record header announcing 16 KiB. */
			static const uint8_t rec[] = { 0x16, 0x03, 0x01, 0x40,
						       0x00, 0x01, 0x00, 0x3f };

			(void)send(fd, rec, sizeof(rec), MSG_NOSIGNAL);
			break;
		}
		}
		if (i % 8 == 7) {
			/* An abortive close (RST) now and then. */
			struct linger lg = { 1, 0 };

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(fd);
		done++;
	}
	printf("flood: %ld connections, %ld failed\n", done, failed);
	return done > 0 ? 0 : 1;
}

/* Has the peer closed (or reset) fd?  Waits up to ms. */
static int flood_closed(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint8_t buf[512];

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	if (pfd.revents & (POLLHUP | POLLERR))
		return 1;
	/* An alert or EOF: either way the handshake will not complete. */
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0 ? 1 : 0;
}

static int flood_slowloris(long secs)
{
	uint8_t hello[2048];
	size_t hlen = flood_client_hello(hello, sizeof(hello));
	int fd = flood_connect();
	double end = flood_now() + (double)secs;
	size_t sent = 0;

	if (fd < 0 || hlen == 0) {
		fprintf(stderr, "connflood: cannot connect\n");
		return 1;
	}
	while (flood_now() < end) {
		/* One byte, then a second of silence (and never the last). */
		if (sent + 1 < hlen) {
			if (send(fd, hello + sent, 1, MSG_NOSIGNAL) != 1) {
				printf("closed by server after %zu bytes\n",
				       sent);
				close(fd);
				return 0;
			}
			sent++;
		}
		if (flood_closed(fd, 1000)) {
			printf("closed by server after %zu bytes\n", sent);
			close(fd);
			return 0;
		}
	}
	printf("still open after %ld s (%zu bytes sent)\n", secs, sent);
	close(fd);
	return 0;
}

static int flood_plain(void)
{
	Colossus__Frame f = COLOSSUS__FRAME__INIT;
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__WhoAmI w = COLOSSUS__WHO_AM_I__INIT;
	uint8_t *buf, in[512];
	size_t len;
	ssize_t got, total = 0;
	struct err e;
	int fd = flood_connect();

	if (fd < 0) {
		fprintf(stderr, "connflood: cannot connect\n");
		return 1;
	}
	req.id = 7;
	req.version = RPC_VERSION;
	req.body_case = COLOSSUS__REQUEST__BODY_WHOAMI;
	req.whoami = &w;
	f.kind_case = COLOSSUS__FRAME__KIND_REQUEST;
	f.request = &req;
	if (frame_pack(&f, RPC_MAX_FRAME_LIMIT, &buf, &len, &e) < 0)
		return 1;
	(void)send(fd, buf, len, MSG_NOSIGNAL);
	free(buf);
	/* SO_RCVTIMEO bounds each read to 5 s. */
	while ((got = recv(fd, in, sizeof(in), 0)) > 0)
		total += got;
	if (total == 0)
		printf("closed\n");
	else
		printf("got %zd bytes\n", total);
	close(fd);
	return 0;
}

static int flood_hold(long n, long secs)
{
	int *fds = xcalloc((size_t)n, sizeof(int));
	long open_n = 0;

	for (long i = 0; i < n; i++) {
		fds[i] = flood_connect();
		if (fds[i] >= 0)
			open_n++;
	}
	printf("holding %ld\n", open_n);
	fflush(stdout);
	sleep((unsigned)secs);
	for (long i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || flood_parse(argv[1]) < 0) {
		fprintf(stderr,
			"usage: connflood HOST:PORT flood N [SECONDS] | "
			"slowloris SECONDS | plain | hold N SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[2], "flood") && argc >= 4)
		return flood_run(atol(argv[3]),
				 argc >= 5 ? atof(argv[4]) : 300);
	if (!strcmp(argv[2], "slowloris") && argc >= 4)
		return flood_slowloris(atol(argv[3]));
	if (!strcmp(argv[2], "plain"))
		return flood_plain();
	if (!strcmp(argv[2], "hold") && argc >= 5)
		return flood_hold(atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "connflood: unknown mode %s\n", argv[2]);
	return 2;
}
