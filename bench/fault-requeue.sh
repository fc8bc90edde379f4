#!/bin/bash
# Fault response at full size (issue 5 "Measure", issue 9 item 6), with
# the real controller, PostgreSQL, TLS and N simulated agents:
#
#   1. XID 79 on one GPU of a running 512-node gang: the simulated agent
#      reports it as a real one does (a HealthReport event from
#      nodeagent/health.c); times from that report to every rank of the
#      old epoch killed, to the job requeued (controller log), to the
#      first and the last LaunchJob of the new epoch received, and to
#      every rank of the new epoch running (StartJob on every node).
#   2. A silent node of the gang (no heartbeat, no answer): times from
#      its last heartbeat to the node declared down (bounded by the
#      lease), to the gang requeued and to the new epoch running.
#   3. A CDU coolant-flow alarm on a rack of the gang (`colossus rack
#      readings RACK --flow 5` every 2 s, as a rack monitor would): time
#      to the rack drained (the default policy waits for 30 s of low
#      flow); then a critical leak on another rack of the gang (the
#      policy fences at once): times to the gang requeued and running.
#
#   bench/fault-requeue.sh BUILD_DIR [--nodes 12544] [--gang 512]
#                          [--set SECTION.KEY=VALUE]...
#
# The shipped [jobs] requeue_backoff (1 s, doubling per restart) delays
# every replacement launch; --set jobs.requeue_backoff=0 shows the
# controller's own response time.
#
# Agent-side times come from the simulator's job log (wall clock, when
# the simulated agents received the orders); controller-side ones from
# the timestamps of the controller's log lines.  Same clock, one machine.
set -u

NODES=12544
GANG=512
usage() { sed -n '20,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
SETS=""
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--gang) GANG=$2; shift 2 ;;
	--set) SETS="$SETS $2"; shift 2 ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init fault-requeue "$BUILD_ARG"
[ "$NODES" -le 15000 ] || { echo "fault-requeue: at most 15000 nodes (one simulator process)" >&2; exit 2; }
bench_setup "$NODES"
echo "gang:       $GANG nodes x 8 GPUs ('sleep 3600')"
bench_pki
bench_sim_id_args
echo "identities: $SIM_ID_DESC"
bench_pg_start
# shellcheck disable=SC2086
bench_ctl_start limits.submit_rate=0 $SETS
bench_topology "$NODES"
echo "controller: heartbeat 3 s, lease 10 s, default health policy, requeue_backoff 1 s doubling per restart; overrides:${SETS:- none}"
# shellcheck disable=SC2086
bench_sim_start 1 $SIM_ID_ARGS --nodes "$(bench_nodelist "$NODES")" \
	--job-log "$B/jobs" --control "$B/sim.ctl" --stats-interval 5
bench_log "waiting for $NODES agents to register"
bench_wait 900 bench_sim_event_ms all_registered || { echo "agents did not register" >&2; exit 1; }
sleep 5
# Agents that took longer than a lease to register (a busy machine) were
# declared down, whole racks drained, and the health circuit breaker may
# have opened: undo that, so the faults below meet a healthy cluster.
DRAINED=$(bench_psql "SELECT name FROM racks WHERE admin_state <> 'none'")
[ -n "$DRAINED" ] && bench_log "resuming $(echo "$DRAINED" | wc -l) racks drained while the agents registered"
# shellcheck disable=SC2086
[ -n "$DRAINED" ] && bench_cli admin1 resume rack $DRAINED >/dev/null
DRAINED=$(bench_psql "SELECT name FROM nodes WHERE admin_state <> 'none'")
# shellcheck disable=SC2086
[ -n "$DRAINED" ] && bench_cli admin1 resume node $DRAINED >/dev/null
bench_cli admin1 breaker reset >/dev/null 2>&1
sleep 2

