/*
 * Job spec validation.  Every field a client sends is checked here before
 * anything is stored.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/xalloc.h"
#include "controller/jobspec.h"

bool jobspec_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			if (!c)
				return false;
			p++;
			continue;
		}
		/* Lead bytes C0, C1 and F5-FF can only start overlong or
		 * out-of-range sequences. */
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/*
 * protobuf-c does not check that string fields hold UTF-8 (proto3 says
 * they must), so every string of a request is checked here: PostgreSQL
 * refuses invalid UTF-8 in a text column, and protobuf decoders of other
 * languages refuse the stored spec.  Depth is bounded by the message
 * types, which do not nest recursively; the limit is a guard.
 */
static int jobspec_walk(const ProtobufCMessage *m, const char *path, int depth,
			struct err *e)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > 16)
		return err_set(e, "message nested too deeply at %s", path);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		size_t count = 1;
		const void *const *items;
		char sub[256];

		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which;

			memcpy(&which, base + f->quantifier_offset,
			       sizeof(which));
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&count, base + f->quantifier_offset,
			       sizeof(count));
			memcpy(&items, base + f->offset, sizeof(items));
		} else {
			items = (const void *const *)(const void *)(base +
								    f->offset);
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 f->name);
		for (size_t k = 0; k < count; k++) {
			const void *v = items[k];

			if (!v)
				continue;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (jobspec_walk(v, sub, depth + 1, e) < 0)
					return -1;
			} else if (!jobspec_utf8_valid(v, strlen(v))) {
				return err_set(e, "field %s is not valid UTF-8",
					       sub);
			}
		}
	}
	return 0;
}

int jobspec_check_strings(const ProtobufCMessage *msg, struct err *e)
{
	return msg ? jobspec_walk(msg, "", 0, e) : 0;
}

static bool jobspec_printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		if (n >= max)
			return false;
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static int jobspec_check_env(const Colossus__JobSpec *spec, struct err *e)
{
	size_t bytes = 0;

	if (spec->n_env > JOBSPEC_MAX_ENV)
		return err_set(e,
			       "too many environment variables (%zu, at most "
			       "%d)",
			       spec->n_env, JOBSPEC_MAX_ENV);
	for (size_t i = 0; i < spec->n_env; i++) {
		const char *kv = spec->env[i];
		const char *eq = strchr(kv, '=');

		if (!eq || eq == kv)
			return err_set(e,
				       "environment entry %zu is not "
				       "NAME=value",
				       i);
		if (!(isalpha((unsigned char)kv[0]) || kv[0] == '_'))
			return err_set(e,
				       "environment name '%.*s' must start "
				       "with a letter or '_'",
				       (int)MIN(eq - kv, 64), kv);
		for (const char *p = kv; p < eq; p++)
			if (!(isalnum((unsigned char)*p) || *p == '_'))
				return err_set(e,
					       "environment name '%.*s' has "
					       "an invalid character",
					       (int)MIN(eq - kv, 64), kv);
		bytes += strlen(kv) + 1;
	}
	if (bytes > JOBSPEC_MAX_ENV_BYTES)
		return err_set(e, "environment is %zu bytes (at most %d)",
			       bytes, JOBSPEC_MAX_ENV_BYTES);
	return 0;
}

static int jobspec_check_command(const Colossus__JobSpec *spec, struct err *e)
{
	size_t bytes = 0;

	if (spec->n_argv == 0 && (!spec->script || !*spec->script))
		return err_set(e, "no command: give a command after -- or a "
				  "batch script");
	if (spec->n_argv > JOBSPEC_MAX_ARGS)
		return err_set(e, "too many arguments (%zu, at most %d)",
			       spec->n_argv, JOBSPEC_MAX_ARGS);
	for (size_t i = 0; i < spec->n_argv; i++) {
		size_t len = strlen(spec->argv[i]);

		if (len > JOBSPEC_MAX_ARG_LEN)
			return err_set(e,
				       "argument %zu is %zu bytes (at most "
				       "%d)",
				       i, len, JOBSPEC_MAX_ARG_LEN);
		bytes += len + 1;
	}
	if (spec->n_argv && !*spec->argv[0])
		return err_set(e, "the command name is empty");
	if (bytes > JOBSPEC_MAX_ARGV_BYTES)
		return err_set(e, "command line is %zu bytes (at most %d)",
			       bytes, JOBSPEC_MAX_ARGV_BYTES);
	if (spec->script && strlen(spec->script) > JOBSPEC_MAX_SCRIPT)
		return err_set(e, "batch script is larger than %d bytes",
			       JOBSPEC_MAX_SCRIPT);
	return 0;
}

