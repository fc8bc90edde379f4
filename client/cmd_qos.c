/*
 * QOS and reservation commands: qos list|set|remove and reservation
 * create|list|delete.  Listing is open to everyone; changes need an
 * admin certificate (the controller decides).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/json.h"
#include "client/names.h"
#include "client/output.h"
#include "client/timeexpr.h"
#include "common/hostlist.h"
#include "common/timeparse.h"
#include "common/xalloc.h"

static void qos_json_strv(struct json *j, const char *key, char **v, size_t n)
{
	json_key(j, key);
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		json_string(j, v[i]);
	json_end_array(j);
}

/* "a,b,c" into a new array of copies; empty items are dropped. */
static void qos_split(const char *s, char ***out, size_t *n)
{
	const char *p = s;

	*out = NULL;
	*n = 0;
	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = xstrndup(p, len);
		}
		p += len + (p[len] == ',');
	}
}

static void qos_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A comma list of plain names (QOS, users, accounts).  0 or -1 with e. */
static int qos_names(const char *list, const char *what, char ***out, size_t *n,
		     struct err *e)
{
	qos_split(list, out, n);
	for (size_t i = 0; i < *n; i++)
		if (!util_valid_name((*out)[i], 63)) {
			err_set(e, "'%.40s' is not a valid %s name", (*out)[i],
				what);
			qos_strv_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
	return 0;
}

static void qos_join(char *buf, size_t len, char **v, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? "," : "", v[i]);
}

/* A name argument: exactly one, and a plain name. */
static int qos_one_name(struct cli *cli, const struct opts_rest *rest,
			const char *what, const char **name)
{
	if (rest->n != 1)
		return cli_usage(cli, "give one %s name", what);
	if (!util_valid_name(rest->args[0], 63))
		return cli_usage(cli,
				 "'%.40s' is not a valid %s name (letters, "
				 "digits, '.', '_', '-')",
				 rest->args[0], what);
	*name = rest->args[0];
	return EXITCODE_OK;
}

static void qos_done_json(const char *key, const char *name, const char *what)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_kv_str(&j, key, name);
	json_kv_str(&j, "result", what);
	json_end_object(&j);
	json_finish(&j);
}

/* ---- qos list ----------------------------------------------------------- */

static int qos_fetch(struct cli *cli, Colossus__Response **resp)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListQos lq = COLOSSUS__LIST_QOS__INIT;

	req.body_case = COLOSSUS__REQUEST__BODY_LIST_QOS;
	req.list_qos = &lq;
	return cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_QOS, resp);
}

