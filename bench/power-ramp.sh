#!/bin/bash
# Power ramp (issue 11): a full-cluster gang started and stopped on the
# simulated cluster, once without a ramp limit and once with one, with
# the real controller, PostgreSQL and N simulated agents over TLS.
#
# For each run it prints the power curve the controller planned, as the
# simulated agents saw it: per second, the nodes that received their
# LaunchJob (the controller charges a node's step from idle to busy,
# by the [power] model, at its LaunchJob) and what that adds in MW; the
# moment every rank was told "go"; then, after a cancel, the same curve
# for the KillJob orders of the planned stop.  Last, the start-up delay
# the ramp costs (submit to the last "go", with minus without).
#
#   bench/power-ramp.sh BUILD_DIR [--nodes 12544] [--ramp 20MW]
#                       [--window 10s] [--fast-db]
#
# The model is the built-in H100 one (docs/power.md): 7.7 kW per node
# from idle to busy, so 12,544 nodes move 96.6 MW.  Figures are taken
# from the simulator's job log (bench/README.md), not from timers in the
# controller.
set -u

NODES=12544
RAMP=20MW
WINDOW=10s
DBMODE=
usage() { sed -n '14,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--ramp) RAMP=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--fast-db) DBMODE=fast; shift ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init power-ramp "$BUILD_ARG"
bench_setup "$NODES"
echo "ramp:       $RAMP per $WINDOW in the second run (power.ramp, power.ramp_window); none in the first"
bench_pki
bench_pg_start $DBMODE
# A prepare timeout long enough for nothing but the waves to matter, and
# a lease long enough that a loaded machine does not lose simulated
# nodes (and the health engine drain their racks) during the connect
# storm: this measures the ramp, not liveness.
CTL_SETS="jobs.prepare_timeout=120s nodes.lease=60s"
# shellcheck disable=SC2086
bench_ctl_start $CTL_SETS
bench_topology "$NODES"
echo "topology:   $TOPO_NODES nodes; $NODES simulated"
STEP_W=7700
PROCS=$(( (NODES + 14999) / 15000 ))
bench_sim_start "$PROCS" --ca-key "$B/pki/ca.key" --nodes "$(bench_nodelist "$NODES")" \
	--job-log "$B/jobs" --stats-interval 1
bench_log "waiting for $NODES agents to register"
bench_wait 900 bench_sim_event_ms all_registered || { echo "agents did not register" >&2; exit 1; }
sleep 3

submit() { # OUT
	"$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" \
		--cert "$B/pki/alice.pem" --key "$B/pki/alice.key" \
		--mix "gang:$GANG" --count 1 --clients 1 --run 0 --out "$B/$1" \
		2>"$B/$1.err"
}
# Nodes up and not drained: the gang takes all of them.
in_service() {
	bench_cli admin1 nodes --json | awk '
		/"state":/ { up = ($0 ~ /"up"/) }
		/"admin_state":/ { if (up && $0 ~ /"none"/) n++ }
		END { print n + 0 }'
}

# The last job-log line of JOB summed over the simulator processes:
# launched started ended first_launch last_launch first_start last_start.
job_times() { # JOB
	for f in "$B"/jobs*; do
		awk -v j="$1" '$2 == j { l = $0 } END { if (l) print l }' "$f"
	done | awk '{ la += $5; st += $6; en += $7
		if (!fl || $8 < fl) fl = $8; if ($9 > ll) ll = $9
		if (!fs || $10 < fs) fs = $10; if ($11 > ls) ls = $11 }
		END { printf "%d %d %d %.0f %.0f %.0f %.0f\n", la, st, en, fl, ll, fs, ls }'
}
job_field() { job_times "$1" | cut -d' ' -f"$2"; }
job_started() { [ "$(job_field "$1" 2)" -ge "$2" ]; }
job_ended() { [ "$(job_field "$1" 3)" -ge "$2" ]; }
sim_idle() { [ "$(bench_sim_stat wl)" = 0 ]; }

