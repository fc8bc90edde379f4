/*
 * The shared command context: global options, configuration, connection
 * and error reporting (see cli.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/exitcode.h"
#include "client/names.h"
#include "client/output.h"
#include "common/tlsctx.h"
#include "common/xalloc.h"

enum {
	G_CONFIG = 1,
	G_CONTROLLER,
	G_CERT,
	G_KEY,
	G_CA,
	G_TIMEOUT,
	G_CONNECT_TIMEOUT,
	G_JSON,
	G_NO_HEADER,
	G_VERBOSE,
	G_HELP,
};

const struct opts_def cli_global_defs[] = {
	{ "config", 'c', OPTS_VALUE, G_CONFIG, "FILE",
	  "read only this configuration file" },
	{ "controller", 0, OPTS_VALUE, G_CONTROLLER, "HOST:PORT[,...]",
	  "controllers to try, in order" },
	{ "cert", 0, OPTS_VALUE, G_CERT, "FILE", "your certificate (PEM)" },
	{ "key", 0, OPTS_VALUE, G_KEY, "FILE", "your private key (PEM)" },
	{ "ca", 0, OPTS_VALUE, G_CA, "FILE", "the cluster's CA certificate" },
	{ "timeout", 0, OPTS_VALUE, G_TIMEOUT, "DURATION",
	  "wait this long for an answer (default 30s)" },
	{ "connect-timeout", 0, OPTS_VALUE, G_CONNECT_TIMEOUT, "DURATION",
	  "give up on a controller after this long (default 5s)" },
	{ "json", 0, OPTS_FLAG, G_JSON, NULL, "print JSON (for scripts)" },
	{ "no-header", 0, OPTS_FLAG, G_NO_HEADER, NULL,
	  "print tables without their header line" },
	{ "noheader", 0, OPTS_FLAG, G_NO_HEADER, NULL, NULL },
	{ "verbose", 'v', OPTS_FLAG, G_VERBOSE, NULL,
	  "describe connection attempts on stderr" },
	{ "help", 'h', OPTS_FLAG, G_HELP, NULL, "show help and exit" },
	OPTS_END,
};

void cli_init(struct cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->cmd = "";
	cli->color = output_color_enabled(stdout);
}

void cli_fini(struct cli *cli)
{
	rpcclient_destroy(cli->rpc);
	if (cli->cfg_loaded)
		clientconf_free(&cli->cfg);
	cli->rpc = NULL;
	cli->cfg_loaded = false;
}

int cli_global_apply(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	struct cli *cli = arg;

	switch (id) {
	case G_CONFIG:
		cli->config_file = val;
		break;
	case G_CONTROLLER:
		cli->controller = val;
		break;
	case G_CERT:
		cli->cert = val;
		break;
	case G_KEY:
		cli->key = val;
		break;
	case G_CA:
		cli->ca = val;
		break;
	case G_TIMEOUT:
		cli->timeout = val;
		break;
	case G_CONNECT_TIMEOUT:
		cli->connect_timeout = val;
		break;
	case G_JSON:
		cli->json = true;
		break;
	case G_NO_HEADER:
		cli->no_header = true;
		break;
	case G_VERBOSE:
		cli->verbose = true;
		break;
	case G_HELP:
		cli->help = true;
		break;
	default:
		return err_set(e, "internal: unknown global option %d", id);
	}
	return 0;
}

static void cli_vmsg(const struct cli *cli, const char *kind, const char *fmt,
		     va_list ap) __attribute__((format(printf, 3, 0)));
static void cli_vmsg(const struct cli *cli, const char *kind, const char *fmt,
		     va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "colossus%s%s: %s%s\n", *cli->cmd ? " " : "", cli->cmd,
		kind, msg);
}

void cli_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(cli, "", fmt, ap);
	va_end(ap);
}

void cli_warn(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(cli, "warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(cli, "", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'colossus %s --help' for more information.\n",
		*cli->cmd ? cli->cmd : "");
	return EXITCODE_USAGE;
}

int cli_parse(struct cli *cli, int argc, char **argv,
	      const struct opts_def *defs, opts_fn fn, void *arg,
	      unsigned flags, struct opts_rest *rest)
{
	struct opts_set sets[2];
	size_t n = 0;
	struct err e;

	if (defs)
		sets[n++] = (struct opts_set){ defs, fn, arg };
	sets[n++] = (struct opts_set){ cli_global_defs, cli_global_apply, cli };
	if (opts_parse(argc, argv, sets, n, flags, rest, &e) < 0)
		return cli_usage(cli, "%s", e.msg);
	return EXITCODE_OK;
}

static int cli_load_config(struct cli *cli, struct err *e)
{
	struct clientconf_src src;
	struct clientconf_paths paths;

	if (cli->cfg_loaded)
		return 0;
	clientconf_sources_init(&src, &paths);
	if (cli->config_file) {
		src.explicit_file = cli->config_file;
		src.explicit_what = "--config";
	}
	src.cli_controller = cli->controller;
	src.cli_cert = cli->cert;
	src.cli_key = cli->key;
	src.cli_ca = cli->ca;
	src.cli_timeout = cli->timeout;
	src.cli_connect_timeout = cli->connect_timeout;
	if (clientconf_load(&cli->cfg, &src, e) < 0)
		return err_prefix(e, "configuration");
	cli->cfg_loaded = true;
	return 0;
}

/* Readable TLS files, checked for a message better than OpenSSL's. */
static int cli_check_files(const struct cli *cli, struct err *e)
{
	const struct {
		const char *what, *path;
	} files[] = {
		{ "CA certificate", cli->cfg.ca_file },
		{ "certificate", cli->cfg.cert_file },
		{ "private key", cli->cfg.key_file },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!files[i].path || !*files[i].path)
			return err_set(e, "no %s file configured",
				       files[i].what);
		if (access(files[i].path, R_OK) < 0)
			return err_set(e, "cannot read the %s %s: %s",
				       files[i].what, files[i].path,
				       strerror(errno));
	}
	return 0;
}

