#!/bin/sh
# Without cgroups (launch.cgroup_root = none, as on hosts where cgroupfs
# is not writable) the agent falls back to process trees: the shepherd
# is the ranks' subreaper, so a cancel still leaves no process behind,
# including a grandchild that double-forked into its own session; a time
# limit too; and when the shepherd itself dies (OOM killer, admin
# mistake), its ranks are reported lost and what they left is killed,
# found by the COLOSSUS_* variables they inherited.
# Protects DESIGN invariant 3 (a stopped incarnation leaves nothing
# running) and 4 (a lost rank stops and requeues the whole gang).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentnocg
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002; do agent_start "$n" --set launch.cgroup_root=none; done
ok $? "two agents without cgroups registered"
grep -q "cgroups: cgroups disabled by configuration; jobs are tracked as process trees" "$T/agents/n00001/agent.log"
ok $? "the agent logs the fallback"
like "$(agent_control n00001 status)" "cgroups=0" "its status says cgroups=0"
mkdir -p "$T/out" && chmod 1777 "$T/out"

state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
count() { pgrep -f "$1" | wc -l; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }
none_left() { ! pgrep -f "$1" >/dev/null; }

# mkjob NAME: each rank leaves a daemonised grandchild behind (setsid in
# a subshell that exits, so the grandchild is orphaned at once) and then
# runs until killed.  Script names make every process findable.
mkjob() {
	_m="colossus-nocg-$$-$1"
	printf 'sleep 600\n' > "$T/out/$_m-orphan.sh"
	printf '(setsid /bin/sh %s &) ; exec /bin/sh %s\n' "$T/out/$_m-orphan.sh" \
		"$T/out/$_m-sleeper.sh" > "$T/out/$_m-rank.sh"
	printf 'sleep 600\n' > "$T/out/$_m-sleeper.sh"
	chmod 755 "$T/out/$_m"-*.sh
	echo "$_m"
}

# ---- cancel ----------------------------------------------------------------
m=$(mkjob cancel)
id=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh "$T/out/$m-rank.sh")
wait_for 30 state_is "$id" running
ok $? "a 2-node job is running ($id)"
wait_for 20 at_least "$m" 4
ok $? "two ranks and two escaped grandchildren are alive"
orphan=$(pgrep -f "$m-orphan" | head -n 1)
ppid=$(ps -o ppid= -p "$orphan" | tr -d ' ')
shep=$(cut -d' ' -f1 "$T"/agents/n0000*/state/w-"$id"-1/shepherd | tr '\n' ' ')
case " $shep " in *" $ppid "*) ok 0 "an orphaned grandchild was adopted by its shepherd (subreaper)";;
	*) ok 1 "an orphaned grandchild was adopted by its shepherd (parent $ppid, shepherds $shep)";; esac
cli nobody cancel "$id" >/dev/null
ok $? "cancelled"
wait_for 30 none_left "$m"
ok $? "nothing of it is left, escaped grandchildren included"
pgrep -af "$m" | sed 's/^/# left: /'
free_gpus() { cli nobody nodes --json | grep -o '"gpus_free": *[0-9]*' | awk -F: '{s+=$2} END {exit !(s == 16)}'; }
wait_for 30 free_gpus
ok $? "the fence was confirmed: every GPU is free"

# ---- time limit ---------------------------------------------------------------
m=$(mkjob limit)
id=$(cli nobody submit --quiet -t 3s -D "$T/out" -- /bin/sh "$T/out/$m-rank.sh")
wait_for 20 at_least "$m" 2
ok $? "a job with a 3 s limit runs with its escaped grandchild ($id)"
wait_for 40 state_is "$id" timeout
ok $? "it ends TIMEOUT"
wait_for 30 none_left "$m"
ok $? "nothing of it is left"

# ---- the shepherd dies -----------------------------------------------------------
m=$(mkjob lost)
# Pinned to n00001 (-x n00002): once n00001 is excluded as the culprit the
# requeued job has nowhere to go, so every process found below is epoch 1.
id=$(cli nobody submit --quiet -D "$T/out" -x n00002 -- /bin/sh "$T/out/$m-rank.sh")
wait_for 20 at_least "$m" 2
ok $? "a job runs with its escaped grandchild ($id)"
shepfile=$(ls "$T"/agents/n0000*/state/w-"$id"-1/shepherd)
node=$(echo "$shepfile" | sed 's|.*/agents/\([^/]*\)/.*|\1|')
kill -KILL "$(cut -d' ' -f1 "$shepfile")"
ok $? "its shepherd on $node was killed with SIGKILL"
lost() { grep -q "job=$id epoch=1: shepherd [0-9]* died" "$T/agents/$node/agent.log"; }
wait_for 30 lost
ok $? "the agent noticed the shepherd died"
wait_for 30 none_left "$m"
ok $? "the ranks and their escaped grandchild were killed"
pgrep -af "$m" | sed 's/^/# left: /'
grep -q "job=$id epoch=1: killed [0-9]* leftover processes found by their environment" "$T/agents/$node/agent.log"
ok $? "the orphans were found by their environment"
requeued() { ! state_is "$id" running; }
wait_for 30 requeued
ok $? "the job no longer runs as epoch 1 ($(field "$id" state): $(field "$id" reason))"
cli nobody cancel "$id" >/dev/null 2>&1
done_testing
