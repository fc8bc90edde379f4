/*
 * Submit options to JobSpec (see submitopts.h).  Checks here are the
 * ones a user should hear about before anything is sent (bad numbers,
 * unknown levels, malformed lists); the controller re-validates
 * everything, since it trusts no client.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/directives.h"
#include "client/submitopts.h"
#include "common/hostlist.h"
#include "common/timeparse.h"
#include "common/xalloc.h"

enum {
	SO_NODES = 1,
	SO_GPUS_PER_NODE,
	SO_GPUS,
	SO_RANKS_PER_NODE,
	SO_RANK_PER_GPU,
	SO_GPU_MODEL,
	SO_WITHIN,
	SO_SEGMENT,
	SO_TIME,
	SO_NAME,
	SO_ACCOUNT,
	SO_QOS,
	SO_CHDIR,
	SO_EXPORT,
	SO_OUTPUT,
	SO_ERROR,
	SO_AFTER,
	SO_AFTEROK,
	SO_DEPENDENCY,
	SO_EXCLUDE,
	SO_CONSTRAINT,
	SO_REQUEUE,
	SO_NO_REQUEUE,
	SO_MAX_RESTARTS,
	SO_HOLD,
	SO_NICE,
	SO_MEM,
	SO_CPUS_PER_NODE,
	SO_PROGRESS_TIMEOUT,
	SO_QUIET,
	SO_RESERVATION,
	SO_ARRAY,
	SO_AFTERNOTOK,
};

/* Largest values worth sending; the controller has the real limits. */
#define SO_MAX_NODES 200000u
#define SO_MAX_GPUS_PER_NODE 16u
#define SO_MAX_RANKS 256u
#define SO_MAX_MEM_MIB (1ull << 30)

