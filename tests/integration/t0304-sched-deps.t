#!/bin/sh
# Job dependencies through the real controller (issue 3: "--after,
# --afterok ... every user coming from Slurm").  An afterok chain runs in
# order; afterok on a failed job never runs and `job why` says so;
# afternotok runs only after a failure; --after (afterany) after any end.
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster sched-deps 1 2

gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"

a=$(cli nobody submit --quiet -G 1 -t 5m -J first -D "$OUT" -- "$OUT/wait.sh")
b=$(cli nobody submit --quiet -G 1 -t 5m -J second --afterok "$a" -D "$OUT" -- /bin/true)
c=$(cli nobody submit --quiet -G 1 -t 5m -J third -d "afterok:$b" -D "$OUT" -- /bin/true)
wait_for 30 state_is "$a" running
ok $? "the first job of the chain runs"
deps() { cli nobody job show "$1" --json | jq_ .reason | grep -q "waiting for dependencies"; }
wait_for 20 deps "$b"
ok $? "the second waits for its dependency"
is "$(job_state "$c")" "pending" "the third waits too"
why=$(cli nobody job why "$b")
like "$why" "depends on job $a \\(afterok\\): running, not finished yet" "job why shows the dependency and its state"
is "$(cli nobody job why "$b" --json | jq_ '.dependencies[0].job_id' '.dependencies[0].type')" \
	"$a
afterok" "job why --json lists it"
touch "$gate"
wait_for 30 state_is "$c" completed
ok $? "the chain runs to the end"
ea=$(cli nobody job show "$a" --json | jq_ .end_time)
sb=$(cli nobody job show "$b" --json | jq_ .start_time)
eb=$(cli nobody job show "$b" --json | jq_ .end_time)
sc=$(cli nobody job show "$c" --json | jq_ .start_time)
[ "$sb" -ge "$ea" ] && [ "$sc" -ge "$eb" ]
ok $? "in order: each started after the one before ended"

# A failure: afterok never runs, afternotok and after do.
f=$(cli nobody submit --quiet -G 1 -t 5m -J fails -D "$OUT" -- /bin/false)
g=$(cli nobody submit --quiet -G 1 -t 5m -J needs-ok --afterok "$f" -D "$OUT" -- /bin/true)
n=$(cli nobody submit --quiet -G 1 -t 5m -J on-failure -d "afternotok:$f" -D "$OUT" -- /bin/true)
y=$(cli nobody submit --quiet -G 1 -t 5m -J any-end --after "$f" -D "$OUT" -- /bin/true)
wait_for 30 state_is "$f" failed
ok $? "a job fails"
wait_for 30 state_is "$n" completed
ok $? "afternotok: the job after the failure runs"
wait_for 30 state_is "$y" completed
ok $? "after (afterany): runs after any end"
never() { cli nobody job show "$g" --json | jq_ .reason | grep -q "never"; }
wait_for 20 never
ok $? "afterok on the failed job: the reason says it can never run"
is "$(job_state "$g")" "pending" "and it does not run"
why=$(cli nobody job why "$g")
like "$why" "expected start: never" "job why says it will never start"
like "$why" "depends on job $f \\(afterok\\): failed, never met" "and which dependency failed"
ok2=$(cli nobody submit --quiet -G 1 -t 5m -d "afternotok:$c" -D "$OUT" -- /bin/true)
never2() { cli nobody job why "$ok2" | grep -q "afternotok.*never met"; }
wait_for 20 never2
ok $? "afternotok on a completed job can never be met either"
cli nobody cancel "$g" "$ok2" >/dev/null
ok $? "both can be cancelled"
done_testing
