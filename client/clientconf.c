/*
 * Client configuration: the table and the merge of files, environment
 * and command line (see clientconf.h for the order).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/clientconf.h"
#include "common/xalloc.h"

#define O(f) offsetof(struct client_config, f)

const struct cfg_opt clientconf_table[] = {
	{ "", "controller", CFG_STR, O(controller),
	  "localhost:" CLIENTCONF_DEFAULT_PORT, 0, 0, 0,
	  "controllers to try in order: host:port[,host:port...]" },
	{ "", "ca_file", CFG_STR, O(ca_file), SYSCONFDIR "/colossus/ca.pem", 0,
	  0, 0, "CA certificate that signed the controller's certificate" },
	{ "", "cert_file", CFG_STR, O(cert_file), "", 0, 0, 0,
	  "your certificate (default: cert.pem beside your client.conf)" },
	{ "", "key_file", CFG_STR, O(key_file), "", 0, 0, 0,
	  "your private key (default: key.pem beside your client.conf)" },
	{ "", "connect_timeout", CFG_DURATION, O(connect_timeout_sec), "5s", 0,
	  1, 300, "give up on one controller after this long (connect + TLS)" },
	{ "", "timeout", CFG_DURATION, O(timeout_sec), "30s", 0, 1, 86400,
	  "give up on a request after this long without its answer" },
	CFG_END,
};

void clientconf_sources_init(struct clientconf_src *src,
			     struct clientconf_paths *buf)
{
	const char *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *cfg = getenv("COLOSSUS_CONFIG");

	memset(src, 0, sizeof(*src));
	snprintf(buf->system_file, sizeof(buf->system_file),
		 "%s/colossus/client.conf", SYSCONFDIR);
	src->system_file = buf->system_file;
	buf->user_dir[0] = '\0';
	/* XDG says a relative XDG_CONFIG_HOME is invalid and to ignore it. */
	if (xdg && xdg[0] == '/')
		snprintf(buf->user_dir, sizeof(buf->user_dir), "%s/colossus",
			 xdg);
	else if (home && *home)
		snprintf(buf->user_dir, sizeof(buf->user_dir),
			 "%s/.config/colossus", home);
	if (buf->user_dir[0]) {
		snprintf(buf->user_file, sizeof(buf->user_file),
			 "%s/client.conf", buf->user_dir);
		src->user_dir = buf->user_dir;
		src->user_file = buf->user_file;
	}
	if (cfg && *cfg) {
		src->explicit_file = cfg;
		src->explicit_what = "COLOSSUS_CONFIG";
	}
#define ENV(field, name)                                                       \
	do {                                                                   \
		const char *v_ = getenv(name);                                 \
		src->field = v_ && *v_ ? v_ : NULL;                            \
	} while (0)
	ENV(env_controller, "COLOSSUS_CONTROLLER");
	ENV(env_cert, "COLOSSUS_CERT");
	ENV(env_key, "COLOSSUS_KEY");
	ENV(env_ca, "COLOSSUS_CA");
#undef ENV
}

/* Load one optional file: a missing file is skipped, nothing else is. */
static int clientconf_file(struct client_config *c, const char *path,
			   bool must_exist, struct err *e)
{
	if (!must_exist && access(path, F_OK) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR))
		return 0;
	return cfg_load_file(clientconf_table, c, path, e);
}

static int clientconf_override(struct client_config *c, const char *key,
			       const char *value, const char *what,
			       struct err *e)
{
	size_t klen = strlen(key);
	char msg[sizeof(e->msg)];

	if (!value)
		return 0;
	if (cfg_set(clientconf_table, c, key, value, e) == 0)
		return 0;
	/* Name the option or variable the user wrote, not the file key. */
	snprintf(msg, sizeof(msg), "%s", e->msg);
	if (!strncmp(msg, key, klen) && !strncmp(msg + klen, ": ", 2))
		return err_set(e, "%s: %s", what, msg + klen + 2);
	return err_set(e, "%s: %s", what, msg);
}

char *clientconf_expand_path(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && path[1] == '/' && home && *home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

static void clientconf_expand(char **field)
{
	char *p = clientconf_expand_path(*field);

	free(*field);
	*field = p;
}

int clientconf_load(struct client_config *c, const struct clientconf_src *src,
		    struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (cfg_defaults(clientconf_table, c, e) < 0)
		goto fail;
	if (src->explicit_file) {
		if (clientconf_file(c, src->explicit_file, true, e) < 0) {
			err_prefix(e, "%s",
				   src->explicit_what ? src->explicit_what
						      : "config");
			goto fail;
		}
	} else {
		if (src->system_file &&
		    clientconf_file(c, src->system_file, false, e) < 0)
			goto fail;
		if (src->user_file &&
		    clientconf_file(c, src->user_file, false, e) < 0)
			goto fail;
	}
	if (clientconf_override(c, "controller", src->env_controller,
				"COLOSSUS_CONTROLLER", e) < 0 ||
	    clientconf_override(c, "cert_file", src->env_cert, "COLOSSUS_CERT",
				e) < 0 ||
	    clientconf_override(c, "key_file", src->env_key, "COLOSSUS_KEY",
				e) < 0 ||
	    clientconf_override(c, "ca_file", src->env_ca, "COLOSSUS_CA", e) <
		    0 ||
	    clientconf_override(c, "controller", src->cli_controller,
				"--controller", e) < 0 ||
	    clientconf_override(c, "cert_file", src->cli_cert, "--cert", e) <
		    0 ||
	    clientconf_override(c, "key_file", src->cli_key, "--key", e) < 0 ||
	    clientconf_override(c, "ca_file", src->cli_ca, "--ca", e) < 0 ||
	    clientconf_override(c, "timeout", src->cli_timeout, "--timeout",
				e) < 0 ||
	    clientconf_override(c, "connect_timeout", src->cli_connect_timeout,
				"--connect-timeout", e) < 0)
		goto fail;
	if (!*c->controller) {
		err_set(e, "no controller configured (give --controller "
			   "HOST:PORT or set COLOSSUS_CONTROLLER)");
		goto fail;
	}
	if (!*c->cert_file && src->user_dir) {
		free(c->cert_file);
		c->cert_file = xasprintf("%s/cert.pem", src->user_dir);
	}
	if (!*c->key_file && src->user_dir) {
		free(c->key_file);
		c->key_file = xasprintf("%s/key.pem", src->user_dir);
	}
	clientconf_expand(&c->ca_file);
	clientconf_expand(&c->cert_file);
	clientconf_expand(&c->key_file);
	return 0;
fail:
	clientconf_free(c);
	return -1;
}

void clientconf_free(struct client_config *c)
{
	cfg_free(clientconf_table, c);
	memset(c, 0, sizeof(*c));
}
