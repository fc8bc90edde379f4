#!/bin/sh
# A fatal GPU fault in a running gang (issue 5, DESIGN invariants 3, 4
# and 5): an XID 79 ("GPU fell off the bus") injected into one node of a
# running 2-node gang drains that node (by the health policy, with an
# event saying why), stops every rank of the gang and requeues it with a
# new epoch on healthy nodes away from the faulty one, and no rank of the
# old incarnation is left.  Then a node that stops heartbeating (its
# agent frozen) is declared down within its lease, the gang is requeued
# again (restart count 2), and when the agent comes back its stale ranks
# are fenced: exactly one incarnation lives.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthxid
# The breaker would stop the second automated action in a 6-node cluster.
ctl_start --set health.breaker_node_pct=100
cli root topology apply "$(cluster_small_topology 2 3)" >/dev/null
ok $? "topology applied: 2 racks of 3 nodes"
for n in n00001 n00002 n00003 n00004 n00005 n00006; do agent_start "$n"; done
ok $? "six agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-hxid-$$"
cat > "$T/out/$marker.sh" <<EOF2
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
sleep 600 & wait
EOF2
chmod 755 "$T/out/$marker.sh"

jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
nfield() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*{\"name\":\"$1\"[^}]*\"$2\":\"\{0,1\}\([^\",]*\).*/\1/p"; }
node_is() { [ "$(nfield "$1" "$2")" = "$3" ]; }
ranks_of() { ls "$T/out"/pid.$1.* 2>/dev/null | wc -l; }
has_ranks() { [ "$(ranks_of "$1")" -eq "$2" ]; }
nodes_of() { ls "$T/out"/pid.$1.* 2>/dev/null | sed 's/.*\.//' | sort | tr '\n' ' '; }
alive() { kill -0 "$1" 2>/dev/null; }
none_alive() { for f in "$T/out"/pid.$1.*; do alive "$(cat "$f")" && return 1; done; return 0; }
live_copies() {
	_n=0
	for f in "$T/out"/pid.*; do
		[ -f "$f" ] && alive "$(cat "$f")" && _n=$((_n + 1))
	done
	echo "$_n"
}
events() { pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
has_event() { [ "$(events "$1" "$2")" -ge 1 ]; }

id=$(cli nobody submit --quiet -N 2 --max-restarts 5 -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks 1 2
ok $? "gang $id runs on two nodes (epoch 1)"
set -- $(nodes_of 1); a=$1; b=$2
diag "epoch 1 on $a $b"

# ---- XID 79 on a node of the gang ------------------------------------------
out=$(agent_control "$a" gpu xid 2 79)
ok $? "XID 79 injected into GPU 2 of $a ($out)"
wait_for 30 node_is "$a" admin_state drained
ok $? "$a is drained (it runs nothing any more)"
is "$(pg_psql "SELECT drained_by FROM nodes WHERE name = '$a'")" "health" "drained by the health policy, in PostgreSQL"
wait_for 10 has_event "$a" node_drain
ok $? "a node_drain event for $a"
like "$(pg_psql "SELECT reason FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$a' AND kind = 'node_drain'")" "XID 79" "its reason names XID 79"
wait_for 30 none_alive 1
ok $? "every rank of epoch 1 is gone, on both nodes"
wait_for 60 has_ranks 2 2
ok $? "the gang runs again as epoch 2"
case " $(nodes_of 2)" in *" $a "*) ok 1 "epoch 2 avoids $a";; *) ok 0 "epoch 2 avoids $a";; esac
is "$(jfield "$id" epoch)" "2" "the controller says epoch 2"
is "$(jfield "$id" restarts)" "1" "one restart counted"
is "$(live_copies)" "2" "exactly the two ranks of epoch 2 live"
is "$(pg_psql "SELECT count(*) FROM allocations WHERE job_id = $id AND ended_at IS NULL")" "1" "one open allocation"

# ---- a node that stops heartbeating -------------------------------------------
set -- $(nodes_of 2); c=$1
p2=$(cat "$T/out/pid.2.$c")
kill -STOP "$(agent_pid "$c")"
ok $? "agent of $c frozen"
wait_for 30 node_is "$c" state down
ok $? "$c declared down once its lease expired"
wait_for 10 has_event "$c" node_down
ok $? "a node_down event for $c"
wait_for 60 has_ranks 3 2
ok $? "the gang runs again as epoch 3"
case " $(nodes_of 3)" in *" $c "*|*" $a "*) ok 1 "epoch 3 avoids $c and $a";; *) ok 0 "epoch 3 avoids $c and $a";; esac
is "$(jfield "$id" restarts)" "2" "two restarts counted"
alive "$p2"
ok $? "the frozen node's epoch-2 rank still runs (nobody can reach it)"
kill -CONT "$(agent_pid "$c")"
wait_for 30 node_is "$c" state up
ok $? "$c is back up"
gone() { ! alive "$1"; }
wait_for 30 gone "$p2"
ok $? "its stale epoch-2 rank was fenced"
is "$(live_copies)" "2" "exactly the two ranks of epoch 3 live"
is "$(nfield "$c" admin_state)" "none" "a lost node is not drained: it came back healthy"

cli nobody cancel "$id" >/dev/null
nothing_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 nothing_left
ok $? "after a cancel nothing of any incarnation is left"
done_testing
