/*
 * OpenSSL context construction and certificate identity extraction.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tlsctx.h"
#include "common/util.h"

static const char *const tls_role_names[] = {
	[TLS_ROLE_NONE] = "none",	[TLS_ROLE_NODE] = "node",
	[TLS_ROLE_USER] = "user",	[TLS_ROLE_ADMIN] = "admin",
	[TLS_ROLE_MONITOR] = "monitor", [TLS_ROLE_CONTROLLER] = "controller",
	[TLS_ROLE_SIM] = "sim",
};

const char *tlsctx_role_name(enum tls_role role)
{
	if ((size_t)role < ARRAY_SIZE(tls_role_names))
		return tls_role_names[role];
	return "none";
}

enum tls_role tlsctx_role_parse(const char *s)
{
	for (size_t i = 1; i < ARRAY_SIZE(tls_role_names); i++)
		if (!strcmp(s, tls_role_names[i]))
			return (enum tls_role)i;
	return TLS_ROLE_NONE;
}

const char *tlsctx_errors(char *buf, size_t len)
{
	unsigned long code;
	size_t used = 0;

	buf[0] = '\0';
	while ((code = ERR_get_error()) != 0) {
		char one[256];

		ERR_error_string_n(code, one, sizeof(one));
		if (used + strlen(one) + 3 < len) {
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? "; " : "", one);
		}
	}
	return buf;
}

static int tlsctx_load_crl(SSL_CTX *ctx, const char *path, struct err *e)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
	char ebuf[512];

	if (!lookup || X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) <= 0)
		return err_set(e, "cannot load CRL %s: %s", path,
			       tlsctx_errors(ebuf, sizeof(ebuf)));
	X509_STORE_set_flags(store,
			     X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

SSL_CTX *tlsctx_build(const struct tlsctx_cfg *cfg, struct err *e)
{
	SSL_CTX *ctx;
	char ebuf[512];

	ERR_clear_error();
	ctx = SSL_CTX_new(cfg->server ? TLS_server_method()
				      : TLS_client_method());
	if (!ctx) {
		err_set(e, "SSL_CTX_new: %s",
			tlsctx_errors(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(
		    ctx, cfg->allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION))
		goto ssl_fail;
	if (cfg->allow_tls12 &&
	    !SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20"))
		goto ssl_fail;
	if (!cfg->ca_file || !*cfg->ca_file) {
		err_set(e, "no CA file configured");
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
		err_set(e, "cannot load CA %s: %s", cfg->ca_file,
			tlsctx_errors(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (!cfg->cert_file || !*cfg->cert_file || !cfg->key_file ||
	    !*cfg->key_file) {
		err_set(e, "no certificate or key file configured");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		err_set(e, "cannot load certificate %s: %s", cfg->cert_file,
			tlsctx_errors(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) !=
	    1) {
		err_set(e, "cannot load key %s: %s", cfg->key_file,
			tlsctx_errors(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		err_set(e, "key %s does not match certificate %s",
			cfg->key_file, cfg->cert_file);
		goto fail;
	}
	if (cfg->crl_file && *cfg->crl_file &&
	    tlsctx_load_crl(ctx, cfg->crl_file, e) < 0)
		goto fail;
	SSL_CTX_set_verify(
		ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	/*
	 * Idle connections hold no read/write buffers: with 25,000 agents
	 * this is the difference between megabytes and a gigabyte.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* Peers reconnect with a full handshake; no session cache to bound. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	return ctx;
ssl_fail:
	err_set(e, "TLS setup: %s", tlsctx_errors(ebuf, sizeof(ebuf)));
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int tlsctx_subject_field(X509_NAME *subj, int nid, char *out, size_t len)
{
	int idx = X509_NAME_get_index_by_NID(subj, nid, -1);
	X509_NAME_ENTRY *ent;
	ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	int n;

	if (idx < 0)
		return -1;
	/* A second CN or OU would make the identity ambiguous. */
	if (X509_NAME_get_index_by_NID(subj, nid, idx) >= 0)
		return -1;
	ent = X509_NAME_get_entry(subj, idx);
	data = X509_NAME_ENTRY_get_data(ent);
	n = ASN1_STRING_to_UTF8(&utf8, data);
	if (n <= 0 || (size_t)n >= len || memchr(utf8, '\0', (size_t)n)) {
		OPENSSL_free(utf8);
		return -1;
	}
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	OPENSSL_free(utf8);
	return 0;
}

static int tlsctx_x509_identity(X509 *cert, struct tls_identity *id,
				struct err *e)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	char role[32];

	memset(id, 0, sizeof(*id));
	if (!subj || tlsctx_subject_field(subj, NID_commonName, id->name,
					  sizeof(id->name)) < 0)
		return err_set(e, "certificate has no single valid CN");
	if (!util_valid_name(id->name, TLS_NAME_MAX - 1))
		return err_set(e, "certificate CN is not a valid name");
	if (tlsctx_subject_field(subj, NID_organizationalUnitName, role,
				 sizeof(role)) < 0)
		return err_set(e, "certificate has no single OU (role)");
	id->role = tlsctx_role_parse(role);
	if (id->role == TLS_ROLE_NONE)
		return err_set(e, "certificate OU '%.31s' is not a known role",
			       role);
	return 0;
}

int tlsctx_peer_identity(SSL *ssl, struct tls_identity *id, struct err *e)
{
	X509 *cert;
	long vr = SSL_get_verify_result(ssl);
	int rc;

	if (vr != X509_V_OK)
		return err_set(e, "peer certificate not verified: %s",
			       X509_verify_cert_error_string(vr));
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert)
		return err_set(e, "peer sent no certificate");
	rc = tlsctx_x509_identity(cert, id, e);
	X509_free(cert);
	return rc;
}

int tlsctx_cert_identity(const char *cert_file, struct tls_identity *id,
			 struct err *e)
{
	FILE *f = fopen(cert_file, "r");
	X509 *cert;
	int rc;

	if (!f)
		return err_set(e, "cannot open %s", cert_file);
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert)
		return err_set(e, "%s is not a PEM certificate", cert_file);
	rc = tlsctx_x509_identity(cert, id, e);
	X509_free(cert);
	return rc;
}