int cmd_qos_list(struct cli *cli, int argc, char **argv)
{
	static const struct output_col cols[] = {
		{ "NAME", 0, false },	  { "PRIORITY", 0, true },
		{ "PREEMPTS", 0, false }, { "WHEN_PREEMPTED", 0, false },
		{ "GRACE", 0, true },	  { "MAX_TIME", 0, true },
		{ "MAX_NODES", 0, true }, { "DESCRIPTION", 0, false },
	};
	Colossus__Response *resp = NULL;
	const Colossus__ListQosReply *r;
	struct opts_rest rest;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, OPTS_NO_POSITIONAL,
		       &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	rc = qos_fetch(cli, &resp);
	if (rc)
		return rc;
	r = resp->list_qos;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "qos");
		json_begin_array(&j);
		for (size_t i = 0; i < r->n_qos; i++) {
			const Colossus__Qos *q = r->qos[i];

			json_begin_object(&j);
			json_kv_str(&j, "name", q->name);
			json_kv_int(&j, "priority", q->priority);
			qos_json_strv(&j, "preempt", q->preempt, q->n_preempt);
			json_kv_str(&j, "preempt_mode", q->preempt_mode);
			json_kv_uint(&j, "grace_sec", q->grace_sec);
			json_kv_uint(&j, "max_time_limit_sec",
				     q->max_time_limit_sec);
			json_kv_uint(&j, "max_nodes", q->max_nodes);
			json_kv_str(&j, "description", q->description);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else {
		struct output_table *t =
			output_table_create(cols, ARRAY_SIZE(cols));

		for (size_t i = 0; i < r->n_qos; i++) {
			const Colossus__Qos *q = r->qos[i];
			char pre[512], b1[32], b2[32];

			qos_join(pre, sizeof(pre), q->preempt, q->n_preempt);
			output_table_row(t);
			output_table_cell(t, OUTPUT_PLAIN, q->name);
			output_table_cellf(t, OUTPUT_PLAIN, "%d", q->priority);
			output_table_cell(t, OUTPUT_PLAIN, *pre ? pre : "-");
			output_table_cell(t, OUTPUT_PLAIN, q->preempt_mode);
			output_table_cell(
				t, OUTPUT_PLAIN,
				timeparse_format_duration(q->grace_sec, b1,
							  sizeof(b1)));
			output_table_cell(
				t, OUTPUT_PLAIN,
				q->max_time_limit_sec
					? timeparse_format(
						  q->max_time_limit_sec, b2,
						  sizeof(b2))
					: "-");
			if (q->max_nodes)
				output_table_cellf(t, OUTPUT_PLAIN, "%u",
						   q->max_nodes);
			else
				output_table_cell(t, OUTPUT_PLAIN, "-");
			output_table_cell(t, OUTPUT_PLAIN, q->description);
		}
		output_table_print(t, stdout, !cli->no_header, cli->color);
		output_table_destroy(t);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

/* ---- qos set / remove --------------------------------------------------- */

enum {
	QS_PRIORITY = 1,
	QS_PREEMPT,
	QS_MODE,
	QS_GRACE,
	QS_MAX_TIME,
	QS_MAX_NODES,
	QS_DESCRIPTION,
};

const struct opts_def cmd_qos_set_defs[] = {
	{ "priority", 0, OPTS_VALUE, QS_PRIORITY, "N",
	  "added to its jobs' priority through the QOS factor" },
	{ "preempt", 0, OPTS_VALUE, QS_PREEMPT, "QOS[,QOS...]",
	  "QOS whose jobs it may preempt ('' for none)" },
	{ "preempt-mode", 0, OPTS_VALUE, QS_MODE, "requeue|cancel",
	  "what happens to ITS jobs when they are preempted" },
	{ "grace", 0, OPTS_VALUE, QS_GRACE, "DURATION",
	  "SIGTERM to SIGKILL when its jobs are preempted (60s)" },
	{ "max-time", 0, OPTS_VALUE, QS_MAX_TIME, "LIMIT",
	  "longest time limit (4h, 2-00:00:00; 'unlimited' for none)" },
	{ "max-nodes", 0, OPTS_VALUE, QS_MAX_NODES, "N",
	  "largest job in nodes (0 for none)" },
	{ "description", 0, OPTS_VALUE, QS_DESCRIPTION, "TEXT",
	  "one line shown by qos list" },
	OPTS_END,
};

struct qos_set_args {
	Colossus__Qos q;
	bool set[QS_DESCRIPTION + 1];
	char **preempt;
	size_t npreempt;
};

static int qos_set_opt(void *arg, int id, const char *name, const char *val,
		       struct err *e)
{
	struct qos_set_args *a = arg;
	uint64_t u;

	(void)name;
	if (id < QS_PRIORITY || id > QS_DESCRIPTION)
		return err_set(e, "internal: option %d", id);
	a->set[id] = true;
	switch (id) {
	case QS_PRIORITY:
		return opts_parse_i32(val, -1000000, 1000000, &a->q.priority,
				      e);
	case QS_PREEMPT:
		qos_strv_free(a->preempt, a->npreempt);
		return qos_names(val, "QOS", &a->preempt, &a->npreempt, e);
	case QS_MODE:
		if (strcmp(val, "requeue") && strcmp(val, "cancel"))
			return err_set(e, "'%.20s' is not requeue or cancel",
				       val);
		a->q.preempt_mode = (char *)val;
		return 0;
	case QS_GRACE:
		if (timeparse_duration(val, &u, e) < 0)
			return -1;
		if (u > 86400)
			return err_set(e, "at most a day");
		a->q.grace_sec = (uint32_t)u;
		return 0;
	case QS_MAX_TIME:
		if (timeparse_limit(val, &u, e) < 0)
			return -1;
		a->q.max_time_limit_sec = u;
		return 0;
	case QS_MAX_NODES:
		return opts_parse_u32(val, 0, 1000000, &a->q.max_nodes, e);
	case QS_DESCRIPTION:
		if (strlen(val) > 256)
			return err_set(e, "longer than 256 characters");
		a->q.description = (char *)val;
		return 0;
	default:
		return 0;
	}
}

/*
 * Options not given keep the QOS's current values, so "qos set high
 * --priority 2000" changes only the priority.  A new QOS starts from the
 * controller's defaults (requeue, 60 s grace, no limits).
 */
int cmd_qos_set(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__SetQos sq = COLOSSUS__SET_QOS__INIT;
	Colossus__Response *list = NULL, *resp = NULL;
	const Colossus__Qos *old = NULL;
	struct qos_set_args a;
	struct opts_rest rest;
	const char *name;
	int rc;

	memset(&a, 0, sizeof(a));
	colossus__qos__init(&a.q);
	rc = cli_parse(cli, argc, argv, cmd_qos_set_defs, qos_set_opt, &a, 0,
		       &rest);
	if (rc)
		goto out;
	rc = qos_one_name(cli, &rest, "QOS", &name);
	if (rc)
		goto out;
	rc = qos_fetch(cli, &list);
	if (rc)
		goto out;
	for (size_t i = 0; i < list->list_qos->n_qos; i++)
		if (!strcmp(list->list_qos->qos[i]->name, name))
			old = list->list_qos->qos[i];
	a.q.name = (char *)name;
	if (old) {
		if (!a.set[QS_PRIORITY])
			a.q.priority = old->priority;
		if (!a.set[QS_PREEMPT]) {
			a.q.preempt = old->preempt;
			a.q.n_preempt = old->n_preempt;
		}
		if (!a.set[QS_MODE])
			a.q.preempt_mode = old->preempt_mode;
		if (!a.set[QS_GRACE])
			a.q.grace_sec = old->grace_sec;
		if (!a.set[QS_MAX_TIME])
			a.q.max_time_limit_sec = old->max_time_limit_sec;
		if (!a.set[QS_MAX_NODES])
			a.q.max_nodes = old->max_nodes;
		if (!a.set[QS_DESCRIPTION])
			a.q.description = old->description;
	} else if (!a.set[QS_GRACE]) {
		a.q.grace_sec = 60;
	}
	if (a.set[QS_PREEMPT]) {
		a.q.preempt = a.preempt;
		a.q.n_preempt = a.npreempt;
	}
	sq.qos = &a.q;
	req.body_case = COLOSSUS__REQUEST__BODY_SET_QOS;
	req.set_qos = &sq;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json)
		qos_done_json("name", name, old ? "updated" : "created");
	else
		printf("qos %s %s\n", name, old ? "updated" : "created");
out:
	rpcclient_response_free(list);
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	qos_strv_free(a.preempt, a.npreempt);
	return rc;
}

int cmd_qos_remove(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__SetQos sq = COLOSSUS__SET_QOS__INIT;
	Colossus__Qos q = COLOSSUS__QOS__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	const char *name;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	rc = qos_one_name(cli, &rest, "QOS", &name);
	if (rc)
		goto out;
	q.name = (char *)name;
	q.preempt_mode = (char *)"requeue";
	sq.qos = &q;
	sq.remove = true;
	req.body_case = COLOSSUS__REQUEST__BODY_SET_QOS;
	req.set_qos = &sq;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json)
		qos_done_json("name", name, "removed");
	else
		printf("qos %s removed\n", name);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}

