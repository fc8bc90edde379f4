# Shared by the benchmark scripts (bench/*.sh): a work folder, the
# machine description, a development PKI, a private PostgreSQL, the real
# controller, the simulator, CPU and memory readings, and a cleanup that
# stops every process started here by its PID.
#
#   bench_init NAME BUILD_DIR   work folder $B, binaries, EXIT trap
#   bench_setup NODES           print the machine and software setup
#   bench_pki                   CA, controller, admin, alice, sim certs
#   bench_pg_start [fast]       PostgreSQL (fsync on unless "fast")
#   bench_ctl_start [k=v ...]   the controller; sets CTL_PID, CTL_ADDR
#   bench_ctl_stop [SIGNAL]
#   bench_topology NODES        generate + apply the layout for NODES
#   bench_sim_start K ARGS...   K simulator processes (slices); SIM_PIDS
#   SIM_ID_ARGS                 the simulator's identity arguments
#   bench_cli USER ARGS...      the colossus CLI as USER
#   bench_wait SECONDS CMD...   poll CMD until it succeeds or time is up
#   bench_cpu_ticks PID, bench_rss_kib PID
#
# Needs: a build directory (nothing is built here), PostgreSQL server
# binaries, openssl, awk.  Runs as root (PostgreSQL then runs as the
# "postgres" account) or as an ordinary user.

bench_init() { # NAME BUILD_DIR
	BENCH_NAME=$1
	BUILD=$(cd "$2" 2>/dev/null && pwd) || {
		echo "$BENCH_NAME: no build directory '$2'" >&2; exit 2; }
	SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	CTL_BIN=$BUILD/colossus-controller
	CLI_BIN=$BUILD/colossus
	SIM_BIN=$BUILD/bench/colossus-sim
	LOAD_BIN=$BUILD/bench/submitload
	for b in "$CTL_BIN" "$CLI_BIN" "$SIM_BIN" "$LOAD_BIN"; do
		[ -x "$b" ] || {
			echo "$BENCH_NAME: $b is not built (make in $BUILD)" >&2
			exit 2; }
	done
	. "$SRC/tests/lib/pg.sh"
	pg_find_bin || { echo "$BENCH_NAME: no PostgreSQL server binaries" >&2; exit 2; }
	command -v openssl >/dev/null || { echo "$BENCH_NAME: no openssl" >&2; exit 2; }
	B=$(mktemp -d "/tmp/colossus-bench-$BENCH_NAME.XXXXXX")
	chmod 755 "$B"
	BENCH_PIDS=""
	SIM_PIDS=""
	CTL_PID=""
	CLK_TCK=$(getconf CLK_TCK)
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

bench_log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

now_ms() { date +%s%3N; }

bench_setup() { # NODES
	echo "== setup"
	echo "machine:    $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory"
	echo "kernel:     $(uname -sr)"
	echo "postgresql: $("$PG_BIN/postgres" --version | sed 's/^postgres (PostgreSQL) //')"
	echo "openssl:    $(openssl version | cut -d' ' -f2)"
	echo "colossus:   $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "build:      $BUILD ($(grep -q '^SANITIZER_CFLAGS = -f' "$BUILD/Makefile" 2>/dev/null && echo 'WITH SANITIZERS: figures are not representative' || echo 'no sanitizers'); CFLAGS $(sed -n 's/^CFLAGS = //p' "$BUILD/Makefile"))"
	echo "nodes:      $1 simulated (8 GPUs each)"
	echo "fd limit:   $(ulimit -Sn) soft / $(ulimit -Hn) hard per process"
	echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average before starting; other work on this machine skews every figure)"
	echo "work dir:   $B"
}

bench_pki() {
	"$SRC/scripts/colossus-certs" "$B/pki" --controller controller \
		--admin admin1 --user alice --sim simulator >/dev/null ||
		{ echo "$BENCH_NAME: certificates failed" >&2; exit 1; }
}

