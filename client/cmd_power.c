/*
 * colossus power: the draw of the site, its halls and racks against their
 * limits, and the ramp; colossus power limit: an admin sets or clears
 * the limit of the site, a hall or a rack (docs/power.md).  The
 * controller decides who may change limits.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/output.h"

enum { PW_RACKS = 1 };

const struct opts_def cmd_power_defs[] = {
	{ "racks", 'r', OPTS_FLAG, PW_RACKS, NULL,
	  "also list every rack (1,568 lines on the full site)" },
	OPTS_END,
};

static int power_opt(void *arg, int id, const char *name, const char *val,
		     struct err *e)
{
	(void)name;
	(void)val;
	(void)e;
	if (id == PW_RACKS)
		*(bool *)arg = true;
	return 0;
}

/* "41.2 MW", "7.7 kW", "950 W". */
static const char *power_fmt(double w, char *buf, size_t len)
{
	if (fabs(w) >= 1e6)
		snprintf(buf, len, "%.1f MW", w / 1e6);
	else if (fabs(w) >= 1e3)
		snprintf(buf, len, "%.1f kW", w / 1e3);
	else
		snprintf(buf, len, "%.0f W", w);
	return buf;
}

/* "40MW", "2.5 kW", "700W", "0"; the controller's own syntax. */
static int power_parse(const char *s, double *w)
{
	char *end;
	double v, scale = 0;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (!*end)
		scale = v == 0 ? 1 : 0;
	else if (!strcmp(end, "W") || !strcmp(end, "w"))
		scale = 1;
	else if (!strcmp(end, "kW") || !strcmp(end, "kw") || !strcmp(end, "KW"))
		scale = 1e3;
	else if (!strcmp(end, "MW"))
		scale = 1e6;
	if (scale == 0)
		return -1;
	*w = v * scale;
	return 0;
}

static void power_json_scope(struct json *j, const Colossus__PowerScope *s)
{
	json_begin_object(j);
	json_kv_str(j, "scope", s->scope);
	json_kv_str(j, "name", s->name);
	if (*s->parent)
		json_kv_str(j, "hall", s->parent);
	json_key(j, "limit_w");
	json_double(j, s->limit_w);
	json_kv_bool(j, "limit_admin", s->limit_admin);
	json_key(j, "predicted_w");
	json_double(j, s->predicted_w);
	json_key(j, "model_w");
	json_double(j, s->model_w);
	json_key(j, "measured_w");
	json_double(j, s->measured_w);
	json_kv_uint(j, "nodes", s->nodes);
	json_kv_uint(j, "nodes_measured", s->nodes_measured);
	json_key(j, "idle_w");
	json_double(j, s->idle_w);
	json_key(j, "headroom_w");
	if (s->limit_w > 0)
		json_double(j, s->limit_w - s->predicted_w);
	else
		json_null(j);
	json_end_object(j);
}

static void power_json(const Colossus__GetPowerReply *r)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "site");
	power_json_scope(&j, r->site);
	json_key(&j, "halls");
	json_begin_array(&j);
	for (size_t i = 0; i < r->n_halls; i++)
		power_json_scope(&j, r->halls[i]);
	json_end_array(&j);
	if (r->n_racks) {
		json_key(&j, "racks");
		json_begin_array(&j);
		for (size_t i = 0; i < r->n_racks; i++)
			power_json_scope(&j, r->racks[i]);
		json_end_array(&j);
	}
	json_key(&j, "ramp");
	json_begin_object(&j);
	json_key(&j, "limit_w");
	json_double(&j, r->ramp->limit_w);
	json_kv_uint(&j, "window_ms", r->ramp->window_ms);
	json_key(&j, "up_used_w");
	json_double(&j, r->ramp->up_used_w);
	json_key(&j, "down_used_w");
	json_double(&j, r->ramp->down_used_w);
	json_key(&j, "up_headroom_w");
	if (r->ramp->limit_w > 0)
		json_double(&j, fmax(0, r->ramp->limit_w - r->ramp->up_used_w));
	else
		json_null(&j);
	json_key(&j, "down_headroom_w");
	if (r->ramp->limit_w > 0)
		json_double(&j,
			    fmax(0, r->ramp->limit_w - r->ramp->down_used_w));
	else
		json_null(&j);
	json_kv_uint(&j, "launching", r->ramp->launching);
	json_kv_uint(&j, "stopping", r->ramp->stopping);
	json_end_object(&j);
	json_kv_uint(&j, "jobs_waiting", r->jobs_waiting);
	json_end_object(&j);
	json_finish(&j);
}

static void power_row(struct output_table *t, const Colossus__PowerScope *s)
{
	char b[32];
	enum output_color col = OUTPUT_PLAIN;

	output_table_row(t);
	output_table_cell(t, OUTPUT_PLAIN, s->scope);
	output_table_cell(t, OUTPUT_PLAIN, *s->name ? s->name : "-");
	if (s->limit_w > 0)
		output_table_cellf(t, OUTPUT_PLAIN, "%s%s",
				   power_fmt(s->limit_w, b, sizeof(b)),
				   s->limit_admin ? "*" : "");
	else
		output_table_cell(t, OUTPUT_PLAIN,
				  s->limit_admin ? "none*" : "none");
	output_table_cell(t, OUTPUT_PLAIN,
			  power_fmt(s->predicted_w, b, sizeof(b)));
	if (s->nodes_measured)
		output_table_cellf(t, OUTPUT_PLAIN, "%s (%u/%u)",
				   power_fmt(s->measured_w, b, sizeof(b)),
				   s->nodes_measured, s->nodes);
	else
		output_table_cell(t, OUTPUT_DIM, "-");
	if (s->limit_w > 0) {
		double h = s->limit_w - s->predicted_w;

		if (h < 0)
			col = OUTPUT_RED;
		else if (h < 0.05 * s->limit_w)
			col = OUTPUT_YELLOW;
		output_table_cell(t, col, power_fmt(h, b, sizeof(b)));
	} else {
		output_table_cell(t, OUTPUT_DIM, "-");
	}
}

