#!/bin/bash
# Controller failover (issue 7; docs/ha.md): two controllers on one
# PostgreSQL, N simulated agents (each with its own certificate, both
# controllers in their list) and a running gang.  The active controller
# is killed with SIGKILL; prints the time until the standby serves (its
# "active: serving" log line, and the first CLI answer from it), until
# every agent is registered with it again, and whether the gang kept
# running in its first epoch.
#
#   bench/failover.sh BUILD_DIR [--nodes 12544] [--gang 512] [--rounds 1]
#
# --rounds K kills the active controller K times (each time the killed
# one is started again as the new standby).
set -u

NODES=12544
GANG=512
ROUNDS=1
usage() { sed -n '10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) NODES=$2; shift 2 ;;
	--gang) GANG=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init failover "$BUILD_ARG"
bench_setup "$NODES"
bench_pki
bench_sim_id_args
echo "identities: $SIM_ID_DESC"
bench_pg_start

# Fixed ports: the agents and the CLI list both controllers.
free_port() {
	for _p in $(seq "$1" $(($1 + 200))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null || { echo "$_p"; return; }
	done
	return 1
}
# Below the ephemeral range (32768-60999), where outgoing connections
# of the simulator could hold the port.
PORT_A=$(free_port $((12000 + $$ % 8000)))
PORT_B=$(free_port $((PORT_A + 1)))
CTL_PORT=$PORT_A bench_ctl_start limits.submit_rate=0
PID_A=$CTL_PID
bench_topology "$NODES"

# The other controller: same configuration, another id, port and log.
ctl_other_start() { # ID PORT LOG -> OTHER_PID
	sed -e "s/^id = .*/id = $1/" -e "s/^listen = .*/listen = 127.0.0.1:$2/" \
		"$B/controller.conf" > "$B/$1.conf"
	"$CTL_BIN" -c "$B/$1.conf" --set limits.allow_simulator=true \
		--set limits.submit_rate=0 >>"$B/$3" 2>&1 &
	OTHER_PID=$!
	BENCH_PIDS="$BENCH_PIDS $OTHER_PID"
}
touch "$B/controller-b.log"
ctl_other_start bench-controller-b "$PORT_B" controller-b.log
PID_B=$OTHER_PID
bench_wait 60 grep -q 'starting as' "$B/controller-b.log" || { echo "standby did not start" >&2; exit 1; }
CTL_ADDR="127.0.0.1:$PORT_A,127.0.0.1:$PORT_B"
echo "controllers: A pid $PID_A port $PORT_A (active), B pid $PID_B port $PORT_B (standby); [database] leader_retry_ms default 500"

# shellcheck disable=SC2086
bench_sim_start 1 $SIM_ID_ARGS --nodes "$(bench_nodelist "$NODES")" \
	--job-log "$B/jobs" --stats-interval 1
bench_log "waiting for $NODES agents to register"
bench_wait 900 bench_sim_event_ms all_registered || { echo "agents did not register" >&2; exit 1; }
"$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" --cert "$B/pki/alice.pem" \
	--key "$B/pki/alice.key" --mix "gang:$GANG" --count 1 --clients 1 --run 3600 \
	--out "$B/gang" > "$B/gang.out" 2>&1
JOB=$(cat "$B"/gang/ids.* 2>/dev/null | head -n 1)
[ -n "$JOB" ] || { cat "$B/gang.out" >&2; exit 1; }
gang_running() {
	cat "$B"/jobs* | awk -v j="$JOB" -v n="$GANG" '$2 == j && $3 == 1 && $6 >= n { f = 1 } END { exit !f }'
}
bench_wait 300 gang_running || { echo "gang $JOB did not start" >&2; exit 1; }
sleep 5

ACTIVE=$PID_A; ACTIVE_LOG=controller.log; ACTIVE_ID=bench-controller; ACTIVE_PORT=$PORT_A
STANDBY=$PID_B; STANDBY_LOG=controller-b.log; STANDBY_ID=bench-controller-b
RESULTS=""
for r in $(seq 1 "$ROUNDS"); do
	lines=$(wc -l < "$B/$STANDBY_LOG")
	bench_log "round $r: SIGKILL the active controller (pid $ACTIVE)"
	T0=$(now_ms)
	kill -KILL "$ACTIVE"; wait "$ACTIVE" 2>/dev/null
	serving() { tail -n +$((lines + 1)) "$B/$STANDBY_LOG" | grep -q 'active: serving'; }
	bench_wait 120 serving || { echo "the standby did not take over" >&2; exit 1; }
	l=$(tail -n +$((lines + 1)) "$B/$STANDBY_LOG" | grep -m 1 'active: serving')
	T_SERVE=$(date -d "${l%% *}" +%s%3N)
	l=$(tail -n +$((lines + 1)) "$B/$STANDBY_LOG" | grep -m 1 'leader: this controller leads')
	T_LOCK=$(date -d "${l%% *}" +%s%3N)
	bench_wait 60 bench_cli alice whoami
	T_CLI=$(now_ms)
	bench_wait 600 bench_sim_event_ms all_registered "$T0" ||
		{ echo "not every agent re-registered within 600 s" >&2; exit 1; }
	T_REG=$(bench_sim_event_ms all_registered "$T0")
	# A full lease later, nothing may have been declared down.
	sleep 12
	st=$(bench_psql "SELECT state || ' epoch ' || epoch FROM jobs WHERE id = $JOB")
	down=$(bench_psql "SELECT count(*) FROM nodes WHERE state <> 'up'")
	line=$(printf 'round %d: lock taken %.2f s, serving %.2f s, first CLI answer %.2f s, all %d agents re-registered %.2f s after the SIGKILL; gang %s; %s nodes not up; RSS of the new active %d MiB' \
		"$r" "$(awk -v a="$T_LOCK" -v b="$T0" 'BEGIN { print (a - b) / 1000 }')" \
		"$(awk -v a="$T_SERVE" -v b="$T0" 'BEGIN { print (a - b) / 1000 }')" \
		"$(awk -v a="$T_CLI" -v b="$T0" 'BEGIN { print (a - b) / 1000 }')" \
		"$NODES" "$(awk -v a="$T_REG" -v b="$T0" 'BEGIN { print (a - b) / 1000 }')" \
		"$st" "$down" "$(( $(bench_rss_kib "$STANDBY") / 1024 ))")
	bench_log "$line"
	RESULTS="$RESULTS$line
"
	# The killed one comes back as the standby.
	touch "$B/$ACTIVE_LOG"
	ctl_other_start "$ACTIVE_ID" "$ACTIVE_PORT" "$ACTIVE_LOG"
	_pid=$OTHER_PID; _log=$ACTIVE_LOG; _id=$ACTIVE_ID
	ACTIVE=$STANDBY; ACTIVE_LOG=$STANDBY_LOG; ACTIVE_ID=$STANDBY_ID
	ACTIVE_PORT=$([ "$ACTIVE_ID" = bench-controller ] && echo "$PORT_A" || echo "$PORT_B")
	STANDBY=$_pid; STANDBY_LOG=$_log; STANDBY_ID=$_id
	sleep 5
done

echo
echo "== failover: two controllers, one PostgreSQL (fsync=on), $NODES simulated agents, a $GANG-node gang running"
printf '%s' "$RESULTS"