static int jobspec_check_paths(const Colossus__JobSpec *spec, struct err *e)
{
	const struct {
		const char *what;
		const char *val;
	} paths[] = {
		{ "working directory", spec->workdir },
		{ "output path", spec->stdout_path },
		{ "error path", spec->stderr_path },
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		const char *p = paths[i].val;

		if (!p || !*p)
			continue;
		if (!jobspec_printable(p, JOBSPEC_MAX_PATH))
			return err_set(e,
				       "%s is too long or has control "
				       "characters",
				       paths[i].what);
	}
	if (spec->workdir && *spec->workdir && spec->workdir[0] != '/')
		return err_set(e,
			       "working directory '%.200s' must be an "
			       "absolute path",
			       spec->workdir);
	return 0;
}

static int jobspec_check_names(const Colossus__JobSpec *spec, struct err *e)
{
	if (spec->name && !jobspec_printable(spec->name, JOBSPEC_MAX_NAME))
		return err_set(e,
			       "job name is longer than %d characters or "
			       "has control characters",
			       JOBSPEC_MAX_NAME);
	if (spec->account && *spec->account &&
	    !util_valid_name(spec->account, 63))
		return err_set(e, "account '%.64s' is not a valid name",
			       spec->account);
	if (spec->qos && *spec->qos && !util_valid_name(spec->qos, 63))
		return err_set(e, "QOS '%.64s' is not a valid name", spec->qos);
	if (spec->gpu_model && *spec->gpu_model &&
	    !util_valid_name(spec->gpu_model, 31))
		return err_set(e, "GPU model '%.32s' is not a valid name",
			       spec->gpu_model);
	for (size_t i = 0; i < spec->n_features; i++)
		if (!util_valid_name(spec->features[i], 63))
			return err_set(e, "feature '%.64s' is not a valid name",
				       spec->features[i]);
	return 0;
}

static int jobspec_size(Colossus__JobSpec *spec,
			const struct jobspec_limits *lim, struct err *e)
{
	uint32_t whole = lim->gpus_per_node ? lim->gpus_per_node : 8;

	if (spec->gpus) {
		if (spec->nodes || spec->gpus_per_node)
			return err_set(e,
				       "give either a GPU total or nodes and "
				       "GPUs per node, not both");
		if (spec->gpus <= whole) {
			spec->nodes = 1;
			spec->gpus_per_node = spec->gpus;
		} else if (spec->gpus % whole == 0) {
			spec->nodes = spec->gpus / whole;
			spec->gpus_per_node = whole;
		} else {
			return err_set(e,
				       "%u GPUs: more than one node's worth "
				       "must be a multiple of %u (whole nodes)",
				       spec->gpus, whole);
		}
	}
	if (spec->nodes == 0)
		spec->nodes = 1;
	if (spec->gpus_per_node == 0)
		spec->gpus_per_node = whole;
	if (spec->nodes > JOBSPEC_MAX_NODES)
		return err_set(e, "%u nodes is more than any cluster (%d)",
			       spec->nodes, JOBSPEC_MAX_NODES);
	if (lim->cluster_nodes && spec->nodes > lim->cluster_nodes)
		return err_set(e, "job asks for %u nodes; the cluster has %u",
			       spec->nodes, lim->cluster_nodes);
	if (spec->gpus_per_node > whole)
		return err_set(e, "%u GPUs per node, but nodes have %u",
			       spec->gpus_per_node, whole);
	if (spec->nodes > 1 && spec->gpus_per_node != whole)
		return err_set(e,
			       "multi-node jobs take whole nodes: GPUs per "
			       "node must be %u, not %u",
			       whole, spec->gpus_per_node);
	spec->gpus = spec->nodes * spec->gpus_per_node;
	if (spec->rank_per_gpu)
		spec->ranks_per_node = spec->gpus_per_node;
	if (spec->ranks_per_node == 0)
		spec->ranks_per_node = 1;
	if (spec->ranks_per_node > JOBSPEC_MAX_RANKS_PER_NODE)
		return err_set(e, "%u ranks per node (at most %d)",
			       spec->ranks_per_node,
			       JOBSPEC_MAX_RANKS_PER_NODE);
	if (spec->segment &&
	    (spec->segment > spec->nodes || spec->nodes % spec->segment != 0))
		return err_set(e,
			       "segment size %u must divide the node count "
			       "%u",
			       spec->segment, spec->nodes);
	return 0;
}

