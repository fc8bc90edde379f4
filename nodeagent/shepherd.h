/*
 * The shepherd: one process per job incarnation on a node, started by the
 * agent as "colossus-nodeagent --shepherd DIR".  It starts the local ranks
 * (dropping to the job's user in each child), waits for them as their
 * subreaper, records every exit in DIR, kills whatever the ranks left
 * behind, and writes DIR/done.  It outlives agent restarts, which is how
 * exit codes are never lost.
 */
#ifndef NODEAGENT_SHEPHERD_H
#define NODEAGENT_SHEPHERD_H

/* Runs the shepherd for the workload in dir; returns the exit status. */
int shepherd_main(const char *dir);

/*
 * Expand %j (job id), %r (rank), %e (epoch), %n (node), %% in an output
 * path pattern into out.  Returns 0, or -1 if it does not fit or has an
 * unknown escape.
 */
int shepherd_expand_path(const char *pattern, unsigned long long job,
			 unsigned rank, unsigned epoch, const char *node,
			 char *out, size_t len);

#endif
