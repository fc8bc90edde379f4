/*
 * The CLI's configuration: where the controllers are and which
 * certificate to use, merged from (later wins):
 *
 *   1. built-in defaults
 *   2. $(sysconfdir)/colossus/client.conf        (site-wide)
 *   3. ~/.config/colossus/client.conf            ($XDG_CONFIG_HOME honoured)
 *      -- or instead of 2 and 3, the one file named by -c/--config or
 *         COLOSSUS_CONFIG (which must then exist)
 *   4. environment: COLOSSUS_CONTROLLER, COLOSSUS_CERT, COLOSSUS_KEY,
 *      COLOSSUS_CA
 *   5. command line: --controller, --cert, --key, --ca, --timeout,
 *      --connect-timeout
 *
 * Files use common/cfg.h's format with top-level keys only; an unknown
 * key is an error naming the file and line.  A missing file 2 or 3 is
 * skipped.  A leading "~/" in a path value means $HOME.  Certificate and
 * key default to cert.pem and key.pem next to the user's client.conf.
 *
 * clientconf_load is pure given its sources; clientconf_sources_init
 * reads the environment to fill them.
 */
#ifndef CLIENT_CLIENTCONF_H
#define CLIENT_CLIENTCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/err.h"
#include "common/util.h"

#define CLIENTCONF_DEFAULT_PORT "6817"

struct client_config {
	char *controller; /* "host:port[,host:port...]" */
	char *ca_file;
	char *cert_file;
	char *key_file;
	uint64_t connect_timeout_sec; /* connect + TLS handshake, each try */
	uint64_t timeout_sec;	      /* one request and its response */
};

extern const struct cfg_opt clientconf_table[];

/* Where configuration comes from; NULL fields are absent. */
struct clientconf_src {
	const char *system_file;
	const char *user_dir; /* ~/.config/colossus */
	const char *user_file;
	const char *explicit_file; /* replaces system_file and user_file */
	const char *explicit_what; /* "--config" or "COLOSSUS_CONFIG" */
	const char *env_controller, *env_cert, *env_key, *env_ca;
	const char *cli_controller, *cli_cert, *cli_key, *cli_ca;
	const char *cli_timeout, *cli_connect_timeout;
};

/*
 * Fill src from the environment and the build's sysconfdir; the strings
 * it points to live in buf (owned by the caller, kept while src is used)
 * or in the environment.  Command-line fields are left NULL.
 */
struct clientconf_paths {
	char system_file[1024];
	char user_dir[1024];
	char user_file[1100];
};
void clientconf_sources_init(struct clientconf_src *src,
			     struct clientconf_paths *buf);

/*
 * Merge every source into *c (which is overwritten).  Returns 0, or -1
 * with e set to a message that names the file and line, the variable or
 * the option at fault; *c is then freed.
 */
int clientconf_load(struct client_config *c, const struct clientconf_src *src,
		    struct err *e) MUSTCHECK;
void clientconf_free(struct client_config *c);
/* "~/x" -> "$HOME/x" (a new heap string; other paths are copied). */
char *clientconf_expand_path(const char *path);

#endif
