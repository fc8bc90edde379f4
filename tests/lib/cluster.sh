# A test cluster: a private PostgreSQL, a development PKI, the real
# controller, simulated-GPU agents and the real CLI, all on loopback or
# Unix sockets in one temporary folder.  Every process started here is
# recorded and stopped by its PID when the test exits.
#
#   cluster_init NAME           temp dir, certificates, PostgreSQL
#   cluster_topology FILE       load a topology (via the admin CLI)
#   ctl_start [--set k=v ...]   start the controller; sets CTL_PORT
#   agent_start NODE [--set k=v ...]
#   agent_stop NODE [SIGNAL]
#   cli USER ARGS...            run the CLI with USER's certificate
#   cluster_cleanup             (installed as an EXIT trap)
#
# Variables: T (the folder), top_builddir, top_srcdir.  CTL_ADDRS, when
# set, is the controller list agents and the CLI use (a pair, for HA).
# COLOSSUS_WRAPPER (environment): a command the controller and agents are
# started under, e.g. "valgrind --log-file=..." (tests/valgrind/run.sh);
# the daemons then get more time to stop before SIGKILL.
# COLOSSUS_CTL_ARGS (environment): controller options put before the
# test's own (a slow wrapper needs a longer lease: "--set nodes.lease=60s").

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"

CONTROLLER_BIN=$top_builddir/colossus-controller
AGENT_BIN=$top_builddir/colossus-nodeagent
CLI_BIN=$top_builddir/colossus
CLUSTER_PIDS=""
# Tenths of a second a daemon gets to stop after SIGTERM.
if [ -n "${COLOSSUS_WRAPPER:-}" ]; then CLUSTER_STOP_TICKS=600; else CLUSTER_STOP_TICKS=100; fi

cluster_require() {
	pg_find_bin || skip_all "no PostgreSQL server binaries (apt-get install postgresql)"
	[ -x "$CONTROLLER_BIN" ] || bail_out "$CONTROLLER_BIN not built"
	[ -x "$AGENT_BIN" ] || bail_out "$AGENT_BIN not built"
	command -v openssl >/dev/null || skip_all "openssl not installed"
}

cluster_init() {
	cluster_require
	T=$(mktemp -d "/tmp/colossus-$1.XXXXXX")
	chmod 755 "$T"
	trap cluster_cleanup EXIT
	trap 'exit 1' INT TERM
	TNAME=$(basename "$T" | tr -c 'A-Za-z0-9\n' '-')
	mkdir -p "$T/pki" "$T/agents"
	"$top_srcdir/scripts/colossus-certs" "$T/pki" --controller controller \
		--admin root --admin admin1 --user alice --user bob --user nobody \
		--monitor mon1 >/dev/null || bail_out "certificates"
	# A private port per test so parallel tests do not share a socket.
	PG_PORT=$(( 20000 + $$ % 20000 ))
	pg_start "$T/pg" || bail_out "PostgreSQL did not start"
	CLUSTER_PIDS="$CLUSTER_PIDS $PG_PID"
}

ctl_start() {
	cat > "$T/controller.conf" <<CONF
[controller]
listen = 127.0.0.1:${CTL_PORT:-0}
id = test-controller
[tls]
ca_file = $T/pki/ca.pem
cert_file = $T/pki/controller.pem
key_file = $T/pki/controller.key
[database]
conninfo = $PG_CONNINFO
[nodes]
heartbeat_interval = 1s
lease = 4s
[jobs]
kill_grace = 2s
requeue_backoff = 0s
CONF
	: > "$T/controller.log"
	${COLOSSUS_WRAPPER:-} "$CONTROLLER_BIN" -c "$T/controller.conf" ${COLOSSUS_CTL_ARGS:-} "$@" >>"$T/controller.log" 2>&1 &
	CTL_PID=$!
	CLUSTER_PIDS="$CLUSTER_PIDS $CTL_PID"
	wait_for 30 grep -q 'active: serving' "$T/controller.log" || {
		cat "$T/controller.log" >&2; bail_out "controller did not start"; }
	CTL_PORT=$(sed -n 's/.*active: serving on .*(port \([0-9]*\)).*/\1/p' "$T/controller.log" | tail -n 1)
	export CTL_PORT
}

