# TAP for shell tests: plan, ok, is, like, diag, skip_all, done_testing.
# Sourced by integration tests; output is read by automake's tap-driver.
TAP_N=0
TAP_FAILED=0

diag() { printf '# %s\n' "$*"; }

ok() { # cond-exit-status description
	_st=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$_st" -eq 0 ]; then
		printf 'ok %d - %s\n' "$TAP_N" "$*"
	else
		printf 'not ok %d - %s\n' "$TAP_N" "$*"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$_st"
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:      '$1'"
		diag "  expected: '$2'"
	fi
}

# like TEXT PATTERN(grep -E) DESCRIPTION
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  '$1'"
		diag "  does not match /$2/"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "  '$1'"
		diag "  matches /$2/"
	else
		ok 0 "$3"
	fi
}

skip_all() { printf '1..0 # SKIP %s\n' "$*"; exit 0; }

bail_out() { printf 'Bail out! %s\n' "$*"; exit 1; }

done_testing() {
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# wait_for TIMEOUT_SECONDS COMMAND...: retry until the command succeeds.
# Bounded, so a broken daemon fails the test instead of hanging it.
wait_for() {
	_limit=$1; shift
	_end=$(( $(date +%s) + _limit ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}
