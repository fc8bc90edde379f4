#!/bin/sh
# Two controllers on one database: exactly one is active (the advisory
# lock); the other answers "not active".  SIGKILL the active one: the
# standby takes the lock, reloads from PostgreSQL and serves; running
# jobs keep running (invariant 4: a fresh leader grants every node a full
# lease), and the agents and the CLI, configured with both addresses,
# follow it.
. "$top_srcdir/tests/lib/cluster.sh"
. "$top_srcdir/tests/lib/ha.sh"
cluster_init ha-failover
ctl_start
ctl_b_start
ok $? "a second controller started"
wait_for 30 grep -q 'standing by' "$T/controller-b.log"
ok $? "... and stands by"
CTL_ADDRS="127.0.0.1:$CTL_PORT,127.0.0.1:$CTL_B_PORT"
export CTL_ADDRS
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied through the pair"
for n in n00001 n00002; do agent_start "$n"; done
ok $? "agents registered"

out=$("$CLI_BIN" --controller "127.0.0.1:$CTL_B_PORT" --timeout 1 --ca "$T/pki/ca.pem" \
	--cert "$T/pki/nobody.pem" --key "$T/pki/nobody.key" jobs 2>&1)
is "$?" "5" "the standby alone refuses to serve"
like "$out" "standby" "... and says it is a standby"

mkdir -p "$T/out" && chmod 1777 "$T/out"
run=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh -c 'sleep 10; echo done-$RANK')
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
wait_for 30 state_is "$run" running
ok $? "a 2-node job is running"

ctl_stop KILL
ok 0 "active controller killed with SIGKILL"
wait_for 30 grep -q 'active: serving' "$T/controller-b.log"
ok $? "the standby took over"
like "$(grep 'this controller leads' "$T/controller-b.log")" "term 2" "... in a new leader term"
for n in n00001 n00002; do
	wait_for 30 grep -q "registered with controller 127.0.0.1:$CTL_B_PORT" "$T/agents/$n/agent.log"
	ok $? "agent $n followed it"
done
cli nobody jobs >/dev/null
ok $? "the CLI with both addresses follows it"
wait_for 40 state_is "$run" completed
ok $? "the running job kept running and completed"
is "$(pg_psql "SELECT epoch FROM jobs WHERE id = $run")" "1" "it was never requeued (epoch 1)"
is "$(cat "$T/out/colossus-$run-0.out" "$T/out/colossus-$run-1.out" 2>/dev/null | tr '\n' ' ')" "done-0 done-1 " "both ranks finished their work"
next=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh -c 'echo again-$RANK')
wait_for 30 state_is "$next" completed
ok $? "a new gang job runs to completion under the new leader"
is "$(pg_psql "SELECT holder || ' ' || term FROM leader")" "test-controller-b 2" "the leader row names the new leader"
done_testing
