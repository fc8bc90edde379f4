#!/bin/sh
# colossus drain and resume (issue 5, "Admin operations") through the
# real controller: only admins may drain or resume (DESIGN invariant 6:
# a user gets exit 4); a drain is in PostgreSQL when the command returns
# (invariant 1) and survives a controller SIGKILL (invariant 2); a
# drained or draining node gets no new work (invariant 5); a graceful
# drain lets running jobs finish while --now requeues only the gang that
# uses the drained rack; node, rack, pod and hostlist targets; --json
# parsed back.
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-drain 2 4
# r0001: n00001-n00004, r0002: n00005-n00008, one pod p001, hall h1.
gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
admin_of() { pg_psql "SELECT admin_state FROM nodes WHERE name = '$1'"; }
node_admin() { cli nobody nodes "$1" --json | jq_ '.nodes[0].admin_state'; }
node_admin_is() { [ "$(node_admin "$1")" = "$2" ]; }

# ---- who may drain (invariant 6) and what the command line checks
out=$(cli nobody drain node n00001 --reason test 2>&1); rc=$?
is "$rc" 4 "a user may not drain (exit 4)"
like "$out" "not allowed for role user" "and is told why"
is "$(admin_of n00001)" "none" "nothing was recorded"
is "$(rc_of cli nobody resume node n00001)" 4 "a user may not resume"
is "$(rc_of cli mon1 drain rack r0001 --reason test)" 4 "nor may a monitor"
is "$(rc_of cli admin1 drain node n00001)" 2 "a drain without --reason: usage error"
is "$(rc_of cli admin1 drain node n00001 --reason '')" 2 "an empty reason: usage error"
long=$(printf '%0300d' 0)
is "$(rc_of cli admin1 drain node n00001 --reason "$long")" 2 "a reason over 256 characters: usage error"
is "$(rc_of cli admin1 drain shelf s1 --reason x)" 2 "an unknown level: usage error"
is "$(rc_of cli admin1 drain node --reason x)" 2 "no names: usage error"
is "$(rc_of cli admin1 drain --reason x)" 2 "nothing at all: usage error"
is "$(rc_of cli admin1 resume rack r0001 --repaired)" 2 "--repaired is for nodes"
out=$(cli admin1 drain node n09999 --reason x 2>&1); rc=$?
is "$rc" 3 "an unknown node: not found (exit 3)"
like "$out" "unknown node 'n09999'" "named in the message"
is "$(rc_of cli admin1 drain rack r0099 --reason x)" 3 "an unknown rack: not found"
is "$(rc_of cli admin1 drain pod p099 --reason x)" 3 "an unknown pod: not found"
is "$(rc_of cli admin1 drain node 'n[00001-' --reason x)" 3 "a broken hostlist is refused"
is "$(pg_psql "SELECT count(*) FROM nodes WHERE admin_state <> 'none'")" 0 "no refused drain left a trace"

