/*
 * Identities of simulated nodes.
 *
 * Per-node mode (--ca-key): every node gets an EC P-256 key and a
 * certificate made here with the OpenSSL API, signed by the CA, with the
 * fields scripts/colossus-certs gives a node (O=Colossus, OU=node,
 * CN=<node>, clientAuth), and its own client SSL_CTX set up as
 * common/tlsctx.c does for the real agent.  The CA store is shared by
 * every context.  About 0.35 ms and 16 KiB per node: 25,088 identities
 * cost seconds, not the minutes openssl(1) would take.
 *
 * Simulator mode (--sim-cert): one OU=sim certificate for every node,
 * one SSL_CTX built by tlsctx_build(); the controller accepts it only
 * with [limits] allow_simulator = true.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bench/sim/sim.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"

struct simpki {
	SSL_CTX *shared; /* simulator mode */
	X509 *ca;
	EVP_PKEY *ca_key;
	X509_STORE *store;
	uint64_t serial;
};

static int simpki_load(const char *path, X509 **cert, EVP_PKEY **key,
		       struct err *e)
{
	FILE *f = fopen(path, "r");
	char ebuf[256];

	if (!f)
		return err_set(e, "cannot open %s", path);
	if (cert)
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
	else
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if ((cert && !*cert) || (!cert && !*key))
		return err_set(e, "%s: not a PEM %s: %s", path,
			       cert ? "certificate" : "private key",
			       tlsctx_errors(ebuf, sizeof(ebuf)));
	return 0;
}

int simpki_init(struct sim *sim, struct err *e)
{
	struct simpki *p = xcalloc(1, sizeof(*p));

	sim->pki = p;
	if (sim->opt.sim_cert) {
		struct tlsctx_cfg tc;
		struct tls_identity id;

		if (tlsctx_cert_identity(sim->opt.sim_cert, &id, e) < 0)
			return -1;
		if (id.role != TLS_ROLE_SIM)
			return err_set(e, "%s is a %s certificate, not OU=sim",
				       sim->opt.sim_cert,
				       tlsctx_role_name(id.role));
		memset(&tc, 0, sizeof(tc));
		tc.ca_file = sim->opt.ca_file;
		tc.cert_file = sim->opt.sim_cert;
		tc.key_file = sim->opt.sim_key;
		p->shared = tlsctx_build(&tc, e);
		return p->shared ? 0 : -1;
	}
	if (simpki_load(sim->opt.ca_file, &p->ca, NULL, e) < 0 ||
	    simpki_load(sim->opt.ca_key, NULL, &p->ca_key, e) < 0)
		return -1;
	if (X509_check_private_key(p->ca, p->ca_key) != 1)
		return err_set(e, "CA key %s does not match %s",
			       sim->opt.ca_key, sim->opt.ca_file);
	p->store = X509_STORE_new();
	if (!p->store || X509_STORE_add_cert(p->store, p->ca) != 1)
		return err_set(e, "cannot build the CA store");
	/* Serial numbers unique across runs and slices of one run. */
	p->serial =
		((uint64_t)time(NULL) << 24) + ((uint64_t)sim->opt.slice << 20);
	return 0;
}

static int simpki_ext(X509 *cert, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, ca, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *simpki_issue(struct simpki *p, const char *name, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *subj;

	if (!x)
		return NULL;
	subj = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), ++p->serial) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC,
					(const unsigned char *)"Colossus", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(subj, "OU", MBSTRING_ASC,
					(const unsigned char *)"node", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
					(const unsigned char *)name, -1, -1,
					0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(p->ca)) ||
	    simpki_ext(x, p->ca, NID_basic_constraints, "CA:FALSE") < 0 ||
	    simpki_ext(x, p->ca, NID_key_usage,
		       "critical,digitalSignature,keyEncipherment") < 0 ||
	    simpki_ext(x, p->ca, NID_ext_key_usage, "clientAuth,serverAuth") <
		    0 ||
	    !X509_sign(x, p->ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A client context like tlsctx_build() makes, from memory. */
static SSL_CTX *simpki_ctx(struct simpki *p, X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set1_cert_store(ctx, p->store);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(
		ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	return ctx;
}

int simpki_node(struct sim *sim, struct sim_node *node, struct err *e)
{
	struct simpki *p = sim->pki;
	EVP_PKEY *key;
	X509 *cert = NULL;
	char ebuf[256];

	if (p->shared) {
		SSL_CTX_up_ref(p->shared);
		node->ag.tls = p->shared;
		return 0;
	}
	key = EVP_EC_gen("P-256");
	if (key)
		cert = simpki_issue(p, node->ag.node, key);
	if (cert)
		node->ag.tls = simpki_ctx(p, cert, key);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (!node->ag.tls)
		return err_set(e, "node %s: cannot make its identity: %s",
			       node->ag.node,
			       tlsctx_errors(ebuf, sizeof(ebuf)));
	return 0;
}

void simpki_fini(struct sim *sim)
{
	struct simpki *p = sim->pki;

	if (!p)
		return;
	SSL_CTX_free(p->shared);
	X509_STORE_free(p->store);
	X509_free(p->ca);
	EVP_PKEY_free(p->ca_key);
	free(p);
	sim->pki = NULL;
}
