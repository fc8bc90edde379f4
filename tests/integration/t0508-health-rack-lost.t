#!/bin/sh
# Correlated loss (issue 5; DESIGN invariants 4 and 5): every node of a
# rack lost together is one rack fault (power or the top-of-rack switch):
# one rack_lost event and the rack drained, not eight node faults.  A
# rack whose nodes were lost one at a time, far apart, or where a node
# is still up, is not.  Agents are SIGKILLed (they vanish, as a node
# losing power does); the lease decides when they are lost.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthracklost
# A short lease: each node must have been up a full lease to count.
ctl_start --set nodes.lease=3s --set health.breaker_node_pct=100
cli root topology apply "$(cluster_small_topology 2 2)" >/dev/null
ok $? "topology applied: 2 racks of 2 nodes"
for n in n00001 n00002 n00003 n00004; do agent_start "$n"; done
ok $? "four agents registered"

node_state() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*\"name\":\"$1\"[^}]*\"state\":\"\([a-z]*\)\".*/\1/p"; }
node_is() { [ "$(node_state "$1")" = "$2" ]; }
rack_col() { pg_psql "SELECT $2 FROM racks WHERE name = '$1'"; }
rack_events() { pg_psql "SELECT count(*) FROM events e JOIN racks r ON r.id = e.rack_id WHERE r.name = '$1' AND e.kind = '$2'"; }
has_rack_event() { [ "$(rack_events "$1" "$2")" -ge 1 ]; }

# Up for longer than a lease: both count as working nodes.
for n in n00001 n00002 n00003 n00004; do wait_for 20 node_is "$n" up; done
sleep 4

# ---- r0002: one node lost, the other stays: node faults only ----------
agent_stop n00003 KILL
wait_for 30 node_is n00003 down
ok $? "n00003 is down after its lease"

# ---- r0001: both nodes vanish together: one rack fault -----------------
agent_stop n00001 KILL
agent_stop n00002 KILL
wait_for 30 node_is n00001 down && wait_for 30 node_is n00002 down
ok $? "both nodes of r0001 are down"
wait_for 30 has_rack_event r0001 rack_lost
ok $? "a rack_lost event for r0001"
is "$(rack_events r0001 rack_lost)" 1 "exactly one"
like "$(rack_col r0001 admin_state)" "drain" "r0001 is drained as a whole"
like "$(cli root events --rack r0001 --kind rack_lost 2>&1)" "all 2 nodes lost" \
	"colossus events says why"

# The rack with a node still up had no rack event.
is "$(rack_events r0002 rack_lost)" 0 "r0002 (n00004 still up) has no rack event"
unlike "$(rack_col r0002 admin_state)" "drain" "and is not drained"
done_testing
