#!/bin/sh
# Return to service (issue 5; DESIGN invariants 1 and 5): a node drained
# by the health policy that comes back with a new boot id first runs its
# validation (the site's [health] validation_command, or the agent's own
# GPU self-check) and returns to service only if it passes; one that
# fails again within the return window is flagged for replacement (rma)
# and stays drained even after another reboot; an admin's
# `resume --repaired` clears the flag and validates again.  No admin
# clears routine drains by hand.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthreturn
ctl_start --set health.breaker_node_pct=100
cli root topology apply "$(cluster_small_topology 1 3)" >/dev/null
ok $? "topology applied"
cat > "$T/validate.sh" <<EOF2
#!/bin/sh
echo "checking \$COLOSSUS_NODE_NAME (\$COLOSSUS_VALIDATION_REASON)"
echo "site check: \$(cat $T/validate.msg)"
exit \$(cat $T/validate.rc)
EOF2
chmod 755 "$T/validate.sh"
echo 0 > "$T/validate.rc"; echo "all good" > "$T/validate.msg"
boot() { cat /proc/sys/kernel/random/uuid > "$T/boot.$1"; }
start1() { agent_start n00001 --set "agent.boot_id_file=$T/boot.n00001" --set "health.validation_command=$T/validate.sh"; }
start2() { agent_start n00002 --set "agent.boot_id_file=$T/boot.n00002" "$@"; }
boot n00001; boot n00002
start1 && start2 && agent_start n00003
ok $? "three agents registered (n00001 with a site validation command)"

ncol() { pg_psql "SELECT $2 FROM nodes WHERE name = '$1'"; }
ncol_is() { [ "$(ncol "$1" "$2")" = "$3" ]; }
events() { pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
last_reason() { pg_psql "SELECT reason FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2' ORDER BY e.id DESC LIMIT 1"; }
more_events() { [ "$(events "$1" "$2")" -gt "$3" ]; }
reboot() { # NODE START-FUNCTION [ARGS]: the agent stops, the node gets a new boot id
	_n=$1; shift
	agent_stop "$_n"; boot "$_n"; "$@"
}

# ---- drained by a fault, back after a reboot and a passing check -----------------------
agent_control n00001 gpu xid 1 79 >/dev/null
wait_for 30 ncol_is n00001 admin_state drained
ok $? "XID 79: n00001 drained by the health policy"
is "$(ncol n00001 drained_by)" "health" "drained_by health"
agent_stop n00001
start1
ok $? "the agent comes back with the same boot id (not rebooted)"
wait_for 5 ncol_is n00001 state up
is "$(ncol n00001 admin_state)" "drained" "no reboot, no validation: still drained"
reboot n00001 start1
ok $? "n00001 rebooted (a new boot id)"
wait_for 30 ncol_is n00001 admin_state none
ok $? "n00001 is back in service"
is "$(events n00001 node_validating)" "1" "after one validation"
like "$(last_reason n00001 node_resume)" "validation passed: validation command passed \\(exit 0\\): site check: all good" "the event quotes the site check"
grep -q "validation requested (.*XID 79" "$T/agents/n00001/agent.log"
ok $? "the agent was told why"

# ---- fails again within the return window: rma, stays drained --------------------------------
agent_control n00001 gpu xid 1 79 >/dev/null
wait_for 30 ncol_is n00001 admin_state drained
ok $? "XID 79 again: n00001 drained"
like "$(ncol n00001 flags)" "rma" "flagged for replacement (failed again soon after returning)"
wait_for 10 more_events n00001 node_rma 0
ok $? "a node_rma event"
n=$(events n00001 node_validating)
reboot n00001 start1
ok $? "n00001 rebooted again"
wait_for 5 ncol_is n00001 state up
is "$(events n00001 node_validating)" "$n" "a node waiting for replacement is not validated"
is "$(ncol n00001 admin_state)" "drained" "it stays drained"

# ---- the admin repairs it: --repaired validates first -------------------------------------------
echo 1 > "$T/validate.rc"; echo "GPU 1 HBM test failed" > "$T/validate.msg"
n=$(events n00001 node_validation_failed)
out=$(cli admin1 resume node n00001 --repaired 2>&1)
ok $? "admin resumes n00001 --repaired ($out)"
wait_for 30 more_events n00001 node_validation_failed "$n"
ok $? "the site check fails: a node_validation_failed event"
like "$(last_reason n00001 node_validation_failed)" "exit 1.*GPU 1 HBM test failed" "it says why"
is "$(ncol n00001 admin_state)" "drained" "n00001 stays drained"
unlike "$(ncol n00001 flags)" "rma" "the repair cleared the rma flag"
echo 0 > "$T/validate.rc"; echo "HBM replaced, all good" > "$T/validate.msg"
cli admin1 resume node n00001 --repaired >/dev/null 2>&1
wait_for 30 ncol_is n00001 admin_state none
ok $? "after a passing check it is back in service"

# ---- the built-in GPU self-check ----------------------------------------------------------
agent_control n00002 gpu lost 4 >/dev/null
wait_for 30 ncol_is n00002 admin_state drained
ok $? "GPU 4 lost: n00002 drained"
# It comes back short of a GPU (as the site expects 9 here): the check fails.
n=$(events n00002 node_validation_failed)
reboot n00002 start2 --set health.expected_gpus=9
wait_for 30 more_events n00002 node_validation_failed "$n"
ok $? "the self-check fails"
like "$(last_reason n00002 node_validation_failed)" "8 GPUs visible, 9 expected" "it names what is wrong"
is "$(ncol n00002 admin_state)" "drained" "n00002 stays drained"
reboot n00002 start2
wait_for 30 ncol_is n00002 admin_state none
ok $? "after another reboot with every GPU healthy it returns by itself"
like "$(last_reason n00002 node_resume)" "GPU self-check: 8 GPUs healthy" "the self-check passed"
is "$(pg_psql "SELECT count(*) FROM events WHERE kind = 'node_resume' AND actor NOT IN ('health', 'admin1')")" "0" "no one else had to resume anything"
done_testing
