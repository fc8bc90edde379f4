/*
 * rpcclient: a small blocking protocol client for the CLI, which has no
 * event loop and may wait.  Every wait is bounded by poll() deadlines, so
 * an unreachable or silent controller yields a clear error, never a hang.
 *
 * Connecting: the controllers of a comma-separated list are tried in
 * order ("host:port", "[v6]:port", or "host" for the default port).  For
 * each one: resolve, TCP connect and the TLS 1.3 handshake, all within
 * connect_timeout_ms.  The controller's certificate must chain to our CA,
 * name the host we dialled (DNS name or IP address SAN) and carry
 * OU=controller.  A controller that cannot be reached, or that answers
 * STATUS_NOT_ACTIVE (a standby), makes the client move on to the next;
 * while every controller answers NOT_ACTIVE or UNAVAILABLE (a failover
 * or database outage in progress) it keeps asking, within the timeout.
 *
 * Calls: one request at a time.  The response with the request's id is
 * returned; other frames are skipped.  Responses larger than max_frame
 * are refused before anything is allocated.
 *
 * Resolution uses getaddrinfo(), which is blocking and bounded only by
 * the resolver's own timeouts; numeric addresses never touch DNS.
 *
 * The caller must ignore SIGPIPE: a controller closing the connection
 * must be an error return, not the death of the process.
 */
#ifndef CLIENT_RPCCLIENT_H
#define CLIENT_RPCCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "proto/rpc.h"

struct rpcclient_opts {
	const char *controllers; /* "host:port[,host:port...]" */
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	unsigned connect_timeout_ms; /* per controller; 0 = 5 s */
	unsigned call_timeout_ms;    /* per request; 0 = 30 s */
	uint32_t max_frame;	     /* largest response; 0 = 64 MiB */
	bool verbose;		     /* describe each attempt on stderr */
};

/* Why the last call failed (when rpcclient_call returned NULL). */
enum rpcclient_fail {
	RPCCLIENT_FAIL_NONE = 0,
	/* No controller could be connected to; nothing was sent. */
	RPCCLIENT_FAIL_UNREACHABLE,
	/* Sent, then no answer: connection lost or call timeout.  The
	 * request may or may not have been carried out. */
	RPCCLIENT_FAIL_LOST,
	/* The peer broke the protocol (bad frame, wrong certificate role). */
	RPCCLIENT_FAIL_PROTOCOL,
	/* The request itself could not be encoded (too large). */
	RPCCLIENT_FAIL_LOCAL,
};

struct rpcclient_addr {
	char host[256]; /* without brackets */
	char port[8];
};

struct rpcclient;

/*
 * Check the options and build the TLS context (loading CA, certificate
 * and key).  Nothing connects yet.  Returns NULL with e set when the
 * controller list or the TLS files are wrong: a configuration error.
 */
struct rpcclient *rpcclient_create(const struct rpcclient_opts *opts,
				   struct err *e);
/* Close the connection and free everything.  No-op on NULL. */
void rpcclient_destroy(struct rpcclient *c);

/*
 * Send req (its id and version are set here) and wait for its response,
 * connecting first if needed.  Returns the response, which the caller
 * frees with rpcclient_response_free(), whatever its status; or NULL with
 * e set and rpcclient_failure() saying why.
 */
Colossus__Response *rpcclient_call(struct rpcclient *c, Colossus__Request *req,
				   struct err *e);
enum rpcclient_fail rpcclient_failure(const struct rpcclient *c);
/* "host:port" of the controller that answered last ("" if none). */
const char *rpcclient_peer(const struct rpcclient *c);
void rpcclient_response_free(Colossus__Response *resp);

/*
 * Parse a controller list into a new array (*out, *n; caller frees *out).
 * Returns 0, or -1 with e set (empty item, bad port, unbalanced '[').
 */
int rpcclient_parse_addrs(const char *list, struct rpcclient_addr **out,
			  size_t *n, struct err *e) MUSTCHECK;

#endif
