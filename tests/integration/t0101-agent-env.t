#!/bin/sh
# What a rank sees: the torch.distributed / torchrun / MPI variables,
# COLOSSUS_*, exactly its own GPUs (CUDA_VISIBLE_DEVICES by UUID, the
# GPUs of its node's allocation, split between the node's ranks without
# overlap), a clean environment and no descriptor inherited from the
# agent.  Protects DESIGN invariant 3 (COLOSSUS_EPOCH is the fencing
# token given to the job) and the node agent's launch contract (issue 4).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentenv
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002; do agent_start "$n"; done
ok $? "two agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"

# Each rank prints its environment and its open descriptors.
cat > "$T/out/dump.sh" <<'EOF'
#!/bin/sh
env | sort > "env.$COLOSSUS_JOB_ID.$RANK"
# The descriptors the rank's program inherits (ls's own listing fd
# aside): exec so that the shell's script descriptor is not counted.
exec ls -l /proc/self/fd > "fds.$COLOSSUS_JOB_ID.$RANK"
EOF
chmod 755 "$T/out/dump.sh"

state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
# var JOB RANK NAME: the value of NAME in that rank's environment.
var() { sed -n "s/^$3=//p" "$T/out/env.$1.$2"; }
# The UUIDs of a node's GPUs whose bit is set in MASK, as the agent
# registered them (PostgreSQL's gpus table).
uuids_of() { # NODE MASK
	pg_psql "SELECT g.uuid FROM gpus g JOIN nodes n ON n.id = g.node_id
		 WHERE n.name = '$1' AND ($2 >> g.idx) & 1 = 1 ORDER BY g.uuid"
}
sorted_list() { tr ',' '\n' | sort; }

# ---- 2 nodes x 2 ranks ----------------------------------------------------
COLOSSUS_T0101_SECRET=leak; export COLOSSUS_T0101_SECRET
id=$(cli nobody submit --quiet -N 2 --ranks-per-node 2 -D "$T/out" \
	--export FOO=bar -- /bin/sh "$T/out/dump.sh")
ok $? "a 2x2 job is submitted ($id)"
wait_for 30 state_is "$id" completed
ok $? "it completes"
nodelist=$(cli nobody job show "$id" --json | sed -n 's/.*"nodelist": *"\([^"]*\)".*/\1/p' | head -n 1)
is "$nodelist" "n[00001-00002]" "the job ran on both nodes"
master=$(var "$id" 0 MASTER_ADDR):$(var "$id" 0 MASTER_PORT)
like "$master" '^127\.0\.0\.1:[1-9][0-9]*$' "MASTER_ADDR:MASTER_PORT is the advertised address and a port ($master)"
for r in 0 1 2 3; do
	got="RANK=$(var "$id" $r RANK) LOCAL_RANK=$(var "$id" $r LOCAL_RANK) WORLD_SIZE=$(var "$id" $r WORLD_SIZE) LOCAL_WORLD_SIZE=$(var "$id" $r LOCAL_WORLD_SIZE) NODE_RANK=$(var "$id" $r NODE_RANK) GROUP_RANK=$(var "$id" $r GROUP_RANK)"
	is "$got" "RANK=$r LOCAL_RANK=$((r % 2)) WORLD_SIZE=4 LOCAL_WORLD_SIZE=2 NODE_RANK=$((r / 2)) GROUP_RANK=$((r / 2))" "rank $r: torch.distributed variables"
	got="$(var "$id" $r PMI_RANK)/$(var "$id" $r PMI_SIZE) $(var "$id" $r OMPI_COMM_WORLD_RANK)/$(var "$id" $r OMPI_COMM_WORLD_SIZE) $(var "$id" $r OMPI_COMM_WORLD_LOCAL_RANK)/$(var "$id" $r OMPI_COMM_WORLD_LOCAL_SIZE)"
	is "$got" "$r/4 $r/4 $((r % 2))/2" "rank $r: MPI-style variables"
	got="$(var "$id" $r COLOSSUS_JOB_ID) $(var "$id" $r COLOSSUS_EPOCH) $(var "$id" $r COLOSSUS_NODELIST) $(var "$id" $r COLOSSUS_NUM_NODES) $(var "$id" $r COLOSSUS_NODE_RANK) $(var "$id" $r COLOSSUS_RANKS_PER_NODE)"
	is "$got" "$id 1 n[00001-00002] 2 $((r / 2)) 2" "rank $r: COLOSSUS_* variables"
	is "$(var "$id" $r MASTER_ADDR):$(var "$id" $r MASTER_PORT)" "$master" "rank $r: the same rendezvous"
	is "$(var "$id" $r USER) $(var "$id" $r FOO) $(var "$id" $r CUDA_DEVICE_ORDER)" "nobody bar PCI_BUS_ID" "rank $r: USER, --export and CUDA_DEVICE_ORDER"
	is "$(var "$id" $r COLOSSUS_T0101_SECRET)" "" "rank $r: the submitter's environment is not inherited"
	is "$(var "$id" $r COLOSSUS_GPUS)" "$(var "$id" $r CUDA_VISIBLE_DEVICES)" "rank $r: COLOSSUS_GPUS = CUDA_VISIBLE_DEVICES"
	fds=$(sed -n 's/.* \([0-9]*\) -> \(.*\)/\1:\2/p' "$T/out/fds.$id.$r" | grep -v '^[012]:' | grep -v '^3:/proc/')
	is "$fds" "" "rank $r: only stdin, stdout and stderr are inherited"
