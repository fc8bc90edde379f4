#!/bin/sh
# Restart safety of the node agent: killing it (SIGKILL) while ranks run
# loses no exit code (ranks that end while it is down are reported when
# it comes back: exit 0 completes one job, exit 7 fails another with
# code 7); ranks still running when it restarts are re-adopted and their
# jobs complete normally, whether it was killed or stopped; a kill that
# was under way when it died is finished by the next agent.  Protects
# DESIGN invariants 1 and 2 on the node side (an exit the shepherd saw is
# durable and reaches PostgreSQL) and 3 (a stop survives the restart).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentrestart
# A long lease: the agent is down on purpose here, and the node must not
# be declared DOWN meanwhile (that is t0105's subject).
ctl_start --set nodes.lease=60s
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
ok $? "topology applied"
agent_start n00001
ok $? "agent registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
S=$T/agents/n00001/state
marker="colossus-restart-$$"

# A rank that waits (at most 2 minutes) for its go file, then exits with
# the code given as its argument.
cat > "$T/out/$marker.sh" <<EOF
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID
i=0
while [ ! -e $T/out/go.\$COLOSSUS_JOB_ID ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
exit \$1
EOF
chmod 755 "$T/out/$marker.sh"

# agent_start returns as soon as the log holds a registration, and a
# restarted agent appends to the old log: count registrations instead.
registrations() { grep -c 'registered with controller' "$T/agents/$1/agent.log"; }
more_registrations() { [ "$(registrations "$1")" -gt "$2" ]; }
agent_restart() { # NODE SIGNAL: stop the agent, start it, wait for its registration
	_before=$(registrations "$1")
	agent_stop "$1" "$2"
	agent_start "$1"
	wait_for 30 more_registrations "$1" "$_before"
}
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
started() { [ -s "$T/out/pid.$1" ]; }
rank_pid() { cat "$T/out/pid.$1"; }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
submit() { # CODE: a 4-GPU job whose rank exits with CODE when told
	cli nobody submit --quiet -G 4 -D "$T/out" -- "$T/out/$marker.sh" "$1"
}
# The shepherd recorded the rank's exit and finished.
recorded() { [ -f "$S/w-$1-1/exit.0" ] && [ -f "$S/w-$1-1/done" ]; }

# ---- exits while the agent is down ------------------------------------------
a=$(submit 0); b=$(submit 7)
wait_for 30 started "$a" && wait_for 30 started "$b"
ok $? "two jobs are running on the node ($a exits 0, $b exits 7)"
pa=$(rank_pid "$a"); pb=$(rank_pid "$b")
_before=$(registrations n00001)
agent_stop n00001 KILL
ok 0 "agent killed with SIGKILL"
touch "$T/out/go.$a" "$T/out/go.$b"
wait_for 30 dead "$pa" && wait_for 30 dead "$pb"
ok $? "both ranks exited while the agent was down"
wait_for 30 recorded "$a" && wait_for 30 recorded "$b"
ok $? "their shepherds recorded the exits in the state directory"
is "$(field "$a" state) $(field "$b" state)" "running running" "the controller does not know yet"
agent_start n00001
wait_for 30 more_registrations n00001 "$_before"
ok $? "agent restarted"
wait_for 30 state_is "$a" completed
ok $? "job $a completed (exit 0 reported after the restart)"
wait_for 30 state_is "$b" failed
ok $? "job $b failed"
is "$(field "$b" exit_code)" "7" "with the exit code 7 the rank returned"
like "$(field "$b" reason)" "exited with code 7" "and a reason naming it"
is "$(pg_psql "SELECT state, exit_code FROM jobs WHERE id IN ($a, $b) ORDER BY id" | tr '\n' ' ')" "completed|0 failed|7 " "PostgreSQL has both outcomes"
forgotten() { [ ! -e "$S/w-$a-1" ] && [ ! -e "$S/w-$b-1" ]; }
wait_for 30 forgotten
ok $? "acknowledged workloads are removed from the state directory"

# ---- ranks still running across a restart are re-adopted ----------------------
for how in KILL TERM; do
	c=$(submit 0)
	wait_for 30 started "$c"
	ok $? "job $c is running"
	pc=$(rank_pid "$c")
	_before=$(registrations n00001)
	agent_stop n00001 "$how"
	alive "$pc"
	ok $? "SIG$how to the agent leaves the rank running"
	agent_start n00001
	wait_for 30 more_registrations n00001 "$_before"
	ok $? "agent restarted"
	grep -q "job=$c epoch=1: re-adopted (running" "$T/agents/n00001/agent.log"
	ok $? "it re-adopted job $c"
	is "$(field "$c" state)" "running" "the job is still running"
	alive "$pc"
	ok $? "the same rank process is still alive"
	touch "$T/out/go.$c"
	wait_for 30 state_is "$c" completed
	ok $? "the re-adopted job completes normally"
	is "$(field "$c" epoch)" "1" "it never restarted (epoch 1)"
done

# ---- a kill under way when the agent dies --------------------------------------
cat > "$T/out/$marker-stubborn.sh" <<EOF
#!/bin/sh
trap '' TERM
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID
sleep 600
EOF
chmod 755 "$T/out/$marker-stubborn.sh"
d=$(cli nobody submit --quiet -G 4 -D "$T/out" -- "$T/out/$marker-stubborn.sh")
wait_for 30 started "$d"
ok $? "job $d ignores SIGTERM"
cli nobody cancel "$d" >/dev/null
ok $? "it is cancelled"
stopping() { grep -q "job=$d epoch=1: stopping" "$T/agents/n00001/agent.log"; }
wait_for 20 stopping
ok $? "the agent started stopping it"
agent_restart n00001 KILL
ok $? "the agent was killed during the grace period and restarted"
none_left() { ! pgrep -f "$marker-stubborn" >/dev/null; }
wait_for 30 none_left
ok $? "the restarted agent finished the kill: nothing is left"
is "$(field "$d" state)" "cancelled" "the job is cancelled"
free_gpus() { cli nobody nodes --json | grep -Eq '"gpus_free": *8'; }
wait_for 30 free_gpus
ok $? "the node's GPUs are free again (the fence was confirmed)"
done_testing
