# Helpers for the CLI (t06NN) and scheduler (t03NN) integration tests, on
# top of tests/lib/cluster.sh.
#
#   cli_cluster NAME NRACKS NODES_PER_RACK [ctl_start args]
#                           cluster, topology, agents, an output folder
#   jq_ PATH...             tests/tools/jsoncheck on stdin (--json back)
#   job_state ID            the job's state word (as nobody)
#   state_is ID STATE       for wait_for
#   running_count           jobs running or starting
#   rc_of CMD...            run CMD, print only its exit status
#
# Variables: OUT (a folder every user may write, for job output).

. "$top_srcdir/tests/lib/cluster.sh"

JSONCHECK=$top_builddir/tests/tools/jsoncheck

cli_cluster() { # NAME NRACKS NODES_PER_RACK [ctl_start args...]
	_name=$1 _nr=$2 _nn=$3
	shift 3
	cluster_init "$_name"
	[ -x "$JSONCHECK" ] || bail_out "$JSONCHECK not built"
	# Agents register one after the other: a lease longer than that keeps
	# the last ones from being declared lost before they start.
	ctl_start --set nodes.lease=15s "$@"
	cli root topology apply "$(cluster_small_topology "$_nr" "$_nn")" \
		>/dev/null || bail_out "topology"
	_i=0
	for _r in $(seq 1 "$_nr"); do
		for _k in $(seq 1 "$_nn"); do
			_i=$((_i + 1))
			agent_start "$(printf 'n%05d' "$_i")" ||
				bail_out "agent $_i did not register"
		done
	done
	_want=$((_nr * _nn))
	_up() { [ "$(cli nobody nodes --json | "$JSONCHECK" '.nodes[].state' |
		grep -c '^up$')" -eq "$_want" ]; }
	wait_for 30 _up || bail_out "nodes not up"
	OUT=$T/out
	mkdir -p "$OUT" && chmod 1777 "$OUT"
}

jq_() { "$JSONCHECK" "$@"; }

job_state() { cli nobody job show "$1" --json | "$JSONCHECK" .state; }

state_is() { [ "$(job_state "$1")" = "$2" ]; }

# Jobs holding nodes now.
running_count() {
	cli nobody jobs --state starting,running --format id --no-header | wc -l
}

rc_of() {
	"$@" >/dev/null 2>&1
	echo $?
}
