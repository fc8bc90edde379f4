#!/bin/bash
# Durable submit throughput: C concurrent clients (one process and one TLS
# connection each, bench/submitload) submit small jobs (1 node, 1 GPU) as
# fast as the controller acknowledges them, for a fixed time.  A job is
# acknowledged only after its transaction committed (DESIGN invariant 1),
# and afterwards the database must hold exactly the acknowledged jobs:
# the script checks the count and every acknowledged id.
#
#   bench/submit-throughput.sh BUILD_DIR [--clients "1 16 64"]
#                              [--seconds 20] [--nodes 12544] [--hold]
#                              [--fast-db]
#
# Each client count runs against a fresh database and controller with
# the full topology loaded and no agent connected (every node down), so
# the jobs stay pending: the figure is the submit path (validation, group
# commit, scheduling passes over a growing queue), not job starts.
# --hold submits held jobs (no scheduling work at all); --fast-db runs
# PostgreSQL with fsync off, for comparison.
set -u

CLIENTS="1 16 64"
SECONDS_=20
NODES=12544
HOLD=
DBMODE=
usage() { sed -n '10,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
BUILD_ARG=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--clients) CLIENTS=$2; shift 2 ;;
	--seconds) SECONDS_=$2; shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--hold) HOLD=--hold; shift ;;
	--fast-db) DBMODE=fast; shift ;;
	*) usage ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_init submit-throughput "$BUILD_ARG"
bench_setup "0 connected ($NODES in the topology, all down)"
echo "jobs:       1 node x 1 GPU, 'sleep 600'$([ -n "$HOLD" ] && echo ', held'), a fresh submit key each; $SECONDS_ s per client count"
bench_pki
bench_pg_start $DBMODE
BASE_CONNINFO=$PG_CONNINFO

RESULTS=""
for C in $CLIENTS; do
	DB=colossus_c$C
	pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U colossus "$DB" || exit 1
	PG_CONNINFO="${BASE_CONNINFO% dbname=*} dbname=$DB"
	bench_ctl_start limits.submit_rate=0
	bench_topology "$NODES"
	# Nodes without an agent go down one lease after the start; let that
	# (and its database writes) pass before measuring.
	bench_log "$C clients: waiting for the $TOPO_NODES nodes to be marked down"
	bench_wait 120 sh -c "[ \"\$($PG_BIN/psql -X -A -t '$PG_CONNINFO' -c \"SELECT count(*) FROM nodes WHERE state = 'down'\")\" -ge $TOPO_NODES ]" ||
		bench_log "not every node is down yet; measuring anyway"
	sleep 2
	before=$(bench_psql "SELECT count(*) FROM jobs")
	bench_log "$C clients: submitting for $SECONDS_ s"
	C0=$(bench_cpu_ticks "$CTL_PID"); T0=$(now_ms)
	out=$("$LOAD_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" \
		--cert "$B/pki/alice.pem" --key "$B/pki/alice.key" \
		--clients "$C" --seconds "$SECONDS_" --mix small --run 600 \
		$HOLD --out "$B/load.$C" 2>"$B/load.$C.err")
	C1=$(bench_cpu_ticks "$CTL_PID"); T1=$(now_ms)
	echo "$out" > "$B/load.$C.out"
	acked=$(echo "$out" | sed -n 's/.* acked=\([0-9]*\).*/\1/p')
	rate=$(echo "$out" | sed -n 's/.* rate=\([0-9.]*\)\/s.*/\1/p')
	lat=$(echo "$out" | sed -n 's/.* lat_ms \(p50=[^ ]* p90=[^ ]* p99=[^ ]* max=[^ ]*\).*/\1/p')
	errors=$(echo "$out" | sed -n 's/.* errors=\([0-9]*\) lost=\([0-9]*\).*/\1 errors, \2 lost/p')
	after=$(bench_psql "SELECT count(*) FROM jobs")
	# Every acknowledged id must be in the database, once.
	cat "$B"/load.$C/ids.* > "$B/acked.$C"
	bench_psql "CREATE TABLE acked_$C (id bigint)" >/dev/null
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$PG_CONNINFO" \
		-c "\\copy acked_$C FROM '$B/acked.$C'" >/dev/null
	found=$(bench_psql "SELECT count(DISTINCT a.id) FROM acked_$C a JOIN jobs j ON j.id = a.id")
	if [ "$((after - before))" -eq "$acked" ] && [ "$found" -eq "$acked" ]; then
		verdict="database holds exactly the $acked acknowledged jobs"
	else
		verdict="MISMATCH: $acked acknowledged, $((after - before)) new rows, $found of the acknowledged ids found"
	fi
	cpu=$(awk -v a="$C0" -v b="$C1" -v hz="$CLK_TCK" -v ms=$((T1 - T0)) 'BEGIN { printf "%.0f", (b - a) / hz * 100000 / ms }')
	rss=$(( $(bench_rss_kib "$CTL_PID") / 1024 ))
	line=$(printf '%3d clients: %8.1f jobs/s acknowledged (%s jobs in %s s; %s); latency %s ms; controller CPU %s%% of a core, RSS %s MiB; %s' \
		"$C" "$rate" "$acked" "$SECONDS_" "$errors" "$lat" "$cpu" "$rss" "$verdict")
	bench_log "$line"
	RESULTS="$RESULTS$line
"
	bench_ctl_stop
done

echo
echo "== durable submit throughput (PostgreSQL fsync=$PG_FSYNC, synchronous_commit=on)"
printf '%s' "$RESULTS"