done
n0=$(var "$id" 0 COLOSSUS_NODE_NAME); n1=$(var "$id" 1 COLOSSUS_NODE_NAME)
n2=$(var "$id" 2 COLOSSUS_NODE_NAME); n3=$(var "$id" 3 COLOSSUS_NODE_NAME)
[ "$n0" = "$n1" ] && [ "$n2" = "$n3" ] && [ "$n0" != "$n2" ] && [ -n "$n0" ] && [ -n "$n2" ]
ok $? "ranks 0,1 share a node ($n0), ranks 2,3 the other ($n2)"
is "$n0" "$(echo "$nodelist" | sed 's/n\[\([0-9]*\)-.*/n\1/')" "node-rank 0 is the first node of the nodelist"

# GPUs: each local rank gets half of its node's 8 GPUs, by UUID; the two
# halves are disjoint and together are exactly the node's GPUs.
for pair in "0 1 $n0" "2 3 $n2"; do
	set -- $pair
	a=$(var "$id" $1 CUDA_VISIBLE_DEVICES); b=$(var "$id" $2 CUDA_VISIBLE_DEVICES)
	is "$(echo "$a" | tr ',' '\n' | grep -c '^GPU-')" "4" "rank $1 sees 4 GPUs by UUID"
	is "$(echo "$b" | tr ',' '\n' | grep -c '^GPU-')" "4" "rank $2 sees 4 GPUs by UUID"
	is "$(printf '%s\n%s\n' "$a" "$b" | sorted_list | uniq -d | wc -l)" "0" "ranks $1 and $2 share no GPU"
	is "$(printf '%s,%s\n' "$a" "$b" | sorted_list | tr '\n' ' ')" "$(uuids_of "$3" 255 | tr '\n' ' ')" "together they are exactly $3's GPUs"
done

# ---- one rank per GPU on part of a node --------------------------------------
id2=$(cli nobody submit --quiet -G 4 --rank-per-gpu -D "$T/out" -- /bin/sh "$T/out/dump.sh")
ok $? "a 4-GPU job with --rank-per-gpu is submitted ($id2)"
wait_for 30 state_is "$id2" completed
ok $? "it completes"
node=$(var "$id2" 0 COLOSSUS_NODE_NAME)
mask=$(pg_psql "SELECT a.gpu_masks[1] FROM allocations a WHERE a.job_id = $id2")
all=""
for r in 0 1 2 3; do
	got="$(var "$id2" $r RANK) $(var "$id2" $r LOCAL_RANK) $(var "$id2" $r WORLD_SIZE) $(var "$id2" $r LOCAL_WORLD_SIZE) $(var "$id2" $r NODE_RANK) $(var "$id2" $r COLOSSUS_NUM_NODES)"
	is "$got" "$r $r 4 4 0 1" "rank $r of 4 on one node"
	c=$(var "$id2" $r CUDA_VISIBLE_DEVICES)
	like "$c" '^GPU-[0-9a-f-]+$' "rank $r has exactly one GPU, by UUID ($c)"
	all="$all,$c"
done
is "$(echo "${all#,}" | sorted_list | uniq | wc -l)" "4" "the four ranks have four different GPUs"
is "$(echo "${all#,}" | sorted_list | tr '\n' ' ')" "$(uuids_of "$node" "$mask" | tr '\n' ' ')" "and they are the GPUs of the allocation (mask $mask on $node)"
done_testing
