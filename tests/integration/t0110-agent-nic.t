#!/bin/sh
# NIC link state in the agent: the interfaces of [nic] interfaces are
# read from sysfs (a fake tree here, nic.sysfs_net) at start and every
# poll interval, every up/down change is logged, and the control
# socket's "nic NAME up|down|none" forces a link for fault injection.
# A bad interface list stops the agent at start with a clear message.
# Protects DESIGN invariant 5 at its source (a node must know when a
# rail is down before the health policy can keep work off it).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentnic
ctl_start
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
ok $? "topology applied"
SYS=$T/sysfs-net
link() { # NAME OPERSTATE CARRIER SPEED
	mkdir -p "$SYS/$1"
	echo "$2" > "$SYS/$1/operstate"
	echo "$3" > "$SYS/$1/carrier"
	echo "$4" > "$SYS/$1/speed"
}
link ib0 up 1 400000
link ib1 up 1 400000
link ib2 down 0 -1
agent_start n00001 --set nic.interfaces=ib0,ib1,ib2,ib3 --set "nic.sysfs_net=$SYS" \
	--set gpu.poll_interval=1s
ok $? "agent with four watched interfaces registered"
LOG=$T/agents/n00001/agent.log
status() { agent_control n00001 status; }
nics() { status | sed -n 's/.* nics=\([^ ]*\).*/\1/p'; }
nics_are() { [ "$(nics)" = "$1" ]; }

is "$(nics)" "ib0:up,ib1:up,ib2:down,ib3:down" "status shows the links as sysfs has them"
grep -q "nic ib0: up (at start, speed 400000 Mb/s)" "$LOG"
ok $? "the start state of an up link is logged"
grep -q "warn: nic ib2: down (at start, operstate down, carrier 0)" "$LOG"
ok $? "a link down at start is a warning"
grep -q "warn: nic ib3: down (no such interface)" "$LOG"
ok $? "a missing interface is a warning"

# The host changes: ib0 loses carrier, ib2 comes up.
link ib0 down 0 -1
link ib2 up 1 400000
wait_for 20 nics_are "ib0:down,ib1:up,ib2:up,ib3:down"
ok $? "the next poll sees ib0 down and ib2 up"
grep -q "warn: nic ib0: down (sysfs, operstate down, carrier 0)" "$LOG"
ok $? "ib0 going down is logged"
grep -q "nic ib2: up (sysfs" "$LOG"
ok $? "ib2 coming up is logged"

# Fault injection through the control socket.
out=$(agent_control n00001 nic ib1 down)
ok $? "nic ib1 down is accepted ($out)"
is "$(nics)" "ib0:down,ib1:down(forced),ib2:up,ib3:down" "ib1 is forced down at once"
grep -q "warn: nic ib1: down (override" "$LOG"
ok $? "and the change is logged"
out=$(agent_control n00001 nic ib0 up)
is "$(nics)" "ib0:up(forced),ib1:down(forced),ib2:up,ib3:down" "ib0 forced up despite sysfs"
agent_control n00001 nic ib1 none >/dev/null && agent_control n00001 nic ib0 none >/dev/null
ok $? "overrides are cleared with none"
is "$(nics)" "ib0:down,ib1:up,ib2:up,ib3:down" "the links follow sysfs again"
out=$(agent_control n00001 nic ib9 down); rc=$?
[ "$rc" -ne 0 ]
ok $? "an unknown interface is refused ($out)"
out=$(agent_control n00001 nic ib0 sideways); rc=$?
[ "$rc" -ne 0 ]
ok $? "an unknown state is refused ($out)"
out=$(agent_control n00001 nic ib0); rc=$?
[ "$rc" -ne 0 ] && echo "$out" | grep -q usage
ok $? "a missing state gets the usage"

# A bad configuration is caught at start.
out=$("$AGENT_BIN" -c "$T/agents/n00001/agent.conf" --set 'nic.interfaces=ib0,../etc' \
	--set "agent.control_socket=$T/other.sock" --set "agent.state_dir=$T/other-state" 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "an agent with a bad interface name does not start"
like "$out" "\[nic\] interfaces" "and says which setting is wrong ($out)"
done_testing
