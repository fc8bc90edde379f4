#!/bin/bash
# The cluster simulator (bench/colossus-sim), small: 48 simulated agents in
# one process, each with its own certificate made in process, against the
# real controller and PostgreSQL.  Checks what the benchmarks rely on:
# every agent registers, a gang runs its "sleep" and completes, a cancel
# is confirmed, a lost (silent) node is declared down and its gang
# requeued elsewhere, an XID 79 drains its node and requeues the job, and
# the shared OU=sim certificate is refused unless the controller allows
# the simulator.
#
# Protects DESIGN invariant 6 (identity from the certificate: node CN per
# agent; OU=sim only when allowed) and the liveness rule (a silent node
# goes down after its lease and its gang is requeued away from it), 4 and
# 5 (an XID 79 from a node's GPU requeues the job away from the drained
# node), as the
# simulator exercises them at full scale in bench/.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/cluster.sh"

SIM_BIN=$top_builddir/bench/colossus-sim
[ -x "$SIM_BIN" ] || bail_out "$SIM_BIN not built"
cluster_init sim-smoke
"$top_srcdir/scripts/colossus-certs" "$T/pki" --sim simulator >/dev/null ||
	bail_out "sim certificate"
ctl_start
cli admin1 topology apply "$(cluster_small_topology 6 8)" >/dev/null ||
	bail_out "topology"