static int cli_make_client(struct cli *cli, struct err *e)
{
	struct rpcclient_opts o;

	if (cli->rpc)
		return 0;
	if (cli_check_files(cli, e) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.controllers = cli->cfg.controller;
	o.ca_file = cli->cfg.ca_file;
	o.cert_file = cli->cfg.cert_file;
	o.key_file = cli->cfg.key_file;
	o.connect_timeout_ms = (unsigned)cli->cfg.connect_timeout_sec * 1000;
	o.call_timeout_ms = (unsigned)cli->cfg.timeout_sec * 1000;
	o.verbose = cli->verbose;
	cli->rpc = rpcclient_create(&o, e);
	return cli->rpc ? 0 : -1;
}

int cli_config(struct cli *cli)
{
	struct err e;

	if (cli_load_config(cli, &e) < 0) {
		cli_error(cli, "%s", e.msg);
		return EXITCODE_USAGE;
	}
	return EXITCODE_OK;
}

int cli_connect(struct cli *cli)
{
	struct rpcclient_addr *addrs;
	size_t naddrs;
	struct err e;
	int rc = cli_config(cli);

	if (rc)
		return rc;
	if (rpcclient_parse_addrs(cli->cfg.controller, &addrs, &naddrs, &e) <
	    0) {
		cli_error(cli, "configuration: %s", e.msg);
		return EXITCODE_USAGE;
	}
	free(addrs);
	if (cli_make_client(cli, &e) < 0) {
		cli_error(cli, "%s", e.msg);
		fprintf(stderr,
			"  Set the files with --cert/--key/--ca, COLOSSUS_CERT/"
			"COLOSSUS_KEY/COLOSSUS_CA,\n"
			"  or cert_file/key_file/ca_file in "
			"~/.config/colossus/client.conf.\n");
		return EXITCODE_USAGE;
	}
	return EXITCODE_OK;
}

int cli_connect_quiet(struct cli *cli, struct err *e)
{
	if (cli_load_config(cli, e) < 0 || cli_make_client(cli, e) < 0)
		return -1;
	return 0;
}

int cli_rpc_error(struct cli *cli, const struct err *e)
{
	switch (rpcclient_failure(cli->rpc)) {
	case RPCCLIENT_FAIL_UNREACHABLE:
		cli_error(cli, "cannot reach a controller: %s", e->msg);
		fprintf(stderr,
			"  Check the address (--controller, "
			"COLOSSUS_CONTROLLER "
			"or 'controller =' in client.conf),\n"
			"  that colossus-controller is running there, and for "
			"TLS errors --cert/--key/--ca.\n");
		return EXITCODE_UNAVAILABLE;
	case RPCCLIENT_FAIL_LOST:
		cli_error(cli, "%s", e->msg);
		fprintf(stderr, "  The request may or may not have taken "
				"effect; check before repeating it.\n");
		return EXITCODE_UNAVAILABLE;
	case RPCCLIENT_FAIL_LOCAL:
		cli_error(cli, "%s", e->msg);
		return EXITCODE_USAGE;
	case RPCCLIENT_FAIL_PROTOCOL:
	default:
		cli_error(cli, "%s", e->msg);
		return EXITCODE_ERROR;
	}
}

int cli_status_error(struct cli *cli, const Colossus__Response *resp)
{
	const char *msg = resp->error && *resp->error
				  ? resp->error
				  : names_status(resp->status);

	cli_error(cli, "%s", msg);
	switch (resp->status) {
	case COLOSSUS__STATUS__STATUS_UNAVAILABLE:
	case COLOSSUS__STATUS__STATUS_BUSY:
		fprintf(stderr, "  The controller is busy or not ready; try "
				"again shortly.\n");
		break;
	case COLOSSUS__STATUS__STATUS_NOT_ACTIVE:
		fprintf(stderr, "  No controller in the list is active; list "
				"the active one in --controller.\n");
		break;
	case COLOSSUS__STATUS__STATUS_VERSION:
	case COLOSSUS__STATUS__STATUS_UNSUPPORTED:
		fprintf(stderr,
			"  This colossus is %s (protocol %d.%d); the "
			"controller may need a matching client.\n",
			PACKAGE_VERSION, RPC_VERSION_MAJOR, RPC_VERSION_MINOR);
		break;
	case COLOSSUS__STATUS__STATUS_INTERNAL:
		fprintf(stderr, "  This is a controller bug; its log has the "
				"details.\n");
		break;
	default:
		break;
	}
	return exitcode_from_status(resp->status);
}

int cli_call(struct cli *cli, Colossus__Request *req, int expect,
	     Colossus__Response **resp)
{
	Colossus__Response *r;
	struct err e;
	int rc;

	*resp = NULL;
	rc = cli_connect(cli);
	if (rc)
		return rc;
	r = rpcclient_call(cli->rpc, req, &e);
	if (!r)
		return cli_rpc_error(cli, &e);
	if (r->status != COLOSSUS__STATUS__STATUS_OK) {
		rc = cli_status_error(cli, r);
		rpcclient_response_free(r);
		return rc;
	}
	if ((int)r->body_case != expect) {
		cli_error(cli, "unexpected reply from %s (body %d, wanted %d)",
			  rpcclient_peer(cli->rpc), (int)r->body_case, expect);
		rpcclient_response_free(r);
		return EXITCODE_ERROR;
	}
	*resp = r;
	return EXITCODE_OK;
}

int cli_my_name(struct cli *cli, char *name, size_t len)
{
	struct tls_identity id;
	struct err e;
	int rc = cli_config(cli);

	if (rc)
		return rc;
	if (tlsctx_cert_identity(cli->cfg.cert_file, &id, &e) < 0) {
		cli_error(cli, "--me needs your certificate: %s", e.msg);
		return EXITCODE_USAGE;
	}
	if (util_strlcpy(name, id.name, len) < 0) {
		cli_error(cli, "certificate name too long");
		return EXITCODE_USAGE;
	}
	return EXITCODE_OK;
}
