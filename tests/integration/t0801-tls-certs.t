#!/bin/sh
# Who may connect at all (DESIGN invariant 6: identity comes from the
# certificate).  Refused at the handshake: an expired certificate, one
# from another CA, a revoked one (also revoked while the controller runs,
# then SIGHUP), no certificate, a plain TCP client and a TLS 1.2-only
# client while TLS 1.3 is required.  Refused right after it, with an
# error saying why: a controller certificate used as a client, a
# simulator certificate without limits.allow_simulator, an unknown role
# and an ambiguous one.  A valid user is served throughout.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init tlscerts
pki=$T/pki
RPC=$top_builddir/tests/tools/rpcsend
certs() { "$top_srcdir/scripts/colossus-certs" "$@" >/dev/null; }
send() { # CERT_PATH_WITHOUT_SUFFIX MODE [ARG]
	_c=$1; shift
	# --wait-alert: read the server's refusal before sending a request.
	timeout 20 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$pki/ca.pem" \
		--cert "$_c.pem" --key "$_c.key" --wait-alert 300 "$@" 2>&1
}
# A certificate with any subject, signed by our CA.
custom_cert() { # NAME SUBJECT
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null
	openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 30 -sha256 -out "$pki/$1.pem" 2>/dev/null
}
s_client() { # ARGS...: prints what openssl s_client saw
	printf 'hello' | timeout 20 openssl s_client -connect "127.0.0.1:$CTL_PORT" \
		-CAfile "$pki/ca.pem" -ign_eof "$@" 2>&1
}

certs "$pki" --user carol --user dave --sim sim1 --crl
certs "$pki" --revoke carol
# The CA exists already, so only this certificate gets the negative age.
certs "$pki" --days -1 --user olduser
certs "$T/other" --user alice
custom_cert wizard "/O=Colossus/OU=wizard/CN=merlin"
custom_cert twohats "/O=Colossus/OU=user/OU=admin/CN=twohats"

# The list is named only on the command line: a reload (SIGHUP) must
# keep --set overrides, or it would silently drop the revocation list.
ctl_start --set "tls.crl_file=$pki/crl.pem"

out=$(send "$pki/alice" whoami)
like "$out" "^status=0 .*name=alice role=user" "a valid user certificate is accepted"
out=$(send "$pki/carol" whoami)
like "$out" "^closed.*certificate revoked" "a revoked certificate is refused at the handshake"
wait_for 10 grep -q 'warn: conn 127.0.0.1:[0-9]*: TLS handshake refused: certificate revoked (subject .*CN=carol' \
	"$T/controller.log"
ok $? "  and logged at warn with the reason and the subject"
out=$(send "$pki/dave" whoami)
like "$out" "^status=0 .*name=dave" "a certificate that is not revoked is accepted"
if openssl x509 -checkend 0 -noout -in "$pki/olduser.pem" >/dev/null; then
	ok 0 "# SKIP this openssl cannot issue an expired certificate"
else
	out=$(send "$pki/olduser" whoami)
	like "$out" "^closed.*certificate expired" "an expired certificate is refused"
fi
out=$(send "$T/other/alice" whoami)
like "$out" "^closed.*unknown ca" "a certificate from another CA is refused"
unlike "$out" "status=" "  and gets no answer to its request"

out=$(send "$pki/controller" whoami)
like "$out" "^status=3 .*controller certificates may not connect" \
	"a controller certificate is refused as a client, with the reason"
out=$(send "$pki/sim1" whoami)
like "$out" "^status=3 .*allow_simulator" "a simulator certificate is refused unless allowed"
out=$(send "$pki/wizard" whoami)
like "$out" "^status=3 .*not a known role" "an unknown role (OU) is refused"
out=$(send "$pki/twohats" whoami)
like "$out" "^status=3 .*no single OU" "a certificate with two roles is refused"

