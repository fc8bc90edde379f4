#!/bin/sh
# The rack map page in a real browser (headless Chromium driven through
# chromedriver) against a running controller with 304 racks in 2 halls,
# of which a few have agents: the cells show which racks are busy, idle,
# down or partly out of service; the page refreshes by itself when a
# rack goes down; clicking a rack shows its nodes, GPUs, jobs and
# events; the job search highlights the racks a job runs on.  Saves
# screenshots in tests/artifacts/.
#
# Racks without agents go down when the lease runs out; the health
# policy may drain some of them (rack lost): the page must show each
# rack exactly as /api/racks describes it.
#
# Protects what operators need to see DESIGN invariant 5 hold at a
# glance: racks that cannot take work (down, drained, partly down) never
# look usable.
. "$top_srcdir/tests/lib/cluster.sh"
. "$top_srcdir/tests/lib/webdriver.sh"
wd_require
cluster_init rackmap
trap '_s=$?; wd_stop; (exit $_s); cluster_cleanup' EXIT

ctl_start --set controller.http_listen=127.0.0.1:0 \
	--set "controller.web_dir=$top_srcdir/web"
HP=$(sed -n 's/.*http: serving.*(port \([0-9]*\)).*/\1/p' "$T/controller.log" | tail -n 1)
U=http://127.0.0.1:$HP
bash "$top_srcdir/scripts/gen-topology.sh" --halls 2 --pods-per-hall 19 \
	--racks-per-pod 8 --nodes-per-rack 2 > "$T/topology.txt"
out=$(cli root topology apply "$T/topology.txt" 2>&1)
ok $? "topology: 2 halls, 38 pods, 304 racks of 2 nodes" || diag "$out"

# Racks r0001-r0003 get both agents, r0004 one of two; the other 300
# racks have none and are down once the lease has run out.
for n in n00001 n00002 n00003 n00004 n00005 n00006 n00007; do agent_start "$n"; done
ok $? "seven agents registered"
mkdir -p "$T/out" && chmod 1777 "$T/out"
id=$(cli nobody submit --quiet -N 2 -J mapjob -D "$T/out" -- /bin/sleep 300)
running() { cli nobody job show "$id" --json | grep -Eq '"state": *"running"'; }
wait_for 30 running
ok $? "a 2-node job runs ($id)"
X=$(curl -sf "$U/api/jobs?id=$id" | jq -r '.jobs[0].racks | join(",")')
case $X in r0001) Y=r0002 Z=r0003 ;; r0002) Y=r0001 Z=r0003 ;; *) Y=r0001 Z=r0002 ;; esac
ok $(case $X in r000[123]) echo 0 ;; *) echo 1 ;; esac) "the job fits one rack ($X)"
ynodes=$(curl -sf "$U/api/nodes?rack=$Y" | jq -r '.nodes[].name')
for n in $ynodes; do agent_stop "$n"; done
api_state() { curl -sf "$U/api/racks" | jq -r --arg r "$1" '.halls[].pods[].racks[] | select(.name == $r) | .state'; }
gone() { case $1 in down|drained) return 0 ;; esac; return 1; }
settled() {
	[ "$(api_state "$X")" = busy ] && gone "$(api_state "$Y")" &&
		[ "$(api_state "$Z")" = idle ] && [ "$(api_state r0004)" = idle ] &&
		gone "$(api_state r0300)"
}
wait_for 30 settled
ok $? "the API says: $X busy, $Y down or drained (agents stopped), $Z idle, r0004 idle, r0300 down or drained"

