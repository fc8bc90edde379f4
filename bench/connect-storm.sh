#!/bin/bash
# Connect storm: how long N simulated agents take to connect (TLS 1.3,
# each with its own certificate) and register with the real controller,
# and what the controller costs once they all heartbeat.
#
#   bench/connect-storm.sh BUILD_DIR [--nodes N] [--procs K] [--window SEC]
#                          [--sim-cert] [--connect-rate R] [--no-restart]
#                          [--fast-db]
#
# 1. cold: the controller is up and loaded; K simulator processes start
#    every agent at once (or R per second); time from the first connect
#    to the last registration.
# 2. steady: all agents heartbeat at the default interval (3 s); CPU of
#    the controller (utime+stime from /proc/PID/stat) over --window
#    seconds as % of one core, its RSS, and the same for PostgreSQL and
#    the simulator.
# 3. restart: the controller is SIGKILLed and started again (agents
#    reconnect with their real backoff and jitter); time from the restart
#    to the last registration.
#
# Everything runs on this machine; every process is stopped by PID at
# the end.  Prints the setup and the figures.
set -u

NODES=12544
PROCS=
WINDOW=60
SIMCERT=
RATE=0
RESTART=1
DBMODE=
usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--procs) PROCS=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--sim-cert) SIMCERT=1; shift ;;
	--connect-rate) RATE=$2; shift 2 ;;
	--no-restart) RESTART=; shift ;;
	--fast-db) DBMODE=fast; shift ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init connect-storm "$BUILD_ARG"

HARD=$(ulimit -Hn)
# One simulator process holds at most ~15,000 agents (one socket each,
# under the 20,000-descriptor hard limit of this machine).
[ -n "$PROCS" ] || PROCS=$(( (NODES + 14999) / 15000 ))
bench_setup "$NODES"
echo "simulator:  $PROCS process(es), $([ -n "$SIMCERT" ] && echo 'one OU=sim certificate' || echo 'one certificate per node, made in process'), connect rate ${RATE}/s (0 = all at once)"
bench_pki
bench_pg_start $DBMODE

# The controller needs one descriptor per agent.  Without CAP_SYS_RESOURCE
# it cannot go past the hard limit: cap its connections below it so that
# extra agents are refused cleanly instead of failing accept().
CTL_SETS="limits.allow_simulator=true"
CAP=""
if [ $((NODES + 200)) -gt "$HARD" ]; then
	CAP=$((HARD - 200))
	CTL_SETS="$CTL_SETS limits.max_connections=$CAP"
	echo "WARNING:    $NODES agents need more descriptors than the hard limit ($HARD): the controller is capped at $CAP connections; at most that many can register"
fi
# shellcheck disable=SC2086
bench_ctl_start $CTL_SETS
bench_topology "$NODES"
echo "topology:   $TOPO_NODES nodes applied in ${TOPO_APPLY_MS} ms"
WANT=$NODES
[ -n "$CAP" ] && WANT=$CAP

SIMARGS=(--nodes "$(bench_nodelist "$NODES")" --connect-rate "$RATE" --stats-interval 5)
if [ -n "$SIMCERT" ]; then
	SIMARGS+=(--sim-cert "$B/pki/simulator.pem" --sim-key "$B/pki/simulator.key")
else
	SIMARGS+=(--ca-key "$B/pki/ca.key")
fi
bench_log "starting $PROCS simulator(s) for $NODES nodes"
bench_sim_start "$PROCS" "${SIMARGS[@]}"
bench_wait 600 bench_sim_event_ms connecting || { echo "simulator did not start" >&2; exit 1; }
CC0=$(bench_cpu_ticks "$CTL_PID"); SC0=$(for p in $SIM_PIDS; do bench_cpu_ticks "$p"; done | awk '{ s += $1 } END { print s + 0 }')
IDENT_MS=$(for f in "$B"/sim.*.log; do sed -n 's/.*event=identities .*took_ms=\([0-9]*\).*/\1/p' "$f"; done | sort -n | tail -n 1)
CONNECT_MS=$(for f in "$B"/sim.*.log; do sed -n 's/^sim: event=connecting .*wall_ms=\([0-9]*\).*/\1/p' "$f"; done | sort -n | head -n 1)

