#!/bin/sh
# The CLI's contract beyond single commands (issue 6, "Behaviour"): a
# distinct exit code per kind of failure, help for every command, a man
# page per command that names every option, bash completion of commands,
# options, job ids and node names, whoami/version JSON, a clear message
# within seconds when no controller answers, and the per-user rate limit
# on listings (a user polling in a loop is limited; others are not).
# Identity comes from the certificate (DESIGN invariant 6).
. "$top_srcdir/tests/lib/clitest.sh"
cli_cluster cli-misc 1 2

# ---- exit codes
out=$("$CLI_BIN" jbos 2>&1); rc=$?
is "$rc" 2 "an unknown command: exit 2"
like "$out" "did you mean 'jobs'" "with a suggestion"
is "$(rc_of "$CLI_BIN" jobs --bogus)" 2 "an unknown option: exit 2"
is "$(rc_of "$CLI_BIN" job)" 2 "a group without its subcommand: exit 2"
is "$(rc_of cli nobody job show 99999)" 3 "not found: exit 3"
is "$(rc_of cli nobody topology apply /dev/null)" 4 "permission denied: exit 4"
start=$(date +%s)
out=$(cli nobody --controller 127.0.0.1:1 jobs 2>&1); rc=$?
is "$rc" 5 "unreachable controller: exit 5"
like "$out" "cannot reach a controller" "with a clear message"
[ $(( $(date +%s) - start )) -le 10 ]
ok $? "within seconds, not a hang"
is "$(rc_of cli nobody submit -N 100 -- /bin/true)" 6 "an invalid request: exit 6"
d=$(cli nobody submit --quiet -G 1 -D "$OUT" -- /bin/true)
wait_for 30 state_is "$d" completed
is "$(rc_of cli nobody cancel "$d")" 7 "a conflict (cancelling a finished job): exit 7"
like "$("$CLI_BIN" --help)" "Exit codes:" "--help lists the exit codes"

# ---- help for every command, and its man page
cmds="submit cancel jobs:queue job-show:show job-why:why hold release job-priority nodes racks qos-list qos-set qos-remove reservation-create reservation-list reservation-delete history report whoami version topology-apply drain resume events health node-why breaker-reset rack-readings power power-limit"
for c in $cmds; do
	name=$(echo "${c%%:*}" | tr '-' ' ')
	h=$("$CLI_BIN" help $name 2>&1); rc=$?
	[ "$rc" -eq 0 ] && echo "$h" | grep -q "^Usage: colossus $name" && echo "$h" | grep -q "^Examples:"
	ok $? "colossus help $name: usage and examples"
	case $c in *:*)
		like "$("$CLI_BIN" ${c#*:} --help | head -n 1)" "^Usage: colossus $name" "alias ${c#*:} has the same help" ;;
	esac
	page=$top_srcdir/client/man/colossus-${name%% *}.1
	[ -f "$page" ]
	ok $? "man page $(basename "$page")"
	missing=""
	for o in $(echo "$h" | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" "$page" || missing="$missing $o"
	done
	is "$missing" "" "  it names every option of $name"
done
like "$("$CLI_BIN" --help)" "history +finished jobs" "the command list has the new commands"

# ---- whoami and version
w=$(cli alice whoami --json)
is "$(echo "$w" | jq_ .name .role | tr '\n' ' ')" "alice user " "whoami: the certificate's name and role"
is "$(echo "$w" | jq_ -k . | tr '\n' ' ')" \
	"name role controller_id controller_address controller_version protocol_version active " "whoami --json fields"
v=$(cli alice version --json)
is "$(echo "$v" | jq_ -k . | tr '\n' ' ')" \
	"client_version client_protocol controller_version controller_protocol controller_address controller_error " \
	"version --json fields"
is "$(cli alice --controller 127.0.0.1:1 version --json | jq_ .controller_version)" "" \
	"version works without a controller"

# ---- bash completion
comp=$top_srcdir/client/completion/colossus.bash
conn="--controller 127.0.0.1:$CTL_PORT --ca $T/pki/ca.pem --cert $T/pki/nobody.pem --key $T/pki/nobody.key"
complete_() { # WORDS... (the last is the one being completed)
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _colossus; echo "${COMPREPLY[*]}"' \
		"$comp" "$CLI_BIN" "$@"
}
bash -n "$comp"
ok $? "the completion script parses"
is "$(complete_ r)" "release racks reservation report resume rack" "commands"
is "$(complete_ reservation "")" "create list delete" "subcommands"
is "$(complete_ submit --gpu | tr ' ' '\n' | sort | tr '\n' ' ')" "--gpu-model --gpus --gpus-per-node " "options of a command"
is "$(complete_ submit --arr)" "--array" "new options too"
is "$(complete_ jobs --sort pri)" "priority" "sort keys"
is "$(complete_ jobs -o queue_)" "queue_pos" "--format columns"
is "$(complete_ jobs -o id,exp)" "id,expected_start" "after a comma too"
is "$(complete_ jobs --state he)" "held" "states"
h1=$(cli nobody submit --quiet --hold -G 1 -D "$OUT" -- /bin/true)
is "$(complete_ $conn release "")" "$h1" "release completes held job ids"
like "$(complete_ $conn cancel "")" "(^| )$h1( |$)" "cancel completes job ids"
is "$(complete_ $conn nodes n0000)" "n00001 n00002" "node names"
is "$(complete_ $conn submit -q h)" "high hero" "QOS names"
is "$(complete_ drain "")" "node rack pod hall" "drain levels"
is "$(complete_ $conn drain node n0000)" "n00001 n00002" "then node names"
is "$(complete_ $conn resume --repaired rack r)" "r0001" "or rack names, after an option"
is "$(complete_ node "")" "why" "node why"
is "$(complete_ events --kind node_dr)" "node_drain node_drained" "event kinds"
is "$(complete_ rack readings --leak w)" "warning" "leak levels"
cli nobody cancel "$h1" >/dev/null

# ---- rate limit on listings, per user
RPCSEND=$top_builddir/tests/tools/rpcsend
rpc_alice() {
	"$RPCSEND" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/alice.pem" --key "$T/pki/alice.key" "$@"
}
if [ -x "$RPCSEND" ]; then
	out=$(rpc_alice --count 400 call list_jobs 2>&1)
	busy=$(echo "$out" | grep -c 'status=8')
	[ "$busy" -gt 0 ]
	ok $? "400 listings back to back from one user are rate limited ($busy refused)"
	like "$out" "rate limit for alice exceeded" "with a message naming the limit"
	[ "$(echo "$out" | grep -c 'status=0')" -ge 100 ]
	ok $? "after a burst of at least 100"
	# While a flood keeps alice's bucket empty, her CLI is refused too.
	rpc_alice --count 50000 call list_jobs >/dev/null 2>&1 &
	flood=$!
	limited=0
	for i in $(seq 1 100); do
		out=$(cli alice jobs 2>&1)
		if [ $? -eq 5 ]; then limited=1; break; fi
		kill -0 "$flood" 2>/dev/null || break
	done
	is "$limited" 1 "colossus jobs of a user over the limit: exit 5"
	like "$out" "rate limit for alice exceeded .*retry in [0-9.]+ s" "and says when to retry"
	cli bob jobs >/dev/null
	ok $? "another user is not affected meanwhile"
	kill "$flood" 2>/dev/null
	wait "$flood" 2>/dev/null
	recovered() { cli alice jobs; }
	wait_for 20 recovered
	ok $? "alice is served again after a pause"
else
	diag "no tests/tools/rpcsend: rate limit not checked"
fi
done_testing
