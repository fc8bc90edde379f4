#!/bin/sh
# colossus jobs (alias queue): filters, --format with every column,
# --sort, --limit, --no-header, --json parsed back, hostlist node lists,
# the reason pending jobs wait, and colour only on a terminal with
# NO_COLOR respected (issue 6, "Behaviour").  Listings are served from
# the controller's memory (DESIGN: PostgreSQL is the truth, memory the
# cache for reads).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-jobs 1 4

gate=$OUT/gate
printf '#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.2; done\n' "$gate" > "$OUT/wait.sh"
chmod 755 "$OUT/wait.sh"
r=$(cli nobody submit --quiet -N 3 -t 10m -J trainer -A llm -D "$OUT" -- "$OUT/wait.sh")
wait_for 30 state_is "$r" running
p=$(cli nobody submit --quiet -N 4 -t 10m -J big -A llm -D "$OUT" -- /bin/true)
hd=$(cli nobody submit --quiet --hold -G 2 -t 5m -J later -A vision -D "$OUT" -- /bin/true)
pend() { cli nobody job show "$p" --json | jq_ .reason | grep -q "waiting for resources"; }
wait_for 20 pend
ok $? "three jobs: running, pending, held"

out=$(cli nobody jobs)
like "$(echo "$out" | head -n 1)" "^ID +NAME +USER +STATE +NODES +GPUS +TIME +NODELIST\\(REASON\\)$" "default columns"
like "$out" "trainer +nobody +running +3 +24 .*n\\[00001-00003\\]" "the running job's nodes as a hostlist"
like "$out" "big +nobody +pending .*\\(waiting for resources" "a pending job shows why it waits"
like "$out" "later +nobody +held .*\\(held at submission\\)" "a held job says so"
is "$(cli nobody queue --format id --no-header | tr '\n' ' ')" "$r $p $hd " "queue is an alias; id order"
is "$(cli nobody jobs --no-header | wc -l)" 3 "--no-header: rows only"

all="id,name,user,account,qos,state,nodes,gpus,gpus_per_node,time,time_limit,submit_time,start_time,end_time,nodelist,reason,nodelist_reason,priority,epoch,restarts,exit_code,expected_start,queue_pos,array,reservation"
out=$(cli nobody jobs --format "$all" 2>&1)
ok $? "every column can be asked for"
is "$(echo "$out" | head -n 1 | wc -w)" 25 "25 headers"
like "$(cli nobody jobs --format id,queue_pos,expected_start --no-header --state pending)" \
	"^ *$p +1 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$" "the pending job: queue position 1 and an expected start"
like "$(cli nobody jobs --format id,queue_pos --no-header --state running)" "^ *$r +-$" \
	"a running job has no queue position"
is "$(cli nobody jobs --format +account --no-header --state held | awk '{print $NF}')" "vision" "+account appends"
is "$(cli nobody jobs -o 'ID,Time-Limit' --no-header --state held | awk '{print $2}')" "05:00" "names in any case, '-' for '_'"
like "$(cli nobody jobs -o name:3 --state running --no-header)" "^tr\\+$" "NAME:WIDTH cuts and marks with +"
out=$(cli nobody jobs --format id,bogus 2>&1); rc=$?
is "$rc" 2 "an unknown column is a usage error (exit 2)"
like "$out" "unknown column 'bogus' \\(valid: id, name" "listing the valid names"

is "$(cli nobody jobs --sort -id --format id --no-header | tr '\n' ' ')" "$hd $p $r " "--sort -id"
is "$(cli nobody jobs --sort account,-id --format account --no-header | tr '\n' ' ')" "llm llm vision " "--sort account,-id"
is "$(cli nobody jobs --sort gpus --limit 2 --format id --no-header | tr '\n' ' ')" "$hd $r " "--limit applies after --sort"
is "$(cli nobody jobs --limit 1 --format id --no-header)" "$r" "--limit alone keeps the lowest ids"
out=$(cli nobody jobs --sort size 2>&1); rc=$?
is "$rc" 2 "an unknown sort key is a usage error"
like "$out" "unknown sort key 'size'" "naming it"

is "$(cli nobody jobs -t held --format id --no-header)" "$hd" "--state held"
is "$(cli nobody jobs -t PD,R --format id --no-header | tr '\n' ' ')" "$r $p " "--state with squeue abbreviations"
is "$(cli nobody jobs -A vision --format id --no-header)" "$hd" "--account"
is "$(cli nobody jobs -n big --format id --no-header)" "$p" "--name"
is "$(cli nobody jobs -w n00002 --format id --no-header)" "$r" "--node"
is "$(cli nobody jobs -u alice --no-header | wc -l)" 0 "--user alice: none"
is "$(cli nobody jobs --me --no-header | wc -l)" 3 "--me"
is "$(rc_of cli nobody jobs -w n99999)" 3 "an unknown node is not found (exit 3)"
is "$(rc_of cli nobody jobs -t bogus)" 2 "a bad state is a usage error"
is "$(rc_of cli nobody jobs extra)" 2 "a stray argument is a usage error"

json=$(cli nobody jobs --json)
echo "$json" | jq_ >/dev/null
ok $? "--json is valid JSON"
is "$(echo "$json" | jq_ '.jobs#')" 3 "three jobs"
is "$(echo "$json" | jq_ '.jobs[0].id' '.jobs[0].state' '.jobs[0].nodelist' | tr '\n' ' ')" \
	"$r running n[00001-00003] " "fields of the running job"
is "$(echo "$json" | jq_ -k '.jobs[1]' | tr '\n' ' ')" \
	"id name user account qos state reason nodes gpus_per_node gpus time_limit_sec submit_time start_time end_time exit_code epoch restarts nodelist priority expected_start queue_position array_job_id array_task reservation " \
	"the documented field names, in order"
[ "$(echo "$json" | jq_ '.jobs[1].expected_start')" -gt 0 ]
ok $? "the pending job's expected_start is set"
is "$(echo "$json" | jq_ '.jobs[1].queue_position')" 1 "and its queue_position"
is "$(cli nobody jobs --json --sort -id | jq_ '.jobs[0].id')" "$hd" "--json follows --sort"

# Colour: never into a pipe; on a terminal unless NO_COLOR is set.
esc=$(printf '\033')
out=$(cli nobody jobs)
case $out in *"$esc"*) ok 1 "no colour into a pipe" ;; *) ok 0 "no colour into a pipe" ;; esac
if command -v script >/dev/null 2>&1; then
	cmd="$CLI_BIN --controller 127.0.0.1:$CTL_PORT --ca $T/pki/ca.pem --cert $T/pki/nobody.pem --key $T/pki/nobody.key jobs"
	tty_out=$(TERM=xterm script -qec "$cmd" /dev/null 2>/dev/null)
	case $tty_out in *"$esc["*) ok 0 "colour on a terminal" ;; *) ok 1 "colour on a terminal" ;; esac
	tty_out=$(TERM=xterm NO_COLOR=1 script -qec "$cmd" /dev/null 2>/dev/null)
	case $tty_out in *"$esc["*) ok 1 "NO_COLOR turns it off" ;; *) ok 0 "NO_COLOR turns it off" ;; esac
	tty_out=$(TERM=dumb script -qec "$cmd" /dev/null 2>/dev/null)
	case $tty_out in *"$esc["*) ok 1 "TERM=dumb turns it off" ;; *) ok 0 "TERM=dumb turns it off" ;; esac
else
	diag "no script(1): colour on a terminal not checked"
fi
touch "$gate"
done_testing