# ---- 1. cold storm -----------------------------------------------------
reg_total() {
	for f in "$B"/sim.*.log; do
		grep '^sim: event=\|^sim: t=' "$f" | tail -n 1
	done | sed -n 's/.* reg=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
if [ -n "$CAP" ]; then
	# Not every agent can get in: wait for the count to settle.
	bench_log "waiting up to 180 s for $CAP of $NODES registrations"
	bench_wait 180 sh -c "[ \$(for f in $B/sim.*.log; do grep '^sim: t=' \$f | tail -n 1; done | sed -n 's/.* reg=\([0-9]*\).*/\1/p' | awk '{s+=\$1} END {print s+0}') -ge $CAP ]"
	COLD_MS=""
	REG=$(reg_total)
else
	bench_log "waiting for $NODES registrations"
	bench_wait 600 bench_sim_event_ms all_registered || {
		echo "not every agent registered within 600 s" >&2; exit 1; }
	ALL_MS=$(bench_sim_event_ms all_registered)
	COLD_MS=$((ALL_MS - CONNECT_MS))
	REG=$NODES
fi
CC1=$(bench_cpu_ticks "$CTL_PID"); SC1=$(for p in $SIM_PIDS; do bench_cpu_ticks "$p"; done | awk '{ s += $1 } END { print s + 0 }')
STORM_CTL_S=$(awk -v a="$CC0" -v b="$CC1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')
STORM_SIM_S=$(awk -v a="$SC0" -v b="$SC1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')
bench_log "cold storm: $REG registered"

# ---- 2. steady state --------------------------------------------------------
# Let the registration writes (inventories) drain before measuring.
sleep 15
pg_pids() { echo "$PG_PID"; pgrep -P "$PG_PID"; }
pg_ticks() { for p in $(pg_pids); do bench_cpu_ticks "$p" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'; }
sim_ticks() { for p in $SIM_PIDS; do bench_cpu_ticks "$p"; done | awk '{ s += $1 } END { print s + 0 }'; }
bench_log "measuring steady state for $WINDOW s"
C0=$(bench_cpu_ticks "$CTL_PID"); P0=$(pg_ticks); S0=$(sim_ticks); T0=$(now_ms)
HB0=$(grep -c . /dev/null)
sleep "$WINDOW"
C1=$(bench_cpu_ticks "$CTL_PID"); P1=$(pg_ticks); S1=$(sim_ticks); T1=$(now_ms)
pct() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" -v ms=$((T1 - T0)) 'BEGIN { printf "%.1f", (b - a) / hz * 100000 / ms }'; }
CTL_CPU=$(pct "$C0" "$C1"); PG_CPU=$(pct "$P0" "$P1"); SIM_CPU=$(pct "$S0" "$S1")
CTL_RSS=$(bench_rss_kib "$CTL_PID"); CTL_HWM=$(bench_hwm_kib "$CTL_PID")
SIM_RSS=$(for p in $SIM_PIDS; do bench_rss_kib "$p"; done | awk '{ s += $1 } END { print s + 0 }')
HBS=$(for f in "$B"/sim.*.log; do grep '^sim: t=' "$f" | tail -n 1; done | sed -n 's/.* hb\/s=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
: "$HB0"

# ---- 3. restart ---------------------------------------------------------------
if [ -n "$RESTART" ] && [ -z "$CAP" ]; then
	bench_log "SIGKILL the controller and start it again"
	kill -KILL "$CTL_PID"; wait "$CTL_PID" 2>/dev/null; CTL_PID=""
	bench_wait 30 bench_sim_event_ms registration_lost
	R0=$(now_ms)
	# shellcheck disable=SC2086
	bench_ctl_start $CTL_SETS
	SERVING_MS=$(( $(now_ms) - R0 ))
	bench_wait 600 bench_sim_event_ms all_registered "$R0" || {
		echo "not every agent re-registered within 600 s" >&2; exit 1; }
	RESTART_MS=$(( $(bench_sim_event_ms all_registered "$R0") - R0 ))
	sleep 5
	RESTART_RSS=$(bench_rss_kib "$CTL_PID")
fi

# ---- figures ----------------------------------------------------------------
echo
echo "== connect storm: $NODES agents"
echo "identities:      $((IDENT_MS)) ms to make the keys, certificates and TLS contexts (in the simulator, before connecting)"
if [ -n "$COLD_MS" ]; then
	echo "cold storm:      all $NODES registered $(awk -v m="$COLD_MS" 'BEGIN { printf "%.1f", m / 1000 }') s after the agents started connecting (controller already serving)"
else
	echo "cold storm:      $REG of $NODES registered (controller capped at $CAP connections by the descriptor limit)"
fi
echo "  CPU used:      controller $STORM_CTL_S s ($(awk -v s="$STORM_CTL_S" -v n="$REG" 'BEGIN { printf "%.2f", s * 1000 / n }') ms per agent), simulator $STORM_SIM_S s, from first connect to last registration"
echo "  postponed:     $(for f in "$B"/sim.*.log; do grep '^sim: ' "$f" | tail -n 1; done | sed -n 's/.* postponed=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }') reconnects delayed by the simulator's --max-handshakes gate"
echo "steady state:    heartbeats every 3 s, $HBS heartbeats/s sent"
echo "  controller:    CPU $CTL_CPU% of one core over $(( (T1 - T0) / 1000 )) s; RSS $((CTL_RSS / 1024)) MiB (peak $((CTL_HWM / 1024)) MiB)"
echo "  postgresql:    CPU $PG_CPU% of one core (all its processes)"
echo "  simulator:     CPU $SIM_CPU% of one core ($PROCS process(es)); RSS $((SIM_RSS / 1024)) MiB"
if [ -n "${RESTART_MS:-}" ]; then
	echo "restart:         controller SIGKILLed and restarted: serving after $(awk -v m="$SERVING_MS" 'BEGIN { printf "%.1f", m / 1000 }') s, all $NODES re-registered $(awk -v m="$RESTART_MS" 'BEGIN { printf "%.1f", m / 1000 }') s after the restart (agents back off 0.2 s doubling to 10 s, with jitter); RSS then $((RESTART_RSS / 1024)) MiB"
fi
echo "controller log:  $(wc -l < "$B/controller.log") lines"
