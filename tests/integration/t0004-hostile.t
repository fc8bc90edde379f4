#!/bin/sh
# Hostile and mistaken peers get clear errors and the controller keeps
# serving (invariants 6 and 7): an agent certificate for another node, an
# unknown node, garbage, oversized, empty and future-version frames,
# heartbeats before registration, and a submitter naming someone else.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init hostile
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
"$top_srcdir/scripts/colossus-certs" "$T/pki" --node n00001 --node n00099 >/dev/null
RPC=$top_builddir/tests/tools/rpcsend
send() { # CERT MODE [ARG]
	_c=$1; shift
	timeout 20 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/$_c.pem" --key "$T/pki/$_c.key" "$@"
}

out=$(send n00001 register n00002)
like "$out" "^status=3 .*certificate is for node 'n00001', not 'n00002'" \
	"an agent may speak only for the node in its certificate"
out=$(send n00099 register n00099)
like "$out" "^status=2 .*unknown node 'n00099'" "an unknown node is refused"
out=$(send n00001 heartbeat)
like "$out" "^status=1 .*before registration" "a heartbeat before registering is an error"
out=$(send alice register n00001)
like "$out" "^status=3 .*not allowed for role user" "a user cannot call agent methods"
out=$(send n00001 whoami)
like "$out" "^status=0 .*role=node" "an agent may ask who it is"
out=$(send alice garbage 64)
like "$out" "^status=1 .*malformed frame" "a garbage frame gets an error reply"
out=$(send alice oversize 100000000)
like "$out" "^status=1 .*exceeds the limit" "an oversized frame gets an error reply"
out=$(send alice empty)
like "$out" "^status=1 .*empty frame" "an empty frame gets an error reply"
out=$(send alice unknown)
like "$out" "^status=6 " "a request body this server does not know is unsupported"
out=$(send alice version)
like "$out" "^status=7 .*not supported" "another major protocol version is refused"
out=$(send alice submit-as bob)
id=$(echo "$out" | sed -n 's/.* job=\([0-9]*\).*/\1/p')
like "$out" "^status=0 " "a submission is accepted"
owner=$(pg_psql "SELECT user_name FROM jobs WHERE id = ${id:-0}")
is "$owner" "alice" "the owner comes from the certificate, not the request"

out=$(send alice whoami)
like "$out" "^status=0 .*name=alice role=user" "the controller still serves after all that"
kill -0 "$CTL_PID"
ok $? "the controller process is alive"
done_testing
