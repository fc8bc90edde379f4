#!/bin/sh
# The HTTP endpoint of a controller pair: /healthz answers on both,
# /readyz is 200 only on the active controller and 503 "standby" on the
# other, the metrics say which is which (and stay valid Prometheus
# exposition on a standby that has loaded nothing); when the active one
# dies the standby's /readyz turns 200.  Then SIGHUP reloads without
# disturbing the endpoint (http_listen is not reloadable: the port
# stays), and SIGTERM stops the controller cleanly (exit status 0).
#
# Protects DESIGN invariant 2 as operators see it: a load balancer or
# alert that follows /readyz only ever sends work to the controller that
# holds the leader lock and has rebuilt its model from PostgreSQL.
. "$top_srcdir/tests/lib/cluster.sh"
command -v curl >/dev/null || skip_all "curl not installed"
cluster_init standby

http_port() { # LOG
	sed -n 's/.*http: serving.*(port \([0-9]*\)).*/\1/p' "$1" | tail -n 1
}
ctl_start --set controller.http_listen=127.0.0.1:0
A=http://127.0.0.1:$(http_port "$T/controller.log")

# The second controller: same database, its own id, ports and log.
sed -e 's/^id = .*/id = test-controller-b/' \
	-e 's/^listen = .*/listen = 127.0.0.1:0/' \
	-e 's/^\[controller\]$/[controller]\nhttp_listen = 127.0.0.1:0/' \
	"$T/controller.conf" > "$T/controller-b.conf"
: > "$T/controller-b.log"
"$CONTROLLER_BIN" -c "$T/controller-b.conf" >>"$T/controller-b.log" 2>&1 &
B_PID=$!
CLUSTER_PIDS="$CLUSTER_PIDS $B_PID"
wait_for 30 grep -q 'standing by' "$T/controller-b.log"
ok $? "a second controller stands by"
BP=$(http_port "$T/controller-b.log")
B=http://127.0.0.1:$BP

probe() { # URL -> "CODE BODY"
	_c=$(curl -s -o "$T/probe" -w '%{http_code}' "$1")
	echo "$_c $(cat "$T/probe")"
}
is "$(probe "$A/readyz")" "200 active" "active: /readyz 200 active"
is "$(probe "$B/readyz")" "503 standby" "standby: /readyz 503 standby"
is "$(probe "$B/healthz")" "200 ok" "standby: /healthz 200 (the process is fine)"

curl -sf -o "$T/b.txt" "$B/metrics"
ok $? "the standby serves /metrics"
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
is "$(metric "$T/b.txt" colossus_controller_standby) $(metric "$T/b.txt" colossus_controller_active)" \
	"1 0" "standby: colossus_controller_standby 1, _active 0"
if command -v promtool >/dev/null; then
	lint=$(promtool check metrics < "$T/b.txt" 2>&1)
	ok $? "promtool accepts a standby's exposition" || diag "$lint"
else
	TAP_N=$((TAP_N + 1)); printf 'ok %d # SKIP promtool not installed\n' "$TAP_N"
fi
curl -sf -o "$T/a.txt" "$A/metrics"
is "$(metric "$T/a.txt" colossus_controller_standby) $(metric "$T/a.txt" colossus_controller_active)" \
	"0 1" "active: colossus_controller_standby 0, _active 1"

ctl_stop KILL
ok 0 "the active controller killed with SIGKILL"
took_over() { [ "$(probe "$B/readyz")" = "200 active" ]; }
wait_for 40 took_over
ok $? "the former standby's /readyz turns 200 active"
curl -sf -o "$T/b.txt" "$B/metrics"
is "$(metric "$T/b.txt" colossus_controller_active)" 1 "... and its metrics say active"

# SIGHUP: a reloadable key changes, http_listen (restart to change)
# changes too and is kept; the endpoint keeps its port and answers.
sed -i -e 's/^http_listen = .*/http_listen = 127.0.0.1:1/' \
	-e 's/^\[controller\]$/[controller]\nlog_level = debug/' "$T/controller-b.conf"
kill -HUP "$B_PID"
wait_for 20 grep -q 'configuration reloaded' "$T/controller-b.log"
ok $? "SIGHUP reloads the configuration"
is "$(probe "$B/readyz")" "200 active" "the endpoint still answers on port $BP"

# SIGTERM: graceful, status 0.
kill -TERM "$B_PID"
st=0
wait_for 30 sh -c "! kill -0 $B_PID 2>/dev/null" || st=1
ok $st "SIGTERM stops the controller"
wait "$B_PID"
is "$?" 0 "... with exit status 0"
like "$(cat "$T/controller-b.log")" 'shutting down' "... logging that it shuts down"
done_testing
