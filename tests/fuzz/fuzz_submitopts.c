/*
 * Fuzz target: `colossus submit` option handling (client/submitopts.c and
 * client/opts.c), the path cmd_submit takes: command-line options, then a
 * batch script's #COLOSSUS directives, the command, and the final checks.
 *
 * Input: if it holds a NUL byte, the bytes before it are command-line
 * words separated by newlines and the bytes after it are the script;
 * otherwise the whole input is the script.  Properties: an accepted spec
 * has an absolute working directory and a command or script, and packs
 * and unpacks as the protobuf the CLI sends.
 */
#include "config.h"

#include "client/submitopts.h"
#include "common/xalloc.h"
#include "tests/fuzz/fuzz.h"

#define FZ_MAX_WORDS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	/* --export NAME reads the environment. */
	setenv("FUZZ_EXPORTED", "value", 1);
	return 0;
}

static void fz_check(const struct submit_opts *so)
{
	const Colossus__JobSpec *s = &so->spec;
	Colossus__JobSpec *back;
	size_t len = colossus__job_spec__get_packed_size(s);
	uint8_t *buf = xmalloc(len ? len : 1);

	FUZZ_CHECK(s->workdir && s->workdir[0] == '/', "workdir '%s'",
		   s->workdir ? s->workdir : "(null)");
	FUZZ_CHECK(s->n_argv > 0 || (s->script && *s->script),
		   "accepted without a command");
	colossus__job_spec__pack(s, buf);
	back = colossus__job_spec__unpack(NULL, len, buf);
	FUZZ_CHECK(back != NULL, "the spec does not decode");
	colossus__job_spec__free_unpacked(back, NULL);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	const char *script = (const char *)data;
	size_t slen = size;
	char *words = NULL, *argv[FZ_MAX_WORDS + 1];
	int argc = 0;
	struct submit_opts so;
	struct opts_rest rest = { NULL, 0, false };
	uint64_t mib;
	struct err e;
	int rc = 0;

	if (nul) {
		words = fuzz_cstr(data, (size_t)(nul - data));
		for (char *p = words; p && argc < FZ_MAX_WORDS;) {
			char *nl = strchr(p, '\n');

			if (nl)
				*nl = '\0';
			argv[argc++] = p;
			p = nl ? nl + 1 : NULL;
		}
		argv[argc] = NULL;
		script = (const char *)nul + 1;
		slen = size - (size_t)(nul - data) - 1;
		/* Each word alone is also a --mem value. */
		(void)submitopts_parse_mem(argv[0], &mib, &e);
	}
	submitopts_init(&so);
	if (argc > 0)
		rc = submitopts_parse_cli(&so, argc, argv, NULL, 0, &rest, &e);
	if (rc == 0 && slen > 0)
		rc = submitopts_load_script(&so, script, slen, "fuzz.sh", NULL,
					    &e);
	if (rc == 0) {
		submitopts_set_command(&so, (int)rest.n, rest.args);
		if (submitopts_finish(&so, "/home/fuzz", &e) == 0)
			fz_check(&so);
	}
	opts_rest_free(&rest); /* empty after a failed parse */
	submitopts_fini(&so);
	free(words);
	return 0;
}
