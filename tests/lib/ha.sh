# Helpers for the durability and HA tests (tests/integration/t07*.t), on
# top of cluster.sh.
#
#   submitters_start K FILE-PREFIX   K concurrent CLI submit loops
#   submitters_stop                  stop them and wait
#   acked_ids                        every job id a submitter got back
#   ctl_b_start                      a second controller on the same DB
#   ctl_b_stop [SIGNAL]

# One submit loop: held jobs (nothing to schedule) with unique names;
# an id is recorded only once the CLI has printed it, i.e. acknowledged.
_submit_loop() { # K
	_k=$1; _i=0
	while [ ! -f "$T/stop-submitters" ]; do
		_i=$((_i + 1))
		if _id=$(cli nobody submit --quiet --hold -J "burst-$_k-$_i" -- /bin/true 2>>"$T/submit-$_k.err"); then
			echo "$_id burst-$_k-$_i" >> "$T/acked-$_k"
		else
			echo "burst-$_k-$_i" >> "$T/failed-$_k"
		fi
	done
}

submitters_start() { # K
	rm -f "$T/stop-submitters"
	SUBMITTER_PIDS=""
	for _k in $(seq 1 "$1"); do
		: > "$T/acked-$_k"
		: > "$T/failed-$_k"
		_submit_loop "$_k" &
		SUBMITTER_PIDS="$SUBMITTER_PIDS $!"
	done
	CLUSTER_PIDS="$CLUSTER_PIDS $SUBMITTER_PIDS"
}

submitters_stop() {
	touch "$T/stop-submitters"
	for _p in $SUBMITTER_PIDS; do wait "$_p" 2>/dev/null; done
}

acked_ids() { cat "$T"/acked-[0-9]* 2>/dev/null; }

# Submissions whose CLI gave up with an error: the controller may still
# have committed them (the answer was lost with the killed controller),
# so they may or may not be in the database.
failed_names() { cat "$T"/failed-[0-9]* 2>/dev/null; }

# Jobs in the database that no client got an id for and whose CLI did
# not report a failure either: these would be phantom jobs.  Prints them.
check_unexplained_jobs() {
	pg_psql "SELECT name FROM jobs WHERE name LIKE 'burst-%'" | LC_ALL=C sort > "$T/db-names"
	{ acked_ids | cut -d' ' -f2; failed_names; } | LC_ALL=C sort > "$T/known-names"
	comm -23 "$T/db-names" "$T/known-names"
}

# Every acknowledged job is in the database under its name (invariant
# 1), and no name appears twice (idempotent retries).  Prints problems.
check_acked_jobs() {
	pg_psql "SELECT id || ' ' || name FROM jobs WHERE name LIKE 'burst-%'" | LC_ALL=C sort > "$T/db-jobs"
	acked_ids | LC_ALL=C sort > "$T/acked-all"
	comm -23 "$T/acked-all" "$T/db-jobs"
	pg_psql "SELECT name FROM jobs WHERE name LIKE 'burst-%' GROUP BY name HAVING count(*) > 1"
}

ctl_b_start() {
	sed -e 's/^id = .*/id = test-controller-b/' \
	    -e 's/^listen = .*/listen = 127.0.0.1:0/' \
		"$T/controller.conf" > "$T/controller-b.conf"
	: > "$T/controller-b.log"
	"$CONTROLLER_BIN" -c "$T/controller-b.conf" >>"$T/controller-b.log" 2>&1 &
	CTL_B_PID=$!
	CLUSTER_PIDS="$CLUSTER_PIDS $CTL_B_PID"
	wait_for 30 grep -q 'starting as .*(port [0-9]*)' "$T/controller-b.log" || return 1
	CTL_B_PORT=$(sed -n 's/.*starting as .*(port \([0-9]*\)).*/\1/p' "$T/controller-b.log" | tail -n 1)
	export CTL_B_PORT
}

ctl_b_stop() { # [SIGNAL]
	[ -n "${CTL_B_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$CTL_B_PID" 2>/dev/null
	wait "$CTL_B_PID" 2>/dev/null
	CTL_B_PID=
}
