#!/bin/bash
# Scheduling throughput end to end, with the real controller, PostgreSQL
# and N simulated agents over TLS:
#
#   A. one full-cluster gang (N nodes x 8 GPUs) on the idle cluster: time
#      from submit to every node holding its LaunchJob, and to every node
#      having its StartJob ("go"), as the simulated agents saw them.
#   B. a backlog of --jobs mixed jobs (bench/submitload --mix backlog: 98%
#      one-node jobs of 1-8 GPUs, 2% gangs of 2-1,024 nodes) queued behind
#      a full-cluster "gate" job; the gate is cancelled and the script
#      counts the jobs started per second (a job counts when every one of
#      its nodes got StartJob) until the cluster is full or the queue empty.
#
#   bench/sched-throughput.sh BUILD_DIR [--nodes 12544] [--jobs 20000]
#                             [--clients 16] [--fast-db]
#
# The gate makes every backlog job wait for the same moment, as if it had
# been released at once, without the connect storm in the measurement.
set -u

NODES=12544
JOBS=20000
CLIENTS=16
DBMODE=
usage() { sed -n '14,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--fast-db) DBMODE=fast; shift ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init sched-throughput "$BUILD_ARG"
bench_setup "$NODES"
bench_pki
bench_sim_id_args
echo "identities: $SIM_ID_DESC"
bench_pg_start $DBMODE
bench_ctl_start limits.submit_rate=0
bench_topology "$NODES"
echo "topology:   $TOPO_NODES nodes; $NODES simulated"
# The simulated agents, in 2 processes by default (BENCH_SIM_PROCS=K for
# K): the figures are taken where the agents receive their orders, and
# one process answering 12,544 TLS connections on one core was slower
# than the controller sending to them (every LaunchJob of a 12,544-node
# gang 2.0-3.1 s after the submit with one, 1.4 s with two).
PROCS=${BENCH_SIM_PROCS:-2}
echo "simulator:  $PROCS process(es)"
# shellcheck disable=SC2086
bench_sim_start "$PROCS" $SIM_ID_ARGS --nodes "$(bench_nodelist "$NODES")" \
	--job-log "$B/jobs" --stats-interval 1
bench_log "waiting for $NODES agents to register"
bench_wait 900 bench_sim_event_ms all_registered || { echo "agents did not register" >&2; exit 1; }
sleep 5

submit() { # MIX COUNT CLIENTS RUN OUT
	"$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" \
		--cert "$B/pki/alice.pem" --key "$B/pki/alice.key" \
		--mix "$1" --count "$2" --clients "$3" --run "$4" --out "$B/$5" \
		2>"$B/$5.err"
}

# The last job-log line of JOB summed over the simulator processes:
# launched started first_launch last_launch first_start last_start.
job_times() { # JOB
	for f in "$B"/jobs*; do
		awk -v j="$1" '$2 == j { l = $0 } END { if (l) print l }' "$f"
	done | awk '{ la += $5; st += $6
		if (!fl || $8 < fl) fl = $8; if ($9 > ll) ll = $9
		if (!fs || $10 < fs) fs = $10; if ($11 > ls) ls = $11 }
		END { printf "%d %d %.0f %.0f %.0f %.0f\n", la, st, fl, ll, fs, ls }'
}
job_started() { # JOB NODES
	[ "$(job_times "$1" | cut -d' ' -f2)" -ge "$2" ]
}
sim_idle() { [ "$(bench_sim_stat wl)" = 0 ]; }

# ---- A. one full-cluster gang -------------------------------------------
bench_log "A: submitting one $NODES-node gang"
out=$(submit "gang:$NODES" 1 1 5 gang)
GANG=$(cat "$B"/gang/ids.* 2>/dev/null | head -n 1)
T0=$(echo "$out" | sed -n 's/.* first_send_ms=\([0-9]*\).*/\1/p')
[ -n "$GANG" ] || { echo "gang submit failed: $out $(cat "$B/gang.err")" >&2; exit 1; }
bench_wait 300 job_started "$GANG" "$NODES" || { echo "gang $GANG did not start" >&2; exit 1; }
read -r G_LA G_ST G_FL G_LL G_FS G_LS <<< "$(job_times "$GANG")"
bench_log "A: gang $GANG started on $G_ST nodes"
# Its 5 s run ends; wait until every node is free again.
bench_wait 120 sim_idle || bench_log "A: some workloads are still there"
sleep 3