/* ---- reservation create ------------------------------------------------- */

enum {
	RC_NODES = 1,
	RC_START,
	RC_END,
	RC_DURATION,
	RC_USERS,
	RC_ACCOUNTS,
	RC_MAINT,
	RC_REASON,
};

const struct opts_def cmd_resv_create_defs[] = {
	{ "nodes", 'w', OPTS_VALUE, RC_NODES, "HOSTLIST",
	  "nodes to set aside, e.g. n[00001-00064] (required)" },
	{ "start", 's', OPTS_VALUE, RC_START, "TIME",
	  "when it starts: now, now+2h, 2026-12-01T08:00 (default now)" },
	{ "end", 'e', OPTS_VALUE, RC_END, "TIME", "when it ends" },
	{ "duration", 'd', OPTS_VALUE, RC_DURATION, "DURATION",
	  "how long it lasts, instead of --end (4h, 2d)" },
	{ "users", 'u', OPTS_VALUE, RC_USERS, "USER[,USER...]",
	  "who may run jobs in it" },
	{ "accounts", 'A', OPTS_VALUE, RC_ACCOUNTS, "ACCOUNT[,...]",
	  "accounts whose jobs may run in it" },
	{ "maint", 'm', OPTS_FLAG, RC_MAINT, NULL,
	  "maintenance: no jobs at all once it starts" },
	{ "maintenance", 0, OPTS_FLAG, RC_MAINT, NULL, NULL },
	{ "reason", 'r', OPTS_VALUE, RC_REASON, "TEXT",
	  "why (shown by reservation list)" },
	OPTS_END,
};

