#!/bin/sh
# Power ramp (issue 11): a gang whose start moves more power than the ramp
# allows is launched in waves, and its ranks are told "go" together once
# every wave is prepared; a planned stop (cancel) goes out in kill waves;
# a controller killed in the middle of either continues it after the
# restart.  Protects DESIGN invariant 4 (a gang starts whole: one go for
# every rank, never a rank running before its gang is prepared),
# invariant 3 (the same incarnation continues after a restart, the
# epoch does not move) and invariant 2 (the restarted controller
# rebuilds the stagger from PostgreSQL and the agents).  Asserts on
# order and structure, never on durations.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init powerwaves
# An H100 node steps 7.7 kW from idle to busy: 16 kW is 2 nodes a window.
ctl_start --set power.ramp=16kW --set power.ramp_window=6s \
	--set jobs.prepare_timeout=3s --set controller.debug=launch
cli root topology apply "$(cluster_small_topology 1 4)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002 n00003 n00004; do agent_start "$n"; done
ok $? "four agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
log=$T/controller.log
# Line number of the first log line matching a pattern (0 if none).
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1 | grep . || echo 0; }

# ---- a start in waves, one go ------------------------------------------
id=$(cli nobody submit --quiet -N 4 -D "$T/out" -- /bin/sh -c 'echo "rank $RANK epoch $COLOSSUS_EPOCH"')
wait_for 60 state_is "$id" completed
ok $? "the 4-node gang runs to completion"
w1=$(line_of "job=$id epoch=1 launch wave 1: 2 nodes" "$log")
w2=$(line_of "job=$id epoch=1 launch wave 2: 2 nodes" "$log")
go=$(line_of "job=$id epoch=1: go sent to 4 nodes" "$log")
[ "$w1" -gt 0 ] && [ "$w2" -gt "$w1" ]
ok $? "launched in 2 waves of 2 nodes (log lines $w1, $w2)"
[ "$go" -gt "$w2" ]
ok $? "go went out after the last wave (line $go), to all 4 nodes at once"
is "$(grep -c "job=$id epoch=1: go sent" "$log")" 1 "exactly one go for the gang"
like "$(grep "job=$id epoch=1 launched in" "$log")" "launched in 2 waves: 4 nodes, 30.8 kW" \
	"the stagger is summarised"
is "$(pg_psql "SELECT epoch, restarts FROM jobs WHERE id = $id")" "1|0" \
	"never requeued: a later wave is timed from its own launch (prepare_timeout 3s < the 6 s window)"