# ---- B. backlog behind a gate --------------------------------------------
bench_log "B: gate job on all $NODES nodes"
submit "gang:$NODES" 1 1 0 gate >/dev/null
GATE=$(cat "$B"/gate/ids.* | head -n 1)
bench_wait 300 job_started "$GATE" "$NODES" || { echo "gate $GATE did not start" >&2; exit 1; }
bench_log "B: submitting $JOBS backlog jobs with $CLIENTS clients"
SUB=$(submit backlog "$JOBS" "$CLIENTS" 3600 backlog)
echo "$SUB" > "$B/backlog.out"
# Let the scheduler see the whole queue before the gate opens.
sleep 5
PENDING=$(bench_psql "SELECT count(*) FROM jobs WHERE state = 'pending'")
bench_log "B: $PENDING jobs pending; cancelling the gate"
T1=$(now_ms)
bench_cli alice cancel "$GATE" >/dev/null
# Until no job has started for 10 s (or 10 minutes have passed).
last=-1; still=0; deadline=$(( $(date +%s) + 600 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
	sleep 1
	n=$(bench_sim_stat jobs_started)
	if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; last=$n; fi
	[ "$still" -ge 10 ] && break
done
GPUS_BUSY=$(bench_sim_stat gpus_busy)
CTL_RSS=$(bench_rss_kib "$CTL_PID")
STATES=$(bench_psql "SELECT state || '=' || count(*) FROM jobs GROUP BY state ORDER BY state" | tr '\n' ' ')
# Start times of the backlog jobs (every node got StartJob), after T1.
for f in "$B"/jobs*; do
	awk '!/^#/ { last[$2 " " $3] = $0 } END { for (k in last) print last[k] }' "$f"
done | awk -v gate="$GATE" -v gang="$GANG" '
	$2 != gate && $2 != gang { k = $2 " " $3; nodes[k] = $4; started[k] += $6
		if ($11 > ls[k]) ls[k] = $11 }
	END { for (k in nodes) if (started[k] >= nodes[k] && nodes[k] > 0) printf "%.0f %d\n", ls[k], nodes[k] }' |
	sort -n > "$B/starts"
NSTART=$(wc -l < "$B/starts")
STARTED_NODES=$(awk '{ s += $2 } END { print s + 0 }' "$B/starts")
pct_time() { # FRACTION -> seconds after T1 when that share of the starts was reached
	awk -v f="$1" -v n="$NSTART" -v t1="$T1" 'NR == int(f * n + 0.999) { printf "%.2f", ($1 - t1) / 1000; exit }' "$B/starts"
}
T_LAST=$(tail -n 1 "$B/starts" | cut -d' ' -f1)
T_FIRST=$(head -n 1 "$B/starts" | cut -d' ' -f1)

echo
echo "== scheduling throughput: $NODES nodes ($((NODES * 8)) GPUs)"
echo "A. full-cluster gang ($NODES nodes, job $GANG) on the idle cluster, from submit:"
echo "   first LaunchJob received after $(awk -v a="$G_FL" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1000 }') s"
echo "   every node had its LaunchJob after $(awk -v a="$G_LL" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1000 }') s"
echo "   every node had its StartJob (go) after $(awk -v a="$G_LS" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1000 }') s (first go after $(awk -v a="$G_FS" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1000 }') s)"
echo "B. backlog: $(echo "$SUB" | sed -n 's/.* acked=\([0-9]*\).* rate=\([0-9.]*\/s\).*/\1 jobs submitted at \2/p') with $CLIENTS clients; $PENDING pending when the gate (job $GATE) was cancelled"
if [ "$NSTART" -gt 0 ]; then
	echo "   $NSTART jobs started ($STARTED_NODES node allocations) in $(awk -v a="$T_LAST" -v b="$T1" 'BEGIN { printf "%.2f", (a - b) / 1000 }') s after the cancel: $(awk -v n="$NSTART" -v a="$T_LAST" -v b="$T1" 'BEGIN { printf "%.0f", n * 1000 / (a - b) }') jobs/s"
	echo "   first start after $(awk -v a="$T_FIRST" -v b="$T1" 'BEGIN { printf "%.2f", (a - b) / 1000 }') s; 50% after $(pct_time 0.5) s, 90% after $(pct_time 0.9) s, all after $(pct_time 1.0) s"
else
	echo "   no backlog job started"
fi
echo "   GPUs busy at the end: $GPUS_BUSY of $((NODES * 8)); job states: $STATES"
echo "   controller RSS with this queue: $((CTL_RSS / 1024)) MiB"
