#!/bin/bash
# Trace replay end to end (issue 9 items 4 and 5, issue 3): the real
# controller, PostgreSQL and N simulated agents over TLS run a job trace
# (../shared/traces/*.csv: submit_s,gpus,duration_s,...) with time
# compressed by --time-scale: jobs are submitted at their trace time
# (bench/submitload --trace) and their ranks "run" for the trace duration
# (the simulator divides durations by the same scale).  Prints GPU
# utilization, queueing delay by job size, requeues and job states; with
# --failures, GPU XIDs and silent node losses are injected at the
# published large-cluster rates below and it prints the share of
# GPU-hours lost to failures (work since the last (re)start of each
# interrupted incarnation plus the time until the job ran again).
#
#   bench/trace-replay.sh BUILD_DIR [--nodes 12544] [--trace CSV]
#       [--days 2] [--copies 20] [--time-scale 1440] [--big-gangs 0]
#       [--clients 8] [--tail 60] [--failures] [--xid-rate R]
#       [--node-loss-rate R] [--repair SEC]
#
# The trace (Microsoft ITP, 5 clusters) averages ~1,000 busy GPUs, so on
# the full cluster it is replayed --copies times over (each row submitted
# K times) to offer a comparable load; --big-gangs adds that many
# pre-training gangs of 64..4,096 nodes (4 h each), which the trace lacks.
#
# Failure rates (per unit-hour of trace time), from the Llama 3 paper
# (Meta, 2024, table 5: 419 unexpected interruptions in 54 days on 16,384
# H100 GPUs / 2,048 nodes): GPU-attributed (faulty GPU, HBM3, SRAM, GSP,
# thermal: 262) = 1.2e-5 per GPU-hour, raised as XID 79 (node drained,
# its jobs requeued); the rest (network, host, software: 157) = 5.9e-5
# per node-hour, as a node going silent (down after its lease, its jobs
# requeued), back empty after --repair trace seconds (default 4 h).
set -u

NODES=12544
TRACE=
DAYS=2
COPIES=20
SCALE=1440
BIG=0
CLIENTS=8
TAIL=60
FAIL=
XID_RATE=1.2e-5
LOSS_RATE=5.9e-5
REPAIR=14400
usage() { sed -n '14,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--trace) TRACE=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--copies) COPIES=$2; shift 2 ;;
	--time-scale) SCALE=$2; shift 2 ;;
	--big-gangs) BIG=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--tail) TAIL=$2; shift 2 ;;
	--failures) FAIL=1; shift ;;
	--xid-rate) XID_RATE=$2; shift 2 ;;
	--node-loss-rate) LOSS_RATE=$2; shift 2 ;;
	--repair) REPAIR=$2; shift 2 ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init trace-replay "$BUILD_ARG"
[ -n "$TRACE" ] || TRACE=$SRC/../shared/traces/itp_elasticflow_5clusters.csv
[ -r "$TRACE" ] || { echo "trace-replay: no trace $TRACE (--trace CSV)" >&2; exit 2; }
bench_setup "$NODES"
WINDOW=$(awk -v d="$DAYS" -v x="$SCALE" 'BEGIN { printf "%.0f", d * 86400 / x }')
echo "trace:      $TRACE, first $DAYS days x $COPIES copies$([ "$BIG" -gt 0 ] && echo " + $BIG big gangs"), time x$SCALE (${WINDOW} s of submissions, then up to $TAIL s more)"
[ -n "$FAIL" ] && echo "failures:   XID 79 at $XID_RATE per GPU-hour, silent node at $LOSS_RATE per node-hour (repair $REPAIR s), trace time"
bench_pki
bench_sim_id_args
echo "identities: $SIM_ID_DESC"
bench_pg_start
bench_ctl_start limits.submit_rate=0
bench_topology "$NODES"
FARGS=""
[ -n "$FAIL" ] && FARGS="--xid-rate $XID_RATE --node-loss-rate $LOSS_RATE --repair $REPAIR"
PROCS=$(( (NODES + 14999) / 15000 ))
# shellcheck disable=SC2086
bench_sim_start "$PROCS" $SIM_ID_ARGS --nodes "$(bench_nodelist "$NODES")" \
	--job-log "$B/jobs" --stats-interval 1 --time-scale "$SCALE" $FARGS
bench_log "waiting for $NODES agents to register"
bench_wait 900 bench_sim_event_ms all_registered || { echo "agents did not register" >&2; exit 1; }
sleep 3

bench_log "replaying for $WINDOW s"
T0=$(now_ms)
"$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" --cert "$B/pki/alice.pem" \
	--key "$B/pki/alice.key" --trace "$TRACE" --days "$DAYS" --copies "$COPIES" \
	--time-scale "$SCALE" --big-gangs "$BIG" --clients "$CLIENTS" --out "$B/load" \
	> "$B/load.out" 2> "$B/load.err"