const struct opts_def submitopts_defs[] = {
	{ "nodes", 'N', OPTS_VALUE, SO_NODES, "N",
	  "gang size in nodes (default 1)" },
	{ "gpus-per-node", 0, OPTS_VALUE, SO_GPUS_PER_NODE, "N",
	  "GPUs on each node, 1-8 (multi-node jobs take whole nodes)" },
	{ "gpus", 'G', OPTS_VALUE, SO_GPUS, "N",
	  "total GPUs, instead of -N and --gpus-per-node" },
	{ "ranks-per-node", 0, OPTS_VALUE, SO_RANKS_PER_NODE, "N",
	  "ranks (processes) started on each node (default 1)" },
	{ "ntasks-per-node", 0, OPTS_VALUE, SO_RANKS_PER_NODE, "N", NULL },
	{ "rank-per-gpu", 0, OPTS_FLAG, SO_RANK_PER_GPU, NULL,
	  "one rank per allocated GPU" },
	{ "gpu-model", 0, OPTS_VALUE, SO_GPU_MODEL, "MODEL",
	  "only nodes with this GPU model (H100, H200)" },
	{ "within", 0, OPTS_VALUE, SO_WITHIN, "LEVEL[@WAIT]",
	  "keep the gang in one rack|pod|hall; after WAIT accept any" },
	{ "segment", 0, OPTS_VALUE, SO_SEGMENT, "N",
	  "nodes per segment kept in one rack (divides -N)" },
	{ "time", 't', OPTS_VALUE, SO_TIME, "LIMIT",
	  "time limit: 90 (minutes), 90m, 4h, 1h30m, 2-00:00:00" },
	{ "name", 'J', OPTS_VALUE, SO_NAME, "NAME", "job name" },
	{ "job-name", 0, OPTS_VALUE, SO_NAME, "NAME", NULL },
	{ "account", 'A', OPTS_VALUE, SO_ACCOUNT, "ACCOUNT",
	  "account charged for the job" },
	{ "qos", 'q', OPTS_VALUE, SO_QOS, "QOS", "quality of service" },
	{ "chdir", 'D', OPTS_VALUE, SO_CHDIR, "DIR",
	  "working directory of the ranks (default: the current one)" },
	{ "export", 0, OPTS_VALUE, SO_EXPORT, "NAME[=VALUE]",
	  "set a variable in the job (NAME alone: copy it from here); "
	  "repeatable" },
	{ "output", 'o', OPTS_VALUE, SO_OUTPUT, "PATTERN",
	  "stdout file; %j job id, %r rank, %e epoch, %n node" },
	{ "error", 'e', OPTS_VALUE, SO_ERROR, "PATTERN",
	  "stderr file (default: with stdout)" },
	{ "after", 0, OPTS_VALUE, SO_AFTER, "ID[,ID...]",
	  "start after these jobs end, however they end; repeatable" },
	{ "afterok", 0, OPTS_VALUE, SO_AFTEROK, "ID[,ID...]",
	  "start after these jobs complete successfully; repeatable" },
	{ "afternotok", 0, OPTS_VALUE, SO_AFTERNOTOK, "ID[,ID...]",
	  "start after these jobs end unsuccessfully; repeatable" },
	{ "dependency", 'd', OPTS_VALUE, SO_DEPENDENCY, "LIST",
	  "Slurm style: afterok:ID[:ID...],afterany:..,afternotok:.." },
	{ "exclude", 'x', OPTS_VALUE, SO_EXCLUDE, "HOSTLIST",
	  "never run on these nodes (n[00001-00004]); repeatable" },
	{ "constraint", 'C', OPTS_VALUE, SO_CONSTRAINT, "FEATURES",
	  "only nodes with all these features (a,b or a&b)" },
	{ "requeue", 0, OPTS_FLAG, SO_REQUEUE, NULL,
	  "requeue also when a rank itself fails (not only on node loss)" },
	{ "no-requeue", 0, OPTS_FLAG, SO_NO_REQUEUE, NULL,
	  "only infrastructure failures requeue (the default)" },
	{ "max-restarts", 0, OPTS_VALUE, SO_MAX_RESTARTS, "N",
	  "requeues allowed, 1-1000 (default: the site's)" },
	{ "hold", 'H', OPTS_FLAG, SO_HOLD, NULL,
	  "submit held: not scheduled until released" },
	{ "nice", 0, OPTS_VALUE, SO_NICE, "N",
	  "lower the job's priority by N (negative: admins only)" },
	{ "mem", 0, OPTS_VALUE, SO_MEM, "SIZE",
	  "memory limit per node: MiB, or with M, G, T suffix" },
	{ "cpus-per-node", 0, OPTS_VALUE, SO_CPUS_PER_NODE, "N",
	  "CPU limit per node" },
	{ "progress-timeout", 0, OPTS_VALUE, SO_PROGRESS_TIMEOUT, "DURATION",
	  "treat the job as hung after DURATION without progress (30m)" },
	{ "reservation", 0, OPTS_VALUE, SO_RESERVATION, "NAME",
	  "run only inside this reservation (its nodes and window)" },
	{ "array", 'a', OPTS_VALUE, SO_ARRAY, "SPEC",
	  "a job array: 0-99, 1,3,5-9, 0-99%10 (at most 10 running)" },
	{ "quiet", 0, OPTS_FLAG, SO_QUIET, NULL,
	  "print only the job id (for scripts)" },
	{ "parsable", 0, OPTS_FLAG, SO_QUIET, NULL,
	  "the same as --quiet (sbatch's spelling)" },
	OPTS_END,
};

/* Options that replace each other as a whole across sources. */
static int submitopts_group(int id)
{
	switch (id) {
	case SO_GPUS_PER_NODE:
	case SO_GPUS:
		return SO_NODES;
	case SO_RANK_PER_GPU:
		return SO_RANKS_PER_NODE;
	case SO_AFTEROK:
	case SO_AFTERNOTOK:
	case SO_DEPENDENCY:
		return SO_AFTER;
	case SO_NO_REQUEUE:
		return SO_REQUEUE;
	default:
		return id;
	}
}

static bool submitopts_is_empty(const char *s)
{
	return s == NULL || s == protobuf_c_empty_string;
}

/* Replace a spec string, freeing the old value unless it is shared. */
static void submitopts_str(char **field, const char *val)
{
	if (!submitopts_is_empty(*field))
		free(*field);
	*field = xstrdup(val);
}

static void submitopts_push_str(char ***arr, size_t *n, const char *val)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof(char *));
	(*arr)[(*n)++] = xstrdup(val);
}

static void submitopts_push_id(uint64_t **arr, size_t *n, uint64_t id)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof(uint64_t));
	(*arr)[(*n)++] = id;
}

void submitopts_init(struct submit_opts *so)
{
	Colossus__JobSpec init = COLOSSUS__JOB_SPEC__INIT;

	memset(so, 0, sizeof(*so));
	so->spec = init;
}