out=$(s_client)
like "$out" "alert certificate required" "a client without a certificate is refused"
wait_for 10 grep -q 'warn: conn .*: TLS handshake refused: certificate required' \
	"$T/controller.log"
ok $? "  and logged at warn"
out=$(s_client -cert "$pki/alice.pem" -key "$pki/alice.key" -tls1_2)
like "$out" "alert protocol version" "a TLS 1.2 client is refused (-tls1_2)"
out=$(s_client -cert "$pki/alice.pem" -key "$pki/alice.key" -no_tls1_3)
like "$out" "alert protocol version" "a TLS 1.2 client is refused (-no_tls1_3)"
out=$("$top_builddir/tests/tools/connflood" "127.0.0.1:$CTL_PORT" plain)
is "$out" "closed" "a request in plain TCP gets no answer"

# Revoke a certificate while the controller runs; SIGHUP reloads the list.
n=$(grep -c 'configuration reloaded' "$T/controller.log")
certs "$pki" --revoke dave
kill -HUP "$CTL_PID"
wait_for 20 sh -c "[ \$(grep -c 'configuration reloaded' '$T/controller.log') -gt $n ]"
ok $? "the controller reloads on SIGHUP"
out=$(send "$pki/dave" whoami)
like "$out" "^closed.*certificate revoked" "a certificate revoked at run time is refused after SIGHUP"
out=$(send "$pki/carol" whoami)
like "$out" "^closed.*certificate revoked" "  and the one revoked before still is (--set kept on reload)"

# A flood of refused handshakes cannot fill the log: at most 10 lines
# per 10 s, then a count of those left out.  The bound is computed from
# the time the flood took (no speed is asserted).
before=$(grep -c 'TLS handshake refused' "$T/controller.log")
start=$(date +%s)
for i in 1 2 3 4; do
	pids=""
	for j in 1 2 3 4 5 6 7 8 9 10; do
		timeout 20 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$pki/ca.pem" \
			--cert "$pki/carol.pem" --key "$pki/carol.key" whoami >/dev/null 2>&1 &
		pids="$pids $!"
	done
	# Only these: a bare wait would wait for the controller too.
	wait $pids
done
secs=$(( $(date +%s) - start ))
wait_for 10 sh -c "[ \$(grep -c 'TLS handshake refused' '$T/controller.log') -ge $((before + 10)) ]"
n=$(( $(grep -c 'TLS handshake refused' "$T/controller.log") - before ))
[ "$n" -le $(( 10 * (secs / 10 + 2) )) ]
ok $? "40 refused handshakes in $secs s gave $n log lines (at most 10 per 10 s)"
if [ "$n" -lt 40 ]; then
	# Some were left out: a later refusal, once the window has passed,
	# reports how many.
	wait_for 30 sh -c "'$RPC' --addr 127.0.0.1:$CTL_PORT --ca '$pki/ca.pem' \
		--cert '$pki/carol.pem' --key '$pki/carol.key' whoami >/dev/null 2>&1; \
		sleep 1; grep -q 'refused handshakes* not logged' '$T/controller.log'"
	ok $? "  the next line says how many were not logged"
else
	ok 0 "# SKIP the 40 refusals took $secs s: none had to be left out"
fi
out=$(send "$pki/alice" whoami)
like "$out" "^status=0 .*name=alice" "other users are still served"
kill -0 "$CTL_PID"
ok $? "the controller is still running"

# Control: with tls.allow_tls12 the same TLS 1.2 client gets through, so
# the refusal above was about the version.
ctl_stop
ctl_start --set tls.allow_tls12=true
out=$(s_client -cert "$pki/alice.pem" -key "$pki/alice.key" -tls1_2)
like "$out" "New, TLSv1.2" "TLS 1.2 works when tls.allow_tls12 is set"
unlike "$out" "alert" "  without an alert"
ctl_stop
unlike "$(cat "$T/controller.log")" "Sanitizer|runtime error" \
	"the controller stops without a sanitizer report"
done_testing
