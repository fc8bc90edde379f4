#!/bin/sh
# Admin drains (issue 5; DESIGN invariants 1, 5 and 6): only admins may
# drain or resume; a drain is in PostgreSQL when the command returns;
# a graceful drain lets running jobs finish while nothing new starts,
# and `--now` requeues them at once elsewhere; drains, epochs and
# restart counts survive a controller SIGKILL, and the running jobs are
# not disturbed by it; resume puts the node back in service.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init healthdrain
ctl_start
cli root topology apply "$(cluster_small_topology 2 2)" >/dev/null
ok $? "topology applied: 2 racks of 2 nodes"
for n in n00001 n00002 n00003 n00004; do agent_start "$n"; done
ok $? "four agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
marker="colossus-hdrain-$$"
cat > "$T/out/$marker.sh" <<EOF2
#!/bin/sh
echo \$\$ > $T/out/pid.\$COLOSSUS_JOB_ID.\$COLOSSUS_EPOCH.\$COLOSSUS_NODE_NAME
sleep 600 & wait
EOF2
chmod 755 "$T/out/$marker.sh"

ncol() { pg_psql "SELECT $2 FROM nodes WHERE name = '$1'"; }
nfield() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*{\"name\":\"$1\"[^}]*\"$2\":\"\{0,1\}\([^\",]*\).*/\1/p"; }
node_is() { [ "$(nfield "$1" "$2")" = "$3" ]; }
jfield() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }
job_is() { [ "$(jfield "$1" state)" = "$2" ]; }
ranks() { ls "$T/out"/pid.$1.$2.* 2>/dev/null | wc -l; }
has_ranks() { [ "$(ranks "$1" "$2")" -eq "$3" ]; }
pid_of() { cat "$T/out"/pid.$1.$2.* 2>/dev/null | head -n 1; }
node_of() { ls "$T/out"/pid.$1.$2.* 2>/dev/null | head -n 1 | sed 's/.*\.//'; }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

