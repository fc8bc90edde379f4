/*
 * rendezvous: a stand-in for torch.distributed's env:// rendezvous, run
 * as every rank of a test job.  It reads the variables the node agent
 * gives each rank and connects the ranks to each other the way a real
 * training framework would:
 *
 *   rank 0     listens on MASTER_PORT, accepts WORLD_SIZE-1 peers, reads
 *              "RANK <r>" from each, checks the ranks are distinct and in
 *              1..WORLD_SIZE-1, then answers each "OK <WORLD_SIZE>"
 *   rank r>0   connects to MASTER_ADDR:MASTER_PORT (retrying until rank 0
 *              listens), sends "RANK <r>", expects "OK <WORLD_SIZE>"
 *
 * Exit status 0 only if all went well; 1 on any failure, with the reason
 * on stderr.  Everything is bounded by one deadline (argv[1] seconds,
 * default 30) so a broken launch fails the test instead of hanging it.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RDV_MAX_WORLD 4096

static long rdv_deadline_ms;
static unsigned rdv_rank;

static long rdv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int rdv_left_ms(void)
{
	long left = rdv_deadline_ms - rdv_now_ms();

	return left > 0 ? (int)left : 0;
}

static void rdv_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void rdv_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rendezvous rank %u: ", rdv_rank);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A variable every rank must have, as an unsigned number. */
static unsigned rdv_env_uint(const char *name, unsigned max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		rdv_fail("%s is not set", name);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		rdv_fail("%s=%s is not a number up to %u", name, v, max);
	return (unsigned)n;
}

/* Wait until fd is ready for events, within the deadline. */
static void rdv_wait(int fd, short events, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int rc = poll(&p, 1, rdv_left_ms());

		if (rc > 0)
			return;
		if (rc == 0)
			rdv_fail("timed out %s", what);
		if (errno != EINTR)
			rdv_fail("poll: %s", strerror(errno));
	}
}

/* Read one '\n'-terminated line (without it) within the deadline. */
static void rdv_read_line(int fd, char *buf, size_t len, const char *what)
{
	size_t used = 0;

	while (used + 1 < len) {
		ssize_t n;

		rdv_wait(fd, POLLIN, what);
		n = read(fd, buf + used, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rdv_fail("%s: connection closed", what);
		if (buf[used] == '\n') {
			buf[used] = '\0';
			return;
		}
		used++;
	}
	rdv_fail("%s: line too long", what);
}

static void rdv_write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rdv_fail("write: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

static int rdv_master(unsigned world, unsigned port)
{
	struct sockaddr_in6 sa;
	int *peers = calloc(world, sizeof(int));
	bool *seen = calloc(world, sizeof(bool));
	int lfd, one = 1, zero = 0;
	char line[64];

	if (!peers || !seen)
		rdv_fail("out of memory");
	/* Any address, v4 and v6, as torch's TCPStore does. */
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		rdv_fail("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_any;
	sa.sin6_port = htons((uint16_t)port);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rdv_fail("bind port %u: %s", port, strerror(errno));
	if (listen(lfd, (int)world) < 0)
		rdv_fail("listen: %s", strerror(errno));
	for (unsigned got = 1; got < world; got++) {
		char *end;
		unsigned long r;
		int fd;

		rdv_wait(lfd, POLLIN, "waiting for peers");
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			rdv_fail("accept: %s", strerror(errno));
		rdv_read_line(fd, line, sizeof(line), "reading a peer's rank");
		if (strncmp(line, "RANK ", 5))
			rdv_fail("peer sent '%s', not RANK <r>", line);
		r = strtoul(line + 5, &end, 10);
		if (*end || r == 0 || r >= world)
			rdv_fail("peer claims rank '%s' of %u", line + 5,
				 world);
		if (seen[r])
			rdv_fail("rank %lu connected twice", r);
		seen[r] = true;
		peers[r] = fd;
	}
	snprintf(line, sizeof(line), "OK %u\n", world);
	for (unsigned r = 1; r < world; r++) {
		rdv_write_all(peers[r], line);
		close(peers[r]);
	}
	close(lfd);
	printf("rendezvous rank 0: saw %u distinct peers of world %u\n",
	       world - 1, world);
	free(peers);
	free(seen);
	return 0;
}

/* Connect to addr:port, retrying until rank 0 listens or time is up. */
static int rdv_connect(const char *addr, unsigned port)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(addr, service, &hints, &res);
	if (rc != 0)
		rdv_fail("MASTER_ADDR %s: %s", addr, gai_strerror(rc));
	for (;;) {
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			int fd = socket(ai->ai_family,
					ai->ai_socktype | SOCK_CLOEXEC,
					ai->ai_protocol);

			if (fd < 0)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
				freeaddrinfo(res);
				return fd;
			}
			close(fd);
		}
		if (rdv_left_ms() == 0)
			rdv_fail("cannot connect to %s:%u: %s", addr, port,
				 strerror(errno));
		{
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

static int rdv_peer(unsigned rank, unsigned world, const char *addr,
		    unsigned port)
{
	int fd = rdv_connect(addr, port);
	char line[64], want[64];

	snprintf(line, sizeof(line), "RANK %u\n", rank);
	rdv_write_all(fd, line);
	rdv_read_line(fd, line, sizeof(line), "waiting for rank 0's answer");
	snprintf(want, sizeof(want), "OK %u", world);
	if (strcmp(line, want))
		rdv_fail("rank 0 answered '%s', expected '%s'", line, want);
	close(fd);
	printf("rendezvous rank %u: rank 0 at %s:%u answered for world %u\n",
	       rank, addr, port, world);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned world, rank, port;
	const char *addr;
	long timeout_s = argc > 1 ? strtol(argv[1], NULL, 10) : 30;

	if (timeout_s <= 0)
		timeout_s = 30;
	rdv_deadline_ms = rdv_now_ms() + timeout_s * 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	world = rdv_env_uint("WORLD_SIZE", RDV_MAX_WORLD);
	rank = rdv_rank = rdv_env_uint("RANK", RDV_MAX_WORLD);
	port = rdv_env_uint("MASTER_PORT", 65535);
	addr = getenv("MASTER_ADDR");
	if (!addr || !*addr)
		rdv_fail("MASTER_ADDR is not set");
	if (world == 0 || rank >= world)
		rdv_fail("RANK %u is not below WORLD_SIZE %u", rank, world);
	if (port == 0)
		rdv_fail("MASTER_PORT is 0");
	if (world == 1)
		return 0;
	return rank == 0 ? rdv_master(world, port)
			 : rdv_peer(rank, world, addr, port);
}