# First wall_ms at which the ranks of JOB EPOCH counted in FIELD (5
# launched, 6 started, 7 ended) reach N over every simulator's job log.
job_reach() { # JOB EPOCH FIELD N
	cat "$B"/jobs* 2>/dev/null | awk -v j="$1" -v e="$2" -v f="$3" -v n="$4" \
		'$2 == j && $3 == e && $f >= n { print $1; exit }'
}
# A column of the last job-log line of JOB EPOCH (8 first_launch_ms,
# 9 last_launch_ms, 10 first_start_ms, 11 last_start_ms).
job_col() { # JOB EPOCH COL
	cat "$B"/jobs* 2>/dev/null | awk -v j="$1" -v e="$2" -v c="$3" \
		'$2 == j && $3 == e { v = $c } END { print (v == "" ? 0 : v) }'
}
job_running() { [ -n "$(job_reach "$1" "$2" 6 "$GANG")" ]; }
# Wall ms of the first controller log line matching ERE after line
# $MARK (set by mark() before each fault), or nothing.
mark() { MARK=$(wc -l < "$B/controller.log"); }
ctl_log_ms() { # ERE
	_l=$(tail -n +$((MARK + 1)) "$B/controller.log" | grep -E -m 1 "$1") || return 0
	date -d "${_l%% *}" +%s%3N
}
epoch() { bench_psql "SELECT epoch FROM jobs WHERE id = $1"; }
nodes_of() { # JOB: node names of its current allocation, in rank order
	bench_psql "SELECT n.name FROM jobs j JOIN allocations a ON a.job_id = j.id AND a.epoch = j.epoch, unnest(a.node_ids) WITH ORDINALITY AS u(id, k) JOIN nodes n ON n.id = u.id WHERE j.id = $1 ORDER BY u.k"
}
rack_of() { bench_psql "SELECT r.name FROM nodes n JOIN racks r ON r.id = n.rack_id WHERE n.name = '$1'"; }
control() { # CMD...: send to the simulator, print its acknowledgement time
	_n=$(grep -c '^sim: control: done' "$B/sim.1.log")
	echo "$*" > "$B/sim.ctl"
	bench_wait 10 sh -c "[ \$(grep -c '^sim: control: done' '$B/sim.1.log') -gt $_n ]" ||
		{ echo "simulator did not take '$*'" >&2; exit 1; }
	grep '^sim: control: done' "$B/sim.1.log" | tail -n 1 | sed -n 's/.*wall_ms=\([0-9]*\).*/\1/p'
}
s_since() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == 0) print "n/a"; else printf "%.3f s", (a - b) / 1000 }'; }

bench_log "submitting a $GANG-node gang"
"$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" --cert "$B/pki/alice.pem" \
	--key "$B/pki/alice.key" --mix "gang:$GANG" --count 1 --clients 1 --run 3600 \
	--out "$B/gang" > "$B/gang.out" 2>&1
JOB=$(cat "$B"/gang/ids.* 2>/dev/null | head -n 1)
[ -n "$JOB" ] || { cat "$B/gang.out" >&2; exit 1; }
bench_wait 300 job_running "$JOB" 1 || { echo "gang $JOB did not start" >&2; exit 1; }
sleep 3

# ---- 1. XID 79 ------------------------------------------------------------
VICTIM=$(nodes_of "$JOB" | sed -n '2p')
bench_log "1: XID 79 on $VICTIM GPU 0 (job $JOB epoch 1)"
mark
X0=$(control xid "$VICTIM" 0 79)
bench_wait 120 job_running "$JOB" 2 || echo "WARNING: epoch 2 did not start within 120 s" >&2
X_KILLED=$(job_reach "$JOB" 1 7 "$GANG")
X_DRAIN=$(ctl_log_ms "node=$VICTIM admin=drain")
X_REQ=$(ctl_log_ms "job=$JOB epoch=1 state=(pending|requeued)")
X_L1=$(job_col "$JOB" 2 8); X_LN=$(job_col "$JOB" 2 9)
X_RUN=$(job_reach "$JOB" 2 6 "$GANG")
sleep 3

# ---- 2. a silent node -------------------------------------------------------
E=$(epoch "$JOB")
SILENT=$(nodes_of "$JOB" | sed -n '3p')
bench_log "2: $SILENT goes silent (job $JOB epoch $E)"
mark
S0=$(control lose "$SILENT")
bench_wait 120 job_running "$JOB" $((E + 1)) || echo "WARNING: epoch $((E + 1)) did not start within 120 s" >&2
S_DOWN=$(ctl_log_ms "node=$SILENT state=down")
S_REQ=$(ctl_log_ms "job=$JOB epoch=$E state=(pending|requeued)")
S_L1=$(job_col "$JOB" $((E + 1)) 8); S_LN=$(job_col "$JOB" $((E + 1)) 9)
S_RUN=$(job_reach "$JOB" $((E + 1)) 6 "$GANG")
sleep 3

