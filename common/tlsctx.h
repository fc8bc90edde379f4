/*
 * TLS contexts and peer identities.
 *
 * Every connection is mutual TLS 1.3 (1.2 only behind allow_tls12).  A
 * certificate names its holder in the subject CN and its role in the
 * subject OU (see docs/security.md):
 *
 *   OU=node        CN=<node name>    a node agent
 *   OU=user        CN=<user name>    a cluster user (jobs run as this user)
 *   OU=admin       CN=<name>         an administrator
 *   OU=monitor     CN=<name>         read-only access and rack readings
 *   OU=controller  CN=<host>         a controller (servers only)
 *   OU=sim         CN=<name>         the cluster simulator (only if allowed)
 *
 * A built SSL_CTX is never modified: reload builds a new one and swaps it.
 */
#ifndef COMMON_TLSCTX_H
#define COMMON_TLSCTX_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "common/err.h"

struct tlsctx_cfg {
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	const char *crl_file; /* NULL or "" = no revocation list */
	bool server;
	bool allow_tls12;
};

enum tls_role {
	TLS_ROLE_NONE = 0,
	TLS_ROLE_NODE,
	TLS_ROLE_USER,
	TLS_ROLE_ADMIN,
	TLS_ROLE_MONITOR,
	TLS_ROLE_CONTROLLER,
	TLS_ROLE_SIM,
};

#define TLS_NAME_MAX 64

struct tls_identity {
	char name[TLS_NAME_MAX];
	enum tls_role role;
};

/*
 * Build a context with our CA, certificate and key (checked to match),
 * peer verification required on both sides, TLS 1.3 minimum.  Returns a
 * new SSL_CTX (the caller SSL_CTX_free()s it) or NULL with e set.
 */
SSL_CTX *tlsctx_build(const struct tlsctx_cfg *cfg, struct err *e);
/*
 * Read the identity of the verified peer of ssl.  Fails (-1, e set) if the
 * peer sent no certificate, verification failed, or CN/OU are missing or
 * malformed.
 */
int tlsctx_peer_identity(SSL *ssl, struct tls_identity *id, struct err *e)
	MUSTCHECK;
/* Identity from a certificate file (the CLI's whoami before connecting). */
int tlsctx_cert_identity(const char *cert_file, struct tls_identity *id,
			 struct err *e) MUSTCHECK;
const char *tlsctx_role_name(enum tls_role role);
enum tls_role tlsctx_role_parse(const char *s);
/* Drain the OpenSSL error queue into one line ("" if empty). */
const char *tlsctx_errors(char *buf, size_t len);

#endif