static void submitopts_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void submitopts_fini(struct submit_opts *so)
{
	Colossus__JobSpec *s;
	char **strs[10];

	if (!so)
		return;
	s = &so->spec;
	strs[0] = &s->name;
	strs[1] = &s->account;
	strs[2] = &s->qos;
	strs[3] = &s->gpu_model;
	strs[4] = &s->workdir;
	strs[5] = &s->stdout_path;
	strs[6] = &s->stderr_path;
	strs[7] = &s->array;
	strs[8] = &s->script;
	strs[9] = &s->reservation;
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (!submitopts_is_empty(*strs[i]))
			free(*strs[i]);
	submitopts_free_strv(s->argv, s->n_argv);
	submitopts_free_strv(s->env, s->n_env);
	submitopts_free_strv(s->exclude_nodes, s->n_exclude_nodes);
	submitopts_free_strv(s->features, s->n_features);
	free(s->after);
	free(s->after_ok);
	free(s->after_not_ok);
	submitopts_init(so);
}

/* "12,13" (or a single id) appended to arr. */
static int submitopts_ids(const char *val, char sep, uint64_t **arr, size_t *n,
			  struct err *e)
{
	char *copy = xstrdup(val), *p = copy;
	int rc = 0;

	for (;;) {
		char *end = strchr(p, sep);
		uint64_t id;

		if (end)
			*end = '\0';
		if (opts_parse_u64(p, 1, UINT64_MAX, &id, e) < 0) {
			rc = err_prefix(e, "bad job id");
			break;
		}
		submitopts_push_id(arr, n, id);
		if (!end)
			break;
		p = end + 1;
	}
	free(copy);
	return rc;
}

/* Slurm's --dependency: "afterok:1:2,afterany:3". */
static int submitopts_dependency(struct submit_opts *so, const char *val,
				 struct err *e)
{
	char *copy = xstrdup(val), *item = copy;
	int rc = 0;

	for (;;) {
		char *end = strchr(item, ',');
		char *colon;
		Colossus__JobSpec *s = &so->spec;

		if (end)
			*end = '\0';
		colon = strchr(item, ':');
		if (!colon || colon == item || !colon[1]) {
			rc = err_set(e, "'%.40s' is not TYPE:ID[:ID...]", item);
			break;
		}
		*colon = '\0';
		if (!strcmp(item, "afterok")) {
			rc = submitopts_ids(colon + 1, ':', &s->after_ok,
					    &s->n_after_ok, e);
		} else if (!strcmp(item, "afternotok")) {
			rc = submitopts_ids(colon + 1, ':', &s->after_not_ok,
					    &s->n_after_not_ok, e);
		} else if (!strcmp(item, "afterany")) {
			rc = submitopts_ids(colon + 1, ':', &s->after,
					    &s->n_after, e);
		} else if (!strcmp(item, "after")) {
			/* Slurm's "after" means "after it started". */
			rc = err_set(e, "'after:' (start after another job "
					"started) is not supported; use "
					"afterany: or afterok:");
		} else {
			rc = err_set(e,
				     "dependency type '%.20s' is not "
				     "supported (afterok, afterany, "
				     "afternotok)",
				     item);
		}
		if (rc < 0 || !end)
			break;
		item = end + 1;
	}
	free(copy);
	return rc;
}