# ---- 3. rack cooling ----------------------------------------------------------
E=$(epoch "$JOB")
RACK=$(rack_of "$(nodes_of "$JOB" | sed -n '1p')")
bench_log "3: coolant flow 5 l/min on $RACK, every 2 s, until it is drained"
rack_drained() { [ "$(bench_psql "SELECT admin_state FROM racks WHERE name = '$1'")" != none ]; }
mark
C0=$(now_ms); C_LAST=$C0; n=0
while ! rack_drained "$RACK" && [ $(( $(now_ms) - C0 )) -lt 120000 ]; do
	bench_cli admin1 rack readings "$RACK" --flow 5 >/dev/null 2>&1 && n=$((n + 1))
	C_LAST=$(now_ms)
	sleep 2
done
C_DRAIN=$(ctl_log_ms "rack=$RACK admin=drain")
C_STILL=$(bench_psql "SELECT state FROM jobs WHERE id = $JOB")
LEAK=$(rack_of "$(nodes_of "$JOB" | tail -n 1)")
[ "$LEAK" = "$RACK" ] && LEAK=$(rack_of "$(nodes_of "$JOB" | sed -n '9p')")
bench_log "3b: critical leak on $LEAK (job $JOB epoch $E)"
mark
L0=$(now_ms)
bench_cli admin1 rack readings "$LEAK" --leak critical >/dev/null ||
	echo "WARNING: rack readings failed" >&2
bench_wait 120 job_running "$JOB" $((E + 1)) || echo "WARNING: epoch $((E + 1)) did not start within 120 s" >&2
L_DRAIN=$(ctl_log_ms "rack=$LEAK admin=drain")
L_REQ=$(ctl_log_ms "job=$JOB epoch=$E state=(pending|requeued)")
L_KILLED=$(job_reach "$JOB" "$E" 7 "$GANG")
L_L1=$(job_col "$JOB" $((E + 1)) 8); L_LN=$(job_col "$JOB" $((E + 1)) 9)
L_RUN=$(job_reach "$JOB" $((E + 1)) 6 "$GANG")

echo
echo "== fault response: $GANG-node gang (job $JOB) on $NODES simulated nodes"
echo "1. XID 79 on $VICTIM GPU 0, from the agent's report:"
echo "   node drained:                        $(s_since "$X_DRAIN" "$X0")"
echo "   every rank of epoch 1 killed:        $(s_since "$X_KILLED" "$X0") (ranks on the faulty GPU crash 0.2 s after the report)"
echo "   job requeued:                        $(s_since "$X_REQ" "$X0")"
echo "   first / last LaunchJob of epoch 2:   $(s_since "$X_L1" "$X0") / $(s_since "$X_LN" "$X0")"
echo "   every rank of epoch 2 running:       $(s_since "$X_RUN" "$X0")"
echo "2. $SILENT silent (lease 10 s, heartbeat 3 s), from its silence:"
echo "   node down:                           $(s_since "$S_DOWN" "$S0")"
echo "   job requeued:                        $(s_since "$S_REQ" "$S0")"
echo "   first / last LaunchJob of the new epoch: $(s_since "$S_L1" "$S0") / $(s_since "$S_LN" "$S0")"
echo "   every rank of the new epoch running: $(s_since "$S_RUN" "$S0")"
echo "3. coolant flow 5 l/min on $RACK ($n readings, one every 2 s), from the first:"
echo "   rack drained:                        $(s_since "$C_DRAIN" "$C0") (policy: flow < 20 for 30 s); the gang keeps running ($C_STILL)"
echo "   critical leak on $LEAK, from the report (sent by the CLI):"
echo "   rack drained:                        $(s_since "$L_DRAIN" "$L0")"
echo "   job requeued:                        $(s_since "$L_REQ" "$L0")"
echo "   every rank of epoch $E killed:        $(s_since "$L_KILLED" "$L0")"
echo "   first / last LaunchJob of the new epoch: $(s_since "$L_L1" "$L0") / $(s_since "$L_LN" "$L0")"
echo "   every rank of the new epoch running: $(s_since "$L_RUN" "$L0")"
echo "controller RSS: $(( $(bench_rss_kib "$CTL_PID") / 1024 )) MiB"
