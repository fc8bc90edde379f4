#!/bin/sh
# colossus events, health, node why, rack readings and breaker reset
# (issue 5, "Admin operations"; issue 6) through the real controller:
# every drain and health verdict is an event with who and why, kept in
# PostgreSQL (DESIGN, Health); the filters, --json (parsed back) and
# --follow (no event twice, none lost, Ctrl-C exits 0); health and
# node why show the reason for a state; a CDU leak reading drains its
# rack, so no new work goes there (invariant 5); only monitors and
# admins may report rack readings, only admins reset the breaker
# (invariant 6).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-events 2 2
# r0001: n00001-n00002, r0002: n00003-n00004.
# Events are written in batches: wait until the one we expect is there.
has_event() { # PATTERN [FILTER-ARGS...]
	_pat=$1; shift
	cli nobody events "$@" --format kind,actor,reason --no-header | grep -q -- "$_pat"
}

# ---- events after a drain
cli admin1 drain node n00001 --reason 'fan noise' >/dev/null
ok $? "an admin drains n00001"
wait_for 30 has_event "node_drain  *admin1  *fan noise" --node n00001
ok $? "events shows the drain with who and why"
json=$(cli nobody events --node n00001 --kind node_drain --json)
ok $? "events --json"
is "$(echo "$json" | jq_ -k '.events[0]' | tr '\n' ' ')" \
	"id time time_ms kind severity actor node rack job_id reason " "the documented field names"
is "$(echo "$json" | jq_ '.events#' '.events[0].kind' '.events[0].actor' '.events[0].node' '.events[0].rack' | tr '\n' ' ')" \
	"1 node_drain admin1 n00001 r0001 " "one event: kind, actor, node, rack"
like "$(echo "$json" | jq_ '.events[0].reason')" "^fan noise" "and the reason"
id1=$(echo "$json" | jq_ '.events[0].id')
t1=$(echo "$json" | jq_ '.events[0].time')
is "$(pg_psql "SELECT kind, actor FROM events WHERE id = $id1")" "node_drain|admin1" "the event is in PostgreSQL"
like "$(cli nobody events | head -n 1)" "^TIME +KIND +SEVERITY +ACTOR +NODE +RACK +JOB +REASON$" "the table header"
like "$(cli nobody events --node n00001 --kind node_drain --format id,kind,node --no-header)" \
	"^ *$id1 +node_drain +n00001$" "--format and --no-header"
kinds=$(cli nobody events --kind node_ --json | jq_ '.events[].kind')
like "$kinds" "node_drain" "--kind node_ lists node_drain"
is "$(echo "$kinds" | grep -vc '^node_')" 0 "and only kinds that start with node_"
is "$(cli nobody events --kind node_d --json | jq_ '.events#')" 1 "--kind node_d: the drain only"
is "$(cli nobody events --kind 'node%' --json | jq_ '.events#')" 0 "--kind is a plain prefix, not a LIKE pattern"
is "$(cli nobody events --rack r0002 --kind node_drain --json | jq_ '.events#')" 0 "--rack filters"
is "$(cli nobody events --since now+1h --json | jq_ '.events#')" 0 "--since in the future: nothing"
is "$(cli nobody events --until "$t1" --kind node_drain --json | jq_ '.events#')" 0 "--until before the drain: not listed"
is "$(cli nobody events --since "$t1" --until now+1m --kind node_drain --json | jq_ '.events[0].id')" "$id1" "--since and --until around it"
is "$(cli nobody events --limit 1 --json | jq_ '.events#')" 1 "--limit"
newest=$(cli nobody events --limit 1 --json | jq_ '.events[0].id')
is "$(cli nobody events --limit 100 --json | jq_ '.events[].id' | tail -n 1)" "$newest" "oldest first, the newest last"

# Job events by --job.
jb=$(cli nobody submit --quiet -N 1 -t 5m -D "$OUT" -- /bin/true)
wait_for 30 state_is "$jb" completed
wait_for 30 has_event "job_completed" --job "$jb"
ok $? "events --job shows the job's transitions"
is "$(cli nobody events --job "$jb" --json | jq_ '.events[].job_id' | sort -u)" "$jb" "and only that job's"

# Command-line checks: exit 2, nothing sent.
for bad in "--limit 0" "--limit 10001" "--since tomorrow" "--job abc" \
	"--interval 0s" "--follow --until now" "--since now --until now-1h" \
	"--format id,nosuch" "extra"; do
	is "$(eval "rc_of cli nobody events $bad")" 2 "events $bad: usage error"
done