int jobspec_validate(Colossus__JobSpec *spec, const struct jobspec_limits *lim,
		     struct err *e)
{
	if (jobspec_check_strings(&spec->base, e) < 0 ||
	    jobspec_check_command(spec, e) < 0 ||
	    jobspec_check_env(spec, e) < 0 ||
	    jobspec_check_paths(spec, e) < 0 ||
	    jobspec_check_names(spec, e) < 0 || jobspec_size(spec, lim, e) < 0)
		return -1;
	if ((int)spec->within < COLOSSUS__LEVEL__LEVEL_ANY ||
	    (int)spec->within > COLOSSUS__LEVEL__LEVEL_HALL)
		return err_set(e, "unknown placement level %d",
			       (int)spec->within);
	if (spec->time_limit_sec == 0)
		spec->time_limit_sec = lim->default_time_limit;
	/* No limit given and no default: the site cap is the limit, as a
	 * partition's MaxTime is in Slurm; 0 (unlimited) must not slip past
	 * a cap. */
	if (spec->time_limit_sec == 0)
		spec->time_limit_sec = lim->max_time_limit;
	if (lim->max_time_limit && spec->time_limit_sec > lim->max_time_limit)
		return err_set(e,
			       "time limit of %llu s exceeds the site maximum "
			       "of %llu s",
			       (unsigned long long)spec->time_limit_sec,
			       (unsigned long long)lim->max_time_limit);
	if (spec->time_limit_sec > 365ull * 24 * 3600)
		return err_set(e, "time limit longer than a year");
	if (spec->max_restarts > 1000)
		return err_set(e, "restart limit %u is above 1000",
			       spec->max_restarts);
	if (spec->max_restarts == 0)
		spec->max_restarts = lim->default_max_restarts;
	if (spec->nice < 0 && !lim->is_admin)
		return err_set(e, "only admins may give a negative nice value");
	if (spec->n_after + spec->n_after_ok > JOBSPEC_MAX_DEPS)
		return err_set(e, "too many dependencies (at most %d)",
			       JOBSPEC_MAX_DEPS);
	for (size_t i = 0; i < spec->n_after; i++)
		if (spec->after[i] == 0 || spec->after[i] >= lim->next_job_id)
			return err_set(e, "dependency on unknown job %llu",
				       (unsigned long long)spec->after[i]);
	for (size_t i = 0; i < spec->n_after_ok; i++)
		if (spec->after_ok[i] == 0 ||
		    spec->after_ok[i] >= lim->next_job_id)
			return err_set(e, "dependency on unknown job %llu",
				       (unsigned long long)spec->after_ok[i]);
	if (spec->n_exclude_nodes > 64)
		return err_set(e, "too many exclude expressions (at most 64)");
	if (spec->memory_mib > (1ull << 30))
		return err_set(e, "memory limit is implausibly large");
	return 0;
}

static int jobspec_number(const char **p, uint32_t *v)
{
	uint64_t x = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > 1000000000)
			return -1;
	}
	*v = (uint32_t)x;
	*p = s;
	return 0;
}

int jobspec_parse_array(const char *s, uint32_t **tasks, size_t *n,
			uint32_t *limit, struct err *e)
{
	const char *p = s;
	uint32_t *v = NULL;
	size_t count = 0, cap = 0;

	*tasks = NULL;
	*n = 0;
	*limit = 0;
	if (!s || !*s)
		return err_set(e, "empty array spec");
	for (;;) {
		uint32_t lo, hi, step = 1;

		if (jobspec_number(&p, &lo) < 0)
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (jobspec_number(&p, &hi) < 0 || hi < lo)
				goto bad;
		}
		if (*p == ':') {
			p++;
			if (jobspec_number(&p, &step) < 0 || step == 0)
				goto bad;
		}
		for (uint64_t t = lo; t <= hi; t += step) {
			if (count >= JOBSPEC_MAX_ARRAY) {
				free(v);
				return err_set(e,
					       "array of more than %d "
					       "tasks",
					       JOBSPEC_MAX_ARRAY);
			}
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[count++] = (uint32_t)t;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		break;
	}
	if (*p == '%') {
		p++;
		if (jobspec_number(&p, limit) < 0 || *limit == 0)
			goto bad;
	}
	if (*p)
		goto bad;
	*tasks = v;
	*n = count;
	return 0;
bad:
	free(v);
	return err_set(e,
		       "bad array spec '%.64s' (examples: 0-99, 1,3,5-9, "
		       "0-30:10, 0-999%%50)",
		       s);
}
