#!/bin/sh
# A gang job end to end: real PostgreSQL, controller, four agents and the
# CLI over TLS.  Checks the two-phase start gives every rank the
# torch.distributed environment, the exit code is recorded, the
# allocation row carries the epoch (invariant 3), and a failing rank
# fails the whole gang (invariant 4).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init gang
ctl_start
topo=$(cluster_small_topology 1 4)
out=$(cli root topology apply "$topo" 2>&1)
ok $? "admin applies a topology" || diag "$out"
for n in n00001 n00002 n00003 n00004; do agent_start "$n"; done
ok $? "four agents registered"

nodes_up() { [ "$(cli nobody nodes --json | grep -o '"state": *"up"' | wc -l)" -eq 4 ]; }
wait_for 20 nodes_up
ok $? "colossus nodes shows four nodes up"

mkdir -p "$T/out" && chmod 1777 "$T/out"
id=$(cli nobody submit --quiet -N 2 -J envcheck -D "$T/out" -- /bin/sh -c \
	'echo "RANK=$RANK WORLD_SIZE=$WORLD_SIZE LOCAL_RANK=$LOCAL_RANK NODE_RANK=$NODE_RANK MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT EPOCH=$COLOSSUS_EPOCH NODES=$COLOSSUS_NUM_NODES NODE=$COLOSSUS_NODE_NAME GPUS=$CUDA_VISIBLE_DEVICES"')
ok $? "submit prints a job id ($id)"
like "$id" '^[0-9]+$' "the id is a number"

state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
wait_for 30 state_is "$id" completed
ok $? "the gang runs to completion"

show=$(cli nobody job show "$id" --json)
like "$show" '"exit_code": *0' "exit code 0 recorded"
o0=$(cat "$T/out/colossus-$id-0.out" 2>/dev/null)
o1=$(cat "$T/out/colossus-$id-1.out" 2>/dev/null)
like "$o0" 'RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 NODE_RANK=0' "rank 0 environment"
like "$o1" 'RANK=1 WORLD_SIZE=2 LOCAL_RANK=0 NODE_RANK=1' "rank 1 environment"
like "$o0" 'MASTER_ADDR=127.0.0.1 MASTER_PORT=[1-9][0-9]*' "a rendezvous address and a chosen port"
like "$o0" 'EPOCH=1 NODES=2' "epoch 1 of a 2-node job"
like "$o0" 'GPUS=GPU-' "CUDA_VISIBLE_DEVICES names the GPUs by UUID"
m0=$(echo "$o0" | sed -n 's/.*MASTER_PORT=\([0-9]*\).*/\1/p')
m1=$(echo "$o1" | sed -n 's/.*MASTER_PORT=\([0-9]*\).*/\1/p')
is "$m0" "$m1" "every rank gets the same MASTER_PORT"
n0=$(echo "$o0" | sed -n 's/.* NODE=\([^ ]*\).*/\1/p')
n1=$(echo "$o1" | sed -n 's/.* NODE=\([^ ]*\).*/\1/p')
[ -n "$n0" ] && [ "$n0" != "$n1" ]
ok $? "the two ranks ran on different nodes ($n0, $n1)"

row=$(pg_psql "SELECT epoch, cardinality(node_ids), ended_at IS NOT NULL FROM allocations WHERE job_id = $id")
is "$row" "1|2|t" "allocation recorded with epoch 1 on 2 nodes, closed"
st=$(pg_psql "SELECT state, exit_code FROM jobs WHERE id = $id")
is "$st" "completed|0" "the database has the final state and exit code"

# A rank that fails fails the gang; the others are stopped.  The script's
# name is unique to this test, so pgrep finds only our processes.
marker="$T/out/gang-$$-sleeper.sh"
printf 'if [ "$RANK" = 1 ]; then exit 3; fi\nsleep 300\n' > "$marker"
chmod 755 "$marker"
id2=$(cli nobody submit --quiet -N 3 -D "$T/out" -- /bin/sh "$marker")
wait_for 30 state_is "$id2" failed
ok $? "a gang with a failing rank fails"
show=$(cli nobody job show "$id2" --json)
like "$show" '"exit_code": *3' "the failing rank's exit code is the job's"
like "$show" 'rank 1 .*exited with code 3' "the reason names the rank"
gone() { ! pgrep -f "$marker" >/dev/null; }
wait_for 20 gone
ok $? "the other ranks were killed (none of the job's processes left)"
free_gpus() { cli nobody nodes --json | grep -o '"gpus_free": *[0-9]*' | awk -F: '{s+=$2} END {exit !(s == 32)}'; }
wait_for 20 free_gpus
ok $? "every GPU is free again"
done_testing
