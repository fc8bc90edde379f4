#!/bin/sh
# Power limits (issue 11): an admin lowers the site limit at run time and
# new starts that would exceed it wait, saying why in `colossus job why`
# with the numbers; the limit is recorded before the answer and survives
# a controller restart; raising it lets the job start; running jobs are
# never stopped by a lower limit; a user cannot change limits; GPU power
# readings replace the model where recent; the power metrics.
# Protects DESIGN invariant 1 (durable before acknowledged), invariant 6
# (only admins change limits) and invariant 7 (bad input, clear error).
. "$top_srcdir/tests/lib/cluster.sh"
command -v jq >/dev/null || skip_all "jq not installed"
command -v curl >/dev/null || skip_all "curl not installed"
cluster_init powerlimit
http_port() {
	sed -n 's/.*http: serving.*(port \([0-9]*\)).*/\1/p' "$T/controller.log" | tail -n 1
}
# Readings every 5 s, so that the test sees them.
start() { ctl_start --set health.sample_interval=5s \
	--set controller.http_listen=127.0.0.1:0; }
start
cli root topology apply "$(cluster_small_topology 1 4)" >/dev/null
ok $? "topology applied: 4 H100 nodes, 10 kW idle by the model"
for n in n00001 n00002 n00003 n00004; do agent_start "$n"; done
ok $? "four agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-powerlimit-$$"
printf 'sleep 600\n' > "$T/out/$marker.sh"
chmod 755 "$T/out/$marker.sh"
rc_of() { "$@" >/dev/null 2>&1; echo $?; }
state_is() { cli nobody job show "$1" --json | jq -e ".job.state == \"$2\" or .state == \"$2\"" >/dev/null; }
reason_of() { cli nobody job show "$1" --json | jq -r '.job.reason // .reason'; }
waits_for_power() { reason_of "$1" | grep -q "^waiting for power"; }
power() { cli nobody power --json; }

# ---- who may change a limit, and bad input -----------------------------
out=$(cli alice power limit site 10kW 2>&1); rc=$?
is "$rc" 4 "a user may not change a limit (exit 4)"
like "$out" "not allowed for role user" "and is told why"
is "$(rc_of cli root power limit hall nohall 1MW)" 3 "an unknown hall: not found (exit 3)"
is "$(rc_of cli root power limit site 20)" 2 "a power without a unit: usage error (exit 2)"
is "$(rc_of cli root power limit galaxy 20MW)" 2 "an unknown scope: usage error"
is "$(pg_psql "SELECT count(*) FROM power_limits")" 0 "nothing was recorded"
p=$(power)
is "$(echo "$p" | jq -r '.site.limit_w, .site.nodes, .ramp.limit_w' | tr '\n' ' ')" "0 4 0 " \
	"colossus power: no limit, 4 nodes, no ramp"

# ---- a lowered limit holds new starts back ---------------------------------
# The model: an idle H100 node draws 2.5 kW, each busy GPU adds 962.5 W
# (7.7 kW a node).  The simulated GPUs read about 100 W each whatever
# runs, so a node whose reading counts shows about 2.8 kW: the numbers
# below hold with readings or without.
out=$(cli root power limit site 26kW)
ok $? "an admin lowers the site limit"
is "$out" "site power limit set to 26.0 kW" "the CLI confirms"
is "$(pg_psql "SELECT limit_w, set_by FROM power_limits WHERE scope = 'site'")" "26000|root" \
	"it is in the database when the CLI returns"