static bool submitopts_env_name_ok(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static int submitopts_export(struct submit_opts *so, const char *val,
			     struct err *e)
{
	const char *eq = strchr(val, '=');
	size_t nlen = eq ? (size_t)(eq - val) : strlen(val);
	Colossus__JobSpec *s = &so->spec;
	char *kv;

	if (!submitopts_env_name_ok(val, nlen))
		return err_set(e,
			       "'%.*s' is not a variable name (letters, "
			       "digits, '_')",
			       (int)MIN(nlen, 40), val);
	if (eq) {
		submitopts_push_str(&s->env, &s->n_env, val);
		return 0;
	}
	if (!getenv(val))
		return err_set(e, "%s is not set here (give --export %s=VALUE)",
			       val, val);
	kv = xasprintf("%s=%s", val, getenv(val));
	submitopts_push_str(&s->env, &s->n_env, kv);
	free(kv);
	return 0;
}

static int submitopts_constraint(struct submit_opts *so, const char *val,
				 struct err *e)
{
	char *copy = xstrdup(val), *p = copy;
	Colossus__JobSpec *s = &so->spec;
	int rc = 0;

	if (strchr(val, '|')) {
		free(copy);
		return err_set(e, "only AND of features is supported (a,b or "
				  "a&b), not '|'");
	}
	for (;;) {
		char *end = strpbrk(p, ",&");

		if (end)
			*end = '\0';
		if (!util_valid_name(p, 63)) {
			rc = err_set(e, "'%.40s' is not a feature name", p);
			break;
		}
		submitopts_push_str(&s->features, &s->n_features, p);
		if (!end)
			break;
		p = end + 1;
	}
	free(copy);
	return rc;
}

static int submitopts_within(struct submit_opts *so, const char *val,
			     struct err *e)
{
	const char *at = strchr(val, '@');
	char level[16];
	size_t len = at ? (size_t)(at - val) : strlen(val);
	uint64_t wait = 0;
	int lv;

	if (len >= sizeof(level))
		len = sizeof(level) - 1;
	memcpy(level, val, len);
	level[len] = '\0';
	if (!strcasecmp(level, "any"))
		lv = COLOSSUS__LEVEL__LEVEL_ANY;
	else if (!strcasecmp(level, "rack"))
		lv = COLOSSUS__LEVEL__LEVEL_RACK;
	else if (!strcasecmp(level, "pod"))
		lv = COLOSSUS__LEVEL__LEVEL_POD;
	else if (!strcasecmp(level, "hall"))
		lv = COLOSSUS__LEVEL__LEVEL_HALL;
	else
		return err_set(e,
			       "unknown level '%.20s' (rack, pod, hall or "
			       "any)",
			       level);
	if (at && timeparse_duration(at + 1, &wait, e) < 0)
		return -1;
	if (wait > UINT32_MAX)
		return err_set(e, "wait is too long");
	so->spec.within = (Colossus__Level)lv;
	so->spec.within_wait_sec = (uint32_t)wait;
	return 0;
}

/*
 * An array spec as the controller takes it: comma-separated N or N-M
 * (M >= N), then optionally %K (K >= 1 tasks running at once).  The
 * controller re-checks the sizes.
 */
static int submitopts_array(const char *val, struct err *e)
{
	const char *p = val;
	const char *pct = strchr(val, '%');
	size_t body = pct ? (size_t)(pct - val) : strlen(val);
	uint32_t k;

	if (body == 0)
		return err_set(e,
			       "'%.40s' has no tasks (examples: 0-99, "
			       "1,3,5-9, 0-99%%10)",
			       val);
	while ((size_t)(p - val) < body) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p || !isdigit((unsigned char)*p))
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			b = strtoul(p + 1, &end, 10);
			p = end;
			if (b < a)
				return err_set(e,
					       "'%.40s': range %lu-%lu "
					       "runs backwards",
					       val, a, b);
		}
		if (a > 10000000 || b > 10000000)
			return err_set(e, "'%.40s': task ids above 10000000",
				       val);
		if ((size_t)(p - val) == body)
			break;
		if (*p != ',')
			goto bad;
		p++;
		if ((size_t)(p - val) == body)
			goto bad;
	}
	if (pct && opts_parse_u32(pct + 1, 1, 1000000, &k, e) < 0)
		return err_prefix(e, "'%.40s': after %%", val);
	return 0;
bad:
	return err_set(e,
		       "'%.40s' is not an array spec (examples: 0-99, 1,3,5-9, "
		       "0-99%%10)",
		       val);
}

int submitopts_parse_mem(const char *s, uint64_t *mib, struct err *e)
{
	size_t len = strlen(s);
	uint64_t mult = 1, v;
	char num[24];

	if (len && isalpha((unsigned char)s[len - 1])) {
		switch (toupper((unsigned char)s[len - 1])) {
		case 'M':
			mult = 1;
			break;
		case 'G':
			mult = 1024;
			break;
		case 'T':
			mult = 1024 * 1024;
			break;
		default:
			return err_set(e, "unknown unit in '%.20s' (M, G or T)",
				       s);
		}
		len--;
	}
	if (len == 0 || len >= sizeof(num))
		return err_set(e, "'%.20s' is not a memory size", s);
	memcpy(num, s, len);
	num[len] = '\0';
	if (opts_parse_u64(num, 1, SO_MAX_MEM_MIB, &v, e) < 0)
		return -1;
	if (v > SO_MAX_MEM_MIB / mult)
		return err_set(e, "%s is implausibly large", s);
	*mib = v * mult;
	return 0;
}

/* Options whose value is a number or a duration. */
static int submitopts_numeric(struct submit_opts *so, int id, const char *val,
			      struct err *e)
{
	Colossus__JobSpec *s = &so->spec;
	uint64_t u64;

