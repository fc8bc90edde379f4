#!/bin/sh
# Hang detection (issue 5; DESIGN invariants 3 and 4): a job submitted
# with --progress-timeout touches $COLOSSUS_PROGRESS_FILE each step; as
# long as it does, it runs on; when it stops for longer than its limit
# the agent reports a hang and the controller kills the whole gang and
# requeues it with a new epoch, like a failed one.  The file is the job
# user's, in a directory only root can write; the limit survives an
# agent restart; a job without a limit is never judged.  The job touches
# its file every 0.5 s against a limit of 8 s: a wide margin, so a loaded
# machine does not make it look hung.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthhang
ctl_start
cli root topology apply "$(cluster_small_topology 1 5)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002 n00003 n00004 n00005; do agent_start "$n"; done
ok $? "five agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-hhang-$$"
cat > "$T/out/$marker.sh" <<EOF2
#!/bin/sh
f=$T/out/h.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
echo \$\$ > \$f.pid
echo "\$COLOSSUS_PROGRESS_FILE" > \$f.file
n=0
while [ ! -e $T/out/stall.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH ]; do
	touch "\$COLOSSUS_PROGRESS_FILE" || echo "touch failed" >> \$f.err
	n=\$((n + 1)); echo \$n > \$f.n
	sleep 0.5
done
sleep 600 & wait
EOF2
cat > "$T/out/$marker-idle.sh" <<EOF2
#!/bin/sh
echo \$\$ > $T/out/h.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME.pid
sleep 600 & wait
EOF2
chmod 755 "$T/out/$marker.sh" "$T/out/$marker-idle.sh"

jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
ranks() { ls "$T/out"/h.$1.$2.*.pid 2>/dev/null | wc -l; }
has_ranks() { [ "$(ranks "$1" "$2")" -eq "$3" ]; }
nodes_of() { ls "$T/out"/h.$1.$2.*.pid 2>/dev/null | sed 's/.*h\.[0-9]*\.[0-9]*\.\(.*\)\.pid/\1/' | tr '\n' ' '; }
steps() { _m=0; for f in "$T/out"/h.$1.$2.*.n; do [ -f "$f" ] && [ "$(cat "$f")" -gt "$_m" ] && _m=$(cat "$f"); done; echo "$_m"; }
more_steps() { [ "$(steps "$1" "$2")" -ge "$3" ]; }
alive() { kill -0 "$1" 2>/dev/null; }
all_dead() { for f in "$T/out"/h.$1.$2.*.pid; do alive "$(cat "$f")" && return 1; done; return 0; }
hangs() { pg_psql "SELECT count(*) FROM events WHERE kind = 'job_hang' AND job_id = $1"; }
has_hang() { [ "$(hangs "$1")" -ge 1 ]; }

# A job without a limit that never reports progress, to compare.
idle=$(cli nobody submit --quiet -N 1 -D "$T/out" -- "$T/out/$marker-idle.sh")
wait_for 30 has_ranks "$idle" 1 1
ok $? "job $idle (no progress limit) runs"
h=$(cli nobody submit --quiet -N 2 --progress-timeout 8s --max-restarts 3 -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$h" 1 2
ok $? "gang $h (--progress-timeout 8s) runs on two nodes"
set -- $(nodes_of "$h" 1); n1=$1
pf=$(cat "$T/out/h.$h.1.$n1.file")
like "$pf" "^$T/agents/$n1/state/progress/job-$h-1\$" "COLOSSUS_PROGRESS_FILE is set ($pf)"
is "$(stat -c '%U %a' "$pf")" "nobody 600" "the file belongs to the job's user, mode 600"
is "$(stat -c '%U %a' "$(dirname "$pf")")" "$(id -un) 711" "its directory is the agent's, mode 711"
like "$(cli nobody job show "$h" 2>&1)" "progress timeout" "job show prints the limit"

# ---- progress keeps it alive ---------------------------------------------------------
wait_for 90 more_steps "$h" 1 24
ok $? "the ranks report progress for longer than the limit (24 steps of 0.5 s)"
is "$(jfield "$h" epoch)" "1" "the gang still runs as epoch 1"
is "$(hangs "$h")" "0" "no hang reported"
[ ! -e "$T/out/h.$h.1.$n1.err" ]
ok $? "the job's user could touch its file"

# ---- it stops: the gang is killed and requeued ------------------------------------------
touch "$T/out/stall.$h.1"
wait_for 60 has_hang "$h"
ok $? "a job_hang event"
like "$(pg_psql "SELECT reason FROM events WHERE kind = 'job_hang' AND job_id = $h LIMIT 1")" "stopped making progress.*no progress for [0-9]+ s \\(limit 8 s" "it says why"
wait_for 30 all_dead "$h" 1
ok $? "every rank of epoch 1 was killed"
wait_for 60 has_ranks "$h" 2 2
ok $? "the gang runs again as epoch 2"
is "$(jfield "$h" restarts)" "1" "one restart counted"
grep -q "job=$h epoch=1: hung" "$T"/agents/*/agent.log
ok $? "an agent logged the hang"
is "$(jfield "$idle" epoch)" "1" "job $idle, idle for longer still, was never judged"
is "$(hangs "$idle")" "0" "no hang event for it"
alive "$(cat "$T/out/h.$idle.1."*.pid)"
ok $? "and it still runs"

# ---- the limit survives an agent restart -----------------------------------------------
set -- $(nodes_of "$h" 2); m1=$1
wait_for 30 more_steps "$h" 2 2
agent_stop "$m1"
agent_start "$m1"
ok $? "agent of $m1 restarted (the ranks ran on)"
before=$(hangs "$h")
touch "$T/out/stall.$h.2"
more_hangs() { [ "$(hangs "$h")" -gt "$before" ]; }
wait_for 60 more_hangs
ok $? "the stall of epoch 2 is detected too"
wait_for 60 has_ranks "$h" 3 2
ok $? "and the gang runs again as epoch 3"
is "$(jfield "$h" restarts)" "2" "two restarts counted"

cli nobody cancel "$h" "$idle" >/dev/null
nothing_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 nothing_left
ok $? "nothing left"
done_testing