static void power_human(struct cli *cli, const Colossus__GetPowerReply *r)
{
	static const struct output_col cols[] = {
		{ "SCOPE", 0, false },		{ "NAME", 0, false },
		{ "LIMIT", 0, true },		{ "PREDICTED", 0, true },
		{ "MEASURED(NODES)", 0, true }, { "HEADROOM", 0, true },
	};
	struct output_table *t = output_table_create(cols, ARRAY_SIZE(cols));
	const Colossus__PowerRamp *rp = r->ramp;
	char a[32], b[32], c[32];

	power_row(t, r->site);
	for (size_t i = 0; i < r->n_halls; i++)
		power_row(t, r->halls[i]);
	for (size_t i = 0; i < r->n_racks; i++)
		power_row(t, r->racks[i]);
	output_table_print(t, stdout, !cli->no_header, cli->color);
	output_table_destroy(t);
	if (rp->limit_w > 0)
		printf("ramp: %s per %.0f s; headroom %s up, %s down; %u gangs "
		       "launching and %u stopping in waves\n",
		       power_fmt(rp->limit_w, a, sizeof(a)),
		       rp->window_ms / 1000.0,
		       power_fmt(fmax(0, rp->limit_w - rp->up_used_w), b,
				 sizeof(b)),
		       power_fmt(fmax(0, rp->limit_w - rp->down_used_w), c,
				 sizeof(c)),
		       rp->launching, rp->stopping);
	else
		printf("ramp: no limit\n");
	printf("jobs waiting for power: %u\n", r->jobs_waiting);
	if (!cli->no_header)
		printf("(* set by an admin; PREDICTED is what the scheduler "
		       "budgets with)\n");
}

int cmd_power(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__GetPower gp = COLOSSUS__GET_POWER__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	bool racks = false;
	int rc;

	rc = cli_parse(cli, argc, argv, cmd_power_defs, power_opt, &racks,
		       OPTS_NO_POSITIONAL, &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	gp.racks = racks;
	req.body_case = COLOSSUS__REQUEST__BODY_GET_POWER;
	req.get_power = &gp;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_GET_POWER, &resp);
	if (rc)
		return rc;
	if (cli->json)
		power_json(resp->get_power);
	else
		power_human(cli, resp->get_power);
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

int cmd_power_limit(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__SetPowerLimit sp = COLOSSUS__SET_POWER_LIMIT__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	const char *value;
	char b[32];
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	if (rest.n < 2) {
		rc = cli_usage(cli, "give site VALUE, hall NAME VALUE or rack "
				    "NAME VALUE");
		goto out;
	}
	sp.scope = rest.args[0];
	if (!strcmp(sp.scope, "site")) {
		if (rest.n != 2) {
			rc = cli_usage(cli, "give: site VALUE");
			goto out;
		}
		sp.name = (char *)"";
		value = rest.args[1];
	} else if (!strcmp(sp.scope, "hall") || !strcmp(sp.scope, "rack")) {
		if (rest.n != 3) {
			rc = cli_usage(cli, "give: %s NAME VALUE", sp.scope);
			goto out;
		}
		if (!util_valid_name(rest.args[1], 63)) {
			rc = cli_usage(cli, "'%.40s' is not a valid %s name",
				       rest.args[1], sp.scope);
			goto out;
		}
		sp.name = rest.args[1];
		value = rest.args[2];
	} else {
		rc = cli_usage(cli,
			       "the scope is site, hall or rack, not "
			       "'%.20s'",
			       sp.scope);
		goto out;
	}
	if (!strcmp(value, "default")) {
		sp.clear = true;
	} else if (!strcmp(value, "none") || !strcmp(value, "unlimited")) {
		sp.limit_w = 0;
	} else if (power_parse(value, &sp.limit_w) < 0) {
		rc = cli_usage(cli,
			       "'%.32s' is not a power: give e.g. 38MW, "
			       "750kW, 0 (unlimited) or default",
			       value);
		goto out;
	}
	req.body_case = COLOSSUS__REQUEST__BODY_SET_POWER_LIMIT;
	req.set_power_limit = &sp;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "scope", sp.scope);
		json_kv_str(&j, "name", sp.name);
		json_key(&j, "limit_w");
		if (sp.clear)
			json_null(&j);
		else
			json_double(&j, sp.limit_w);
		json_kv_str(&j, "result", sp.clear ? "default" : "set");
		json_end_object(&j);
		json_finish(&j);
	} else if (sp.clear) {
		printf("%s%s%s power limit back to the configured default\n",
		       sp.scope, *sp.name ? " " : "", sp.name);
	} else {
		printf("%s%s%s power limit set to %s\n", sp.scope,
		       *sp.name ? " " : "", sp.name,
		       sp.limit_w > 0 ? power_fmt(sp.limit_w, b, sizeof(b))
				      : "unlimited");
	}
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}
