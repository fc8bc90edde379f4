#!/bin/sh
# colossus history and colossus report: finished jobs from PostgreSQL
# (the truth, DESIGN invariant 2) with every attempt, its nodes and GPUs
# by UUID; GPU-hours by account and user with the share lost to failed
# and requeued attempts; filters; --json parsed back.  A user sees only
# their own jobs and usage; admins and monitors everyone's (invariant 6).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-history 1 2
cli admin1 qos set normal --grace 2s >/dev/null
t0=$(date +%s)

ok_job=$(cli nobody submit --quiet -N 2 -t 5m -J good -A llm -D "$OUT" -- /bin/sleep 1)
bad_job=$(cli nobody submit --quiet -G 4 -t 5m -J bad -A vision -D "$OUT" -- /bin/sh -c 'sleep 1; exit 3')
wait_for 30 state_is "$ok_job" completed
ok $? "a 2-node job completed"
wait_for 30 state_is "$bad_job" failed
ok $? "a 4-GPU job failed"
# A job preempted once: two attempts, the first lost.
printf '#!/bin/sh\nif [ "$COLOSSUS_EPOCH" = 1 ]; then sleep 600; fi\n' > "$OUT/twice.sh"
chmod 755 "$OUT/twice.sh"
pre=$(cli nobody submit --quiet -N 2 -t 5m -J twice -A llm -D "$OUT" -- "$OUT/twice.sh")
wait_for 30 state_is "$pre" running
hero=$(cli nobody submit --quiet -N 1 -q hero -t 5m -J hero -A hero -D "$OUT" -- /bin/true)
wait_for 40 state_is "$pre" completed
ok $? "a preempted job ran twice and completed"
wait_for 30 state_is "$hero" completed
cancelled=$(cli nobody submit --quiet --hold -G 1 -J never -D "$OUT" -- /bin/true)
cli nobody cancel "$cancelled" >/dev/null
theirs=$(cli alice submit --quiet --hold -G 1 -J alices -D "$OUT" -- /bin/true)
cli alice cancel "$theirs" >/dev/null
t1=$(( $(date +%s) + 1 ))

out=$(cli nobody history)
ok $? "colossus history"
like "$(echo "$out" | head -n 1)" "^ID +NAME +USER +ACCOUNT +STATE +NODES +GPUS +ENDED +ELAPSED +ATTEMPTS +EXIT +NODELIST$" "default columns"
is "$(cli nobody history --format id --no-header | sort -n | tr '\n' ' ')" "$ok_job $bad_job $pre $hero $cancelled " \
	"nobody's finished jobs (not alice's)"
is "$(cli nobody history --format id --no-header | head -n 1)" "$cancelled" "newest end first"
like "$out" "twice +nobody +llm +completed +2 +16 .* 2 +0 +n\\[00001-00002\\]" "two attempts, hostlist of the last"
like "$out" "bad +nobody +vision +failed +1 +4 .* 1 +3 " "the failure and its exit code"
like "$out" "never +nobody +cancelled .* 0 +0 +-$" "a job that never ran: no attempts"
is "$(cli admin1 history --format id --no-header | wc -l)" 6 "an admin sees every user's jobs"
is "$(cli mon1 history -u alice --format id --no-header)" "$theirs" "a monitor may filter by user"
out=$(cli nobody history -u alice 2>&1); rc=$?
is "$rc" 4 "a user asking for another user's history: exit 4"
like "$out" "users see only their own jobs" "told why"
is "$(cli alice history --format id --no-header)" "$theirs" "alice sees only hers"

is "$(cli nobody history -t failed --format id --no-header)" "$bad_job" "--state failed"
is "$(cli nobody history -t completed,cancelled --format id --no-header | wc -l)" 4 "--state list"
is "$(rc_of cli nobody history -t running)" 2 "history has no running jobs: usage error"
is "$(cli nobody history -A vision --format id --no-header)" "$bad_job" "--account"
is "$(cli nobody history "$ok_job" --format id,name --no-header | tr -s ' ')" "$ok_job good" "by id"
is "$(cli nobody history --since "@$t1" --no-header | wc -l)" 0 "--since after everything: nothing"
is "$(cli nobody history --until "@$t0" --no-header | wc -l)" 0 "--until before everything: nothing"
is "$(cli nobody history --since "@$t0" --until now+1m --no-header | wc -l)" 5 "a period around them: all"
is "$(rc_of cli nobody history --since now --until now-1h)" 2 "a period that ends before it starts: usage error"
is "$(rc_of cli nobody history --since someday)" 2 "a bad time: usage error"
out=$(cli nobody history --limit 2 --format id --no-header 2>"$T/err")
is "$(echo "$out" | wc -l)" 2 "--limit 2"
like "$(cat "$T/err")" "more jobs matched; showing the newest 2" "and says more matched"
all="id,name,user,account,qos,state,nodes,gpus,submit_time,start_time,end_time,elapsed,attempts,gpu_hours,exit_code,reason,nodelist"
is "$(cli nobody history --format "$all" | head -n 1 | wc -w)" 17 "every history column"

att=$(cli nobody history --attempts "$pre")
like "$att" "^job $pre \\(twice\\): completed, exit 0, user nobody, account llm" "--attempts: a job line"
like "$att" "attempt 1 on n\\[00001-00002\\], .*: preempted by job $hero" "attempt 1 and why it ended"
like "$att" "attempt 2 on n\\[00001-00002\\]" "attempt 2"
like "$att" "node rank 1 +n0000[12] +GPUs 0-7 +GPU-[0-9a-f-]+(,GPU-[0-9a-f-]+){7}" "each node with its GPUs by index and UUID"