ctl_stop() { # [SIGNAL]
	[ -n "${CTL_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$CTL_PID" 2>/dev/null
	for _i in $(seq 1 "$CLUSTER_STOP_TICKS"); do
		kill -0 "$CTL_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$CTL_PID" 2>/dev/null || true
	wait "$CTL_PID" 2>/dev/null || true
	CTL_PID=
}

agent_start() { # NODE [--set k=v ...]
	_n=$1; shift
	[ -f "$T/pki/$_n.pem" ] || "$top_srcdir/scripts/colossus-certs" "$T/pki" --node "$_n" >/dev/null
	mkdir -p "$T/agents/$_n"
	cat > "$T/agents/$_n/agent.conf" <<CONF
[agent]
controllers = ${CTL_ADDRS:-127.0.0.1:$CTL_PORT}
state_dir = $T/agents/$_n/state
control_socket = $T/agents/$_n/control.sock
address = 127.0.0.1
[tls]
ca_file = $T/pki/ca.pem
cert_file = $T/pki/$_n.pem
key_file = $T/pki/$_n.key
[gpu]
backend = sim
kmsg =
[launch]
cgroup_parent = colossus-test-$TNAME-$_n
allow_root = true
kill_timeout = 10s
CONF
	# A restarted agent appends to its old log: wait for a registration
	# more than the log already holds.
	_regs=$(agent_registrations "$_n")
	${COLOSSUS_WRAPPER:-} "$AGENT_BIN" -c "$T/agents/$_n/agent.conf" "$@" >>"$T/agents/$_n/agent.log" 2>&1 &
	eval "AGENT_PID_$(echo "$_n" | tr -c 'A-Za-z0-9\n' '_')=$!"
	CLUSTER_PIDS="$CLUSTER_PIDS $!"
	wait_for 60 agent_registered_since "$_n" "$_regs"
}

agent_registrations() { # NODE: how many registrations its log holds
	[ -f "$T/agents/$1/agent.log" ] || { echo 0; return 0; }
	grep -c 'registered with controller' "$T/agents/$1/agent.log" || true
}

agent_registered_since() { # NODE COUNT
	[ "$(agent_registrations "$1")" -gt "$2" ]
}

agent_pid() { eval "echo \${AGENT_PID_$(echo "$1" | tr -c 'A-Za-z0-9\n' '_'):-}"; }

agent_stop() { # NODE [SIGNAL]
	_p=$(agent_pid "$1")
	[ -n "$_p" ] || return 0
	kill "-${2:-TERM}" "$_p" 2>/dev/null
	for _i in $(seq 1 "$CLUSTER_STOP_TICKS"); do
		kill -0 "$_p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$_p" 2>/dev/null || true
	wait "$_p" 2>/dev/null || true
}

# Send one line to an agent's control socket, print the reply.
agent_control() { # NODE COMMAND...
	_sock=$T/agents/$1/control.sock; shift
	timeout 10 "$AGENT_BIN" --control "$_sock" "$*"
}

cli() { # USER ARGS...
	_u=$1; shift
	"$CLI_BIN" --controller "${CTL_ADDRS:-127.0.0.1:$CTL_PORT}" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/$_u.pem" --key "$T/pki/$_u.key" "$@"
}

# A small topology: NR racks of NN nodes, one pod, one hall.
cluster_small_topology() { # NRACKS NODES_PER_RACK [MODEL]
	_f=$T/topology.txt
	{
		echo "hall h1"
		echo "pod p001 hall=h1"
		_i=0
		for r in $(seq 1 "$1"); do
			_rn=$(printf 'r%04d' "$r")
			echo "rack $_rn pod=p001"
			_first=$((_i + 1)); _i=$((_i + $2))
			echo "node n[$(printf '%05d' $_first)-$(printf '%05d' $_i)] rack=$_rn gpus=8 model=${3:-H100}"
		done
	} > "$_f"
	echo "$_f"
}

# Every shepherd started under this test's agents, by recorded PID.
cluster_kill_shepherds() {
	for f in "$T"/agents/*/state/w-*/shepherd; do
		[ -f "$f" ] || continue
		_p=$(cut -d' ' -f1 "$f")
		[ -n "$_p" ] && kill -KILL "$_p" 2>/dev/null
		for pf in "$(dirname "$f")"/pid.*; do
			[ -f "$pf" ] && kill -KILL "-$(cat "$pf")" "$(cat "$pf")" 2>/dev/null
		done
	done
	for cg in /sys/fs/cgroup/unified/colossus-test-"$TNAME"-* /sys/fs/cgroup/colossus-test-"$TNAME"-*; do
		[ -d "$cg" ] || continue
		for j in "$cg"/*/; do
			[ -f "$j/cgroup.kill" ] && echo 1 > "$j/cgroup.kill" 2>/dev/null
			rmdir "$j" 2>/dev/null
		done
		rmdir "$cg" 2>/dev/null
	done
}

cluster_cleanup() {
	_st=$?
	for p in $CLUSTER_PIDS; do
		[ "$p" = "${PG_PID:-}" ] && continue
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	# Under a wrapper (valgrind) stopping takes longer: leak reports
	# are only written by a process that exits by itself.
	if [ -n "${COLOSSUS_WRAPPER:-}" ]; then
		for p in $CLUSTER_PIDS; do
			[ "$p" = "${PG_PID:-}" ] && continue
			for _i in $(seq 1 "$CLUSTER_STOP_TICKS"); do
				kill -0 "$p" 2>/dev/null || break
				sleep 0.1
			done
		done
	fi
	for p in $CLUSTER_PIDS; do
		[ "$p" = "${PG_PID:-}" ] && continue
		kill -KILL "$p" 2>/dev/null
	done
	cluster_kill_shepherds 2>/dev/null
	pg_stop
	if [ "$_st" -ne 0 ] || [ "$TAP_FAILED" -ne 0 ]; then
		for l in "$T"/controller*.log "$T"/agents/*/agent.log; do
			[ -f "$l" ] || continue
			diag "---- $l (last 40 lines)"
			tail -n 40 "$l" | sed 's/^/# /'
		done
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else diag "kept $T"; fi
	exit "$_st"
}
