#!/bin/sh
# The leader's database session stops answering (its backend frozen, as
# behind a network partition).  The controller notices within
# [database] liveness_timeout and stops acting (it may have lost its
# lock: no split brain), reconnects, finds the lock still held by its own
# stale session, ends that session, takes the lock back in the next term
# and resumes; the running job is undisturbed.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init ha-stale
ctl_start --set database.liveness_timeout=2s
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
agent_start n00001
ok $? "cluster up"
mkdir -p "$T/out" && chmod 1777 "$T/out"
run=$(cli nobody submit --quiet -N 1 -D "$T/out" -- /bin/sh -c 'sleep 8')
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
wait_for 30 state_is "$run" running
ok $? "a job is running"

backend=$(pg_psql "SELECT pid FROM pg_stat_activity WHERE application_name = 'colossus-controller:test-controller'")
ok "$([ -n "$backend" ]; echo $?)" "found the controller's backend ($backend)"
kill -STOP "$backend"
wait_for 20 grep -q 'no answer from the server' "$T/controller.log"
ok $? "the controller noticed the silent session"
wait_for 20 grep -q "own stale session (backend pid $backend)" "$T/controller.log"
ok $? "it found its own stale session holding the lock and ends it"
kill -CONT "$backend"
wait_for 20 grep -q 'lock taken back (term 2)' "$T/controller.log"
ok $? "it took the lock back in the next term"
wait_for 30 state_is "$run" completed
ok $? "the running job completed undisturbed"
is "$(pg_psql "SELECT epoch FROM jobs WHERE id = $run")" "1" "never requeued (epoch 1)"
is "$(pg_psql "SELECT holder || ' ' || term FROM leader")" "test-controller 2" "the leader row shows term 2"
done_testing