# The agents' own logs (one clock): every node prepared before any rank
# of the gang was started.
agent_times() { grep -h "job=$1 epoch=$2 $3" "$T"/agents/*/agent.log | cut -d' ' -f1 | sort; }
is "$(agent_times "$id" 1 prepared | wc -l)" 4 "4 nodes prepared"
is "$(agent_times "$id" 1 started | wc -l)" 4 "4 nodes started"
printf '%s\n%s\n' "$(agent_times "$id" 1 prepared | tail -n 1)" \
	"$(agent_times "$id" 1 started | head -n 1)" | sort -c 2>/dev/null
ok $? "the last node was prepared before the first rank started"
is "$(cat "$T/out/colossus-$id-"*.out 2>/dev/null | sort | tr '\n' ' ')" \
	"rank 0 epoch 1 rank 1 epoch 1 rank 2 epoch 1 rank 3 epoch 1 " "every rank ran once"
is "$(pg_psql "SELECT count(*) FROM events WHERE kind = 'power_ramp' AND job_id = $id")" 1 \
	"a power_ramp event records it"

# ---- a planned stop in kill waves ----------------------------------------
marker="colossus-powerwaves-$$"
printf 'sleep 600\n' > "$T/out/$marker.sh"
chmod 755 "$T/out/$marker.sh"
procs() { [ "$(pgrep -f "$marker" | wc -l)" -eq "$1" ]; }
id2=$(cli nobody submit --quiet -N 4 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 60 state_is "$id2" running
ok $? "a second gang starts (in waves again)"
wait_for 20 procs 4
ok $? "its 4 ranks run"
cli nobody cancel "$id2" >/dev/null
ok $? "cancelled"
wait_for 30 procs 0
ok $? "every rank was stopped"
k1=$(line_of "job=$id2 epoch=1 kill wave 1: 2 nodes" "$log")
k2=$(line_of "job=$id2 epoch=1 kill wave 2: 2 nodes" "$log")
[ "$k1" -gt 0 ] && [ "$k2" -gt "$k1" ]
ok $? "the stop went out in 2 kill waves (log lines $k1, $k2)"
free_gpus() { cli nobody nodes --json | grep -o '"gpus_free": *[0-9]*' | awk -F: '{s+=$2} END {exit !(s == 32)}'; }
wait_for 20 free_gpus
ok $? "every GPU is free again"

# ---- a restart in the middle of a staggered start -------------------------
# A window of an hour: the second wave cannot go before the restart.
ctl_stop
ctl_start --set power.ramp=16kW --set power.ramp_window=1h --set controller.debug=launch
registered() { [ "$(cli nobody nodes --json | grep -o '"state": *"up"' | wc -l)" -eq 4 ]; }
wait_for 30 registered
ok $? "controller restarted with a 1 h ramp window; agents back"
id3=$(cli nobody submit --quiet -N 4 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
first_wave() { grep -q "job=$id3 epoch=1 launch wave 1: 2 nodes" "$T/controller.log"; }
wait_for 30 first_wave
ok $? "the first wave of a new gang went out"
two_prepared() { [ "$(agent_times "$id3" 1 prepared | wc -l)" -eq 2 ]; }
wait_for 30 two_prepared
ok $? "its 2 nodes are prepared and wait for go"
ctl_stop KILL
ok 0 "controller killed (SIGKILL) with the second wave still waiting"
cp "$T/controller.log" "$T/controller-1.log"
ctl_start --set power.ramp=16kW --set power.ramp_window=3s --set controller.debug=launch
wait_for 60 state_is "$id3" running
ok $? "after the restart the gang starts"
wait_for 20 procs 4
ok $? "with all 4 ranks"
is "$(pg_psql "SELECT epoch, restarts FROM jobs WHERE id = $id3")" "1|0" \
	"the same incarnation: not requeued, epoch 1"
like "$(grep "after the restart" "$T/controller.log")" "gangs still starting" \
	"the new controller continues the stagger"
[ "$(line_of "job=$id3 epoch=1 launch wave" "$T/controller.log")" -gt 0 ]
ok $? "the nodes of the wave never sent are launched by the new controller"
is "$(grep -c "job=$id3 epoch=1: go sent to 4 nodes" "$T/controller.log")" 1 "one go, to all 4 nodes"

# ---- a restart in the middle of a staggered stop ----------------------------
ctl_stop
cp "$T/controller.log" "$T/controller-2.log"
ctl_start --set power.ramp=16kW --set power.ramp_window=1h --set controller.debug=launch
wait_for 30 registered
ok $? "controller restarted again (1 h window); the gang keeps running"
procs 4
ok $? "its ranks survived the restart"
cli nobody cancel "$id3" >/dev/null
ok $? "cancelled"
kill_wave() { grep -q "job=$id3 epoch=1 kill wave 1: 2 nodes" "$T/controller.log"; }
wait_for 30 kill_wave
ok $? "the first kill wave went out"
wait_for 20 procs 2
ok $? "half the ranks stopped; the other half waits for the window"
ctl_stop KILL
ok 0 "controller killed (SIGKILL) in the middle of the stop"
cp "$T/controller.log" "$T/controller-3.log"
ctl_start --set power.ramp=16kW --set power.ramp_window=3s --set controller.debug=launch
wait_for 60 procs 0
ok $? "the restarted controller ends every remaining part"
like "$(grep "after the restart" "$T/controller.log")" "stops" "through kill waves"
closed() { [ "$(pg_psql "SELECT count(*) FROM allocations WHERE job_id = $id3 AND ended_at IS NULL")" = 0 ]; }
wait_for 30 closed
ok $? "the allocation is closed"
wait_for 20 free_gpus
ok $? "every GPU is free again"
is "$(pg_psql "SELECT state FROM jobs WHERE id = $id3")" "cancelled" "the job is cancelled"
done_testing
