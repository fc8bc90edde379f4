/*
 * Leader election.  See leader.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "controller/ctl.h"
#include "controller/events.h"
#include "controller/job.h"
#include "controller/leader.h"
#include "controller/load.h"
#include "controller/migrations.h"
#include "controller/node.h"
#include "controller/peer.h"
#include "common/rpcconn.h"
#include "controller/submitq.h"

/* Shared by every controller of a cluster: "COLL" in ASCII. */
#define LEADER_LOCK_KEY "1129270348"

static void leader_try(struct ctl *ctl);
static void leader_step_down(struct ctl *ctl, const char *why) NORETURN;

static void leader_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	leader_try(arg);
}

static void leader_schedule(struct ctl *ctl, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!ctl->leader_ev)
		ctl->leader_ev = evtimer_new(ctl->base, leader_retry_cb, ctl);
	evtimer_add(ctl->leader_ev, &tv);
}

/*
 * Half a lease into a database outage, a leader lets its agents go: if
 * another controller took over meanwhile (this one could be cut off from
 * PostgreSQL while its peer is not), the agents must find it before that
 * one's grace runs out and it declares their nodes down.  With no other
 * controller they simply come back here and re-register once the
 * database returns.
 */
static void leader_release_agents_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *ctl = arg;
	struct peer **agents;
	int n = 0;

	(void)fd;
	(void)what;
	if (ctl->active || ctl->blip_agents_released)
		return;
	ctl->blip_agents_released = true;
	agents = xcalloc((size_t)ctl->npeers + 1, sizeof(*agents));
	for (struct peer *p = ctl->peers; p; p = p->next)
		if (p->node && !p->closed) {
			peer_ref(p);
			agents[n++] = p;
		}
	log_warn("leader: database unavailable for half a lease; releasing "
		 "%d agent connections so they can find the active controller",
		 n);
	for (int i = 0; i < n; i++) {
		if (agents[i]->node)
			node_disconnected(ctl, agents[i]->node, agents[i],
					  "database unavailable");
		rpcconn_close(agents[i]->conn,
			      "controller lost its database session");
		peer_unref(agents[i]);
	}
	free(agents);
}

static void leader_step_down(struct ctl *ctl, const char *why)
{
	log_err("leader: %s; this controller's memory is stale: exiting so "
		"that it is restarted as a standby (fail-stop)",
		why);
	/* Nothing may act after this point: no flush, no goodbye. */
	(void)ctl;
	_exit(3);
}

static void leader_term_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;
	int64_t term;

	if (!r->ok || pgq_ntuples(r, 0) != 1) {
		log_err("leader: cannot record the leader term: %s",
			r->ok ? "no leader row" : r->error);
		leader_step_down(ctl, "the leader term could not be recorded");
	}
	term = strtoll(pgq_value(r, 0, 0, 0), NULL, 10);
	ctl->standby = false;
	ctl->leader = true;
	if (ctl->model_loaded) {
		/* Back after a database blip: did anyone lead meanwhile? */
		if (term != ctl->term + 1)
			leader_step_down(ctl, "another controller led while "
					      "this one was disconnected");
		ctl->term = term;
		ctl->active = ctl->loaded;
		ctl->blip_agents_released = false;
		if (ctl->blip_ev)
			evtimer_del(ctl->blip_ev);
		node_grace_begin(ctl);
		log_info("leader: lock taken back (term %" PRId64 "); "
			 "resuming",
			 term);
		if (!ctl->loaded) {
			load_dep_states(ctl);
			return;
		}
		job_flush_dirty(ctl);
		submitq_db_up(ctl->submitq);
		events_kick(ctl->events);
		ctl_sched_soon(ctl);
		return;
	}
	ctl->term = term;
	log_info("leader: this controller leads (term %" PRId64 ")", term);
	ctl_event(ctl, "controller_active", "info", ctl->id, 0, 0, 0,
		  "took the leader lock");
	load_start(ctl);
}

/* Third step: a new term, on the session that holds the lock. */
static void leader_take_term(struct ctl *ctl)
{
	const char *vals[1] = { ctl->id };
	struct err e;

	if (pgq_submit(ctl->db,
		       "UPDATE leader SET term = term + 1, holder = $1, "
		       "since = now() WHERE id = 1 RETURNING term",
		       1, vals, leader_term_done, ctl, &e) < 0)
		leader_db_down(ctl);
}

static void leader_run_migrations(struct ctl *ctl)
{
	char set[8192];
	pid_t pid;

	snprintf(set, sizeof(set), "database.conninfo=%s",
		 ctl->cfg.db ? ctl->cfg.db : "");
	pid = fork();
	if (pid < 0) {
		leader_step_down(ctl, "cannot fork the schema migration");
	}
	if (pid == 0) {
		char *argv[] = { ctl->self_exe,
				 (char *)"-c",
				 ctl->config_path,
				 (char *)"--set",
				 set,
				 (char *)"--migrate-only",
				 NULL };

		execv(ctl->self_exe, argv);
		_exit(127);
	}
	ctl->migrate_pid = pid;
	log_info("leader: applying schema migrations (pid %d) before loading",
		 (int)pid);
}

void leader_child_exited(struct ctl *ctl)
{
	int status;
	pid_t pid;

	if (!ctl->migrate_pid)
		return;
	pid = waitpid(ctl->migrate_pid, &status, WNOHANG);
	if (pid != ctl->migrate_pid)
		return;
	ctl->migrate_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		leader_step_down(ctl, "the schema migration failed");
	leader_take_term(ctl);
}

/* Second step: the leader runs pending migrations (a newer release
 * taking over from an older one), in a child so the loop never blocks. */
