#!/bin/sh
# Preemption through the real controller (DESIGN, Scheduling:
# "Preemption"; issue 3: "a job of a higher QOS may requeue (or cancel,
# per QOS) lower-QOS jobs when nothing else fits; preempted jobs get a
# notice signal and a grace period to checkpoint first, and keep their
# place").  A hero job takes the nodes of a normal one: the normal job
# catches SIGTERM, is requeued without spending a restart, keeps its
# submit time, and runs again (epoch 2) once the hero job is done.  A QOS
# whose preempt mode is cancel loses its job instead.  Invariant 3: the
# second run has a new epoch.
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-preempt 1 4

# A short grace so the test does not wait a minute for SIGKILL.
cli admin1 qos set normal --grace 3s >/dev/null
ok $? "admin sets a 3 s grace on QOS normal"
is "$(cli nobody qos list --no-header | awk '$1 == "normal" { print $5 }')" \
	"3s" "qos list shows it"

cat > "$OUT/victim.sh" <<'SH'
#!/bin/sh
trap 'echo "caught TERM in epoch $COLOSSUS_EPOCH"; exit 143' TERM
echo "started epoch $COLOSSUS_EPOCH"
if [ "$COLOSSUS_EPOCH" -gt 1 ]; then exit 0; fi
sleep 600 &
wait
SH
chmod 755 "$OUT/victim.sh"
v=$(cli nobody submit --quiet -N 4 -t 30m -J victim -D "$OUT" -o 'v-%j-%r-%e.out' -- "$OUT/victim.sh")
wait_for 30 state_is "$v" running
ok $? "a normal job holds all four nodes"
started() { grep -q "started epoch 1" "$OUT/v-$v-0-1.out" 2>/dev/null; }
wait_for 20 started
ok $? "its ranks have started"
submit1=$(cli nobody job show "$v" --json | jq_ .submit_time)

h=$(cli nobody submit --quiet -N 4 -q hero -t 5m -J hero -D "$OUT" -- /bin/sleep 2)
ok $? "a hero job is submitted ($h)"
caught() { grep -q "caught TERM in epoch 1" "$OUT/v-$v-0-1.out" 2>/dev/null; }
wait_for 30 caught
ok $? "the normal job's rank caught SIGTERM before being stopped"
wait_for 30 state_is "$h" completed
ok $? "the hero job ran and completed"
wait_for 40 state_is "$v" completed
ok $? "the preempted job ran again and completed"
show=$(cli nobody job show "$v" --json)
is "$(echo "$show" | jq_ .epoch)" "2" "its second run has epoch 2"
is "$(echo "$show" | jq_ .restarts)" "0" "preemption did not spend a restart"
is "$(echo "$show" | jq_ .submit_time)" "$submit1" "it kept its submit time (its place)"
is "$(echo "$show" | jq_ '.attempts#')" "2" "two attempts"
like "$(echo "$show" | jq_ '.attempts[0].end_reason')" "preempted by job $h" \
	"the first attempt ended preempted by the hero job"
like "$(cli nobody job show "$v")" "preempted by job $h" "job show lists it"
grep -q "started epoch 2" "$OUT/v-$v-0-2.out" 2>/dev/null
ok $? "the second run's output is in its own epoch's file"
hs=$(cli nobody job show "$h" --json | jq_ .start_time)
v2=$(cli nobody job show "$v" --json | jq_ '.attempts[1].start_time')
[ "$v2" -ge "$hs" ]
ok $? "the requeued job restarted after the hero job started"

# A QOS whose jobs are cancelled, not requeued, when preempted.
cli admin1 qos set low --preempt-mode cancel --grace 2s >/dev/null
ok $? "QOS low: preempt mode cancel"
l=$(cli nobody submit --quiet -N 4 -q low -t 30m -J lowjob -D "$OUT" -- /bin/sleep 600)
wait_for 30 state_is "$l" running
ok $? "a low job holds the nodes"
hi=$(cli nobody submit --quiet -N 2 -q high -t 5m -J urgent -D "$OUT" -- /bin/true)
wait_for 30 state_is "$l" cancelled
ok $? "a high job preempts it: cancelled, not requeued"
like "$(cli nobody job show "$l" --json | jq_ .reason)" "preempted by job $hi" "the reason names the job"
wait_for 30 state_is "$hi" completed
ok $? "the high job completes"
# Same QOS: no preemption.
n1=$(cli nobody submit --quiet -N 4 -t 30m -J n1 -D "$OUT" -- /bin/sleep 600)
wait_for 30 state_is "$n1" running
n2=$(cli nobody submit --quiet -N 1 -t 5m -J n2 -D "$OUT" -- /bin/true)
blocked() { state_is "$n2" pending && cli nobody job why "$n2" | grep -q "queue position"; }
wait_for 20 blocked
ok $? "a normal job does not preempt another normal job"
is "$(job_state "$n1")" "running" "which keeps running"
cli nobody cancel "$n1" "$n2" >/dev/null
done_testing