# A private PostgreSQL on a Unix socket.  Unlike tests/lib/pg.sh (fsync
# off, for speed), commits here reach the disk unless "fast" is given:
# the benchmarks measure durable work.
bench_pg_start() { # [fast]
	_fs=on
	[ "${1:-}" = fast ] && _fs=off
	PG_DIR=$B/pg
	mkdir -p "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
	PG_PORT=$(( 20000 + $$ % 20000 ))
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U colossus \
		-E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; exit 1; }
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-w -t 60 -o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=$_fs -c synchronous_commit=on -c max_connections=50 -c shared_buffers=256MB -c max_wal_size=4GB" \
		start >/dev/null 2>&1 || { cat "$PG_DIR/server.log" >&2; exit 1; }
	PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	PG_CONNINFO="host=$PG_DIR port=$PG_PORT user=colossus dbname=colossus"
	pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U colossus colossus ||
		exit 1
	PG_FSYNC=$_fs
	export PG_CONNINFO PG_PID PG_DIR PG_BIN PG_PORT
	echo "postgres:   pid $PG_PID, fsync=$_fs, synchronous_commit=on"
}

bench_psql() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$PG_CONNINFO" -c "$1"; }

bench_ctl_start() { # [section.key=value ...]
	cat > "$B/controller.conf" <<CONF
[controller]
listen = 127.0.0.1:${CTL_PORT:-0}
id = bench-controller
[tls]
ca_file = $B/pki/ca.pem
cert_file = $B/pki/controller.pem
key_file = $B/pki/controller.key
[database]
conninfo = $PG_CONNINFO
CONF
	_sets="--set limits.allow_simulator=true"
	for kv in "$@"; do _sets="$_sets --set $kv"; done
	touch "$B/controller.log"
	_lines=$(wc -l < "$B/controller.log")
	# shellcheck disable=SC2086
	"$CTL_BIN" -c "$B/controller.conf" $_sets >>"$B/controller.log" 2>&1 &
	CTL_PID=$!
	BENCH_PIDS="$BENCH_PIDS $CTL_PID"
	bench_wait 120 sh -c "tail -n +$((_lines + 1)) '$B/controller.log' | grep -q 'active: serving'" || {
		tail -n 20 "$B/controller.log" >&2
		echo "$BENCH_NAME: controller did not start" >&2; exit 1; }
	CTL_PORT=$(tail -n +$((_lines + 1)) "$B/controller.log" |
		sed -n 's/.*active: serving on .*(port \([0-9]*\)).*/\1/p' | tail -n 1)
	CTL_ADDR=127.0.0.1:$CTL_PORT
}

bench_ctl_stop() { # [SIGNAL]
	[ -n "$CTL_PID" ] || return 0
	kill "-${1:-TERM}" "$CTL_PID" 2>/dev/null
	for _i in $(seq 1 100); do
		kill -0 "$CTL_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$CTL_PID" 2>/dev/null
	wait "$CTL_PID" 2>/dev/null
	CTL_PID=""
}

bench_cli() { # USER ARGS...
	_u=$1; shift
	"$CLI_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" \
		--cert "$B/pki/$_u.pem" --key "$B/pki/$_u.key" --timeout 300s "$@"
}

# The site layout with at least NODES nodes (scripts/gen-topology.sh):
# phase 1 (12,544) or phase 2 (25,088), or one hall of as many 64-node
# pods as needed for small runs.  Sets TOPO_NODES, applies it.
bench_topology() { # NODES
	if [ "$1" -le 12544 ] && [ "$1" -gt 3136 ]; then
		"$SRC/scripts/gen-topology.sh" --phase 1 > "$B/topology.txt"
	elif [ "$1" -gt 12544 ]; then
		"$SRC/scripts/gen-topology.sh" --phase 2 > "$B/topology.txt"
	else
		"$SRC/scripts/gen-topology.sh" --halls 1 \
			--pods-per-hall $(( ($1 + 63) / 64 )) > "$B/topology.txt"
	fi
	TOPO_NODES=$(awk '$1 == "node" { split($2, a, /[][-]/); n += (a[3] ? a[3] - a[2] + 1 : 1) } END { print n }' "$B/topology.txt")
	_t0=$(now_ms)
	bench_cli admin1 topology apply "$B/topology.txt" > "$B/topology.out" 2>&1 || {
		cat "$B/topology.out" >&2; echo "$BENCH_NAME: topology apply failed" >&2; exit 1; }
	TOPO_APPLY_MS=$(( $(now_ms) - _t0 ))
}

