#!/bin/sh
# The health circuit breaker (issue 5; DESIGN "Health"): when automated
# drains exceed their share of the cluster in the window, automation
# stops draining, raises one critical breaker_open event and waits for
# an admin; jobs on broken hardware are still requeued meanwhile (a
# fault must not keep killing a gang), and after an admin's reset
# automation drains again.  Only admins reset it.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthbreaker
# 6 nodes at 34 %: two automated drains per window, the third trips it.
ctl_start --set health.breaker_node_pct=34
cli root topology apply "$(cluster_small_topology 1 6)" >/dev/null
ok $? "topology applied: 6 nodes"
for i in 1 2 3 4 5 6; do agent_start n0000$i; done
ok $? "six agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-hbrk-$$"
cat > "$T/out/$marker.sh" <<EOF2
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
sleep 600 & wait
EOF2
chmod 755 "$T/out/$marker.sh"

ncol() { pg_psql "SELECT $2 FROM nodes WHERE name = '$1'"; }
ncol_is() { [ "$(ncol "$1" "$2")" = "$3" ]; }
kind_count() { pg_psql "SELECT count(*) FROM events WHERE kind = '$1'"; }
has_kind() { [ "$(kind_count "$1")" -ge "${2:-1}" ]; }
node_events() { pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = '$1' AND e.kind = '$2'"; }
has_ranks() { [ "$(ls "$T/out"/pid.$1.$2.* 2>/dev/null | wc -l)" -eq "$3" ]; }
jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
xid() { agent_control "$1" gpu xid 0 79 >/dev/null; }

xid n00001
wait_for 30 ncol_is n00001 admin_state drained
ok $? "first automated drain (n00001)"
xid n00002
wait_for 30 ncol_is n00002 admin_state drained
ok $? "second automated drain (n00002)"
j=$(cli nobody submit --quiet -N 1 -x 'n0000[1-3]' -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$j" 1 1
jn=$(ls "$T/out"/pid.$j.1.* | sed 's/.*\.//')
ok $? "job $j runs ($jn)"

xid n00003
wait_for 30 has_kind breaker_open
ok $? "the third trips the breaker: a breaker_open event"
is "$(pg_psql "SELECT severity FROM events WHERE kind = 'breaker_open'")" "critical" "it is critical"
like "$(pg_psql "SELECT reason FROM events WHERE kind = 'breaker_open'")" "automated drains stopped.*breaker reset" "it says what happened and what to do"
is "$(ncol n00003 admin_state)" "none" "n00003 was not drained"
grep -q "node=n00003: breaker open, not drained" "$T/controller.log"
ok $? "the controller logged the drain it held back"

# While open: the job on a broken node is still requeued, the node not drained.
xid "$jn"
wait_for 60 has_ranks "$j" 2 1
ok $? "XID 79 under job $j: the job is still requeued (epoch 2)"
[ ! -e "$T/out/pid.$j.2.$jn" ]
ok $? "away from $jn"
is "$(ncol "$jn" admin_state)" "none" "$jn was not drained"
jn2=$(ls "$T/out"/pid.$j.2.* | sed 's/.*\.//')
for n in n00004 n00005 n00006; do [ "$n" != "$jn" ] && [ "$n" != "$jn2" ] && spare=$n; done
is "$(kind_count breaker_open)" "1" "still one breaker_open event"

out=$(cli nobody breaker reset 2>&1)
[ $? -ne 0 ]
ok $? "a user cannot reset the breaker ($out)"
out=$(cli admin1 breaker reset 2>&1)
ok $? "an admin resets it ($out)"
wait_for 10 has_kind breaker_reset
ok $? "a breaker_reset event"
like "$(pg_psql "SELECT actor || ': ' || reason FROM events WHERE kind = 'breaker_reset'")" "^admin1: reset by admin1 \\([0-9]+ automated actions were held back\\)" "who reset it and how much was held back"
xid "$spare"
wait_for 30 ncol_is "$spare" admin_state drained
ok $? "after the reset automation drains again ($spare)"

cli nobody cancel "$j" >/dev/null
nothing_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 nothing_left
ok $? "nothing left"
done_testing
