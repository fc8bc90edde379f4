#!/bin/sh
# Priority order and backfill through the real controller (DESIGN,
# Scheduling: "Priority: age, size, fair share, QOS.  Backfill using
# declared time limits, without delaying the top blocked job").  On four
# nodes: a big job blocked behind a running one gets a planned start
# (shown by `job why`), a short job backfills into the hole, a long one
# does not, the admin boost reorders the queue, and when the nodes free
# up the top job gets them.
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-backfill 1 4

# A job that runs until told to stop, so nothing here depends on timing.
gate=$OUT/gate
cat > "$OUT/wait.sh" <<SH
#!/bin/sh
while [ ! -e $gate ]; do sleep 0.2; done
SH
chmod 755 "$OUT/wait.sh"

a=$(cli nobody submit --quiet -N 3 -t 10m -J hold3 -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$a" running
ok $? "job $a runs on 3 of the 4 nodes"

b=$(cli nobody submit --quiet -N 4 -t 10m -J big -D "$OUT" -- /bin/true)
blocked() { state_is "$b" pending && [ "$(cli nobody job show "$b" --json | jq_ .expected_start)" -gt 0 ]; }
wait_for 20 blocked
ok $? "the 4-node job $b waits with a planned start"
why=$(cli nobody job why "$b")
like "$why" "^job $b is pending" "job why names the state"
like "$why" "expected start: [0-9]{4}-[0-9]{2}-[0-9]{2} " "job why gives the expected start"
like "$why" "queue position: 1 " "the big job is first in the queue"
exp=$(cli nobody job why "$b" --json | jq_ .expected_start)
lim=$(cli nobody job show "$a" --json | jq_ .start_time)
[ "$exp" -ge "$lim" ] && [ "$exp" -le $((lim + 600 + 60)) ]
ok $? "its expected start is when job $a's time limit ends ($exp, started $lim)"

# A short job fits in the hole before the big job's start: it backfills.
c=$(cli nobody submit --quiet -N 1 -t 2m -J short -D "$OUT" -- /bin/true)
wait_for 30 state_is "$c" completed
ok $? "a 2-minute job backfills onto the free node and completes"
# A long job would delay the big one: it must wait.
d=$(cli nobody submit --quiet -N 1 -t 1h -J long -D "$OUT" -- /bin/true)
e=$(cli nobody submit --quiet -N 1 -t 1m -J short2 -D "$OUT" -- /bin/true)
wait_for 30 state_is "$e" completed
ok $? "another short job submitted after it still backfills"
is "$(job_state "$d")" "pending" "the 1-hour job does not start (it would delay job $b)"
is "$(job_state "$b")" "pending" "the big job still waits for its nodes"
like "$(cli nobody job why "$d")" "queue position: 2 " "the long job is second in the queue"

# Priority order, and the admin boost that changes it: a second big job
# submitted later is behind the first until an admin boosts it.
f=$(cli nobody submit --quiet -N 4 -t 10m -J big2 -D "$OUT" -- /bin/true)
first() { [ "$(cli nobody jobs --state pending --sort priority --format id --no-header | head -n 1)" = "$1" ]; }
wait_for 20 first "$b"
ok $? "pending jobs by priority: the first big job leads"
order=$(cli nobody jobs --state pending --sort priority --format id --no-header | tr '\n' ' ')
like "$order" "^$b .*$f " "the later big job $f is behind it ($order)"
rc=$(rc_of cli nobody job priority "$f" 100000)
is "$rc" 4 "a user may not boost a job (exit 4)"
cli admin1 job priority "$f" 100000 >/dev/null
ok $? "an admin boosts job $f"
wait_for 20 first "$f"
ok $? "the boosted job leads the queue"
like "$(cli nobody job why "$f")" "queue position: 1 " "job why agrees"
is "$(cli nobody job show "$f" --json | jq_ .factors.boost)" "100000" "job show lists the boost factor"
prio=$(cli nobody job show "$f" --json | jq_ .priority)
sum=$(cli nobody job show "$f" --json | jq_ .factors.age .factors.size .factors.fairshare .factors.qos .factors.boost .factors.nice |
	awk 'NR < 6 { s += $1 } NR == 6 { s -= $1 } END { printf "%d", s + 0.5 }')
is "$(printf '%.0f' "$prio")" "$sum" "the factors add up to the priority"
like "$(cli nobody job show "$f")" "priority: +[0-9]+ = age [0-9]+ \\+ size [0-9]+ \\+ fairshare [0-9]+ \\+ qos [0-9]+ \\+ boost 100000 - nice 0" \
	"job show spells out the factors"
is "$(job_state "$d")" "pending" "the long job still waits behind both"
cli admin1 job priority "$f" 0 >/dev/null
wait_for 20 first "$b"
ok $? "boost 0 restores the order"
cli nobody cancel "$f" >/dev/null

# The blocking job ends: the top job, not the long one, gets the nodes.
touch "$gate"
wait_for 30 state_is "$a" completed
ok $? "job $a completes"
wait_for 30 state_is "$b" completed
ok $? "the big job runs next and completes"
wait_for 30 state_is "$d" completed
ok $? "then the long job"
sb=$(cli nobody job show "$b" --json | jq_ .start_time)
sd=$(cli nobody job show "$d" --json | jq_ .start_time)
[ "$sb" -le "$sd" ]
ok $? "the big job started no later than the long one ($sb <= $sd)"
done_testing
