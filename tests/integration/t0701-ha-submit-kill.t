#!/bin/sh
# Invariant 1 (an acknowledged submission is durable): the controller is
# killed with SIGKILL in the middle of a burst of submissions from four
# concurrent clients, then restarted.  Every job a client got an id for
# is in the database, and no job appears twice: a submission whose
# answer was lost is retried by the CLI with the same key (idempotent).
. "$top_srcdir/tests/lib/cluster.sh"
. "$top_srcdir/tests/lib/ha.sh"
cluster_init ha-submit-kill
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "controller up with a topology"

submitters_start 4
wait_for 30 sh -c "cat '$T'/acked-[0-9]* | wc -l | grep -qv '^0$'"
sleep 1
before=$(acked_ids | wc -l)
ctl_stop KILL
ok 0 "controller killed with SIGKILL during the burst ($before acknowledged so far)"
sleep 0.5
ctl_start
ok $? "controller restarted"
sleep 2
submitters_stop
total=$(acked_ids | wc -l)
ok "$([ "$total" -gt "$before" ]; echo $?)" "submissions went on after the restart ($total acknowledged in all)"

problems=$(check_acked_jobs)
is "$problems" "" "every acknowledged job is in the database, none twice"
is "$(check_unexplained_jobs)" "" "every job in the database was submitted by a client"
# A CLI that gave up while the controller was dead may still have had its
# job committed (durable, answer lost): the list matches the database,
# which holds every acknowledged job and possibly such unanswered ones.
in_db=$(pg_psql "SELECT count(*) FROM jobs WHERE name LIKE 'burst-%'")
listed=$(cli nobody jobs --all --json | grep -c '"name": *"burst-')
is "$listed" "$in_db" "the restarted controller lists every job in the database"
ok "$([ "$listed" -ge "$total" ]; echo $?)" "listed ($listed) covers the $total acknowledged jobs"
# The ones submitted across the kill: their ids were never reused.
dup_ids=$(acked_ids | cut -d' ' -f1 | sort | uniq -d)
is "$dup_ids" "" "no id was handed out twice"
done_testing