# Per second after T0, the nodes whose counter (column COL of the job
# log: 5 launched, 7 ended) moved, summed over the simulator processes.
curve() { # JOB COL T0
	for f in "$B"/jobs*; do
		awk -v j="$1" -v c="$2" -v t0="$3" '$2 == j {
			d = $c - prev; prev = $c
			if (d > 0) print int(($1 - t0) / 1000), d }' "$f"
	done | awk '{ n[$1] += $2; if ($1 > last) last = $1 }
		END { for (s = 0; s <= last; s++) print s, n[s] + 0 }'
}
print_curve() { # JOB COL T0 SIGN
	cum=0
	printf '   %6s %8s %10s %12s\n' second nodes "MW/s" "total MW"
	curve "$1" "$2" "$3" | while read -r s n; do
		cum=$((cum + n))
		[ "$n" -gt 0 ] || continue
		awk -v s="$s" -v n="$n" -v c="$cum" -v w="$STEP_W" -v sg="$4" \
			'BEGIN { printf "   %6d %8d %10.1f %12.1f\n", s, n, sg * n * w / 1e6, sg * c * w / 1e6 }'
	done
	peak=$(curve "$1" "$2" "$3" | awk -v w="$STEP_W" '$2 > m { m = $2 } END { printf "%.1f", m * w / 1e6 }')
	echo "   steepest second: $peak MW"
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (a - b) / 1000 }'; }

run() { # LABEL
	label=$1
	GANG=$(in_service)
	[ "$GANG" -eq "$NODES" ] || bench_log "$label: only $GANG of $NODES nodes in service"
	[ "$GANG" -gt 0 ] || { echo "no node in service" >&2; exit 1; }
	bench_log "$label: submitting one $GANG-node gang"
	out=$(submit "gang-$label")
	job=$(cat "$B/gang-$label"/ids.* 2>/dev/null | head -n 1)
	t0=$(echo "$out" | sed -n 's/.* first_send_ms=\([0-9]*\).*/\1/p')
	[ -n "$job" ] || { echo "gang submit failed: $out $(cat "$B/gang-$label.err")" >&2; exit 1; }
	bench_wait 900 job_started "$job" "$GANG" || { echo "gang $job did not start" >&2; exit 1; }
	read -r _la _st _en fl ll fs ls <<< "$(job_times "$job")"
	eval "GO_$label=$(( ls - t0 ))"
	echo
	echo "== $label: start of job $job ($GANG nodes, $(awk -v n="$GANG" -v w="$STEP_W" 'BEGIN { printf "%.1f", n * w / 1e6 }') MW from idle to busy)"
	echo "   first LaunchJob after $(secs "$fl" "$t0") s, last after $(secs "$ll" "$t0") s (seconds below count from the submit)"
	print_curve "$job" 5 "$t0" 1
	echo "   every rank told \"go\" after $(secs "$ls" "$t0") s (first go $(secs "$fs" "$t0") s): the job sees one start"
	grep "power: job=$job epoch=1 launch wave" "$B/controller.log" | sed 's/^[^T]*T\([^Z]*\)Z [^ ]* [^ ]* power: /   controller at \1: /'
	sleep 2
	t1=$(now_ms)
	bench_log "$label: cancelling job $job"
	bench_cli alice cancel "$job" >/dev/null || { echo "cancel failed" >&2; exit 1; }
	bench_wait 900 job_ended "$job" "$GANG" || bench_log "$label: not every node ended"
	read -r _la _st _en _fl _ll _fs _ls <<< "$(job_times "$job")"
	echo "-- $label: planned stop (cancel) of job $job"
	print_curve "$job" 7 "$t1" -1
	grep "power: job=$job epoch=1 kill wave" "$B/controller.log" | sed 's/^[^T]*T\([^Z]*\)Z [^ ]* [^ ]* power: /   controller at \1: /'
	bench_wait 300 sim_idle || bench_log "$label: some workloads are still there"
	sleep 2
}

run noramp
bench_log "restarting the controller with power.ramp=$RAMP power.ramp_window=$WINDOW"
restart_ms=$(now_ms)
bench_ctl_stop
# shellcheck disable=SC2086
bench_ctl_start $CTL_SETS "power.ramp=$RAMP" "power.ramp_window=$WINDOW"
bench_wait 900 bench_sim_event_ms all_registered "$restart_ms" || { echo "agents did not come back" >&2; exit 1; }
sleep 3
run ramp

echo
echo "== summary: $NODES nodes, ramp $RAMP per $WINDOW"
echo "   submit to every \"go\": $(secs "$GO_noramp" 0) s without the ramp, $(secs "$GO_ramp" 0) s with it"
echo "   start-up delay the ramp adds: $(secs "$GO_ramp" "$GO_noramp") s"
echo "   controller RSS: $(( $(bench_rss_kib "$CTL_PID") / 1024 )) MiB"
