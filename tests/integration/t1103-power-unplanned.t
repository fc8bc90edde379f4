#!/bin/sh
# Power (issue 11): an unplanned stop of a running gang (one of its nodes
# is lost) is not staggered, since its draw fell when it broke, but it is
# recorded as a power_drop event; the requeued gang then restarts within
# the ramp, in launch waves, with one "go" for every rank of the new
# epoch.  Protects DESIGN invariant 4 (a lost node stops the whole gang
# and it is requeued whole, on healthy nodes), invariant 3 (the new
# incarnation has a new epoch; the old rank on the lost node is fenced
# when its agent comes back) and the ramp of issue 11 across a requeue.
# Asserts on order and structure, never on durations.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init powerdrop
# An H100 node steps 7.7 kW from idle to busy: 16 kW is 2 nodes a window.
ctl_start --set power.ramp=16kW --set power.ramp_window=6s \
	--set power.drop_event=10kW --set controller.debug=launch
cli root topology apply "$(cluster_small_topology 1 5)" >/dev/null
ok $? "topology applied: one rack of 5 nodes"
for n in n00001 n00002 n00003 n00004 n00005; do agent_start "$n"; done
ok $? "five agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
log=$T/controller.log
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
line_of() { grep -n -- "$1" "$2" | head -n 1 | cut -d: -f1 | grep . || echo 0; }
marker="colossus-powerdrop-$$"
printf 'sleep 600\n' > "$T/out/$marker.sh"
chmod 755 "$T/out/$marker.sh"
procs() { [ "$(pgrep -f "$marker" | wc -l)" -eq "$1" ]; }
# Nodes whose agent started a rank of job $1, epoch $2.
ran_on() { grep -l "job=$1 epoch=$2 started" "$T"/agents/*/agent.log 2>/dev/null |
	sed 's|.*/agents/\([^/]*\)/agent.log|\1|' | sort | tr '\n' ' '; }

# ---- a gang started in waves ---------------------------------------------
id=$(cli nobody submit --quiet -N 4 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 60 state_is "$id" running
ok $? "a 4-node gang runs"
wait_for 20 procs 4
ok $? "with its 4 ranks"
w2=$(line_of "job=$id epoch=1 launch wave 2: 2 nodes" "$log")
[ "$w2" -gt 0 ]
ok $? "it was launched in 2 waves"
nodes1=$(ran_on "$id" 1)
lost=$(echo "$nodes1" | cut -d' ' -f4)
[ -n "$lost" ]
ok $? "it runs on $nodes1"

# ---- one of its nodes is lost ----------------------------------------------
agent_stop "$lost" KILL
ok 0 "the agent of $lost is killed: the node goes silent, its rank stays"
dropped() { [ "$(pg_psql "SELECT count(*) FROM events WHERE kind = 'power_drop' AND job_id = $id")" -ge 1 ]; }
wait_for 30 dropped
ok $? "the unplanned stop is recorded as a power_drop event"
like "$(pg_psql "SELECT reason FROM events WHERE kind = 'power_drop' AND job_id = $id")" \
	"unplanned stop of a running gang \\(4 nodes\\) dropped about 30.8 kW at once" \
	"with the draw it dropped"
[ "$(line_of "job=$id epoch=1 kill wave" "$log")" -eq 0 ]
ok $? "no kill waves: a broken gang is stopped at once"
wait_for 60 state_is "$id" running
ok $? "the requeued gang runs again"
is "$(pg_psql "SELECT epoch, restarts FROM jobs WHERE id = $id")" "2|1" \
	"as a new incarnation: epoch 2, one restart"
# Its 3 surviving ranks were killed; 4 new ones run, and the rank on the
# lost node is still there (nobody can reach it).
wait_for 30 procs 5
ok $? "4 ranks of epoch 2, plus the stale one on the silent node"

# ---- the restart honoured the ramp ---------------------------------------------
r1=$(line_of "job=$id epoch=2 launch wave 1: 2 nodes" "$log")
r2=$(line_of "job=$id epoch=2 launch wave 2: 2 nodes" "$log")
go=$(line_of "job=$id epoch=2: go sent to 4 nodes" "$log")
[ "$r1" -gt 0 ] && [ "$r2" -gt "$r1" ]
ok $? "the restart was launched in 2 waves (log lines $r1, $r2)"
[ "$go" -gt "$r2" ]
ok $? "one go for epoch 2 after its last wave (line $go)"
is "$(grep -c "job=$id epoch=2: go sent" "$log")" 1 "exactly one go"
nodes2=$(ran_on "$id" 2)
case " $nodes2" in *" $lost "*) false ;; *) true ;; esac
ok $? "epoch 2 runs on $nodes2, away from the lost node $lost"

# ---- the lost node comes back ---------------------------------------------------
agent_start "$lost"
ok $? "the agent of $lost is back"
wait_for 30 procs 4
ok $? "its stale rank of epoch 1 is fenced; the 4 ranks of epoch 2 run"
state_is "$id" running
ok $? "the job is still running"
cli nobody cancel "$id" >/dev/null
ok $? "cancelled"
wait_for 30 procs 0
ok $? "every rank stopped"
done_testing