struct resv_args {
	const char *nodes, *start, *end, *duration, *users, *accounts, *reason;
	bool maint;
};

static int resv_opt(void *arg, int id, const char *name, const char *val,
		    struct err *e)
{
	struct resv_args *a = arg;

	(void)name;
	switch (id) {
	case RC_NODES:
		a->nodes = val;
		return 0;
	case RC_START:
		a->start = val;
		return 0;
	case RC_END:
		a->end = val;
		return 0;
	case RC_DURATION:
		a->duration = val;
		return 0;
	case RC_USERS:
		a->users = val;
		return 0;
	case RC_ACCOUNTS:
		a->accounts = val;
		return 0;
	case RC_MAINT:
		a->maint = true;
		return 0;
	case RC_REASON:
		a->reason = val;
		return 0;
	default:
		return err_set(e, "internal: option %d", id);
	}
}

/* Turn the options into a message (lists are heap copies).  Exit code. */
static int resv_build(struct cli *cli, const struct resv_args *a,
		      const char *name, Colossus__Reservation *m)
{
	int64_t now = util_now_wall_s();
	struct hostlist *hl;
	uint64_t dur;
	struct err e;

	if (!a->nodes)
		return cli_usage(cli, "--nodes HOSTLIST is required");
	hl = hostlist_create();
	if (hostlist_parse(hl, a->nodes, 1000000, &e) < 0) {
		hostlist_destroy(hl);
		return cli_usage(cli, "--nodes: %s", e.msg);
	}
	hostlist_destroy(hl);
	if (!!a->end == !!a->duration)
		return cli_usage(cli, "give --end TIME or --duration D (one "
				      "of them)");
	m->start_time = now;
	if (a->start && timeexpr_parse(a->start, now, &m->start_time, &e) < 0)
		return cli_usage(cli, "--start: %s", e.msg);
	if (a->end && timeexpr_parse(a->end, now, &m->end_time, &e) < 0)
		return cli_usage(cli, "--end: %s", e.msg);
	if (a->duration) {
		if (timeparse_duration(a->duration, &dur, &e) < 0)
			return cli_usage(cli, "--duration: %s", e.msg);
		if (dur == 0)
			return cli_usage(cli, "--duration must be positive");
		m->end_time = m->start_time + (int64_t)dur;
	}
	if (m->end_time <= m->start_time)
		return cli_usage(cli, "the reservation must end after it "
				      "starts");
	if (m->end_time <= now)
		return cli_usage(cli, "the reservation would already be over");
	if (a->users &&
	    qos_names(a->users, "user", &m->users, &m->n_users, &e) < 0)
		return cli_usage(cli, "--users: %s", e.msg);
	if (a->accounts && qos_names(a->accounts, "account", &m->accounts,
				     &m->n_accounts, &e) < 0)
		return cli_usage(cli, "--accounts: %s", e.msg);
	if (a->reason && strlen(a->reason) > 256)
		return cli_usage(cli, "--reason: longer than 256 characters");
	m->name = (char *)name;
	/*
	 * The controller replaces created_by with the certificate's name;
	 * a non-empty value here also keeps controllers whose
	 * rpc_sched_create_resv frees the field of its copy unconditionally
	 * from freeing protobuf-c's static empty string.
	 */
	m->created_by = (char *)"colossus";
	m->nodes = (char *)a->nodes;
	m->maintenance = a->maint;
	m->reason = (char *)(a->reason ? a->reason : "");
	return EXITCODE_OK;
}