wd_start "$T/wd"
ok $? "headless Chromium started through chromedriver" || bail_out "no browser session"
wd_get "$U/"
ok $? "page loaded from the controller"
rendered() {
	wd_js 'return document.body.dataset.updated ? document.querySelectorAll(".rack[data-state]").length : 0' |
		grep -qx 304
}
wait_for 30 rendered
ok $? "the map drew 304 rack cells"
api=$(curl -sf "$U/api/racks" | jq -c '[.halls[].pods[].racks[] | {(.name): .state}] | add')
cells=$(wd_js 'const o = {}; for (const c of document.querySelectorAll(".rack")) o[c.dataset.rack] = c.dataset.state + (c.classList.contains("problem") ? "+problem" : ""); return o;')
cell() { printf '%s' "$cells" | jq -r --arg r "$1" '.[$r]'; }
is "$(cell "$X")" busy "cell $X is busy"
gone "$(cell "$Y")"
ok $? "cell $Y is down or drained ($(cell "$Y"))"
is "$(cell "$Z")" idle "cell $Z is idle"
is "$(cell r0004)" "idle+problem" "cell r0004 is idle and marked: one of its nodes is down"
gone "$(cell r0300)"
ok $? "cell r0300 (no agents) is down or drained ($(cell r0300))"
diff=$(printf '%s\n%s' "$cells" "$api" | jq -s -r '.[0] as $p | .[1] | to_entries[] |
	select(($p[.key] | sub("\\+problem$"; "")) != .value) | "\(.key): page \($p[.key]), api \(.value)"')
is "$diff" "" "every cell shows its rack's state as /api/racks gives it"
is "$(printf '%s' "$cells" | jq '[.[] | select(. == "down" or . == "drained")] | length')" 301 \
	"301 racks down or drained in all"
nd=$(printf '%s' "$cells" | jq '[.[] | select(. == "drained")] | length')
diag "$nd racks drained by the health policy, $((301 - nd)) down"
is "$(wd_js 'return document.querySelector(".rack[data-rack=\"'"$X"'\"] .u").style.height')" '"100%"' \
	"the busy cell is filled by its GPUs in use (16 of 16)"
is "$(wd_js 'return [document.querySelectorAll(".hall").length, document.querySelectorAll(".pod").length]')" \
	"[2,38]" "2 halls and 38 pods drawn"
like "$(wd_js 'return document.getElementById("summary").textContent')" '16 / 4864' \
	"the summary counts GPUs in use"

art=$top_builddir/tests/artifacts
mkdir -p "$art"
wd_screenshot "$art/rackmap.png"
ok $([ "$(head -c 4 "$art/rackmap.png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?) \
	"screenshot saved"
diag "screenshot: $art/rackmap.png"

# Clicking a rack shows its nodes, their GPUs, its job and its events.
wd_click "$(wd_find ".rack[data-rack=\"$X\"]")"
ok $? "clicked rack $X"
detail() {
	wd_js 'const d = document.getElementById("detail-body");
		return !document.getElementById("detail").hidden &&
			!!d.querySelector("h3[data-rack=\"'"$X"'\"]") &&
			d.querySelectorAll("tr[data-node]").length === 2 &&
			!!d.querySelector("tr[data-job=\"'"$id"'\"]")' | grep -qx true
}
wait_for 20 detail
ok $? "the rack's panel lists its 2 nodes and job $id"
is "$(wd_js 'return document.querySelectorAll("#detail-body .gpu[data-state=used]").length')" 16 \
	"... and shows its 16 GPUs in use"

# The job search highlights where the job runs.
q=$(wd_find '#q')
wd_type "$q" "$id"
wd_click "$(wd_find '#search button[type=submit]')"
hl() {
	wd_js 'return [...document.querySelectorAll(".rack.hl")].map(e => e.dataset.rack).join(",")' |
		grep -qx "\"$X\""
}
wait_for 20 hl
ok $? "searching job $id highlights rack $X and only it"
like "$(wd_js 'return location.hash')" "rack=$X.*job=$id" "the URL keeps the selection (deep link)"
wd_screenshot "$art/rackmap-detail.png"
diag "screenshot: $art/rackmap-detail.png"

# It refreshes by itself: the last agent of r0004 goes away.
agent_stop n00007
redrawn() {
	wd_js 'return document.querySelector(".rack[data-rack=\"r0004\"]").dataset.state' | grep -qx '"down"'
}
wait_for 40 redrawn
ok $? "without a reload, r0004 turns down when its last agent stops"

# A deep link opens a rack and highlights a job.
wd_get "$U/index.html#rack=$Y&job=$id"
deep() {
	wd_js 'return !!document.querySelector("#detail-body h3[data-rack=\"'"$Y"'\"]") &&
		document.querySelectorAll("#detail-body tr[data-node][data-state=down]").length === 2 &&
		!!document.querySelector(".rack.hl[data-rack=\"'"$X"'\"]")' | grep -qx true
}
wait_for 20 deep
ok $? "#rack=$Y&job=$id opens $Y (2 nodes down) and highlights $X"
evs() {
	wd_js 'return [...document.querySelectorAll("#detail-body .events li")].map(e => e.dataset.kind).join(" ")' |
		grep -q node_down
}
wait_for 20 evs
ok $? "... with its recent events from PostgreSQL (node_down)"
wd_js 'location.hash = "rack=" + "'"$Z"'"; return 1' >/dev/null
edited() {
	wd_js 'return !!document.querySelector("#detail-body h3[data-rack=\"'"$Z"'\"]") &&
		!document.getElementById("map").classList.contains("searching")' | grep -qx true
}
wait_for 20 edited
ok $? "editing the link to #rack=$Z opens $Z and clears the search"

errors=$(wd_console | jq -c '[.[] | select(.level == "SEVERE") | .message]')
is "$errors" "[]" "no errors in the browser console"
wd_stop
done_testing