sim_start() { # LOG ARGS...
	_log=$1; shift
	"$SIM_BIN" --controller "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--stats-interval 0.5 "$@" >"$T/$_log" 2>&1 &
	SIM_PID=$!
	CLUSTER_PIDS="$CLUSTER_PIDS $SIM_PID"
}
sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null
	for _i in $(seq 1 100); do
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_RC=$?
}
# State as the controller recorded it (robust against CLI format changes).
job_state() { pg_psql "SELECT state FROM jobs WHERE id = $1"; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
job_epoch() { pg_psql "SELECT epoch FROM jobs WHERE id = $1"; }
# Nodes of the job's current allocation, one name per line.
job_nodes() {
	pg_psql "SELECT n.name FROM jobs j JOIN allocations a ON a.job_id = j.id AND a.epoch = j.epoch, unnest(a.node_ids) AS u(id) JOIN nodes n ON n.id = u.id WHERE j.id = $1"
}
node_state() { pg_psql "SELECT state FROM nodes WHERE name = '$1'"; }
nodes_up() { pg_psql "SELECT count(*) FROM nodes WHERE state = 'up'"; }
# For wait_for (pg_psql is a shell function: not usable under "sh -c").
nodes_up_are() { [ "$(nodes_up)" = "$1" ]; }
node_is() { [ "$(node_state "$1")" = "$2" ]; }
node_admin_is() {
	[ "$(pg_psql "SELECT admin_state FROM nodes WHERE name = '$1'")" = "$2" ]
}
epoch_at_least() { [ "$(job_epoch "$1")" -ge "$2" ]; }
sim_idle() { grep '^sim: t=' "$T/sim.log" | tail -n 1 | grep -q ' wl=0 '; }

# ---- the shared simulator certificate is refused by default ---------------
sim_start sim-refused.log --sim-cert "$T/pki/simulator.pem" \
	--sim-key "$T/pki/simulator.key" --nodes 'n[00001-00004]' --run-for 3
wait "$SIM_PID"
last=$(grep '^sim: final' "$T/sim-refused.log")
like "$last" ' reg=0 ' "OU=sim certificate refused without allow_simulator"
grep -q "refused sim certificate" "$T/controller.log"
ok $? "controller logged the refusal"

# ---- 48 agents with their own certificates ----------------------------
sim_start sim.log --ca-key "$T/pki/ca.key" --nodes 'n[00001-00048]' \
	--job-log "$T/jobs.log" --control "$T/sim.ctl"
wait_for 60 grep -q 'event=all_registered' "$T/sim.log"
ok $? "all 48 simulated agents registered"
like "$(grep 'event=identities' "$T/sim.log")" 'nodes=48 .*mode=per-node-cert' \
	"48 identities made in process"
wait_for 20 nodes_up_are 48
is "$(nodes_up)" 48 "the controller sees 48 nodes up"

# ---- a gang runs its sleep and completes ---------------------------------
gang=$(cli alice submit --quiet -N 4 --gpus-per-node 8 -- sleep 1)
wait_for 30 job_is "$gang" completed
is "$(job_state "$gang")" completed "4-node gang ran 'sleep 1' and completed"
wait_for 10 grep -q "^[0-9]* $gang 1 4 4 4 4 " "$T/jobs.log"
ok $? "job log: 4 launched, 4 started, 4 ended"

# ---- cancel: the kill is confirmed and the GPUs come back ---------------
long=$(cli alice submit --quiet --gpus-per-node 8 -N 2 -- sleep 1000)
wait_for 30 job_is "$long" running
cli alice cancel "$long" >/dev/null
wait_for 30 job_is "$long" cancelled
is "$(job_state "$long")" cancelled "cancelled job is cancelled"
wait_for 20 sim_idle
ok $? "its workloads are gone from the simulated nodes"

# ---- a lost node: down after the lease, its gang requeued elsewhere -------
gang2=$(cli alice submit --quiet -N 2 --gpus-per-node 8 -- sleep 1000)
wait_for 30 job_is "$gang2" running
victim=$(job_nodes "$gang2" | head -n 1)
echo "lose $victim" > "$T/sim.ctl"
wait_for 20 node_is "$victim" down
is "$(node_state "$victim")" down "silent node $victim is down after its lease"
wait_for 30 epoch_at_least "$gang2" 2
like "$(pg_psql "SELECT reason FROM jobs WHERE id = $gang2") $(job_epoch "$gang2")" \
	"$victim lost.* 2\$|^ 2\$" "its gang was requeued (epoch 2)"
wait_for 30 job_is "$gang2" running
unlike "$(job_nodes "$gang2" | tr '\n' ' ')" "$victim " \
	"the new incarnation avoids $victim"

# ---- an XID 79 from the simulated GPU: reported as a real agent does -------
# The simulator raises it in the node's sim GPU backend; nodeagent/health.c
# sends it as a HealthReport event; the default policy says "requeue drain
# reboot" (GPU fell off the bus), and the ranks crash 200 ms later.
xj=$(cli alice submit --quiet --gpus-per-node 1 -- sleep 1000)
wait_for 30 job_is "$xj" running
xnode=$(job_nodes "$xj")
mask=$(pg_psql "SELECT a.gpu_masks[1] FROM jobs j JOIN allocations a ON a.job_id = j.id AND a.epoch = j.epoch WHERE j.id = $xj")
xgpu=0
while [ $(( (mask >> xgpu) & 1 )) -eq 0 ] && [ $xgpu -lt 16 ]; do xgpu=$((xgpu + 1)); done
echo "xid $xnode $xgpu 79" > "$T/sim.ctl"
wait_for 30 node_admin_is "$xnode" drained
is "$(pg_psql "SELECT admin_state FROM nodes WHERE name = '$xnode'")" drained \
	"XID 79 reported by the simulated agent drained $xnode"
wait_for 30 epoch_at_least "$xj" 2
[ "$(job_epoch "$xj")" -ge 2 ]
ok $? "the job on GPU $xgpu was requeued (new epoch)"
wait_for 30 job_is "$xj" running
unlike "$(job_nodes "$xj")" "^$xnode\$" "its new incarnation is not on $xnode"

sim_stop
is "$SIM_RC" 0 "the simulator stopped cleanly (no sanitizer report)"
like "$(grep '^sim: final' "$T/sim.log")" 'refused=0 ' "no launch order was refused"
done_testing