int cmd_resv_create(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__CreateReservation cr = COLOSSUS__CREATE_RESERVATION__INIT;
	Colossus__Reservation m = COLOSSUS__RESERVATION__INIT;
	Colossus__Response *resp = NULL;
	struct resv_args a;
	struct opts_rest rest;
	const char *name;
	char b1[32], b2[32];
	int rc;

	memset(&a, 0, sizeof(a));
	rc = cli_parse(cli, argc, argv, cmd_resv_create_defs, resv_opt, &a, 0,
		       &rest);
	if (rc)
		return rc;
	rc = qos_one_name(cli, &rest, "reservation", &name);
	if (rc)
		goto out;
	rc = resv_build(cli, &a, name, &m);
	if (rc)
		goto out;
	cr.reservation = &m;
	req.body_case = COLOSSUS__REQUEST__BODY_CREATE_RESERVATION;
	req.create_reservation = &cr;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_str(&j, "name", name);
		json_kv_str(&j, "nodes", m.nodes);
		json_kv_int(&j, "start_time", m.start_time);
		json_kv_int(&j, "end_time", m.end_time);
		json_kv_bool(&j, "maintenance", m.maintenance);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("reservation %s created: %s from %s to %s%s\n", name,
		       m.nodes, output_time(m.start_time, b1, sizeof(b1)),
		       output_time(m.end_time, b2, sizeof(b2)),
		       m.maintenance ? " (maintenance)" : "");
	}
out:
	qos_strv_free(m.users, m.n_users);
	qos_strv_free(m.accounts, m.n_accounts);
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}

/* ---- reservation list / delete ------------------------------------------ */

static const char *resv_phase(const Colossus__Reservation *r, int64_t now)
{
	if (now < r->start_time)
		return "future";
	return now < r->end_time ? "active" : "over";
}

