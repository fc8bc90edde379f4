#!/bin/sh
# The agent's controller link: it walks its list of controller addresses
# until one answers (a dead first address does not keep it out), and
# when the controller dies it reconnects, with backoff, and registers
# again with what it still runs, so the running job carries on and
# completes.  Protects DESIGN invariant 2 on the node side (after a
# controller restart, reconciliation with the agents' reports rebuilds
# what runs where) and "a controller restart never kills healthy jobs".
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentlink
ctl_start
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
ok $? "topology applied"
# Nothing listens on port 1.
agent_start n00001 --set "agent.controllers=127.0.0.1:1,127.0.0.1:$CTL_PORT"
ok $? "the agent registered"
LOG=$T/agents/n00001/agent.log
grep -q "registered with controller 127.0.0.1:$CTL_PORT" "$LOG"
ok $? "through the second address, after the first failed"
mkdir -p "$T/out" && chmod 1777 "$T/out"

registrations() { grep -c 'registered with controller' "$LOG"; }
more_registrations() { [ "$(registrations)" -gt "$1" ]; }
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
started() { [ -s "$T/out/pid.$1" ]; }

cat > "$T/out/wait.sh" <<EOF
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID
i=0
while [ ! -e $T/out/go.\$COLOSSUS_JOB_ID ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
EOF
chmod 755 "$T/out/wait.sh"
id=$(cli nobody submit --quiet -D "$T/out" -- "$T/out/wait.sh")
wait_for 30 started "$id"
ok $? "job $id is running"
pid=$(cat "$T/out/pid.$id")

before=$(registrations)
ctl_stop KILL
ok 0 "controller killed with SIGKILL"
lost() { grep -q "lost controller" "$LOG"; }
wait_for 20 lost
ok $? "the agent noticed"
kill -0 "$pid"
ok $? "the rank keeps running without a controller"
ctl_start
ok $? "controller restarted on the same port"
wait_for 60 more_registrations "$before"
ok $? "the agent reconnected and registered again"
wait_for 30 state_is "$id" running
ok $? "the job is still running"
touch "$T/out/go.$id"
wait_for 30 state_is "$id" completed
ok $? "and completes"
is "$(pg_psql "SELECT epoch FROM jobs WHERE id = $id")" "1" "it was never restarted (epoch 1)"
done_testing