# ---- --follow: new events as they come, each once; Ctrl-C exits 0
# Started directly (not through the cli function) so that $! is the
# CLI's own PID, which gets the signals.
conn="--controller 127.0.0.1:$CTL_PORT --ca $T/pki/ca.pem --cert $T/pki/nobody.pem --key $T/pki/nobody.key"
"$CLI_BIN" $conn events --follow --json --limit 5 --interval 1s > "$T/follow.json" 2> "$T/follow.err" &
fpid=$!
CLUSTER_PIDS="$CLUSTER_PIDS $fpid"
"$CLI_BIN" $conn events --follow --kind node_ --limit 1 > "$T/follow.txt" 2>&1 &
tpid=$!
CLUSTER_PIDS="$CLUSTER_PIDS $tpid"
# Nothing matches at first: only what happens from now on may show.
"$CLI_BIN" $conn events --follow --json --node n00004 --since now > "$T/follow4.json" 2>&1 &
npid=$!
CLUSTER_PIDS="$CLUSTER_PIDS $npid"
lines5() { [ "$(wc -l < "$T/follow.json")" -ge 5 ]; }
wait_for 30 lines5
ok $? "--follow prints the backlog"
cli admin1 drain node n00004 --reason 'follow me' >/dev/null
cli admin1 resume node n00004 >/dev/null
wait_for 30 grep -q 'resumed by admin1' "$T/follow.json"
ok $? "then the new events"
kill -INT "$fpid"
wait "$fpid"
is "$?" 0 "Ctrl-C ends --follow with exit 0"
bad=0
while IFS= read -r line; do
	echo "$line" | jq_ .kind >/dev/null || bad=$((bad + 1))
done < "$T/follow.json"
is "$bad" 0 "every line is one JSON object (JSON Lines)"
n=$(jq_ .id < /dev/null 2>/dev/null; while IFS= read -r l; do echo "$l" | jq_ .id; done < "$T/follow.json" | sort | uniq -d | wc -l)
is "$n" 0 "no event twice"
like "$(grep -c '"kind":"node_drain"' "$T/follow.json")" "^[1-9]" "the drain is there"
wait_for 30 grep -q 'node_resume .*resumed by admin1' "$T/follow.txt"
ok $? "text --follow with a filter"
like "$(head -n 1 "$T/follow.txt")" "^TIME +KIND +SEVERITY" "with a header"
unlike "$(cat "$T/follow.txt")" "job_" "and only the kinds asked for"
kill -TERM "$tpid"
wait "$tpid"
is "$?" 0 "SIGTERM ends it too, with exit 0"
lines2() { [ "$(wc -l < "$T/follow4.json")" -ge 2 ]; }
wait_for 30 lines2
ok $? "--follow with a filter nothing matched yet"
kill -INT "$npid"
wait "$npid"
is "$(while IFS= read -r l; do echo "$l" | jq_ .kind; done < "$T/follow4.json" | tr '\n' ' ')" \
	"node_drain node_resume " "shows the new events of that node, in order, and nothing older"

# ---- health of a node
out=$(cli nobody health n00001)
ok $? "anyone may look at a node's health"
like "$out" "^node n00001: state up, admin drained \\(by admin1\\), health ok" "state, drain and who"
like "$out" "reason: fan noise" "the reason"
json=$(cli nobody health n00001 --json)
is "$(echo "$json" | jq_ .kind .name '.nodes[0].admin_state' '.nodes[0].drained_by' '.nodes[0].rack' '.nodes[0].reason' | tr '\n' ' ')" \
	"node n00001 drained admin1 r0001 fan noise " "health --json"
is "$(echo "$json" | jq_ -k '.nodes[0]' | tr '\n' ' ')" \
	"node state admin_state health reason drained_by rack rack_admin_state flags sample_time gpus nics " \
	"the documented field names"
out=$(cli nobody health n09999 2>&1); rc=$?
is "$rc" 3 "an unknown name: not found (exit 3)"
like "$out" "no node or rack named 'n09999'" "named in the message"
is "$(rc_of cli nobody health node r0001)" 3 "a rack named as a node: not found"
is "$(rc_of cli nobody health)" 2 "no name: usage error"
is "$(rc_of cli nobody health a b c)" 2 "too many names: usage error"

# ---- rack readings and the cooling policy
out=$(cli nobody rack readings r0002 --flow 150 2>&1); rc=$?
is "$rc" 4 "a user may not report rack readings"
like "$out" "not allowed for role user" "and is told why"
for bad in "--flow abc" "--flow -5" "--pumps 3/2" "--pumps two" "--leak maybe" "" "--flow 1 r0001"; do
	is "$(eval "rc_of cli mon1 rack readings r0002 $bad")" 2 "rack readings $bad: usage error"
done
is "$(rc_of cli mon1 rack readings r0099 --flow 150)" 3 "an unknown rack: not found"
out=$(cli mon1 rack readings r0002 --flow 150 --supply-temp 30.5 --pumps 2/2 --fans 4/4 --power 40)
ok $? "a monitor reports normal readings"
json=$(cli nobody health r0002 --json)
is "$(echo "$json" | jq_ .kind .rack_state .rack.coolant_flow_lpm .rack.supply_temp_c .rack.return_temp_c .rack.pumps_ok .rack.leak .rack.power_kw | tr '\n' ' ')" \
	"rack none 150 30.5 null 2 none 40 " "health RACK --json: readings, not measured is null"
is "$(echo "$json" | jq_ '.nodes#')" 2 "and its nodes"
like "$(cli nobody health r0002)" "coolant: flow 150.0 L/min supply 30.5C pumps 2/2 fans 4/4 leak none" "health RACK text"
is "$(cli nobody racks --json | jq_ '.racks[1].admin_state')" none "normal readings drain nothing"

