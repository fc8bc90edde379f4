#!/bin/sh
# Rack faults (issue 5; DESIGN invariants 1, 4 and 5): a rack's CDU
# alarm drains the whole rack as one fault with one drain event, however
# many sources keep reporting it, and a critical one requeues only the
# gangs with a rank in that rack.  Readings come from the agents' site
# probe ([health] probe_command, whose JSON becomes readings of the
# node's own rack) and from a rack monitor (role monitor) through
# `colossus rack readings`.  A failing probe raises one event, and its
# garbage output is refused as a whole.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthrack
ctl_start --set health.breaker_node_pct=100
cli root topology apply "$(cluster_small_topology 3 2)" >/dev/null
ok $? "topology applied: 3 racks of 2 nodes"
# Both nodes of r0001 read the same CDU; each run is counted.
echo '{"rack": {"coolant_flow_lpm": 120, "leak": "none", "pumps_ok": 2, "pumps_total": 2}}' > "$T/cdu.json"
probe="echo run >> $T/probe.runs; cat $T/cdu.json"
for n in n00001 n00002; do
	agent_start "$n" --set "health.probe_command=$probe" --set health.probe_interval=1s --set health.probe_timeout=5s
done
ok $? "agents of rack r0001 run the site probe"
for n in n00003 n00004 n00005 n00006; do agent_start "$n"; done
ok $? "four more agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-hrack-$$"
cat > "$T/out/$marker.sh" <<EOF2
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
sleep 600 & wait
EOF2
chmod 755 "$T/out/$marker.sh"

runs() { wc -l < "$T/probe.runs" 2>/dev/null || echo 0; }
more_runs() { [ "$(runs)" -ge "$1" ]; }
rack_col() { pg_psql "SELECT $2 FROM racks WHERE name = '$1'"; }
rack_is() { [ "$(rack_col "$1" admin_state)" = "$2" ]; }
rack_events() { pg_psql "SELECT count(*) FROM events e JOIN racks r ON r.id = e.rack_id WHERE r.name = '$1' AND e.kind = '$2'"; }
has_rack_event() { [ "$(rack_events "$1" "$2")" -ge 1 ]; }
node_events() { pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
has_node_event() { [ "$(node_events "$1" "$2")" -ge 1 ]; }
ranks() { ls "$T/out"/pid.$1.$2.* 2>/dev/null | wc -l; }
has_ranks() { [ "$(ranks "$1" "$2")" -eq "$3" ]; }
rack_of() { # node -> rack (2 nodes per rack)
	_i=$(echo "$1" | sed 's/^n0*//'); printf 'r%04d' $(( (_i + 1) / 2 )); }
jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
alive() { kill -0 "$1" 2>/dev/null; }

# ---- healthy readings: nothing happens --------------------------------------
wait_for 30 more_runs 4
ok $? "the probes run"
has_flow() { cli admin1 health rack r0001 --json 2>/dev/null | tr -d ' \n' | grep -q '"coolant_flow_lpm":120'; }
wait_for 20 has_flow
ok $? "the controller holds the probe's readings of r0001 (colossus health rack)"
is "$(rack_col r0001 admin_state)" "none" "healthy readings drain nothing"

# A job on r0001, a gang elsewhere.
j1=$(cli nobody submit --quiet -N 1 -x 'n[00002-00006]' -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$j1" 1 1
ok $? "job $j1 runs on n00001 (rack r0001)"
j2=$(cli nobody submit --quiet -N 2 -x 'n[00001-00002]' -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$j2" 1 2
ok $? "gang $j2 runs on two nodes outside r0001"
gnodes=$(ls "$T/out"/pid.$j2.1.* | sed 's/.*\.//' | tr '\n' ' ')
grack=$(rack_of ${gnodes%% *})
other=r0002; [ "$grack" = r0002 ] && other=r0003
diag "gang $j2 on $gnodes"
is "$(rack_of $(echo $gnodes | cut -d' ' -f2))" "$grack" "the gang fits in one rack ($grack)"

# ---- the CDU reports a leak warning: rack drained, one event ---------------------
echo '{"rack": {"coolant_flow_lpm": 118, "leak": "warning", "pumps_ok": 2, "pumps_total": 2}}' > "$T/cdu.json"
wait_for 30 rack_is r0001 draining
ok $? "r0001 is draining (its job may finish)"
wait_for 10 has_rack_event r0001 rack_drain
ok $? "a rack_drain event"
like "$(pg_psql "SELECT reason FROM events e JOIN racks r ON r.id = e.rack_id WHERE r.name = 'r0001' AND kind = 'rack_drain'")" "leak warning" "its reason names the leak"
is "$(rack_col r0001 drained_by)" "health" "drained by the health policy"
n=$(runs)
wait_for 30 more_runs $((n + 6))
ok $? "both probes keep reporting the leak"
is "$(rack_events r0001 rack_drain)" "1" "still exactly one rack_drain event"
is "$(pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name IN ('n00001','n00002') AND e.kind = 'node_drain'")" "0" "one rack fault, not two node faults"
alive "$(cat "$T/out/pid.$j1.1.n00001")"
ok $? "job $j1 still runs: a leak warning drains, it does not kill"
j3=$(cli nobody submit --quiet -N 1 -x 'n[00003-00006]' -D "$T/out" -- /bin/true)
sleep_until_pass() { [ "$(jfield "$j3" state)" = "pending" ]; }
wait_for 10 sleep_until_pass
ok $? "a job that may only use r0001 stays pending"
cli nobody cancel "$j3" >/dev/null 2>&1

# ---- a broken probe: one event, nothing else ---------------------------------------
echo '{"rack": {"coolant_flow_lpm": ' > "$T/cdu.json"
wait_for 30 has_node_event n00001 probe
ok $? "a probe event for n00001"
like "$(pg_psql "SELECT reason FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = 'n00001' AND kind = 'probe'")" "not a JSON object" "it says the output is not JSON"
n=$(runs)
wait_for 30 more_runs $((n + 6))
is "$(node_events n00001 probe)" "1" "one event per failure episode, not per run"
grep -q "health probe failed" "$T/agents/n00001/agent.log"
ok $? "the agent logged the failure"

# ---- a rack monitor reports a critical leak: that rack's gangs only -----------------
out=$(cli mon1 rack readings "$grack" --leak critical 2>&1)
ok $? "monitor reports a critical leak in $grack ($out)"
wait_for 30 rack_is "$grack" drained
ok $? "$grack is drained"
wait_for 60 has_ranks "$j2" 2 2
ok $? "gang $j2 was requeued and runs again (epoch 2)"
for f in "$T"/out/pid.$j2.2.*; do
	[ "$(rack_of "${f##*.}")" = "$other" ] || { ok 1 "epoch 2 runs in $other"; break; }
done
[ "$(rack_of "${f##*.}")" = "$other" ] && ok 0 "epoch 2 runs in $other, the only rack left"
alive "$(cat "$T/out/pid.$j1.1.n00001")"
ok $? "job $j1 in the other drained rack was not touched"
is "$(jfield "$j1" epoch)" "1" "job $j1 was never requeued"
wait_for 10 has_rack_event "$grack" alarm
ok $? "a critical leak raises an alarm event"
out=$(cli nobody rack readings "$other" --leak critical 2>&1)
[ $? -ne 0 ]
ok $? "a user may not report rack readings"
like "$out" "permission|not allowed|may not" "and is told so ($out)"
is "$(rack_col "$other" admin_state)" "none" "$other is untouched"

cli nobody cancel "$j1" "$j2" >/dev/null
nothing_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 nothing_left
ok $? "nothing left after cancelling"
done_testing
