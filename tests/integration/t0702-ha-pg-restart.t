#!/bin/sh
# PostgreSQL stops under load, longer than a node lease, and comes back.
# While it is away: writes get a clear "unavailable, retry" error (never
# a false success), reads are answered from memory, running jobs keep
# running and heartbeats keep nodes alive (invariant 4: no node is
# declared down for the controller's own outage).  Once it is back the
# controller resumes by itself and no acknowledged change is lost
# (invariant 1).
. "$top_srcdir/tests/lib/cluster.sh"
. "$top_srcdir/tests/lib/ha.sh"
cluster_init ha-pg-restart
# A 10 s lease: the outage below outlasts it, and reads are served from
# memory for half of it.
ctl_start --set nodes.lease=10s
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
for n in n00001 n00002; do agent_start "$n"; done
ok $? "cluster up"
mkdir -p "$T/out" && chmod 1777 "$T/out"
run=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh -c 'sleep 12; echo done-$RANK')
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
wait_for 30 state_is "$run" running
ok $? "a 2-node job is running"
held=$(cli nobody submit --quiet --hold -J victim -- /bin/true)
ok $? "a held job to cancel later"

submitters_start 2
sleep 1
pg_crash
ok 0 "PostgreSQL shut down at once (SIGQUIT) under load"
wait_for 10 grep -q 'db: unavailable' "$T/controller.log"
ok $? "the controller noticed"
out=$(cli nobody --timeout 2 jobs --json 2>&1)
ok $? "a listing is answered from memory while the database is away" || diag "$out"
like "$out" "\"id\": *$held[,}]" "... and shows the jobs"
out=$(cli nobody --timeout 2 cancel "$held" 2>&1)
is "$?" "5" "a cancel gets the 'unavailable' exit code"
like "$out" "unavailable" "... with a message that says to retry"
sleep 10
pg_server_start
ok $? "PostgreSQL restarted after more than the 10 s lease"
wait_for 30 grep -q 'lock taken back' "$T/controller.log"
ok $? "the controller took its leader lock back by itself"
sleep 2
submitters_stop

cli nobody cancel "$held" >/dev/null
ok $? "the cancel succeeds once the database is back"
wait_for 30 state_is "$held" cancelled
ok $? "... and is recorded"
problems=$(check_acked_jobs)
is "$problems" "" "every acknowledged submission survived the outage, none twice"
wait_for 40 state_is "$run" completed
ok $? "the running job was not disturbed and completed"
is "$(pg_psql "SELECT epoch FROM jobs WHERE id = $run")" "1" "it was never requeued (epoch 1)"
is "$(cat "$T/out/colossus-$run-0.out" "$T/out/colossus-$run-1.out" 2>/dev/null | tr '\n' ' ')" "done-0 done-1 " "both ranks finished their work"
downs=$(pg_psql "SELECT count(*) FROM events WHERE kind = 'node_down'")
is "$downs" "0" "no node was declared down"
done_testing