int cmd_resv_list(struct cli *cli, int argc, char **argv)
{
	static const struct output_col cols[] = {
		{ "NAME", 0, false },	{ "STATE", 0, false },
		{ "NODES", 40, false }, { "COUNT", 0, true },
		{ "START", 0, false },	{ "END", 0, false },
		{ "FOR", 30, false },	{ "REASON", 0, false },
	};
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__ListReservations lr = COLOSSUS__LIST_RESERVATIONS__INIT;
	Colossus__Response *resp = NULL;
	const Colossus__ListReservationsReply *r;
	int64_t now = util_now_wall_s();
	struct opts_rest rest;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, OPTS_NO_POSITIONAL,
		       &rest);
	if (rc)
		return rc;
	opts_rest_free(&rest);
	req.body_case = COLOSSUS__REQUEST__BODY_LIST_RESERVATIONS;
	req.list_reservations = &lr;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY_LIST_RESERVATIONS,
		      &resp);
	if (rc)
		return rc;
	r = resp->list_reservations;
	if (cli->json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "reservations");
		json_begin_array(&j);
		for (size_t i = 0; i < r->n_reservations; i++) {
			const Colossus__Reservation *v = r->reservations[i];

			json_begin_object(&j);
			json_kv_str(&j, "name", v->name);
			json_kv_str(&j, "state", resv_phase(v, now));
			json_kv_str(&j, "nodes", v->nodes);
			json_kv_uint(&j, "node_count", v->node_count);
			json_kv_int(&j, "start_time", v->start_time);
			json_kv_int(&j, "end_time", v->end_time);
			qos_json_strv(&j, "users", v->users, v->n_users);
			qos_json_strv(&j, "accounts", v->accounts,
				      v->n_accounts);
			json_kv_bool(&j, "maintenance", v->maintenance);
			json_kv_str(&j, "reason", v->reason);
			json_kv_str(&j, "created_by", v->created_by);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else {
		struct output_table *t =
			output_table_create(cols, ARRAY_SIZE(cols));

		for (size_t i = 0; i < r->n_reservations; i++) {
			const Colossus__Reservation *v = r->reservations[i];
			char who[512], u[256], acc[256], b1[32], b2[32];
			const char *ph = resv_phase(v, now);

			qos_join(u, sizeof(u), v->users, v->n_users);
			qos_join(acc, sizeof(acc), v->accounts, v->n_accounts);
			if (v->maintenance)
				snprintf(who, sizeof(who), "maintenance");
			else
				snprintf(who, sizeof(who), "%s%s%s%s%s",
					 *u ? "users " : "", u,
					 *u && *acc ? "; " : "",
					 *acc ? "accounts " : "", acc);
			output_table_row(t);
			output_table_cell(t, OUTPUT_PLAIN, v->name);
			output_table_cell(t,
					  !strcmp(ph, "active") ? OUTPUT_GREEN
								: OUTPUT_PLAIN,
					  ph);
			output_table_cell(t, OUTPUT_PLAIN, v->nodes);
			output_table_cellf(t, OUTPUT_PLAIN, "%u",
					   v->node_count);
			output_table_cell(
				t, OUTPUT_PLAIN,
				output_time(v->start_time, b1, sizeof(b1)));
			output_table_cell(
				t, OUTPUT_PLAIN,
				output_time(v->end_time, b2, sizeof(b2)));
			output_table_cell(t, OUTPUT_PLAIN, *who ? who : "-");
			output_table_cell(t, OUTPUT_PLAIN, v->reason);
		}
		output_table_print(t, stdout, !cli->no_header, cli->color);
		output_table_destroy(t);
	}
	rpcclient_response_free(resp);
	return EXITCODE_OK;
}

int cmd_resv_delete(struct cli *cli, int argc, char **argv)
{
	Colossus__Request req = COLOSSUS__REQUEST__INIT;
	Colossus__DeleteReservation dr = COLOSSUS__DELETE_RESERVATION__INIT;
	Colossus__Response *resp = NULL;
	struct opts_rest rest;
	const char *name;
	int rc;

	rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, 0, &rest);
	if (rc)
		return rc;
	rc = qos_one_name(cli, &rest, "reservation", &name);
	if (rc)
		goto out;
	dr.name = (char *)name;
	req.body_case = COLOSSUS__REQUEST__BODY_DELETE_RESERVATION;
	req.delete_reservation = &dr;
	rc = cli_call(cli, &req, COLOSSUS__RESPONSE__BODY__NOT_SET, &resp);
	if (rc)
		goto out;
	if (cli->json)
		qos_done_json("name", name, "deleted");
	else
		printf("reservation %s deleted\n", name);
out:
	rpcclient_response_free(resp);
	opts_rest_free(&rest);
	return rc;
}