	switch (id) {
	case SO_NODES:
		return opts_parse_u32(val, 1, SO_MAX_NODES, &s->nodes, e);
	case SO_GPUS_PER_NODE:
		return opts_parse_u32(val, 1, SO_MAX_GPUS_PER_NODE,
				      &s->gpus_per_node, e);
	case SO_GPUS:
		return opts_parse_u32(val, 1,
				      SO_MAX_NODES * SO_MAX_GPUS_PER_NODE,
				      &s->gpus, e);
	case SO_RANKS_PER_NODE:
		s->rank_per_gpu = false;
		return opts_parse_u32(val, 1, SO_MAX_RANKS, &s->ranks_per_node,
				      e);
	case SO_SEGMENT:
		return opts_parse_u32(val, 1, SO_MAX_NODES, &s->segment, e);
	case SO_TIME:
		if (timeparse_limit(val, &u64, e) < 0)
			return -1;
		if (u64 == 0)
			return err_set(e,
				       "'%s' is not a limit the controller "
				       "can take; leave -t out for the "
				       "site default",
				       val);
		s->time_limit_sec = u64;
		return 0;
	case SO_MAX_RESTARTS:
		/* 0 on the wire means "the site default", so refuse it. */
		return opts_parse_u32(val, 1, 1000, &s->max_restarts, e);
	case SO_NICE:
		return opts_parse_i32(val, -1000000, 1000000, &s->nice, e);
	case SO_MEM:
		return submitopts_parse_mem(val, &s->memory_mib, e);
	case SO_CPUS_PER_NODE:
		return opts_parse_u32(val, 1, 65536, &s->cpus_per_node, e);
	case SO_PROGRESS_TIMEOUT:
		if (timeparse_duration(val, &u64, e) < 0)
			return -1;
		if (u64 > UINT32_MAX)
			return err_set(e, "'%s' is too long", val);
		s->progress_timeout_sec = (uint32_t)u64;
		return 0;
	default:
		return err_set(e, "internal: unhandled option %d", id);
	}
}

int submitopts_apply(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	struct submit_opts *so = arg;
	Colossus__JobSpec *s = &so->spec;
	uint64_t bit = 1ull << submitopts_group(id);
	struct hostlist *hl;

	(void)name;
	if (so->source == SUBMITOPTS_SCRIPT && (so->cli_groups & bit))
		return 0; /* the command line said otherwise */
	if (so->source == SUBMITOPTS_CLI)
		so->cli_groups |= bit;
	if (val && !*val && id != SO_NAME)
		return err_set(e, "empty value");
	switch (id) {
	case SO_RANK_PER_GPU:
		s->rank_per_gpu = true;
		s->ranks_per_node = 0;
		return 0;
	case SO_GPU_MODEL:
		if (!util_valid_name(val, 31))
			return err_set(e, "'%.40s' is not a GPU model name",
				       val);
		submitopts_str(&s->gpu_model, val);
		return 0;
	case SO_WITHIN:
		return submitopts_within(so, val, e);
	case SO_NAME:
		submitopts_str(&s->name, val);
		return 0;
	case SO_ACCOUNT:
	case SO_QOS:
		if (!util_valid_name(val, 63))
			return err_set(e,
				       "'%.40s' is not a valid name "
				       "(letters, digits, '.', '_', '-')",
				       val);
		submitopts_str(id == SO_ACCOUNT ? &s->account : &s->qos, val);
		return 0;
	case SO_CHDIR:
		submitopts_str(&s->workdir, val);
		return 0;
	case SO_EXPORT:
		return submitopts_export(so, val, e);
	case SO_OUTPUT:
		submitopts_str(&s->stdout_path, val);
		return 0;
	case SO_ERROR:
		submitopts_str(&s->stderr_path, val);
		return 0;
	case SO_AFTER:
		return submitopts_ids(val, ',', &s->after, &s->n_after, e);
	case SO_AFTEROK:
		return submitopts_ids(val, ',', &s->after_ok, &s->n_after_ok,
				      e);
	case SO_DEPENDENCY:
		return submitopts_dependency(so, val, e);
	case SO_EXCLUDE:
		/* Checked here so a typo is a usage error, sent as given. */
		hl = hostlist_create();
		if (hostlist_parse(hl, val, SO_MAX_NODES, e) < 0) {
			hostlist_destroy(hl);
			return -1;
		}
		hostlist_destroy(hl);
		submitopts_push_str(&s->exclude_nodes, &s->n_exclude_nodes,
				    val);
		return 0;
	case SO_CONSTRAINT:
		return submitopts_constraint(so, val, e);
	case SO_REQUEUE:
	case SO_NO_REQUEUE:
		s->requeue_on_failure = id == SO_REQUEUE;
		return 0;
	case SO_HOLD:
		s->hold = true;
		return 0;
	case SO_QUIET:
		so->quiet = true;
		return 0;
	case SO_AFTERNOTOK:
		return submitopts_ids(val, ',', &s->after_not_ok,
				      &s->n_after_not_ok, e);
	case SO_RESERVATION:
		if (!util_valid_name(val, 63))
			return err_set(e,
				       "'%.40s' is not a reservation name "
				       "(letters, digits, '.', '_', '-')",
				       val);
		submitopts_str(&s->reservation, val);
		return 0;
	case SO_ARRAY:
		if (submitopts_array(val, e) < 0)
			return -1;
		submitopts_str(&s->array, val);
		return 0;
	default:
		return submitopts_numeric(so, id, val, e);
	}
}

