#!/bin/sh
# A controller told to stop (SIGTERM) while database writes are in
# flight fails them and exits cleanly: nothing it had not acknowledged
# is reported as done (invariant 1), and the callbacks of the failed
# queries run before the state they use is freed (under the sanitizers
# a use after free here fails the test; a SIGTERM at a busy moment on
# 12,544 nodes crashed the controller before).
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init ha-stop-inflight
ctl_start --set controller.debug=rpc
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
agent_start n00001
ok $? "controller and an agent up"

# Freeze PostgreSQL's processes: the next writes stay in flight.
pg_children=$(pgrep -P "$PG_PID" | tr '\n' ' ')
# shellcheck disable=SC2086
kill -STOP $pg_children
for i in 1 2 3; do
	timeout 30 "$CLI_BIN" --controller "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/nobody.pem" --key "$T/pki/nobody.key" \
		submit --quiet --hold -J "inflight$i" -- /bin/true > "$T/submit-$i.out" 2>&1 &
	CLUSTER_PIDS="$CLUSTER_PIDS $!"
done
submits() { [ "$(grep -c '(nobody): submit_job' "$T/controller.log")" -ge 3 ]; }
wait_for 10 submits
ok $? "submissions reached the controller while the database is frozen"
kill -TERM "$CTL_PID"
wait "$CTL_PID"
rc=$?
CTL_PID=
# shellcheck disable=SC2086
kill -CONT $pg_children
is "$rc" 0 "the controller exited cleanly (status 0)"
like "$(tail -n 3 "$T/controller.log")" "colossus-controller stopped" "... after logging its stop"
unlike "$(cat "$T/controller.log")" "AddressSanitizer|runtime error" "no sanitizer report"
wait_for 40 sh -c "! pgrep -f 'inflight[123]' >/dev/null"
acked=$(cat "$T"/submit-*.out | grep -c '^[0-9][0-9]*$')
is "$acked" 0 "no submission was acknowledged"
ctl_start
ok $? "the controller starts again"
listed=$(cli nobody jobs --all --json | grep -c '"name": *"inflight')
in_db=$(pg_psql "SELECT count(*) FROM jobs WHERE name LIKE 'inflight%'")
is "$listed" "$in_db" "its list matches the database"
done_testing