# ---- graceful drain: the running job finishes, nothing new starts
j1=$(cli nobody submit --quiet -N 1 -t 10m -x 'n[00002-00008]' -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$j1" running
ok $? "job $j1 runs on n00001"
out=$(cli admin1 drain node n00001 --reason 'GPU 3 fan noise')
is "$out" "node n00001: draining (1 node)" "drain prints what it did"
is "$(pg_psql "SELECT admin_state, admin_reason, drained_by FROM nodes WHERE name = 'n00001'")" \
	"draining|GPU 3 fan noise|admin1" "recorded before the command returned: state, reason, who"
is "$(job_state "$j1")" running "the running job keeps running"
is "$(node_admin n00001)" draining "nodes shows it draining"
like "$(cli nobody nodes n00001 --format name,admin,reason --no-header)" \
	"^n00001 +draining +GPU 3 fan noise$" "with the reason"
j2=$(cli nobody submit --quiet -N 1 -t 10m -x 'n[00002-00008]' -D "$OUT" -- /bin/true)
sleep 2
is "$(job_state "$j2")" pending "a job that can only use the draining node waits (invariant 5)"
touch "$gate"
wait_for 30 state_is "$j1" completed
ok $? "the running job finished normally"
wait_for 30 node_admin_is n00001 drained
ok $? "then the node is drained"
is "$(admin_of n00001)" drained "and the database says so"
is "$(job_state "$j2")" pending "the waiting job still waits"
rm -f "$gate"

# Draining again is harmless; resume puts it back.
is "$(rc_of cli admin1 drain node n00001 --reason again)" 0 "draining a drained node again is fine"
is "$(admin_of n00001)" drained "it stays drained"
json=$(cli admin1 resume node n00001 --json)
ok $? "an admin resumes it"
is "$(echo "$json" | jq_ .action .level '.targets[0].target' '.targets[0].nodes' .nodes | tr '\n' ' ')" \
	"resume node n00001 1 1 " "resume --json"
is "$(admin_of n00001)" none "resumed in the database"
wait_for 30 state_is "$j2" completed
ok $? "the waiting job ran once the node was back"

# ---- --now: only the gang on the drained rack is requeued
ga=$(cli nobody submit --quiet -N 4 -t 10m --within rack -x 'n[00005-00008]' -D "$OUT" -- "$OUT/wait.sh")
gb=$(cli nobody submit --quiet -N 2 -t 10m -x 'n[00001-00004]' -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$ga" running && wait_for 30 state_is "$gb" running
ok $? "a 4-node gang runs on r0001 and a 2-node gang on r0002"
json=$(cli admin1 drain rack r0001 --reason 'CDU pump swap' --now --json)
ok $? "drain rack --now"
is "$(echo "$json" | jq_ .action .level .reason .now '.targets[0].target' '.targets[0].nodes' .jobs_requeued | tr '\n' ' ')" \
	"drain rack CDU pump swap true r0001 4 1 " "--json: the rack, its 4 nodes, one job requeued"
# draining, or already drained if the requeued gang's ranks are gone.
like "$(pg_psql "SELECT admin_state, admin_reason, drained_by FROM racks WHERE name = 'r0001'")" \
	"^drain(ing|ed)\\|CDU pump swap\\|admin1$" "the rack drain is recorded"
requeued() { [ "$(cli nobody job show "$ga" --json | jq_ .restarts)" -ge 1 ]; }
wait_for 30 requeued
ok $? "the gang on the rack was requeued"
is "$(job_state "$gb")" running "the gang on the other rack was not touched"
ga_state=$(job_state "$ga")
case $ga_state in pending | starting | running) ok 0 "the requeued gang is $ga_state" ;; *) ok 1 "the requeued gang is $ga_state" ;; esac
no_ga_on_r1() { ! cli nobody job show "$ga" --json | jq_ .nodelist | grep -Eq 'n0000[1-4]'; }
ok "$(no_ga_on_r1 && echo 0 || echo 1)" "and it is not placed on the drained rack"
touch "$gate"
wait_for 30 state_is "$gb" completed
ok $? "the other gang completes"
rm -f "$gate"
# Draining becomes drained at the controller's next sweep once a node is
# idle: wait for it rather than race it.
rack_nodes_states() { cli nobody nodes 'n[00001-00004]' --json | jq_ '.nodes[].admin_state' | sort -u; }
rack_nodes_drained() { [ "$(rack_nodes_states)" = drained ]; }
wait_for 30 rack_nodes_drained
is "$(rack_nodes_states)" drained "every node of the rack shows drained"

# ---- drains survive a controller SIGKILL (invariants 1 and 2)
out=$(cli admin1 drain node 'n[00005-00006]' --reason 'tray swap')
is "$out" "node n[00005-00006]: draining (2 nodes)" "a hostlist target"
ctl_stop KILL
ctl_start --set nodes.lease=15s
ok $? "controller killed with SIGKILL and restarted"
is "$(node_admin n00005)" drained "the node drain survived"
like "$(cli nobody nodes n00006 --format admin,reason --no-header)" "^drained +tray swap$" "with its reason"
is "$(cli nobody racks --json | jq_ '.racks[0].admin_state')" drained "the rack drain survived"
is "$(node_admin n00007)" none "undrained nodes are still in service"

# ---- resume a rack and a pod; drain a whole pod
is "$(cli admin1 resume rack r0001)" "rack r0001: resumed (4 nodes)" "resume rack"
is "$(pg_psql "SELECT admin_state FROM racks WHERE name = 'r0001'")" none "recorded"
wait_for 30 state_is "$ga" running
ok $? "the requeued gang runs again once its rack is back"
is "$(cli nobody job show "$ga" --json | jq_ .epoch)" 2 "as a new incarnation (epoch 2, invariant 3)"
touch "$gate"
wait_for 30 state_is "$ga" completed
ok $? "and completes"
rm -f "$gate"
out=$(cli admin1 drain pod p001 --reason 'switch firmware')
is "$out" "pod p001: draining (8 nodes)" "drain a pod"
is "$(pg_psql "SELECT DISTINCT admin_state FROM racks")" drained "every rack of the pod is drained (nothing runs there)"
is "$(cli admin1 resume pod p001 --json | jq_ .nodes)" 8 "resume the pod"
is "$(pg_psql "SELECT DISTINCT admin_state FROM racks")" none "every rack is back"
is "$(cli admin1 resume node 'n[00005-00006]' --repaired --json | jq_ .repaired .nodes | tr '\n' ' ')" \
	"true 2 " "resume --repaired takes hostlists"
back() { [ "$(pg_psql "SELECT count(*) FROM nodes WHERE admin_state <> 'none'")" -eq 0 ]; }
wait_for 60 back
ok $? "repaired nodes return to service after their check"
j3=$(cli nobody submit --quiet -N 8 -t 10m -D "$OUT" -- /bin/true)
wait_for 60 state_is "$j3" completed
ok $? "an 8-node gang runs on the whole cluster again"
done_testing