int submitopts_parse_cli(struct submit_opts *so, int argc, char **argv,
			 const struct opts_set *extra, size_t nextra,
			 struct opts_rest *rest, struct err *e)
{
	struct opts_set sets[8];
	size_t n = 0;

	sets[n++] = (struct opts_set){ submitopts_defs, submitopts_apply, so };
	for (size_t i = 0; i < nextra && n < ARRAY_SIZE(sets); i++)
		sets[n++] = extra[i];
	so->source = SUBMITOPTS_CLI;
	return opts_parse(argc, argv, sets, n, OPTS_STOP_AT_POSITIONAL, rest,
			  e);
}

int submitopts_load_script(struct submit_opts *so, const char *text, size_t len,
			   const char *name, unsigned *ignored_line,
			   struct err *e)
{
	struct opts_set set = { submitopts_defs, submitopts_apply, so };
	struct directives d;
	int rc = 0;

	if (directives_parse(text, len, name, &d, e) < 0)
		return -1;
	so->source = SUBMITOPTS_SCRIPT;
	for (size_t i = 0; i < d.n && rc == 0; i++) {
		struct opts_rest rest;

		rc = opts_parse(d.lines[i].argc, d.lines[i].argv, &set, 1,
				OPTS_NO_POSITIONAL, &rest, e);
		if (rc < 0)
			err_prefix(e, "%s:%u", name, d.lines[i].line);
		else
			opts_rest_free(&rest);
	}
	so->source = SUBMITOPTS_CLI;
	if (ignored_line)
		*ignored_line = d.ignored_line;
	directives_free(&d);
	if (rc < 0)
		return -1;
	/* Directive parsing refused NUL bytes, so text is one C string. */
	if (!submitopts_is_empty(so->spec.script))
		free(so->spec.script);
	so->spec.script = xstrndup(text, len);
	return 0;
}

void submitopts_set_command(struct submit_opts *so, int argc, char *const *argv)
{
	Colossus__JobSpec *s = &so->spec;

	submitopts_free_strv(s->argv, s->n_argv);
	s->argv = NULL;
	s->n_argv = 0;
	for (int i = 0; i < argc; i++)
		submitopts_push_str(&s->argv, &s->n_argv, argv[i]);
}

int submitopts_finish(struct submit_opts *so, const char *cwd, struct err *e)
{
	Colossus__JobSpec *s = &so->spec;

	if (s->gpus && (s->nodes || s->gpus_per_node))
		return err_set(e, "give either -G/--gpus (a total) or "
				  "-N/--nodes and --gpus-per-node, not both");
	if (s->segment && s->nodes && s->nodes % s->segment)
		return err_set(e, "--segment %u must divide --nodes %u",
			       s->segment, s->nodes);
	if (s->n_argv == 0 && submitopts_is_empty(s->script))
		return err_set(e, "nothing to run: give a command after '--' "
				  "or a batch script");
	if (submitopts_is_empty(s->workdir)) {
		submitopts_str(&s->workdir, cwd);
	} else if (s->workdir[0] != '/') {
		char *abs = xasprintf("%s%s%s", cwd,
				      cwd[strlen(cwd) - 1] == '/' ? "" : "/",
				      s->workdir);

		free(s->workdir);
		s->workdir = abs;
	}
	return 0;
}
