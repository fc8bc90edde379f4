#!/bin/sh
# A rank runs as the job's owner and nothing more: a fresh test user
# cannot read, list or change the agent's state directory, its
# configuration, its keys or its control socket, cannot signal the agent
# or its own shepherd, cannot leave its cgroup, has none of root's
# groups, and owns the files it writes.  This is the node's side of
# DESIGN invariant 6 (identity from the certificate: the job runs as the
# certificate's user and cannot become the agent) and what keeps
# invariant 3 (a rank cannot forge exit files or hide from a fence).
. "$top_srcdir/tests/lib/tap.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (creates a user, ranks change uid)"
command -v useradd >/dev/null && command -v userdel >/dev/null ||
	skip_all "useradd/userdel not installed"
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentuser
# A user name unique to this run; removed by the EXIT trap.
U=colt$$
useradd --no-create-home --home-dir /nonexistent --shell /bin/sh "$U" ||
	bail_out "useradd $U failed"
trap 'userdel -f "$U" >/dev/null 2>&1; cluster_cleanup' EXIT
"$top_srcdir/scripts/colossus-certs" "$T/pki" --user "$U" >/dev/null ||
	bail_out "certificate for $U"

# The controller allows root jobs; the agent does not (see the end).
ctl_start --set jobs.allow_root=true
cli root topology apply "$(cluster_small_topology 1 1)" >/dev/null
ok $? "topology applied"
agent_start n00001 --set launch.allow_root=false
ok $? "agent registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
S=$T/agents/n00001/state
CG=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)

# Every probe tries something a rank must not be able to do, and prints
# "NAME allowed" or "NAME refused".
cat > "$T/out/probe.sh" <<'EOF'
#!/bin/sh
probe() {
	_name=$1; shift
	if "$@" >/dev/null 2>&1; then echo "$_name allowed"; else echo "$_name refused"; fi
}
W=$S/w-$COLOSSUS_JOB_ID-$COLOSSUS_EPOCH
# Controls: what the rank may do must work, or the probes prove nothing.
probe read-ca-cert cat "$(dirname "$KEY")/ca.pem"
probe traverse-state-dir test -d "$S/."
probe list-state-dir ls "$S"
probe list-workload-dir ls "$W"
probe read-launch-order cat "$W/launch.pb"
probe read-shepherd-log cat "$W/shepherd.log"
probe forge-exit-file sh -c "echo x > '$W/exit.0'"
probe forge-done-marker sh -c "echo x > '$W/done'"
probe create-in-state-dir sh -c "echo x > '$S/evil'"
probe remove-workload-dir rm -rf "$W"
probe list-scripts-dir ls "$S/scripts"
probe read-node-key cat "$KEY"
probe read-ca-key cat "$CAKEY"
probe read-node-cert-dir-key sh -c "cat '$(dirname "$KEY")'/*.key"
probe change-agent-config sh -c "echo '[agent]' >> '$CONF'"
probe replace-agent-config sh -c "mv '$CONF' '$CONF.old'"
probe control-socket "$AGENT" --control "$SOCK" status
probe signal-agent kill -0 "$AGENT_PID"
probe signal-shepherd kill -0 "$PPID"
if [ -n "$CG" ]; then
	probe leave-cgroup sh -c "echo \$\$ > '$CG/cgroup.procs'"
fi
id -un > "whoami.$COLOSSUS_JOB_ID"
id -G > "groups.$COLOSSUS_JOB_ID"
echo data > "written.$COLOSSUS_JOB_ID"
EOF
chmod 755 "$T/out/probe.sh"

state_is() { cli "$U" job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
id=$(cli "$U" submit --quiet -D "$T/out" -e "probe-%j-%r.err" \
	--export "S=$S" --export "KEY=$T/pki/n00001.key" \
	--export "CAKEY=$T/pki/ca.key" --export "CONF=$T/agents/n00001/agent.conf" \
	--export "AGENT=$AGENT_BIN" --export "SOCK=$T/agents/n00001/control.sock" \
	--export "AGENT_PID=$(agent_pid n00001)" --export "CG=$CG" \
	-- /bin/sh "$T/out/probe.sh")
ok $? "$U submits a job ($id)"
wait_for 30 state_is "$id" completed
ok $? "it completes"
out=$(cat "$T/out/colossus-$id-0.out" 2>/dev/null)
like "$out" "^read-ca-cert allowed\$" "control: the rank can read a world-readable file (the CA certificate)"
like "$out" "^traverse-state-dir allowed\$" "control: the rank can traverse the state directory"
for p in list-state-dir list-workload-dir read-launch-order read-shepherd-log \
	forge-exit-file forge-done-marker create-in-state-dir remove-workload-dir \
	list-scripts-dir read-node-key read-ca-key read-node-cert-dir-key \
	change-agent-config replace-agent-config control-socket signal-agent \
	signal-shepherd; do
	like "$out" "^$p refused\$" "the rank cannot $p"
done
if [ -n "$CG" ]; then
	like "$out" "^leave-cgroup refused\$" "the rank cannot move itself out of its cgroup"
fi
is "$(cat "$T/out/whoami.$id" 2>/dev/null)" "$U" "the rank runs as $U"
like " $(cat "$T/out/groups.$id" 2>/dev/null) " "^ $(id -g "$U") \$" "with $U's group only (no root groups)"
is "$(stat -c %U "$T/out/colossus-$id-0.out" 2>/dev/null)" "$U" "its stdout file belongs to $U"
is "$(stat -c %U "$T/out/probe-$id-0.err" 2>/dev/null)" "$U" "its stderr file (-e) belongs to $U"
is "$(stat -c %U "$T/out/written.$id" 2>/dev/null)" "$U" "a file it writes belongs to $U"
[ ! -e "$S/evil" ] && [ -f "$T/agents/n00001/agent.conf" ]
ok $? "nothing in the state directory or configuration changed"
is "$(stat -c %a "$S")" "711" "the state directory is 0711 (traversable, not listable)"
is "$(find "$S" -mindepth 1 -maxdepth 1 -name 'w-*' -perm /077 | wc -l)" "0" "workload directories are private to root"
is "$(find "$T/agents/n00001/control.sock" -perm /077 | wc -l)" "0" "the control socket is for root only"

# The agent refuses a user that does not exist on the node, and refuses
# root unless both sides allow it.
ghost=ghost$$
"$top_srcdir/scripts/colossus-certs" "$T/pki" --user "$ghost" >/dev/null
id2=$(cli "$ghost" submit --quiet -D "$T/out" -- /bin/true)
refused() { grep -q "user '$ghost' does not exist on node n00001" "$T/agents/n00001/agent.log"; }
wait_for 30 refused
ok $? "a job of a user unknown on the node is refused by the agent, naming the user"
cli root cancel "$id2" >/dev/null 2>&1
is "$(find "$S" -mindepth 1 -maxdepth 1 -name "w-$id2-*" | wc -l)" "0" "and leaves no workload behind"

# root: the controller allows it here, the agent's configuration does not.
id3=$(cli root submit --quiet -D "$T/out" -- /usr/bin/id -u)
ok $? "root's job is accepted by a controller that allows root ($id3)"
refused_root() { grep -q "job $id3: refusing to run a job as root on n00001" "$T/agents/n00001/agent.log"; }
wait_for 30 refused_root
ok $? "the agent refuses it: both sides must allow root"
cli root cancel "$id3" >/dev/null 2>&1
[ ! -e "$T/out/colossus-$id3-0.out" ]
ok $? "and it never ran"
done_testing
