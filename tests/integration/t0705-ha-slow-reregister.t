#!/bin/sh
# Invariant: a controller restart never kills healthy jobs (DESIGN "Node
# liveness and fencing"; issue 7: no node is declared down before it had
# a full lease to reconnect).  After a restart or takeover thousands of
# agents come back one handshake at a time, which can take longer than a
# lease: nodes not back yet keep waiting while registrations still
# arrive ([nodes] restart_grace_max).  Once registrations stop, a node
# still missing is declared down a lease later, as before.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init ha-slow-reregister
ctl_start --set nodes.lease=6s
cli root topology apply "$(cluster_small_topology 1 5)" >/dev/null
nodes="n00001 n00002 n00003 n00004 n00005"
for n in $nodes; do agent_start "$n"; done
ok $? "a controller with a 6 s lease and five agents"

mkdir -p "$T/out" && chmod 1777 "$T/out"
run=$(cli nobody submit --quiet -N 5 -D "$T/out" -- sleep 300)
running() { cli nobody job show "$run" --json | grep -Eq '"state": *"running"'; }
wait_for 30 running
ok $? "a 5-node gang is running"

# Every agent frozen, then the controller killed and restarted: the
# agents come back one by one, 2.5 s apart, the last 10.5 s after the
# restart (beyond the 6 s lease).
for n in $nodes; do kill -STOP "$(agent_pid "$n")"; done
ctl_stop KILL
ctl_start --set nodes.lease=6s
ok $? "controller restarted while every agent is frozen"
sleep 0.5
for n in $nodes; do
	kill -CONT "$(agent_pid "$n")"
	[ "$n" = n00005 ] || sleep 2.5
done
all_back() {
	for _n in $nodes; do
		grep -q "node=$_n registered from" "$T/controller.log" || return 1
	done
}
wait_for 30 all_back
ok $? "every agent registered again"
# Two more leases: a node that had been declared down would show by now.
sleep 12
downs=$(pg_psql "SELECT count(*) FROM events WHERE kind = 'node_down'")
is "$downs" "0" "no node was declared down while agents were re-registering"
ok "$(running; echo $?)" "the gang is still running"
is "$(pg_psql "SELECT epoch FROM jobs WHERE id = $run")" "1" "... never requeued (epoch 1)"

# Registrations that stop end the wait: one agent stays frozen across a
# restart, the other four are back at once.
kill -STOP "$(agent_pid n00005)"
ctl_stop KILL
ctl_start --set nodes.lease=6s
node_down() { [ "$(pg_psql "SELECT state FROM nodes WHERE name = 'n00005'")" = down ]; }
wait_for 60 node_down
ok $? "a node still missing once registrations stopped is declared down"
reason=$(pg_psql "SELECT reason FROM events WHERE kind = 'node_down' ORDER BY id DESC LIMIT 1")
like "$reason" "did not register" "... because it did not register after the restart"
requeued() { [ "$(pg_psql "SELECT state FROM jobs WHERE id = $run")" = pending ]; }
wait_for 30 requeued
ok $? "... and its gang was requeued (pending again: 4 nodes left for 5)"
kill -CONT "$(agent_pid n00005)"
cli root cancel "$run" >/dev/null
done_testing