# Node names n00001.. as gen-topology.sh numbers them.
bench_nodelist() { printf 'n[00001-%05d]' "$1"; }

# Identities of the simulated agents: one OU=sim certificate for all
# (the controller runs with limits.allow_simulator=true), or with
# BENCH_CERTS=per-node a key and certificate per node made by the
# simulator (~0.5 ms each on an idle core, minutes on a busy one; the
# connect storm always does this).  BENCH_CONNECT_RATE=R starts R agents
# a second (default 0: all at once) in the benchmarks other than the
# connect storm (its --connect-rate option), for a loaded machine.
bench_sim_id_args() {
	if [ "${BENCH_CERTS:-sim}" = per-node ]; then
		SIM_ID_ARGS="--ca-key $B/pki/ca.key"
		SIM_ID_DESC="one certificate per node, made in process"
	else
		SIM_ID_ARGS="--sim-cert $B/pki/simulator.pem --sim-key $B/pki/simulator.key"
		SIM_ID_DESC="one OU=sim certificate for every node (BENCH_CERTS=per-node: one each)"
	fi
}

bench_sim_start() { # K ARGS...
	_k=$1; shift
	for _i in $(seq 1 "$_k"); do
		"$SIM_BIN" --controller "$CTL_ADDR" --ca "$B/pki/ca.pem" \
			--slice "$_i/$_k" --connect-rate "${BENCH_CONNECT_RATE:-0}" \
			"$@" > "$B/sim.$_i.log" 2>&1 &
		SIM_PIDS="$SIM_PIDS $!"
		BENCH_PIDS="$BENCH_PIDS $!"
	done
}

bench_sim_stop() {
	for p in $SIM_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $SIM_PIDS; do
		for _i in $(seq 1 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SIM_PIDS=""
}

# Sum of a field over the last statistics line of every simulator.
bench_sim_stat() { # FIELD
	for f in "$B"/sim.*.log; do
		grep '^sim: t=' "$f" | tail -n 1
	done | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

# Wall time (ms) of the last "event=NAME" line of each simulator, the
# latest of them; empty if some simulator has not printed it yet.
bench_sim_event_ms() { # NAME [AFTER_MS]
	_latest=0
	for f in "$B"/sim.*.log; do
		_t=$(sed -n "s/^sim: event=$1 .*wall_ms=\([0-9]*\).*/\1/p" "$f" | tail -n 1)
		[ -n "$_t" ] && [ "$_t" -gt "${2:-0}" ] || return 1
		[ "$_t" -gt "$_latest" ] && _latest=$_t
	done
	echo "$_latest"
}

bench_wait() { # SECONDS CMD...
	_deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.2
	done
}

# utime + stime of PID, in clock ticks.
bench_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
bench_rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
bench_hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# CPU of PID over SECONDS as % of one core.
bench_cpu_pct() { # PID SECONDS
	_a=$(bench_cpu_ticks "$1"); _t0=$(now_ms)
	sleep "$2"
	_b=$(bench_cpu_ticks "$1"); _t1=$(now_ms)
	awk -v a="$_a" -v b="$_b" -v hz="$CLK_TCK" -v ms=$((_t1 - _t0)) \
		'BEGIN { printf "%.1f", (b - a) / hz * 100000 / ms }'
}

bench_cleanup() {
	_st=$?
	for p in $BENCH_PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $BENCH_PIDS; do kill -KILL "$p" 2>/dev/null; done
	pg_stop 2>/dev/null
	if [ -n "${KEEP:-}" ] || [ "$_st" -ne 0 ]; then
		echo "(work folder kept: $B)" >&2
	else
		rm -rf "$B"
	fi
	exit "$_st"
}
