#!/bin/sh
# colossus submit's scheduling options through the real controller:
# --array (its output and JSON), --reservation, --afternotok and
# --dependency afternotok:ID, from the command line and from #COLOSSUS
# lines, recorded in the job's spec (job show --json).  Bad values are
# usage errors before anything is sent (DESIGN invariant 7).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-submit 1 1

out=$(cli nobody submit --hold --array 1,3,5-6 -G 1 -D "$OUT" -- /bin/true)
like "$out" "^Submitted array job ([0-9]+): 4 tasks, jobs \\1-[0-9]+$" "an array of four tasks"
first=$(echo "$out" | sed -n 's/^Submitted array job \([0-9]*\):.*/\1/p')
json=$(cli nobody submit --hold --json --array 0-2%1 -G 1 -D "$OUT" -- /bin/true)
is "$(echo "$json" | jq_ '.array_job_ids#')" 3 "--json lists the array's job ids"
a0=$(echo "$json" | jq_ .job_id)
is "$(echo "$json" | jq_ '.array_job_ids[0]')" "$a0" "the first is the array job id"
is "$(cli nobody submit --hold --quiet --array 0-1 -G 1 -D "$OUT" -- /bin/true | wc -l)" 1 \
	"--quiet prints only the array job id"
show=$(cli nobody job show "$((first + 1))" --json)
is "$(echo "$show" | jq_ .array_job_id .array_task .spec.array | tr '\n' ' ')" "$first 3 1,3,5-6 " \
	"task 3: its array job, task and spec"
is "$(cli nobody jobs --format array --no-header --sort id | head -n 4 | tr '\n' ' ')" \
	"${first}_1 ${first}_3 ${first}_5 ${first}_6 " "jobs --format array"
cli nobody cancel --me >/dev/null

cli admin1 reservation create r1 --nodes n00001 --duration 1h --users nobody >/dev/null
j=$(cli nobody submit --quiet --hold --reservation r1 --afternotok 1 -d afternotok:2,afterok:3 -D "$OUT" -- /bin/true)
ok $? "--reservation, --afternotok and -d afternotok accepted"
show=$(cli nobody job show "$j" --json)
is "$(echo "$show" | jq_ .spec.reservation .reservation | tr '\n' ' ')" "r1 r1 " "the reservation is recorded"
is "$(echo "$show" | jq_ '.spec.after_not_ok[]' | tr '\n' ' ')" "1 2 " "after_not_ok"
is "$(echo "$show" | jq_ '.spec.after_ok[]')" "3" "after_ok"
like "$(cli nobody job show "$j")" "afternotok: +1,2" "job show lists afternotok"
cli nobody cancel "$j" >/dev/null

cat > "$OUT/job.sh" <<'SH'
#!/bin/sh
#COLOSSUS --array 0-3%2 --reservation r1 -G 1
#COLOSSUS -d afternotok:7
true
SH
out=$(cli nobody submit --hold -D "$OUT" "$OUT/job.sh")
like "$out" "^Submitted array job [0-9]+: 4 tasks" "directives carry --array"
k=$(echo "$out" | sed -n 's/^Submitted array job \([0-9]*\):.*/\1/p')
is "$(cli nobody job show "$k" --json | jq_ .spec.reservation '.spec.after_not_ok[0]' | tr '\n' ' ')" "r1 7 " \
	"and --reservation and afternotok"
cli nobody cancel --me >/dev/null

for bad in "--array ''" "--array 5-1" "--array 0-9%0" "--array x" "--reservation 'a b'" \
	"-d afternotok:x" "-d afterstart:1" "--afternotok 0"; do
	is "$(eval "rc_of cli nobody submit $bad -- /bin/true")" 2 "submit $bad: usage error"
done
is "$(rc_of cli nobody submit --array 0-999999 -- /bin/true)" 6 "an array larger than the controller allows: exit 6"
done_testing
