#!/bin/sh
# Invariants 1 (durable before launch) and 4 (an allocation is whole): a
# pass that places more jobs than [scheduler] place_batch_max commits
# them in several transactions, each job's rows in one, so the first
# ones launch while the rest commit.  Every job of every transaction is
# launched once and runs to completion; none is lost or placed twice.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init sched-place-batches
ctl_start --set scheduler.place_batch_max=3 --set controller.debug=sched
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
for n in n00001 n00002; do agent_start "$n"; done
ok $? "cluster up: 2 nodes, 16 GPUs; at most 3 placements per transaction"
mkdir -p "$T/out" && chmod 1777 "$T/out"

ids=""
for i in $(seq 1 16); do
	ids="$ids $(cli nobody submit --quiet --hold -G 1 -t 5m -J "b$i" -D "$T/out" -- /bin/sh -c 'sleep 1; echo ok')"
done
is "$(echo $ids | wc -w)" 16 "16 held one-GPU jobs"
# Released together, they are placed by one pass.
# shellcheck disable=SC2086
cli nobody release $ids >/dev/null
ok $? "released at once"
all_done() {
	[ "$(pg_psql "SELECT count(*) FROM jobs WHERE name LIKE 'b%' AND state = 'completed'")" = 16 ]
}
wait_for 60 all_done
ok $? "all 16 ran to completion"
is "$(pg_psql "SELECT count(*) FROM jobs WHERE name LIKE 'b%' AND epoch <> 1")" 0 \
	"each placed once (epoch 1)"
is "$(pg_psql "SELECT count(*), count(DISTINCT job_id) FROM allocations a JOIN jobs j ON j.id = a.job_id WHERE j.name LIKE 'b%'" | tr '|' ' ')" "16 16" \
	"one allocation row per job"
out=0
for id in $ids; do
	[ "$(cat "$T/out/colossus-$id-0.out" 2>/dev/null)" = ok ] && out=$((out + 1))
done
is "$out" 16 "every job's rank wrote its output"
big=$(grep -c 'pass: committing [4-9][0-9]* placements\|pass: committing [1-9][0-9][0-9]* placements' "$T/controller.log")
is "$big" 0 "no transaction held more than 3 placements"
chunks=$(grep -c 'pass: committing [1-3] placements' "$T/controller.log")
ok "$([ "$chunks" -ge 6 ]; echo $?)" "the placements were committed in $chunks transactions (at least 6 for 16 jobs)"
done_testing
