#!/bin/sh
# The controller's own limits keep one client from crowding out others
# (DESIGN invariant 7; issue 8 "limits and robustness"):
# - limits.submit_rate/submit_burst: a token bucket per certificate
#   identity; a burst beyond it gets STATUS_BUSY (8) with a clear message,
#   other identities and other calls are unaffected;
# - limits.max_connections: connections beyond it are refused with a
#   clear log line, and accepted again once others close;
# - limits.max_handshakes: connections beyond it wait in the accept queue
#   and are served once the handshakes in progress end.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init limits
RPC=$top_builddir/tests/tools/rpcsend
FLOOD=$top_builddir/tests/tools/connflood
send() { # CERT MODE [ARG...]
	_c=$1; shift
	timeout 60 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/$_c.pem" --key "$T/pki/$_c.key" "$@" 2>&1
}

ctl_start --set limits.submit_rate=1 --set limits.submit_burst=5 \
	--set limits.max_connections=20 --set limits.handshake_timeout=5s
# 30 submissions one after the other: the bucket holds 5 and refills at
# 1/s, so all 30 could only pass if they took 25 s.
out=$(send alice --count 30 submit)
nok=$(printf '%s\n' "$out" | grep -c '^status=0 ')
nbusy=$(printf '%s\n' "$out" | grep -c '^status=8 ')
diag "30 submissions: $nok accepted, $nbusy busy"
[ "$nok" -ge 5 ] && [ "$nbusy" -ge 1 ] && [ $((nok + nbusy)) -eq 30 ]
ok $? "a burst beyond the bucket gets BUSY, the rest is accepted"
like "$(printf '%s\n' "$out" | grep '^status=8 ' | head -n 1)" \
	"submit rate limit: alice may submit 1 jobs per second \\(bursts of 5\\); retry in" \
	"  with a message that says why and when to retry"
grep -q "user 'alice' is over limits.submit_rate" "$T/controller.log"
ok $? "  and one log line naming the identity"
out=$(send bob submit)
like "$out" "^status=0 .*job=" "another identity may still submit"
out=$(send alice whoami)
like "$out" "^status=0 .*name=alice" "the limited identity is still served otherwise"
n=$(pg_psql "SELECT count(*) FROM jobs WHERE user_name = 'alice'")
is "$n" "$nok" "exactly the accepted submissions were recorded"

# max_connections: 20 silent connections fill it.
"$FLOOD" "127.0.0.1:$CTL_PORT" hold 20 4 > "$T/hold.out" &
hold_pid=$!
CLUSTER_PIDS="$CLUSTER_PIDS $hold_pid"
wait_for 20 grep -q '^holding 20' "$T/hold.out"
ok $? "20 connections are open"
out=$(send alice whoami)
unlike "$out" "^status=" "a connection beyond limits.max_connections is refused"
wait_for 20 grep -q 'connection limit reached: 20 connections open, limits.max_connections = 20' \
	"$T/controller.log"
ok $? "  with a clear log line"
wait "$hold_pid"
wait_for 30 sh -c "'$RPC' --addr 127.0.0.1:$CTL_PORT --ca '$T/pki/ca.pem' \
	--cert '$T/pki/alice.pem' --key '$T/pki/alice.key' whoami | grep -q '^status=0'"
ok $? "connections are accepted again once others close"

# max_handshakes: 5 silent connections hold every handshake slot; a
# client behind them waits in the accept queue (not refused) and is
# served when the handshake deadline (3 s) frees the slots.
ctl_stop
ctl_start --set limits.max_handshakes=5 --set limits.handshake_timeout=3s \
	--set controller.debug=rpc
"$FLOOD" "127.0.0.1:$CTL_PORT" hold 5 20 > "$T/hold2.out" &
hold_pid=$!
CLUSTER_PIDS="$CLUSTER_PIDS $hold_pid"
wait_for 20 grep -q '^holding 5' "$T/hold2.out"
wait_for 20 grep -q '5 TLS handshakes in progress (limits.max_handshakes)' \
	"$T/controller.log"
ok $? "accepting pauses at limits.max_handshakes"
out=$(send alice whoami)
like "$out" "^status=0 .*name=alice" "a client behind max_handshakes silent peers is served"
kill "$hold_pid" 2>/dev/null
wait "$hold_pid" 2>/dev/null
kill -0 "$CTL_PID"
ok $? "the controller is still running"
ctl_stop
unlike "$(cat "$T/controller.log")" "Sanitizer|runtime error" \
	"the controller stops without a sanitizer report"
done_testing
