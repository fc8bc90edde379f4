#!/bin/sh
# Cancel: acknowledged only after it is committed (invariant 1), kills
# every rank including children that double-fork out of their process
# group, and a user may cancel only their own jobs (invariant 6).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init cancel
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
ok $? "topology applied"
for n in n00001 n00002; do agent_start "$n"; done
ok $? "agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"

marker="colossus-cancel-$$"
# Each rank leaves a daemonised grandchild behind (setsid + fork); the
# scripts' names make every process findable with pgrep -f.
printf 'sleep 600\n' > "$T/out/$marker-orphan.sh"
printf 'setsid /bin/sh %s & exec /bin/sh %s\n' "$T/out/$marker-orphan.sh" \
	"$T/out/$marker-sleeper.sh" > "$T/out/$marker-rank.sh"
printf 'sleep 600\n' > "$T/out/$marker-sleeper.sh"
chmod 755 "$T/out"/$marker-*.sh
id=$(cli nobody submit --quiet -N 2 -D "$T/out" -- /bin/sh "$T/out/$marker-rank.sh")
running() { cli nobody job show "$id" --json | grep -Eq '"state": *"running"'; }
wait_for 30 running
ok $? "the gang is running"
procs() { [ "$(pgrep -f "$marker" | wc -l)" -ge 4 ]; }
wait_for 10 procs
ok $? "two ranks and two escaped grandchildren are alive"

out=$(cli alice cancel "$id" 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "alice may not cancel nobody's job (exit $rc)"
like "$out" "belongs to nobody" "and is told why"

out=$(cli nobody cancel "$id" 2>&1)
ok $? "the owner cancels"
st=$(pg_psql "SELECT state FROM jobs WHERE id = $id")
is "$st" "cancelled" "the cancellation is in the database when the CLI returns"
none_left() { ! pgrep -f "$marker" >/dev/null; }
wait_for 20 none_left
ok $? "no process of the job is left, escaped grandchildren included"
pgrep -af "$marker" | sed 's/^/# left: /'

# Cancelling a pending job, and one that is already over.
id2=$(cli nobody submit --quiet --hold -- /bin/true)
cli nobody cancel "$id2" >/dev/null
ok $? "a held job is cancelled"
out=$(cli nobody cancel "$id2" 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "cancelling it again fails"
like "$out" "already cancelled" "with a clear reason"
out=$(cli nobody cancel 999999 2>&1); rc=$?
[ "$rc" -ne 0 ]
ok $? "cancelling an unknown job fails ($rc)"
done_testing
