/*
 * Unit tests for the CLI's configuration (client/clientconf.c): the
 * precedence of defaults, system file, user file, COLOSSUS_CONFIG or -c,
 * environment and command line; unknown keys naming file and line; and
 * the controller list syntax (client/rpcclient.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/clientconf.h"
#include "client/rpcclient.h"
#include "tests/lib/tap.h"

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	return p;
}

static void test_defaults(void)
{
	struct clientconf_src src;
	struct client_config c;
	struct err e;

	memset(&src, 0, sizeof(src));
	ok(clientconf_load(&c, &src, &e) == 0, "defaults alone load");
	is_str(c.controller, "localhost:6817", "default controller");
	is_int(c.connect_timeout_sec, 5, "default connect timeout 5 s");
	is_int(c.timeout_sec, 30, "default call timeout 30 s");
	is_str(c.ca_file, SYSCONFDIR "/colossus/ca.pem",
	       "default CA under sysconfdir");
	clientconf_free(&c);

	src.user_dir = "/home/u/.config/colossus";
	ok(clientconf_load(&c, &src, &e) == 0, "with a user dir");
	is_str(c.cert_file, "/home/u/.config/colossus/cert.pem",
	       "certificate defaults beside client.conf");
	is_str(c.key_file, "/home/u/.config/colossus/key.pem",
	       "so does the key");
	clientconf_free(&c);
}

static void test_precedence(void)
{
	struct clientconf_src src;
	struct client_config c;
	struct err e;

	memset(&src, 0, sizeof(src));
	src.system_file = write_file("system.conf",
				     "# site\ncontroller = sys:1\n"
				     "ca_file = /etc/ca.pem\ntimeout = 60s\n");
	src.user_file = write_file("user.conf", "controller = user:2\n"
						"cert_file = /u/cert.pem\n");
	ok(clientconf_load(&c, &src, &e) == 0, "both files load: %s", e.msg);
	is_str(c.controller, "user:2", "the user file beats the system file");
	is_str(c.ca_file, "/etc/ca.pem", "the system file beats the default");
	is_int(c.timeout_sec, 60, "durations parse");
	is_str(c.cert_file, "/u/cert.pem", "user cert");
	clientconf_free(&c);

	src.env_controller = "env:3";
	src.env_ca = "/env/ca.pem";
	ok(clientconf_load(&c, &src, &e) == 0, "with the environment");
	is_str(c.controller, "env:3", "COLOSSUS_CONTROLLER beats the files");
	is_str(c.ca_file, "/env/ca.pem", "COLOSSUS_CA too");
	clientconf_free(&c);

	src.cli_controller = "cli:4";
	src.cli_cert = "/cli/cert.pem";
	src.cli_timeout = "2m";
	src.cli_connect_timeout = "3";
	ok(clientconf_load(&c, &src, &e) == 0, "with the command line");
	is_str(c.controller, "cli:4", "--controller beats everything");
	is_str(c.cert_file, "/cli/cert.pem", "--cert too");
	is_int(c.timeout_sec, 120, "--timeout 2m");
	is_int(c.connect_timeout_sec, 3, "--connect-timeout 3 (seconds)");
	is_str(c.ca_file, "/env/ca.pem", "unset options keep lower layers");
	clientconf_free(&c);

	src.explicit_file = write_file("only.conf", "key_file = /only/key\n");
	src.explicit_what = "COLOSSUS_CONFIG";
	src.cli_controller = NULL;
	src.env_controller = NULL;
	ok(clientconf_load(&c, &src, &e) == 0, "an explicit file");
	is_str(c.controller, "localhost:6817",
	       "it replaces both files (their controller is gone)");
	is_str(c.key_file, "/only/key", "its keys apply");
	is_str(c.ca_file, "/env/ca.pem", "the environment still beats it");
	clientconf_free(&c);
}

static void test_errors(void)
{
	struct clientconf_src src;
	struct client_config c;
	struct err e;
	char want[600];

	memset(&src, 0, sizeof(src));
	src.user_file = write_file("bad.conf", "controller = a:1\n\nfoo = 1\n");
	ok(clientconf_load(&c, &src, &e) < 0, "an unknown key fails");
	snprintf(want, sizeof(want), "%s:3: unknown key 'foo'", src.user_file);
	is_str(e.msg, want, "naming file and line");

	src.user_file = write_file("sect.conf", "[client]\ncontroller = a\n");
	ok(clientconf_load(&c, &src, &e) < 0, "sections are not allowed");

	src.user_file = write_file("dur.conf", "timeout = forever\n");
	ok(clientconf_load(&c, &src, &e) < 0, "a bad duration fails");
	ok(strstr(e.msg, "dur.conf:1:") != NULL, "with its line: %s", e.msg);

	memset(&src, 0, sizeof(src));
	src.system_file = "/nonexistent/colossus/client.conf";
	src.user_file = "/nonexistent/.config/colossus/client.conf";
	ok(clientconf_load(&c, &src, &e) == 0, "missing default files are "
					       "skipped");
	clientconf_free(&c);

	src.explicit_file = "/nonexistent/mine.conf";
	src.explicit_what = "--config";
	ok(clientconf_load(&c, &src, &e) < 0, "a missing explicit file fails");
	is_str(e.msg,
	       "--config: /nonexistent/mine.conf: No such file or directory",
	       "saying which option named it");

	memset(&src, 0, sizeof(src));
	src.cli_timeout = "0s";
	ok(clientconf_load(&c, &src, &e) < 0, "--timeout 0s fails");
	is_str(e.msg, "--timeout: 0s is below the minimum 1s",
	       "named as the option");
	src.cli_timeout = NULL;
	src.cli_controller = "";
	ok(clientconf_load(&c, &src, &e) < 0, "an empty controller fails");
}

static void test_expand(void)
{
	char *p;

	setenv("HOME", "/home/zed", 1);
	p = clientconf_expand_path("~/certs/a.pem");
	is_str(p, "/home/zed/certs/a.pem", "~/ is $HOME");
	free(p);
	p = clientconf_expand_path("/abs/~/x");
	is_str(p, "/abs/~/x", "other paths are unchanged");
	free(p);
	p = clientconf_expand_path("~bob/x");
	is_str(p, "~bob/x", "~user is not expanded");
	free(p);
}

static void test_addrs(void)
{
	struct rpcclient_addr *a = NULL;
	size_t n = 0;
	struct err e;

	ok(rpcclient_parse_addrs("ctl1.example:6817, 10.0.0.2:7000,[::1]:8,"
				 "ctl3",
				 &a, &n, &e) == 0,
	   "a controller list parses");
	is_int(n, 4, "four controllers");
	is_str(a[0].host, "ctl1.example", "host name");
	is_str(a[0].port, "6817", "port");
	is_str(a[1].host, "10.0.0.2", "blanks after commas are allowed");
	is_str(a[2].host, "::1", "IPv6 without brackets");
	is_str(a[2].port, "8", "IPv6 port");
	is_str(a[3].port, "6817", "default port");
	free(a);

	ok(rpcclient_parse_addrs("a:0", &a, &n, &e) < 0, "port 0 fails");
	ok(rpcclient_parse_addrs("a:65536", &a, &n, &e) < 0,
	   "port 65536 fails");
	ok(rpcclient_parse_addrs("a:x", &a, &n, &e) < 0, "port x fails");
	ok(rpcclient_parse_addrs("a:", &a, &n, &e) < 0, "empty port fails");
	ok(rpcclient_parse_addrs("a,,b", &a, &n, &e) < 0, "empty item fails");
	ok(rpcclient_parse_addrs("", &a, &n, &e) < 0, "empty list fails");
	ok(rpcclient_parse_addrs("::1:5", &a, &n, &e) < 0,
	   "IPv6 needs brackets");
	ok(rpcclient_parse_addrs("[::1", &a, &n, &e) < 0, "unclosed '[' fails");
	ok(rpcclient_parse_addrs("[::1]x", &a, &n, &e) < 0,
	   "junk after ']' fails");
	ok(rpcclient_parse_addrs("a b:1", &a, &n, &e) < 0, "blanks in a host");
	ok(strstr(e.msg, "controller list: ") == e.msg, "message: %s", e.msg);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_clientconf.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_defaults();
	test_precedence();
	test_errors();
	test_expand();
	test_addrs();
	unlink(write_file("x", ""));
	{
		const char *names[] = {
			"system.conf", "user.conf", "only.conf",
			"bad.conf",    "sect.conf", "dur.conf"
		};
		char p[512];

		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
	}
	rmdir(dir);
	return done_testing();
}
