#!/bin/sh
# Batch scripts: `colossus submit SCRIPT` with #COLOSSUS lines runs the
# script once per rank as the job's user (the agent writes it under its
# state directory, which ranks may traverse but not list), with the
# options of its #COLOSSUS lines, output paths expanded (%j %r %e %n),
# its exit code as the job's, and nothing left in the state directory
# afterwards.  Also a script read from standard input.  Protects DESIGN
# invariant 6 on the node (the script runs as the certificate's user)
# and invariant 7 (a failing script is a clear failure, not a hang).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init agentscript
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002; do agent_start "$n"; done
ok $? "two agents registered"
mkdir -p "$T/out/logs" && chmod 1777 "$T/out" "$T/out/logs"

state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }
field() { cli nobody job show "$1" --json | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\).*/\1/p" | head -n 1; }

cat > "$T/out/job.sh" <<'EOF'
#!/bin/sh
#COLOSSUS -N 2 --ranks-per-node 2
#COLOSSUS -J batch-t0109 -o logs/%j-%r-%e-%n.log   # a comment
#COLOSSUS --export GREETING=hello
echo "user=$(id -un) rank=$RANK world=$WORLD_SIZE greeting=$GREETING node=$COLOSSUS_NODE_NAME"
echo "script=$0"
[ -r "$0" ] && echo readable
ls "$(dirname "$0")" >/dev/null 2>&1 && echo listable
exit 0
EOF
id=$(cd "$T/out" && cli nobody submit --quiet job.sh)
ok $? "a batch script is submitted from its folder ($id)"
wait_for 30 state_is "$id" completed
ok $? "it completes"
is "$(field "$id" name)" "batch-t0109" "the #COLOSSUS name was applied"
for r in 0 1 2 3; do
	f=$(ls "$T/out/logs/$id-$r-1-"*.log 2>/dev/null | head -n 1)
	[ -n "$f" ]
	ok $? "rank $r wrote logs/%j-%r-%e-%n.log ($(basename "${f:-none}"))"
	n=$(basename "${f:-x-x-x-none.log}" .log | cut -d- -f4)
	c=$(cat "$f" 2>/dev/null)
	like "$c" "^user=nobody rank=$r world=4 greeting=hello node=$n\$" "rank $r ran the script as nobody on $n, with the #COLOSSUS options"
	like "$c" "^readable\$" "rank $r could read its script"
	unlike "$c" "^listable\$" "rank $r could not list the scripts folder"
	is "$(stat -c %U "$f" 2>/dev/null)" "nobody" "rank $r's output belongs to nobody"
done
script=$(sed -n 's/^script=//p' "$T/out/logs/$id-0-1-"*.log | head -n 1)
like "$script" "/state/scripts/job-$id-1\.sh\$" "the script ran from the agent's scripts folder"
[ ! -e "$script" ]
ok $? "and was removed when the job ended"
is "$(ls "$T"/agents/*/state/scripts 2>/dev/null | grep -c "job-$id-")" "0" "no copy is left on any node"

# From standard input; the script's exit code is the job's.
printf '#!/bin/sh\n#COLOSSUS -J from-stdin\necho "$USER"; exit 3\n' |
	(cd "$T/out" && cli nobody submit --quiet -) > "$T/id2"
id2=$(cat "$T/id2")
ok $? "a script is submitted on standard input ($id2)"
wait_for 30 state_is "$id2" failed
ok $? "it fails"
is "$(field "$id2" exit_code)" "3" "with the script's exit code 3"
is "$(cat "$T/out/colossus-$id2-0.out" 2>/dev/null)" "nobody" "it ran as nobody"
done_testing
