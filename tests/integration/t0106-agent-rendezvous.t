#!/bin/sh
# A real rendezvous: a 2-node x 2-rank gang runs tests/tools/rendezvous,
# which does what torch.distributed's env:// does: rank 0 listens on
# MASTER_PORT, every other rank connects to MASTER_ADDR:MASTER_PORT and
# sends its RANK, rank 0 checks it sees WORLD_SIZE-1 distinct peers.
# So MASTER_ADDR is reachable, MASTER_PORT is free and the same for all,
# and RANK/WORLD_SIZE agree across nodes.  A gang where two ranks claim
# the same RANK fails, which shows the check can fail.  Protects DESIGN
# invariant 4 (a gang starts together, all or nothing: here, all ranks
# can actually find each other).
. "$top_srcdir/tests/lib/cluster.sh"
RDV=$top_builddir/tests/tools/rendezvous
[ -x "$RDV" ] || bail_out "$RDV not built (make check builds it)"
cluster_init agentrdv
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002; do agent_start "$n"; done
ok $? "two agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
# The ranks run as nobody: they must reach the program.
cp "$RDV" "$T/out/rendezvous" && chmod 755 "$T/out/rendezvous"

state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }

# --export cannot override what the agent sets: a bogus MASTER_PORT and
# WORLD_SIZE from the submitter are ignored.
id=$(cli nobody submit --quiet -N 2 --ranks-per-node 2 -D "$T/out" \
	--export MASTER_PORT=1 --export WORLD_SIZE=9 -- "$T/out/rendezvous" 30)
ok $? "a 2x2 gang running the rendezvous is submitted ($id)"
wait_for 60 state_is "$id" completed
ok $? "every rank found the others and exited 0"
is "$(field "$id" exit_code)" "0" "exit code 0"
o0=$(cat "$T/out/colossus-$id-0.out" 2>/dev/null)
like "$o0" "rank 0: saw 3 distinct peers of world 4" "rank 0 saw WORLD_SIZE-1 = 3 distinct peers"
for r in 1 2 3; do
	o=$(cat "$T/out/colossus-$id-$r.out" 2>/dev/null)
	like "$o" "rank $r: rank 0 at 127\.0\.0\.1:[0-9]+ answered for world 4" "rank $r reached rank 0 through MASTER_ADDR:MASTER_PORT"
done

# Two ranks claiming the same RANK: rank 0 refuses, the gang fails.
id2=$(cli nobody submit --quiet -N 2 --ranks-per-node 2 -D "$T/out" -- /bin/sh -c \
	'if [ "$RANK" = 1 ]; then RANK=2; fi; exec ./rendezvous 20')
ok $? "a gang with a duplicated RANK is submitted ($id2)"
wait_for 60 state_is "$id2" failed
ok $? "it fails"
like "$(cat "$T/out/colossus-$id2-0.out" 2>/dev/null)" "rank 2 connected twice" "rank 0 noticed the duplicate"
done_testing
