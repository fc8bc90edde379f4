#!/bin/sh
# Durability: the controller killed with SIGKILL and restarted still has
# every acknowledged job (invariant 1), rebuilds from PostgreSQL
# (invariant 2), keeps running jobs running (a fresh controller grants
# every node a full lease) and reconciles with the agents.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init restart
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
for n in n00001 n00002; do agent_start "$n"; done
ok $? "cluster up"
mkdir -p "$T/out" && chmod 1777 "$T/out"

ids=""
for i in $(seq 1 20); do
	id=$(cli nobody submit --quiet --hold -J "held$i" -- /bin/true) && ids="$ids $id"
done
is "$(echo $ids | wc -w)" "20" "20 submissions acknowledged"
run=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh -c 'sleep 4; echo done-$RANK')
running() { cli nobody job show "$run" --json | grep -Eq '"state": *"running"'; }
wait_for 30 running
ok $? "a 2-node job is running"

ctl_stop KILL
ok 0 "controller killed with SIGKILL"
ctl_start
ok $? "controller restarted"
listed=$(cli nobody jobs --all --json)
missing=0
for id in $ids; do
	echo "$listed" | grep -q "\"id\": *$id[,}]" || missing=$((missing + 1))
done
is "$missing" "0" "every acknowledged job is there after the restart"
dups=$(pg_psql "SELECT count(*) - count(DISTINCT name) FROM jobs WHERE name LIKE 'held%'")
is "$dups" "0" "no job appears twice"
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
wait_for 30 state_is "$run" completed
ok $? "the running job survived the controller restart and completed"
is "$(cat "$T/out/colossus-$run-0.out" "$T/out/colossus-$run-1.out" 2>/dev/null | tr '\n' ' ')" "done-0 done-1 " "both ranks finished their work"
ep=$(pg_psql "SELECT epoch FROM jobs WHERE id = $run")
is "$ep" "1" "it was never restarted (epoch 1)"
done_testing
