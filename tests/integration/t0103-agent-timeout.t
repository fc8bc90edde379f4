#!/bin/sh
# Time limits: the agent sends SIGTERM at the limit and SIGKILL after the
# grace period, the job ends TIMEOUT, and no process of it is left; a
# rank that ignores SIGTERM is killed anyway; an agent restarted during
# the run re-arms the limit from the recorded start time.  Protects
# DESIGN invariant 3 (a job that is over leaves nothing running) and the
# backfill promise (declared limits are enforced).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agenttimeout
# A long lease: the agent restart below must not make the node DOWN.
ctl_start --set nodes.lease=60s
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
ok $? "topology applied"
agent_start n00001
ok $? "agent registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-timeout-$$"

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
none_left() { ! pgrep -f "$1" >/dev/null; }
started() { [ -s "$T/out/$1.pid" ]; }

# A rank that runs until it is killed; each job gets its own script name
# so pgrep finds exactly its processes.
mkjob() { # NAME [ignore-term|graceful]
	{
		echo '#!/bin/sh'
		[ "${2:-}" = ignore-term ] && echo "trap '' TERM"
		[ "${2:-}" = graceful ] && echo "trap 'echo got-TERM > $T/out/$1.term; exit 0' TERM"
		echo "echo \$\$ > $T/out/$1.pid"
		echo 'sleep 600 & wait'
	} > "$T/out/$marker-$1.sh"
	chmod 755 "$T/out/$marker-$1.sh"
}

# ---- a plain time limit ------------------------------------------------
# The rank catches SIGTERM and exits 0: a clean exit after the limit is
# still a timeout, not a completion.
mkjob plain graceful
id=$(cli nobody submit --quiet -t 3s -D "$T/out" -- "$T/out/$marker-plain.sh")
ok $? "a job with a 3 s limit is submitted ($id)"
wait_for 30 started plain
ok $? "its rank started"
wait_for 40 state_is "$id" timeout
ok $? "the job ends TIMEOUT"
like "$(field "$id" reason)" "time limit" "the reason says so ($(field "$id" reason))"
wait_for 20 none_left "$marker-plain"
ok $? "no process of it is left"
is "$(cat "$T/out/plain.term" 2>/dev/null)" "got-TERM" "the rank got SIGTERM first"
grep -q "job=$id epoch=1: time limit of 3s reached" "$T/agents/n00001/agent.log"
ok $? "the agent enforced the limit (not the controller's safety net)"
is "$(pg_psql "SELECT state FROM jobs WHERE id = $id")" "timeout" "the database says timeout"

# ---- SIGTERM ignored: SIGKILL after the grace period -----------------------
mkjob stubborn ignore-term
id=$(cli nobody submit --quiet -t 3s -D "$T/out" -- "$T/out/$marker-stubborn.sh")
wait_for 30 started stubborn
ok $? "a rank that ignores SIGTERM started ($id)"
wait_for 40 state_is "$id" timeout
ok $? "the job still ends TIMEOUT"
wait_for 20 none_left "$marker-stubborn"
ok $? "the rank was killed with SIGKILL after the grace period"

# ---- the agent restarts in the middle of the run -------------------------------
mkjob restart
id=$(cli nobody submit --quiet -t 6s -D "$T/out" -- "$T/out/$marker-restart.sh")
wait_for 30 started restart
ok $? "a job with a 6 s limit started ($id)"
agent_restart n00001 KILL
ok $? "agent killed with SIGKILL and restarted"
grep -q "job=$id epoch=1: re-adopted (running" "$T/agents/n00001/agent.log"
ok $? "it re-adopted the running job"
wait_for 40 state_is "$id" timeout
ok $? "the job ends TIMEOUT: the restarted agent re-armed the limit"
wait_for 20 none_left "$marker-restart"
ok $? "no process of it is left"
grep -q "job=$id epoch=1: time limit of 6s reached" "$T/agents/n00001/agent.log"
ok $? "the restarted agent enforced it"
is "$(field "$id" epoch)" "1" "the job was never requeued (epoch 1)"
done_testing
