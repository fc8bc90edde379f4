#!/bin/sh
# colossus qos list|set|remove and reservation create|list|delete: JSON
# parsed back, times as people type them (now+2h, ISO 8601, Unix
# seconds), client-side checks (exit 2 before anything is sent) and
# admin-only changes (DESIGN invariant 6); every change committed before
# the command returns (invariant 1).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-admin 1 4

# ---- QOS
json=$(cli nobody qos list --json)
ok $? "anyone may list the QOS"
is "$(echo "$json" | jq_ '.qos[].name' | tr '\n' ' ')" "low normal high hero " "the four default QOS"
is "$(echo "$json" | jq_ -k '.qos[0]' | tr '\n' ' ')" \
	"name priority preempt preempt_mode grace_sec max_time_limit_sec max_nodes description " \
	"the documented field names"
like "$(cli nobody qos list | head -n 1)" "^NAME +PRIORITY +PREEMPTS +WHEN_PREEMPTED +GRACE +MAX_TIME +MAX_NODES +DESCRIPTION$" "table header"
out=$(cli nobody qos set debug --priority 5 2>&1); rc=$?
is "$rc" 4 "a user may not create a QOS (exit 4)"
like "$out" "not allowed for role user" "and is told why"
out=$(cli admin1 qos set debug --priority 50 --preempt low --preempt-mode cancel \
	--grace 30s --max-time 4h --max-nodes 2 --description 'short debug jobs')
is "$out" "qos debug created" "an admin creates a QOS with every option"
is "$(pg_psql "SELECT priority, preempt, preempt_mode, grace_sec, max_time_limit_sec, max_nodes FROM qos WHERE name = 'debug'")" \
	"50|{low}|cancel|30|14400|2" "recorded in the database"
is "$(cli admin1 qos set debug --priority 60)" "qos debug updated" "set again updates"
row=$(cli nobody qos list --no-header | grep '^debug ')
like "$row" "^debug +60 +low +cancel +30s +04:00:00 +2 +short debug jobs$" "other fields kept"
is "$(rc_of cli nobody submit -q debug -N 3 -- /bin/true)" 6 "the QOS node limit is enforced (exit 6)"
is "$(rc_of cli nobody submit -q debug -t 5h -- /bin/true)" 6 "and its time limit"
is "$(rc_of cli nobody submit -q nosuch -- /bin/true)" 6 "an unknown QOS is refused"
is "$(rc_of cli admin1 qos set debug --preempt-mode maybe)" 2 "a bad preempt mode is a usage error"
is "$(rc_of cli admin1 qos set debug --grace forever)" 2 "a bad grace is a usage error"
is "$(rc_of cli admin1 qos set 'bad name' --priority 1)" 2 "a bad name is a usage error"
is "$(rc_of cli admin1 qos set debug --preempt debug)" 6 "a QOS preempting itself is refused by the controller"
is "$(cli admin1 qos remove debug --json | jq_ .name .result | tr '\n' ' ')" "debug removed " "remove --json"
is "$(pg_psql "SELECT count(*) FROM qos WHERE name = 'debug'")" 0 "gone from the database"
is "$(rc_of cli admin1 qos remove debug)" 3 "removing it again: not found (exit 3)"
is "$(rc_of cli admin1 qos remove normal)" 7 "the default QOS cannot be removed (exit 7)"

# ---- reservations
now=$(date +%s)
out=$(cli admin1 reservation create win --nodes 'n[00001-00002]' --start now+2h \
	--duration 90m --users nobody,bob --accounts llm --reason 'hero run' 2>&1)
ok $? "an admin creates a reservation" || diag "$out"
like "$out" "^reservation win created: n\\[00001-00002\\] from [0-9-]+ [0-9:]+ to [0-9-]+ [0-9:]+$" "and is told its window"
json=$(cli nobody reservation list --json)
is "$(echo "$json" | jq_ -k '.reservations[0]' | tr '\n' ' ')" \
	"name state nodes node_count start_time end_time users accounts maintenance reason created_by " \
	"reservation list --json field names"
is "$(echo "$json" | jq_ '.reservations[0].state' '.reservations[0].node_count' '.reservations[0].created_by' | tr '\n' ' ')" \
	"future 2 admin1 " "state, node count, creator (from the certificate)"
st=$(echo "$json" | jq_ '.reservations[0].start_time')
en=$(echo "$json" | jq_ '.reservations[0].end_time')
[ "$st" -ge $((now + 7200)) ] && [ "$st" -le $((now + 7200 + 60)) ] && [ "$en" -eq $((st + 5400)) ]
ok $? "now+2h for 90m became the right window ($st-$en)"
is "$(echo "$json" | jq_ '.reservations[0].users[]' | tr '\n' ' ')" "nobody bob " "users"
row=$(cli nobody reservation list --no-header)
like "$row" "^win +future +n\\[00001-00002\\] +2 +.* users nobody,bob; accounts llm +hero run$" "the table"

# ISO 8601 and Unix seconds.
cli admin1 reservation create iso --nodes n00003 --start 2099-01-02T03:04Z --end 2099-01-02T05:04Z --maint >/dev/null
ok $? "ISO 8601 times with a zone"
is "$(cli nobody reservation list --json | jq_ '.reservations[1].start_time' '.reservations[1].maintenance' | tr '\n' ' ')" \
	"4071006240 true " "2099-01-02T03:04Z is 4071006240; maintenance"
cli admin1 reservation create unix --nodes n00004 --start 4071006240 --end @4071009840 >/dev/null
ok $? "Unix seconds, with and without @"
like "$(cli nobody reservation list)" "unix +future +n00004 +1 " "listed"

# Client-side checks: exit 2, nothing sent.
for bad in "--nodes n00004 --start now" \
	"--start now --duration 1h" \
	"--nodes 'n[0001' --duration 1h" \
	"--nodes n00004 --start tomorrow --duration 1h" \
	"--nodes n00004 --start 2026-02-30 --duration 1h" \
	"--nodes n00004 --duration 1h --end now+2h" \
	"--nodes n00004 --start now+2h --end now+1h" \
	"--nodes n00004 --start now-3h --duration 1h" \
	"--nodes n00004 --duration 1h --users 'bad user'"; do
	rc=$(eval "rc_of cli admin1 reservation create bad $bad")
	is "$rc" 2 "reservation create $bad: usage error"
done
out=$(cli admin1 reservation create dup --nodes n00001 --start now+2h --duration 1h 2>&1); rc=$?
is "$rc" 6 "overlapping another reservation on its nodes: refused (exit 6)"
like "$out" "overlaps reservation 'win'" "naming it"
is "$(rc_of cli admin1 reservation create nodes --nodes n99999 --duration 1h)" 6 "an unknown node is refused"
is "$(rc_of cli nobody reservation create mine --nodes n00004 --duration 1h)" 4 "users may not create reservations"
is "$(rc_of cli nobody reservation delete win)" 4 "nor delete them"
is "$(cli admin1 reservation delete win)" "reservation win deleted" "an admin deletes one"
is "$(rc_of cli admin1 reservation delete win)" 3 "deleting it again: not found"
is "$(cli admin1 reservation delete iso --json | jq_ .result)" "deleted" "delete --json"
is "$(pg_psql "SELECT name FROM reservations ORDER BY name" | tr '\n' ' ')" "unix " "the database keeps only the last"
done_testing