a=$(cli nobody submit --quiet -N 1 -x 'n[00002-00004]' -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$a" 1 1
ok $? "job $a runs on n00001"
b=$(cli nobody submit --quiet -N 1 -x n00001 -D "$T/out" -- "$T/out/$marker.sh")
wait_for 30 has_ranks "$b" 1 1
ok $? "job $b runs"
pa=$(pid_of "$a" 1); pb=$(pid_of "$b" 1); b1=$(node_of "$b" 1)
diag "job $b on $b1"

# ---- only admins ---------------------------------------------------------------------
out=$(cli nobody drain node n00001 --reason "not mine" 2>&1)
[ $? -ne 0 ]
ok $? "a user cannot drain a node"
like "$out" "permission|not allowed|may not|admin" "and is told why ($out)"
is "$(ncol n00001 admin_state)" "none" "n00001 is not drained"
out=$(cli alice drain rack r0001 --reason "nope" 2>&1)
[ $? -ne 0 ]
ok $? "nor a rack"
cli admin1 drain node n00003 --reason "test" >/dev/null 2>&1
out=$(cli nobody resume node n00003 2>&1)
[ $? -ne 0 ]
ok $? "nor resume one"
is "$(ncol n00003 admin_state)" "drained" "n00003 stays drained"
cli admin1 resume node n00003 >/dev/null 2>&1
ok $? "an admin resumes n00003"

# ---- graceful drain ------------------------------------------------------------------
out=$(cli admin1 drain node n00001 --reason "fan noise" 2>&1)
ok $? "admin drains n00001 ($out)"
# Durable before acknowledged: the row is written when the command returns.
is "$(ncol n00001 admin_state)" "draining" "PostgreSQL has n00001 draining when the command returns"
is "$(ncol n00001 admin_reason)" "fan noise" "with the reason"
is "$(ncol n00001 drained_by)" "admin1" "and who drained it"
alive "$pa"
ok $? "job $a keeps running on the draining node"
c=$(cli nobody submit --quiet -N 1 -x 'n[00002-00004]' -D "$T/out" -- /bin/true)
wait_for 5 job_is "$c" pending
ok $? "a job that may only use n00001 stays pending"
[ "$(ranks "$c" 1)" -eq 0 ]
ok $? "and never started there"
cli nobody cancel "$a" >/dev/null
wait_for 30 node_is n00001 admin_state drained
ok $? "n00001 is drained once its job ended"

# ---- drain --now ---------------------------------------------------------------------
out=$(cli admin1 drain node "$b1" --reason "PSU swap" --now 2>&1)
ok $? "admin drains $b1 --now ($out)"
wait_for 30 dead "$pb"
ok $? "job $b's rank on $b1 was stopped"
wait_for 60 has_ranks "$b" 2 1
ok $? "job $b runs again (epoch 2)"
nb=$(node_of "$b" 2); pb2=$(pid_of "$b" 2)
[ -n "$nb" ] && [ "$nb" != "$b1" ] && [ "$nb" != n00001 ]
ok $? "on an undrained node ($nb)"
is "$(jfield "$b" restarts)" "1" "one restart counted"

# ---- controller SIGKILL: nothing acknowledged is lost ------------------------------------
ctl_stop KILL
ok $? "controller killed with SIGKILL"
ctl_start
ok $? "controller restarted"
is "$(nfield n00001 admin_state)" "drained" "n00001 is still drained"
# $b1 may have been killed while still draining (its requeued rank had
# just stopped): the drain survives and completes at the next sweep.
like "$(nfield "$b1" admin_state)" "^drain(ing|ed)$" "$b1 is still draining or drained"
b1_drained() { [ "$(nfield "$b1" admin_state)" = drained ]; }
wait_for 30 b1_drained
ok $? "$b1 is drained"
like "$(nfield "$b1" reason)" "PSUswap" "with its reason"
is "$(jfield "$b" epoch) $(jfield "$b" restarts)" "2 1" "job $b keeps epoch 2 and its restart count"
wait_for 30 node_is "$nb" state up
ok $? "$nb re-registered"
wait_for 10 job_is "$b" running
ok $? "job $b is running"
alive "$pb2"
ok $? "and its rank was not disturbed by the restart"

# ---- resume ------------------------------------------------------------------------
out=$(cli admin1 resume node n00001 2>&1)
ok $? "admin resumes n00001 ($out)"
is "$(ncol n00001 admin_state)" "none" "PostgreSQL has it back in service when the command returns"
wait_for 30 job_is "$c" completed
ok $? "the pending job ran on n00001"
has_resume() { [ "$(pg_psql "SELECT count(*) FROM events e JOIN nodes n ON n.id = e.node_id WHERE n.name = 'n00001' AND kind = 'node_resume' AND actor = 'admin1'")" -ge 1 ]; }
wait_for 10 has_resume
ok $? "a node_resume event by admin1"

# ---- a rack drain is graceful too ---------------------------------------------------------
rk=$(pg_psql "SELECT r.name FROM nodes n JOIN racks r ON r.id = n.rack_id WHERE n.name = '$nb'")
out=$(cli admin1 drain rack "$rk" --reason "CDU service" 2>&1)
ok $? "admin drains rack $rk ($out)"
is "$(pg_psql "SELECT admin_state FROM racks WHERE name = '$rk'")" "draining" "it is draining while job $b runs there"
alive "$pb2"
ok $? "job $b keeps running"
cli nobody cancel "$b" >/dev/null
rack_drained() { [ "$(pg_psql "SELECT admin_state FROM racks WHERE name = '$rk'")" = drained ]; }
wait_for 30 rack_drained
ok $? "rack $rk is drained once idle"
cli admin1 resume rack "$rk" >/dev/null 2>&1
ok $? "and resumed"
nothing_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 30 nothing_left
ok $? "nothing left"
done_testing