json=$(cli nobody history --json)
echo "$json" | jq_ >/dev/null
ok $? "history --json is valid"
is "$(echo "$json" | jq_ '.jobs#' '.truncated' | tr '\n' ' ')" "5 false " "five jobs, not truncated"
json=$(cli nobody history --json "$pre")
is "$(echo "$json" | jq_ -k '.jobs[0]' | tr '\n' ' ')" \
	"id name user account qos state reason nodes gpus_per_node gpus time_limit_sec submit_time start_time end_time exit_code epoch restarts nodelist array_job_id array_task gpu_hours attempts " \
	"the documented job fields"
is "$(echo "$json" | jq_ -k '.jobs[0].attempts[0]' | tr '\n' ' ')" \
	"epoch nodelist start_time end_time end_reason exit_code ranks " "the attempt fields"
is "$(echo "$json" | jq_ '.jobs[0].attempts#' '.jobs[0].attempts[1].epoch' | tr '\n' ' ')" "2 2 " "two attempts of the preempted job"
is "$(echo "$json" | jq_ '.jobs[0].attempts[0].ranks[0].gpu_uuids#')" 8 "eight GPU UUIDs per node"
u1=$(echo "$json" | jq_ '.jobs[0].attempts[0].ranks[0].gpu_uuids[0]')
db=$(pg_psql "SELECT g.uuid FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.name = '$(echo "$json" | jq_ '.jobs[0].attempts[0].ranks[0].node')' AND g.idx = 0")
is "$u1" "$db" "the UUID is the one the agent reported for that GPU"

# ---- report
rep=$(cli nobody report --json)
echo "$rep" | jq_ >/dev/null
ok $? "report --json is valid"
is "$(echo "$rep" | jq_ '.rows[].account' '.rows[].user' | tr '\n' ' ')" "hero llm vision nobody nobody nobody " \
	"nobody's rows, by account"
for k in since until rows accounts total; do
	echo "$rep" | jq_ -k . | grep -qx "$k"
	ok $? "report field $k"
done
is "$(echo "$rep" | jq_ -k '.rows[0]' | tr '\n' ' ')" \
	"account user jobs attempts failed_attempts gpu_hours failed_gpu_hours failed_share " "row fields"
is "$(echo "$rep" | jq_ '.rows[1].jobs' '.rows[1].attempts' '.rows[1].failed_attempts' | tr '\n' ' ')" "2 3 1 " \
	"llm: two jobs, three attempts, one lost to preemption"
is "$(echo "$rep" | jq_ '.rows[2].failed_attempts')" 1 "vision: the failed attempt"
is "$(echo "$rep" | jq_ '.rows[0].failed_attempts')" 0 "hero: nothing lost"
echo "$rep" | jq_ '.rows[1].gpu_hours' '.rows[1].failed_gpu_hours' | awk 'NR == 1 { h = $1 } NR == 2 { f = $1 } END { exit !(h > 0 && f > 0 && f < h) }'
ok $? "llm used GPU-hours, part of them lost"
echo "$rep" | jq_ '.total.gpu_hours' '.rows[].gpu_hours' | awk 'NR == 1 { t = $1; next } { s += $1 } END { exit !(t - s < 1e-9 && s - t < 1e-9) }'
ok $? "the total is the sum of the rows"
tab=$(cli nobody report)
like "$tab" "^GPU-hours from [0-9-]+ [0-9:]+ to [0-9-]+ [0-9:]+" "the table names the period"
like "$tab" "ACCOUNT +USER +JOBS +ATTEMPTS +GPU_HOURS +LOST_GPU_HOURS +LOST" "table header"
like "$tab" "\\(total\\) +4 +5 " "a total line"
is "$(cli admin1 report --json | jq_ '.rows#')" 3 "an admin sees every user's usage"
is "$(cli admin1 report -A llm --json | jq_ '.rows[].user' | tr '\n' ' ')" "nobody " "--account"
is "$(cli mon1 report -u nobody --json | jq_ '.rows#')" 3 "a monitor may ask for a user"
is "$(cli alice report --json | jq_ '.rows#')" 0 "alice used nothing"
is "$(rc_of cli nobody report -u alice)" 4 "a user may not ask for another's usage"
is "$(cli nobody report --since "@$t1" --until now+1h --json | jq_ '.rows#')" 0 "a later period: no usage"
is "$(cli nobody report --since "@$t0" --until now+1m --json | jq_ '.rows#')" 3 "a period around the jobs"
is "$(rc_of cli nobody report --since now+1h --until now)" 2 "a backwards period: usage error"
is "$(rc_of cli nobody report extra)" 2 "no positional arguments"

# The views are there for admins to query by hand too.
is "$(pg_psql "SELECT count(*) FROM job_attempts WHERE job_id = $pre")" 2 "job_attempts: one row per attempt"
is "$(pg_psql "SELECT outcome FROM job_attempts WHERE job_id = $pre ORDER BY epoch" | tr '\n' ' ')" \
	"requeued completed " "with its outcome"
is "$(pg_psql "SELECT count(*) FROM attempt_nodes WHERE job_id = $pre")" 4 "attempt_nodes: one row per node of each"
is "$(pg_psql "SELECT sum(attempts) FROM usage_by_account WHERE user_name = 'nobody'")" 5 "usage_by_account"
done_testing
