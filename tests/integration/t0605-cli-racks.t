#!/bin/sh
# colossus racks: state counts and the map of the cluster (one cell per
# rack, grouped by pod and hall), --list, --format, --json parsed back,
# served from the controller's memory.  A rack whose agents all stop
# turns down (or drained, if the health policy drains it) once their
# lease expires (DESIGN, Node liveness), and a rack with one down node is
# marked as having a problem.
. "$top_srcdir/tests/lib/clitest.sh"
cluster_init cli-racks
[ -x "$JSONCHECK" ] || bail_out "$JSONCHECK not built"
ctl_start --set nodes.lease=15s
# Two halls, three pods, five racks of two nodes.
cat > "$T/topo.txt" <<TOPO
hall h1
hall h2
pod p001 hall=h1
pod p002 hall=h1
pod p003 hall=h2
rack r0001 pod=p001
rack r0002 pod=p001
rack r0003 pod=p002
rack r0004 pod=p003
rack r0005 pod=p003
node n[00001-00002] rack=r0001 gpus=8 model=H100
node n[00003-00004] rack=r0002 gpus=8 model=H100
node n[00005-00006] rack=r0003 gpus=8 model=H200
node n[00007-00008] rack=r0004 gpus=8 model=H100
node n[00009-00010] rack=r0005 gpus=8 model=H100
TOPO
cli root topology apply "$T/topo.txt" >/dev/null || bail_out topology
for i in 1 2 3 4 5 6 7 8 9 10; do agent_start "$(printf 'n%05d' $i)"; done
up10() { [ "$(cli nobody nodes --json | jq_ '.nodes[].state' | grep -c '^up$')" -eq 10 ]; }
wait_for 30 up10
ok $? "ten nodes up"
OUT=$T/out; mkdir -p "$OUT"; chmod 1777 "$OUT"
gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
j=$(cli nobody submit --quiet -N 2 -t 10m -x 'n[00003-00010]' -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$j" running
ok $? "a job fills rack r0001"
p=$(cli nobody submit --quiet -G 2 -t 10m -x 'n[00001-00006],n[00008-00010]' -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$p" running
ok $? "a 2-GPU job runs on n00007 (rack r0004)"

out=$(cli nobody racks --width 80)
ok $? "colossus racks"
like "$(echo "$out" | head -n 1)" "^5 racks: 2 busy, 3 idle; 10 nodes: 10 up; 62 of 80 GPUs free$" \
	"a summary line with counts by state"
like "$out" "h1 p001 #\\. +\\.$" "hall h1: pod p001 (r0001 full '#', r0002 idle '.'), then p002"
like "$out" "h2 p003 \\+\\.$" "hall h2 on its own line: r0004 partly busy '+', r0005 idle"
like "$out" "# busy \\(every GPU used\\)" "a legend"
is "$(cli nobody racks --no-header --width 80 | wc -l)" 2 "--no-header: the map alone, one line per hall here"
esc=$(printf '\033')
case $out in *"$esc"*) ok 1 "no colour into a pipe" ;; *) ok 0 "no colour into a pipe" ;; esac

list=$(cli nobody racks --list)
like "$(echo "$list" | head -n 1)" "^NAME +POD +HALL +STATE +NODES +UP +DOWN +DRAINED +GPUS +FREE +JOBS +REASON$" "--list header"
like "$list" "r0001 +p001 +h1 +busy +2 +2 +0 +0 +16 +0 +1" "r0001 busy with one job"
like "$list" "r0005 +p003 +h2 +idle +2 +2 +0 +0 +16 +16 +0" "r0005 idle"
is "$(cli nobody racks -o name,model --no-header | tr -s ' ' | tr '\n' ';')" \
	"r0001 H100;r0002 H100;r0003 H200;r0004 H100;r0005 H100;" "--format implies --list; models"
is "$(rc_of cli nobody racks -o name,nope)" 2 "an unknown column: usage error"
is "$(rc_of cli nobody racks --width 5)" 2 "a silly width: usage error"

json=$(cli nobody racks --json)
echo "$json" | jq_ >/dev/null
ok $? "--json is valid"
is "$(echo "$json" | jq_ '.racks#')" 5 "five racks"
is "$(echo "$json" | jq_ -k '.racks[0]' | tr '\n' ' ')" \
	"name pod hall state admin_state health reason gpu_model nodes nodes_up nodes_down nodes_unknown nodes_draining nodes_drained nodes_unhealthy problems gpus gpus_used gpus_free jobs " \
	"the documented field names"
is "$(echo "$json" | jq_ '.racks[].state' | tr '\n' ' ')" "busy idle idle busy idle " "states in topology order"
is "$(echo "$json" | jq_ '.racks[3].gpus_used' '.racks[3].gpus_free' | tr '\n' ' ')" "2 14 " "GPUs used and free"

# One node of r0002 stops: once its lease ends the rack shows a problem;
# both nodes of r0003 stop: the rack is down.
agent_stop n00004 KILL
agent_stop n00005 KILL
agent_stop n00006 KILL
down() { cli nobody racks --json | jq_ '.racks[2].state' | grep -Eq '^(down|drained)$'; }
wait_for 40 down
ok $? "a rack whose nodes are all down is down (or drained by the health policy)"
is "$(cli nobody racks --json | jq_ '.racks[2].nodes_down')" 2 "both its nodes are down"
one() { [ "$(cli nobody racks --json | jq_ '.racks[1].problems')" = 1 ]; }
wait_for 20 one
ok $? "r0002 counts one problem node"
is "$(cli nobody racks --json | jq_ '.racks[1].state')" "idle" "and is still idle"
like "$(cli nobody racks --width 80)" "h1 p001 #\\* +[XD]" "the map: '*' for r0002, 'X' or 'D' for r0003"
like "$(cli nobody racks | head -n 1)" "1 (down|drained)" "the summary counts it"
touch "$gate"
done_testing
