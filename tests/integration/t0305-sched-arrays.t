#!/bin/sh
# Job arrays through the real controller (issue 3: "job arrays are
# expected by every user coming from Slurm").  --array 0-5%2 makes six
# jobs, never more than two of them running at once; every task sees its
# COLOSSUS_ARRAY_TASK_ID; the CLI shows ARRAY as job_task.
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-arrays 1 4

out=$(cli nobody submit --array 0-5%2 -G 1 -t 5m -J sweep -D "$OUT" -o 'sweep-%j.out' -- \
	/bin/sh -c 'echo "task=$COLOSSUS_ARRAY_TASK_ID"; sleep 2')
like "$out" "^Submitted array job [0-9]+: 6 tasks, jobs [0-9]+-[0-9]+$" "submit prints the array's jobs"
first=$(echo "$out" | sed -n 's/.*jobs \([0-9]*\)-.*/\1/p')
last=$(echo "$out" | sed -n 's/.*-\([0-9]*\)$/\1/p')
is "$((last - first + 1))" 6 "six consecutive ids"

# Watch until every task ended; remember the most running at once.
most=0
done_all() {
	_n=$(cli nobody jobs --name sweep --state starting,running,completing --format id --no-header | wc -l)
	[ "$_n" -gt "$most" ] && most=$_n
	[ "$(cli nobody jobs --all --name sweep --state completed --format id --no-header | wc -l)" -eq 6 ]
}
end=$(( $(date +%s) + 60 ))
while ! done_all && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
done_all
ok $? "all six tasks completed"
[ "$most" -le 2 ]
ok $? "never more than 2 running at once (most seen: $most)"
[ "$most" -ge 1 ]
ok $? "the watcher saw tasks running"
tasks=$(for id in $(seq "$first" "$last"); do cat "$OUT/sweep-$id.out" 2>/dev/null; done | sort | tr '\n' ' ')
is "$tasks" "task=0 task=1 task=2 task=3 task=4 task=5 " "each task printed its COLOSSUS_ARRAY_TASK_ID"
is "$(cli nobody job show "$((first + 3))" --json | jq_ .array_job_id .array_task | tr '\n' ' ')" \
	"$first 3 " "job show: array job id and task"
is "$(cli nobody jobs --all --name sweep --format array --no-header --sort id | head -n 2 | tr '\n' ' ')" \
	"${first}_0 ${first}_1 " "jobs --format array shows job_task"
like "$(cli nobody job show "$((first + 3))")" "task 3 of array job $first" "job show says which task"
done_testing
