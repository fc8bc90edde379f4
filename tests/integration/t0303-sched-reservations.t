#!/bin/sh
# Reservations through the real controller (DESIGN, Scheduling:
# "reservations (maintenance windows, hero runs)").  A maintenance window
# that starts later lets onto its nodes only jobs whose time limits end
# before it; a job that names an active reservation runs only on its
# nodes, nobody else's job gets them, and users not listed are refused
# (invariant 6: the user is the certificate's).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-resv 2 2

# Maintenance on rack r0002 (n00003-n00004) from 30 minutes from now.
out=$(cli admin1 reservation create cdu --nodes 'n[00003-00004]' --start now+30m \
	--duration 1h --maint --reason 'CDU pump swap' 2>&1)
ok $? "admin reserves rack r0002 for maintenance in 30 minutes" || diag "$out"
is "$(cli nobody reservation list --json | jq_ '.reservations[0].state')" "future" \
	"the window has not started"

# Only n00003-n00004 are allowed to these jobs (the others are excluded).
s=$(cli nobody submit --quiet -N 2 -t 10m -x 'n[00001-00002]' -J fits -D "$OUT" -- /bin/true)
wait_for 30 state_is "$s" completed
ok $? "a 10-minute job on the reserved nodes runs before the window"
is "$(cli nobody job show "$s" --json | jq_ .nodelist)" "n[00003-00004]" "on those nodes"
l=$(cli nobody submit --quiet -N 2 -t 2h -x 'n[00001-00002]' -J toolong -D "$OUT" -- /bin/true)
w=$(cli nobody submit --quiet -N 1 -t 1m -x 'n[00003-00004]' -J other -D "$OUT" -- /bin/true)
wait_for 30 state_is "$w" completed
ok $? "a later job elsewhere runs (the scheduler has passed over the long one)"
is "$(job_state "$l")" "pending" "a 2-hour job that would run into the window waits"
cli nobody cancel "$l" >/dev/null

# A hero reservation on n00001, active now, for nobody only.
cli admin1 reservation create hero --nodes n00001 --start now --duration 1h \
	--users nobody --reason 'hero run' >/dev/null
ok $? "admin reserves n00001 for nobody, starting now"
is "$(cli nobody reservation list --json | jq_ '.reservations[1].state')" "active" "it is active"
# A job without the reservation that could only use n00001 must wait.
x=$(cli nobody submit --quiet -N 1 -t 5m -x 'n[00002-00004]' -J outsider -D "$OUT" -- /bin/true)
r=$(cli nobody submit --quiet -N 1 -t 5m --reservation hero -J inside -D "$OUT" -- /bin/sleep 600)
wait_for 30 state_is "$r" running
ok $? "a job naming the reservation runs"
is "$(cli nobody job show "$r" --json | jq_ .nodelist)" "n00001" "on the reserved node"
is "$(cli nobody job show "$r" --json | jq_ .reservation)" "hero" "job show names the reservation"
is "$(cli nobody jobs --format reservation --no-header --state running)" "hero" \
	"jobs --format reservation shows it"
r2=$(cli nobody submit --quiet -N 1 -t 5m --reservation hero -J inside2 -D "$OUT" -- /bin/true)
o=$(cli nobody submit --quiet -N 1 -t 5m -x n00001 -J free -D "$OUT" -- /bin/true)
wait_for 30 state_is "$o" completed
ok $? "a job outside the reservation runs on the free nodes"
is "$(job_state "$r2")" "pending" "a second reservation job waits for the reserved node, not the free ones"
is "$(job_state "$x")" "pending" "a job without the reservation does not get the reserved node"

out=$(cli alice submit --quiet --reservation hero -- /bin/true 2>&1); rc=$?
is "$rc" 4 "a user not on the reservation is refused (exit 4)"
like "$out" "may not use reservation 'hero'" "with a clear message"
out=$(cli nobody submit --quiet --reservation nosuch -- /bin/true 2>&1); rc=$?
is "$rc" 6 "an unknown reservation is an invalid request (exit 6)"
like "$out" "no reservation 'nosuch'" "and says so"

# Deleting the reservation frees its node for everyone.
cli nobody cancel "$r" "$r2" >/dev/null
cli admin1 reservation delete hero >/dev/null
ok $? "admin deletes the reservation"
wait_for 30 state_is "$x" completed
ok $? "the job without it now gets n00001"
done_testing
