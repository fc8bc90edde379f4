#!/bin/sh
# colossus job show and job why: the request, priority factors, output
# paths expanded per rank, every attempt with its epoch, nodes, GPUs and
# reason (read from the allocations in PostgreSQL), and the precise
# reason a job waits (issue 6).  Attempts carry the epoch of each
# incarnation (DESIGN invariant 3).  The environment and script are shown
# only to the owner (invariant 6).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-show 1 2

j=$(cli nobody submit --quiet -N 2 --ranks-per-node 2 -t 5m -J showme -A llm \
	--export SECRET=hunter2 -o 'logs-%j-%r-%n.out' -e 'err-%j-%r.txt' -D "$OUT" -- /bin/true)
mkdir -p "$OUT" && wait_for 30 state_is "$j" completed
ok $? "a 2-node, 4-rank job completed"
show=$(cli nobody job show "$j")
like "$show" "^id: +$j$" "id"
like "$show" "name: +showme" "name"
like "$show" "account: +llm" "account"
like "$show" "state: +completed" "state"
like "$show" "exit code: +0" "exit code"
like "$show" "size: +2 nodes x 8 GPUs = 16 GPUs" "size"
like "$show" "ranks: +2 per node" "ranks"
like "$show" "stdout pattern: +logs-%j-%r-%n.out" "the stdout pattern"
like "$show" "environment: +SECRET=hunter2" "the owner sees the environment"
like "$show" "Output of attempt 1:" "output paths of the last attempt"
like "$show" "0 +n0000[12] +$OUT/logs-$j-0-n0000[12].out +$OUT/err-$j-0.txt" "rank 0's files, expanded"
like "$show" "3 +n0000[12] +$OUT/logs-$j-3-n0000[12].out +$OUT/err-$j-3.txt" "rank 3's files (node rank 1)"
n1=$(echo "$show" | sed -n "s/^ *1 *\\(n0000[12]\\) .*/\\1/p" | head -n 1)
[ -f "$OUT/logs-$j-1-$n1.out" ]
ok $? "the file named for rank 1 exists where job show says ($OUT/logs-$j-1-$n1.out)"
like "$show" "Attempts:" "an attempts table"
like "$show" "1 +n\\[00001-00002\\] +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +0 " "attempt 1: nodes, start, end, exit"
like "$show" "Placement:" "a placement table"
like "$show" "1 +0 +n0000[12] +0-7" "node rank 0 with GPUs 0-7"

json=$(cli nobody job show "$j" --json)
echo "$json" | jq_ >/dev/null
ok $? "--json is valid"
is "$(echo "$json" | jq_ '.attempts#' '.attempts[0].epoch' '.attempts[0].ranks#' | tr '\n' ' ')" \
	"1 1 2 " "one attempt, epoch 1, two node ranks"
is "$(echo "$json" | jq_ '.attempts[0].ranks[0].gpus#')" 8 "8 GPU indexes"
like "$(echo "$json" | jq_ '.attempts[0].ranks[0].gpu_uuids[0]')" "^GPU-" "GPUs by UUID"
is "$(echo "$json" | jq_ '.spec.ranks_per_node' '.spec.stderr_path' | tr '\n' ' ')" \
	"2 err-%j-%r.txt " "the spec"
for k in why factors spec attempts expected_start queue_position array_job_id array_task reservation; do
	echo "$json" | jq_ -k . | grep -qx "$k"
	ok $? "field $k"
done
is "$(echo "$json" | jq_ -k .factors | tr '\n' ' ')" "age size fairshare qos boost nice " "factor names"
other=$(cli alice job show "$j")
ok $? "another user may look at the job"
unlike "$other" "hunter2" "but not at its environment"
is "$(cli alice job show "$j" --json | jq_ '.spec.env#')" 0 "nor in JSON"

# A job that waits: job why and job show agree and give the evidence.
gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
b=$(cli nobody submit --quiet -N 1 -t 10m -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$b" running
w=$(cli nobody submit --quiet -N 2 -t 10m -J waiter -D "$OUT" -- /bin/true)
planned() { [ "$(cli nobody job show "$w" --json | jq_ .expected_start)" -gt 0 ]; }
wait_for 20 planned
ok $? "the waiting job has a plan"
why=$(cli nobody job why "$w")
like "$(echo "$why" | head -n 1)" "^job $w is pending: waiting for resources$" "first line: state and reason"
like "$why" "queue position: 1 \\(priority [0-9]+\\)" "queue position and priority"
like "$why" "expected start: [0-9-]+ [0-9:]+ \\(in [0-9:]+\\), by the backfill plan" "expected start"
like "$why" "needs 2 whole" "what it needs"
like "$why" "usable in the cluster" "and what there is"
wj=$(cli nobody job why "$w" --json)
is "$(echo "$wj" | jq_ .state .queue_position | tr '\n' ' ')" "pending 1 " "job why --json"
like "$(echo "$wj" | jq_ .why)" "position 1 in the queue" "with the controller's explanation"
show=$(cli nobody job show "$w")
like "$show" "why: +position 1 in the queue" "job show carries the why"
like "$show" "expected start: +[0-9-]+ " "and the expected start"
like "$show" "priority: +[0-9]+ = age" "and the priority factors"
like "$show" "Output \\(rank 0, once placed\\): $OUT/colossus-$w-0.out" "the default output path before placement"
like "$(cli nobody job why "$b")" "^job $b is running, not waiting" "a running job is not waiting"
is "$(rc_of cli nobody job why 99999)" 3 "an unknown job: exit 3"
is "$(rc_of cli nobody job why)" 2 "no id: exit 2"
is "$(rc_of cli nobody job why 1 2)" 2 "two ids: exit 2"
is "$(rc_of cli nobody job show x)" 2 "a bad id: exit 2"
like "$(cli nobody why "$w")" "^job $w is pending" "why is an alias of job why"
touch "$gate"
done_testing