cli admin1 rack readings r0002 --leak warning >/dev/null
ok $? "an admin reports a leak warning"
rack_drained() { cli nobody racks --json | jq_ '.racks[1].admin_state' | grep -Eq '^drain(ing|ed)$'; }
wait_for 30 rack_drained
ok $? "the leak drains the rack (the default policy)"
wait_for 30 has_event "rack_drain  *health  *rack r0002: leak warning" --rack r0002 --kind rack_drain
ok $? "a rack_drain event by health with the rule's reason"
wait_for 30 has_event "alarm" --rack r0002 --kind alarm
ok $? "and an alarm"
jn=$(cli nobody submit --quiet -N 1 -t 5m -x 'n[00001-00002]' -D "$OUT" -- /bin/true)
sleep 2
is "$(job_state "$jn")" pending "a job that needs the drained rack waits (invariant 5)"

# ---- node why
out=$(cli nobody node why n00003)
ok $? "anyone may ask why"
like "$out" "^n00003 is drained: gets no new work" "the verdict"
like "$out" "rack r0002: drained" "the rack is the cause"
like "$out" "rack_drain +health +rack r0002: leak warning" "the event that drained it"
like "$out" "Next: its rack r0002 is drained; when the rack is fixed: colossus resume rack r0002" "what to do"
json=$(cli nobody node why n00003 --json)
is "$(echo "$json" | jq_ .in_service .health.rack_admin_state .health.drained_by | tr '\n' ' ')" \
	"false drained health " "node why --json"
is "$(echo "$json" | jq_ -k . | tr '\n' ' ')" "in_service verdict next health events " "its fields"
like "$(echo "$json" | jq_ '.events[].kind' | tr '\n' ' ')" "rack_drain" "with the events"
out=$(cli nobody node why n00001)
like "$out" "^n00001 is drained" "a node drained by an admin"
like "$out" "node_drain +admin1 +fan noise" "its drain event"
like "$out" "Next: when the work is done: colossus resume node n00001" "and what to do"
unlike "$out" "rack_drain" "not the other rack's events"
is "$(cli nobody node why n00002 --json | jq_ .in_service)" true "a node in service"
like "$(cli nobody node why n00002)" "^n00002 is in service: nothing keeps it from new work" "says so"
is "$(rc_of cli nobody node why n09999)" 3 "an unknown node: not found"
is "$(rc_of cli nobody node why)" 2 "no node: usage error"

# ---- a health rule: the readings, the rule and its event
gpus8() { [ "$(cli nobody health n00002 --json | jq_ '.nodes[0].gpus#')" = 8 ]; }
wait_for 30 gpus8
ok $? "health shows the agent's readings of all 8 GPUs"
json=$(cli nobody health n00002 --json)
is "$(echo "$json" | jq_ -k '.nodes[0].gpus[0]' | tr '\n' ' ')" \
	"index uuid lost temp_c power_w ecc remap pcie nvlink throttle_reasons sm_clock_mhz " "the GPU field names"
like "$(echo "$json" | jq_ '.nodes[0].gpus[1].uuid')" "^GPU-" "with UUIDs"
like "$(cli nobody health n00002)" "GPU +TEMP +POWER +ECC_SBE +ECC_DBE" "and a table of them"
agent_control n00002 gpu xid 1 79 >/dev/null
ok $? "XID 79 injected on n00002 GPU 1"
by_health() { [ "$(cli nobody health n00002 --json | jq_ '.nodes[0].drained_by')" = health ]; }
wait_for 30 by_health
ok $? "the health policy drains n00002"
wait_for 30 has_event "health  *health  *GPU 1: " --node n00002 --kind health
ok $? "the rule's verdict is an event"
out=$(cli nobody node why n00002)
like "$out" "^n00002 is drain(ing|ed)" "node why: the verdict"
like "$out" "admin drain(ing|ed) \\(by health\\)" "drained by the health policy"
like "$out" "reason: GPU 1: .*XID 79" "the rule: XID 79 on GPU 1"
like "$out" "health +health +GPU 1: " "the event of the rule"
like "$out" "node_drain +health" "and of the drain"
like "$out" "Next: nothing if the fault clears .*colossus resume node n00002 --repaired" "what to do"
is "$(cli nobody node why n00002 --json | jq_ .health.drained_by .health.flags# | tr '\n' ' ')" "health 0 " "--json"

# ---- the breaker; resume the rack
out=$(cli nobody breaker reset 2>&1); rc=$?
is "$rc" 4 "a user may not reset the breaker"
is "$(cli admin1 breaker reset)" "health breaker closed: automatic drains resume" "an admin may"
wait_for 30 has_event "breaker_reset  *admin1" --kind breaker_reset
ok $? "the reset is an event with who"
cli admin1 rack readings r0002 --leak none >/dev/null
cli admin1 resume rack r0002 >/dev/null
wait_for 30 state_is "$jn" completed
ok $? "after resume rack the waiting job runs"
is "$(cli nobody node why n00003 --json | jq_ .in_service)" true "and n00003 is in service again"
done_testing
