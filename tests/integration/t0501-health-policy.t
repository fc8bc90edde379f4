#!/bin/sh
# The health policy, one rule of each class (issue 5; DESIGN invariant
# 5, nothing unhealthy gets new work): a fatal XID drains and requeues,
# an application-class XID is recorded only, a burst of XIDs is one
# incident judged by its worst, a double-bit ECC event drains, a reading
# past a threshold (temperature at shutdown-2) drains, a pending row
# remap degrades (no multi-node gangs), and an agent that sees fewer GPUs
# than the topology gives its node is unhealthy until it sees them all.
# An invalid policy file is refused at start with its file and line.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthpolicy
ctl_start --set health.breaker_node_pct=100
cli root topology apply "$(cluster_small_topology 1 7)" >/dev/null
ok $? "topology applied: 7 nodes"
for i in 1 2 3 4 5 6 7; do agent_start n0000$i; done
ok $? "seven agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"

nfield() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*{\"name\":\"$1\"[^}]*\"$2\":\"\{0,1\}\([^\",]*\).*/\1/p"; }
node_is() { [ "$(nfield "$1" "$2")" = "$3" ]; }
events() { pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
has_event() { [ "$(events "$1" "$2")" -ge "${3:-1}" ]; }
reason() { pg_psql "SELECT string_agg(reason, ' | ' ORDER BY e.id) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
gpu() { _n=$1; shift; agent_control "$_n" gpu "$@" >/dev/null; }
jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
job_is() { [ "$(jfield "$1" state)" = "$2" ]; }

# ---- an invalid policy is refused with file and line --------------------------
printf '# site policy\nxid 79 -> drain\ntemp >= hot -> drain\n' > "$T/bad.policy"
out=$(timeout 30 "$CONTROLLER_BIN" -c "$T/controller.conf" --set "health.policy_file=$T/bad.policy" --set controller.listen=127.0.0.1:0 2>&1)
[ $? -ne 0 ]
ok $? "a controller with an invalid policy file does not start"
like "$out" "bad.policy:3: .*bad value 'hot'" "the error names the file and line"

# ---- application-class XID: recorded, never drains ------------------------------
gpu n00001 xid 0 13
wait_for 20 has_event n00001 xid
ok $? "XID 13 recorded as an event"
like "$(reason n00001 xid)" "XID 13" "naming the XID"
is "$(pg_psql "SELECT severity FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = 'n00001' AND e.kind = 'xid'")" "info" "as information"
is "$(nfield n00001 admin_state) $(nfield n00001 health)" "none ok" "n00001 stays in service"

# ---- a burst is one incident, judged by its worst XID ---------------------------
gpu n00002 xid 1 45
gpu n00002 xid 1 48
gpu n00002 xid 1 63
wait_for 30 node_is n00002 admin_state drained
ok $? "XIDs 45, 48, 63 in a burst: n00002 drained"
wait_for 10 has_event n00002 node_drain
is "$(events n00002 node_drain)" "1" "one drain"
like "$(reason n00002 node_drain)" "XID 48" "for XID 48, the worst of the burst"
is "$(events n00002 health)" "1" "one incident"

# ---- double-bit ECC event -------------------------------------------------------
gpu n00003 ecc 2 dbe 1
wait_for 30 node_is n00003 admin_state drained
ok $? "a double-bit ECC error drains n00003"
like "$(reason n00003 node_drain)" "double-bit ECC" "the reason says so"

# ---- a reading past a threshold --------------------------------------------------
gpu n00004 temp 5 91
wait_for 30 node_is n00004 admin_state drained
ok $? "GPU at 91 C (shutdown 92, rule >= shutdown-2): n00004 drained"
like "$(reason n00004 node_drain)" "shutdown temperature" "the reason names the rule"

# ---- degrade: schedulable, but not for multi-node gangs ---------------------------
gpu n00005 remap 3 pending
wait_for 30 node_is n00005 health degraded
ok $? "a pending row remap degrades n00005"
is "$(nfield n00005 admin_state)" "none" "it is not drained"
wait_for 10 has_event n00005 node_degraded
ok $? "a node_degraded event"
# n00005, n00006, n00007 are the nodes left; a 2-node gang must avoid n00005.
g=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sleep 600)
wait_for 30 job_is "$g" running
ok $? "a 2-node gang runs"
like "$(cli nobody job show "$g" --json | tr -d '\n ')" "n0000[67]" "on the healthy nodes"
unlike "$(cli nobody job show "$g" --json | tr -d '\n ')" "n00005" "not on the degraded one"
s=$(cli nobody submit --quiet -N 1 -D "$T/out" -- /bin/true)
wait_for 30 job_is "$s" completed
ok $? "a one-node job may still run on the degraded node"
cli nobody cancel "$g" >/dev/null

# ---- an agent that sees fewer GPUs than the topology ------------------------------
agent_stop n00006
agent_start n00006 --set gpu.sim_gpus=7
ok $? "n00006 comes back seeing 7 of its 8 GPUs"
wait_for 30 node_is n00006 health failed
ok $? "n00006 is unhealthy"
wait_for 10 has_event n00006 node_gpus_missing
ok $? "a node_gpus_missing event"
like "$(reason n00006 node_gpus_missing)" "agent sees 7 of the 8 GPUs" "it says how many"
j=$(cli nobody submit --quiet -N 1 -x 'n0000[1-5],n00007' -D "$T/out" -- /bin/true)
wait_for 5 job_is "$j" pending
ok $? "a job that may only use n00006 stays pending"
! grep -q "job $j: GPU" "$T/agents/n00006/agent.log"
ok $? "it was never offered to n00006"
agent_stop n00006
agent_start n00006
wait_for 30 node_is n00006 health ok
ok $? "with all 8 GPUs seen again it is healthy"
wait_for 30 job_is "$j" completed
ok $? "and the job ran there"
done_testing