# 10 kW + 3.85 kW: fits.
idA=$(cli nobody submit --quiet -N 1 --gpus-per-node 4 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 20 state_is "$idA" running
ok $? "a half-node job fits under the limit and runs"
# 2 more busy nodes: at least 26.4 kW with readings, 29.25 kW by the model.
id=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 20 waits_for_power "$id"
ok $? "a 2-node job waits for power"
like "$(reason_of "$id")" "^waiting for power: the site would draw [0-9.]+ kW of its 26.0 kW limit$" \
	"its reason has the numbers"
why=$(cli nobody job why "$id")
like "$why" "waiting for power: the site would draw" "job why gives the reason"
like "$why" "the job adds about 15.4 kW \\(2 x 7.7 kW\\)" "what the job adds"
like "$why" "site [0-9.]+ kW of its 26.0 kW limit \\([0-9.]+ kW headroom\\)" "and the budget"
like "$why" "expected start: when the power budget allows" "no backfill estimate is claimed for a power wait"
# It would fit on an otherwise idle site (10 + 15.4 = 25.4 kW), so it
# holds the site's headroom: a later 1-node job that would fit now
# (at most 21.55 kW) must not take it and keep the bigger one waiting.
id2=$(cli nobody submit --quiet -N 1 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
held() { reason_of "$id2" | grep -q "held for job $id"; }
wait_for 20 held
ok $? "a later 1-node job does not take the headroom the first one waits for"
is "$(cli nobody job why "$id2" | grep -c "held for job $id")" 1 "job why says so once"
p=$(power)
is "$(echo "$p" | jq -r '.site.limit_w, .site.limit_admin, .jobs_waiting' | tr '\n' ' ')" "26000 true 2 " \
	"colossus power: the admin's limit, 2 jobs waiting for power"
like "$(cli nobody power)" "site +- +26.0 kW\\*" "the table marks the admin's limit"

# ---- the limit survives a restart --------------------------------------------
ctl_stop KILL
start
up() { [ "$(cli nobody nodes --json | grep -o '"state": *"up"' | wc -l)" -eq 4 ]; }
wait_for 30 up
ok $? "controller restarted (SIGKILL); agents back"
is "$(power | jq -r '.site.limit_w, .site.limit_admin' | tr '\n' ' ')" "26000 true " \
	"the limit came back from the database"
wait_for 20 waits_for_power "$id"
ok $? "and still holds the job back"

# ---- raising it lets the job start ------------------------------------------
cli root power limit site 100kW >/dev/null
ok $? "an admin raises the limit"
wait_for 30 state_is "$id" running
ok $? "the 2-node job starts"
wait_for 30 state_is "$id2" running
ok $? "so does the 1-node job"

# ---- below the current draw: running jobs keep running -------------------------
# 10 kW is below the draw by readings (about 11 kW) and by the model.
cli root power limit site 10kW >/dev/null
ok $? "the limit is lowered below the current draw"
id3=$(cli nobody submit --quiet -N 1 --gpus-per-node 4 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 20 waits_for_power "$id3"
ok $? "a new job waits"
state_is "$idA" running && state_is "$id" running && state_is "$id2" running
ok $? "the running jobs keep running"
out=$(cli root power limit site default)
is "$out" "site power limit back to the configured default" "back to the default (unlimited)"
is "$(pg_psql "SELECT count(*) FROM power_limits")" 0 "the row is gone"
wait_for 30 state_is "$id3" running
ok $? "the waiting job starts"
cli nobody cancel "$idA" "$id" "$id2" "$id3" >/dev/null
none() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 none
ok $? "jobs cancelled"

# ---- readings replace the model -----------------------------------------------
measured() { power | jq -e '.site.nodes_measured == 4' >/dev/null; }
wait_for 60 measured
ok $? "every node's draw is a recent GPU reading"
p=$(power)
is "$(echo "$p" | jq '.site.predicted_w == .site.measured_w')" true \
	"with readings everywhere, the predicted draw is the measured one"
is "$(echo "$p" | jq -r '.site.model_w')" 10000 "the model alone says 10 kW"
# n00001's GPUs at their TDP: about 10.2 kW instead of 2.8 kW.
for g in 0 1 2 3 4 5 6 7; do agent_control n00001 gpu power $g 700 >/dev/null; done
hot() { power | jq -e '.site.predicted_w > 17000' >/dev/null; }
wait_for 60 hot
ok $? "a node at full power shows in the predicted draw"
cli root power limit site 20kW >/dev/null
id4=$(cli nobody submit --quiet -N 1 -D "$T/out" -- /bin/sh "$T/out/$marker.sh")
wait_for 20 waits_for_power "$id4"
ok $? "a 1-node job that fits the model (17.7 kW) but not the readings (about 26 kW) waits"
cli nobody cancel "$id4" >/dev/null

# ---- metrics ---------------------------------------------------------------
HP=$(http_port)
m=$(curl -sf "http://127.0.0.1:$HP/metrics")
ok $? "/metrics answers"
metric() { printf '%s\n' "$m" | awk -v k="$1" '$1 == k { print $2 }'; }
is "$(metric 'colossus_power_limit_watts{scope="site",name=""}')" 20000 "the site limit"
like "$(metric 'colossus_power_predicted_watts{scope="hall",name="h1"}')" "^[0-9]+$" "the hall's predicted draw"
is "$(metric 'colossus_power_measured_nodes{scope="site",name=""}')" 4 "nodes measured"
like "$(metric 'colossus_power_waves_total{kind="launch"}')" "^[0-9]+$" "wave counters"
if command -v promtool >/dev/null; then
	lint=$(printf '%s\n' "$m" | promtool check metrics 2>&1)
	ok $? "promtool accepts the exposition" || diag "$lint"
fi
is "$(pg_psql "SELECT count(*) FROM events WHERE kind = 'power_limit'")" 5 \
	"every change is an event"
done_testing
