#!/bin/sh
# The node agent's own /metrics ([agent] metrics_listen): valid
# Prometheus exposition (promtool check metrics) describing its node:
# the controller link, its GPUs' readings as the (simulated) backend
# gives them, faults injected through the control socket, NIC links,
# workloads and the GPUs they hold; /readyz follows the registration, so
# a site can alert on a node that lost its controller without asking
# the controller.  Off by default: an agent without the key opens no
# port.
#
# Protects what operators need to see DESIGN invariant 5 hold per node
# (a GPU or NIC fault is visible where it happens) and invariant 3 (a
# node's GPUs are held only by the workloads it runs).
. "$top_srcdir/tests/lib/cluster.sh"
command -v curl >/dev/null || skip_all "curl not installed"
cluster_init agentmetrics

ctl_start
out=$(cli root topology apply "$(cluster_small_topology 1 2)" 2>&1)
ok $? "topology: 1 rack of 2 nodes" || diag "$out"

# A fake sysfs with one RDMA rail, so NIC state is the test's.
mkdir -p "$T/sysnet/ib0"
echo up > "$T/sysnet/ib0/operstate"
echo 1 > "$T/sysnet/ib0/carrier"
echo 400000 > "$T/sysnet/ib0/speed"
agent_start n00001 --set agent.metrics_listen=127.0.0.1:0 \
	--set nic.interfaces=ib0 --set "nic.sysfs_net=$T/sysnet"
ok $? "agent n00001 registered with metrics_listen"
agent_start n00002
ok $? "agent n00002 registered without it"
L=$T/agents/n00001/agent.log
MP=$(sed -n 's/.*metrics: serving \/metrics on .*(port \([0-9]*\)).*/\1/p' "$L" | tail -n 1)
like "$MP" '^[0-9]+$' "the agent logs its metrics port ($MP)"
unlike "$(cat "$T/agents/n00002/agent.log")" 'metrics: serving' \
	"an agent without metrics_listen serves nothing"
U=http://127.0.0.1:$MP

scrape() { curl -sf -D "$T/m.hdr" -o "$T/m.txt" "$U/metrics"; }
scrape
ok $? "/metrics answers"
like "$(cat "$T/m.hdr")" 'Content-Type: text/plain; version=0.0.4' \
	"with the Prometheus content type"
if command -v promtool >/dev/null; then
	lint=$(promtool check metrics < "$T/m.txt" 2>&1)
	ok $? "promtool check metrics accepts the exposition" || diag "$lint"
else
	TAP_N=$((TAP_N + 1)); printf 'ok %d # SKIP promtool not installed\n' "$TAP_N"
fi
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"; }
is "$(metric colossus_agent_registered)" 1 "registered"
like "$(grep '^colossus_agent_info' "$T/m.txt")" 'node="n00001",backend="sim"' \
	"the info series names the node and the backend"
is "$(metric colossus_agent_gpus)" 8 "8 GPUs found"
is "$(metric colossus_agent_gpus_expected)" 8 "8 GPUs expected by the topology"
is "$(grep -c '^colossus_gpu_info{' "$T/m.txt")" 8 "one info series per GPU"
is "$(grep -c '^colossus_gpu_temperature_celsius{' "$T/m.txt")" 8 \
	"a temperature per GPU"
is "$(metric 'colossus_nic_up{nic="ib0"}')" 1 "ib0 is up"
is "$(metric 'colossus_nic_speed_mbps{nic="ib0"}')" 400000 "at 400 Gb/s"
is "$(metric 'colossus_agent_workloads{state="running"}')" 0 "no workload yet"
code=$(curl -s -o "$T/ready" -w '%{http_code}' "$U/readyz")
is "$code $(cat "$T/ready")" "200 registered" "/readyz: 200 while registered"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")
is "$code" 200 "/healthz: 200"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/nope")
is "$code" 404 "an unknown path is 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$U/metrics")
ok $([ "$code" -ge 400 ] && [ "$code" -lt 600 ]; echo $?) \
	"POST is refused ($code): read-only"

# A one-node job holds all 8 GPUs of one node; look at the node it got.
mkdir -p "$T/out" && chmod 1777 "$T/out"
id=$(cli nobody submit --quiet -N 1 -x n00002 -J agm -D "$T/out" -- /bin/sleep 300 2>&1)
ok $? "a job on n00001 submitted ($id)"
held() {
	scrape && [ "$(metric 'colossus_agent_workloads{state="running"}')" = 1 ] &&
		[ "$(metric colossus_agent_gpus_allocated)" = 8 ]
}
wait_for 30 held
ok $? "the agent counts 1 running workload holding 8 GPUs"
is "$(grep -c '^colossus_gpu_allocated{gpu="[0-9]*"} 1$' "$T/m.txt")" 8 \
	"every GPU is marked allocated"
rr=$(metric colossus_agent_ranks_running)
ok $([ "${rr:-0}" -ge 1 ]; echo $?) "ranks running ($rr)"
out=$(cli nobody cancel "$id" 2>&1)
ok $? "job cancelled" || diag "$out"
freed() { scrape && [ "$(metric colossus_agent_gpus_allocated)" = 0 ]; }
wait_for 30 freed
ok $? "the GPUs are free again after the cancel"

