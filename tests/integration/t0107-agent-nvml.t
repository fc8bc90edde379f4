#!/bin/sh
# The NVML code path end to end, against the stub libnvidia-ml.so.1 the
# test suite builds (tests/stub, scripted by NVML_STUB_SCRIPT): an agent
# with [gpu] backend = nvml registers the stub's GPUs (PostgreSQL's gpus
# table has their UUIDs, model, memory and bus ids), ranks get those
# UUIDs, and NVML's XID events reach the agent.  An old driver (plain
# symbols only) works too.  A missing library, a library without NVML's
# symbols and nvmlInit failing with LIB_RM_VERSION_MISMATCH each leave a
# node that registers with no GPUs, never a crash, and a log line that
# names the problem; the controller fails such a node and offers it no GPU work.  Protects DESIGN
# invariant 5 (nothing unhealthy gets new work: a node whose GPUs cannot
# be seen does not run GPU jobs) and the agent's GPU contract (issue 4).
. "$top_srcdir/tests/lib/cluster.sh"
STUB=$top_builddir/tests/stub/libnvidia-ml.so.1
OLDSTUB=$top_builddir/tests/stub/old/libnvidia-ml.so.1
[ -f "$STUB" ] && [ -f "$OLDSTUB" ] || bail_out "NVML stubs not built (make check builds them)"
LIBC=$(ldd "$AGENT_BIN" | sed -n 's/.*libc\.so\.6 => \([^ ]*\).*/\1/p')
cluster_init agentnvml
ctl_start
cli root topology apply "$(cluster_small_topology 1 5)" >/dev/null
ok $? "topology applied"
mkdir -p "$T/out" && chmod 1777 "$T/out"

nvml_agent() { # NODE LIBRARY [SCRIPT TEXT]
	_s=$T/agents/$1.nvml-script
	printf '%s\n' "${3:-# defaults: 8 healthy H100s}" > "$_s"
	NVML_STUB_SCRIPT=$_s agent_start "$1" --set gpu.backend=nvml \
		--set "gpu.nvml_library=$2" --set gpu.poll_interval=1s
}
log_of() { cat "$T/agents/$1/agent.log"; }
db_gpus() { # NODE: idx uuid model memory bus, one GPU a line
	pg_psql "SELECT g.idx, g.uuid, g.model, g.memory_mib, g.pci_bus_id
		 FROM gpus g JOIN nodes n ON n.id = g.node_id
		 WHERE n.name = '$1' ORDER BY g.idx"
}
node_state() { cli nobody nodes --json | tr -d '\n ' | sed -n "s/.*\"name\":\"$1\"[^}]*\"state\":\"\([a-z]*\)\".*/\1/p"; }
node_is() { [ "$(node_state "$1")" = "$2" ]; }
gpu_rows() { [ "$(db_gpus "$1" | grep -c .)" -eq "$2" ]; }
state_is() { cli nobody job show "$1" --json | grep -Eq "\"state\": *\"$2\""; }

# ---- a current driver: 8 GPUs, one with a custom UUID, an XID later ------
nvml_agent n00001 "$STUB" 'gpus 8
set 3 uuid GPU-c0105505-0107-4000-8000-000000000003
event 2 xid 13 after_ms 1500'
ok $? "agent n00001 with the NVML stub registered"
wait_for 20 node_is n00001 up
ok $? "n00001 is up"
wait_for 20 gpu_rows n00001 8
ok $? "PostgreSQL lists its 8 GPUs"
rows=$(db_gpus n00001)
is "$(echo "$rows" | sed -n 1p)" "0|GPU-abcd0000-1111-2222-3333-000000000000|H100|81559|00000000:18:00.0" "GPU 0: the stub's UUID, model, memory and bus id"
is "$(echo "$rows" | sed -n 4p | cut -d'|' -f1,2)" "3|GPU-c0105505-0107-4000-8000-000000000003" "GPU 3: the UUID the script set"
is "$(echo "$rows" | cut -d'|' -f3 | sort -u)" "H100" "every GPU is an H100"
like "$(log_of n00001)" "GPU backend nvml: 8 GPUs \(driver 550\.54\.15\)" "the agent logs the backend, count and driver"
like "$(cli nobody nodes --json | tr -d '\n ' | sed -n 's/.*\("name":"n00001"[^}]*\).*/\1/p')" '"gpus":8' "colossus nodes shows 8 GPUs on n00001"
xid() { grep -q "gpu=2 event kind=.* code=13" "$T/agents/n00001/agent.log"; }
wait_for 20 xid
ok $? "the stub's XID 13 on GPU 2 reached the agent through NVML's event API"

