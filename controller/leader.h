/*
 * Leader election among controllers sharing one database (issue 7).
 *
 * The leader holds a PostgreSQL advisory lock on the same session that
 * carries every write, so any committed write proves the lock was held:
 * two controllers can never both commit as leader.  Taking the lock also
 * increments leader.term.
 *
 *   - A controller that cannot take the lock is a standby: it loads
 *     nothing, answers NOT_ACTIVE (clients and agents move on to the
 *     next address) and tries again every leader_retry.
 *   - A leader whose database session drops stops acting at once (no
 *     placements, kills or lease expiries; reads are served from memory)
 *     and reconnects.  If it takes the lock back and the term shows that
 *     nobody else led meanwhile, it carries on with its memory.  If
 *     another controller led (or leads), its memory is stale: it exits,
 *     to be restarted as a standby by its supervisor (fail-stop).
 */
#ifndef CONTROLLER_LEADER_H
#define CONTROLLER_LEADER_H

struct ctl;

/* The write session is up / gone (from the pgq state callback). */
void leader_db_up(struct ctl *ctl);
void leader_db_down(struct ctl *ctl);
void leader_fini(struct ctl *ctl);
/* SIGCHLD: a migration child finished. */
void leader_child_exited(struct ctl *ctl);

#endif