T1=$(now_ms)
bench_log "submitted: $(cat "$B/load.out")"
unfinished() { [ "$(bench_psql "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running', 'starting')")" -gt 0 ]; }
all_done() { ! unfinished; }
bench_wait "$TAIL" all_done || true
T2=$(now_ms)
bench_sim_stop
bench_psql "SELECT id, state, epoch FROM jobs" | tr '|' ' ' > "$B/states"
cat "$B"/load/trace.* > "$B/submitted"
cat "$B"/jobs* > "$B/joblog"

echo
echo "== trace replay: $NODES nodes ($((NODES * 8)) GPUs), $(wc -l < "$B/submitted") jobs submitted over $(( (T1 - T0) / 1000 )) s (x$SCALE = $(awk -v s=$(( (T1 - T0) / 1000 )) -v x="$SCALE" 'BEGIN { printf "%.1f", s * x / 86400 }') trace days)"
echo "submit lateness (ack after due time): $(awk '{ l = $3 - $2; s += l; if (l > m) m = l } END { if (NR) printf "mean %.0f ms, max %.0f ms", s / NR, m }' "$B/submitted")"
# GPU utilization over the submission window, from the simulators'
# gpus_busy (summed over processes, one line per second each).
for f in "$B"/sim.*.log; do
	grep '^sim: t=' "$f" | sed -n 's/.* gpus_busy=\([0-9]*\) .* wall_ms=\([0-9]*\).*/\2 \1/p'
done | awk -v a="$T0" -v b="$T1" -v g=$((NODES * 8)) '
	$1 >= a && $1 <= b { s[int(($1 - a) / 1000)] += $2 }
	END { for (k in s) { t += s[k]; n++; if (s[k] > m) m = s[k] }
		if (n) printf "GPU utilization: mean %.1f%%, peak %.1f%% of %d GPUs (while submitting)\n", t / n * 100 / g, m * 100 / g, g }'
# Per job: start of its first incarnation (every node got StartJob),
# queueing delay in trace minutes, by size.
awk -v x="$SCALE" '
	FILENAME ~ /submitted$/ { ack[$1] = $3; g[$1] = $4 * $5; next }
	FILENAME ~ /states$/ { st[$1] = $2; ep[$1] = $3; next }
	{ k = $2; if (!(k in ack)) next
	  if ($6 >= $4 && (!(k in start) || $3 < sep[k])) { start[k] = $11; sep[k] = $3 } }
	END {
	  split("1 2-4 8 16-64 65-512 >512", names, " ")
	  for (k in ack) {
	    b = g[k] <= 1 ? 1 : g[k] <= 4 ? 2 : g[k] <= 8 ? 3 : g[k] <= 64 ? 4 : g[k] <= 512 ? 5 : 6
	    n[b]++
	    if (k in start) { d = (start[k] - ack[k]) * x / 60000; if (d < 0) d = 0
	      c[b]++; sum[b] += d; v[b, c[b]] = d }
	  }
	  printf "queueing delay by job size (trace minutes, from submit to every rank started):\n"
	  printf "  %-8s %7s %7s %9s %9s %9s\n", "GPUs", "jobs", "started", "mean", "median", "p99"
	  for (b = 1; b <= 6; b++) {
	    if (!n[b]) continue
	    m = c[b]
	    for (i = 2; i <= m; i++) { t = v[b, i]; j = i - 1
	      while (j >= 1 && v[b, j] > t) { v[b, j + 1] = v[b, j]; j-- } v[b, j + 1] = t }
	    if (m) printf "  %-8s %7d %7d %9.1f %9.1f %9.1f\n", names[b], n[b], m, sum[b] / m, v[b, int((m + 1) / 2)], v[b, int(m * 0.99 + 0.999)]
	    else printf "  %-8s %7d %7d %9s %9s %9s\n", names[b], n[b], 0, "-", "-", "-"
	  }
	}' "$B/submitted" "$B/states" "$B/joblog"
echo "job states at the end: $(awk '{ c[$2]++ } END { for (s in c) printf "%s=%d ", s, c[s] }' "$B/states")"
echo "requeues: $(awk '$3 > 1 { r += $3 - 1; j++ } END { printf "%d (%d jobs requeued at least once)", r, j }' "$B/states")"
echo "faults injected: $(for f in "$B"/sim.*.log; do grep '^sim: final' "$f"; done | sed -n 's/.* xids=\([0-9]*\) lost=\([0-9]*\).*/\1 \2/p' | awk '{ x += $1; l += $2 } END { printf "%d XIDs, %d node losses", x, l }')"
# Goodput: GPU-time of every incarnation.  An incarnation that was
# followed by another (requeued) or ended with the job failed is lost,
# with the gap until the next one started; the others are useful.
awk -v t2="$T2" '
	FILENAME ~ /submitted$/ { g[$1] = $4 * $5; next }
	FILENAME ~ /states$/ { st[$1] = $2; ep[$1] = $3; next }
	{ k = $2 " " $3; if (!($2 in g)) next
	  if (!(k in s0) && $6 > 0) s0[k] = $10
	  if ($5 > 0 && $7 >= $5 && !(k in e0)) e0[k] = $1 }
	END {
	  for (k in s0) { split(k, a, " "); j = a[1]; e = a[2]
	    end = (k in e0) ? e0[k] : t2
	    nxt = j " " (e + 1)
	    if (nxt in s0) { lost += (s0[nxt] - s0[k]) * g[j] }
	    else if (st[j] == "failed") { lost += (end - s0[k]) * g[j] }
	    else { good += (end - s0[k]) * g[j] } }
	  if (good + lost > 0)
	    printf "goodput: %.2f%% of the GPU-time of started incarnations lost to failures (work since the last start of each interrupted incarnation plus the time to run again)\n", lost * 100 / (good + lost)
	}' "$B/submitted" "$B/states" "$B/joblog"
echo "controller RSS at the end: $(( $(bench_rss_kib "$CTL_PID") / 1024 )) MiB"
