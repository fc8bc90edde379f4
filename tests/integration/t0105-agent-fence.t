#!/bin/sh
# Fencing of stale incarnations (DESIGN invariant 3, "Node liveness and
# fencing"): an agent frozen (SIGSTOP) for longer than the lease gets its
# node declared DOWN and its job requeued elsewhere with epoch 2; when it
# resumes, its epoch-1 ranks are killed (heartbeat reconciliation), the
# epoch-2 incarnation is left alone, and from then on exactly one copy
# lives.  The same through a registration: an agent that was dead longer
# than the lease is told to fence what it re-adopted.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentfence
ctl_start    # lease 4 s, heartbeats every second (cluster.sh)
cli root topology apply "$(cluster_small_topology 1 3)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002 n00003; do agent_start "$n"; done
ok $? "three agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-fence-$$"

# Each incarnation records its pid under its epoch and node.
cat > "$T/out/$marker.sh" <<EOF
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
sleep 600 & wait
EOF
chmod 755 "$T/out/$marker.sh"

field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
node_state() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*\"name\":\"$1\"[^}]*\"state\":\"\([a-z]*\)\".*/\1/p"; }
node_is() { [ "$(node_state "$1")" = "$2" ]; }
incarnation() { ls "$T/out"/pid.$1.* >/dev/null 2>&1; }
inc_node() { ls "$T/out"/pid.$1.* | head -n 1 | sed 's/.*\.//'; }
inc_pid() { cat "$T/out"/pid.$1.*; }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
live_copies() {
	_n=0
	for f in "$T/out"/pid.*; do
		[ -f "$f" ] && alive "$(cat "$f")" && _n=$((_n + 1))
	done
	echo "$_n"
}
registrations() { grep -c 'registered with controller' "$T/agents/$1/agent.log"; }
more_registrations() { [ "$(registrations "$1")" -gt "$2" ]; }

id=$(cli nobody submit --quiet -N 1 -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 incarnation 1
ok $? "job $id runs (epoch 1)"
a=$(inc_node 1); p1=$(inc_pid 1)
diag "epoch 1 runs on $a as pid $p1"

# ---- round 1: SIGSTOP, lease expiry, SIGCONT ---------------------------
kill -STOP "$(agent_pid "$a")"
ok $? "agent of $a frozen with SIGSTOP"
wait_for 30 node_is "$a" down
ok $? "$a is declared down once the lease expires"
wait_for 60 incarnation 2
ok $? "the job was requeued and runs again (epoch 2)"
b=$(inc_node 2); p2=$(inc_pid 2)
[ -n "$b" ] && [ "$b" != "$a" ]
ok $? "epoch 2 runs on another node ($b)"
is "$(field "$id" epoch)" "2" "the controller says epoch 2"
diag "while $a's agent is frozen, its epoch-1 rank cannot be fenced (storage fencing uses COLOSSUS_EPOCH)"
kill -CONT "$(agent_pid "$a")"
ok $? "agent of $a resumed with SIGCONT"
wait_for 30 dead "$p1"
ok $? "the stale epoch-1 rank on $a was killed"
grep -q "job=$id epoch=1: stopping" "$T/agents/$a/agent.log"
ok $? "the agent of $a logged the fence"
alive "$p2"
ok $? "the epoch-2 rank on $b is untouched"
is "$(live_copies)" "1" "exactly one live copy"
wait_for 30 node_is "$a" up
ok $? "$a is up again"
is "$(field "$id" state) $(field "$id" epoch)" "running 2" "the job still runs as epoch 2 (the fenced exit did not touch it)"
gone() { [ -z "$(ls -d "$T/agents/$a/state/w-$id-1" 2>/dev/null)" ]; }
wait_for 30 gone
ok $? "$a forgot the fenced workload once the controller had its exit"
is "$(pg_psql "SELECT epoch, ended_at IS NOT NULL FROM allocations WHERE job_id = $id ORDER BY epoch" | tr '\n' ' ')" "1|t 2|f " "allocation 1 is closed, allocation 2 open"

# ---- round 2: the agent dies, the lease expires, it registers again -------
before=$(registrations "$b")
agent_stop "$b" KILL
ok 0 "agent of $b killed with SIGKILL"
wait_for 30 node_is "$b" down
ok $? "$b is declared down"
wait_for 60 incarnation 3
ok $? "the job runs again (epoch 3)"
c=$(inc_node 3); p3=$(inc_pid 3)
[ -n "$c" ] && [ "$c" != "$a" ] && [ "$c" != "$b" ]
ok $? "on the node that never failed it ($c): failed nodes are avoided"
alive "$p2"
ok $? "the epoch-2 rank on $b survived its agent (no agent to fence it yet)"
agent_start "$b"
wait_for 30 more_registrations "$b" "$before"
ok $? "agent of $b restarted"
wait_for 30 dead "$p2"
ok $? "the re-adopted epoch-2 rank was fenced at registration"
grep -q "job=$id epoch=2: fenced by the controller" "$T/agents/$b/agent.log"
ok $? "the agent of $b says the controller fenced it"
alive "$p3"
ok $? "the epoch-3 rank is untouched"
is "$(live_copies)" "1" "exactly one live copy"
is "$(field "$id" state) $(field "$id" epoch)" "running 3" "the job runs as epoch 3"

cli nobody cancel "$id" >/dev/null
none_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 none_left
ok $? "after a cancel nothing of any incarnation is left"
done_testing
