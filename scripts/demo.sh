#!/bin/sh
# The Colossus demo: installs what is missing, builds, then runs a small
# cluster on this machine and a gang job through it:
#
#   a private PostgreSQL in ./demo-run/pg (Unix socket only)
#   a development PKI in ./demo-run/pki
#   colossus-controller on 127.0.0.1
#   4 node agents with simulated H100 GPUs (n00001..n00004, one rack)
#   a 2-node gang whose ranks print their rank and node, run to completion
#
# Everything started here is stopped by its PID before the script exits.
# Jobs run as the unprivileged account "nobody" (its certificate has
# CN=nobody, OU=user), so the demo creates no users.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
"$src/scripts/install-deps.sh"
echo "building..."
build=$("$src/scripts/build.sh")
D=$src/demo-run
rm -rf "$D"
mkdir -p "$D/out" "$D/agents"
chmod 755 "$D"
chmod 1777 "$D/out"
PIDS=""

cleanup() {
	st=$?
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null || true; done
	pg_stop 2>/dev/null || true
	rmdir /sys/fs/cgroup/unified/colossus-demo-* /sys/fs/cgroup/colossus-demo-* 2>/dev/null || true
	[ "$st" -eq 0 ] && echo "demo finished; everything it started is stopped (logs in $D)"
	exit "$st"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() { # seconds command...
	n=$(( $1 * 10 )); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.1
	done
}

step "certificates (development CA; identity = CN, role = OU)"
"$src/scripts/colossus-certs" "$D/pki" --controller controller --admin root \
	--user nobody --node n00001 --node n00002 --node n00003 --node n00004
ls "$D/pki"

step "PostgreSQL in $D/pg"
. "$src/tests/lib/pg.sh"
PG_PORT=5433 pg_start "$D/pg"
PIDS="$PIDS $PG_PID"
echo "postgres pid $PG_PID, $PG_CONNINFO"

step "controller"
cat > "$D/controller.conf" <<CONF
[controller]
listen = 127.0.0.1:0
id = demo
[tls]
ca_file = $D/pki/ca.pem
cert_file = $D/pki/controller.pem
key_file = $D/pki/controller.key
[database]
conninfo = $PG_CONNINFO
[nodes]
heartbeat_interval = 1s
lease = 5s
CONF
"$build/colossus-controller" -c "$D/controller.conf" >"$D/controller.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 30 grep -q 'active: serving' "$D/controller.log" || { cat "$D/controller.log"; exit 1; }
PORT=$(sed -n 's/.*active: serving on .*(port \([0-9]*\)).*/\1/p' "$D/controller.log" | tail -n 1)
echo "controller pid $! listening on 127.0.0.1:$PORT"

cli() { # USER ARGS...
	u=$1; shift
	"$build/colossus" --controller "127.0.0.1:$PORT" --ca "$D/pki/ca.pem" \
		--cert "$D/pki/$u.pem" --key "$D/pki/$u.key" "$@"
}

step "topology: 1 hall, 1 pod, 1 rack of 4 nodes (colossus topology apply)"
cat > "$D/topology.txt" <<TOPO
hall h1
pod p001 hall=h1
rack r0001 pod=p001
node n[00001-00004] rack=r0001 gpus=8 model=H100
TOPO
cat "$D/topology.txt"
cli root topology apply "$D/topology.txt"

step "4 node agents with simulated GPUs"
for n in n00001 n00002 n00003 n00004; do
	mkdir -p "$D/agents/$n"
	cat > "$D/agents/$n/agent.conf" <<CONF
[agent]
controllers = 127.0.0.1:$PORT
state_dir = $D/agents/$n/state
control_socket = $D/agents/$n/control.sock
address = 127.0.0.1
[tls]
ca_file = $D/pki/ca.pem
cert_file = $D/pki/$n.pem
key_file = $D/pki/$n.key
[gpu]
backend = sim
kmsg =
[launch]
cgroup_parent = colossus-demo-$n
CONF
	"$build/colossus-nodeagent" -c "$D/agents/$n/agent.conf" >"$D/agents/$n/agent.log" 2>&1 &
	PIDS="$PIDS $!"
done
for n in n00001 n00002 n00003 n00004; do
	wait_for 30 grep -q 'registered with controller' "$D/agents/$n/agent.log" ||
		{ cat "$D/agents/$n/agent.log"; exit 1; }
done
cli nobody nodes

step "submit a 2-node gang (user nobody)"
ID=$(cli nobody submit --quiet -N 2 -J hello -D "$D/out" -- /bin/sh -c \
	'echo "rank $RANK of $WORLD_SIZE on node $COLOSSUS_NODE_NAME (nodes $COLOSSUS_NODELIST, master $MASTER_ADDR:$MASTER_PORT, GPUs $CUDA_VISIBLE_DEVICES)"')
echo "submitted job $ID"
cli nobody jobs

step "waiting for job $ID to complete"
done_state() { cli nobody job show "$ID" --json | grep -Eq '"state": *"(completed|failed|cancelled|timeout)"'; }
wait_for 60 done_state || { cli nobody job show "$ID"; exit 1; }
cli nobody job show "$ID"
cli nobody job show "$ID" --json | grep -Eq '"state": *"completed"' || { echo "job did not complete"; exit 1; }

step "what the ranks printed ($D/out)"
for f in "$D"/out/colossus-"$ID"-*.out; do
	echo "$(basename "$f"): $(cat "$f")"
done
cli nobody jobs --all
