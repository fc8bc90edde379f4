# WebDriver (W3C) over curl: drives Debian's headless Chromium through
# chromedriver, for tests of the rack map page in a real browser.
#
#   wd_require             skip_all unless chromium, chromedriver, curl, jq
#   wd_start DIR           chromedriver in its own process group + a session
#   wd_get URL             navigate
#   wd_js SCRIPT [ARGS]    run a synchronous script; print its value (JSON)
#   wd_find CSS            print the element reference of the first match
#   wd_click ELEMENT       click it
#   wd_type ELEMENT TEXT   type into it
#   wd_screenshot FILE     save a PNG of the window
#   wd_console             the browser console's entries (JSON array)
#   wd_stop                end the session; stop chromedriver's whole
#                          process group (Chromium and its helpers) by id
#
# Chromium runs with the flags that work on a closed network: no sandbox
# (tests run as root), no background networking, updates or sync, and a
# fresh profile in DIR.

wd_require() {
	command -v curl >/dev/null || skip_all "curl not installed"
	command -v jq >/dev/null || skip_all "jq not installed"
	WD_CHROMIUM=${WD_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
	[ -n "$WD_CHROMIUM" ] || skip_all "chromium not installed (apt-get install chromium chromium-driver)"
	command -v chromedriver >/dev/null || skip_all "chromedriver not installed (apt-get install chromium-driver)"
	command -v setsid >/dev/null || skip_all "setsid not available"
}

# POST/GET/DELETE a WebDriver endpoint; print the response's .value.
wd_call() { # METHOD PATH [JSON]
	_r=$(curl -s -m 60 -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$WD$2") || return 1
	printf '%s' "$_r" | jq -e 'if (.value | type) == "object" and (.value.error? != null) then false else true end' >/dev/null || {
		printf '%s' "$_r" | jq -r '.value.message? // .' | head -n 3 | sed 's/^/# webdriver: /' >&2
		return 1
	}
	printf '%s' "$_r" | jq -c '.value'
}

wd_start() { # DIR
	_d=$1
	mkdir -p "$_d/profile"
	setsid chromedriver --port=0 >"$_d/chromedriver.log" 2>&1 &
	WD_PGID=$!
	# setsid made chromedriver a group leader: its id is the group's.
	wait_for 20 grep -q 'started successfully on port' "$_d/chromedriver.log" || {
		cat "$_d/chromedriver.log" >&2; return 1; }
	_p=$(sed -n 's/.*started successfully on port \([0-9]*\).*/\1/p' "$_d/chromedriver.log")
	WD=http://127.0.0.1:$_p
	_caps=$(jq -nc --arg bin "$WD_CHROMIUM" --arg prof "$_d/profile" '{capabilities: {alwaysMatch: {
		browserName: "chrome",
		"goog:loggingPrefs": {browser: "ALL"},
		"goog:chromeOptions": {binary: $bin, args: ["--headless", "--no-sandbox",
			"--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--disable-dev-shm-usage",
			("--user-data-dir=" + $prof), "--window-size=1600,1100"]}}}}')
	WD_SESSION=$(wd_call POST /session "$_caps" | jq -r '.sessionId') || return 1
	[ -n "$WD_SESSION" ] && [ "$WD_SESSION" != null ]
}

wd_get() { wd_call POST "/session/$WD_SESSION/url" "$(jq -nc --arg u "$1" '{url: $u}')" >/dev/null; }

wd_js() { # SCRIPT [ARGS_JSON_ARRAY]
	wd_call POST "/session/$WD_SESSION/execute/sync" \
		"$(jq -nc --arg s "$1" --argjson a "${2:-[]}" '{script: $s, args: $a}')"
}

wd_find() {
	wd_call POST "/session/$WD_SESSION/element" \
		"$(jq -nc --arg c "$1" '{using: "css selector", value: $c}')" |
		jq -r 'to_entries[0].value'
}

wd_click() { wd_call POST "/session/$WD_SESSION/element/$1/click" '{}' >/dev/null; }

wd_type() { wd_call POST "/session/$WD_SESSION/element/$1/value" "$(jq -nc --arg t "$2" '{text: $t}')" >/dev/null; }

wd_screenshot() { wd_call GET "/session/$WD_SESSION/screenshot" | jq -r . | base64 -d > "$1"; }

wd_console() { wd_call POST "/session/$WD_SESSION/se/log" '{"type": "browser"}'; }

wd_stop() {
	if [ -n "${WD_SESSION:-}" ]; then
		curl -s -m 20 -X DELETE "$WD/session/$WD_SESSION" >/dev/null 2>&1
		WD_SESSION=
	fi
	if [ -n "${WD_PGID:-}" ]; then
		# "kill -SIG -PGID" (dash's kill knows no "--"); chromedriver
		# stays a zombie until waited for, so no polling: TERM, a
		# moment for Chromium to exit, then KILL whatever is left.
		kill -TERM "-$WD_PGID" 2>/dev/null || kill -TERM "$WD_PGID" 2>/dev/null
		sleep 1
		kill -KILL "-$WD_PGID" 2>/dev/null
		wait "$WD_PGID" 2>/dev/null
		WD_PGID=
	fi
	return 0
}
