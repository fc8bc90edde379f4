#!/bin/sh
# Holds through the real controller: a held job is never placed, even on
# idle nodes; released, it runs.  A pending job held while blocked lets
# the next one go first; released, it gets its place back (priority comes
# from its submit time).  Users hold only their own jobs (invariant 6).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-hold 1 2

h=$(cli nobody submit --quiet --hold -N 2 -t 5m -J held -D "$OUT" -- /bin/true)
is "$(job_state "$h")" "held" "submit --hold: held at once"
o=$(cli nobody submit --quiet -G 1 -t 5m -J other -D "$OUT" -- /bin/true)
wait_for 30 state_is "$o" completed
ok $? "another job runs meanwhile (a pass has run)"
is "$(job_state "$h")" "held" "the held job was not placed on the idle nodes"
like "$(cli nobody job why "$h")" "held" "job why says it is held"
is "$(rc_of cli alice release "$h")" 4 "alice may not release nobody's job (exit 4)"
cli nobody release "$h" >/dev/null
wait_for 30 state_is "$h" completed
ok $? "released, it runs"

gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
a=$(cli nobody submit --quiet -N 2 -t 5m -J blocker -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$a" running
ok $? "a job holds both nodes"
b=$(cli nobody submit --quiet -N 2 -t 5m -J first -D "$OUT" -- /bin/true)
c=$(cli nobody submit --quiet -N 2 -t 5m -J second -D "$OUT" -- /bin/true)
top() { [ "$(cli nobody jobs --state pending --sort priority --format id --no-header | head -n 1)" = "$1" ]; }
wait_for 20 top "$b"
ok $? "the older job leads the queue"
cli nobody hold "$b" >/dev/null
ok $? "hold it"
wait_for 20 top "$c"
ok $? "the next job leads while it is held"
cli nobody release "$b" >/dev/null
wait_for 20 top "$b"
ok $? "released, it is back in front"
touch "$gate"
wait_for 30 state_is "$c" completed
ok $? "both run once the nodes are free"
sb=$(cli nobody job show "$b" --json | jq_ .start_time)
sc=$(cli nobody job show "$c" --json | jq_ .start_time)
[ "$sb" -le "$sc" ]
ok $? "in their order ($sb <= $sc)"
done_testing