static void leader_check_schema_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;
	bool pending = false;

	if (!r->ok) {
		/* No schema_version at all: a brand new database. */
		leader_run_migrations(ctl);
		return;
	}
	for (const struct migration *m = migrations; m->version; m++) {
		bool have = false;

		for (int i = 0; i < pgq_ntuples(r, 0); i++)
			have |= atoi(pgq_value(r, 0, i, 0)) == m->version;
		pending |= !have;
	}
	if (pending)
		leader_run_migrations(ctl);
	else
		leader_take_term(ctl);
}

static void leader_terminate_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;

	if (!r->ok)
		log_warn("leader: cannot end the stale session: %s", r->error);
	leader_schedule(ctl, 200);
}

/*
 * The lock is held by a session named like ours: this controller's own
 * session from before a network blip, which the server has not yet
 * noticed is dead (keepalives take seconds).  This process stopped acting
 * when it lost it, so ending it is safe, and much faster than waiting.
 */
static void leader_end_stale_session(struct ctl *ctl, const char *pid)
{
	const char *vals[1] = { pid };
	struct err e;

	log_warn("leader: the lock is held by this controller's own stale "
		 "session (backend pid %s); ending it",
		 pid);
	if (pgq_submit(ctl->db, "SELECT pg_terminate_backend($1::int)", 1,
		       vals, leader_terminate_done, ctl, &e) < 0)
		leader_db_down(ctl);
}

static void leader_try_done(const struct pgq_result *r, void *arg)
{
	struct ctl *ctl = arg;
	const char *got = r->ok ? pgq_value(r, 0, 0, 0) : NULL;
	const char *holder_pid = r->ok ? pgq_value(r, 0, 0, 1) : NULL;
	const char *holder_app = r->ok ? pgq_value(r, 0, 0, 2) : NULL;
	const char *own_app = r->ok ? pgq_value(r, 0, 0, 3) : NULL;
	struct err e;

	if (!r->ok) {
		log_sub(LOG_SUB_DB, "leader: lock attempt failed: %s",
			r->error);
		if (ctl->db_up)
			leader_schedule(ctl, 1000);
		return;
	}
	if (!got || strcmp(got, "t")) {
		if (holder_pid && holder_app && own_app &&
		    !strcmp(holder_app, own_app)) {
			leader_end_stale_session(ctl, holder_pid);
			return;
		}
		/* Someone else leads. */
		if (ctl->model_loaded)
			leader_step_down(ctl, "another controller took the "
					      "leader lock");
		if (!ctl->standby)
			log_info("leader: another controller (%s) is active; "
				 "standing by",
				 holder_app ? holder_app : "?");
		ctl->standby = true;
		leader_schedule(ctl, (unsigned)ctl->cfg.leader_retry_ms);
		return;
	}
	if (pgq_submit(ctl->db, "SELECT version FROM schema_version", 0, NULL,
		       leader_check_schema_done, ctl, &e) < 0)
		leader_db_down(ctl);
}

static void leader_try(struct ctl *ctl)
{
	const char *vals[1] = { LEADER_LOCK_KEY };
	struct err e;

	if (!ctl->db_up || ctl->leader || ctl->migrate_pid)
		return;
	/*
	 * Session level: the lock lives as long as this connection.  The
	 * server-side keepalives make PostgreSQL drop (and unlock) a leader
	 * cut off by the network within ~25 s; the leader itself stops
	 * acting within [database] liveness_timeout, well before.  When the
	 * lock is taken, say by whom: our own stale session is handled.
	 */
	if (pgq_submit(ctl->db,
		       "SELECT pg_try_advisory_lock($1::bigint), h.pid, "
		       "h.application_name, current_setting('application_name') "
		       "FROM (SELECT set_config('tcp_keepalives_idle', '10', "
		       "false), set_config('tcp_keepalives_interval', '3', "
		       "false), set_config('tcp_keepalives_count', '5', false)) "
		       "AS keepalives LEFT JOIN LATERAL ("
		       "SELECT a.pid, a.application_name FROM pg_locks l "
		       "JOIN pg_stat_activity a ON a.pid = l.pid "
		       "WHERE l.locktype = 'advisory' AND l.granted AND "
		       "l.classid = 0 AND l.objid::bigint = $1::bigint AND "
		       "l.objsubid = 1 AND l.pid <> pg_backend_pid() LIMIT 1"
		       ") AS h ON true",
		       1, vals, leader_try_done, ctl, &e) < 0)
		leader_schedule(ctl, 1000);
}

void leader_db_up(struct ctl *ctl)
{
	leader_try(ctl);
}

void leader_db_down(struct ctl *ctl)
{
	/* The lock went with the session: stop acting at once. */
	if (ctl->leader)
		log_warn("leader: database session lost: not acting until the "
			 "lock is taken back");
	if (ctl->leader && ctl->model_loaded) {
		struct timeval tv = { (time_t)(ctl->cfg.lease_sec / 2),
				      (suseconds_t)(ctl->cfg.lease_sec % 2) *
					      500000 };

		if (!ctl->blip_ev)
			ctl->blip_ev = evtimer_new(
				ctl->base, leader_release_agents_cb, ctl);
		evtimer_add(ctl->blip_ev, &tv);
	}
	ctl->leader = false;
	ctl->active = false;
}

void leader_fini(struct ctl *ctl)
{
	if (ctl->leader_ev)
		event_free(ctl->leader_ev);
	if (ctl->blip_ev)
		event_free(ctl->blip_ev);
	ctl->leader_ev = ctl->blip_ev = NULL;
}
