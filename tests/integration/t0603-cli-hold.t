#!/bin/sh
# colossus hold, release and job priority as commands: one line per job,
# --json results, exit codes combined like cancel's, and ownership: a
# user may hold, release or cancel only their own jobs; only admins set a
# priority boost (DESIGN invariant 6).  Every change is committed before
# the command returns (invariant 1).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-hold 1 1

# Jobs that can never start (more GPUs than the node has free): they stay
# pending however fast the scheduler is.
gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
busy=$(cli nobody submit --quiet -N 1 -t 10m -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$busy" running
a=$(cli nobody submit --quiet -G 2 -t 5m -D "$OUT" -- /bin/true)
b=$(cli nobody submit --quiet -G 2 -t 5m -D "$OUT" -- /bin/true)

out=$(cli nobody hold "$a" "$b")
ok $? "the owner holds two pending jobs"
is "$out" "job $a: held
job $b: held" "one line per job"
is "$(pg_psql "SELECT state FROM jobs WHERE id IN ($a, $b) ORDER BY id" | tr '\n' ' ')" \
	"held held " "recorded in the database when the command returns"
is "$(job_state "$a")" "held" "job show agrees"

out=$(cli alice release "$a" 2>&1); rc=$?
is "$rc" 4 "alice may not release nobody's job (exit 4)"
like "$out" "job $a belongs to nobody" "and is told whose it is"
out=$(cli alice hold "$busy" 2>&1); rc=$?
is "$rc" 4 "alice may not hold nobody's job (exit 4)"
out=$(cli alice cancel "$b" 2>&1); rc=$?
is "$rc" 4 "alice may not cancel nobody's job (exit 4)"
is "$(job_state "$b")" "held" "which is untouched"

out=$(cli nobody hold "$a" 2>&1); rc=$?
is "$rc" 7 "holding a held job is a conflict (exit 7)"
like "$out" "job $a is held, not pending" "with the reason"
is "$(rc_of cli nobody release 99999)" 3 "an unknown job: exit 3"
is "$(rc_of cli nobody hold)" 2 "no job ids: usage error"
is "$(rc_of cli nobody hold x1)" 2 "a bad id: usage error"
out=$(cli nobody release "$a" 99999 2>&1); rc=$?
is "$rc" 3 "one released, one unknown: the failure's code (3)"
like "$out" "job $a: released" "the good one is reported"
like "$out" "no job 99999" "and the bad one"
out=$(cli nobody release "$a" "$busy" 99999 2>&1); rc=$?
is "$rc" 1 "failures of different kinds: exit 1"
json=$(cli nobody release "$b" --json)
ok $? "release --json"
is "$(echo "$json" | jq_ '.results[0].job_id' '.results[0].status' '.results[0].error' | tr '\n' ' ')" \
	"$b ok  " "results: job_id, status, error"
json=$(cli alice hold "$b" --json 2>/dev/null); rc=$?
is "$rc" 4 "hold --json of someone else's job: exit 4"
is "$(echo "$json" | jq_ '.results[0].status')" "permission" "status permission in JSON"
cli admin1 hold "$b" >/dev/null
ok $? "an admin may hold anyone's job"
cli admin1 release "$b" >/dev/null
ok $? "and release it"

# Priority boost: admins only, negative values, JSON.
is "$(rc_of cli nobody job priority "$a" 10)" 4 "a user may not set a boost"
out=$(cli admin1 job priority "$a" -- -250)
is "$out" "job $a: priority boost -250" "admin sets a negative boost after --"
is "$(cli admin1 job priority "$a" 40 --json | jq_ .job_id .boost | tr '\n' ' ')" "$a 40 " "--json"
boost() { [ "$(cli nobody job show "$a" --json | jq_ .factors.boost)" = "$1" ]; }
wait_for 20 boost 40
ok $? "job show shows the boost"
is "$(rc_of cli admin1 job priority "$a")" 2 "a missing boost is a usage error"
is "$(rc_of cli admin1 job priority "$a" 99999999)" 2 "an out-of-range boost is a usage error"
is "$(rc_of cli admin1 job priority 99999 5)" 3 "an unknown job: exit 3"
touch "$gate"
done_testing