id=$(cli nobody submit --quiet -G 2 --rank-per-gpu -x 'n[00002-00005]' -D "$T/out" -- \
	/bin/sh -c 'echo "$CUDA_VISIBLE_DEVICES"')
wait_for 30 state_is "$id" completed
ok $? "a 2-GPU job runs on the NVML node ($id)"
got=$(cat "$T/out/colossus-$id-0.out" "$T/out/colossus-$id-1.out" 2>/dev/null | sort | tr '\n' ' ')
mask=$(pg_psql "SELECT gpu_masks[1] FROM allocations WHERE job_id = $id")
want=$(pg_psql "SELECT g.uuid FROM gpus g JOIN nodes n ON n.id = g.node_id
	WHERE n.name = 'n00001' AND ($mask >> g.idx) & 1 = 1 ORDER BY g.uuid" | tr '\n' ' ')
is "$got" "$want" "its ranks see the NVML UUIDs of their GPUs"

# ---- an old driver: only the unversioned symbols -------------------------
nvml_agent n00002 "$OLDSTUB" 'gpus 4'
ok $? "agent n00002 with the old-driver stub registered"
wait_for 20 gpu_rows n00002 4
ok $? "PostgreSQL lists its 4 GPUs (legacy symbols)"

# ---- NVML unusable: no GPUs, a clear log line, no crash -------------------------
nvml_agent n00003 "$T/no-such-dir/libnvidia-ml.so.1"
ok $? "agent n00003 with a missing NVML library still registers"
like "$(log_of n00003)" "GPU backend nvml: NVML library .*no-such-dir/libnvidia-ml\.so\.1 not found.*this node offers no GPUs" "its log names the missing library"
nvml_agent n00004 "$STUB" 'init_error 18'
ok $? "agent n00004 whose nvmlInit fails still registers"
like "$(log_of n00004)" "GPU backend nvml: NVML: nvmlInit_v2 failed with LIB_RM_VERSION_MISMATCH.*this node offers no GPUs" "its log names LIB_RM_VERSION_MISMATCH"
if [ -n "$LIBC" ]; then
	nvml_agent n00005 "$LIBC"
	ok $? "agent n00005 given a library without NVML symbols still registers"
	like "$(log_of n00005)" "has neither nvmlInit_v2 nor nvmlInit.*this node offers no GPUs" "its log says the symbols are missing"
else
	ok 0 "# SKIP no libc path found for the missing-symbols case"
	ok 0 "# SKIP"
fi
for n in n00003 n00004; do
	wait_for 20 node_is "$n" up
	ok $? "$n is up"
	gpu_rows "$n" 0
	ok $? "$n has no GPUs in PostgreSQL"
	kill -0 "$(agent_pid "$n")"
	ok $? "its agent is still running"
done

# A node that sees fewer GPUs than the topology says (8) is failed by
# the controller and never offered GPU work; the agent would refuse it.
health_is() { cli nobody nodes --json | tr -d '\n ' | grep -q "\"name\":\"$1\"[^}]*\"health\":\"$2\""; }
wait_for 20 health_is n00003 failed
ok $? "n00003 (0 of 8 GPUs visible) is failed"
id2=$(cli nobody submit --quiet -G 1 -x 'n[00001-00002,00004-00005]' -D "$T/out" -- /bin/true)
why_has() { cli nobody job why "$id2" 2>&1 | grep -q .; }
wait_for 20 why_has
is "$(cli nobody job show "$id2" --json | sed -n 's/^ *"state": *"\([a-z]*\)".*/\1/p' | head -n 1)" pending \
	"a GPU job that may only use n00003 waits"
cli nobody cancel "$id2" >/dev/null 2>&1
! grep -q "job $id2" "$T/agents/n00003/agent.log"
ok $? "n00003 was never asked to prepare it"
[ ! -e "$T/out/colossus-$id2-0.out" ]
ok $? "and the job never ran there"
done_testing
