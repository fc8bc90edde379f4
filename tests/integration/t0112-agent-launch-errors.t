#!/bin/sh
# Why a rank could not start decides what happens to the job.  The job's
# own mistakes (a command that does not exist, an output path in a
# directory that does not) end it FAILED with 127 on its first attempt,
# as a shell or Slurm would: requeueing would only repeat them.  A
# failure of the node requeues the gang elsewhere; a missing working
# directory is checked when the gang is prepared and counts as the
# node's (a file system not mounted there), bounded by the restart limit.  Protects DESIGN invariant 4's distinction between a
# job that failed by itself and one the infrastructure failed.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentlaunch
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
agent_start n00001
ok $? "agent n00001 registered"
agent_start n00002
ok $? "agent n00002 registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"

field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
finished() { case $(field "$1" state) in completed | failed | cancelled | timeout) return 0 ;; esac; return 1; }
submit() { cli nobody submit --quiet -t 5m "$@"; }

# Each case: the job fails, exit 127, epoch 1 (never requeued), and the
# reason names what was wrong.
check_jobs_fault() { # ID WHAT PATTERN
	wait_for 60 finished "$1"
	is "$(field "$1" state)" failed "$2: the job failed"
	is "$(field "$1" exit_code)" 127 "$2: exit code 127, as a shell would"
	is "$(field "$1" epoch)" 1 "$2: never requeued"
	like "$(cli nobody job show "$1")" "$3" "$2: job show says why"
}

id=$(submit -D "$T/out" -- /nonexistent/colossus-no-such-command)
check_jobs_fault "$id" "missing command" "colossus-no-such-command"

id=$(submit -D "$T/out" -o "$T/out/no-such-dir/%j.out" -- /bin/true)
check_jobs_fault "$id" "output path in a missing directory" "output file"

# Control: the same command with good paths runs, so the failures above
# are the paths' doing.
id=$(submit -D "$T/out" -o "$T/out/%j.out" -- /bin/true)
wait_for 60 finished "$id"
is "$(field "$id" state)" completed "control: a good job completes"

done_testing
