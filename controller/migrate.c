/*
 * Applying schema migrations at start.  This is the one place where the
 * controller talks to PostgreSQL synchronously: it runs before the event
 * loop exists, so nothing can be blocked by it.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "controller/migrations.h"

/* Arbitrary constant shared by every controller: "COLO" in ASCII. */
#define MIGRATE_LOCK_KEY "1129270351"

int migrate_latest(void)
{
	int v = 0;

	for (const struct migration *m = migrations; m->version; m++)
		if (m->version > v)
			v = m->version;
	return v;
}

static int migrate_exec(PGconn *conn, const char *sql, struct err *e)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = err_set(e, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/*
 * The versions already applied.  Migrations are a set, not a counter:
 * one numbered below an applied one (merged from another branch) still
 * runs.  Returns the count, or -1 with e set; *vs is caller-freed.
 */
static int migrate_applied(PGconn *conn, int **vs, struct err *e)
{
	PGresult *res;
	int n;

	*vs = NULL;
	if (migrate_exec(conn,
			 "CREATE TABLE IF NOT EXISTS schema_version ("
			 " version integer PRIMARY KEY,"
			 " name text NOT NULL,"
			 " applied_at timestamptz NOT NULL DEFAULT now())",
			 e) < 0)
		return -1;
	res = PQexec(conn, "SELECT version FROM schema_version ORDER BY 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		err_set(e, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	*vs = calloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n && *vs; i++)
		(*vs)[i] = atoi(PQgetvalue(res, i, 0));
	PQclear(res);
	return n;
}

/* The leader lock's key (leader.c); free means nobody leads now. */
#define LEADER_KEY "1129270348"

static bool migrate_leader_free(PGconn *conn)
{
	PGresult *res = PQexec(conn, "SELECT pg_try_advisory_lock(" LEADER_KEY
				     ")");
	bool free_ = PQresultStatus(res) == PGRES_TUPLES_OK &&
		     !strcmp(PQgetvalue(res, 0, 0), "t");

	PQclear(res);
	return free_;
}

static bool migrate_known(const int *vs, int n, int version)
{
	for (int i = 0; i < n; i++)
		if (vs[i] == version)
			return true;
	return false;
}

static int migrate_apply(PGconn *conn, const struct migration *m,
			 struct err *e)
{
	char version[16];
	const char *params[2] = { version, m->name };
	PGresult *res;

	snprintf(version, sizeof(version), "%d", m->version);
	if (migrate_exec(conn, "BEGIN", e) < 0)
		return -1;
	if (migrate_exec(conn, m->sql, e) < 0)
		goto fail;
	res = PQexecParams(conn,
			   "INSERT INTO schema_version (version, name) "
			   "VALUES ($1, $2)",
			   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err_set(e, "%s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (migrate_exec(conn, "COMMIT", e) < 0)
		goto fail;
	log_info("db: applied migration %s", m->name);
	return 0;
fail:
	{
		struct err ignored;

		(void)migrate_exec(conn, "ROLLBACK", &ignored);
	}
	return err_prefix(e, "migration %s", m->name);
}

/* Server notices ("relation exists, skipping") go to the debug log. */
static void migrate_notice(void *arg, const char *msg)
{
	(void)arg;
	log_sub(LOG_SUB_DB, "db notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

int migrate_run(const char *conninfo, bool force, struct err *e)
{
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { conninfo, "colossus-migrate", NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	int napplied, latest = migrate_latest();
	int *applied = NULL;
	int rc = -1;

	if (PQstatus(conn) != CONNECTION_OK) {
		err_set(e, "cannot connect to database: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, migrate_notice, NULL);
	if (migrate_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
			 e) < 0)
		goto out;
	napplied = migrate_applied(conn, &applied, e);
	if (napplied < 0)
		goto unlock;
	for (int i = 0; i < napplied; i++) {
		bool known = false;

		for (const struct migration *m = migrations; m->version; m++)
			known |= m->version == applied[i];
		if (!known) {
			err_set(e,
				"database has schema migration %d, which this "
				"controller does not know (it knows up to %d): "
				"upgrade the controller",
				applied[i], latest);
			goto unlock;
		}
	}
	/*
	 * Only the leader changes the schema.  When another controller
	 * leads, this one (a standby, perhaps of a newer release) leaves it:
	 * it migrates when it takes over (leader.c).
	 */
	if (!force && !migrate_leader_free(conn)) {
		log_info("db: another controller leads; migrations, if any, "
			 "run when this one takes over");
		rc = latest;
		goto unlock;
	}
	for (const struct migration *m = migrations; m->version; m++) {
		if (migrate_known(applied, napplied, m->version))
			continue;
		if (migrate_apply(conn, m, e) < 0)
			goto release;
	}
	rc = latest;
release:
	if (!force) {
		struct err ignored;

		(void)migrate_exec(conn,
				   "SELECT pg_advisory_unlock(" LEADER_KEY ")",
				   &ignored);
	}
unlock:
	{
		struct err ignored;

		(void)migrate_exec(conn,
				   "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY
				   ")",
				   &ignored);
	}
out:
	free(applied);
	PQfinish(conn);
	return rc;
}