# Faults injected into the simulated GPUs show on the next scrape (after
# the job: the health policy may drain the node for them).
for c in "gpu temp 2 91" "gpu ecc 3 sbe 5" "gpu remap 3 pending" \
	"gpu throttle 1 hw_thermal" "gpu nvlink 4 down 2" "nic ib0 down"; do
	r=$(agent_control n00001 "$c")
	case $r in ok*) ;; *) diag "control '$c': $r" ;; esac
done
faulted() {
	scrape && [ "$(metric 'colossus_gpu_temperature_celsius{gpu="2"}')" = 91 ] &&
		[ "$(metric 'colossus_nic_up{nic="ib0"}')" = 0 ]
}
wait_for 20 faulted
ok $? "GPU 2 at 91 C and ib0 down are visible"
is "$(metric 'colossus_gpu_ecc_errors{gpu="3",type="sbe",counter="volatile"}')" 5 \
	"GPU 3: 5 corrected ECC errors"
is "$(metric 'colossus_gpu_remap_pending{gpu="3"}')" 1 "GPU 3: a row remap pending"
is "$(metric 'colossus_gpu_throttled{gpu="1",reason="hw_thermal"}')" 1 \
	"GPU 1: thermal throttling"
is "$(metric 'colossus_gpu_nvlinks_down{gpu="4"}')" 1 "GPU 4: one NVLink down"
tr=$(metric 'colossus_nic_link_transitions_total{nic="ib0"}')
ok $([ "${tr:-0}" -ge 1 ]; echo $?) "ib0's transition counted ($tr)"

# A real Prometheus scrapes the agent and evaluates the shipped
# per-node rules on its series (skipped without prometheus).
agent_control n00001 "gpu remap 5 failure" >/dev/null
if command -v prometheus >/dev/null; then
	rules=$top_srcdir/etc/colossus-alerts.yml
	mkdir -p "$T/prom"
	cat > "$T/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: colossus-nodes
    static_configs:
      - targets: ['127.0.0.1:$MP']
YML
	PROM_PID=
	for try in 1 2 3; do
		PP=$(( 40000 + ($$ * 11 + try * 1013) % 20000 ))
		prometheus --config.file="$T/prom/prometheus.yml" \
			--storage.tsdb.path="$T/prom/data" \
			--web.listen-address="127.0.0.1:$PP" --log.level=warn \
			>"$T/prom/prometheus.log" 2>&1 &
		PROM_PID=$!
		CLUSTER_PIDS="$CLUSTER_PIDS $PROM_PID"
		ready() { curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null; }
		wait_for 30 ready && break
		kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null
		PROM_PID=
	done
	ok $([ -n "$PROM_PID" ]; echo $?) "a Prometheus server scrapes the agent (port $PP)" ||
		sed 's/^/# /' "$T/prom/prometheus.log"
	alert() { # NAME
		curl -sf --get "http://127.0.0.1:$PP/api/v1/query" \
			--data-urlencode "query=ALERTS{alertname=\"$1\"}" |
			grep -q '"alertname":"'"$1"'"'
	}
	wait_for 30 alert ColossusGpuRemapFailed
	ok $? "the shipped ColossusGpuRemapFailed rule fires on GPU 5"
	wait_for 30 alert ColossusNicDown
	ok $? "ColossusNicDown is pending for ib0"
	kill "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
else
	for i in 1 2 3; do
		TAP_N=$((TAP_N + 1)); printf 'ok %d # SKIP prometheus not installed\n' "$TAP_N"
	done
fi

# SIGHUP rereads the file: reloadable keys apply, the others (such as
# metrics_listen) keep their running value with a warning.
conf=$T/agents/n00001/agent.conf
sed -i -e 's/^\[agent\]$/[agent]\nlog_level = debug\nmetrics_listen = 127.0.0.1:1/' "$conf"
kill -HUP "$(agent_pid n00001)"
wait_for 20 grep -q 'configuration reloaded' "$L"
ok $? "SIGHUP: the agent reloads its configuration"
like "$(cat "$L")" 'reload: agent.metrics_listen changed; it takes effect at the next restart' \
	"... and says that metrics_listen needs a restart"
scrape
ok $? "... and keeps serving /metrics on port $MP"

# Without a controller the agent keeps answering, and says so.
ctl_stop
ok $? "controller stopped"
unready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/readyz")" = 503 ]; }
wait_for 30 unready
ok $? "/readyz: 503 once the agent lost its controller"
scrape && is "$(metric colossus_agent_registered)" 0 \
	"colossus_agent_registered is 0 and /metrics still answers"
agent_stop n00001
like "$(tail -n 1 "$L")" 'colossus-nodeagent stopped' "SIGTERM: the agent stops cleanly"
unlike "$(cat "$L")" 'Sanitizer|runtime error' "... with no sanitizer report"
done_testing
