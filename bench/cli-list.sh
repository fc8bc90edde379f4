#!/bin/sh
# Benchmark (a figure, not a test): how long `colossus jobs` takes with
# 10,000 jobs in the queue, end to end: process start, TLS handshake, the
# controller building the listing from memory, the transfer, and the
# table (or JSON) printed.  Issue 6 asks for "well under a second".
#
#   bench/cli-list.sh [BUILD_DIR] [JOBS] [RUNS]
#
# Standalone: starts a private PostgreSQL (tests/lib/pg.sh), a development
# PKI (scripts/colossus-certs) and the real controller on loopback, with an
# 8-node topology and no agents, so every job stays pending (the queue
# users poll).  The jobs arrive as arrays of 2,000 tasks, one submit
# each (a 10,000-task array overflows the controller's group-commit
# INSERT: 65,535 parameters at most; see the report of issue 6).
# Every process it starts is stopped by its PID on exit.  Prints the setup
# and, for each form of the command, the median and slowest of RUNS runs.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-.}" 2>/dev/null && pwd) || { echo "cli-list: no build directory '${1:-.}'" >&2; exit 2; }
JOBS=${2:-10000}
RUNS=${3:-10}
CTL_BIN=$BUILD/colossus-controller
CLI_BIN=$BUILD/colossus
for b in "$CTL_BIN" "$CLI_BIN"; do
	[ -x "$b" ] || { echo "cli-list: $b is not built" >&2; exit 2; }
done
. "$SRC/tests/lib/pg.sh"
pg_find_bin || { echo "cli-list: no PostgreSQL server binaries" >&2; exit 2; }

W=$(mktemp -d /tmp/colossus-bench-cli-list.XXXXXX)
chmod 755 "$W"
CTL_PID=
cleanup() {
	[ -n "$CTL_PID" ] && kill "$CTL_PID" 2>/dev/null && wait "$CTL_PID" 2>/dev/null
	pg_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$SRC/scripts/colossus-certs" "$W/pki" --controller controller --admin root \
	--user nobody >/dev/null || { echo "cli-list: certificates" >&2; exit 1; }
PG_PORT=$((30000 + $$ % 20000))
pg_start "$W/pg" >/dev/null || { echo "cli-list: PostgreSQL did not start" >&2; exit 1; }
cat > "$W/controller.conf" <<CONF
[controller]
listen = 127.0.0.1:0
id = bench-cli-list
[tls]
ca_file = $W/pki/ca.pem
cert_file = $W/pki/controller.pem
key_file = $W/pki/controller.key
[database]
conninfo = $PG_CONNINFO
CONF
"$CTL_BIN" -c "$W/controller.conf" >"$W/controller.log" 2>&1 &
CTL_PID=$!
for i in $(seq 1 300); do
	grep -q 'active: serving' "$W/controller.log" && break
	sleep 0.1
done
PORT=$(sed -n 's/.*active: serving on .*(port \([0-9]*\)).*/\1/p' "$W/controller.log" | tail -n 1)
[ -n "$PORT" ] || { echo "cli-list: controller did not start" >&2; cat "$W/controller.log" >&2; exit 1; }
cli() { # USER ARGS...
	_u=$1; shift
	"$CLI_BIN" --controller "127.0.0.1:$PORT" --ca "$W/pki/ca.pem" \
		--cert "$W/pki/$_u.pem" --key "$W/pki/$_u.key" "$@"
}
printf 'hall h1\npod p1 hall=h1\nrack r1 pod=p1\nnode n[0001-0008] rack=r1 gpus=8 model=H100\n' > "$W/topo"
cli root topology apply "$W/topo" >/dev/null || exit 1

left=$JOBS
while [ "$left" -gt 0 ]; do
	n=$((left > 2000 ? 2000 : left))
	cli nobody submit --quiet --array "0-$((n - 1))" -N 1 -t 1h -J bench-job -- /bin/true >/dev/null ||
		{ echo "cli-list: submit failed" >&2; exit 1; }
	left=$((left - n))
done
queued=$(cli nobody jobs --format id --no-header | wc -l)

now_ns() { date +%s%N; }
# Median and max of RUNS runs of the CLI command, in milliseconds.
measure() { # LABEL ARGS...
	_label=$1; shift
	: > "$W/times"
	for _r in $(seq 1 "$RUNS"); do
		_t0=$(now_ns)
		cli nobody "$@" > "$W/out" || { echo "cli-list: $* failed" >&2; exit 1; }
		_t1=$(now_ns)
		echo $(( (_t1 - _t0) / 1000 )) >> "$W/times"
		sleep 0.1 # stay well under the per-user listing rate limit
	done
	_bytes=$(wc -c < "$W/out")
	_lines=$(wc -l < "$W/out")
	sort -n "$W/times" | awk -v label="$_label" -v bytes="$_bytes" -v lines="$_lines" '
		{ v[NR] = $1 }
		END {
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-38s median %7.1f ms   max %7.1f ms   (%d lines, %d bytes)\n",
				label, med / 1000, v[NR] / 1000, lines, bytes
		}'
}

echo "# colossus jobs with a full queue"
echo "machine:    $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "software:   $("$CLI_BIN" --version), PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }')"
echo "setup:      controller on loopback TLS 1.3, 8 nodes without agents, $queued jobs pending (arrays of 1-node jobs), $RUNS runs each"
measure "colossus jobs (table)" jobs
measure "colossus jobs --json" jobs --json
measure "colossus jobs --sort priority" jobs --sort priority
measure "colossus jobs --state held (no rows)" jobs --state held
measure "colossus whoami (connection only)" whoami
